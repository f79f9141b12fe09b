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

# Runs the same `swiftlet bench` scenarios against Swiftlet (release build), NATS (Debian's
# nats-server, its MQTT and websocket listeners, JetStream on) and Mosquitto (Debian's, TCP and
# websockets listeners), one broker after the other, each freshly started on loopback ports, and
# prints every figure next to its ratio to the best of the three.
#
# Usage: scripts/bench-compare.sh [SCENARIO ...]
#   SCENARIO: fanout (TCP, QoS 0), fanout-ws (WebSocket + permessage-deflate offered, QoS 0),
#             fanout-qos1, ramp (fanout TCP QoS 0, rate ramp), chat (QoS 1), connections.
#   Default: fanout fanout-ws chat connections.
#   The targets of issue 5, one scenario each (fixed shapes; see docs/benchmarks.md):
#     room1k-ramp-tcp, room1k-ramp-ws   1 room × 1,000 subscribers, QoS 0, 64 B: highest rate at p99 ≤ 100 ms
#     room1k-10k                        the same at 10,000 deliveries/s: broker CPU per delivery
#     room10k-ramp-tcp, room10k-ramp-ws 1 room × 10,000 subscribers: highest rate at p99 ≤ 100 ms
#     room10k-1hz                       the same at 1 message/s: delivery latency
#     room1k-deflate-ramp               1 room × 1,000 over ws+deflate, 512 B messages
#     live                              1 room × 10,000 viewers, 40 B comments, LIVE_RATE/s (20);
#                                       Swiftlet with a 30 ms batch window (room policy sb/#), the others plain
#     chat200                           200 rooms × 50 subscribers, 200 publishers, QoS 1, 200 B, ramp
#     chat200-rate                      the same at one rate, CHAT200_RATE msg/s (500: issue 12's yardstick)
#     idle19k                           19,000 idle connections
#
# Environment (all optional):
#   BROKERS          which brokers, default "swiftlet nats mosquitto"
#   DURATION=10 WARMUP=2            seconds measured / warm-up per run (per step with ramp)
#   SUBSCRIBERS=1000 ROOMS=10 PUBLISHERS=10 RATE=2000 SIZE=128
#   RAMP=2000:2:512000              the ramp scenario's START:FACTOR:MAX
#   CHAT_ROOMS=400 CHAT_MEMBERS=2000 CHAT_RATE=2000
#   CHAT200_RATE=500                the chat200-rate scenario's message rate
#   CONNECTIONS=10000 SOURCE_ADDRESSES=4
#   BENCH_THREADS=1                 event loop threads of the load generator
#   SCRATCH=.build                  swift build --scratch-path for the release build
#   CSV=bench-compare.csv           where the rows go (appended)
#
# Installs mosquitto and nats-server with apt-get if they are missing (apt-get update first).
# Starts every broker itself and stops only those, by PID, on exit. Loopback only.

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BROKERS=${BROKERS:-"swiftlet nats mosquitto"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
ROOMS=${ROOMS:-10}
PUBLISHERS=${PUBLISHERS:-10}
RATE=${RATE:-2000}
SIZE=${SIZE:-128}
RAMP=${RAMP:-2000:2:512000}
CHAT_ROOMS=${CHAT_ROOMS:-400}
CHAT_MEMBERS=${CHAT_MEMBERS:-2000}
CHAT_RATE=${CHAT_RATE:-2000}
CONNECTIONS=${CONNECTIONS:-10000}
LIVE_RATE=${LIVE_RATE:-20}
CHAT200_RATE=${CHAT200_RATE:-500}
SOURCE_ADDRESSES=${SOURCE_ADDRESSES:-4}
BENCH_THREADS=${BENCH_THREADS:-1}
SCRATCH=${SCRATCH:-.build}
CSV=${CSV:-bench-compare.csv}
HOST=127.0.0.1

if [ $# -gt 0 ]; then SCENARIOS=("$@"); else SCENARIOS=(fanout fanout-ws chat connections); fi

# --- tools -------------------------------------------------------------------------------------

need_install=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_install+=(mosquitto)
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_install+=(nats-server)
if [ ${#need_install[@]} -gt 0 ]; then
    echo "installing ${need_install[*]} (Debian packages)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)

echo "building swiftlet (release, scratch path $SCRATCH)" >&2
swift build -c release --scratch-path "$SCRATCH" --product swiftlet >&2
SWIFTLET="$SCRATCH/release/swiftlet"

# Brokers inherit the raised limit of open files (the bench raises its own too).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
BROKER_PID=""
stop_broker() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -TERM "$BROKER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
    fi
    BROKER_PID=""
}
cleanup() {
    stop_broker
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# N distinct free loopback ports: all sockets stay bound until every port is chosen, so the same
# port is never handed out twice.
free_ports() {
    python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()' "$1"
}

wait_port() {
    local port=$1
    for _ in $(seq 1 200); do
        if ! kill -0 "$BROKER_PID" 2>/dev/null; then
            echo "broker exited before listening on $port; its log:" >&2
            tail -20 "$WORK/broker.log" >&2
            return 1
        fi
        if (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "broker did not listen on $port within 10 s" >&2
    return 1
}

# Starts $1 on fresh ports (for scenario $2); sets BROKER_PID, MQTT_PORT and WS_PORT.
start_broker() {
    local kind=$1 scenario=${2:-} client_port extra
    read -r MQTT_PORT WS_PORT client_port <<<"$(free_ports 3)"
    case "$kind" in
    swiftlet)
        # The live room gets its batch window (bench topics are sb/RUN/ROOM).
        extra=()
        if [ "$scenario" = live ]; then extra=(--room "sb/# batch_ms=30"); fi
        "$SWIFTLET" serve --mqtt "$HOST:$MQTT_PORT" --http "$HOST:$WS_PORT" --admin off --log-level warning "${extra[@]}" \
            >"$WORK/broker.log" 2>&1 &
        ;;
    nats)
        rm -rf "$WORK/jetstream"
        cat >"$WORK/nats.conf" <<CONF
listen: "$HOST:$client_port"
server_name: bench_compare
jetstream { store_dir: "$WORK/jetstream" }
mqtt { listen: "$HOST:$MQTT_PORT" }
websocket { listen: "$HOST:$WS_PORT", no_tls: true, compression: true }
CONF
        "$NATS" -c "$WORK/nats.conf" >"$WORK/broker.log" 2>&1 &
        ;;
    mosquitto)
        cat >"$WORK/mosquitto.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence false
max_queued_messages 1000000
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
listener $MQTT_PORT $HOST
protocol mqtt
listener $WS_PORT $HOST
protocol websockets
CONF
        "$MOSQUITTO" -c "$WORK/mosquitto.conf" >"$WORK/broker.log" 2>&1 &
        ;;
    *)
        echo "unknown broker $kind" >&2
        return 1
        ;;
    esac
    BROKER_PID=$!
    wait_port "$MQTT_PORT"
    wait_port "$WS_PORT"
}

# The bench arguments of a scenario, for the broker started last.
scenario_args() {
    local common=(--duration "$DURATION" --warmup "$WARMUP" --threads "$BENCH_THREADS"
        --source-addresses "$SOURCE_ADDRESSES" --broker-pid "$BROKER_PID" --csv "$CSV")
    local fanout=(--subscribers "$SUBSCRIBERS" --rooms "$ROOMS" --publishers "$PUBLISHERS" --size "$SIZE")
    case "$1" in
    fanout) echo fanout --url "mqtt://$HOST:$MQTT_PORT" "${fanout[@]}" --rate "$RATE" --qos 0 "${common[@]}" ;;
    fanout-qos1) echo fanout --url "mqtt://$HOST:$MQTT_PORT" "${fanout[@]}" --rate "$RATE" --qos 1 "${common[@]}" ;;
    fanout-ws) echo fanout --url "ws+deflate://$HOST:$WS_PORT/mqtt" "${fanout[@]}" --rate "$RATE" --qos 0 "${common[@]}" ;;
    ramp) echo fanout --url "mqtt://$HOST:$MQTT_PORT" "${fanout[@]}" --ramp "$RAMP" --qos 0 "${common[@]}" ;;
    chat) echo chat --url "mqtt://$HOST:$MQTT_PORT" --rooms "$CHAT_ROOMS" --subscribers "$CHAT_MEMBERS" \
        --rate "$CHAT_RATE" --qos 1 "${common[@]}" ;;
    connections) echo connections --url "mqtt://$HOST:$MQTT_PORT" --connections "$CONNECTIONS" "${common[@]}" ;;
    # The targets of issue 5.
    room1k-ramp-tcp) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 1000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --ramp 20:2:5120 "${common[@]}" ;;
    room1k-ramp-ws) echo fanout --url "ws://$HOST:$WS_PORT/mqtt" --subscribers 1000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --ramp 20:2:5120 "${common[@]}" ;;
    room1k-10k) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 1000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --rate 10 "${common[@]}" ;;
    room10k-ramp-tcp) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 10000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --ramp 2:2:512 "${common[@]}" ;;
    room10k-ramp-ws) echo fanout --url "ws://$HOST:$WS_PORT/mqtt" --subscribers 10000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --ramp 2:2:512 "${common[@]}" ;;
    room10k-1hz) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 10000 --rooms 1 --publishers 1 \
        --size 64 --qos 0 --rate 1 "${common[@]}" ;;
    room1k-deflate-ramp) echo fanout --url "ws+deflate://$HOST:$WS_PORT/mqtt" --subscribers 1000 --rooms 1 \
        --publishers 1 --size 512 --qos 0 --ramp 20:2:5120 "${common[@]}" ;;
    live) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 10000 --rooms 1 --publishers 20 \
        --size 40 --qos 0 --rate "$LIVE_RATE" "${common[@]}" ;;
    chat200) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 10000 --rooms 200 --publishers 200 \
        --size 200 --qos 1 --ramp 250:2:16000 "${common[@]}" ;;
    chat200-rate) echo fanout --url "mqtt://$HOST:$MQTT_PORT" --subscribers 10000 --rooms 200 --publishers 200 \
        --size 200 --qos 1 --rate "$CHAT200_RATE" "${common[@]}" ;;
    idle19k) echo connections --url "mqtt://$HOST:$MQTT_PORT" --connections 19000 "${common[@]}" ;;
    *) echo "unknown scenario $1" >&2; return 1 ;;
    esac
}

