#!/usr/bin/env python3
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
"""Does the memory of a spike go back to the system? (memory-trim-interval, MemoryTrimmer)

Starts every broker it measures itself, on loopback only, and stops each one (by its PID) when
done. Every wait is bounded; the whole run stops by itself.

For each variant a fresh broker (the release binary), then R rounds (default 3) of:

1. S persistent subscribers (paho-mqtt, MQTT 3.1.1, clean session 0, QoS 1 on one topic) that
   never read after their SUBACK: the broker queues what they cannot take. VmRSS from
   /proc/PID/status once settled: "before".
2. One publisher sends M messages of B bytes at QoS 1 to that topic and waits for every PUBACK.
   VmRSS is sampled every 0.1 s from the first publish until the subscribers' sessions are gone;
   the highest reading is "peak".
3. Each subscriber's socket is closed, and the same client ID connects again with clean session
   1 and disconnects: the broker drops the old session and the messages queued for it. VmRSS
   is then read every second for A seconds (default 30); "after" is the last reading, and
   "below half-way after" says when it first fell below half of the way from peak to before.
4. The broker's /metrics: swiftlet_memory_trims_total and swiftlet_memory_trim_released_bytes_total.

Why rounds: glibc serves the first spike's 1 MB payloads with mmap (its mmap threshold starts at
128 KiB) and unmaps them when they are freed, which gives the memory back at once. Freeing such
a chunk raises the threshold to its size (glibc's dynamic mmap threshold, up to 32 MiB), so from
the second spike on the payloads come from malloc's arenas, and stay there when freed. That is
the state of any broker that has been running for a while.

Variants (--variants, comma-separated): `trim` (the default memory-trim-interval), `off`
(--memory-trim-interval 0), `arena2` (MALLOC_ARENA_MAX=2, trimmer off) and `arena2+trim`.

Prints a Markdown table on stdout.

    python3 scripts/memory-spike.py --broker .build/release/swiftlet
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import paho.mqtt.client as mqtt

from measure_common import HOST, free_port, settled_rss, wait_port

TOPIC = "spike/queue"
SETTLE_MAX = 10.0        # seconds to wait for RSS to stop moving before the spike
STEP_TIMEOUT = 120.0     # for connecting, subscribing, publishing everything

VARIANTS = {
    "trim": ([], {}),
    "off": (["--memory-trim-interval", "0"], {}),
    "arena2": (["--memory-trim-interval", "0"], {"MALLOC_ARENA_MAX": "2"}),
    "arena2+trim": ([], {"MALLOC_ARENA_MAX": "2"}),
}


class Broker:
    def __init__(self, binary: str, flags: list[str], env: dict[str, str]):
        self.mqtt_port = free_port()
        self.admin_port = free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [binary, "serve", "--mqtt", f"{HOST}:{self.mqtt_port}", "--http", "off",
             "--admin", f"{HOST}:{self.admin_port}", "--log-level", "debug", *flags],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
            env={**os.environ, **env})
        wait_port(self.mqtt_port, self.proc)

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def metrics(self) -> dict[str, float]:
        with urllib.request.urlopen(f"http://{HOST}:{self.admin_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        values = {}
        for line in text.splitlines():
            match = re.match(r"^(swiftlet_memory_\w+) (\S+)$", line)
            if match:
                values[match.group(1)] = float(match.group(2))
        return values

    def trim_lines(self) -> list[str]:
        self.log.seek(0)
        return [line for line in self.log.read().decode(errors="replace").splitlines()
                if "returned free memory to the system" in line]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def wait_until(predicate, what: str, timeout: float = STEP_TIMEOUT, step=None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        if step:
            step()
        else:
            time.sleep(0.01)


def stalled_subscriber(port: int, client_id: str) -> mqtt.Client:
    """Connects and subscribes, driving the network loop by hand, then never calls it again:
    the broker's writes to it pile up in the socket, then in its session queue."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                         protocol=mqtt.MQTTv311)
    state = {"connected": False, "subscribed": False}
    client.on_connect = lambda c, u, f, rc, p: state.update(connected=rc == 0)
    client.on_subscribe = lambda c, u, mid, rcs, p: state.update(subscribed=True)
    client.connect(HOST, port, keepalive=600)
    wait_until(lambda: state["connected"], f"{client_id} CONNACK", step=lambda: client.loop(0.05))
    client.subscribe(TOPIC, qos=1)
    wait_until(lambda: state["subscribed"], f"{client_id} SUBACK", step=lambda: client.loop(0.05))
    return client


