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
"""Memory bounds (issue 11): small-scale versions of the attacks in scripts/memory-attacks.py.

Each attack runs against a broker of its own while a canary (an MQTT 5 client publishing QoS 1 to
its own topic and waiting for each message to come back) keeps making round trips, a prober opens
a fresh connection every half second and times its CONNACK, and a thread samples the broker's
VmRSS (/proc/PID/status) at 20 Hz. What is asserted:

- read pausing and the write-stall timeout (`--max-outbound-bytes`, `--write-stall-timeout`): a
  client that floods PINGREQs or QoS 1 PUBLISHes (plain TCP) or permessage-deflate bombs made of
  PINGREQs (WebSocket) and never reads is closed a few seconds after its writes stop being taken
  (MQTT 5: DISCONNECT 0x97 may precede the close; 3.1.1: never a DISCONNECT), the broker's memory
  stays bounded, the canary's round trips and the fresh clients' CONNACKs stay short;
- `--max-queued-bytes`: a slow QoS 1 subscriber holds at most that many bytes of messages;
- `--max-queued-bytes-total`: when the broker-wide budget is full the oldest queued messages go,
  publishers still get PUBACK 0x00, a resumed session gets the newest messages in order;
- `--max-sessions`: one persistent session too many is refused (0x97 / return code 3), resuming
  and clean sessions are not;
- HTTP/1.1 requests without a Host header get 400, on the HTTP and on the admin listener.

Everything is bounded in bytes and time; sockets are closed in finally blocks and the broker is
stopped by the fixture (by its PID).
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import time

import pytest

import wire
from attack import (MIB, Flood, Observed, attacker_socket, broker_side_state, deflate_message, describe,
                    mqtt_connected, mqtt_tally, repeated, ws_connect_deflate, ws_frame, ws_tally)
from test_tls import dev_cert, tls_flags  # noqa: F401 (dev_cert is a fixture)
from helpers import V311, V5, unique

pytestmark = pytest.mark.swiftlet_only


# Bounds shared by the attack tests, and why.
#
# RSS growth (peak during the attack minus a settled reading before it, canary connected): 32 MiB.
# A paused connection may hold its unflushed output (--max-outbound-bytes, 64 KiB here), one
# socket read (64 KiB), one inflated WebSocket message (at most 1 MiB) and what its session holds,
# i.e. a few MiB; the lead's work-in-progress debug build grew by 0.2-0.5 MiB under the TCP floods
# and 1.2-2.4 MiB under the bomb and the slow subscriber, so 32 MiB is more than 10x that, for
# malloc arenas and other machines. The unfixed broker (release build) grew by 139 MiB in the
# bomb test, by 96 MiB in the slow-subscriber test, and, at the default
# --max-outbound-bytes, by ~90 MiB per TCP flood (docs/security.md).
RSS_GROWTH_LIMIT = 32 * MIB
# Canary: the longest QoS 1 round trip of an already connected client, and the longest CONNECT →
# CONNACK of a fresh one, during an attack, all on the attacker's event loop (--threads 1 below).
# Measured with the work-in-progress debug build on the 2-core development machine (2026-12-07,
# five runs of the three TCP floods): the worst round trip of a run 102-371 ms, the worst CONNACK
# 68-350 ms (371 and 350 while a build shared the machine, otherwise below 180). 1 s is ~2.7x
# the worst: a debug build on a busy CI machine must not fail it, while the unfixed
# broker's event loop stalled for seconds per bomb message (canary 1.8 s in the bomb test; a fresh
# client waited 5.4 s in scripts/memory-attacks.py, 11-18 s in issue 11).
CANARY_MAX_MS = 1000.0
# The flood tests run the broker with a 2 s write-stall timeout; the close must follow the
# attacker's last accepted write within that plus scheduling slack on a busy 2-core machine.
STALL_TIMEOUT = 2
CLOSE_WITHIN = STALL_TIMEOUT + 8.0
# One event loop: the attacker, the canary and the fresh-CONNACK probes all share it, the strictest
# case for fairness. With more loops the canary may sit on a loop the attacker does not touch and
# see nothing (fresh clients, spread round-robin, would still wait on the attacker's loop).
FLOOD_FLAGS = ("--threads", "1", "--max-outbound-bytes", "65536", "--write-stall-timeout", str(STALL_TIMEOUT))


def observed(broker) -> Observed:
    """The canary and the RSS sampler with this file's bounds."""
    return Observed(broker, rss_limit=RSS_GROWTH_LIMIT, canary_limit_ms=CANARY_MAX_MS)


