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
"""Broker memory and latency under the memory attacks of issue 11.

Starts the broker it measures itself (one fresh broker per attack, on loopback only, with
`--admin off`) and stops it again by its PID. Every attack is bounded in bytes, count and time and
stops by itself; no attack opens more than a few hundred sockets at a time.

Per attack:

1. A fresh broker. A sampler thread reads its VmRSS from /proc/PID/status at 20 Hz for the whole
   run; past --rss-limit-mb (default 6000) it kills the broker (SIGKILL, by its PID) and says so.
2. The canary, in a process of its own (so that the attacker's Python does not delay it): a paho
   MQTT 5 client subscribed QoS 1 to a topic of its own that publishes QoS 1 to it and waits for
   the message to come back, again and again (one round trip every --canary-interval seconds),
   and a prober that opens a fresh TCP connection once a second and times CONNECT → CONNACK.
   "before" = VmRSS once settled with the canary connected.
3. The attack (below): it writes without ever reading, with non-blocking sends, until its byte or
   message budget is spent, the broker closed it, or --time-cap passed (default 30 s). A socket
   that takes nothing for a while (the broker stopped reading) is tried again until then: a
   broker that catches up is attacked again.
4. Hold: the attack's sockets stay open and unread for up to --hold seconds, or until the broker
   closed all of them. Nothing is read to see that: a reset shows with poll(), and a FIN, which
   TCP queues behind the answers the attacker never read, shows as the broker's end of the
   connection leaving ESTABLISHED in /proc/net/tcp. A broker that closes stalled connections
   after a write-stall timeout is seen doing so here, with the time from the attacker's last
   successful write to the close.
5. The answer: for each socket the broker closed, everything it sent is read to the end (bounded)
   and parsed: MQTT DISCONNECT reason code, WebSocket Close code, or a plain close / reset. Then
   every socket is closed. A broker may still be busy with what it had read (the unfixed one spent
   seconds per deflate bomb): the script waits until it answers the canary again (a round trip
   started after the close completes; at most --recover-wait seconds), then --after-wait seconds
   (default 5), and reads "after". "peak" = the highest VmRSS from the start of the attack to then.
6. The canary stops; its round trips (max, p99; a round trip still unanswered counts with its
   age so far) and the CONNACK probes (max, median) are printed.

Attacks (sizes are flags; --quick makes every attack small enough for CI, under ~15 s each):

- ping-flood-tcp: CONNECT (MQTT 5), then PINGREQs (c0 00) in 256 KiB writes, never reading,
  until --flood-mib MiB are sent.
- puback-flood-tcp: the same with QoS 1 PUBLISHes (7-byte topic without subscribers, 8-byte
  payload, packet IDs cycling), each answered by a PUBACK.
- ws-deflate-bomb: --ws-clients WebSocket connections to /mqtt (subprotocol mqtt,
  permessage-deflate with client_no_context_takeover), frames built here over a raw socket
  (masked, RSV1): CONNECT in one message, CONNACK read, then --ws-messages compressed binary
  messages each inflating to 1,000,000 bytes of PINGREQs (500,000 of them; about 1 KB on the wire),
  never reading.
- slow-qos1-subscriber: --slow-subscribers MQTT 5 sessions (SO_RCVBUF 4 KiB) subscribe QoS 1 to
  one topic and never read; a well-behaved publisher (it reads its PUBACKs, 8 in flight) sends
  --slow-messages QoS 1 messages of --slow-payload bytes.
- offline-sessions: --sessions persistent sessions (MQTT 5 with Session Expiry Interval 3600, or
  3.1.1 with clean session 0: --session-protocol) each CONNECT, SUBSCRIBE QoS 1 to one topic and
  DISCONNECT (at most 100 sockets open at once); then --offline-publishes QoS 1 publishes of
  32 bytes to that topic. "after" is read with the sessions still stored; then every session is
  resumed with a clean start (deleting it) and "cleared" read --after-wait seconds later.

Extra broker flags: --broker-arg, repeated, in the `=` form so that the value may start with
dashes: `--broker-arg=--max-outbound-bytes=65536`.

Prints one block per attack and a Markdown table at the end (and, with --json FILE, the figures).

    swift build -c release --product swiftlet
    python3 scripts/memory-attacks.py --bin .build/release/swiftlet all
    python3 scripts/memory-attacks.py --bin .build/release/swiftlet --quick ws-deflate-bomb \\
        --broker-arg=--write-stall-timeout=2
"""

from __future__ import annotations

import argparse
import base64
import collections
import errno
import json
import math
import multiprocessing
import os
import re
import resource
import select
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib

from measure_common import HOST, remaining_length

ATTACKS = ["ping-flood-tcp", "puback-flood-tcp", "ws-deflate-bomb", "slow-qos1-subscriber", "offline-sessions"]
MIB = 1 << 20
IO_TIMEOUT = 10.0
READ_BACK_LIMIT = 256 * MIB     # bytes read from one closed socket to find its last packet
READ_BACK_TIME = 15.0           # seconds spent on that at most
OPEN_AT_ONCE = 100              # offline-sessions: sockets open at a time
PROBE_TIMEOUT = 30.0            # a fresh client waits this long for CONNACK
ROUND_TRIP_TIMEOUT = 60.0       # the canary gives up on a round trip after this

# ---------------------------------------------------------------------------------------------
# MQTT encoding (just what the attacks send)

V311, V5 = 4, 5
PINGREQ = b"\xc0\x00"
PACKET_NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL", 7: "PUBCOMP",
                8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
                14: "DISCONNECT", 15: "AUTH"}


