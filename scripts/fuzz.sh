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

# Coverage-guided fuzzing with libFuzzer (issue 14; docs/security.md, "Fuzzing").
#
#   scripts/fuzz.sh TARGET [SECONDS]   build, then fuzz TARGET for SECONDS (default 60)
#   scripts/fuzz.sh all [SECONDS]      build, then fuzz every target for SECONDS each, one after
#                                      the other (what CI does, with 20)
#   scripts/fuzz.sh build              build every target
#   scripts/fuzz.sh list               the targets
#
# Each run starts from the committed seeds in FuzzTesting/Corpus/TARGET, copied to a temporary
# working corpus so that the committed one never grows; SWIFTLET_FUZZ_WORK_DIR=DIR keeps the
# working corpora in DIR/TARGET instead, so that a long campaign can be resumed. A crash, a broken
# property, a timeout or running out of memory leaves the input in FuzzTesting/FailCases/TARGET/
# and fails the script; the unit tests replay every file there (FuzzInputTests), so once fixed it
# stays a regression test. Minimise one before committing it:
#
#   .build-fuzz/release/FuzzMQTTDecoder -minimize_crash=1 -runs=100000 FILE
#
# The targets are built in release with `-sanitize=fuzzer` (coverage, and libFuzzer's main) and
# AddressSanitizer, Swift and C code alike, into their own scratch path (.build-fuzz), so they
# never invalidate the normal debug build. Release, because it runs about ten times as many inputs
# a second as debug and keeps every check that matters here (bounds, overflow, preconditions);
# SWIFTLET_FUZZ_CONFIGURATION=debug adds the `assert`s. SWIFTLET_FUZZ=1 makes Package.swift add
# the targets.
#
# FuzzTesting/Dictionaries/TARGET.dict, when there is one, gives libFuzzer the keys and names the
# target compares whole (written with the seeds). Extra libFuzzer options go in
# SWIFTLET_FUZZ_OPTIONS, e.g. "-jobs=2 -workers=2".

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export SWIFTLET_FUZZ=1
# Swift's own crash handler reads memory AddressSanitizer reports on; libFuzzer's report is enough.
export SWIFT_BACKTRACE=enable=no
configuration="${SWIFTLET_FUZZ_CONFIGURATION:-release}"
scratch_path=".build-fuzz"

# libFuzzer and AddressSanitizer come with the toolchain's clang runtime (swift.org toolchains
# for Linux ship them); say so plainly rather than fail at the link.
toolchain_lib="$(dirname "$(readlink -f "$(command -v swift)")")/../lib"
if [ "$(uname)" = Linux ] && ! ls "$toolchain_lib"/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    echo "fuzz: this Swift toolchain has no libFuzzer runtime ($toolchain_lib/clang/*/lib/linux);" \
        "use a swift.org toolchain" >&2
    exit 1
fi

# target name, product, longest input in bytes (a few packets, frames or header lines: longer
# inputs only make each run slower without reaching new code).
targets=(
    "mqtt-decoder FuzzMQTTDecoder 4096"
    "websocket-frames FuzzWebSocketFrames 4096"
    "deflate-inflater FuzzDeflateInflater 8192"
    "http-request-head FuzzHTTPRequestHead 2048"
    "auth-parsers FuzzAuthParsers 4096"
    "configuration FuzzConfiguration 4096"
)

usage() {
    echo "usage: scripts/fuzz.sh TARGET|all [SECONDS] | build | list" >&2
    echo "targets: $(for entry in "${targets[@]}"; do printf '%s ' "${entry%% *}"; done)" >&2
    exit 64
}

target_entry() {
    local entry
    for entry in "${targets[@]}"; do
        if [ "${entry%% *}" = "$1" ]; then
            echo "$entry"
            return
        fi
    done
    echo "fuzz: unknown target '$1'" >&2
    usage
}

# Builds the products named; the log goes to a file, since the linker warns about every ASan
# helper it cannot export (harmless), and is shown only when the build fails.
#
# The flags, as this toolchain (Swift 6.3) needs them: SwiftPM's `--sanitize fuzzer` links
# libFuzzer, instruments the C targets, and leaves out the `main=<Module>_main` alias it otherwise
# links executables with (the targets are built with -parse-as-library, so libFuzzer's own main is
# the entry point; `-Xswiftc -sanitize=fuzzer` alone fails on that alias); but it does not
# instrument Swift code for coverage, which `-Xswiftc -sanitize=fuzzer` does. `--sanitize address`
# puts AddressSanitizer in Swift and C alike.
build() {
    local log product started
    log="$(mktemp -t swiftlet-fuzz-build.XXXXXX)"
    started=$SECONDS
    for product in "$@"; do
        if ! swift build -c "$configuration" --scratch-path "$scratch_path" --product "$product" \
            --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer >>"$log" 2>&1; then
            grep -v "ld.gold: warning: Cannot export local symbol" "$log" | tail -n 60 >&2
            echo "fuzz: building $product failed (full log: $log)" >&2
            exit 1
        fi
    done
    rm -f "$log"
    echo "fuzz: built $* in $((SECONDS - started)) s ($configuration)"
}