# ---------------------------------------------------------------------------
# TCP floods: PINGREQs and QoS 1 PUBLISHes, never reading


FLOOD_BUDGET = 48 * MIB   # far beyond what the broker may buffer for one paused connection

FLOODS = {
    # 256 KiB of PINGREQs per write; each is answered by a PINGRESP.
    "pingreq": lambda version: wire.pingreq() * (128 * 1024),
    # 4096 QoS 1 PUBLISHes (22 bytes each for MQTT 5) to a topic nobody subscribes to; each is
    # answered by a PUBACK (0x10, no matching subscribers, for MQTT 5).
    "qos1-publish": lambda version: b"".join(
        wire.publish("flood/x", b"12345678", qos=1, pid=pid, version=version) for pid in range(1, 4097)),
}


@pytest.mark.parametrize("kind, version", [("pingreq", V5), ("pingreq", V311), ("qos1-publish", V5)],
                         ids=["pingreq-v5", "pingreq-v311", "qos1-publish-v5"])
def test_flood_without_reading_is_paused_then_closed(broker_factory, kind, version):
    """Issue 11: a client that sends PINGREQs (or QoS 1 PUBLISHes) and never reads made the
    broker buffer every answer (53-72 MB of RSS for 6.6 MiB sent). Now the broker stops reading a
    connection whose unflushed output passed --max-outbound-bytes, and closes it once it stayed
    unwritable for --write-stall-timeout: MQTT 5 with DISCONNECT 0x97 first (which a client that
    does not read may never see), 3.1.1 without any DISCONNECT."""
    b = broker_factory(*FLOOD_FLAGS)
    sock = attacker_socket(b.port)
    try:
        mqtt_connected(sock, version)
        with observed(b) as o:
            flood = Flood(sock, repeated(FLOODS[kind](version), FLOOD_BUDGET))
            closed_after = flood.wait_closed(CLOSE_WITHIN)
        assert closed_after is not None, (
            f"the attacker is still open {CLOSE_WITHIN:.0f} s after its last accepted write "
            f"({flood.sent / MIB:.1f} MiB written, {flood.outcome})")
        rest, ended = flood.read_rest()
        assert ended, f"the broker's end is closed but reading gave {len(rest):,} bytes and no EOF"
        counts, disconnects = mqtt_tally(rest)
        if version == V5:
            assert all(r == wire.QUOTA_EXCEEDED for r in disconnects), f"DISCONNECT reasons {disconnects}"
        else:
            assert not disconnects, f"a 3.1.1 client got DISCONNECT: {describe(counts)}"
        o.check()
    finally:
        sock.close()


