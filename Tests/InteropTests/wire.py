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
"""A tiny MQTT 3.1 / 3.1.1 / 5.0 packet builder and reader over a raw socket.

paho-mqtt cannot send what a well-behaved client never sends (malformed packets,
5-byte varints, more QoS 2 publishes than the server's Receive Maximum, oversize
packets, silence), nor show exactly what the server put on the wire (DISCONNECT
reason codes, DUP flags, topic aliases, the absence of a property). This module
does both, with no dependency beyond the standard library.

Builders return ``bytes``; the encoders are deliberately permissive, so a test can
build packets the specification forbids. ``RawClient`` reads whole packets and
decodes the ones a server sends.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

# Packet types (fixed header, high nibble).
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP = 8, 9, 10, 11, 12, 13
DISCONNECT, AUTH = 14, 15

PACKET_NAMES = {
    1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
    7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
    12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH",
}

# Protocol levels as they appear in CONNECT.
V31, V311, V5 = 3, 4, 5

# MQTT 5 property identifiers (section 2.2.2.2) and their wire types.
PAYLOAD_FORMAT_INDICATOR = 0x01
MESSAGE_EXPIRY_INTERVAL = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY_INTERVAL = 0x11
ASSIGNED_CLIENT_IDENTIFIER = 0x12
SERVER_KEEP_ALIVE = 0x13
AUTHENTICATION_METHOD = 0x15
AUTHENTICATION_DATA = 0x16
REQUEST_PROBLEM_INFORMATION = 0x17
WILL_DELAY_INTERVAL = 0x18
REQUEST_RESPONSE_INFORMATION = 0x19
RESPONSE_INFORMATION = 0x1A
SERVER_REFERENCE = 0x1C
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27
WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28
SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29
SHARED_SUBSCRIPTION_AVAILABLE = 0x2A

_PROPERTY_TYPES = {
    0x01: "byte", 0x02: "u32", 0x03: "str", 0x08: "str", 0x09: "bin", 0x0B: "varint",
    0x11: "u32", 0x12: "str", 0x13: "u16", 0x15: "str", 0x16: "bin", 0x17: "byte",
    0x18: "u32", 0x19: "byte", 0x1A: "str", 0x1C: "str", 0x1F: "str", 0x21: "u16",
    0x22: "u16", 0x23: "u16", 0x24: "byte", 0x25: "byte", 0x26: "pair", 0x27: "u32",
    0x28: "byte", 0x29: "byte", 0x2A: "byte",
}

# Reason codes used by the tests (section 2.4).
SUCCESS = 0x00
GRANTED_QOS_1, GRANTED_QOS_2 = 0x01, 0x02
DISCONNECT_WITH_WILL = 0x04
NO_MATCHING_SUBSCRIBERS = 0x10
NO_SUBSCRIPTION_EXISTED = 0x11
UNSPECIFIED_ERROR = 0x80
MALFORMED_PACKET = 0x81
PROTOCOL_ERROR = 0x82
UNSUPPORTED_PROTOCOL_VERSION = 0x84
CLIENT_IDENTIFIER_NOT_VALID = 0x85
NOT_AUTHORIZED = 0x87
SERVER_SHUTTING_DOWN = 0x8B
BAD_AUTHENTICATION_METHOD = 0x8C
KEEP_ALIVE_TIMEOUT = 0x8D
SESSION_TAKEN_OVER = 0x8E
TOPIC_FILTER_INVALID = 0x8F
TOPIC_NAME_INVALID = 0x90
RECEIVE_MAXIMUM_EXCEEDED = 0x93
TOPIC_ALIAS_INVALID = 0x94
PACKET_TOO_LARGE = 0x95
QUOTA_EXCEEDED = 0x97

# MQTT 3.1 / 3.1.1 CONNACK return codes.
RC_ACCEPTED = 0x00
RC_UNACCEPTABLE_PROTOCOL_VERSION = 0x01
RC_IDENTIFIER_REJECTED = 0x02


# ---------------------------------------------------------------------------
# Primitive encoders (section 1.5)


def varint(value: int, *, min_bytes: int = 1) -> bytes:
    """Variable Byte Integer. ``min_bytes`` pads with continuation bytes, which lets
    a test write over-long (5-byte) or non-minimal encodings on purpose."""
    out = bytearray()
    while True:
        byte = value % 128
        value //= 128
        if value > 0 or len(out) + 1 < min_bytes:
            byte |= 0x80
        out.append(byte)
        if value == 0 and len(out) >= min_bytes:
            return bytes(out)


def u16(value: int) -> bytes:
    return struct.pack("!H", value)


def u32(value: int) -> bytes:
    return struct.pack("!I", value)


def string(value: str | bytes) -> bytes:
    """UTF-8 Encoded String; pass ``bytes`` to write invalid UTF-8 on purpose."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return u16(len(data)) + data


