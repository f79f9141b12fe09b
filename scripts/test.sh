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

# The test command: Swift unit tests, then the interop suite (real third-party
# clients against the freshly built debug binary on 127.0.0.1), then the allocation
# benchmarks of the hot path against their thresholds. All must pass.
#
# Needs: a Swift toolchain, python3 with paho-mqtt 2.1 and pytest, and Debian's
# mosquitto-clients (mosquitto_pub, mosquitto_sub, mosquitto_rr). `.ci/run` installs them.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Every import must be a declared dependency of its target (STYLE §7).
swift build --build-tests --explicit-target-dependency-import-check error
swift test --skip-build

bin_dir="$(swift build --show-bin-path)"
export SWIFTLET_BIN="$bin_dir/swiftlet"
# INTEROP_BROKER=mosquitto runs the interop suite against Mosquitto instead, to check the tests.
export INTEROP_BROKER="${INTEROP_BROKER:-swiftlet}"

python3 -m pytest -q Tests/InteropTests

# The hot path's allocation budget (issue 5, STYLE §8.14): malloc counts of the benchmarks in
# Benchmarks/SwiftletBenchmarks must equal Benchmarks/Thresholds/<swift version>/. A release
# build in its own scratch path (.build-benchmarks); SWIFTLET_SKIP_BENCHMARKS=1 leaves it out.
if [ -z "${SWIFTLET_SKIP_BENCHMARKS:-}" ]; then
    bash scripts/benchmarks.sh check
fi