def _string(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return len(b).to_bytes(2, "big") + b


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + remaining_length(len(body)) + body


def mqtt_connect(client_id: str, version: int = V5, clean: bool = True, session_expiry: int = 0,
                 keepalive: int = 0) -> bytes:
    body = _string("MQTT") + bytes([version, 0x02 if clean else 0x00]) + keepalive.to_bytes(2, "big")
    if version == V5:
        props = b"\x11" + session_expiry.to_bytes(4, "big") if session_expiry else b""
        body += remaining_length(len(props)) + props
    return _packet(0x10, body + _string(client_id))


def mqtt_subscribe(pid: int, topic_filter: str, qos: int = 1, version: int = V5) -> bytes:
    body = pid.to_bytes(2, "big") + (b"\x00" if version == V5 else b"") + _string(topic_filter) + bytes([qos])
    return _packet(0x82, body)


def mqtt_publish(topic: str, payload: bytes, pid: int, qos: int = 1, version: int = V5) -> bytes:
    body = _string(topic) + (pid.to_bytes(2, "big") if qos else b"") + (b"\x00" if version == V5 else b"")
    return _packet(0x30 | (qos << 1), body + payload)


def mqtt_disconnect() -> bytes:
    return b"\xe0\x00"


PINGRESP_RUN = re.compile(rb"(?:\xd0\x00)+")


class MqttTally:
    """Counts the packets of a server's byte stream and keeps what tells how it ended."""

    def __init__(self, version: int = V5) -> None:
        self.version = version
        self.buf = bytearray()
        self.counts: collections.Counter[str] = collections.Counter()
        self.codes: collections.Counter[str] = collections.Counter()   # "CONNACK 0x00", "PUBACK 0x10"
        self.disconnect: int | None = None
        self.last: str | None = None

    def feed(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        pos, n = 0, len(buf)
        while pos + 2 <= n:
            if buf[pos] == 0xD0:
                m = PINGRESP_RUN.match(buf, pos)
                if m:
                    self.counts["PINGRESP"] += (m.end() - pos) // 2
                    self.last = "PINGRESP"
                    pos = m.end()
                    continue
            rl, mul, i = 0, 1, pos + 1
            complete = False
            while i < n and i - pos <= 4:
                b = buf[i]
                rl += (b & 0x7F) * mul
                mul *= 128
                i += 1
                if not b & 0x80:
                    complete = True
                    break
            if not complete or i + rl > n:
                if i - pos > 4:
                    self.counts["malformed"] += 1
                    pos = n
                break
            ptype = buf[pos] >> 4
            body = bytes(buf[i:i + rl])
            name = PACKET_NAMES.get(ptype, f"type{ptype}")
            self.counts[name] += 1
            self.last = name
            if ptype == 2 and len(body) >= 2:
                self.codes[f"CONNACK 0x{body[1]:02x}"] += 1
            elif ptype in (4, 5) and len(body) >= 2:
                self.codes[f"{name} 0x{body[2] if len(body) > 2 else 0:02x}"] += 1
            elif ptype == 9 and len(body) >= 3:
                self.codes[f"SUBACK 0x{body[-1]:02x}"] += 1
            elif ptype == 14:
                self.disconnect = body[0] if body else 0
            pos = i + rl
        del buf[:pos]

    def summary(self) -> str:
        return ", ".join(f"{k}×{v}" for k, v in self.counts.most_common())


PINGRESP_FRAME_RUN = re.compile(rb"(?:\x82\x02\xd0\x00)+")


class WsTally:
    """Parses a server's WebSocket frames (unmasked; compressed messages inflated with a fresh
    inflater each, as server_no_context_takeover allows) into an MqttTally."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.mqtt = MqttTally(V5)
        self.close_code: int | None = None
        self.frames = 0
        self.parts: list[bytes] = []
        self.compressed = False
        self.inflate_errors = 0

    def feed(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        pos, n = 0, len(buf)
        while pos + 2 <= n:
            if buf[pos] == 0x82 and not self.parts:
                m = PINGRESP_FRAME_RUN.match(buf, pos)
                if m:
                    k = (m.end() - pos) // 4
                    self.frames += k
                    self.mqtt.counts["PINGRESP"] += k
                    self.mqtt.last = "PINGRESP"
                    pos = m.end()
                    continue
            b0, b1 = buf[pos], buf[pos + 1]
            length, at = b1 & 0x7F, pos + 2
            if length == 126:
                if n < at + 2:
                    break
                length, at = int.from_bytes(buf[at:at + 2], "big"), at + 2
            elif length == 127:
                if n < at + 8:
                    break
                length, at = int.from_bytes(buf[at:at + 8], "big"), at + 8
            if b1 & 0x80:
                at += 4   # a server must not mask; skip the key if it does
            if n < at + length:
                break
            payload = bytes(buf[at:at + length])
            pos = at + length
            self.frames += 1
            opcode = b0 & 0x0F
            if opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            elif opcode in (0x0, 0x1, 0x2):
                if opcode != 0x0:
                    self.compressed = bool(b0 & 0x40)
                self.parts.append(payload)
                if b0 & 0x80:
                    message = b"".join(self.parts)
                    self.parts = []
                    if self.compressed:
                        try:
                            message = zlib.decompressobj(-15).decompress(message + b"\x00\x00\xff\xff")
                        except zlib.error:
                            self.inflate_errors += 1
                            continue
                    self.mqtt.feed(message)
        del buf[:pos]


# ---------------------------------------------------------------------------------------------
# WebSocket client pieces


def ws_frame(payload: bytes, opcode: int = 0x2, rsv1: bool = False) -> bytes:
    """One masked client frame, FIN set."""
    n = len(payload)
    head = bytearray([0x80 | (0x40 if rsv1 else 0) | opcode])
    if n < 126:
        head.append(0x80 | n)
    elif n < 65536:
        head.append(0x80 | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(0x80 | 127)
        head += n.to_bytes(8, "big")
    key = os.urandom(4)
    if n:
        repeated = (key * (n // 4 + 1))[:n]
        payload = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
    return bytes(head) + key + payload


def deflate_message(data: bytes) -> bytes:
    """RFC 7692 §7.2.1: raw DEFLATE, sync flush, the trailing 00 00 ff ff removed."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def read_http_head(sock: socket.socket, timeout: float = IO_TIMEOUT) -> tuple[bytes, bytes]:
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"EOF before a full HTTP head: {buf[:200]!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def ws_open(port: int, extensions: str) -> tuple[socket.socket, str, bytes]:
    """TCP + upgrade; returns the socket, the negotiated extensions and bytes after the head."""
    sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /mqtt HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"
                  f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n").encode())
    head, rest = read_http_head(sock)
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 101"):
        sock.close()
        raise ConnectionError(f"upgrade refused: {lines[0]}")
    negotiated = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-extensions":
            negotiated = value.strip()
    return sock, negotiated, rest


# ---------------------------------------------------------------------------------------------
# The broker and its memory


class Broker:
    def __init__(self, path: str, extra: list[str]) -> None:
        self.argv = [path, "serve", "--mqtt", f"{HOST}:0", "--http", f"{HOST}:0", "--admin", "off",
                     "--log-level", "notice", *extra]
        self.ports: dict[str, int] = {}
        self.stderr_lines: collections.deque[str] = collections.deque(maxlen=200)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True, errors="replace")
        self.pid = self.proc.pid
        pat = re.compile(r"listening (\w+) on (?:\[?[\d.:a-f]*\]?):(\d+)")
        ready = threading.Event()

        def pump() -> None:
            for line in self.proc.stderr:
                self.stderr_lines.append(line.rstrip("\n"))
                m = pat.search(line)
                if m:
                    self.ports[m.group(1)] = int(m.group(2))
                    if "http" in self.ports and "mqtt" in self.ports:
                        ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(30) or "http" not in self.ports or "mqtt" not in self.ports:
            self.stop()
            raise RuntimeError("swiftlet did not report its listeners:\n" + "\n".join(list(self.stderr_lines)[-20:]))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kib(self) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError):
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class RssSampler(threading.Thread):
    """VmRSS at `hz`; kills the broker (by its PID) once it passes `limit_kib`."""

    def __init__(self, broker: Broker, limit_kib: int, hz: float = 20.0) -> None:
        super().__init__(daemon=True)
        self.broker = broker
        self.limit_kib = limit_kib
        self.period = 1.0 / hz
        self.samples: list[tuple[float, int]] = []
        self.killed: tuple[float, int] | None = None
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        while not self.halt.is_set():
            kib = self.broker.rss_kib()
            if kib is None:
                return
            now = time.monotonic()
            with self.lock:
                self.samples.append((now, kib))
            if kib > self.limit_kib and self.killed is None and self.broker.alive():
                os.kill(self.broker.pid, signal.SIGKILL)
                self.killed = (now, kib)
                return
            self.halt.wait(self.period)

    def latest(self) -> int | None:
        with self.lock:
            return self.samples[-1][1] if self.samples else None

    def peak(self, since: float) -> tuple[int, float]:
        with self.lock:
            best = max(((kib, t) for t, kib in self.samples if t >= since), default=(0, since))
        return best[0], best[1] - since

    def settled(self, limit: float) -> int | None:
        """The reading once two readings 0.5 s apart differ by less than 256 KiB, or after `limit`."""
        deadline = time.monotonic() + limit
        last = self.latest()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.latest()
            if now is not None and last is not None and abs(now - last) < 256:
                return now
            last = now
        return last