def test_tls_flood_without_reading_is_paused_then_closed(broker_factory, dev_cert):
    """The same over MQTT/TLS: the TLS handler holds the broker's writes until a flush, so the
    answers of one read must not pile up there either; the stall closes the connection."""
    b = broker_factory(*FLOOD_FLAGS, *tls_flags(dev_cert))
    port = b.listener_port("mqtts")
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=dev_cert[0])
    raw = attacker_socket(port)
    tls = ctx.wrap_socket(raw, server_hostname="localhost")
    attacker_port = tls.getsockname()[1]
    try:
        mqtt_connected(tls, V5)
        chunk = wire.pingreq() * (128 * 1024)
        sent = 0
        with observed(b) as o:
            # Blocking writes, each allowed 2 s: the broker stops reading once its answers back
            # up, and the write that finds no room ends the flood (or meets the close).
            tls.settimeout(2)
            try:
                while sent < FLOOD_BUDGET:
                    tls.sendall(chunk)
                    sent += len(chunk)
            except (socket.timeout, ssl.SSLError, OSError):
                pass
            last_write = time.monotonic()
            while broker_side_state(port, attacker_port) == "ESTABLISHED":
                assert time.monotonic() - last_write < CLOSE_WITHIN, (
                    f"the TLS attacker is still open {CLOSE_WITHIN:.0f} s after its last write "
                    f"({sent / MIB:.1f} MiB written)")
                time.sleep(0.05)  # polling a kernel table: there is no event to wait for
        assert sent < FLOOD_BUDGET, f"the broker read all {sent / MIB:.1f} MiB: reading never paused"
        o.check()
    finally:
        tls.close()


# ---------------------------------------------------------------------------
# WebSocket: permessage-deflate bombs made of PINGREQs


def test_websocket_deflate_bomb_of_pingreqs_costs_bounded_memory(broker_factory):
    """Issue 11: one ~1 KB compressed WebSocket message inflates (within the 1 MiB cap) to
    500,000 PINGREQs; each cost the unfixed broker 54-86 MB and seconds of its event loop, and
    other clients waited 11-18 s for CONNACK. Ten of them, never reading: the broker inflates the
    next message only once it worked through the previous one, decodes 1,024 packets at a time
    with the loop's other connections served in between, and its answers (PINGRESPs compress to
    almost nothing) stay small, so memory stays flat and the canary and fresh clients are served
    throughout. The bomber is not closed: it is served, at the pace the broker chooses."""
    b = broker_factory(*FLOOD_FLAGS)
    port = b.listener_port("http")
    sock, rest = ws_connect_deflate(port)
    try:
        sock.sendall(ws_frame(wire.connect(unique("bomb"), version=V5)))
        deadline = time.monotonic() + 10
        while not ws_tally(bytes(rest))[1][wire.CONNACK] and time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(4096)
            assert chunk, "closed before CONNACK"
            rest += chunk
        assert ws_tally(bytes(rest))[1][wire.CONNACK] == 1, f"no CONNACK: {bytes(rest)!r}"
        bomb = deflate_message(wire.pingreq() * 500_000)
        assert len(bomb) < 2000
        with observed(b) as o:
            Flood(sock, [ws_frame(bomb, rsv1=True) for _ in range(10)])
            # The broker works through 5,000,000 PINGREQs meanwhile: watch it for a while.
            o.wait_round_trips(20)
        o.check()
    finally:
        sock.close()
    # The bomber's connection and what it held are released with it.
    b.wait_for_log(r"client\.id=bomb-\w+.*session ended", timeout=10)


# ---------------------------------------------------------------------------
# Queues: bytes per session, bytes for the whole broker, persistent sessions


SLOW_PAYLOAD = 100_000
SLOW_MESSAGES = 1000         # 100 MB: the unfixed broker queues all of them (max-queued-messages 1000)
SLOW_RECEIVE_MAXIMUM = 2     # the subscriber's in-flight window


