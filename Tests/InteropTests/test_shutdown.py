#===----------------------------------------------------------------------===//
#
# This source file is part of the Swiftlet open source project
#
# Copyright (c) 2026 the Swiftlet authors
# Licensed under Apache License v2.0
#
# SPDX-License-Identifier: Apache-2.0
#
#===----------------------------------------------------------------------===//
"""Process lifecycle: clean shutdown on SIGTERM / SIGINT, what connected clients see,
the listening log line."""

import signal
import socket
import time

import pytest

import wire
from helpers import V311, V5, unique


SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]


@pytest.mark.parametrize("signum", SIGNALS)
def test_signal_shuts_down_cleanly_with_exit_code_0(broker, signum):
    # Contract: SIGTERM/SIGINT → clean shutdown, exit code 0, in bounded time; every
    # client connection is closed (3.x clients see only the close).
    v5 = broker.raw_connected(unique("v5"), V5)
    v311 = broker.raw_connected(unique("v311"), V311)
    started = time.monotonic()
    assert broker.signal(signum) == 0
    assert time.monotonic() - started < 5.0
    for pkt in v5.wait_closed():
        assert pkt.type == wire.DISCONNECT, f"unexpected {pkt!r}"
    assert v311.wait_closed() == []


@pytest.mark.swiftlet_only  # the spec allows a plain close; Swiftlet's contract says 0x8B
@pytest.mark.parametrize("signum", SIGNALS)
def test_v5_clients_get_server_shutting_down(broker, signum):
    # Contract with 4.13 / 3.14.2.1 (5.0): connected MQTT 5 clients get DISCONNECT 0x8B
    # (Server shutting down) before the socket closes.
    v5 = broker.raw_connected(unique("v5"), V5)
    assert broker.signal(signum) == 0
    seen = v5.wait_closed()
    assert [(p.type, p.reason) for p in seen] == [(wire.DISCONNECT, wire.SERVER_SHUTTING_DOWN)], seen


@pytest.mark.swiftlet_only
def test_paho_sees_server_shutting_down(broker):
    # Contract, 3.14.2.1 (5.0): a real client library reports reason 0x8B.
    c = broker.client(V5)
    assert broker.signal(signal.SIGTERM) == 0
    reason, _ = c.wait_disconnected()
    assert reason == wire.SERVER_SHUTTING_DOWN


def test_shutdown_under_load_is_prompt(broker):
    # Contract: shutdown stays clean (exit 0, bounded time) with traffic in flight and
    # a client that stopped reading.
    stuck = broker.raw(V311, rcvbuf=4096)
    stuck.connected(unique("stuck"))
    stuck.subscribe("load/#", 1)
    subs = [broker.client(V5) for _ in range(5)]
    for s in subs:
        s.subscribe("load/#", 1)
    pub = broker.client(V5)
    for i in range(300):
        pub.publish(f"load/{i % 7}", b"z" * 2000, qos=i % 3, wait=False)
    started = time.monotonic()
    assert broker.signal(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5.0


def test_listener_is_gone_after_shutdown(broker):
    # Contract: after a clean exit nothing listens on the port any more.
    port = broker.port
    assert broker.signal(signal.SIGTERM) == 0
    with socket.socket() as s:
        s.settimeout(2)
        with pytest.raises(OSError):
            s.connect(("127.0.0.1", port))


@pytest.mark.swiftlet_only
def test_listening_line_reports_the_real_port(broker):
    # Contract: the log line "listening mqtt on 127.0.0.1:<port>" names the bound port
    # (the suite starts with port 0), and the port speaks MQTT.
    line = broker.wait_for_log(r"listening mqtt on 127\.0\.0\.1:\d+")
    assert f"127.0.0.1:{broker.port}" in line and broker.port != 0
    assert broker.raw(V5).connect(unique("port")).reason == 0


@pytest.mark.swiftlet_only
def test_anonymous_access_is_announced_loudly(broker):
    # DESIGN §1: with no authentication configured, anonymous access is allowed "with a
    # loud log line saying so".
    broker.wait_for_log(r"(?i)anonymous")
