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
"""How fast one broker takes in one publisher's QoS 0 flood (issue 5: the cost of small receive
buffers).

Starts each broker given (Swiftlet executables) itself on loopback, and stops it by its PID. Per
run: one MQTT 3.1.1 publisher connects over TCP, then writes M QoS 0 PUBLISH packets of P payload
bytes to one topic nobody subscribes to, as fast as the socket takes them, then PINGREQ; the run
ends when PINGRESP arrives (the broker has read and routed everything before it). Reported: the
broker's CPU seconds (utime + stime from /proc/PID/stat) per million messages and the wall-clock
rate. Runs alternate between the brokers, R rounds, a fresh broker per run.

    python3 scripts/ingest-measure.py BROKER... [--messages 500000] [--payload 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + remaining_length(len(body)) + body


def start(path: str) -> tuple[subprocess.Popen, int]:
    argv = [path, "serve", "--mqtt", f"{HOST}:0", "--http", f"{HOST}:0", "--admin", "off", "--log-level", "notice"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    port: list[int] = []
    ready = threading.Event()

    def pump() -> None:
        for line in proc.stderr:
            m = re.search(r"listening mqtt on .*:(\d+)", line)
            if m:
                port.append(int(m.group(1)))
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(30) or not port:
        stop(proc)
        raise RuntimeError(f"{path} did not report its MQTT listener")
    return proc, port[0]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(path: str, flood: bytes, messages: int) -> tuple[float, float]:
    proc, port = start(path)
    try:
        s = socket.create_connection((HOST, port), timeout=120)
        connect = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(b"flood").to_bytes(2, "big") + b"flood"
        s.sendall(packet(0x10, connect))
        if s.recv(4)[:1] != b"\x20":
            raise RuntimeError("no CONNACK")
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        s.sendall(flood + b"\xc0\x00")   # PINGREQ behind the flood
        got = b""
        while not got.endswith(b"\xd0\x00"):
            chunk = s.recv(16)
            if not chunk:
                raise RuntimeError("closed")
            got += chunk
        seconds = time.monotonic() - t0
        cpu = cpu_seconds(proc.pid) - cpu0
        s.close()
        return cpu / messages * 1e6, messages / seconds
    finally:
        stop(proc)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("brokers", nargs="+", help="swiftlet executables (release builds)")
    ap.add_argument("--messages", type=int, default=500_000)
    ap.add_argument("--payload", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    topic = b"flood/room"
    publish = packet(0x30, len(topic).to_bytes(2, "big") + topic + b"x" * args.payload)
    flood = publish * args.messages
    results: dict[str, list[tuple[float, float]]] = {b: [] for b in args.brokers}
    for _ in range(args.rounds):
        for broker in args.brokers:
            results[broker].append(run(broker, flood, args.messages))
    print(f"{args.messages} QoS 0 PUBLISH of {len(publish)} bytes, no subscriber, {args.rounds} rounds (median).\n")
    print("| broker | broker CPU s per million messages | messages/s (wall) |")
    print("|---|---:|---:|")
    for broker, rows in results.items():
        cpu = statistics.median(r[0] for r in rows)
        rate = statistics.median(r[1] for r in rows)
        print(f"| {broker} | {cpu:.2f} | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