def drop_session(port: int, client_id: str) -> None:
    """Clean session 1 with the same client ID: the broker discards the old session (MQTT 3.1.1
    §3.1.2.4) and with it the messages queued for it."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True,
                         protocol=mqtt.MQTTv311)
    connected = threading.Event()
    client.on_connect = lambda c, u, f, rc, p: connected.set()
    client.connect(HOST, port)
    client.loop_start()
    if not connected.wait(STEP_TIMEOUT):
        raise TimeoutError(f"{client_id} clean CONNACK")
    client.disconnect()
    client.loop_stop()


def spike(broker: Broker, subscribers: int, messages: int, size: int, after: int) -> dict:
    """One round: stalled subscribers, the publishes, the sessions dropped, then A seconds."""
    subs = [stalled_subscriber(broker.mqtt_port, f"spike-sub-{i}") for i in range(subscribers)]
    before = settled_rss(broker, SETTLE_MAX)

    peak = [before]
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.1):
            peak[0] = max(peak[0], broker.rss_kib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="spike-pub", protocol=mqtt.MQTTv311)
    publisher.connect(HOST, broker.mqtt_port)
    publisher.loop_start()
    payload = os.urandom(size)
    started = time.monotonic()
    infos = [publisher.publish(TOPIC, payload, qos=1) for _ in range(messages)]
    for info in infos:
        info.wait_for_publish(STEP_TIMEOUT)
        if not info.is_published():
            raise TimeoutError("PUBACK")
    published = time.monotonic() - started
    publisher.disconnect()
    publisher.loop_stop()
    peak[0] = max(peak[0], broker.rss_kib())

    for i, sub in enumerate(subs):
        sub.socket().close()
        drop_session(broker.mqtt_port, f"spike-sub-{i}")
    sampling.set()
    sampler.join()
    freed_at = time.monotonic()

    half = before + (peak[0] - before) / 2
    first_fall = None
    rss = broker.rss_kib()
    for second in range(1, after + 1):
        time.sleep(max(0.0, freed_at + second - time.monotonic()))
        rss = broker.rss_kib()
        if first_fall is None and rss < half:
            first_fall = second
    metrics = broker.metrics()
    return {
        "before": before, "peak": peak[0], "after": rss, "first_fall": first_fall, "published_s": published,
        "trims": int(metrics.get("swiftlet_memory_trims_total", 0)),
        "released": int(metrics.get("swiftlet_memory_trim_released_bytes_total", 0)),
    }


def measure(binary: str, variant: str, rounds: int, subscribers: int, messages: int, size: int,
            after: int) -> list[dict]:
    flags, env = VARIANTS[variant]
    broker = Broker(binary, flags, env)
    try:
        rows = []
        for number in range(1, rounds + 1):
            row = spike(broker, subscribers, messages, size, after)
            row.update(variant=variant, round=number)
            rows.append(row)
        for line in broker.trim_lines():
            print(f"# {variant}: {line}", file=sys.stderr)
        return rows
    finally:
        broker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", default=".build/release/swiftlet", help="the swiftlet binary")
    parser.add_argument("--variants", default="trim,off,arena2,arena2+trim")
    parser.add_argument("--subscribers", type=int, default=3)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--size", type=int, default=1_000_000, help="payload bytes")
    parser.add_argument("--after", type=int, default=30, help="seconds to watch after the sessions are dropped")
    parser.add_argument("--rounds", type=int, default=3, help="spikes per broker, one after the other")
    args = parser.parse_args()

    rows = []
    for variant in args.variants.split(","):
        if variant not in VARIANTS:
            sys.exit(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
        rows += measure(args.broker, variant, args.rounds, args.subscribers, args.messages, args.size, args.after)

    mib = 1024
    print(f"{args.subscribers} stalled persistent QoS 1 subscribers, {args.messages} × {args.size:,} B QoS 1, "
          f"then their sessions dropped; {args.rounds} rounds per broker; VmRSS in MiB")
    print()
    print(f"| variant | round | before | peak | after ({args.after} s) | below half-way after | "
          "malloc_trim calls so far | released so far (MiB) | publish time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        fall = f"{r['first_fall']} s" if r["first_fall"] is not None else "never"
        print(f"| {r['variant']} | {r['round']} | {r['before'] / mib:.0f} | {r['peak'] / mib:.0f} | "
              f"{r['after'] / mib:.0f} | {fall} | {r['trims']} | {r['released'] / (1 << 20):.0f} | "
              f"{r['published_s']:.1f} |")


if __name__ == "__main__":
    main()