# ---------------------------------------------------------------------------------------------
# The canary (its own process)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[max(0, math.ceil(p * len(s)) - 1)]


def canary_main(port: int, interval: float, probe_every: float, ready, halt, results, last_ok) -> None:
    import paho.mqtt.client as paho

    out: dict = {"rtts": [], "outstanding": None, "probes": [], "probe_failures": [], "canary_lost": None,
                 "error": None}
    topic = f"canary/{os.getpid()}"
    got = threading.Event()
    expected: list[bytes] = [b""]
    connected = threading.Event()
    subscribed = threading.Event()
    lost = threading.Event()

    def on_connect(client, userdata, flags, reason_code, properties):
        if not reason_code.is_failure:
            connected.set()

    def on_subscribe(client, userdata, mid, reason_codes, properties):
        subscribed.set()

    def on_message(client, userdata, msg):
        if msg.payload == expected[0]:
            got.set()

    def on_disconnect(client, userdata, flags, reason_code, properties):
        if halt.is_set():
            return   # our own DISCONNECT at the end
        out["canary_lost"] = str(reason_code)
        lost.set()

    def prober() -> None:
        i = 0
        while not halt.is_set():
            i += 1
            started = time.monotonic()
            s = None
            try:
                s = socket.create_connection((HOST, port), timeout=PROBE_TIMEOUT)
                s.sendall(mqtt_connect(f"probe-{os.getpid()}-{i}", V5))
                buf = b""
                while len(buf) < 4:
                    s.settimeout(max(PROBE_TIMEOUT - (time.monotonic() - started), 0.001))
                    chunk = s.recv(64)
                    if not chunk:
                        raise ConnectionError("closed before CONNACK")
                    buf += chunk
                elapsed = time.monotonic() - started
                if buf[0] != 0x20 or buf[3] != 0:
                    out["probe_failures"].append(f"CONNACK {buf[:4].hex()}")
                else:
                    out["probes"].append(elapsed * 1000)
                s.sendall(mqtt_disconnect())
            except (OSError, ConnectionError) as e:
                out["probe_failures"].append(f"{type(e).__name__} after {time.monotonic() - started:.1f} s")
            finally:
                if s is not None:
                    s.close()
            halt.wait(max(0.0, probe_every - (time.monotonic() - started)))

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"canary-{os.getpid()}",
                         protocol=paho.MQTTv5, reconnect_on_failure=False)
    client.on_connect, client.on_subscribe = on_connect, on_subscribe
    client.on_message, client.on_disconnect = on_message, on_disconnect
    try:
        client.connect(HOST, port, keepalive=60)
        client.loop_start()
        if not connected.wait(IO_TIMEOUT):
            raise RuntimeError("canary: no CONNACK")
        client.subscribe(topic, qos=1)
        if not subscribed.wait(IO_TIMEOUT):
            raise RuntimeError("canary: no SUBACK")
        probe_thread = threading.Thread(target=prober, daemon=True)
        # One round trip before "ready", so that the first measured one is not the first ever.
        seq = 0
        while True:
            seq += 1
            expected[0] = b"%d" % seq
            got.clear()
            started = time.monotonic()
            client.publish(topic, expected[0], qos=1)
            while not got.wait(0.05):
                age = time.monotonic() - started
                if halt.is_set() or lost.is_set() or age > ROUND_TRIP_TIMEOUT:
                    out["outstanding"] = age * 1000
                    break
            else:
                last_ok.value = started   # CLOCK_MONOTONIC: the same clock in every process
                if ready.is_set():
                    out["rtts"].append((time.monotonic() - started) * 1000)
                else:
                    ready.set()
                    probe_thread.start()
                halt.wait(interval)
                if not halt.is_set():
                    continue
            break
        if probe_thread.is_alive():
            probe_thread.join(PROBE_TIMEOUT + 1)
    except Exception as e:   # reported, not raised: the parent prints it
        out["error"] = f"{type(e).__name__}: {e}"
        ready.set()
    finally:
        try:
            client.disconnect()
        except Exception:
            pass
        client.loop_stop()
        results.send(out)
        results.close()


