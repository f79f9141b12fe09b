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
"""MQTT over WebSocket: bytes on the wire and broker memory per idle connection (issue 3).

Starts every broker it measures itself, on loopback only, and stops each one (by its PID) when
done. Every wait is bounded; the whole run stops by itself.

1. Bytes on the wire. One subscriber over WebSocket (a raw-socket client written here, so that
   every byte the socket receives is counted), MQTT 3.1.1, SUBSCRIBE room/# QoS 0; one publisher
   over TCP sends a seeded mix of N messages (70 % bullet-screen comments, 25 % chat messages,
   5 % room-state snapshots) in lock-step batches, so that no QoS 0 message is dropped for a slow
   reader. Counted: every byte the subscriber's socket receives after the HTTP 101 response until
   all N PUBLISH packets arrived (CONNACK and SUBACK included). Every WebSocket message is parsed;
   compressed ones are inflated (fresh raw inflater per message, the server negotiates
   server_no_context_takeover) and every PUBLISH payload is checked against what was sent.
2. Memory per idle connection. K connections (WebSocket with permessage-deflate offered, or
   plain TCP), each sending CONNECT (3.1.1, keep-alive 0) and reading CONNACK; the broker's VmRSS
   (/proc/PID/status) before and after, after a short bounded settle. A fresh broker per row, with
   a few warm-up connections opened before the "before" reading so that one-time allocations are
   not charged to the K connections.

Peers, each optional: Mosquitto (its websockets and TCP listeners) and nats-server (its websocket
listener, which serves MQTT clients on /mqtt since NATS 2.7, and its MQTT listener).

Prints Markdown tables on stdout and writes nothing else (the temporary Mosquitto and NATS
configs and NATS's JetStream directory are removed again).

    python3 scripts/ws-measure.py --broker .build-measure/release/swiftlet --mosquitto --nats
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import resource
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

from measure_common import HOST, free_port, remaining_length, settled_rss, wait_port
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
IO_TIMEOUT = 10.0          # any single socket wait
PACES = [1, 50]            # messages published before waiting for the subscriber to catch up
OPEN_BATCH = 250           # idle connections opened concurrently
WARMUP_CONNECTIONS = 20
SETTLE_MAX = 5.0           # seconds to wait for RSS to stop moving


# ---------------------------------------------------------------------------------------------
# MQTT 3.1.1 encoding


def _string(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return len(b).to_bytes(2, "big") + b


def mqtt_connect(client_id: str, keepalive: int = 0) -> bytes:
    body = _string("MQTT") + bytes([4, 0x02]) + keepalive.to_bytes(2, "big") + _string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


def mqtt_subscribe(packet_id: int, topic_filter: str, qos: int = 0) -> bytes:
    body = packet_id.to_bytes(2, "big") + _string(topic_filter) + bytes([qos])
    return b"\x82" + remaining_length(len(body)) + body


def mqtt_publish(topic: str, payload: bytes) -> bytes:
    body = _string(topic) + payload
    return b"\x30" + remaining_length(len(body)) + body


class MQTTStream:
    """Splits a byte stream into MQTT packets: (type, flags, body)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, int, bytes]]:
        self.buf += data
        packets = []
        while True:
            if len(self.buf) < 2:
                return packets
            mult, length, i = 1, 0, 1
            while True:
                if i >= len(self.buf):
                    return packets
                b = self.buf[i]
                length += (b & 0x7F) * mult
                mult *= 128
                i += 1
                if not b & 0x80:
                    break
                if i > 4:
                    raise ValueError("malformed remaining length")
            if len(self.buf) < i + length:
                return packets
            first = self.buf[0]
            packets.append((first >> 4, first & 0x0F, bytes(self.buf[i:i + length])))
            del self.buf[:i + length]


def publish_topic_payload(flags: int, body: bytes) -> tuple[str, bytes]:
    n = int.from_bytes(body[:2], "big")
    topic = body[2:2 + n].decode()
    rest = body[2 + n:]
    if (flags >> 1) & 3:
        rest = rest[2:]   # packet id
    return topic, rest


# ---------------------------------------------------------------------------------------------
# WebSocket client (RFC 6455), raw socket, every received byte counted


