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
"""What the attack tests share (test_memory_bounds.py, issue 11; test_attacks.py, issue 14):
observers of the broker (its VmRSS, its open descriptors, a canary client, its counters) and
attacker pieces (sockets that write without reading, and readers of what the broker answered).

The bounds the observers check are the tests' own, each justified where it is defined; nothing
here decides what is good enough.
"""

from __future__ import annotations

import base64
import collections
import http.client
import json
import os
import re
import select
import selectors
import socket
import threading
import time
import zlib
from typing import Callable

import wire
from helpers import V5, MqttClient, unique

MIB = 1 << 20

# Credentials for a client ID: (user name, password), or None for none.
Credentials = Callable[[str], "tuple[str, bytes] | None"]


# ---------------------------------------------------------------------------
# The broker process: memory and descriptors


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds(pid: int) -> int:
    """How many file descriptors the process has open (/proc/PID/fd)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


class RssSampler:
    """VmRSS of one process at 20 Hz in a thread of its own, from start() to stop()."""

    def __init__(self, pid: int):
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._halt.is_set():
            kib = rss_kib(self.pid)
            if kib is None:
                return
            self.samples.append((time.monotonic(), kib))
            self._halt.wait(0.05)

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._halt.set()
        self._thread.join(5)

    def settled(self, limit: float = 5.0) -> int:
        """A reading once two readings 0.5 s apart differ by less than 256 KiB (or after `limit`)."""
        deadline = time.monotonic() + limit
        last = rss_kib(self.pid) or 0
        while time.monotonic() < deadline:
            self._halt.wait(0.5)   # a sampling period: memory has no event to wait for
            now = rss_kib(self.pid) or 0
            if abs(now - last) < 256:
                return now
            last = now
        return last

    def peak_since(self, t0: float) -> int:
        return max((kib for t, kib in list(self.samples) if t >= t0), default=0)


# ---------------------------------------------------------------------------
# The canary: QoS 1 round trips and fresh CONNACKs while the attack runs


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class Canary:
    """From start() to stop(): QoS 1 round trips to a topic of its own, one after the other, and
    a fresh TCP connection every half second timed from connect() to CONNACK.

    `credentials` gives the user name and password of each client ID (the canary's and the
    probes'), for brokers that refuse anonymous clients."""

    def __init__(self, broker, credentials: Credentials | None = None):
        self.broker = broker
        self.credentials = credentials or (lambda client_id: None)
        client_id = unique("canary")
        login = self.credentials(client_id)
        extra = {"username": login[0], "password": login[1].decode()} if login else {}
        self.client: MqttClient = broker.client(V5, client_id, **extra)
        self.topic = "canary/" + unique("t")
        assert self.client.subscribe(self.topic, 1) == [1]
        self.rtts: list[float] = []
        self.connacks: list[float] = []
        self.failures: list[str] = []
        self._halt = threading.Event()
        self._progress = threading.Condition()
        self._threads = [threading.Thread(target=self._run, daemon=True),
                         threading.Thread(target=self._probe, daemon=True)]
        self._round_trip(0)   # the first one, before measuring

    def _round_trip(self, seq: int) -> float:
        token = f"{seq}".encode()
        started = time.monotonic()
        self.client.publish(self.topic, token, qos=1, wait=False)
        while True:
            msg = self.client.get_message(timeout=30)   # AssertionError after 30 s
            if msg.payload == token:
                return (time.monotonic() - started) * 1000

    def _run(self) -> None:
        seq = 0
        try:
            while not self._halt.is_set():
                seq += 1
                rtt = self._round_trip(seq)
                with self._progress:
                    self.rtts.append(rtt)
                    self._progress.notify_all()
                self._halt.wait(0.02)
        except AssertionError as e:
            self.failures.append(f"round trip: {e}")

    def _probe(self) -> None:
        while not self._halt.is_set():
            started = time.monotonic()
            client_id = unique("probe")
            login = self.credentials(client_id)
            connect = (wire.connect(client_id, version=V5, username=login[0], password=login[1]) if login
                       else wire.connect(client_id, version=V5))
            try:
                with socket.create_connection((self.broker.host, self.broker.port), timeout=30) as s:
                    s.sendall(connect)
                    buf = b""
                    while len(buf) < 4:
                        s.settimeout(max(30 - (time.monotonic() - started), 0.001))
                        chunk = s.recv(64)
                        if not chunk:
                            raise ConnectionError("closed before CONNACK")
                        buf += chunk
                    self.connacks.append((time.monotonic() - started) * 1000)
                    if buf[0] != 0x20 or buf[3] != 0:
                        self.failures.append(f"probe: CONNACK {buf.hex()}")
                    s.sendall(wire.disconnect())
            except OSError as e:
                self.failures.append(f"probe: {type(e).__name__} after {time.monotonic() - started:.1f} s")
            self._halt.wait(0.5)

    def start(self) -> "Canary":
        for t in self._threads:
            t.start()
        return self

    def wait_round_trips(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` round trips were measured (or the canary failed)."""
        with self._progress:
            done = self._progress.wait_for(lambda: len(self.rtts) >= count or self.failures, timeout)
        assert done, f"the canary made only {len(self.rtts)} round trips in {timeout:.0f} s"

    def stop(self) -> None:
        self._halt.set()
        for t in self._threads:
            t.join(35)

    def check(self, limit_ms: float, min_round_trips: int = 5) -> None:
        assert not self.failures, f"canary: {self.failures[:3]}"
        assert self.client.is_connected(), "the canary was disconnected"
        assert len(self.rtts) >= min_round_trips, f"the canary made only {len(self.rtts)} round trips"
        worst, median = max(self.rtts), percentile(self.rtts, 0.5)
        assert worst < limit_ms, (f"canary round trip {worst:.0f} ms (limit {limit_ms:.0f} ms; "
                                  f"{len(self.rtts)} round trips, median {median:.0f} ms)")
        assert self.connacks, "no fresh-CONNACK probe completed"
        assert max(self.connacks) < limit_ms, (f"a fresh client waited {max(self.connacks):.0f} ms for CONNACK "
                                               f"(limit {limit_ms:.0f} ms; {len(self.connacks)} probes)")

    def summary(self) -> str:
        return (f"canary max {max(self.rtts, default=0):.0f} ms, p99 {percentile(self.rtts, 0.99):.0f} ms "
                f"over {len(self.rtts)} round trips; CONNACK max {max(self.connacks, default=0):.0f} ms, "
                f"median {percentile(self.connacks, 0.5):.0f} ms over {len(self.connacks)} probes")


class Observed:
    """RSS sampler + canary around an attack: `with Observed(broker, ...) as o: ...; o.check()`.

    `rss_limit` (bytes) bounds the peak VmRSS during the attack minus a settled reading before it;
    `canary_limit_ms` bounds the canary's slowest round trip and the slowest fresh CONNACK."""

    def __init__(self, broker, *, rss_limit: int, canary_limit_ms: float,
                 credentials: Credentials | None = None):
        self.broker = broker
        self.rss_limit = rss_limit
        self.canary_limit_ms = canary_limit_ms
        self.canary = Canary(broker, credentials)
        self.rss = RssSampler(broker.proc.pid).start()
        self.before = self.rss.settled()
        self.t0 = time.monotonic()
        self.canary.start()

    def __enter__(self) -> "Observed":
        return self

    def __exit__(self, *exc) -> None:
        self.canary.stop()
        self.rss.stop()
        # Shown by pytest when the test fails (or with -s): the figures the bounds are checked on.
        print(f"VmRSS before {self.before / 1024:.1f} MiB, growth {self.growth() / MIB:.1f} MiB; "
              f"{self.canary.summary()}")

    def wait_round_trips(self, count: int) -> None:
        self.canary.wait_round_trips(count)

    def growth(self) -> int:
        return (self.rss.peak_since(self.t0) - self.before) * 1024

    def check(self, min_round_trips: int = 5) -> None:
        assert self.broker.alive(), "the broker died"
        grown = self.growth()
        assert grown < self.rss_limit, (
            f"broker VmRSS grew by {grown / MIB:.1f} MiB during the attack "
            f"(limit {self.rss_limit / MIB:.0f} MiB; before {self.before / 1024:.1f} MiB)")
        self.canary.check(self.canary_limit_ms, min_round_trips=min_round_trips)


# ---------------------------------------------------------------------------
# The broker's counters (the admin API)


class AdminStats:
    """`GET /api/v1/stats` and `GET /metrics` of a broker started with `--admin-token TOKEN`."""

    def __init__(self, broker, token: str):
        self.port = broker.listener_port("admin")
        self.token = token

    def _get(self, path: str) -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, f"GET {path}: {response.status} {body[:200]!r}"
            return body
        finally:
            conn.close()

    def stats(self) -> dict:
        return json.loads(self._get("/api/v1/stats"))

    def counters(self) -> dict[str, int]:
        return self.stats()["counters"]

    def metrics(self) -> dict[str, float]:
        """The unlabelled samples of /metrics, by name."""
        out: dict[str, float] = {}
        for line in self._get("/metrics").decode().splitlines():
            if line and not line.startswith("#") and "{" not in line:
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out


# ---------------------------------------------------------------------------
# Attacker sockets

# The flood attackers' sockets: a 4 KiB receive buffer and a 536-byte MSS, set before connect (as
# any attacker may). Over loopback's 64 KiB MSS Linux sizes the broker's kernel send queue at
# megabytes and grows it towards tcp_wmem's 4 MiB: a debug build reading a flood at ~150 KB/s then
# stays writable (its answers still fit in the kernel) for half a minute before the write-stall
# timeout even starts. With a small MSS the broker's send queue stays at ~100 KiB, so the answers
# back up within a second and the close is expected a write-stall timeout later.
# scripts/memory-attacks.py runs the same attacks with default buffers.
ATTACKER_RCVBUF = 4096
ATTACKER_MSS = 536


def attacker_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, ATTACKER_RCVBUF)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, ATTACKER_MSS)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        return sock
    except BaseException:
        sock.close()
        raise


def mqtt_connected(sock: socket.socket, version: int) -> None:
    """CONNECT and a successful CONNACK, read packet by packet (nothing after it is read)."""
    sock.sendall(wire.connect(unique("attacker"), version=version))
    buf = b""
    deadline = time.monotonic() + 10
    while True:
        if len(buf) >= 2 and len(buf) >= 2 + buf[1]:
            assert buf[0] >> 4 == wire.CONNACK and buf[3] == 0, f"CONNACK refused: {buf.hex()}"
            return
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(2 + buf[1] - len(buf) if len(buf) >= 2 else 2 - len(buf))
        assert chunk, "closed before CONNACK"
        buf += chunk


def read_to_close(sock: socket.socket, timeout: float, limit: int = 1 << 20) -> tuple[bytes, bool]:
    """Everything the peer sends until it closes (EOF or reset), bounded in bytes and time;
    returns it and whether the close came."""
    sock.setblocking(True)
    out = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while len(out) < limit:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = sock.recv(65536)
            if not chunk:
                return bytes(out), True
            out += chunk
    except (ConnectionResetError, ConnectionAbortedError):
        return bytes(out), True
    except socket.timeout:
        pass
    return bytes(out), False


class Flood:
    """Non-blocking writes of `pieces` (bytes, one after the other) to a socket that is never
    read, until all are written, the socket has taken nothing for `stall` seconds, it was closed,
    or `cap` seconds passed (`outcome` says which)."""

    def __init__(self, sock: socket.socket, pieces, *, stall: float = 1.0, cap: float = 15.0):
        self.sock = sock
        self.sent = 0
        self.outcome = "writing"
        self.closed_at: float | None = None
        started = time.monotonic()
        self.last_write = started
        sock.setblocking(False)
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_WRITE)
        try:
            it = iter(pieces)
            pending = memoryview(next(it, b""))
            while pending:
                now = time.monotonic()
                if now - started > cap:
                    self.outcome = "time cap"
                    break
                if now - self.last_write > stall:
                    self.outcome = "blocked"
                    break
                if not sel.select(0.05):
                    continue
                try:
                    n = sock.send(pending)
                except BlockingIOError:
                    continue
                except OSError:
                    self.outcome = "closed while writing"
                    self.closed_at = time.monotonic()
                    break
                self.sent += n
                self.last_write = time.monotonic()
                pending = pending[n:] or memoryview(next(it, b""))
            else:
                self.outcome = "all written"
        finally:
            sel.close()

    def wait_closed(self, timeout: float) -> float | None:
        """Seconds from the last accepted write to the broker's close, or None if it has not closed
        the connection `timeout` seconds after that write. Nothing is read: a reset shows with
        poll(POLLERR / HUP), a FIN with nothing unread before it with POLLRDHUP; a FIN sent after
        the attacker stopped reading waits in TCP behind the answers never read, so the broker's
        end of the connection is watched in /proc/net/tcp too (it leaves ESTABLISHED for
        FIN_WAIT1 when the broker closes or shuts down its side)."""
        if self.closed_at is None:
            poller = select.poll()
            poller.register(self.sock.fileno(), select.POLLRDHUP | select.POLLHUP | select.POLLERR)
            pair = (self.sock.getpeername()[1], self.sock.getsockname()[1])
            deadline = self.last_write + timeout
            while self.closed_at is None and time.monotonic() < deadline:
                if poller.poll(50) or broker_side_state(*pair) != "ESTABLISHED":
                    self.closed_at = time.monotonic()
        return None if self.closed_at is None else self.closed_at - self.last_write

    def read_rest(self, limit: int = 64 * MIB, timeout: float = 10.0) -> tuple[bytes, bool]:
        """What the broker sent that is still readable (bounded), and whether the connection ended
        (EOF or reset) within `timeout`."""
        return read_to_close(self.sock, timeout, limit)


TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
              7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


def broker_side_state(broker_port: int, attacker_port: int) -> str | None:
    """The TCP state of the broker's end of a connection over 127.0.0.1 (/proc/net/tcp), or None
    when it has no socket any more."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = fields[1].split(":"), fields[2].split(":")
            if (local[0] == "0100007F" and int(local[1], 16) == broker_port
                    and int(remote[1], 16) == attacker_port):
                return TCP_STATES.get(int(fields[3], 16), fields[3])
    return None


def repeated(chunk: bytes, budget: int):
    for _ in range(budget // len(chunk)):
        yield chunk


# ---------------------------------------------------------------------------
# Reading what the broker answered


PINGRESP_RUN = re.compile(rb"(?:\xd0\x00)+")


def mqtt_tally(data: bytes) -> tuple[collections.Counter, list[int]]:
    """Packet counts of a server's byte stream and the reason codes of its DISCONNECTs (a
    trailing partial packet is ignored)."""
    counts: collections.Counter = collections.Counter()
    disconnects: list[int] = []
    pos, n = 0, len(data)
    while pos + 2 <= n:
        m = PINGRESP_RUN.match(data, pos)
        if m:
            counts[wire.PINGRESP] += (m.end() - pos) // 2
            pos = m.end()
            continue
        try:
            remaining, body_at = wire.read_varint(data[pos:pos + 5], 1)
        except ValueError:
            break
        end = pos + body_at + remaining
        if end > n:
            break
        ptype = data[pos] >> 4
        counts[ptype] += 1
        if ptype == wire.DISCONNECT:
            disconnects.append(data[pos + body_at] if remaining else 0)
        pos = end
    return counts, disconnects


def describe(counts: collections.Counter) -> str:
    return ", ".join(f"{wire.PACKET_NAMES.get(t, t)}×{k}" for t, k in counts.most_common()) or "nothing"


# ---------------------------------------------------------------------------
# WebSocket, by hand


def ws_frame(payload: bytes, *, opcode: int = 0x2, rsv1: bool = False) -> bytes:
    """One masked client frame, FIN set."""
    n = len(payload)
    head = bytearray([0x80 | (0x40 if rsv1 else 0) | opcode])
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    key = os.urandom(4)
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes((key * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
    return bytes(head) + key + masked


def deflate_message(data: bytes) -> bytes:
    """RFC 7692 §7.2.1: raw DEFLATE, sync flush, without the trailing 00 00 ff ff."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4]


def ws_upgrade_request(port: int, *, deflate: bool = False, path: str = "/mqtt") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    extension = ("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
                 if deflate else "")
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: mqtt\r\n{extension}\r\n").encode()


def ws_connect(port: int, *, deflate: bool = False,
               make_socket: Callable[[int], socket.socket] = attacker_socket) -> tuple[socket.socket, bytearray]:
    """Upgrade to MQTT over WebSocket (subprotocol mqtt; with `deflate`, permessage-deflate with
    client_no_context_takeover); returns the socket and what followed the response head."""
    sock = make_socket(port)
    try:
        sock.sendall(ws_upgrade_request(port, deflate=deflate))
        buf = bytearray()
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            assert chunk, f"EOF during the handshake: {bytes(buf)!r}"
            buf += chunk
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        if deflate:
            assert b"permessage-deflate" in head.lower(), f"deflate not negotiated: {head!r}"
        return sock, bytearray(rest)
    except BaseException:
        sock.close()
        raise


def ws_connect_deflate(port: int) -> tuple[socket.socket, bytearray]:
    return ws_connect(port, deflate=True)


def ws_tally(data: bytes) -> tuple[list[int], collections.Counter, list[int]]:
    """A server's WebSocket frames: (Close codes, MQTT packet counts, MQTT DISCONNECT reasons).
    Compressed messages are inflated with a fresh inflater each (server_no_context_takeover)."""
    closes: list[int] = []
    stream = bytearray()
    pos, n = 0, len(data)
    parts: list[bytes] = []
    compressed = False
    while pos + 2 <= n:
        b0, b1 = data[pos], data[pos + 1]
        length, at = b1 & 0x7F, pos + 2
        if length == 126:
            length, at = int.from_bytes(data[at:at + 2], "big"), at + 2
        elif length == 127:
            length, at = int.from_bytes(data[at:at + 8], "big"), at + 8
        if at + length > n:
            break
        payload = data[at:at + length]
        pos = at + length
        opcode = b0 & 0x0F
        if opcode == 0x8:
            closes.append(int.from_bytes(payload[:2], "big") if length >= 2 else 1005)
        elif opcode in (0x0, 0x2):
            if opcode == 0x2:
                compressed = bool(b0 & 0x40)
            parts.append(payload)
            if b0 & 0x80:
                message = b"".join(parts)
                parts = []
                if compressed:
                    try:
                        message = zlib.decompressobj(-15).decompress(message + b"\x00\x00\xff\xff")
                    except zlib.error:
                        continue   # not one the tests read (their answers are small, sent uncompressed)
                stream += message
    counts, disconnects = mqtt_tally(bytes(stream))
    return closes, counts, disconnects
