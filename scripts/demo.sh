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

# The demo in one command: builds (release), then runs the broker in token mode with a live-room
# policy and the admin API, and the chat backend with history, a banned-word list and presence.
# Open the printed address in two browser windows. Ctrl-C stops both (by their PIDs).
#
#   bash scripts/demo.sh                 # http://127.0.0.1:8080/
#   HTTP_PORT=9080 bash scripts/demo.sh  # other ports: MQTT_PORT, HTTP_PORT, ADMIN_PORT, BACKEND_PORT
#   DEMO_HOST=0.0.0.0 bash scripts/demo.sh  # let phones on your network open http://<this machine>:8080/
#
# Secrets are generated for each run into .demo/ (not committed); chat history stays in
# .demo/chat-history.sqlite across runs. BIN_DIR=path skips the build (the tests use it).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

MQTT_PORT="${MQTT_PORT:-1883}"
HTTP_PORT="${HTTP_PORT:-8080}"
ADMIN_PORT="${ADMIN_PORT:-18083}"
BACKEND_PORT="${BACKEND_PORT:-8090}"
HOST="${DEMO_HOST:-127.0.0.1}"
STATE="${DEMO_STATE:-.demo}"

if [ -z "${BIN_DIR:-}" ]; then
    swift build -c release --product swiftlet
    swift build -c release --product chat-backend
    BIN_DIR="$(swift build -c release --show-bin-path)"
fi

mkdir -p "$STATE"
secret() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }
BACKEND_SECRET="$(secret)"
ADMIN_TOKEN="$(secret)"
cat >"$STATE/swiftlet.yaml" <<EOF
# Written by scripts/demo.sh for one run.
mqtt: ${HOST}:${MQTT_PORT}
http: ${HOST}:${HTTP_PORT}
admin: 127.0.0.1:${ADMIN_PORT}
admin-token: ${ADMIN_TOKEN}
web-root: $(pwd)/web-demo
allow-anonymous: false
instance-id: demo
access-keys:
  - id: demo-backend
    secret: ${BACKEND_SECRET}
    role: cloud
  - id: demo-web
    secret: $(secret)
    role: device
rooms:
  - match: "live/#"
    batch_ms: 30
    rate_limit: 500/s
    overflow: drop_oldest
    client_rate_limit: 5/s
EOF
chmod 600 "$STATE/swiftlet.yaml"
[ -f "$STATE/banned-words.txt" ] || printf '# one word per line\nspam\nscam\n' >"$STATE/banned-words.txt"

pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$BIN_DIR/swiftlet" serve --config "$STATE/swiftlet.yaml" &
pids+=($!)

# The SDK does not retry a first connection that fails: start the backend once the broker listens.
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/${MQTT_PORT}") 2>/dev/null; then break; fi
    sleep 0.1
done

SWIFTLET_SECRET_KEY="$BACKEND_SECRET" "$BIN_DIR/chat-backend" \
    --broker "127.0.0.1:${MQTT_PORT}" --admin "127.0.0.1:${ADMIN_PORT}" \
    --access-key-id demo-backend --instance-id demo --device-access-key-id demo-web \
    --listen "${HOST}:${BACKEND_PORT}" --database "$STATE/chat-history.sqlite" \
    --banned-words "$STATE/banned-words.txt" \
    --announce "Welcome to the Swiftlet demo! Be nice; 'spam' is filtered." --announce-every 600 &
pids+=($!)

# A token for scripts/demo-crowd.py (the broker refuses anonymous clients): its viewers and
# commenters may read and write the live rooms for an hour.
crowd_password="$(curl -sf -X POST "http://127.0.0.1:${ADMIN_PORT}/api/v1/tokens" \
    -H "Authorization: Bearer ${ADMIN_TOKEN}" -H 'Content-Type: application/json' \
    -d '{"accessKeyId":"demo-web","filters":["live/+"],"actions":"RW","expiresIn":3600}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["password"])' || true)"

echo
shown_host="$HOST"
[ "$shown_host" = "0.0.0.0" ] && shown_host="$(hostname -I 2>/dev/null | cut -d' ' -f1)"
echo "  Swiftlet demo: open http://${shown_host:-127.0.0.1}:${HTTP_PORT}/ in two browser windows."
if [ -n "$crowd_password" ]; then
    echo "  A crowd for the live room (pick room 'lobby' and the Live tab):"
    echo "    python3 scripts/demo-crowd.py --port ${MQTT_PORT} --room lobby --username 'Token|demo-web|demo' --password '${crowd_password}'"
fi
echo "  Ctrl-C stops the demo."
echo
# Until one of them stops (or Ctrl-C); a loop rather than `wait -n`, which needs bash 4.3.
while kill -0 "${pids[0]}" 2>/dev/null && kill -0 "${pids[1]}" 2>/dev/null; do
    sleep 1
done