def binary(value: bytes) -> bytes:
    return u16(len(value)) + value


def _encode_property(pid: int, value: Any) -> bytes:
    kind = _PROPERTY_TYPES[pid]
    if kind == "byte":
        body = bytes([value])
    elif kind == "u16":
        body = u16(value)
    elif kind == "u32":
        body = u32(value)
    elif kind == "varint":
        body = varint(value)
    elif kind == "str":
        body = string(value)
    elif kind == "bin":
        body = binary(value)
    else:  # pair
        body = string(value[0]) + string(value[1])
    return varint(pid) + body


def properties(props: Iterable[tuple[int, Any]] | None = None) -> bytes:
    """A property block: length then ``(identifier, value)`` pairs in the given order
    (repeat an identifier to write it twice)."""
    body = b"".join(_encode_property(pid, value) for pid, value in (props or []))
    return varint(len(body)) + body


def fixed_header(ptype: int, flags: int, remaining: int) -> bytes:
    return bytes([(ptype << 4) | flags]) + varint(remaining)


def packet(ptype: int, flags: int, body: bytes) -> bytes:
    return fixed_header(ptype, flags, len(body)) + body


# ---------------------------------------------------------------------------
# Packet builders


def connect(
    client_id: str | bytes = "",
    *,
    version: int = V5,
    clean: bool = True,
    keepalive: int = 60,
    props: Iterable[tuple[int, Any]] | None = None,
    will_topic: str | bytes | None = None,
    will_payload: bytes = b"",
    will_qos: int = 0,
    will_retain: bool = False,
    will_props: Iterable[tuple[int, Any]] | None = None,
    username: str | bytes | None = None,
    password: bytes | None = None,
    protocol_name: str | bytes | None = None,
    flags_override: int | None = None,
    reserved_flag: bool = False,
) -> bytes:
    """CONNECT for MQTT 3.1 (``MQIsdp``, level 3), 3.1.1 (level 4) or 5."""
    if protocol_name is None:
        protocol_name = "MQIsdp" if version == V31 else "MQTT"
    flags = 0
    if reserved_flag:
        flags |= 0x01
    if clean:
        flags |= 0x02
    if will_topic is not None:
        flags |= 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    if password is not None:
        flags |= 0x40
    if username is not None:
        flags |= 0x80
    if flags_override is not None:
        flags = flags_override
    body = string(protocol_name) + bytes([version, flags]) + u16(keepalive)
    if version == V5:
        body += properties(props)
    body += string(client_id)
    if will_topic is not None:
        if version == V5:
            body += properties(will_props)
        body += string(will_topic) + binary(will_payload)
    if username is not None:
        body += string(username)
    if password is not None:
        body += binary(password)
    return packet(CONNECT, 0, body)


def publish(
    topic: str | bytes,
    payload: bytes = b"",
    *,
    qos: int = 0,
    retain: bool = False,
    dup: bool = False,
    pid: int | None = None,
    version: int = V5,
    props: Iterable[tuple[int, Any]] | None = None,
) -> bytes:
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = string(topic)
    if qos > 0 or pid is not None:
        body += u16(pid if pid is not None else 1)
    if version == V5:
        body += properties(props)
    return packet(PUBLISH, flags, body + payload)


def subscribe(
    pid: int,
    filters: Iterable[tuple[str | bytes, int]],
    *,
    version: int = V5,
    props: Iterable[tuple[int, Any]] | None = None,
    flags: int = 0x02,
) -> bytes:
    """``filters`` are ``(topic filter, options byte)``; for MQTT 5 the options byte
    is QoS | no-local << 2 | retain-as-published << 3 | retain handling << 4."""
    body = u16(pid)
    if version == V5:
        body += properties(props)
    for topic_filter, options in filters:
        body += string(topic_filter) + bytes([options])
    return packet(SUBSCRIBE, flags, body)


def sub_options(qos: int = 0, *, no_local: bool = False, rap: bool = False, rh: int = 0) -> int:
    return qos | (0x04 if no_local else 0) | (0x08 if rap else 0) | (rh << 4)


def unsubscribe(pid: int, filters: Iterable[str], *, version: int = V5) -> bytes:
    body = u16(pid)
    if version == V5:
        body += properties()
    for topic_filter in filters:
        body += string(topic_filter)
    return packet(UNSUBSCRIBE, 0x02, body)


