#!/usr/bin/env bash
##===----------------------------------------------------------------------===##
##
## This source file is part of the Swiftlet open source project
##
## Copyright (c) 2026 the Swiftlet authors
## Licensed under Apache License v2.0
##
## SPDX-License-Identifier: Apache-2.0
##
##===----------------------------------------------------------------------===##

# The allocation benchmarks of the hot path (issue 5; STYLE §4 "Benchmarks", §8.14):
# Benchmarks/SwiftletBenchmarks, built in release with package-benchmark's malloc interposer.
#
#   scripts/benchmarks.sh [check]   run them and compare mallocCountTotal with
#                                   Benchmarks/Thresholds/<swift major.minor>/ (what CI does)
#   scripts/benchmarks.sh update    run them and rewrite those thresholds
#   scripts/benchmarks.sh run [...] run them and print the results; extra arguments go to
#                                   package-benchmark, e.g. --filter 'FanOut.*' --allocation-stacks
#
# Malloc counts are deterministic for one toolchain, so the check is exact: a count above the
# threshold fails (a regression), and so does one below it (an improvement: tighten the threshold
# with `update` and commit it). Set SWIFTLET_BENCHMARK_ALL_METRICS=1 to also see time and
# instructions with `run`; they are never checked.
#
# SWIFTLET_BENCHMARKS=1 makes Package.swift add the benchmark target and package-benchmark; the
# build goes to its own scratch path, so it never invalidates the normal debug build.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SWIFTLET_BENCHMARKS=1
scratch_path="${SWIFTLET_BENCHMARK_SCRATCH_PATH:-.build-benchmarks}"
swift_version="$(swift --version 2>/dev/null | sed -nE 's/.*Swift version ([0-9]+\.[0-9]+).*/\1/p' | head -n 1)"
thresholds="Benchmarks/Thresholds/${swift_version}"

benchmark() {
    swift package --scratch-path "$scratch_path" --allow-writing-to-package-directory benchmark "$@"
}

command="${1:-check}"
[ $# -gt 0 ] && shift
if [ "$command" != run ]; then
    # Thresholds hold malloc counts only: time and instructions vary with the machine.
    unset SWIFTLET_BENCHMARK_ALL_METRICS
fi
case "$command" in
check)
    if [ ! -d "$thresholds" ]; then
        echo "benchmarks: no thresholds for Swift $swift_version in $thresholds;" \
            "run 'scripts/benchmarks.sh update' on that toolchain and commit them" >&2
        exit 1
    fi
    rc=0
    benchmark thresholds check --path "$thresholds" --no-progress "$@" || rc=$?
    count="$(find "$thresholds" -name '*.p90.json' | wc -l | tr -d ' ')"
    case "$rc" in
    0)
        echo "benchmarks: malloc counts equal the thresholds in $thresholds"
        # The plain closing line CI logs are read for.
        echo "benchmarks: $count passed, 0 failed"
        ;;
    2) echo "benchmarks: more mallocs than the thresholds in $thresholds (see above)" >&2 ;;
    4) echo "benchmarks: fewer mallocs than the thresholds in $thresholds:" \
        "run 'scripts/benchmarks.sh update' and commit the new thresholds" >&2 ;;
    *) echo "benchmarks: failed to build or run (exit code $rc)" >&2 ;;
    esac
    exit "$rc"
    ;;
update)
    mkdir -p "$thresholds"
    benchmark thresholds update --path "$thresholds" --no-progress "$@"
    ;;
run)
    benchmark run --no-progress "$@"
    ;;
*)
    echo "usage: scripts/benchmarks.sh [check|update|run [package-benchmark options]]" >&2
    exit 64
    ;;
esac