def test_slow_qos1_subscriber_holds_at_most_max_queued_bytes(broker_factory):
    """Issue 11: a QoS 1 subscriber that does not read held up to 1,000 queued messages (with
    1 MB payloads ~1 GB per session). --max-queued-bytes bounds the bytes of QoS 1/2 messages a
    session holds, queued and in flight together; past it new messages are dropped and counted
    (like past --max-queued-messages), so the publisher is still acknowledged."""
    b = broker_factory("--max-queued-bytes", "1048576", "--write-stall-timeout", "60")
    sub = b.raw(V5, rcvbuf=4096)
    sub.connected(unique("slow"), props=[(wire.RECEIVE_MAXIMUM, SLOW_RECEIVE_MAXIMUM)])
    assert sub.subscribe("slow/t", 1).codes == [1]
    pub = b.client(V5, unique("slowpub"))
    payload = b"x" * (SLOW_PAYLOAD - 8)
    with observed(b) as o:
        for i in range(SLOW_MESSAGES):
            rc = pub.publish("slow/t", b"%08d" % i + payload, qos=1, wait=True)
            assert rc < 0x80, f"message {i}: PUBACK 0x{rc:02x}"
    # 100 MB published, ~1 MiB may be held (see below): the unfixed broker grew by 96 MiB (it held
    # them all), the work-in-progress build by 1.3 MiB.
    o.check(min_round_trips=1)
    # Now the subscriber reads. Three messages acknowledged, then a PINGREQ round trip: once its
    # PINGRESP is here the broker has taken the PUBACKs, so the session has room for the
    # sentinel, which is queued behind whatever was kept.
    got = []
    for _ in range(3):
        got.append(sub.expect_publish(timeout=10))
    sub.send(wire.pingreq())
    sub.expect(wire.PINGRESP, timeout=10)
    pub.publish("slow/t", b"sentinel", qos=1, wait=True)
    while True:
        pkt = sub.expect_publish(timeout=10)
        if pkt.payload == b"sentinel":
            break
        got.append(pkt)
    seqs = [int(p.payload[:8]) for p in got]
    # 1 MiB / (100,000 payload bytes + topic + entry overhead) = 10.47: 10 or 11 messages, plus at
    # most the in-flight window should in-flight messages be counted apart.
    assert seqs == list(range(len(seqs))), f"not the first messages, in order: {seqs}"
    assert 5 <= len(seqs) <= 11 + SLOW_RECEIVE_MAXIMUM, f"{len(seqs)} messages kept: {seqs}"


TOTAL_BUDGET = 1 << 20       # the smallest --max-queued-bytes-total accepted
TOTAL_PAYLOAD = 10_000
TOTAL_MESSAGES = 300         # 3 MB per session, 9 MB in all: three times the budget even if a
                             # message shared by the sessions were counted once


def persistent_offline(b, client_id: str, topic: str, version: int = V5) -> None:
    """A persistent session subscribed QoS 1 to `topic`, then offline. The broker's close after
    DISCONNECT tells that it has taken the DISCONNECT (so nothing is in flight to the old
    connection when publishing starts)."""
    c = b.raw(version)
    try:
        if version == V5:
            c.connected(client_id, props=[(wire.SESSION_EXPIRY_INTERVAL, 600)])
        else:
            c.connected(client_id, clean=False)
        assert c.subscribe(topic, 1).codes == [1]
        c.send(wire.disconnect(version=version))
        c.wait_closed(timeout=10)
    finally:
        c.close()


def test_total_queue_budget_evicts_the_oldest_messages(broker_factory):
    """Issue 11: 2,000 offline sessions and 1,000 small QoS 1 publishes added 327 MB. With
    --max-queued-bytes-total (split evenly over the event loops: one loop here) full, the broker
    drops the oldest queued messages of the largest queues; publishers keep getting PUBACK 0x00,
    and a resumed session gets the newest messages, contiguous and in order."""
    b = broker_factory("--threads", "1", "--max-queued-bytes-total", str(TOTAL_BUDGET))
    topic = "budget/" + unique("t")
    ids = [unique("offline") for _ in range(3)]
    for client_id in ids:
        persistent_offline(b, client_id, topic)
    pub = b.client(V5, unique("budgetpub"))
    payload = b"y" * (TOTAL_PAYLOAD - 8)
    with observed(b) as o:
        for i in range(TOTAL_MESSAGES):
            rc = pub.publish(topic, b"%08d" % i + payload, qos=1, wait=True)
            assert rc == wire.SUCCESS, f"message {i}: PUBACK 0x{rc:02x}"
    o.check(min_round_trips=1)
    back = b.raw(V5)
    connack = back.connect(ids[0], clean=False, props=[(wire.SESSION_EXPIRY_INTERVAL, 600)])
    assert connack.reason == 0 and connack.session_present
    seqs = []
    while not seqs or seqs[-1] != TOTAL_MESSAGES - 1:   # the newest one is always kept
        seqs.append(int(back.expect_publish(timeout=10).payload[:8]))
    # And nothing older comes after it: a sentinel published now is the next message.
    pub.publish(topic, b"sentinel", qos=1, wait=True)
    assert back.expect_publish(timeout=10).payload == b"sentinel"
    assert seqs == list(range(seqs[0], TOTAL_MESSAGES)), f"not the newest messages in order: {seqs}"
    assert seqs[0] > 0, "nothing was evicted"
    assert len(seqs) <= TOTAL_BUDGET // TOTAL_PAYLOAD + 1, f"{len(seqs)} messages kept by one session"