class Canary:
    def __init__(self, port: int, interval: float, probe_every: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.ready = ctx.Event()
        self.halt = ctx.Event()
        self.receiver, sender = ctx.Pipe(duplex=False)
        self.last_ok = ctx.Value("d", 0.0, lock=False)
        self.proc = ctx.Process(target=canary_main,
                                args=(port, interval, probe_every, self.ready, self.halt, sender, self.last_ok),
                                daemon=True)
        self.proc.start()
        sender.close()
        if not self.ready.wait(20):
            self.kill()
            raise RuntimeError("the canary did not complete its first round trip")

    def stop(self) -> dict:
        self.halt.set()
        result = None
        if self.receiver.poll(PROBE_TIMEOUT + 10):
            result = self.receiver.recv()
        self.proc.join(5)
        self.kill()
        return result or {"error": "the canary sent no result"}

    def kill(self) -> None:
        if self.proc.is_alive() and self.proc.pid:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.join(5)


# ---------------------------------------------------------------------------------------------
# Writing without reading, holding, and reading the answer back


class Stream:
    """One attacker socket and what it still has to write."""

    def __init__(self, sock: socket.socket, name: str, pieces, kind: str = "mqtt") -> None:
        self.sock = sock
        self.name = name
        self.kind = kind          # "mqtt" or "ws": how to parse the answer
        self.pieces = iter(pieces)
        self.pending = memoryview(b"")
        self.sent = 0
        self.outcome = "writing"
        self.last_write = time.monotonic()
        self.closed_at: float | None = None
        self.close_kind: str | None = None
        self.answer: str = ""
        self.short: str = ""      # the answer without its figures, for the summary
        self.prefix = b""         # bytes read before the attack (e.g. after the HTTP head)
        self.local_port = sock.getsockname()[1]
        self.peer_port = sock.getpeername()[1]

    def next_piece(self) -> bool:
        while not self.pending:
            try:
                self.pending = memoryview(next(self.pieces))
            except StopIteration:
                return False
        return True


def write_without_reading(streams: list[Stream], time_cap: float, stall: float, broker: Broker) -> float:
    """Non-blocking writes on every stream until each one has written everything, was closed, or
    (with `stall` > 0) has not taken a byte for `stall` seconds; `time_cap` bounds the whole.
    Returns the seconds."""
    started = time.monotonic()
    sel = selectors.DefaultSelector()
    active = 0
    for st in streams:
        st.sock.setblocking(False)
        st.last_write = started
        if st.next_piece():
            sel.register(st.sock, selectors.EVENT_WRITE, st)
            active += 1
        else:
            st.outcome = "done"
    try:
        while active:
            now = time.monotonic()
            if now - started > time_cap or not broker.alive():
                for key in list(sel.get_map().values()):
                    st = key.data
                    idle = now - st.last_write
                    st.outcome = ("broker gone" if not broker.alive() else
                                  f"time cap (no byte taken for the last {idle:.1f} s)" if idle > 1 else "time cap")
                break
            for key, _ in sel.select(0.05):
                st: Stream = key.data
                try:
                    while st.pending:
                        n = st.sock.send(st.pending[:256 * 1024])
                        st.pending = st.pending[n:]
                        st.sent += n
                        st.last_write = time.monotonic()
                        if not st.pending and not st.next_piece():
                            st.outcome = "done"
                            break
                except BlockingIOError:
                    pass
                except OSError as e:
                    st.outcome = f"closed while writing ({errno.errorcode.get(e.errno, e.errno)})"
                    st.closed_at = time.monotonic()
                    st.close_kind = "reset" if e.errno == errno.ECONNRESET else "closed"
                if st.outcome != "writing":
                    sel.unregister(st.sock)
                    active -= 1
            now = time.monotonic()
            for key in list(sel.get_map().values()) if stall else []:
                st = key.data
                if now - st.last_write > stall:
                    st.outcome = f"blocked (no byte taken for {stall:g} s)"
                    sel.unregister(st.sock)
                    active -= 1
    finally:
        sel.close()
    return time.monotonic() - started


TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
              7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


def broker_side_states(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """The TCP state of the broker's end of each (broker port, attacker port) connection over
    127.0.0.1, from /proc/net/tcp; a pair missing from the result has no socket there any more."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = fields[1].split(":"), fields[2].split(":")
            key = (int(local[1], 16), int(remote[1], 16))
            if key in pairs and local[0] == "0100007F":
                out[key] = TCP_STATES.get(int(fields[3], 16), fields[3])
    return out


def hold(streams: list[Stream], seconds: float, broker: Broker) -> None:
    """Keeps the sockets open and unread; notes when the broker closes each. A reset, or a FIN with
    nothing unread before it, shows with poll(POLLRDHUP / HUP / ERR). A FIN sent after the attacker
    stopped reading waits in TCP behind the answers never read, so the broker's end of the
    connection is watched in /proc/net/tcp too: once it leaves ESTABLISHED (FIN_WAIT1: the broker
    closed or shut down its side) the broker has closed the connection. Neither reads a byte."""
    poller = select.poll()
    by_fd = {}
    for st in streams:
        if st.closed_at is None:
            poller.register(st.sock.fileno(), select.POLLRDHUP | select.POLLHUP | select.POLLERR)
            by_fd[st.sock.fileno()] = st
    deadline = time.monotonic() + seconds
    while by_fd and time.monotonic() < deadline:
        for fd, ev in poller.poll(50):
            st = by_fd.pop(fd, None)
            if st is None:
                continue
            poller.unregister(fd)
            st.closed_at = time.monotonic()
            st.close_kind = "reset" if ev & select.POLLERR else "closed"
        pairs = {(st.peer_port, st.local_port): st for st in by_fd.values()}
        if pairs:
            states = broker_side_states(set(pairs))
            for key, st in pairs.items():
                state = states.get(key)
                if state != "ESTABLISHED":
                    fd = st.sock.fileno()
                    by_fd.pop(fd, None)
                    poller.unregister(fd)
                    st.closed_at = time.monotonic()
                    st.close_kind = f"broker side {state or 'gone'}"
        if not broker.alive():
            break


def read_answer(st: Stream) -> None:
    """For a socket the broker closed: read to the end (bounded) and say how it ended."""
    if st.closed_at is None:
        st.short = "not closed"
        st.answer = f"not closed {time.monotonic() - st.last_write:.1f} s after its last write"
        return
    tally = WsTally() if st.kind == "ws" else MqttTally(V5)
    if st.prefix:
        tally.feed(st.prefix)
    st.sock.setblocking(True)
    deadline = time.monotonic() + READ_BACK_TIME
    total, how = 0, "EOF"
    try:
        while total < READ_BACK_LIMIT:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                how = f"no EOF within {READ_BACK_TIME:g} s of reading"
                break
            st.sock.settimeout(remaining)
            chunk = st.sock.recv(1 << 20)
            if not chunk:
                break
            total += len(chunk)
            tally.feed(chunk)
        else:
            how = f"read-back cut after {total // MIB} MiB"
    except ConnectionResetError:
        how = "reset"
    except socket.timeout:
        how = f"no EOF within {READ_BACK_TIME:g} s of reading"
    except OSError as e:
        how = f"{type(e).__name__}"
    mq = tally.mqtt if isinstance(tally, WsTally) else tally
    parts = []
    if isinstance(tally, WsTally) and tally.close_code is not None:
        parts.append(f"WebSocket Close {tally.close_code}")
    if mq.disconnect is not None:
        parts.append(f"DISCONNECT 0x{mq.disconnect:02x}")
    if not parts:
        parts.append("reset" if how == "reset" or (st.close_kind == "reset" and how == "EOF")
                     else "plain close" if how == "EOF" else how)
    elif how not in ("EOF", "reset"):
        parts.append(how)
    st.short = " + ".join(parts)
    behind = st.close_kind.startswith("broker side") if st.close_kind else False
    st.answer = (st.short + f", {st.closed_at - st.last_write:.1f} s after its last write"
                 + (f" ({st.close_kind}: the FIN waited behind unread answers)" if behind else "")
                 + (f" ({total / MIB:.1f} MiB of unread answers: {mq.summary()})" if total else ""))


def close_all(socks) -> None:
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def recv_packet(sock: socket.socket, buf: bytearray, timeout: float = IO_TIMEOUT) -> tuple[int, bytes]:
    """One whole MQTT packet (blocking, bounded): (first byte, body)."""
    deadline = time.monotonic() + timeout
    while True:
        if len(buf) >= 2:
            rl, mul, i, complete = 0, 1, 1, False
            while i < len(buf) and i <= 4:
                b = buf[i]
                rl += (b & 0x7F) * mul
                mul *= 128
                i += 1
                if not b & 0x80:
                    complete = True
                    break
            if complete and len(buf) >= i + rl:
                first, body = buf[0], bytes(buf[i:i + rl])
                del buf[:i + rl]
                return first, body
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the broker")
        buf += chunk


def connect_raw(port: int, client_id: str, version: int = V5, rcvbuf: int | None = None,
                **kw) -> tuple[socket.socket, int]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(IO_TIMEOUT)
    s.connect((HOST, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(mqtt_connect(client_id, version, **kw))
    first, body = recv_packet(s, bytearray())
    if first >> 4 != 2:
        raise ConnectionError(f"expected CONNACK, got {first:#x}")
    return s, body[1]


class Publisher:
    """A well-behaved QoS 1 publisher on a raw socket: `window` PUBLISHes in flight, PUBACKs read."""

    def __init__(self, port: int, version: int = V5) -> None:
        self.version = version
        self.sock, code = connect_raw(port, f"attack-pub-{os.getpid()}", version)
        if code != 0:
            raise ConnectionError(f"publisher refused: CONNACK 0x{code:02x}")
        self.buf = bytearray()
        self.codes: collections.Counter[str] = collections.Counter()
        self.sent = 0
        self.acked = 0

    def run(self, topic: str, payloads, window: int, time_cap: float) -> str:
        deadline = time.monotonic() + time_cap
        in_flight = 0
        pid = 0
        it = iter(payloads)
        exhausted = False
        try:
            while True:
                while in_flight < window and not exhausted and time.monotonic() < deadline:
                    try:
                        payload = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    pid = pid % 65535 + 1
                    self.sock.sendall(mqtt_publish(topic, payload, pid, 1, self.version))
                    self.sent += 1
                    in_flight += 1
                if in_flight == 0:
                    return "done" if exhausted else "time cap"
                first, body = recv_packet(self.sock, self.buf, max(1.0, deadline - time.monotonic() + 5))
                if first >> 4 == 4:
                    in_flight -= 1
                    self.acked += 1
                    self.codes[f"0x{body[2] if len(body) > 2 else 0:02x}"] += 1
                elif first >> 4 == 14:
                    return f"publisher got DISCONNECT 0x{body[0] if body else 0:02x}"
        except (OSError, ConnectionError) as e:
            return f"publisher: {type(e).__name__}: {e}"

    def close(self) -> None:
        try:
            self.sock.sendall(mqtt_disconnect())
        except OSError:
            pass
        self.sock.close()

    def describe(self) -> str:
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(self.codes.items()))
        return f"publisher sent {self.sent}, PUBACKs: {codes or 'none'}"


# ---------------------------------------------------------------------------------------------
# The attacks. Each gets the broker and the settings, does its writing and holding, and returns
# (its sockets as Streams, a line saying what it did, extra fields).


def repeat_chunks(chunk: bytes, total: int):
    sent = 0
    while sent < total:
        piece = chunk if total - sent >= len(chunk) else chunk[:total - sent]
        sent += len(piece)
        yield piece


def attack_ping_flood(broker: Broker, a) -> tuple[list[Stream], str, dict]:
    sock, code = connect_raw(broker.ports["mqtt"], "attack-ping", V5)
    st = Stream(sock, "ping", repeat_chunks(PINGREQ * (128 * 1024), int(a.flood_mib * MIB)))
    seconds = write_without_reading([st], a.time_cap, a.stall, broker)
    line = (f"CONNACK 0x{code:02x}; wrote {st.sent / MIB:.1f} MiB of PINGREQs ({st.sent // 2:,} packets) "
            f"in {seconds:.1f} s, then {st.outcome}")
    return [st], line, {"sent_bytes": st.sent}


def attack_puback_flood(broker: Broker, a) -> tuple[list[Stream], str, dict]:
    sock, code = connect_raw(broker.ports["mqtt"], "attack-puback", V5)
    one = [mqtt_publish("flood/x", b"12345678", pid) for pid in range(1, 4097)]
    chunk = b"".join(one)
    total = int(a.flood_mib * MIB)
    # Whole packets only: the budget is rounded down to a multiple of one packet.
    size = len(one[0])
    total -= total % size
    st = Stream(sock, "puback", repeat_chunks(chunk * max(1, (256 * 1024) // len(chunk)), total))
    seconds = write_without_reading([st], a.time_cap, a.stall, broker)
    line = (f"CONNACK 0x{code:02x}; wrote {st.sent / MIB:.1f} MiB of QoS 1 PUBLISHes ({st.sent // size:,} of "
            f"{size} bytes) in {seconds:.1f} s, then {st.outcome}")
    return [st], line, {"sent_bytes": st.sent}


def attack_ws_bomb(broker: Broker, a) -> tuple[list[Stream], str, dict]:
    port = broker.ports["http"]
    inflated = PINGREQ * (a.ws_inflated // 2)
    compressed = deflate_message(inflated)
    streams: list[Stream] = []
    notes = []
    try:
        for i in range(a.ws_clients):
            sock, negotiated, rest = ws_open(port, "permessage-deflate; client_no_context_takeover")
            streams.append(Stream(sock, f"ws{i}", [], kind="ws"))
            if "permessage-deflate" not in negotiated:
                notes.append(f"ws{i}: deflate not negotiated ({negotiated!r})")
            # CONNECT in one (uncompressed) message; read until CONNACK, then never again.
            sock.sendall(ws_frame(mqtt_connect(f"attack-ws-{i}", V5)))
            tally = WsTally()
            tally.feed(rest)
            deadline = time.monotonic() + IO_TIMEOUT
            while not tally.mqtt.counts["CONNACK"] and time.monotonic() < deadline:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(4096)
                if not chunk:
                    break
                tally.feed(chunk)
            notes.append(", ".join(sorted(tally.mqtt.codes)) or "no CONNACK")
        # Each message its own frame, masked with its own key (built up front, ~1 KB each).
        for st in streams:
            st.pieces = iter([ws_frame(compressed, rsv1=True) for _ in range(a.ws_messages)])
        seconds = write_without_reading(streams, a.time_cap, a.stall, broker)
    except BaseException:
        close_all(st.sock for st in streams)
        raise
    frame = len(ws_frame(compressed, rsv1=True))
    sent_msgs = sum(st.sent // frame for st in streams)
    outcomes = collections.Counter(st.outcome for st in streams)
    line = (f"{a.ws_clients} clients, {'; '.join(sorted(set(notes)))}; "
            f"each message {len(compressed):,} bytes compressed "
            f"→ {len(inflated):,} bytes ({len(inflated) // 2:,} PINGREQs); {sent_msgs} of "
            f"{a.ws_clients * a.ws_messages} messages written in {seconds:.1f} s; "
            + ", ".join(f"{n}× {o}" for o, n in outcomes.items()))
    return streams, line, {"messages_sent": sent_msgs, "compressed_bytes": len(compressed)}


def attack_slow_subscriber(broker: Broker, a) -> tuple[list[Stream], str, dict]:
    port = broker.ports["mqtt"]
    topic = "slow/t"
    streams: list[Stream] = []
    pub = None
    try:
        for i in range(a.slow_subscribers):
            sock, code = connect_raw(port, f"attack-slow-{i}", V5, rcvbuf=4096)
            sock.sendall(mqtt_subscribe(1, topic, 1))
            first, body = recv_packet(sock, bytearray())
            if first >> 4 != 9 or body[-1] != 1:
                raise ConnectionError(f"slow subscriber {i}: SUBACK {body.hex()}")
            streams.append(Stream(sock, f"slow{i}", []))
            streams[-1].outcome = "never reads"
        pub = Publisher(port)
        payload = os.urandom(a.slow_payload)
        started = time.monotonic()
        how = pub.run(topic, (payload for _ in range(a.slow_messages)), window=8, time_cap=a.time_cap)
        seconds = time.monotonic() - started
        now = time.monotonic()
        for st in streams:
            st.last_write = now   # the subscribers wrote nothing since SUBSCRIBE; time the close from here
    except BaseException:
        close_all(st.sock for st in streams)
        if pub:
            pub.sock.close()
        raise
    line = (f"{a.slow_subscribers} subscribers (QoS 1, never reading, SO_RCVBUF 4 KiB); {pub.describe()} "
            f"of {a.slow_payload:,} bytes in {seconds:.1f} s ({how})")
    pub.close()
    return streams, line, {"published": pub.sent}


def session_batch(port: int, ids: list[str], version: int, mode: str) -> collections.Counter:
    """Opens one socket per ID (all at once), pipelines CONNECT (+ SUBSCRIBE) + DISCONNECT, reads
    each to EOF; returns the CONNACK / SUBACK codes seen."""
    codes: collections.Counter[str] = collections.Counter()
    socks = []
    try:
        for cid in ids:
            s = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
            socks.append(s)
            if mode == "create":
                hello = mqtt_connect(cid, version, clean=(version == V5), session_expiry=3600)
                hello += mqtt_subscribe(1, "offline/t", 1, version)
            else:   # delete: resume with a clean start, no expiry
                hello = mqtt_connect(cid, version, clean=True, session_expiry=0)
            s.sendall(hello + mqtt_disconnect())
        for s in socks:
            tally = MqttTally(version)
            deadline = time.monotonic() + IO_TIMEOUT
            try:
                while time.monotonic() < deadline:
                    s.settimeout(max(deadline - time.monotonic(), 0.001))
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    tally.feed(chunk)
            except OSError as e:
                codes[type(e).__name__] += 1
            codes.update(tally.codes)
            if not tally.codes:
                codes["no CONNACK"] += 1
    finally:
        close_all(socks)
    return codes


def attack_offline_sessions(broker: Broker, a) -> tuple[list[Stream], str, dict]:
    port = broker.ports["mqtt"]
    version = V5 if a.session_protocol == "5" else V311
    ids = [f"offline-{i}" for i in range(a.sessions)]
    started = time.monotonic()
    codes: collections.Counter[str] = collections.Counter()
    for at in range(0, len(ids), OPEN_AT_ONCE):
        codes += session_batch(port, ids[at:at + OPEN_AT_ONCE], version, "create")
    made = time.monotonic() - started
    pub = Publisher(port)
    started = time.monotonic()
    how = pub.run("offline/t", (b"%032d" % i for i in range(a.offline_publishes)), window=16, time_cap=a.time_cap)
    seconds = time.monotonic() - started
    pub.close()
    line = (f"{a.sessions} {'MQTT 5 (expiry 3600 s)' if version == V5 else '3.1.1 clean-session-0'} sessions "
            f"in {made:.1f} s: {', '.join(f'{k}×{v}' for k, v in sorted(codes.items()))}; "
            f"{pub.describe()} of 32 bytes in {seconds:.1f} s ({how})")
    return [], line, {"session_codes": dict(codes), "ids": ids, "version": version}


ATTACK_FUNCS = {
    "ping-flood-tcp": attack_ping_flood,
    "puback-flood-tcp": attack_puback_flood,
    "ws-deflate-bomb": attack_ws_bomb,
    "slow-qos1-subscriber": attack_slow_subscriber,
    "offline-sessions": attack_offline_sessions,
}


# ---------------------------------------------------------------------------------------------


def run_attack(name: str, a) -> dict:
    broker = Broker(a.bin, a.broker_arg)
    sampler = RssSampler(broker, a.rss_limit_mb * 1024)
    canary = None
    streams: list[Stream] = []
    result: dict = {"attack": name}
    try:
        sampler.start()
        canary = Canary(broker.ports["mqtt"], a.canary_interval, a.probe_every)
        before = sampler.settled(a.settle)
        t0 = time.monotonic()
        streams, line, extra = ATTACK_FUNCS[name](broker, a)
        result.update(extra)
        result["attack_line"] = line
        if streams:
            hold(streams, a.hold, broker)
            for st in streams:
                read_answer(st)
        close_all(st.sock for st in streams)
        answers = collections.Counter(st.short for st in streams)
        result["answers"] = [st.answer for st in streams]
        # A broker may still be busy with what it read: "after" is read --after-wait seconds after it
        # answers the canary again (a round trip started after the close completed), waited for at
        # most --recover-wait seconds.
        closed = time.monotonic()
        while canary.last_ok.value < closed and time.monotonic() - closed < a.recover_wait and broker.alive():
            time.sleep(0.05)
        result["recovered_after"] = (time.monotonic() - closed) if canary.last_ok.value >= closed else None
        time.sleep(a.after_wait)
        after = sampler.latest() if broker.alive() else None
        if name == "offline-sessions" and broker.alive():
            codes = collections.Counter()
            ids = extra.pop("ids")
            for at in range(0, len(ids), OPEN_AT_ONCE):
                codes += session_batch(broker.ports["mqtt"], ids[at:at + OPEN_AT_ONCE], extra["version"], "delete")
            time.sleep(a.after_wait)
            result["cleared"] = sampler.latest() if broker.alive() else None
            result["clear_codes"] = dict(codes)
        peak, peak_at = sampler.peak(t0)
        result.update(before=before, peak=peak, peak_at=peak_at, after=after, recover_wait=a.recover_wait,
                      killed=sampler.killed,
                      broker_alive=broker.alive(), answers_summary=dict(answers))
    finally:
        close_all(st.sock for st in streams)
        if canary is not None:
            result["canary"] = canary.stop()
        sampler.halt.set()
        broker.stop()
        result["broker_tail"] = [line for line in broker.stderr_lines
                                 if any(w in line for w in (" warning ", " error ", " critical "))
                                 and "ANONYMOUS ACCESS" not in line][-5:]
    return result


def mib(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:,.0f} MiB"


def report(r: dict) -> dict:
    c = r.get("canary") or {}
    rtts = c.get("rtts", [])
    outstanding = c.get("outstanding")
    worst = max(rtts + ([outstanding] if outstanding is not None else []), default=float("nan"))
    probes = c.get("probes", [])
    fails = c.get("probe_failures", [])
    row = {
        "attack": r["attack"],
        "before": mib(r.get("before")),
        "peak": mib(r.get("peak")),
        "after": mib(r.get("after")),
        "canary": (f"max {worst:,.0f} ms, p99 {_percentile(rtts, 0.99):,.0f} ms ({len(rtts)} round trips"
                   + (f"; one unanswered after {outstanding:,.0f} ms" if outstanding and outstanding > 1000 else "")
                   + (f"; canary disconnected: {c['canary_lost']}" if c.get("canary_lost") else "")
                   + (f"; error {c['error']}" if c.get("error") else "") + ")"),
        "connack": ((f"max {max(probes):,.0f} ms, median {statistics.median(probes):,.0f} ms ({len(probes)} probes"
                     if probes else "no CONNACK (0 probes")
                    + (f"; {len(fails)} failed: {fails[:3]}" if fails else "") + ")"),
        "answer": "; ".join(f"{n}× {k}" if n > 1 else k for k, n in (r.get("answers_summary") or {}).items()) or "—",
    }
    if r.get("killed"):
        row["peak"] += f"; broker killed by this script at {r['killed'][1] / 1024:,.0f} MiB"
    elif not r.get("broker_alive", True):
        row["peak"] += "; the broker died"
    recovered = r.get("recovered_after", 0.0)
    if recovered is None:
        row["after"] += f" (the canary still unanswered {r['recover_wait']:g} s after the close)"
    elif recovered > 1.0:
        row["after"] += f" (the broker answered the canary again {recovered:.1f} s after the close)"
    if "cleared" in r:
        row["after"] += f" (sessions stored); {mib(r['cleared'])} once all were deleted"
    print(f"\n== {r['attack']} ==")
    print(f"attack:        {r.get('attack_line', '')}")
    for ans in r.get("answers", []):
        print(f"answer:        {ans}")
    print(f"broker VmRSS:  before {row['before']}, peak {row['peak']}, after {row['after']}")
    print(f"canary QoS 1:  {row['canary']}")
    print(f"fresh CONNACK: {row['connack']}")
    for line in r.get("broker_tail", []):
        print(f"broker log:    {line}")
    sys.stdout.flush()
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the header of this file for what each attack does.")
    ap.add_argument("attack", choices=ATTACKS + ["all"], help="the attack to run, or all of them in turn")
    ap.add_argument("--bin", required=True, help="the swiftlet executable (a release build)")
    ap.add_argument("--broker-arg", action="append", default=[],
                    help="extra flag for `swiftlet serve`, repeatable; use the = form: --broker-arg=--max-sessions=100")
    ap.add_argument("--quick", action="store_true", help="small sizes for CI (each attack under ~15 s)")
    ap.add_argument("--json", help="also write the figures to this file")
    g = ap.add_argument_group("bounds (defaults: full run / --quick)")
    g.add_argument("--time-cap", type=float, help="seconds of writing per attack (30 / 5)")
    g.add_argument("--stall", type=float,
                   help="stop writing after this many seconds without progress (default 0: keep trying until "
                        "--time-cap, as an attacker would, so that a broker that catches up is attacked again)")
    g.add_argument("--hold", type=float,
                   help="seconds the attack's sockets stay open unread afterwards, unless closed sooner "
                        "(35 / 3; above the default write-stall timeout of 30 s)")
    g.add_argument("--after-wait", type=float, help="seconds between closing the sockets and reading 'after' (5 / 3)")
    g.add_argument("--settle", type=float, help="most seconds to wait for a settled 'before' (5 / 2)")
    g.add_argument("--recover-wait", type=float,
                   help="after closing the sockets, most seconds to wait for the broker to answer the canary again, "
                        "before the --after-wait (120 / 10)")
    g.add_argument("--rss-limit-mb", type=int, default=6000, help="kill the broker past this VmRSS (default 6000)")
    g.add_argument("--canary-interval", type=float, default=0.05, help="pause between canary round trips (0.05 s)")
    g.add_argument("--probe-every", type=float, default=1.0, help="seconds between fresh-CONNACK probes (1)")
    s = ap.add_argument_group("sizes (defaults: full run / --quick)")
    s.add_argument("--flood-mib", type=float, help="MiB written by the TCP floods (64 / 8)")
    s.add_argument("--ws-clients", type=int, help="WebSocket bomb connections (3 / 1)")
    s.add_argument("--ws-messages", type=int, help="compressed messages per WebSocket connection (10 / 2)")
    s.add_argument("--ws-inflated", type=int, default=1_000_000,
                   help="bytes each bomb message inflates to (1,000,000: under the 1 MiB inflate cap)")
    s.add_argument("--slow-subscribers", type=int, help="slow QoS 1 subscribers (3 / 2)")
    s.add_argument("--slow-payload", type=int, help="payload bytes per message to them (1,000,000 / 100,000)")
    s.add_argument("--slow-messages", type=int, help="messages published to them (1,100 / 300)")
    s.add_argument("--sessions", type=int, help="offline persistent sessions (2,000 / 200)")
    s.add_argument("--session-protocol", choices=["5", "3.1.1"], default="5", help="MQTT version of those sessions")
    s.add_argument("--offline-publishes", type=int, help="QoS 1 publishes to the offline sessions (1,000 / 100)")
    a = ap.parse_args()

    full = dict(time_cap=30.0, stall=0.0, hold=35.0, after_wait=5.0, settle=5.0, recover_wait=120.0,
                flood_mib=64.0, ws_clients=3, ws_messages=10, slow_subscribers=3, slow_payload=1_000_000,
                slow_messages=1100, sessions=2000, offline_publishes=1000)
    quick = dict(time_cap=5.0, stall=0.0, hold=3.0, after_wait=3.0, settle=2.0, recover_wait=10.0,
                 flood_mib=8.0, ws_clients=1, ws_messages=2, slow_subscribers=2, slow_payload=100_000,
                 slow_messages=300, sessions=200, offline_publishes=100)
    for key, value in (quick if a.quick else full).items():
        if getattr(a, key) is None:
            setattr(a, key, value)
    if not os.access(a.bin, os.X_OK):
        ap.error(f"{a.bin} is not an executable")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    names = ATTACKS if a.attack == "all" else [a.attack]
    print(f"broker: {a.bin} serve --mqtt {HOST}:0 --http {HOST}:0 --admin off --log-level notice "
          f"{' '.join(a.broker_arg)}".rstrip())
    print(f"machine: nproc {os.cpu_count()}, {os.uname().sysname} {os.uname().release}; "
          f"{'quick' if a.quick else 'full'} sizes")
    rows, results = [], []
    for name in names:
        try:
            r = run_attack(name, a)
        except Exception as e:   # one attack failing (say, the broker died) does not end the run
            print(f"\n== {name} ==\nfailed: {type(e).__name__}: {e}", flush=True)
            r = {"attack": name, "error": f"{type(e).__name__}: {e}"}
            results.append(r)
            rows.append({"attack": name, "before": "—", "peak": "—", "after": "—", "canary": "—",
                         "connack": "—", "answer": f"the run failed: {r['error']}"})
            continue
        results.append(r)
        rows.append(report(r))
    print("\n| attack | VmRSS before | peak | after | canary QoS 1 round trip | fresh CONNACK | attacker's answer |")
    print("|---|---:|---:|---:|---|---|---|")
    for row in rows:
        print(f"| {row['attack']} | {row['before']} | {row['peak']} | {row['after']} | {row['canary']} "
              f"| {row['connack']} | {row['answer']} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": {k: v for k, v in vars(a).items()}, "results": results}, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
