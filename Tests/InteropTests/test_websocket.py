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
"""MQTT over WebSocket (DESIGN §1, §2, §9; MQTT 3.1.1 §6 / MQTT 5 §6; RFC 6455; RFC 7692)
with real third-party clients on 127.0.0.1: paho-mqtt's websockets transport, the Python
``websockets`` package (with and without permessage-deflate), Debian's mqtt.js, and a raw
socket client below for what no well-behaved client sends (bad handshakes, unmasked or
RSV2 frames, deflate bombs, fragments with an interleaved ping).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import struct
import time
import zlib
from dataclasses import dataclass

import pytest

import wire
from conftest import SWIFTLET_BIN
from helpers import (TIMEOUT, V31, V311, V5, VERSION_NAMES, MqttClient, NodeProcess, Witness,
                     have_mqtt_js, make_dev_cert, unique)

websockets = pytest.importorskip("websockets")
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect as ws_connect  # noqa: E402

pytestmark = pytest.mark.swiftlet_only

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
RSV1, RSV2 = 0x4, 0x2


# ---------------------------------------------------------------------------
# Raw WebSocket client (RFC 6455 framing by hand)


class WSClosed(Exception):
    """The server closed the TCP connection."""


@dataclass
class Frame:
    fin: bool
    rsv: int
    opcode: int
    payload: bytes
    masked: bool

    @property
    def close_code(self) -> int | None:
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None


def read_http_head(sock: socket.socket, buf: bytearray, timeout: float = TIMEOUT) -> tuple[int, dict[str, str]]:
    """Reads a response head; returns (status, lower-cased headers) and leaves the rest in buf."""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            raise WSClosed(f"EOF before a full response head: {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    buf[:] = rest
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = (headers[key] + ", " + value.strip()) if key in headers else value.strip()
    return status, headers


def handshake_request(port: int, *, method: str = "GET", path: str = "/mqtt", key: str | None = "auto",
                      version: str | None = "13", protocol: str | None = "mqtt", upgrade: bool = True,
                      extensions: str | None = None) -> tuple[bytes, str | None]:
    if key == "auto":
        key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if upgrade:
        lines += ["Upgrade: websocket", "Connection: Upgrade"]
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if protocol is not None:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    if extensions is not None:
        lines.append(f"Sec-WebSocket-Extensions: {extensions}")
    if method in ("POST", "PUT"):
        lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def http_status(port: int, request: bytes) -> tuple[int, dict[str, str]]:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        return read_http_head(sock, bytearray())


class RawWebSocket:
    """A client WebSocket on a plain socket: every frame is built here, so a test can
    send what RFC 6455 forbids (unmasked frames, RSV bits) and see every frame back."""

    def __init__(self, port: int, *, deflate: bool = False, protocol: str = "mqtt", version: int = V311):
        self.version = version
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = bytearray()
        request, key = handshake_request(port, protocol=protocol,
                                         extensions="permessage-deflate" if deflate else None)
        self.sock.sendall(request)
        self.status, self.headers = read_http_head(self.sock, self.buf)
        assert self.status == 101, f"handshake refused: {self.status} {self.headers}"
        expected = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
        assert self.headers.get("sec-websocket-accept") == expected  # RFC 6455 §4.2.2
        self.deflate = "permessage-deflate" in self.headers.get("sec-websocket-extensions", "")
        self.mqtt_buf = bytearray()

    # -- frames --------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True, rsv: int = 0,
                   mask: bool = True) -> None:
        header = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
        mask_bit = 0x80 if mask else 0
        n = len(payload)
        if n < 126:
            header.append(mask_bit | n)
        elif n < 65536:
            header.append(mask_bit | 126)
            header += struct.pack("!H", n)
        else:
            header.append(mask_bit | 127)
            header += struct.pack("!Q", n)
        if mask:
            key = os.urandom(4)
            header += key
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 65536 else _mask_fast(payload, key)
        self.sock.sendall(bytes(header) + payload)

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no complete frame within the timeout ({len(self.buf)} of {n} bytes)")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise WSClosed("EOF")
            self.buf += chunk
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def recv_frame(self, timeout: float = TIMEOUT) -> Frame:
        deadline = time.monotonic() + timeout
        b0, b1 = self._read_exact(2, deadline)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read_exact(2, deadline))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read_exact(8, deadline))
        masked = bool(b1 & 0x80)
        key = self._read_exact(4, deadline) if masked else b""
        payload = self._read_exact(n, deadline)
        if masked:
            payload = _mask_fast(payload, key)
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 0x7, b0 & 0x0F, payload, masked)

    def expect_close(self, timeout: float = TIMEOUT) -> Frame:
        """Reads until the server's Close frame (skipping data frames) and returns it."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv_frame(max(deadline - time.monotonic(), 0.001))
            if frame.opcode == OP_CLOSE:
                return frame

    def wait_eof(self, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.recv_frame(max(deadline - time.monotonic(), 0.001))
        except WSClosed:
            return

    # -- MQTT over binary messages --------------------------------------------

    def send_mqtt(self, data: bytes, *, compress: bool = False) -> None:
        if compress:
            self.send_frame(OP_BINARY, deflate_message(data), rsv=RSV1)
        else:
            self.send_frame(OP_BINARY, data)

    def recv_message(self, timeout: float = TIMEOUT) -> tuple[bytes, bool]:
        """One whole data message (defragmented, inflated); returns (data, was_compressed)."""
        deadline = time.monotonic() + timeout
        parts: list[bytes] = []
        compressed = False
        while True:
            frame = self.recv_frame(max(deadline - time.monotonic(), 0.001))
            assert not frame.masked, "RFC 6455 §5.1: a server MUST NOT mask frames it sends"
            if frame.opcode in (OP_PING, OP_PONG):
                continue
            if frame.opcode == OP_CLOSE:
                raise WSClosed(f"server sent Close {frame.close_code}")
            assert frame.opcode == (OP_BINARY if not parts else OP_CONT), \
                f"MQTT-6.0.0-1: binary frames only, got opcode {frame.opcode}"
            if not parts:
                compressed = bool(frame.rsv & RSV1)
            parts.append(frame.payload)
            if frame.fin:
                data = b"".join(parts)
                return (inflate_message(data) if compressed else data), compressed

    def recv_mqtt(self, timeout: float = TIMEOUT) -> wire.Packet:
        deadline = time.monotonic() + timeout
        while True:
            pkt = _take_packet(self.mqtt_buf, self.version)
            if pkt is not None:
                return pkt
            data, _ = self.recv_message(max(deadline - time.monotonic(), 0.001))
            self.mqtt_buf += data

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _mask_fast(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    repeated = (key * (len(data) // 4 + 1))[:len(data)]
    return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(data), "big")


def deflate_message(data: bytes) -> bytes:
    """RFC 7692 §7.2.1: raw DEFLATE, sync flush, without the trailing 00 00 ff ff."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_message(data: bytes) -> bytes:
    """RFC 7692 §7.2.2; a fresh inflater per message, which is all server_no_context_takeover allows."""
    return zlib.decompressobj(-15).decompress(data + b"\x00\x00\xff\xff")


def _take_packet(buf: bytearray, version: int) -> wire.Packet | None:
    """One whole MQTT packet from the front of buf (MQTT §6: a message may hold several or a part)."""
    if len(buf) < 2:
        return None
    try:
        remaining, pos = wire.read_varint(bytes(buf[:5]), 1)
    except ValueError:
        return None
    if len(buf) < pos + remaining:
        return None
    first, body = buf[0], bytes(buf[pos:pos + remaining])
    del buf[:pos + remaining]
    return wire.decode(first >> 4, first & 0x0F, body, version, pos + remaining)


def mqtt_stream_client(ws, version: int = V311):
    """recv() for a ``websockets`` connection as a stream of MQTT packets."""
    buf = bytearray()

    def recv(timeout: float = TIMEOUT) -> wire.Packet:
        deadline = time.monotonic() + timeout
        while True:
            pkt = _take_packet(buf, version)
            if pkt is not None:
                return pkt
            data = ws.recv(timeout=max(deadline - time.monotonic(), 0.001))
            assert isinstance(data, bytes), f"MQTT-6.0.0-1: the server sent a text message {data!r}"
            buf.extend(data)
    return recv


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture
def ws_port(broker) -> int:
    return broker.listener_port("http")


@pytest.fixture
def opened(broker_factory):
    """Closes the test's websockets connections and raw sockets at teardown (before the broker)."""
    with contextlib.ExitStack() as stack:
        yield stack


def ws_url(port: int, path: str = "/mqtt") -> str:
    return f"ws://127.0.0.1:{port}{path}"


def open_ws(opened: contextlib.ExitStack, port: int, *, compression: str | None = "deflate", subprotocols=("mqtt",), **kw):
    return opened.enter_context(ws_connect(
        ws_url(port), compression=compression, subprotocols=list(subprotocols) if subprotocols else None,
        proxy=None, open_timeout=TIMEOUT, close_timeout=TIMEOUT, ping_interval=None, max_size=None, **kw))


def open_raw(opened: contextlib.ExitStack, port: int, **kw) -> RawWebSocket:
    raw = RawWebSocket(port, **kw)
    opened.callback(raw.close)
    return raw


def paho_ws(broker, port: int, version: int, **kw) -> MqttClient:
    client = MqttClient(broker.host, port, version, connect=False, transport="websockets", **kw)
    broker._clients.append(client)
    client.connect()
    return client


def ws_mqtt_connect(ws, version: int = V311, client_id: str | None = None):
    """CONNECT over a ``websockets`` connection; returns the packet reader after CONNACK 0."""
    recv = mqtt_stream_client(ws, version)
    ws.send(wire.connect(client_id or unique("ws"), version=version))
    connack = recv()
    assert connack.type == wire.CONNACK and connack.reason == 0, connack
    return recv


# ---------------------------------------------------------------------------
# paho-mqtt over WebSocket ↔ paho over TCP


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_paho_websocket_and_tcp_clients_exchange_messages_both_ways(broker, ws_port, version):
    """MQTT §6 / DESIGN §1: paho's websockets transport on /mqtt (subprotocol mqtt) and a paho
    TCP client see each other's messages at QoS 0 and 1, in both directions."""
    ws_client = paho_ws(broker, ws_port, version)
    tcp_client = broker.client(version)
    to_ws, to_tcp = "ws/" + unique("in"), "ws/" + unique("out")
    assert ws_client.subscribe(to_ws, 1) == [1]
    assert tcp_client.subscribe(to_tcp, 1) == [1]

    tcp_client.publish(to_ws, b"tcp->ws q1", qos=1)
    tcp_client.publish(to_ws, b"tcp->ws q0", qos=0)
    got = ws_client.get_messages(2)
    assert [(m.topic, m.payload, m.qos) for m in got] == [(to_ws, b"tcp->ws q1", 1), (to_ws, b"tcp->ws q0", 0)]

    ws_client.publish(to_tcp, b"ws->tcp q1", qos=1)
    ws_client.publish(to_tcp, b"ws->tcp q0", qos=0)
    got = tcp_client.get_messages(2)
    assert [(m.topic, m.payload, m.qos) for m in got] == [(to_tcp, b"ws->tcp q1", 1), (to_tcp, b"ws->tcp q0", 0)]


# ---------------------------------------------------------------------------
# Negotiation: permessage-deflate and the subprotocol


def test_deflate_is_negotiated_with_no_context_takeover(broker, ws_port, opened):
    """RFC 7692 §7.1 / DESIGN §4.4: the server accepts permessage-deflate and answers with
    server_no_context_takeover and client_no_context_takeover; subprotocol mqtt is chosen
    (MQTT-6.0.0-3/4); MQTT then works over the compressed connection."""
    ws = open_ws(opened, ws_port, compression="deflate")
    extensions = ws.response.headers.get("Sec-WebSocket-Extensions", "")
    assert "permessage-deflate" in extensions
    assert "server_no_context_takeover" in extensions
    assert "client_no_context_takeover" in extensions
    assert ws.subprotocol == "mqtt"
    assert ws.response.headers.get("Sec-WebSocket-Protocol") == "mqtt"
    recv = ws_mqtt_connect(ws)
    ws.send(wire.pingreq())
    assert recv().type == wire.PINGRESP


def test_no_extension_header_without_a_deflate_offer(broker, ws_port, opened):
    """RFC 6455 §9.1 / RFC 7692 §5: an extension the client did not offer is never answered."""
    ws = open_ws(opened, ws_port, compression=None)
    assert "Sec-WebSocket-Extensions" not in ws.response.headers
    assert ws.subprotocol == "mqtt"
    recv = ws_mqtt_connect(ws)
    ws.send(wire.pingreq())
    assert recv().type == wire.PINGRESP


def test_ws_deflate_false_declines_the_offer(broker_factory, opened):
    """RFC 7692 §5 / `--ws-deflate false`: the offer is declined (no extension header) and
    MQTT works uncompressed; large messages come back without RSV1."""
    broker = broker_factory("--ws-deflate", "false")
    port = broker.listener_port("http")
    ws = open_ws(opened, port, compression="deflate")
    assert "Sec-WebSocket-Extensions" not in ws.response.headers
    raw = open_raw(opened, port, deflate=True)
    assert "sec-websocket-extensions" not in raw.headers
    raw.send_mqtt(wire.connect(unique("raw"), version=V311))
    assert raw.recv_mqtt().reason == 0
    topic = "ws/" + unique("nodefl")
    raw.send_mqtt(wire.subscribe(1, [(topic, 0)], version=V311))
    assert raw.recv_mqtt().type == wire.SUBACK
    broker.client(V311).publish(topic, b"z" * 4096, qos=1)
    data, compressed = raw.recv_message()
    assert not compressed, "RFC 7692 §6: RSV1 without a negotiated extension"
    assert data.endswith(b"z" * 4096)


def test_subprotocol_mqttv31_is_accepted(broker, ws_port, opened):
    """MQTT 3.1.1 §6 / DESIGN §1: the older subprotocol name mqttv3.1 is accepted and MQTT 3.1
    (MQIsdp) connects over it."""
    ws = open_ws(opened, ws_port, compression=None, subprotocols=("mqttv3.1",))
    assert ws.subprotocol == "mqttv3.1"
    ws_mqtt_connect(ws, V31)


def test_subprotocol_mqtt_is_preferred_when_both_offered(broker, ws_port, opened):
    """RFC 6455 §4.2.2: the server selects one of the offered subprotocols, here mqtt."""
    ws = open_ws(opened, ws_port, compression=None, subprotocols=("mqtt", "mqttv3.1"))
    assert ws.subprotocol in ("mqtt", "mqttv3.1")
    ws_mqtt_connect(ws)


# ---------------------------------------------------------------------------
# Payloads and packet boundaries


def test_large_repetitive_publish_with_deflate_both_ways(broker, ws_port, opened):
    """RFC 7692 / DESIGN §4.4: a 20 KB repetitive PUBLISH goes intact from a deflating
    websockets client to a TCP subscriber and from a TCP publisher to the WS client."""
    ws = open_ws(opened, ws_port, compression="deflate")
    assert "permessage-deflate" in ws.response.headers.get("Sec-WebSocket-Extensions", "")
    recv = ws_mqtt_connect(ws)
    payload_in = (b"danmaku! " * 2300)[:20000]
    payload_out = (b"0123456789abcdef" * 1300)[:20480]
    to_ws, to_tcp = "ws/" + unique("bigin"), "ws/" + unique("bigout")
    ws.send(wire.subscribe(1, [(to_ws, 1)], version=V311))
    suback = recv()
    assert suback.type == wire.SUBACK and suback.codes == [1]
    tcp = broker.client(V311)
    assert tcp.subscribe(to_tcp, 1) == [1]

    tcp.publish(to_ws, payload_in, qos=1)
    pkt = recv()
    assert pkt.type == wire.PUBLISH and pkt.topic == to_ws and pkt.payload == payload_in
    ws.send(wire.ack(wire.PUBACK, pkt.pid, version=V311))

    ws.send(wire.publish(to_tcp, payload_out, qos=1, pid=7, version=V311))
    puback = recv()
    assert puback.type == wire.PUBACK and puback.pid == 7
    msg = tcp.get_message()
    assert msg.topic == to_tcp and msg.payload == payload_out


def test_server_compresses_large_messages_and_not_small_ones(broker, ws_port, opened):
    """RFC 7692 §6 / `--ws-deflate-min-size` (default 256): a 20 KB PUBLISH reaches a deflate
    client with RSV1 set, much smaller on the wire, and inflates with a fresh inflater
    (server_no_context_takeover); a tiny one is sent uncompressed. A client message compressed
    by us is accepted too."""
    raw = open_raw(opened, ws_port, deflate=True)
    assert raw.deflate
    raw.send_mqtt(wire.connect(unique("rawdfl"), version=V311), compress=True)
    assert raw.recv_mqtt().reason == 0
    topic = "ws/" + unique("dfl")
    raw.send_mqtt(wire.subscribe(1, [(topic, 0)], version=V311), compress=True)
    assert raw.recv_mqtt().type == wire.SUBACK
    tcp = broker.client(V311)
    big = (b"bullet screen " * 1500)[:20000]
    for _ in range(2):  # twice: the second must inflate on its own as well
        tcp.publish(topic, big, qos=1)
        frame = raw.recv_frame()
        assert frame.opcode == OP_BINARY and frame.fin and frame.rsv & RSV1, frame.rsv
        assert len(frame.payload) < 5000, f"a 20 KB repetitive message went out as {len(frame.payload)} bytes"
        pkt = _take_packet(bytearray(inflate_message(frame.payload)), V311)
        assert pkt.topic == topic and pkt.payload == big
    tcp.publish(topic, b"tiny", qos=1)
    frame = raw.recv_frame()
    assert frame.opcode == OP_BINARY and not frame.rsv & RSV1
    assert _take_packet(bytearray(frame.payload), V311).payload == b"tiny"


def test_several_packets_in_one_message(broker, ws_port, opened):
    """MQTT §6: a WebSocket message may hold several MQTT packets: CONNECT + SUBSCRIBE in one
    binary message both take effect."""
    ws = open_ws(opened, ws_port, compression=None)
    recv = mqtt_stream_client(ws, V311)
    topic = "ws/" + unique("multi")
    ws.send(wire.connect(unique("multi"), version=V311) + wire.subscribe(3, [(topic, 1)], version=V311))
    connack = recv()
    assert connack.type == wire.CONNACK and connack.reason == 0
    suback = recv()
    assert suback.type == wire.SUBACK and suback.pid == 3 and suback.codes == [1]
    broker.client(V5).publish(topic, b"after multi", qos=1)
    pkt = recv()
    assert pkt.type == wire.PUBLISH and pkt.payload == b"after multi"


def test_one_packet_split_across_two_messages(broker, ws_port, opened):
    """MQTT §6: one MQTT packet may span several WebSocket messages: a CONNECT cut inside its
    fixed header and a PUBLISH cut inside its payload are both reassembled."""
    ws = open_ws(opened, ws_port, compression="deflate")
    recv = mqtt_stream_client(ws, V311)
    connect = wire.connect(unique("split"), version=V311)
    ws.send(connect[:1])
    ws.send(connect[1:])
    connack = recv()
    assert connack.type == wire.CONNACK and connack.reason == 0
    topic = "ws/" + unique("split")
    tcp = broker.client(V311)
    assert tcp.subscribe(topic, 0) == [0]
    publish = wire.publish(topic, b"first half|second half", qos=1, pid=9, version=V311)
    ws.send(publish[:len(publish) - 11])
    ws.send(publish[len(publish) - 11:])
    puback = recv()
    assert puback.type == wire.PUBACK and puback.pid == 9
    assert tcp.get_message().payload == b"first half|second half"


def test_fragmented_message_with_interleaved_ping(broker, ws_port, opened):
    """RFC 6455 §5.4, §5.5: a message in three frames (binary + continuations) with a ping
    between fragments is reassembled, and the ping is answered in the middle."""
    raw = open_raw(opened, ws_port)
    connect = wire.connect(unique("frag"), version=V311)
    raw.send_frame(OP_BINARY, connect[:3], fin=False)
    raw.send_frame(OP_PING, b"mid", fin=True)
    raw.send_frame(OP_CONT, connect[3:8], fin=False)
    raw.send_frame(OP_CONT, connect[8:], fin=True)
    pong = raw.recv_frame()
    assert pong.opcode == OP_PONG and pong.payload == b"mid"
    assert raw.recv_mqtt().reason == 0


# ---------------------------------------------------------------------------
# Control frames and closing


def test_text_frame_is_closed_with_1003(broker, ws_port, opened):
    """MQTT-6.0.0-1: MQTT packets travel in binary frames; a text frame makes the server close
    the connection, with close code 1003 (RFC 6455 §7.4.1, unacceptable data type)."""
    ws = open_ws(opened, ws_port, compression=None)
    ws_mqtt_connect(ws)
    ws.send("this is text")
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd is not None, "the server dropped TCP without a Close frame"
    assert closed.value.rcvd.code == 1003


def test_ping_is_answered_with_a_pong_carrying_the_same_payload(broker, ws_port, opened):
    """RFC 6455 §5.5.2–5.5.3: a Pong answers a Ping with identical application data, before
    and after CONNECT."""
    ws = open_ws(opened, ws_port, compression="deflate")
    assert ws.ping(b"swiftlet-ping-1").wait(TIMEOUT), "no pong for the first ping"
    ws_mqtt_connect(ws)
    assert ws.ping(b"\x00\xff binary").wait(TIMEOUT), "no pong after CONNECT"

    raw = open_raw(opened, ws_port)
    data = os.urandom(125)  # the largest control frame payload (§5.5)
    raw.send_frame(OP_PING, data)
    pong = raw.recv_frame()
    assert pong.opcode == OP_PONG and pong.fin and pong.payload == data and not pong.masked


def test_client_close_is_echoed(broker, ws_port, opened):
    """RFC 6455 §5.5.1, §7.1.2: a client Close(1000) is answered with a Close frame (code 1000)
    and the server then closes the TCP connection."""
    ws = open_ws(opened, ws_port, compression=None)
    ws_mqtt_connect(ws)
    ws.close(1000, "bye")
    assert ws.protocol.close_rcvd is not None, "the server never answered the Close"
    assert ws.protocol.close_rcvd.code == 1000

    raw = open_raw(opened, ws_port)
    raw.send_mqtt(wire.connect(unique("rawclose"), version=V311))
    assert raw.recv_mqtt().reason == 0
    raw.send_frame(OP_CLOSE, struct.pack("!H", 1000) + b"done")
    frame = raw.expect_close()
    assert frame.close_code == 1000 and not frame.masked
    raw.wait_eof()


# ---------------------------------------------------------------------------
# Handshake failures (RFC 6455 §4.2.1, §4.4)


def test_handshake_without_key_is_400(broker, ws_port):
    """RFC 6455 §4.2.1: a request without Sec-WebSocket-Key is not a valid handshake → 400."""
    request, _ = handshake_request(ws_port, key=None)
    status, _ = http_status(ws_port, request)
    assert status == 400


def test_handshake_with_version_8_is_426_with_version_13(broker, ws_port):
    """RFC 6455 §4.2.2, §4.4: an unsupported Sec-WebSocket-Version gets 426 Upgrade Required with
    `Sec-WebSocket-Version: 13`."""
    request, _ = handshake_request(ws_port, version="8")
    status, headers = http_status(ws_port, request)
    assert status == 426
    assert "13" in [v.strip() for v in headers.get("sec-websocket-version", "").split(",")]


def test_post_to_ws_path_is_405(broker, ws_port):
    """RFC 6455 §4.1 (the handshake is a GET) / RFC 9110 §15.5.6: POST /mqtt → 405."""
    request, _ = handshake_request(ws_port, method="POST")
    status, _ = http_status(ws_port, request)
    assert status == 405


def test_plain_get_of_ws_path_is_refused(broker, ws_port):
    """RFC 6455 §4.2.1: GET /mqtt without Upgrade is not served as a page (4xx, never 200)."""
    request, _ = handshake_request(ws_port, upgrade=False)
    status, _ = http_status(ws_port, request)
    assert 400 <= status < 500, status


def test_upgrade_on_unknown_path_is_404(broker, ws_port):
    """RFC 6455 §4.2.1 (the resource name) / DESIGN §1: only --ws-path upgrades; elsewhere 404."""
    request, _ = handshake_request(ws_port, path="/no-such-endpoint-" + unique("p"))
    status, _ = http_status(ws_port, request)
    assert status == 404


def test_custom_ws_path(broker_factory, opened):
    """DESIGN §1 / `--ws-path`: the upgrade moves to the configured path; /mqtt is then 404."""
    broker = broker_factory("--ws-path", "/broker/ws")
    port = broker.listener_port("http")
    ws = opened.enter_context(ws_connect(ws_url(port, "/broker/ws"), compression=None, subprotocols=["mqtt"],
                                         proxy=None, open_timeout=TIMEOUT, ping_interval=None))
    ws_mqtt_connect(ws)
    request, _ = handshake_request(port, path="/mqtt")
    assert http_status(port, request)[0] == 404


# ---------------------------------------------------------------------------
# Protocol errors and limits (RFC 6455 §5.2, §7.4.1; RFC 7692; DESIGN §9)


def test_deflate_bomb_is_closed_with_1009_and_others_unaffected(broker, ws_port, opened):
    """DESIGN §9 (no deflate bombs) / RFC 6455 §7.4.1: ~5 MB of zeros deflated to a few KB and
    sent with RSV1 is refused with close 1009 (message too big) once inflation passes the limit;
    a WS client connected before it and a TCP client keep working."""
    witness = Witness(broker)
    bystander = open_ws(opened, ws_port, compression="deflate")
    bystander_recv = ws_mqtt_connect(bystander)
    topic = "ws/" + unique("bystand")
    bystander.send(wire.subscribe(1, [(topic, 0)], version=V311))
    assert bystander_recv().type == wire.SUBACK

    raw = open_raw(opened, ws_port, deflate=True)
    assert raw.deflate
    raw.send_mqtt(wire.connect(unique("bomb"), version=V311))
    assert raw.recv_mqtt().reason == 0
    bomb = deflate_message(b"\x00" * 5_000_000)
    assert len(bomb) < 10_000
    raw.send_frame(OP_BINARY, bomb, rsv=RSV1)
    frame = raw.expect_close()
    assert frame.close_code == 1009
    raw.wait_eof()

    assert broker.alive()
    witness.check()
    broker.client(V311).publish(topic, b"still here", qos=1)
    pkt = bystander_recv()
    assert pkt.type == wire.PUBLISH and pkt.payload == b"still here"


def test_rsv2_frame_is_closed_with_1002(broker, ws_port, opened):
    """RFC 6455 §5.2: RSV2 set without an extension defining it → fail the connection (1002)."""
    raw = open_raw(opened, ws_port, deflate=True)
    raw.send_mqtt(wire.connect(unique("rsv2"), version=V311))
    assert raw.recv_mqtt().reason == 0
    raw.send_frame(OP_BINARY, wire.pingreq(), rsv=RSV2)
    assert raw.expect_close().close_code == 1002
    raw.wait_eof()


def test_rsv1_without_negotiated_deflate_is_closed_with_1002(broker, ws_port, opened):
    """RFC 6455 §5.2 / RFC 7692 §6: RSV1 on a connection that did not negotiate deflate → 1002."""
    raw = open_raw(opened, ws_port, deflate=False)
    assert not raw.deflate
    raw.send_mqtt(wire.connect(unique("rsv1"), version=V311))
    assert raw.recv_mqtt().reason == 0
    raw.send_frame(OP_BINARY, deflate_message(wire.pingreq()), rsv=RSV1)
    assert raw.expect_close().close_code == 1002


def test_unmasked_client_frame_is_closed_with_1002(broker, ws_port, opened):
    """RFC 6455 §5.1: the server MUST close the connection on an unmasked client frame (1002)."""
    raw = open_raw(opened, ws_port)
    raw.send_frame(OP_BINARY, wire.connect(unique("unmasked"), version=V311), mask=False)
    frame = raw.expect_close()
    assert frame.close_code == 1002
    raw.wait_eof()


# ---------------------------------------------------------------------------
# mqtt.js (Debian node-mqtt, over Node's `ws`, which offers permessage-deflate)


MQTT_JS = r"""
const mqtt = require('mqtt');
const fs = require('fs');
const [url, ca, subTopic, pubTopic, version, replySize] = process.argv.slice(2);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const opts = { protocolVersion: Number(version), clientId: 'mqttjs-' + process.pid,
               reconnectPeriod: 0, connectTimeout: 5000 };
if (ca) { opts.ca = fs.readFileSync(ca); opts.rejectUnauthorized = true; }
setTimeout(() => { out({ event: 'timeout' }); process.exit(4); }, 15000);
const client = mqtt.connect(url, opts);
client.on('error', (e) => { out({ event: 'error', message: String(e) }); process.exit(3); });
client.on('connect', () => {
  out({ event: 'connected' });
  client.subscribe(subTopic, { qos: 1 }, (err, granted) => {
    if (err) { out({ event: 'error', message: String(err) }); process.exit(2); }
    out({ event: 'subscribed', granted: granted.map((g) => g.qos) });
  });
});
client.on('message', (topic, payload) => {
  out({ event: 'message', topic, payload: payload.toString('base64') });
  const reply = Buffer.from('reply:'.repeat(Number(replySize) / 6 + 1)).subarray(0, Number(replySize));
  client.publish(pubTopic, reply, { qos: 1 }, (err) => {
    if (err) { out({ event: 'error', message: String(err) }); process.exit(2); }
    out({ event: 'published' });
    client.end(false, () => process.exit(0));
  });
});
"""


def run_mqtt_js_exchange(broker, tmp_path, url: str, ca: str, version: int) -> None:
    """mqtt.js subscribes, a paho TCP client publishes 20 KB to it, mqtt.js answers 20 KB
    back to a topic the paho client subscribed to."""
    script = tmp_path / "exchange.js"
    script.write_text(MQTT_JS)
    to_js, from_js = "js/" + unique("in"), "js/" + unique("out")
    tcp = broker.client(V5)
    assert tcp.subscribe(from_js, 1) == [1]
    node = NodeProcess(str(script), [url, ca, to_js, from_js, str(version), "20000"])
    try:
        node.expect("connected", timeout=10)
        assert node.expect("subscribed")["granted"] == [1]
        payload = (b"from paho over tcp " * 1100)[:20000]
        tcp.publish(to_js, payload, qos=1)
        got = node.expect("message")
        assert got["topic"] == to_js and base64.b64decode(got["payload"]) == payload
        node.expect("published")
        msg = tcp.get_message()
        assert msg.topic == from_js and msg.payload == (b"reply:" * 3334)[:20000]
        assert node.wait() == 0
    finally:
        node.stop()


@pytest.mark.skipif(not have_mqtt_js(), reason="needs node and Debian's node-mqtt")
@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_mqtt_js_over_websocket_with_paho_tcp(broker, ws_port, tmp_path, version):
    """MQTT §6 / DESIGN §1 (browsers): mqtt.js over ws://…/mqtt and paho over TCP exchange
    20 KB messages in both directions."""
    run_mqtt_js_exchange(broker, tmp_path, ws_url(ws_port), "", version)


@pytest.fixture(scope="module")
def dev_cert(tmp_path_factory) -> tuple[str, str]:
    return make_dev_cert(SWIFTLET_BIN, str(tmp_path_factory.mktemp("devcert")))


@pytest.mark.skipif(not have_mqtt_js(), reason="needs node and Debian's node-mqtt")
def test_mqtt_js_over_wss_with_paho_tcp(broker_factory, dev_cert, tmp_path):
    """DESIGN §1 (HTTPS + WSS), §2 (TLS): mqtt.js over wss://localhost:…/mqtt, trusting the dev
    certificate as its CA, exchanges messages with a paho TCP client."""
    cert, key = dev_cert
    broker = broker_factory("--mqtts", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)
    port = broker.listener_port("https")
    run_mqtt_js_exchange(broker, tmp_path, f"wss://localhost:{port}/mqtt", cert, V311)