first_row=$(($( [ -f "$CSV" ] && wc -l <"$CSV" || echo 0 ) + 1))
for scenario in "${SCENARIOS[@]}"; do
    for broker in $BROKERS; do
        echo "== $scenario on $broker" >&2
        start_broker "$broker" "$scenario"
        # shellcheck disable=SC2046
        "$SWIFTLET" bench $(scenario_args "$scenario") --label "$broker" || echo "($scenario on $broker failed)" >&2
        stop_broker
    done
done

# --- the table -----------------------------------------------------------------------------------

python3 - "$CSV" "$first_row" <<'PY'
import csv, sys
path, first = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    rows = list(csv.DictReader(f))
rows = rows[max(0, first - 2):]  # this run's rows (the header is line 1)
# figure, column, higher is better
figures = [
    ("deliveries/s", "deliveries_per_s", True), ("loss %", "loss_pct", False),
    ("p50 µs", "p50_us", False), ("p99 µs", "p99_us", False), ("p999 µs", "p999_us", False),
    ("max µs", "max_us", False), ("connects/s", "connects_per_s", True),
    ("broker CPU µs/delivery", "broker_cpu_us_per_delivery", False), ("broker RSS KiB", "broker_rss_kib", False),
    ("RSS KiB/conn", "rss_per_conn_kib", False),
]
def key(r):
    return (r["scenario"], r["transport"], r["qos"], r["step"])