def ack(ptype: int, pid: int, *, reason: int | None = None, version: int = V5) -> bytes:
    """PUBACK, PUBREC, PUBREL (flags 0010) or PUBCOMP."""
    body = u16(pid)
    if version == V5 and reason is not None:
        body += bytes([reason]) + properties()
    return packet(ptype, 0x02 if ptype == PUBREL else 0, body)


def pingreq() -> bytes:
    return packet(PINGREQ, 0, b"")


def disconnect(reason: int | None = None, *, props: Iterable[tuple[int, Any]] | None = None,
               version: int = V5) -> bytes:
    body = b""
    if version == V5 and (reason is not None or props):
        body = bytes([reason or 0]) + properties(props)
    return packet(DISCONNECT, 0, body)


def auth(reason: int = 0x19, props: Iterable[tuple[int, Any]] | None = None) -> bytes:
    return packet(AUTH, 0, bytes([reason]) + properties(props))


# ---------------------------------------------------------------------------
# Decoding


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    for i in range(4):
        if pos >= len(buf):
            raise ValueError("truncated variable byte integer")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("variable byte integer longer than 4 bytes")


def _read_string(buf: bytes, pos: int) -> tuple[str, int]:
    (length,) = struct.unpack_from("!H", buf, pos)
    pos += 2
    return buf[pos:pos + length].decode("utf-8"), pos + length


def _read_binary(buf: bytes, pos: int) -> tuple[bytes, int]:
    (length,) = struct.unpack_from("!H", buf, pos)
    pos += 2
    return bytes(buf[pos:pos + length]), pos + length


def read_properties(buf: bytes, pos: int) -> tuple[list[tuple[int, Any]], int]:
    length, pos = read_varint(buf, pos)
    end = pos + length
    props: list[tuple[int, Any]] = []
    while pos < end:
        pid, pos = read_varint(buf, pos)
        kind = _PROPERTY_TYPES.get(pid)
        if kind == "byte":
            value, pos = buf[pos], pos + 1
        elif kind == "u16":
            (value,) = struct.unpack_from("!H", buf, pos)
            pos += 2
        elif kind == "u32":
            (value,) = struct.unpack_from("!I", buf, pos)
            pos += 4
        elif kind == "varint":
            value, pos = read_varint(buf, pos)
        elif kind == "str":
            value, pos = _read_string(buf, pos)
        elif kind == "bin":
            value, pos = _read_binary(buf, pos)
        elif kind == "pair":
            key, pos = _read_string(buf, pos)
            val, pos = _read_string(buf, pos)
            value = (key, val)
        else:
            raise ValueError(f"unknown property identifier 0x{pid:02x}")
        props.append((pid, value))
    if pos != end:
        raise ValueError("property block overruns its length")
    return props, end


@dataclass
class Packet:
    """One packet as received; the decoded fields depend on the type."""

    type: int
    flags: int
    body: bytes
    raw_size: int
    props: list[tuple[int, Any]] = field(default_factory=list)
    reason: int | None = None           # CONNACK return/reason code, acks, DISCONNECT, AUTH
    session_present: bool | None = None
    pid: int | None = None
    codes: list[int] = field(default_factory=list)  # SUBACK / UNSUBACK
    topic: str | None = None
    payload: bytes = b""

    @property
    def name(self) -> str:
        return PACKET_NAMES.get(self.type, f"type {self.type}")

    @property
    def qos(self) -> int:
        return (self.flags >> 1) & 0x03

    @property
    def retain(self) -> bool:
        return bool(self.flags & 0x01)

    @property
    def dup(self) -> bool:
        return bool(self.flags & 0x08)

    def prop(self, pid: int, default: Any = None) -> Any:
        for key, value in self.props:
            if key == pid:
                return value
        return default

    def props_all(self, pid: int) -> list[Any]:
        return [value for key, value in self.props if key == pid]

    def has(self, pid: int) -> bool:
        return any(key == pid for key, _ in self.props)

    def __repr__(self) -> str:
        parts = [self.name]
        if self.reason is not None:
            parts.append(f"reason=0x{self.reason:02x}")
        if self.pid is not None:
            parts.append(f"pid={self.pid}")
        if self.topic is not None:
            parts.append(f"topic={self.topic!r} qos={self.qos} retain={self.retain} dup={self.dup}")
            parts.append(f"payload={self.payload[:40]!r}{'…' if len(self.payload) > 40 else ''}")
        if self.codes:
            parts.append("codes=[" + ", ".join(f"0x{c:02x}" for c in self.codes) + "]")
        if self.props:
            parts.append(f"props={self.props}")
        return "<" + " ".join(parts) + ">"