def ws_frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One masked client frame, FIN set."""
    n = len(payload)
    head = bytearray([0x80 | opcode])
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(0x80 | 127)
        head += n.to_bytes(8, "big")
    key = os.urandom(4)
    mask = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(n, "big") if n else b""
    return bytes(head) + key + masked


def recv_http_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Reads up to the end of the HTTP response head; returns (head, bytes after it)."""
    buf = b""
    deadline = time.monotonic() + IO_TIMEOUT
    while b"\r\n\r\n" not in buf:
        if time.monotonic() > deadline or len(buf) > 16384:
            raise TimeoutError("no HTTP response head")
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head + b"\r\n\r\n", rest


def ws_handshake(sock: socket.socket, port: int, deflate: bool) -> tuple[bytes, bytes]:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /mqtt HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: mqtt",
    ]
    if deflate:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head, rest = recv_http_head(sock)
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        raise ConnectionError(f"handshake refused: {status!r}")
    expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest())
    if expected not in head:
        raise ConnectionError("bad Sec-WebSocket-Accept")
    return head, rest


class WSReader:
    """Parses server frames (unmasked) into messages: (opcode, compressed, payload, wire bytes)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.frag: bytearray | None = None
        self.frag_opcode = 0
        self.frag_rsv1 = False
        self.frag_wire = 0

    def feed(self, data: bytes) -> list[tuple[int, bool, bytes, int]]:
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            n = b1 & 0x7F
            i = 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n = int.from_bytes(self.buf[2:4], "big")
                i = 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n = int.from_bytes(self.buf[2:10], "big")
                i = 10
            if b1 & 0x80:
                raise ValueError("server frame is masked")
            if len(self.buf) < i + n:
                break
            payload = bytes(self.buf[i:i + n])
            wire = i + n
            del self.buf[:i + n]
            fin, rsv1, opcode = bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F
            if opcode >= 0x8:                       # control frame, never fragmented
                out.append((opcode, False, payload, wire))
                continue
            if opcode != 0:                         # first frame of a message
                self.frag, self.frag_opcode, self.frag_rsv1, self.frag_wire = bytearray(), opcode, rsv1, 0
            if self.frag is None:
                raise ValueError("continuation without a message")
            self.frag += payload
            self.frag_wire += wire
            if fin:
                out.append((self.frag_opcode, self.frag_rsv1, bytes(self.frag), self.frag_wire))
                self.frag = None
        return out


def inflate_message(payload: bytes) -> bytes:
    d = zlib.decompressobj(-15)
    return d.decompress(payload + b"\x00\x00\xff\xff") + d.flush()


# ---------------------------------------------------------------------------------------------
# The message mix

CJK = ("的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后能对着事"
       "其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此心前面又定见只主没"
       "哈哈哈主播太强了笑死我了前方高能弹幕护体名场面打卡来了老铁双击六六六")
ASCII_WORDS = ["666", "lol", "gg", "nb", "OMG", "hhh", "yyds", "awsl", "2333", "MVP", "wow", "GG", "ok",
               "nice", "lmao", "up主", "BGM", "pog", "kksk", "xswl", "!", "?", "~", " "]
COLORS = ["#ffffff", "#ffffff", "#ffffff", "#ffffff", "#fe0302", "#ffff00", "#00cd00", "#4266be", "#cc0273"]
GIFTS = ["rocket", "flower", "heart", "car", "yacht", "crown", "beer", "lollipop"]


def mixed_text(rng: random.Random, n_chars: int) -> str:
    out: list[str] = []
    length = 0
    while length < n_chars:
        if rng.random() < 0.7:
            piece = "".join(rng.choice(CJK) for _ in range(rng.randint(1, 6)))
        else:
            piece = rng.choice(ASCII_WORDS)
        out.append(piece)
        length += len(piece)
    return "".join(out)[:n_chars]


def user_name(rng: random.Random) -> str:
    return f"user{rng.randint(1, 999_999)}"


def avatar(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"https://cdn.example.com/avatars/{h[:2]}/{h[2:4]}/{h}.jpg"


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def build_mix(n: int, seed: int) -> list[tuple[str, str, bytes]]:
    """[(kind, topic, payload)], deterministic for (n, seed)."""
    rng = random.Random(seed)
    ts = 1_700_000_000_000
    msgs = []
    for i in range(n):
        ts += rng.randint(1, 400)
        room = f"room/{rng.choice([1001, 1001, 1001, 2002, 3003])}"
        r = rng.random()
        if r < 0.70:
            payload = dumps({"u": user_name(rng), "t": mixed_text(rng, rng.randint(20, 60)), "c": rng.choice(COLORS)})
            msgs.append(("comment", f"{room}/danmaku", payload))
        elif r < 0.95:
            payload = dumps({
                "id": "%016x" % rng.getrandbits(64),
                "user": {"id": user_name(rng), "name": mixed_text(rng, rng.randint(2, 8)), "avatar": avatar(rng)},
                "text": mixed_text(rng, rng.randint(80, 300)),
                "ts": ts,
            })
            msgs.append(("chat", f"{room}/chat", payload))
        else:
            target = rng.randint(1536, 4096)
            state = {"room": room.split("/")[1], "online": rng.randint(1_000, 200_000), "ts": ts,
                     "viewers": [], "gifts": []}
            size = len(dumps(state))
            while size < target:
                if rng.random() < 0.6:
                    entry = {"u": user_name(rng), "n": mixed_text(rng, rng.randint(2, 8)),
                             "lvl": rng.randint(1, 60), "a": avatar(rng)}
                    state["viewers"].append(entry)
                else:
                    entry = {"from": user_name(rng), "g": rng.choice(GIFTS), "n": rng.randint(1, 99),
                             "ts": ts - rng.randint(0, 60_000)}
                    state["gifts"].append(entry)
                size += len(dumps(entry)) + 1
            msgs.append(("state", f"{room}/state", dumps(state)))
    return msgs


# ---------------------------------------------------------------------------------------------
# Brokers


class Broker:
    def __init__(self, name: str, argv: list[str], http_port: int | None = None, mqtt_port: int | None = None,
                 cleanup: str | None = None) -> None:
        self.name = name
        self.argv = argv
        self.http_port = http_port
        self.mqtt_port = mqtt_port
        self.cleanup = cleanup
        self.proc: subprocess.Popen | None = None
        self.stderr_lines: list[str] = []

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.cleanup:
            shutil.rmtree(self.cleanup, ignore_errors=True)

    def __enter__(self) -> "Broker":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_swiftlet(path: str, extra: list[str]) -> Broker:
    argv = [path, "serve", "--mqtt", f"{HOST}:0", "--http", f"{HOST}:0", "--admin", "off", "--log-level", "notice", *extra]
    b = Broker("swiftlet", argv)
    b.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    pat = re.compile(r"listening (\w+) on (?:\[?[\d.:a-f]*\]?):(\d+)")
    found: dict[str, int] = {}
    ready = threading.Event()

    def pump() -> None:
        for line in b.proc.stderr:
            b.stderr_lines.append(line)
            m = pat.search(line)
            if m:
                found[m.group(1)] = int(m.group(2))
                if "http" in found and "mqtt" in found:
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(30) or "http" not in found or "mqtt" not in found:
        b.stop()
        raise RuntimeError("swiftlet did not report its listeners:\n" + "".join(b.stderr_lines[-20:]))
    b.http_port, b.mqtt_port = found["http"], found["mqtt"]
    return b


def start_mosquitto() -> Broker:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    tmp = tempfile.mkdtemp(prefix="ws-measure-")
    ws_port, tcp_port = free_port(), free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {ws_port} {HOST}\nprotocol websockets\n"
                f"listener {tcp_port} {HOST}\nprotocol mqtt\n"
                "allow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n")
    argv = [exe, "-c", conf]
    b = Broker("mosquitto", argv, http_port=ws_port, mqtt_port=tcp_port, cleanup=tmp)
    b.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(ws_port, b.proc)
        wait_port(tcp_port, b.proc)
    except Exception:
        b.stop()
        raise
    return b


def start_nats(compression: bool) -> Broker:
    """nats-server with its MQTT listener and its websocket listener (MQTT clients use path /mqtt)."""
    exe = shutil.which("nats-server") or "/usr/bin/nats-server"
    tmp = tempfile.mkdtemp(prefix="ws-measure-")
    nats_port, ws_port, mqtt_port = free_port(), free_port(), free_port()
    conf = os.path.join(tmp, "nats.conf")
    with open(conf, "w") as f:
        f.write(f'listen: "{HOST}:{nats_port}"\nserver_name: ws_measure\n'
                f'jetstream {{ store_dir: "{tmp}/js" }}\n'
                f'websocket {{ listen: "{HOST}:{ws_port}", no_tls: true, compression: {str(compression).lower()} }}\n'
                f'mqtt {{ listen: "{HOST}:{mqtt_port}" }}\n')
    argv = [exe, "-c", conf]
    b = Broker("nats-server", argv, http_port=ws_port, mqtt_port=mqtt_port, cleanup=tmp)
    b.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(ws_port, b.proc)
        wait_port(mqtt_port, b.proc)
    except Exception:
        b.stop()
        raise
    return b


# ---------------------------------------------------------------------------------------------
# 1. Bytes on the wire


class WSSubscriber:
    def __init__(self, port: int, deflate: bool) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        head, rest = ws_handshake(self.sock, port, deflate)
        ext = [l for l in head.decode("latin-1").split("\r\n") if l.lower().startswith("sec-websocket-extensions:")]
        self.extension = ext[0].split(":", 1)[1].strip() if ext else ""
        self.wire_bytes = len(rest)     # bytes after the HTTP head
        self.ws = WSReader()
        self.mqtt = MQTTStream()
        self.pending: list[tuple[int, int, bytes]] = []
        self.publishes: list[tuple[str, bytes, int, bool]] = []   # topic, payload, wire bytes of its message, compressed
        self.messages = 0
        self.compressed_messages = 0
        self.multi_packet_messages = 0
        self._consume(rest)

    def _consume(self, data: bytes) -> None:
        for opcode, compressed, payload, wire in self.ws.feed(data):
            if opcode == 0x8:
                raise ConnectionError(f"server closed: {payload!r}")
            if opcode >= 0x8:
                continue                                   # ping/pong: the broker sends none here
            self.messages += 1
            if compressed:
                self.compressed_messages += 1
                payload = inflate_message(payload)
            packets = self.mqtt.feed(payload)
            if len(packets) > 1:
                self.multi_packet_messages += 1
            for ptype, flags, body in packets:
                if ptype == 3:
                    topic, data_ = publish_topic_payload(flags, body)
                    self.publishes.append((topic, data_, wire / len(packets), compressed))
                else:
                    self.pending.append((ptype, flags, body))

    def send(self, mqtt_bytes: bytes) -> None:
        self.sock.sendall(ws_frame(mqtt_bytes))

    def pump(self, timeout: float) -> bool:
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        if not poller.poll(int(timeout * 1000)):
            return False
        data = self.sock.recv(1 << 18)
        if not data:
            raise ConnectionError("subscriber socket closed")
        self.wire_bytes += len(data)
        self._consume(data)
        return True

    def expect(self, ptype: int) -> bytes:
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            for i, (t, _, body) in enumerate(self.pending):
                if t == ptype:
                    del self.pending[i]
                    return body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no MQTT packet of type {ptype}")
            self.pump(left)


def tcp_read_packet(sock: socket.socket, ptype: int) -> bytes:
    stream = MQTTStream()
    deadline = time.monotonic() + IO_TIMEOUT
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed")
        for t, _, body in stream.feed(data):
            if t == ptype:
                return body
    raise TimeoutError(f"no MQTT packet of type {ptype}")


def measure_bytes(broker: Broker, mix: list[tuple[str, str, bytes]], deflate_offer: bool, batch: int,
                  order_per_topic: bool = False) -> dict:
    """With `order_per_topic`, messages must arrive in publish order per topic only: a room batch
    window sends each topic's messages together, so topics interleave differently."""
    sub = WSSubscriber(broker.http_port, deflate_offer)
    try:
        sub.send(mqtt_connect("ws-measure-sub"))
        connack = sub.expect(2)
        if connack[1] != 0:
            raise ConnectionError(f"CONNACK {connack!r}")
        sub.send(mqtt_subscribe(1, "room/#", 0))
        suback = sub.expect(9)
        if suback[2:] != b"\x00":
            raise ConnectionError(f"SUBACK {suback!r}")
        pub = socket.create_connection((HOST, broker.mqtt_port), timeout=IO_TIMEOUT)
        try:
            pub.sendall(mqtt_connect("ws-measure-pub"))
            tcp_read_packet(pub, 2)
            started = time.monotonic()
            for start in range(0, len(mix), batch):
                chunk = mix[start:start + batch]
                pub.sendall(b"".join(mqtt_publish(topic, payload) for _, topic, payload in chunk))
                want = start + len(chunk)
                deadline = time.monotonic() + IO_TIMEOUT
                while len(sub.publishes) < want:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{broker.name}: {len(sub.publishes)} of {want} messages arrived")
                    sub.pump(0.5)
            elapsed = time.monotonic() - started
        finally:
            pub.close()
        # content check: every PUBLISH, in order (one publisher), byte for byte
        if len(sub.publishes) != len(mix):
            raise RuntimeError(f"{len(sub.publishes)} PUBLISH for {len(mix)} sent")
        per_kind: dict[str, list[float]] = {}
        if order_per_topic:
            kind_of = {topic: kind for kind, topic, _ in mix}
            sent: dict[str, list[bytes]] = {}
            got: dict[str, list[bytes]] = {}
            for _, topic, payload in mix:
                sent.setdefault(topic, []).append(payload)
            for rtopic, rpayload, wire, _ in sub.publishes:
                got.setdefault(rtopic, []).append(rpayload)
                per_kind.setdefault(kind_of.get(rtopic, "?"), []).append(wire)
            if sent != got:
                raise RuntimeError(f"{broker.name}: content or per-topic order mismatch")
        else:
            for (kind, topic, payload), (rtopic, rpayload, wire, _) in zip(mix, sub.publishes):
                if (topic, payload) != (rtopic, rpayload):
                    raise RuntimeError(f"{broker.name}: content mismatch on {topic}")
                per_kind.setdefault(kind, []).append(wire)
        return {
            "wire": sub.wire_bytes,
            "extension": sub.extension,
            "messages": sub.messages,
            "compressed": sub.compressed_messages,
            "multi": sub.multi_packet_messages,
            "per_kind": {k: sum(v) / len(v) for k, v in per_kind.items()},
            "elapsed": elapsed,
        }
    finally:
        sub.sock.close()