groups = {}
for r in rows:
    groups.setdefault(key(r), []).append(r)
for k, members in groups.items():
    scenario, transport, qos, step = k
    title = f"{scenario} {transport} qos{qos}" + (f" step {step} ({members[0]['target_rate']}/s)" if step != "0" else "")
    print(f"\n### {title}\n")
    brokers = [m["broker"] for m in members]
    print("| figure | " + " | ".join(brokers) + " |")
    print("|---|" + "---:|" * len(brokers))
    for name, col, higher in figures:
        if scenario == "connections" and col == "loss_pct":
            continue
        values = []
        for m in members:
            try:
                values.append(float(m[col]))
            except (KeyError, ValueError):
                values.append(None)
        present = [v for v in values if v is not None]
        if not present or all(v == 0 for v in present) and col not in ("loss_pct",):
            continue
        best = max(present) if higher else min(present)
        cells = []
        for v in values:
            if v is None:
                cells.append("—")
            elif best == 0:
                cells.append(f"{v:g} (best)" if v == 0 else f"{v:g}")
            else:
                ratio = v / best
                cells.append(f"{v:g} (×{ratio:.2f})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    extra = [f"{m['broker']}: sent {m['sent']}, expected {m['expected']}, received {m['received']}, "
             f"connected {m['connected']}/{m['connections']}, deflate {m['deflate_accepted']}"
             + (f", {m['verdict']}" if m.get('verdict') else "") for m in members]
    print("\n" + "; ".join(extra))
PY