# Runs one target; prints its summary line and returns non-zero if it found something.
run() {
    local name="$1" product="$2" max_len="$3" seconds="$4"
    local binary work corpus failcases log rc=0
    binary="$scratch_path/$configuration/$product"
    failcases="FuzzTesting/FailCases/$name"
    mkdir -p "$failcases"
    if [ -n "${SWIFTLET_FUZZ_WORK_DIR:-}" ]; then
        work="$SWIFTLET_FUZZ_WORK_DIR"
        mkdir -p "$work"
    else
        work="$(mktemp -d -t swiftlet-fuzz.XXXXXX)"
    fi
    corpus="$work/$name"
    mkdir -p "$corpus"
    cp FuzzTesting/Corpus/"$name"/* "$corpus"/ 2>/dev/null || true
    log="$work/$name.log"

    # -timeout: no input of these sizes takes a second; -rss_limit_mb: a leak or a bomb shows
    # long before 2 GB; -print_final_stats: exec/s for the summary. Crash inputs are named
    # crash-/timeout-/oom-SHA1 by libFuzzer.
    local dictionary=()
    if [ -f "FuzzTesting/Dictionaries/$name.dict" ]; then
        dictionary=(-dict="FuzzTesting/Dictionaries/$name.dict")
    fi
    # shellcheck disable=SC2086  # SWIFTLET_FUZZ_OPTIONS holds several options
    "$binary" "$corpus" \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$failcases/" "${dictionary[@]}" ${SWIFTLET_FUZZ_OPTIONS:-} \
        >"$log" 2>&1 || rc=$?

    # libFuzzer's last status line ("#N DONE cov: C ft: F corp: …") and its final stats.
    local status runs execs coverage features units
    status="$(grep -E '^#[0-9]+' "$log" | grep -E ' cov: ' | tail -n 1 || true)"
    runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)"
    execs="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)"
    coverage="$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$status")"
    features="$(sed -nE 's/.* ft: ([0-9]+) .*/\1/p' <<<"$status")"
    units="$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$status")"
    local summary="fuzz: $name: ${seconds} s, ${runs:-?} runs, ${execs:-?} exec/s, cov ${coverage:-?}, ft ${features:-?}, corpus ${units:-?}"

    if [ "$rc" -ne 0 ]; then
        grep -vE '^(#[0-9]+|INFO:|MS:|base unit:|0x|\\x)' "$log" | tail -n 40 >&2
        echo "$summary: FAILED (exit code $rc); input in $failcases/:" >&2
        local artifact
        artifact="$(ls -t "$failcases" | head -n 1)"
        if [ -n "$artifact" ]; then
            echo "  $failcases/$artifact" >&2
            # On CI the file is gone with the machine: its bytes in the log can be saved back.
            if [ "$(wc -c <"$failcases/$artifact")" -le 4096 ]; then
                od -An -tx1 -v "$failcases/$artifact" >&2
            fi
        fi
    else
        echo "$summary: ok"
    fi
    if [ -z "${SWIFTLET_FUZZ_WORK_DIR:-}" ]; then
        rm -rf "$work"
    fi
    return "$rc"
}

command="${1:-}"
[ -n "$command" ] || usage
seconds="${2:-60}"
case "$seconds" in
'' | *[!0-9]*) usage ;;
esac

# Builds the product of every target.
build_all() {
    local products=() entry product
    for entry in "${targets[@]}"; do
        read -r _ product _ <<<"$entry"
        products+=("$product")
    done
    build "${products[@]}"
}

case "$command" in
list)
    for entry in "${targets[@]}"; do echo "${entry%% *}"; done
    ;;
build)
    build_all
    ;;
all)
    build_all
    # Every target runs even after one fails, so that one run reports everything it finds.
    failed=0
    for entry in "${targets[@]}"; do
        read -r name product max_len <<<"$entry"
        run "$name" "$product" "$max_len" "$seconds" || failed=$((failed + 1))
    done
    if [ "$failed" -gt 0 ]; then
        echo "fuzz: $failed of ${#targets[@]} targets failed" >&2
        exit 1
    fi
    echo "fuzz: ${#targets[@]} targets, ${seconds} s each, nothing found"
    ;;
*)
    read -r name product max_len <<<"$(target_entry "$command")"
    build "$product"
    run "$name" "$product" "$max_len" "$seconds"
    ;;
esac
