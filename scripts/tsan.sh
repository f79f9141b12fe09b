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

# ThreadSanitizer over the Swift tests that start real servers (issue 14): the broker, the HTTP
# and admin listeners, the client and the cloud SDK on real sockets and several event loops, where
# a data race between loops (or between a loop and NIO's thread pool) would show. The unit tests on
# EmbeddedChannel run on one thread and have nothing to race.
#
# Its own scratch path (.build-tsan): a TSan build shares nothing with the debug build (the first
# build takes ~15 minutes on 2 cores, which is why it is not part of scripts/test.sh). Any report
# fails the run (halt_on_error=1) and names both stacks; scripts/tsan-suppressions.txt lists the
# reports known not to be races in Swiftlet, each with its reason.
#
# Left out, for timing rather than threads: `glibcTrim` (TSan replaces malloc, so glibc's
# malloc_trim has nothing to give back) and StaticFileHandlerTests' `slowloris` (a 300 ms head
# timeout that TSan's slowdown can pass before the test's first write).
#
#   bash scripts/tsan.sh            # build and run the real-socket suites
#   bash scripts/tsan.sh FILTER     # another --filter

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

filter="${1:-BrokerServerTests|ClientRoundTripTests|TokenRevocationSocketTests|StaticFileHandlerTests|MemoryTrimmerTests|CloudAdminTests|CloudClientTests|CloudTLSTests}"

swift build --build-tests --sanitize=thread --scratch-path .build-tsan
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan-suppressions.txt ${TSAN_OPTIONS:-}" \
    swift test --skip-build --sanitize=thread --scratch-path .build-tsan --filter "$filter" \
    --skip 'glibcTrim|StaticFileHandlerTests.*slowloris'
