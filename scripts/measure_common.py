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
"""What the measurement scripts (conn-measure.py, ws-measure.py) share: MQTT's remaining length,
loopback ports, and a settled RSS reading. Imported from the scripts' own folder."""

from __future__ import annotations

import socket
import subprocess
import time

HOST = "127.0.0.1"


def remaining_length(n: int) -> bytes:
    """MQTT's Variable Byte Integer (MQTT 5 §1.5.5)."""
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("broker exited")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} never opened")


def settled_rss(broker, limit: float) -> int:
    """VmRSS of `broker` (anything with rss_kib()) once two readings 0.5 s apart differ by less than
    64 KiB, or after `limit` seconds."""
    deadline = time.monotonic() + limit
    last = broker.rss_kib()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = broker.rss_kib()
        if abs(now - last) < 64:
            return now
        last = now
    return last