# ---------------------------------------------------------------------------------------------
# 2. Memory per idle connection


def open_idle_batch(broker: Broker, transport: str, deflate: bool, ids: list[str]) -> tuple[list[socket.socket], str]:
    """Opens len(ids) connections concurrently: (WebSocket handshake,) CONNECT, CONNACK. Bounded."""
    port = broker.http_port if transport == "ws" else broker.mqtt_port
    state = {}
    keys = {}
    for cid in ids:
        s = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if transport == "ws":
            key = base64.b64encode(os.urandom(16)).decode()
            req = [f"GET /mqtt HTTP/1.1", f"Host: {HOST}:{port}", "Upgrade: websocket", "Connection: Upgrade",
                   f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: mqtt"]
            if deflate:
                req.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
            s.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
            keys[s] = key
            state[s] = ["http", b"", WSReader(), MQTTStream()]
        else:
            s.sendall(mqtt_connect(cid, 0))
            state[s] = ["mqtt", b"", None, MQTTStream()]
        state[s].append(cid)
    ext = ""
    done: list[socket.socket] = []
    sel = selectors.DefaultSelector()   # epoll: file descriptors above 1024
    for s in state:
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + 60
    while state:
        left = deadline - time.monotonic()
        if left <= 0:
            sel.close()
            raise TimeoutError(f"{broker.name}: {len(state)} connections without CONNACK")
        for key, _ in sel.select(min(left, 1.0)):
            s = key.fileobj
            if s not in state:
                continue
            st = state[s]
            data = s.recv(65536)
            if not data:
                raise ConnectionError(f"{broker.name}: connection closed while opening")
            if st[0] == "http":
                st[1] += data
                if b"\r\n\r\n" not in st[1]:
                    continue
                head, data = st[1].split(b"\r\n\r\n", 1)
                if b" 101 " not in head.split(b"\r\n", 1)[0] + b" ":
                    raise ConnectionError(f"handshake refused: {head[:80]!r}")
                accept = base64.b64encode(hashlib.sha1((keys[s] + WS_GUID).encode()).digest())
                if accept not in head:
                    raise ConnectionError("bad Sec-WebSocket-Accept")
                for line in head.decode("latin-1").split("\r\n"):
                    if line.lower().startswith("sec-websocket-extensions:"):
                        ext = line.split(":", 1)[1].strip()
                st[0] = "ws"
                s.sendall(ws_frame(mqtt_connect(st[4], 0)))
            if st[0] == "ws":
                payloads = [inflate_message(p) if c else p for _, c, p, _ in st[2].feed(data)]
            else:
                payloads = [data]
            for payload in payloads:
                for t, _, body in st[3].feed(payload):
                    if t == 2:
                        if body[1] != 0:
                            raise ConnectionError(f"CONNACK {body!r}")
                        done.append(s)
                        del state[s]
                        sel.unregister(s)
                        break
                if s not in state:
                    break
    sel.close()
    return done, ext


def measure_rss(broker: Broker, k: int, transport: str, deflate: bool = False) -> dict:
    socks: list[socket.socket] = []
    try:
        warm, ext = open_idle_batch(broker, transport, deflate, [f"idle-warm-{i}" for i in range(WARMUP_CONNECTIONS)])
        socks += warm
        before = settled_rss(broker, SETTLE_MAX)
        started = time.monotonic()
        for start in range(0, k, OPEN_BATCH):
            opened, ext = open_idle_batch(broker, transport, deflate,
                                          [f"idle-k-{i}" for i in range(start, min(k, start + OPEN_BATCH))])
            socks += opened
        opened_s = time.monotonic() - started
        after = settled_rss(broker, SETTLE_MAX)
        if broker.proc.poll() is not None:
            raise RuntimeError(f"{broker.name} exited")
        return {"before": before, "after": after, "per": (after - before) / k, "ext": ext, "opened": opened_s}
    finally:
        for s in socks:
            s.close()


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--broker", required=True, help="path of the swiftlet executable (a release build)")
    ap.add_argument("--mosquitto", action="store_true", help="also measure Mosquitto (websockets and TCP listeners)")
    ap.add_argument("--nats", action="store_true",
                    help="also measure nats-server (its websocket listener serves MQTT on /mqtt since 2.7)")
    ap.add_argument("--messages", type=int, default=5000, metavar="N")
    ap.add_argument("--connections", type=int, default=2000, metavar="K")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not 1 <= args.connections <= 2000:
        ap.error("--connections must be 1..2000")
    if args.messages < 1:
        ap.error("--messages must be at least 1")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 20_000) if hard != resource.RLIM_INFINITY else 20_000
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))   # the brokers inherit it too

    mix = build_mix(args.messages, args.seed)
    kinds = ["comment", "chat", "state"]
    count = {k: sum(1 for m in mix if m[0] == k) for k in kinds}
    payload_total = sum(len(p) for _, _, p in mix)
    mqtt_total = sum(len(mqtt_publish(t, p)) for _, t, p in mix)
    under256 = sum(1 for _, t, p in mix if len(mqtt_publish(t, p)) < 256)
    avg = {k: sum(len(mqtt_publish(t, p)) for kk, t, p in mix if kk == k) / count[k] for k in kinds if count[k]}

    # (label, start function); the subscriber always offers permessage-deflate
    subjects = [
        ("Swiftlet, `--ws-deflate false`", lambda: start_swiftlet(args.broker, ["--ws-deflate", "false"])),
        ("Swiftlet, deflate, min size 256 (default)", lambda: start_swiftlet(args.broker, [])),
        ("Swiftlet, deflate, `--ws-deflate-min-size 0`",
         lambda: start_swiftlet(args.broker, ["--ws-deflate-min-size", "0"])),
    ]
    if args.mosquitto:
        subjects.append(("Mosquitto 2.0, websockets listener (no deflate)", start_mosquitto))
    if args.nats:
        subjects.append(("NATS 2.9, websocket listener, compression off", lambda: start_nats(False)))
        subjects.append(("NATS 2.9, websocket listener, `compression: true`", lambda: start_nats(True)))
    byte_rows = []
    for pace in PACES:
        for label, start in subjects:
            with start() as b:
                byte_rows.append((pace, label, measure_bytes(b, mix, True, pace)))
        if pace > 1:
            # Room batching (issue 5): a burst leaves as one compressed message per topic and window.
            # Only for bursts: paced, every message would wait out its window.
            label = "Swiftlet, deflate, room batch window 30 ms (`--room 'room/# batch_ms=30'`)"
            with start_swiftlet(args.broker, ["--room", "room/# batch_ms=30"]) as b:
                byte_rows.append((pace, label, measure_bytes(b, mix, True, pace, order_per_topic=True)))

    rss_rows = []
    k = args.connections
    with start_swiftlet(args.broker, []) as b:
        rss_rows.append(("Swiftlet, WS + deflate offered", measure_rss(b, k, "ws", deflate=True)))
    with start_swiftlet(args.broker, []) as b:
        rss_rows.append(("Swiftlet, TCP", measure_rss(b, k, "tcp")))
    if args.mosquitto:
        with start_mosquitto() as b:
            rss_rows.append(("Mosquitto 2, websockets listener (deflate offered)", measure_rss(b, k, "ws", deflate=True)))
        with start_mosquitto() as b:
            rss_rows.append(("Mosquitto 2, TCP", measure_rss(b, k, "tcp")))
    if args.nats:
        with start_nats(True) as b:
            rss_rows.append(("NATS 2.9, websocket listener, `compression: true`", measure_rss(b, k, "ws", deflate=True)))
        with start_nats(True) as b:
            rss_rows.append(("NATS 2.9, MQTT listener (TCP)", measure_rss(b, k, "tcp")))

    n = args.messages
    print(f"Mix: N={n}, seed={args.seed}: {count['comment']} comments, {count['chat']} chat messages, "
          f"{count['state']} room states; JSON payloads {payload_total} B, MQTT PUBLISH packets {mqtt_total} B "
          f"({mqtt_total / n:.1f} B/msg; comment {avg.get('comment', 0):.0f}, chat {avg.get('chat', 0):.0f}, "
          f"state {avg.get('state', 0):.0f}); {under256} of {n} packets under 256 B.")
    for pace in PACES:
        print()
        if pace == 1:
            print("Paced: each message is published once the previous one has reached the subscriber.")
        else:
            print(f"Bursts: {pace} messages published back to back, then wait until they have all arrived.")
        print()
        print("| broker, subscriber over WebSocket (permessage-deflate offered) | extension answered | wire bytes "
              "| bytes/msg | wire / MQTT bytes | comment B/msg | chat B/msg | state B/msg "
              "| WS messages (compressed) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for p, label, r in byte_rows:
            if p != pace:
                continue
            pk = r["per_kind"]
            # per kind only when every WebSocket message held one PUBLISH
            cell = (lambda k: f"{pk.get(k, 0):.1f}") if not r["multi"] else (lambda k: "—")
            print(f"| {label} | {r['extension'] or '(none)'} | {r['wire']} | {r['wire'] / n:.1f} | "
                  f"{r['wire'] / mqtt_total:.3f} | {cell('comment')} | {cell('chat')} | {cell('state')} | "
                  f"{r['messages']} ({r['compressed']}) |")
    print()
    print(f"| idle connections, K={k} | extension answered | VmRSS before (KiB) | VmRSS after (KiB) | KiB per connection |")
    print("|---|---|---:|---:|---:|")
    for label, r in rss_rows:
        print(f"| {label} | {r['ext'] or '(none)'} | {r['before']} | {r['after']} | {r['per']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
