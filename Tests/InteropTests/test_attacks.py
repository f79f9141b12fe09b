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
"""The attack battery of issue 14: what one hostile client costs everybody else.

Each attack runs against a broker of its own, on one event loop (`--threads 1`: the attacker, the
canary and the fresh clients share it, the strictest case), while the observers of attack.py run:
a canary makes QoS 1 round trips, a prober times a fresh CONNECT → CONNACK every half second, and
a thread samples the broker's VmRSS at 20 Hz. Each test asserts

- the protocol's answer to the attacker (CONNACK / DISCONNECT reason code, WebSocket Close code,
  HTTP status) or a close, and the counter that records it (`GET /api/v1/stats`, `/metrics`);
- the canary's slowest round trip and the slowest fresh CONNACK under `CANARY_MAX_MS`;
- VmRSS growth under a bound of the attack's own, and, where the attack ends, open descriptors
  and VmRSS back near where they were.

Attacks: slowloris on the MQTT port (a CONNECT trickled) and on the HTTP and admin ports (heads
trickled); a flood of CONNECTs with bad credentials; subscription storms; a retained-message storm
past `--max-retained-messages`; lying lengths (256 MB remaining length, a 2^62-byte WebSocket
frame, a 10,000-line HTTP head, request smuggling); a subscriber that never reads under a QoS 0
flood; connect/disconnect churn over TCP and WebSocket. The attacks of issue 11 (unread replies
over every transport, deflate bombs) are in test_memory_bounds.py.

Sizes: the CI sizes below keep the file at about two minutes with a debug build on two cores;
`SWIFTLET_ATTACKS=full` runs the sizes of issue 14 (20,000 churn cycles per transport and more).
Every attack is bounded in sockets (at most 300 at once), bytes and time, and its sockets are closed
in finally blocks; the broker is stopped by the fixture, by its PID. docs/security.md ("Attack
battery") has the figures these bounds come from.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import socket
import time

import pytest

import wire
from attack import (MIB, AdminStats, Observed, RssSampler, attacker_socket, broker_side_state, mqtt_tally,
                    open_fds, read_to_close, ws_connect, ws_frame, ws_tally, ws_upgrade_request)
from helpers import V311, V5, unique
from test_auth import signature

# Every attack needs flags Mosquitto has no equivalent of (--threads, --connect-timeout, ...) or
# the admin API's counters.
pytestmark = pytest.mark.swiftlet_only

FULL = os.environ.get("SWIFTLET_ATTACKS", "").strip().lower() == "full"

ADMIN_TOKEN = "attack-battery-token-0123456789"
BASE_FLAGS = ("--threads", "1", "--admin-token", ADMIN_TOKEN)

# The canary's slowest QoS 1 round trip and the slowest fresh CONNACK during any attack, all on
# the attacker's event loop. Measured with the debug build on the 2-core development machine while
# a libFuzzer process and a build shared it (load average 4-6; 2026-12-07, docs/security.md "Attack
# battery"): at the CI sizes the worst round trip of any attack 148 ms and the worst CONNACK
# 198 ms; at the full sizes 259 and 281 ms. 1 s, as in test_memory_bounds.py, is 3.5-5x that: a
# debug build on a busy CI machine must not fail it, while an event loop held by one client (the
# unfixed broker of issue 11 stalled for seconds) must.
CANARY_MAX_MS = 1000.0


def observed(broker, rss_limit: int, **kwargs) -> Observed:
    return Observed(broker, rss_limit=rss_limit, canary_limit_ms=CANARY_MAX_MS, **kwargs)


def counters(broker) -> dict[str, int]:
    return AdminStats(broker, ADMIN_TOKEN).counters()


# ---------------------------------------------------------------------------
# Slowloris: hundreds of sockets, each trickling a request it never finishes


SLOWLORIS_SOCKETS = 1_000 if FULL else 300
SLOWLORIS_TIMEOUT = 2          # --connect-timeout and --http-header-timeout, seconds
# A socket must be closed by the timeout, not before (the broker's accept may follow our
# connect() by a few ms, hence the 0.2 s), and not long after it: measured, the broker closed all
# 300 within 2.00-2.10 s of their connect() (debug build, busy machine). 3 s of slack is 30x the
# spread, for a slower CI machine, while a broker without the timeout never closes them (the
# trickle would go on for TRICKLE_CAP).
SLOWLORIS_SLACK = 3.0
TRICKLE_INTERVAL = 0.1         # one byte per socket every 100 ms: 3,000 bytes/s over 300 sockets
TRICKLE_CAP = 20.0
# VmRSS peak minus before: 300 idle connections, their handlers, timers and partial reads.
# Measured +1.1-1.7 MiB (MQTT, WebSocket) and +2.8-3.7 MiB (HTTP: NIOHTTP1's decoder per
# connection); with 1,000 sockets (SWIFTLET_ATTACKS=full) +3.5-8.5 MiB. 16 MiB is 4x the worst
# at 300, and less than a 64 KiB buffer kept per socket would cost (19 MiB).
SLOWLORIS_RSS_LIMIT = 16 * MIB


class Trickle:
    """`count` sockets, each writing `prefix` at once (a WebSocket upgrade, say) and then its
    request (`request(i)`) one byte every `interval` seconds, all from one thread, and reading
    whatever the broker answers, until the broker closed every one of them or `cap` seconds
    passed. A request longer than the trickle never completes: 300 × 100 ms per byte is a slow
    client, not a flood."""

    def __init__(self, port: int, count: int, request, *, prefix: bytes = b"", interval: float = TRICKLE_INTERVAL,
                 cap: float = TRICKLE_CAP):
        self.requests = [request(i) for i in range(count)]
        self.opened: list[float] = []
        self.closed_at: list[float | None] = [None] * count
        self.answered_at: list[float | None] = [None] * count   # the first bytes from the broker
        self.received = [bytearray() for _ in range(count)]
        self.sent = [0] * count
        socks: list[socket.socket] = []
        sel = selectors.DefaultSelector()
        try:
            for i in range(count):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(prefix)
                s.setblocking(False)
                socks.append(s)
                self.opened.append(time.monotonic())
                sel.register(s, selectors.EVENT_READ, i)
            open_count = count
            deadline = time.monotonic() + cap
            next_byte = time.monotonic()
            while open_count and time.monotonic() < deadline:
                for key, _ in sel.select(max(0.0, next_byte - time.monotonic())):
                    i = key.data
                    try:
                        chunk = socks[i].recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:       # a reset
                        chunk = b""
                    if chunk:
                        if not self.received[i]:
                            self.answered_at[i] = time.monotonic()
                        self.received[i] += chunk
                        continue
                    self.closed_at[i] = time.monotonic()
                    sel.unregister(socks[i])
                    open_count -= 1
                if time.monotonic() < next_byte:
                    continue
                next_byte += interval
                for i, s in enumerate(socks):
                    if self.closed_at[i] is None and self.sent[i] < len(self.requests[i]):
                        try:
                            self.sent[i] += s.send(self.requests[i][self.sent[i]:self.sent[i] + 1])
                        except BlockingIOError:
                            pass
                        except OSError:   # closed under us: the next read says so
                            pass
        finally:
            sel.close()
            for s in socks:
                s.close()

    def lifetimes(self, since_answer: bool = False) -> list[float]:
        """Seconds from connect (or from the broker's first answer, the 101 of an upgrade) to the
        broker's close, for the sockets it closed."""
        starts = self.answered_at if since_answer else self.opened
        return [c - o for o, c in zip(starts, self.closed_at) if c is not None and o is not None]

    def check_closed_by_timeout(self, timeout: float, slack: float, since_answer: bool = False) -> None:
        still_open = sum(c is None for c in self.closed_at)
        assert still_open == 0, f"{still_open} of {len(self.closed_at)} sockets still open after {TRICKLE_CAP} s"
        lives = self.lifetimes(since_answer)
        assert len(lives) == len(self.closed_at), "a socket closed without the answer the timeout is counted from"
        assert min(lives) >= timeout - 0.2, f"a socket was closed after {min(lives):.2f} s, before the timeout"
        assert max(lives) <= timeout + slack, f"a socket was closed only after {max(lives):.2f} s"
        assert max(self.sent) < min(len(r) for r in self.requests), "a request was completed: not a slowloris"

    def summary(self, since_answer: bool = False) -> str:
        lives = sorted(self.lifetimes(since_answer))
        return (f"{len(lives)} closed after {lives[0]:.2f}-{lives[-1]:.2f} s (median {lives[len(lives) // 2]:.2f} s), "
                f"{max(self.sent)} bytes sent at most")


@pytest.mark.parametrize("transport", ["tcp", "ws"])
def test_slowloris_connect_trickled_is_closed_by_the_connect_timeout(broker_factory, transport):
    """300 sockets each trickle a CONNECT (58 bytes, 64 as a WebSocket frame, after an upgrade
    sent at once; one byte per 100 ms: about 6 s to finish). --connect-timeout 2 closes every one
    of them 2 s after it connected, without an MQTT answer (there is no CONNECT to answer; over
    WebSocket a Close 1000 precedes the close), and counts each as a connect timeout."""
    b = broker_factory(*BASE_FLAGS, "--connect-timeout", str(SLOWLORIS_TIMEOUT))
    before = counters(b)["connectTimeouts"]
    connect = wire.connect("slowloris-" + "x" * 30, version=V5)
    port = b.port if transport == "tcp" else b.listener_port("http")
    prefix = b"" if transport == "tcp" else ws_upgrade_request(port)
    fds = open_fds(b.proc.pid)
    with observed(b, SLOWLORIS_RSS_LIMIT) as o:
        trickle = Trickle(port, SLOWLORIS_SOCKETS, lambda i: connect if transport == "tcp" else ws_frame(connect),
                          prefix=prefix)
        print(f"MQTT slowloris ({transport}): {trickle.summary(since_answer=transport == 'ws')}")
    # Over WebSocket the connect timeout runs from the upgrade (the 101), when the MQTT connection
    # begins; 300 upgrades at once take the broker a while.
    trickle.check_closed_by_timeout(SLOWLORIS_TIMEOUT, SLOWLORIS_SLACK, since_answer=transport == "ws")
    if transport == "tcp":
        assert not any(trickle.received), "the broker answered an unfinished CONNECT"
    else:
        for received in trickle.received:
            head, _, frames = bytes(received).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101"), head[:40]
            assert ws_tally(frames)[0] == [1000], f"frames {frames.hex()}"
    assert counters(b)["connectTimeouts"] - before == SLOWLORIS_SOCKETS
    o.check()
    wait_fds_back(b.proc.pid, fds)


def slow_http_request(port: int, path: str):
    """A request head that never ends: a request line, Host, and header lines after them, more
    than a trickle of TRICKLE_CAP seconds can send."""
    upgrade = ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n") if path == "/mqtt" else ""
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{upgrade}".encode()
    return head + b"".join(b"X-Slow-%03d: zzzzzzzz\r\n" % n for n in range(20))


@pytest.mark.parametrize("listener, path", [("http", "/"), ("http", "/mqtt"), ("admin", "/api/v1/stats")],
                         ids=["static", "websocket", "admin"])
def test_slowloris_http_head_trickled_gets_408(broker_factory, listener, path):
    """300 sockets (100 on the admin API) each trickle a request head that never ends (static
    files, the WebSocket upgrade, the admin API). --http-header-timeout 2: each gets 408 Request Timeout 2 s after it
    connected (RFC 9110 §15.5.9), then the broker closes it."""
    b = broker_factory(*BASE_FLAGS, "--http-header-timeout", str(SLOWLORIS_TIMEOUT))
    port = b.listener_port(listener)
    fds = open_fds(b.proc.pid)
    request = slow_http_request(port, path)
    # The admin listener, an operators' API on loopback, accepts with a backlog of 128: past it,
    # connections wait in the kernel (SYN-ACK retransmits, 1 s, then 3 s) before the broker even
    # sees them, so their 2 s run from later than the test's connect(). Measured with 1,000
    # sockets: all closed, the last 6.3 s after its connect(). 100 keep the timing assertable.
    count = min(SLOWLORIS_SOCKETS, 100) if listener == "admin" else SLOWLORIS_SOCKETS
    with observed(b, SLOWLORIS_RSS_LIMIT) as o:
        trickle = Trickle(port, count, lambda i: request)
        print(f"HTTP slowloris ({listener} {path}): {trickle.summary()}")
    trickle.check_closed_by_timeout(SLOWLORIS_TIMEOUT, SLOWLORIS_SLACK)
    statuses = {bytes(r).split(b"\r\n", 1)[0] for r in trickle.received}
    assert statuses == {b"HTTP/1.1 408 Request Timeout"}, statuses
    o.check()
    wait_fds_back(b.proc.pid, fds)


# ---------------------------------------------------------------------------
# A flood of CONNECTs with bad credentials


BAD_LOGINS = 20_000 if FULL else 5_000
BAD_LOGIN_PARALLEL = 50
KEYS = ("--no-allow-anonymous", "--access-key", "DEV:dev-secret:device")
# VmRSS peak minus before: 50 connections at a time, each refused at once, and the limiter's one
# entry. Measured +0.2 MiB for 2,000; 16 MiB leaves room for malloc on other machines and fails
# if refused connections were kept (5,000 × a connection's few KiB).
BAD_LOGIN_RSS_LIMIT = 16 * MIB


def signed(client_id: str) -> tuple[str, bytes]:
    return "Signature|DEV|inst", signature("dev-secret", client_id).encode()


async def connack_of(port: int, connect: bytes) -> int:
    """Open, CONNECT, read the CONNACK's reason code, close (the broker closes after a refusal)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(connect)
        head = await reader.readexactly(2)
        assert head[0] == 0x20, f"expected CONNACK, got {head.hex()}"
        body = await reader.readexactly(head[1])
        return body[1]
    finally:
        writer.close()


async def run_bounded(count: int, parallel: int, job) -> list:
    """`job(i)` for i in range(count), at most `parallel` at a time, each bounded to 30 s."""
    semaphore = asyncio.Semaphore(parallel)

    async def one(i: int):
        async with semaphore:
            return await asyncio.wait_for(job(i), 30)

    return await asyncio.gather(*(one(i) for i in range(count)))


def test_bad_credential_flood_is_throttled_and_a_valid_client_still_gets_in(broker_factory):
    """2,000 CONNECTs with a wrong signature, 50 at a time, all from 127.0.0.1. Failures beyond
    the address's budget (a burst of 10, then 10 per second) are answered 0x9F, the others 0x86,
    and every one is counted (authenticationFailures + authenticationThrottled). The canary and
    the fresh-CONNACK prober sign their CONNECTs correctly from the same address (a carrier NAT
    shared with the guesser): they get in throughout (docs/authentication.md, "Throttling")."""
    b = broker_factory(*BASE_FLAGS, *KEYS)
    before = counters(b)
    bad = wire.connect("guesser", version=V5, username="Signature|DEV|inst", password=b"bm90IGl0")
    with observed(b, BAD_LOGIN_RSS_LIMIT, credentials=signed) as o:
        started = time.monotonic()
        codes = asyncio.run(run_bounded(BAD_LOGINS, BAD_LOGIN_PARALLEL, lambda i: connack_of(b.port, bad)))
        elapsed = time.monotonic() - started
        # Right after the flood the address is still over its budget, and a valid client still
        # gets in (the prober's did throughout).
        assert b.raw(V5).connect("guesser", username="Signature|DEV|inst", password=b"bm90IGl0").reason == 0x9F
        client_id = unique("honest")
        user, password = signed(client_id)
        assert b.raw(V5).connect(client_id, username=user, password=password).reason == wire.SUCCESS
        print(f"{BAD_LOGINS} bad CONNECTs in {elapsed:.1f} s: {codes.count(0x86)} × 0x86, {codes.count(0x9F)} × 0x9F")
    assert set(codes) <= {0x86, 0x9F}, f"unexpected CONNACK codes {set(codes)}"
    # The budget: a burst of 10 and 10 per second after it (plus one for the refill's rounding).
    assert codes.count(0x86) <= 10 + 10 * elapsed + 1, f"{codes.count(0x86)} failures answered in {elapsed:.1f} s"
    assert codes.count(0x9F) >= BAD_LOGINS - 10 - 10 * elapsed - 1
    after = counters(b)
    failures = after["authenticationFailures"] - before["authenticationFailures"]
    throttled = after["authenticationThrottled"] - before["authenticationThrottled"]
    assert (failures, throttled) == (codes.count(0x86), codes.count(0x9F) + 1)
    o.check()   # includes: every probe's CONNACK was 0x00


# ---------------------------------------------------------------------------
# Subscription storms


STORM_FILTERS = 5_000
STORM_PER_PACKET = 100
MAX_SUBSCRIPTIONS = 100        # the default --max-subscriptions-per-client
STORM_CLIENTS = 1_000 if FULL else 200
# VmRSS peak minus before. One client refused 4,900 filters: measured +0.1-0.2 MiB, and 16 MiB
# fails if the refused ones were kept (4,900 × a few KiB). 200 clients × 100 subscriptions (20,000
# in the index, with 200 sessions and connections): +10.5-11.1 MiB, ~580 bytes per subscription.
# The bound is under 3x that per subscription (1,500 bytes), for malloc and other machines; a
# copy of the index per client fails it.
STORM_ONE_RSS_LIMIT = 16 * MIB
STORM_RSS_LIMIT = STORM_CLIENTS * MAX_SUBSCRIPTIONS * 1_500


def test_subscription_storm_from_one_client_is_capped(broker_factory):
    """One client asks for 5,000 subscriptions in 50 SUBSCRIBE packets: the first 100 (the
    default --max-subscriptions-per-client) are granted, every later new filter gets 0x97 quota
    exceeded and is counted; the client stays connected."""
    b = broker_factory(*BASE_FLAGS)
    before = counters(b)["subscriptionsRejected"]
    c = b.raw(V5)
    c.connected(unique("storm"))
    codes: list[int] = []
    with observed(b, STORM_ONE_RSS_LIMIT) as o:
        for packet in range(STORM_FILTERS // STORM_PER_PACKET):
            filters = [(f"storm/{packet}/{n}/+/#", 1) for n in range(STORM_PER_PACKET)]
            codes += c.subscribe(filters, pid=packet + 1).codes
    assert codes[:MAX_SUBSCRIPTIONS] == [1] * MAX_SUBSCRIPTIONS
    assert codes[MAX_SUBSCRIPTIONS:] == [wire.QUOTA_EXCEEDED] * (STORM_FILTERS - MAX_SUBSCRIPTIONS)
    assert counters(b)["subscriptionsRejected"] - before == STORM_FILTERS - MAX_SUBSCRIPTIONS
    c.expect_nothing()   # still connected
    o.check(min_round_trips=1)


def test_subscription_storm_of_many_clients_at_the_limit(broker_factory):
    """200 clients (1,000 with SWIFTLET_ATTACKS=full) each take their 100 subscriptions, 99 of
    them distinct and wildcarded: 20,000 in the index. A message to the filter they share still
    reaches each of them, memory grows with the subscriptions and nothing else, and it all goes
    when they disconnect."""
    b = broker_factory(*BASE_FLAGS)
    stats = AdminStats(b, ADMIN_TOKEN)
    clients: list[wire.RawClient] = []
    with observed(b, STORM_RSS_LIMIT) as o:
        started = time.monotonic()
        for i in range(STORM_CLIENTS):
            c = b.raw(V5)
            c.connected(unique("many"))
            filters = [(f"many/{i}/{n}/+", 0) for n in range(MAX_SUBSCRIPTIONS - 1)] + [("many/all/#", 0)]
            assert c.subscribe(filters).codes == [0] * MAX_SUBSCRIPTIONS
            clients.append(c)
        subscribed = time.monotonic() - started
        assert stats.stats()["subscriptions"] >= STORM_CLIENTS * MAX_SUBSCRIPTIONS
        b.raw_connected(unique("announcer")).publish("many/all/news", b"to everybody")
        for c in clients:
            assert c.expect_publish(timeout=10).payload == b"to everybody"
        grown = o.growth()
        print(f"{STORM_CLIENTS} clients × {MAX_SUBSCRIPTIONS} subscriptions in {subscribed:.1f} s; "
              f"VmRSS +{grown / MIB:.1f} MiB ({grown / (STORM_CLIENTS * MAX_SUBSCRIPTIONS):.0f} bytes each)")
    o.check(min_round_trips=1)
    for c in clients:
        c.send(wire.disconnect())
        c.wait_closed()
    # The canary's subscription is what is left.
    assert stats.stats()["subscriptions"] == 1


# ---------------------------------------------------------------------------
# A retained-message storm past --max-retained-messages


RETAINED_LIMIT = 1_000
RETAINED_STORM = 3_000
RETAINED_PAYLOAD = 200
# VmRSS peak minus before: 1,000 retained messages of 200 bytes are 0.2 MB; the 2,000 refused ones
# only pass through. Measured +1.8 MiB (with 1 KB payloads); 16 MiB fails if each kept message
# cost 16 KB, or if the refused ones were kept.
RETAINED_RSS_LIMIT = 16 * MIB


def test_retained_storm_past_the_limit_keeps_the_first_ones(broker_factory):
    """3,000 retained messages (200 bytes) to distinct topics with --max-retained-messages 1000: every
    publisher gets PUBACK (the message is still delivered to current subscribers), the broker
    keeps 1,000 and counts 2,000 as retainedRejected; a new subscriber gets exactly the 1,000,
    and a topic already retained may still be replaced."""
    b = broker_factory(*BASE_FLAGS, "--max-retained-messages", str(RETAINED_LIMIT))
    stats = AdminStats(b, ADMIN_TOKEN)
    before = counters(b)["retainedRejected"]
    live = b.raw_connected(unique("live"))
    assert live.subscribe("retained/#", 0).codes == [0]
    pub = b.raw_connected(unique("retpub"))
    payload = b"r" * RETAINED_PAYLOAD
    with observed(b, RETAINED_RSS_LIMIT) as o:
        for batch in range(RETAINED_STORM // 100):
            for n in range(100):
                pid = batch * 100 + n + 1
                pub.send(wire.publish(f"retained/{pid}", payload, qos=1, pid=pid, retain=True))
            for n in range(100):
                ack = pub.expect(wire.PUBACK)
                assert ack.reason < 0x80, f"PUBACK {ack!r}"
            for n in range(100):
                live.expect(wire.PUBLISH)   # delivered live, retained or not
    o.check(min_round_trips=1)
    assert counters(b)["retainedRejected"] - before == RETAINED_STORM - RETAINED_LIMIT
    assert stats.stats()["retained"] == RETAINED_LIMIT
    # Replacing a retained topic is not a new one: allowed at the limit.
    pub.publish("retained/1", b"replaced", qos=1, pid=1, retain=True)
    # A new subscriber: the retained messages are written while its SUBSCRIBE is handled, so
    # they all come before the PINGRESP of a PINGREQ sent after it (0.2 MB, well under
    # --max-outbound-bytes: none is dropped while the subscriber has not read yet).
    late = b.raw_connected(unique("late"))
    late.send(wire.subscribe(1, [("retained/#", 0)]) + wire.pingreq())
    assert late.expect(wire.SUBACK).codes == [0]
    got = {}
    while (pkt := late.recv()).type == wire.PUBLISH:
        assert pkt.retain, f"{pkt!r}"
        got[pkt.topic] = pkt.payload
    assert pkt.type == wire.PINGRESP, f"{pkt!r}"
    late.expect_nothing()
    assert len(got) == RETAINED_LIMIT
    assert got["retained/1"] == b"replaced"
    assert all(int(t.split("/")[1]) <= RETAINED_LIMIT for t in got), "a topic past the limit was retained"


# ---------------------------------------------------------------------------
# Oversized and lying lengths


# VmRSS peak minus before: nothing of the announced sizes (256 MB, 2^62 bytes) may be allocated,
# and a 170 KB head is refused after 8 KiB. Measured +0.0-0.8 MiB; 16 MiB is far below any buffer
# sized from the announced length.
LYING_RSS_LIMIT = 16 * MIB


def trickle_then_read(sock: socket.socket, head: bytes, seconds: float = 1.0) -> tuple[bytes, bool]:
    """Send `head`, then one byte every 50 ms for `seconds` (or until the socket is closed), then
    read what the broker answered until it closes (at most 10 s)."""
    sock.sendall(head)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            sock.send(b"\x00")
            time.sleep(0.05)   # the trickle's pace: this is the attack, not a wait for an event
    except OSError:
        pass                   # closed under us: the answer is read below
    return read_to_close(sock, 10)


@pytest.mark.parametrize("after_connect", [None, V5, V311], ids=["as-connect", "publish-v5", "publish-v311"])
def test_256_mb_remaining_length_is_refused_at_the_fixed_header(broker_factory, after_connect):
    """A fixed header announcing 268,435,455 bytes (the largest remaining length, 256 MB), then a
    body trickled: refused as soon as the fixed header is read (--max-packet-size, 1 MiB), before
    any of the body is buffered. Before CONNECT: a close (no version to answer in); MQTT 5: a
    DISCONNECT 0x95 packet too large, then the close; 3.1.1: the close."""
    b = broker_factory(*BASE_FLAGS)
    before = counters(b)["oversizePackets"]
    with observed(b, LYING_RSS_LIMIT) as o:
        sock = socket.create_connection(("127.0.0.1", b.port), timeout=10)
        try:
            if after_connect:
                sock.sendall(wire.connect(unique("liar"), version=after_connect))
                connack = sock.recv(64)
                assert connack[:1] == b"\x20" and connack[3] == 0, connack.hex()
            first = 0x30 if after_connect else 0x10
            started = time.monotonic()
            answer, closed = trickle_then_read(sock, bytes([first]) + wire.varint(268_435_455))
            took = time.monotonic() - started
        finally:
            sock.close()
        o.wait_round_trips(5)
    assert closed, "the liar was not closed"
    counts, disconnects = mqtt_tally(answer)
    if after_connect == V5:
        assert disconnects == [wire.PACKET_TOO_LARGE], f"answer {answer.hex()}"
    else:
        assert answer == b"", f"answer {answer.hex()}"
    assert took < 5, f"closed {took:.1f} s after the fixed header"
    assert counters(b)["oversizePackets"] - before == 1
    o.check()


@pytest.mark.parametrize("length, close_code", [(1 << 62, 1009), (1 << 63, 1002)], ids=["2^62", "2^63"])
def test_websocket_frame_with_a_lying_length_is_closed(broker_factory, length, close_code):
    """A WebSocket frame announcing 2^62 bytes (then trickled): Close 1009 message too big, decided
    from the header (RFC 6455 §7.4.1), nothing buffered. 2^63 has the most significant bit set,
    which RFC 6455 §5.2 forbids: Close 1002 protocol error."""
    b = broker_factory(*BASE_FLAGS)
    port = b.listener_port("http")
    with observed(b, LYING_RSS_LIMIT) as o:
        sock, rest = ws_connect(port, make_socket=lambda p: socket.create_connection(("127.0.0.1", p), timeout=10))
        try:
            answer, closed = trickle_then_read(sock, bytes([0x82, 0x80 | 127]) + length.to_bytes(8, "big") + os.urandom(4))
        finally:
            sock.close()
        o.wait_round_trips(5)
    assert closed
    closes, _, _ = ws_tally(bytes(rest) + answer)
    assert closes == [close_code], f"Close codes {closes}"
    o.check()


def test_websocket_protocol_error_lingers_for_bytes_in_flight(broker_factory):
    """After a WebSocket protocol error the broker sends Close, half-closes, and drops what the
    client still sends until it closes or 2 s pass (docs/configuration.md, lingering closes), so
    a client that keeps writing for a second reads the Close instead of a reset; the error is
    logged once."""
    b = broker_factory(*BASE_FLAGS)
    port = b.listener_port("http")
    mark = b.mark()
    sock, rest = ws_connect(port, make_socket=lambda p: socket.create_connection(("127.0.0.1", p), timeout=10))
    try:
        sock.sendall(bytes([0x82, 0x80 | 127]) + (1 << 62).to_bytes(8, "big") + os.urandom(4))
        refused = None
        deadline = time.monotonic() + 1.0   # half the linger: the broker must still be discarding
        while time.monotonic() < deadline and refused is None:
            try:
                sock.send(b"\x00")
            except OSError as e:
                refused = e
            time.sleep(0.05)   # the client's pace: bytes in flight, not a wait for an event
        answer, closed = read_to_close(sock, 10)
    finally:
        sock.close()
    assert ws_tally(bytes(rest) + answer)[0] == [1009]
    assert refused is None, f"the broker reset the connection while lingering: {refused!r}"
    errors = [line for line in b.log_since(mark) if "WebSocket protocol error" in line]
    assert len(errors) == 1, f"the error was logged {len(errors)} times"


HEADER_LINES = 10_000


@pytest.mark.parametrize("listener", ["http", "admin"])
def test_http_head_of_ten_thousand_lines_gets_431(broker_factory, listener):
    """A request head of 10,000 header lines (about 170 KB) against an 8 KiB limit: 431 Request
    Header Fields Too Large (RFC 6585 §5) as soon as the limit is passed, then the close; the
    broker drops the rest of the lines while it closes (it does not reset the connection, so the
    431 is readable)."""
    b = broker_factory(*BASE_FLAGS)
    port = b.listener_port(listener)
    with observed(b, LYING_RSS_LIMIT) as o:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
            sent = 0
            try:
                for n in range(HEADER_LINES):
                    sock.sendall(b"X-Line-%05d: v\r\n" % n)
                    sent += 1
            except OSError:
                pass
            answer, closed = read_to_close(sock, 10)
        finally:
            sock.close()
        o.wait_round_trips(5)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:80]
    assert closed
    o.check()


SMUGGLING = {
    # RFC 9112 §6.3: Transfer-Encoding with Content-Length "ought to be handled as an error"; a
    # server that let one of them frame the body and a proxy the other would see two requests.
    "content-length-then-transfer-encoding": "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    "transfer-encoding-then-content-length": "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    # RFC 9112 §6.3: differing Content-Length values are unrecoverable: 400.
    "two-content-lengths": "Content-Length: 5\r\nContent-Length: 41\r\n",
    # RFC 9112 §6.1: chunked must be the final coding of a request.
    "chunked-not-last": "Transfer-Encoding: chunked, gzip\r\n",
}


@pytest.mark.parametrize("listener", ["admin", "http"])
@pytest.mark.parametrize("framing", list(SMUGGLING))
def test_request_smuggling_gets_400(broker_factory, listener, framing):
    """A POST whose body length is ambiguous, followed by a second request that a confused server
    (or proxy) would take from the body: 400 and a close, and the second request is never
    answered."""
    b = broker_factory(*BASE_FLAGS)
    port = b.listener_port(listener)
    smuggled = f"GET /api/v1/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\r\n"
    request = (f"POST /api/v1/publish HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
               f"Content-Type: application/json\r\n{SMUGGLING[framing]}\r\n0\r\n\r\n{smuggled}").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer, closed = read_to_close(sock, 10)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert answer.count(b"HTTP/1.1 ") == 1, f"more than one response: {answer!r}"
    assert closed


# ---------------------------------------------------------------------------
# A subscriber that never reads, under a QoS 0 flood


QOS0_PAYLOAD = 16 * 1024
QOS0_SECONDS = 20.0 if FULL else 5.0
QOS0_STALL = 3                 # --write-stall-timeout
# VmRSS peak minus before: the subscriber's unflushed output (--max-outbound-bytes, 1 MiB) and
# the publisher's reads (64 KiB each). Measured +1.6 MiB while 512 MiB went through; 32 MiB is
# 20x that, and a tenth of what the broker would hold if it queued 2 s of the flood (~700 MiB).
QOS0_RSS_LIMIT = 32 * MIB


def test_subscriber_that_never_reads_under_a_qos0_flood(broker_factory):
    """A QoS 0 subscriber with a 4 KiB receive buffer never reads while a publisher pushes 16 KiB
    messages as fast as the broker takes them for 5 s (hundreds of MB/s with a debug build). Once its output passes
    --max-outbound-bytes the broker drops its QoS 0 messages and counts them
    (messagesDroppedNotWritable, /api/v1/stats drops.notWritable, /metrics), memory stays flat,
    and after --write-stall-timeout 3 it is closed (DISCONNECT 0x97 first). The publisher is never
    slowed by the subscriber, only by the broker's own pace."""
    b = broker_factory(*BASE_FLAGS, "--write-stall-timeout", str(QOS0_STALL))
    stats = AdminStats(b, ADMIN_TOKEN)
    sub = attacker_socket(b.port)
    pub = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    try:
        sub.sendall(wire.connect(unique("deaf"), version=V5) + wire.subscribe(1, [("flood/q0", 0)]))
        got = b""
        while mqtt_tally(got)[0][wire.SUBACK] == 0:
            chunk = sub.recv(64)
            assert chunk, "closed before SUBACK"
            got += chunk
        pub.sendall(wire.connect(unique("firehose"), version=V5))
        assert pub.recv(64)[:1] == b"\x20"
        message = wire.publish("flood/q0", b"q" * QOS0_PAYLOAD)
        batch = message * 64     # ~1 MiB per write
        sent = 0
        with observed(b, QOS0_RSS_LIMIT) as o:
            started = time.monotonic()
            while time.monotonic() - started < QOS0_SECONDS:
                pub.sendall(batch)
                sent += len(batch)
            elapsed = time.monotonic() - started
            # The subscriber is closed after the write stall (seen without reading, as in
            # test_memory_bounds.py): poll() shows the FIN behind the unread data as POLLRDHUP
            # only once read, so /proc/net/tcp tells when the broker's side left ESTABLISHED.
            pair = (sub.getpeername()[1], sub.getsockname()[1])
            deadline = time.monotonic() + QOS0_STALL + 10
            while broker_side_state(*pair) == "ESTABLISHED":
                assert time.monotonic() < deadline, "the subscriber that never reads is still connected"
                time.sleep(0.05)   # polling a kernel table: there is no event to wait for
            print(f"QoS 0 flood: {sent / MIB:.0f} MiB in {elapsed:.1f} s ({sent / MIB / elapsed:.0f} MiB/s)")
        rest, closed = read_to_close(sub, 10, limit=64 * MIB)
        assert closed
        _, disconnects = mqtt_tally(rest)
        assert all(r == wire.QUOTA_EXCEEDED for r in disconnects), f"DISCONNECT reasons {disconnects}"
        o.check(min_round_trips=1)
    finally:
        sub.close()
        pub.close()
    summary = stats.stats()
    dropped = summary["counters"]["messagesDroppedNotWritable"]
    assert dropped > 0, "no message was dropped for the subscriber that never reads"
    assert summary["drops"]["notWritable"] == dropped
    assert stats.metrics()["swiftlet_messages_dropped_not_writable_total"] == dropped
    assert summary["counters"]["writeStallDisconnects"] == 1
    print(f"dropped {dropped:,} of {sent // len(message):,} messages")


# ---------------------------------------------------------------------------
# Connect/disconnect churn: descriptors and memory come back


CHURN_CYCLES = {"tcp": 20_000 if FULL else 10_000, "ws": 20_000 if FULL else 5_000}
CHURN_PARALLEL = 32
# After an attack: open descriptors at most this many above the count before it. Measured: back
# to exactly the count before (10) after 10,000 TCP and 5,000 WebSocket cycles, after 20,000 of
# each, and after every slowloris. 4 allows for the prober's last connection and an admin API request still closing;
# one descriptor leaked per thousand connections fails it.
CHURN_FD_SLACK = 4
# VmRSS after the churn (settled) minus before, and the peak during it. Measured +0.1 MiB
# (TCP, 10,000) and +0.4 MiB (WebSocket, 5,000), +0.2 and +0.6 MiB for 20,000 each, both at the
# peak and after; 8 MiB after and 16 MiB at the peak fail a leak of 1 KiB per cycle (10,000
# cycles: 10 MiB).
CHURN_RSS_AFTER_LIMIT = 8 * MIB
CHURN_RSS_LIMIT = 16 * MIB


async def mqtt_cycle(port: int, i: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(wire.connect(f"churn-{i}", version=V5))
        head = await reader.readexactly(2)
        body = await reader.readexactly(head[1])
        assert head[0] == 0x20 and body[1] == 0, f"CONNACK {head.hex()}{body.hex()}"
        writer.write(wire.disconnect())
        # The broker closes after the DISCONNECT [MQTT-3.14.4]: its FIN ends the cycle, so the
        # TIME_WAIT stays on its side and the client's ephemeral ports are free at once.
        assert await reader.read() == b""
    finally:
        writer.close()


async def ws_cycle(port: int, i: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(ws_upgrade_request(port))
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head[:40]
        writer.write(ws_frame(wire.connect(f"wschurn-{i}", version=V5)))
        frame = await reader.readexactly(2)
        body = await reader.readexactly(frame[1] & 0x7F)
        assert frame[0] == 0x82 and body[0] == 0x20 and body[3] == 0, f"CONNACK frame {frame.hex()}{body.hex()}"
        writer.write(ws_frame(wire.disconnect()))
        await reader.read()   # the broker's Close frame, then its FIN
    finally:
        writer.close()


def wait_fds_back(pid: int, baseline: int, slack: int = CHURN_FD_SLACK, timeout: float = 10.0) -> int:
    """Until the process has at most `baseline + slack` descriptors open; returns the count."""
    deadline = time.monotonic() + timeout
    while (now := open_fds(pid)) > baseline + slack:
        assert time.monotonic() < deadline, f"{now} descriptors open, {baseline} before the attack"
        time.sleep(0.05)   # polling /proc: the kernel has no event for a descriptor count
    return now


@pytest.mark.parametrize("transport", ["tcp", "ws"])
def test_connect_disconnect_churn_gives_back_descriptors_and_memory(broker_factory, transport):
    """10,000 MQTT (5,000 WebSocket) connections, 32 at a time, each CONNECT, CONNACK, DISCONNECT
    and the broker's close (20,000 each with SWIFTLET_ATTACKS=full). Afterwards the broker's open
    descriptors are back where they were and its VmRSS close to it: nothing per connection
    outlives the connection."""
    b = broker_factory(*BASE_FLAGS)
    pid = b.proc.pid
    cycles = CHURN_CYCLES[transport]
    port = b.port if transport == "tcp" else b.listener_port("http")
    cycle = mqtt_cycle if transport == "tcp" else ws_cycle
    before_total = counters(b)["connectionsTotal"]
    with observed(b, CHURN_RSS_LIMIT) as o:
        fds_before = open_fds(pid)
        started = time.monotonic()
        asyncio.run(run_bounded(cycles, CHURN_PARALLEL, lambda i: cycle(port, i)))
        elapsed = time.monotonic() - started
    o.check()
    fds_after = wait_fds_back(pid, fds_before)
    rss_after = RssSampler(pid).settled()
    grown_after = (rss_after - o.before) * 1024
    print(f"{cycles} {transport} cycles in {elapsed:.1f} s ({cycles / elapsed:.0f}/s); descriptors "
          f"{fds_before} → {fds_after}; VmRSS {o.before / 1024:.1f} → peak +{o.growth() / MIB:.1f} MiB → "
          f"after +{grown_after / MIB:.1f} MiB")
    assert counters(b)["connectionsTotal"] - before_total >= cycles
    assert grown_after < CHURN_RSS_AFTER_LIMIT, f"VmRSS {grown_after / MIB:.1f} MiB above where it was"