def decode(ptype: int, flags: int, body: bytes, version: int, raw_size: int) -> Packet:
    pkt = Packet(ptype, flags, body, raw_size)
    v5 = version == V5
    if ptype == CONNACK:
        pkt.session_present = bool(body[0] & 0x01)
        pkt.reason = body[1]
        if v5 and len(body) > 2:
            pkt.props, _ = read_properties(body, 2)
    elif ptype == PUBLISH:
        pkt.topic, pos = _read_string(body, 0)
        if pkt.qos > 0:
            (pkt.pid,) = struct.unpack_from("!H", body, pos)
            pos += 2
        if v5:
            pkt.props, pos = read_properties(body, pos)
        pkt.payload = bytes(body[pos:])
    elif ptype in (PUBACK, PUBREC, PUBREL, PUBCOMP):
        (pkt.pid,) = struct.unpack_from("!H", body, 0)
        pkt.reason = body[2] if len(body) > 2 else SUCCESS
        if v5 and len(body) > 3:
            pkt.props, _ = read_properties(body, 3)
    elif ptype in (SUBACK, UNSUBACK):
        (pkt.pid,) = struct.unpack_from("!H", body, 0)
        pos = 2
        if v5:
            pkt.props, pos = read_properties(body, pos)
        pkt.codes = list(body[pos:])
    elif ptype in (DISCONNECT, AUTH):
        pkt.reason = body[0] if body else SUCCESS
        if len(body) > 1:
            pkt.props, _ = read_properties(body, 1)
    return pkt


# ---------------------------------------------------------------------------
# The client


class Closed(Exception):
    """The server closed the connection (EOF or reset)."""


