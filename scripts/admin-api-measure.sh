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

# Admin API latency with N idle connections: starts a release broker on loopback, holds N idle
# MQTT connections with `swiftlet bench connections`, and times each read route ten times with
# curl (median and max). Bounded: the connections close after 25 s, the broker is stopped by PID.
#
#   N=10000 bash scripts/admin-api-measure.sh
#
# SCRATCH=.build-measure picks the build folder (release); the build is made if missing.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N="${N:-10000}"
SCRATCH="${SCRATCH:-.build}"
swift build -c release --scratch-path "$SCRATCH" --product swiftlet >/dev/null
BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/swiftlet"
TOKEN="measure-admin-token-$RANDOM$RANDOM"
MQTT_PORT="${MQTT_PORT:-19883}"
ADMIN_PORT="${ADMIN_PORT:-19083}"

"$BIN" serve --mqtt "127.0.0.1:$MQTT_PORT" --http off --admin "127.0.0.1:$ADMIN_PORT" --admin-token "$TOKEN" \
    --log-level warning &
broker=$!
trap 'kill "$broker" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$ADMIN_PORT/healthz" >/dev/null && break
    sleep 0.1
done
"$BIN" bench connections --port "$MQTT_PORT" --connections "$N" --duration 25 --warmup 1 --source-addresses 2 \
    >/dev/null &
bench=$!

sessions() {
    curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/api/v1/stats" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["sessions"]["total"])' 2>/dev/null || echo 0
}
for _ in $(seq 1 300); do
    [ "$(sessions)" -ge "$N" ] && break
    sleep 0.1
done
count="$(sessions)"
echo "sessions: $count"
[ "$count" -ge "$N" ] || { echo "only $count of $N connections: not measured" >&2; exit 1; }
for route in "/api/v1/stats" "/metrics" "/api/v1/clients?limit=1000" "/api/v1/rooms" "/api/v1/clients/nobody"; do
    for _ in $(seq 1 10); do
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT$route"
    done | sort -n | awk -v route="$route" '{a[NR] = $1} END {printf "%-28s median %.1f ms, max %.1f ms\n", route, a[int((NR + 1) / 2)] * 1000, a[NR] * 1000}'
done
wait "$bench" || true