@pytest.mark.parametrize("version", [V5, V311], ids=["v5", "v311"])
def test_max_sessions_refuses_one_persistent_session_too_many(broker_factory, version):
    """Issue 11: sessions were unlimited. --max-sessions bounds persistent sessions (MQTT 5
    session expiry > 0, 3.1.1 clean session 0), connected or offline: the CONNECT that would
    create one more gets CONNACK 0x97 (3.1.1: return code 3); resuming an existing one and clean
    sessions are still accepted, and a deleted session frees its place."""
    b = broker_factory("--max-sessions", "3")
    topic = "sessions/" + unique("t")
    ids = [unique("persist") for _ in range(3)]
    for client_id in ids[:2]:
        persistent_offline(b, client_id, topic, version)
    online = b.raw(version)                      # the third one stays connected
    online.connected(ids[2], **({"props": [(wire.SESSION_EXPIRY_INTERVAL, 600)]} if version == V5
                                 else {"clean": False}))

    def persistent_connect(client_id: str, clean: bool = True) -> wire.Packet:
        c = b.raw(version)
        if version == V5:
            return c.connect(client_id, clean=clean, props=[(wire.SESSION_EXPIRY_INTERVAL, 600)])
        return c.connect(client_id, clean=False)

    refused = persistent_connect(unique("onetoomany"))
    assert refused.reason == (wire.QUOTA_EXCEEDED if version == V5 else 3), f"got {refused!r}"
    # Clean sessions are not counted.
    clean = b.raw(version)
    assert clean.connect(unique("clean"), clean=True).reason == 0
    # Resuming an offline persistent session is accepted, with its session.
    resumed = persistent_connect(ids[0], clean=False)
    assert resumed.reason == 0 and resumed.session_present
    # Deleting one (a clean start without expiry, then DISCONNECT) makes room for a new one.
    deleter = b.raw(version)
    assert deleter.connect(ids[1], clean=True).reason == 0
    deleter.send(wire.disconnect(version=version))
    deleter.wait_closed(timeout=10)
    assert persistent_connect(unique("newcomer")).reason == 0


# ---------------------------------------------------------------------------
# HTTP: Host is required on HTTP/1.1


def http_status(port: int, request: bytes) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        buf = b""
        while b"\r\n" not in buf:
            chunk = sock.recv(4096)
            assert chunk, f"closed without a response: {buf!r}"
            buf += chunk
        return int(buf.split(b"\r\n", 1)[0].split()[1])


@pytest.mark.parametrize("listener, path", [("http", "/"), ("http", "/mqtt"), ("admin", "/healthz")],
                         ids=["http-static", "http-websocket", "admin"])
def test_http11_request_without_host_is_400(broker, listener, path):
    """RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without a Host header.
    With Host the same request is served (whatever its status, never 400 for the Host)."""
    port = broker.listener_port(listener)
    upgrade = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
               "Sec-WebSocket-Protocol: mqtt\r\n") if path == "/mqtt" else ""
    without = f"GET {path} HTTP/1.1\r\n{upgrade}\r\n".encode()
    with_host = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{upgrade}\r\n".encode()
    assert http_status(port, without) == 400
    assert http_status(port, with_host) in ((101,) if path == "/mqtt" else (200, 404)), \
        "the same request with Host was not served"