class RawClient:
    """A blocking MQTT connection over a plain socket, packet by packet.

    Every read is bounded by a timeout; nothing here sleeps.
    """

    def __init__(self, host: str, port: int, *, version: int = V5, timeout: float = 10.0,
                 rcvbuf: int | None = None):
        self.version = version
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self.pending: list[Packet] = []  # received, set aside by expect() for later
        self.closed = False
        self.aliases: dict[int, str] = {}  # server → client topic aliases seen so far
        self.connack: Packet | None = None

    # -- low level ---------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Write bytes; a server that already closed the socket is not an error here
        (the test asserts on the close separately)."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data from the server in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as exc:
            raise TimeoutError("no data from the server in time") from exc
        except (ConnectionResetError, ConnectionAbortedError) as exc:
            self.closed = True
            raise Closed("connection reset by the server") from exc
        if not chunk:
            self.closed = True
            raise Closed("connection closed by the server")
        self._buf += chunk

    def recv(self, timeout: float | None = None) -> Packet:
        """The next whole packet. Raises ``TimeoutError`` or ``Closed``."""
        if self.pending:
            return self.pending.pop(0)
        return self._recv_wire(timeout)

    def _recv_wire(self, timeout: float | None = None) -> Packet:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if len(self._buf) >= 2:
                try:
                    remaining, pos = read_varint(bytes(self._buf[:5]), 1)
                except ValueError:
                    if len(self._buf) >= 5:
                        raise
                    remaining, pos = -1, 0
                if remaining >= 0 and len(self._buf) >= pos + remaining:
                    first = self._buf[0]
                    body = bytes(self._buf[pos:pos + remaining])
                    del self._buf[:pos + remaining]
                    pkt = decode(first >> 4, first & 0x0F, body, self.version, pos + remaining)
                    if pkt.type == PUBLISH:
                        self._resolve_alias(pkt)
                    return pkt
            self._fill(deadline)

    def _resolve_alias(self, pkt: Packet) -> None:
        alias = pkt.prop(TOPIC_ALIAS)
        if alias is None:
            return
        if pkt.topic:
            self.aliases[alias] = pkt.topic
        else:
            pkt.topic = self.aliases.get(alias, "")

    def expect(self, ptype: int, timeout: float | None = None) -> Packet:
        """The first packet of type ``ptype``. Packets of other types that arrive first
        (say, our own PUBLISH echoed before its PUBACK) are kept for later ``recv``;
        acknowledgements and DISCONNECT are never skipped silently."""
        for i, pkt in enumerate(self.pending):
            if pkt.type == ptype:
                return self.pending.pop(i)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            pkt = self._recv_wire(max(deadline - time.monotonic(), 0.001))
            if pkt.type == ptype:
                return pkt
            if pkt.type in (PUBLISH, PUBREL) and ptype != DISCONNECT:
                self.pending.append(pkt)
                continue
            raise AssertionError(f"expected {PACKET_NAMES[ptype]}, got {pkt!r}")

    def expect_nothing(self, *, watch: float = 0.0) -> None:
        """Assert that no packet arrives, and the connection stays open, until a sentinel: two
        PINGREQ round trips. After a PINGRESP, everything the server had decided to send before it
        read that PINGREQ has been sent, since its writes to one connection are ordered. Two,
        the second sent once the first PINGRESP came: a server on event loops hands a message for
        this connection over from another loop as a queued task, and a loop serves ready sockets
        before the tasks queued meanwhile, so the first PINGREQ might overtake such a task; the
        second is read in a later turn, after it.

        ``watch``: only where a clock is what the test is about (keep-alive), seconds to watch
        first; the sentinel then ends the watch."""
        if watch > 0:
            try:
                pkt = self.recv(watch)
                raise AssertionError(f"expected nothing, got {pkt!r}")
            except TimeoutError:
                pass
        for _ in range(2):
            self.send(pingreq())
            pkt = self.recv()
            if pkt.type != PINGRESP:
                raise AssertionError(f"expected nothing, got {pkt!r}")

    def wait_closed(self, timeout: float | None = None) -> list[Packet]:
        """Wait for the server to close the connection; return what it sent first
        (typically nothing, or a DISCONNECT / refusing CONNACK)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        seen: list[Packet] = []
        while True:
            try:
                seen.append(self.recv(max(deadline - time.monotonic(), 0.001)))
            except Closed:
                return seen
            except TimeoutError:
                raise AssertionError(
                    f"server did not close the connection within {timeout or self.timeout}s; "
                    f"it sent {seen!r}") from None

    def is_open(self, timeout: float = 0.3) -> bool:
        """A PINGREQ round trip: True if answered, False if the connection is gone."""
        self.send(pingreq())
        try:
            while True:
                pkt = self.recv(timeout)
                if pkt.type == PINGRESP:
                    return True
        except (Closed, TimeoutError):
            return False

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            self.closed = True

    # -- conveniences ------------------------------------------------------

    def connect(self, client_id: str = "", **kwargs: Any) -> Packet:
        """Send CONNECT and return the CONNACK (whatever its code)."""
        kwargs.setdefault("version", self.version)
        self.send(connect(client_id, **kwargs))
        return self.expect(CONNACK)

    def connected(self, client_id: str = "", **kwargs: Any) -> Packet:
        connack = self.connect(client_id, **kwargs)
        assert connack.reason == 0, f"connection refused: {connack!r}"
        return connack

    def subscribe(self, filters: list[tuple[str, int]] | str, qos: int = 0, *, pid: int = 1,
                  props: Iterable[tuple[int, Any]] | None = None) -> Packet:
        if isinstance(filters, str):
            filters = [(filters, qos)]
        self.send(subscribe(pid, filters, version=self.version, props=props))
        return self.expect(SUBACK)

    def publish(self, topic: str, payload: bytes = b"", *, qos: int = 0, pid: int | None = None,
                **kwargs: Any) -> Packet | None:
        """Publish and complete the QoS handshake; return PUBACK / PUBCOMP (or None for QoS 0)."""
        kwargs.setdefault("version", self.version)
        if qos and pid is None:
            pid = 1
        self.send(publish(topic, payload, qos=qos, pid=pid, **kwargs))
        if qos == 1:
            return self.expect(PUBACK)
        if qos == 2:
            pubrec = self.expect(PUBREC)
            if pubrec.reason is not None and pubrec.reason >= 0x80:
                return pubrec
            self.send(ack(PUBREL, pid, version=self.version))
            return self.expect(PUBCOMP)
        return None

    def expect_publish(self, timeout: float | None = None, *, ack_it: bool = True) -> Packet:
        """The next PUBLISH, acknowledged (QoS 1: PUBACK; QoS 2: PUBREC, PUBREL, PUBCOMP)
        unless ``ack_it`` is False."""
        pkt = self.expect(PUBLISH, timeout)
        if ack_it:
            self.ack_publish(pkt)
        return pkt

    def ack_publish(self, pkt: Packet) -> None:
        if pkt.qos == 1:
            self.send(ack(PUBACK, pkt.pid, version=self.version))
        elif pkt.qos == 2:
            self.send(ack(PUBREC, pkt.pid, version=self.version))
            self.expect(PUBREL)
            self.send(ack(PUBCOMP, pkt.pid, version=self.version))

    def __enter__(self) -> "RawClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
