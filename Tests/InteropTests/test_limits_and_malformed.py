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
"""Limits (packet size both ways, connections, topic length and levels, subscriptions
per client, CONNECT timeout) and malformed input. Every bad client is dropped with
the protocol's answer, and a witness proves that other clients are unaffected."""

import random
import time

import pytest

import wire
from helpers import V31, V311, V5, Witness, unique

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


def assert_dropped(client, version):
    """The server closes the connection; before that it may only send a DISCONNECT
    with an error reason (MQTT 5) or a refusing CONNACK."""
    for pkt in client.wait_closed():
        if pkt.type == wire.CONNACK:
            assert pkt.reason != 0, f"server accepted the connection: {pkt!r}"
        else:
            assert version == V5 and pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, \
                f"unexpected {pkt!r} before the close"


# --- maximum packet size ------------------------------------------------------


def test_connack_announces_maximum_packet_size(broker_factory):
    # 3.2.2.3.6: a server that limits packet size sends Maximum Packet Size in CONNACK.
    b = broker_factory("--max-packet-size", "1000")
    assert b.raw(V5).connect(unique("mps")).prop(wire.MAXIMUM_PACKET_SIZE) == 1000


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_packet_larger_than_maximum_is_refused(broker_factory, version):
    # 3.2.2.3.6 / [MQTT-3.2.2-15] (5.0): a packet over the server's Maximum Packet Size
    # → DISCONNECT 0x95 (Packet too large) and close; 3.x clients are just closed.
    # Nothing of it is delivered, and other clients carry on.
    b = broker_factory("--max-packet-size", "1000")
    witness = Witness(b)
    sub = b.client(V5)
    sub.subscribe("big/#", 1)
    c = b.raw_connected(unique("big"), version)
    c.send(wire.publish("big/t", b"x" * 2000, qos=1, pid=1, version=version))
    seen = c.wait_closed()
    if version == V5:
        assert seen and seen[0].type == wire.DISCONNECT and seen[0].reason == wire.PACKET_TOO_LARGE, seen
    else:
        assert seen == [], f"3.x has no way to say why: {seen!r}"
    sub.expect_no_message()
    witness.check()


@pytest.mark.mosquitto_deviation("2.0.11 lets 1002-byte packets through a 1000-byte limit")
def test_packet_exactly_at_the_maximum_is_accepted(broker_factory):
    # 3.2.2.3.6: the limit is on the whole packet (fixed header included): 1000 bytes
    # pass, 1001 bytes do not.
    b = broker_factory("--max-packet-size", "1000")
    sub = b.client(V311)
    sub.subscribe("edge/t", 0)
    ok = wire.publish("edge/t", b"y" * 989, version=V311)
    assert len(ok) == 1000
    c = b.raw_connected(unique("edge"), V311)
    c.send(ok)
    assert len(sub.get_message().payload) == 989
    assert c.is_open()
    too_big = wire.publish("edge/t", b"y" * 990, version=V311)
    assert len(too_big) == 1001
    c.send(too_big)
    c.wait_closed(timeout=2.0)
    sub.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_huge_remaining_length_is_refused_before_the_body_arrives(broker_factory, version):
    # 3.2.2.3.6 and DESIGN §9: the size check happens on the fixed header; a claim of
    # 268,435,455 bytes is refused at once, without waiting for (or buffering) the body.
    b = broker_factory("--max-packet-size", "1000")
    witness = Witness(b)
    c = b.raw_connected(unique("claim"), version)
    c.send(bytes([0x30]) + wire.varint(268_435_455) + wire.string("huge/t"))
    started = time.monotonic()
    assert_dropped(c, version)
    assert time.monotonic() - started < 3.0
    witness.check()


def test_server_drops_messages_larger_than_the_client_maximum(broker):
    # [MQTT-3.1.2-24]: the server MUST NOT send packets exceeding the client's Maximum
    # Packet Size; [MQTT-3.1.2-25]: it discards them as if sent and carries on.
    small = broker.raw(V5)
    small.connected(unique("small"), props=[(wire.MAXIMUM_PACKET_SIZE, 200)])
    small.subscribe("sized/t", 1)
    roomy = broker.client(V5)
    roomy.subscribe("sized/t", 1)
    pub = broker.client(V5)
    pub.publish("sized/t", b"L" * 500, qos=1)
    pub.publish("sized/t", b"small", qos=1)
    pkt = small.expect_publish()
    assert pkt.payload == b"small" and pkt.raw_size <= 200
    small.expect_nothing()
    assert [len(m.payload) for m in roomy.get_messages(2)] == [500, 5]


def test_client_maximum_applies_to_retained_and_queued_messages(broker):
    # [MQTT-3.1.2-24], [MQTT-3.1.2-25]: also retained and queued deliveries respect the
    # client's Maximum Packet Size.
    pub = broker.client(V5)
    pub.publish("sizedret/big", b"B" * 1000, qos=1, retain=True)
    pub.publish("sizedret/small", b"s", qos=1, retain=True)
    c = broker.raw(V5)
    c.connected(unique("tiny"), props=[(wire.MAXIMUM_PACKET_SIZE, 128)])
    c.subscribe("sizedret/+", 1)
    assert c.expect_publish().topic == "sizedret/small"
    c.expect_nothing()


# --- other limits -------------------------------------------------------------


def test_connection_limit(broker_factory):
    # DESIGN §9 (--max-connections): past the limit a connection is refused (closed, or
    # a CONNACK error such as 0x97/0x89); once a slot frees up, clients connect again.
    b = broker_factory("--max-connections", "2")
    first = b.raw_connected(unique("one"), V5)
    second = b.raw_connected(unique("two"), V5)
    third = b.raw(V5)
    third.send(wire.connect(unique("three")))
    assert_dropped(third, V5)
    assert first.is_open() and second.is_open()
    first.send(wire.disconnect(0))
    first.wait_closed()
    deadline = time.monotonic() + 5
    while True:  # the broker notices the freed slot asynchronously
        again = b.raw(V5)
        again.send(wire.connect(unique("again")))
        try:
            if again.recv(1.0).reason == 0:
                break
        except (wire.Closed, TimeoutError):
            pass
        assert time.monotonic() < deadline, "a freed connection slot was never reused"


@pytest.mark.swiftlet_only
@pytest.mark.parametrize("version", V311_V5)
def test_topic_length_limit(broker_factory, version):
    # DESIGN §9 (--max-topic-length): a topic name or filter over the limit is refused
    # (PUBLISH: not delivered; 5.0 QoS 1 may answer PUBACK ≥ 0x80, or the connection is
    # closed. SUBSCRIBE: failure code). Exactly at the limit is fine.
    b = broker_factory("--max-topic-length", "32")
    witness = Witness(b)
    sub = b.client(V5)
    sub.subscribe("#", 1)
    at_limit = "L/" + "x" * 30
    over = "L/" + "x" * 31
    c = b.raw_connected(unique("len"), version)
    assert c.subscribe(at_limit, 1).codes == [1]
    assert c.subscribe(over, 1, pid=2).codes[0] >= 0x80
    c.publish(at_limit, b"ok", qos=1, pid=3)
    msg = sub.get_message()
    assert msg.topic == at_limit
    # c is subscribed to at_limit itself: take its own copy before looking for the answer.
    assert c.expect(wire.PUBLISH).topic == at_limit
    c.send(wire.publish(over, b"too long", qos=1, pid=4, version=version))
    try:
        answer = c.recv()
        assert answer.type in (wire.PUBACK, wire.DISCONNECT) and answer.reason >= 0x80, \
            f"over-long topic accepted: {answer!r}"
    except wire.Closed:
        pass
    sub.expect_no_message()
    witness.check()


@pytest.mark.swiftlet_only
@pytest.mark.parametrize("version", V311_V5)
def test_topic_levels_limit(broker_factory, version):
    # DESIGN §9 (--max-topic-levels): more levels than allowed is refused like an
    # over-long topic; exactly at the limit is fine.
    b = broker_factory("--max-topic-levels", "4")
    witness = Witness(b)
    c = b.raw_connected(unique("lvl"), version)
    suback = c.subscribe([("a/b/c/d", 1), ("a/b/c/d/e", 1), ("a/+/+/#", 1), ("a/+/+/+/#", 1)])
    assert suback.codes[0] == 1 and suback.codes[2] == 1
    assert suback.codes[1] >= 0x80 and suback.codes[3] >= 0x80
    c.publish("a/b/c/d", b"four", qos=1, pid=2)
    assert c.expect_publish().payload == b"four"
    c.send(wire.publish("a/b/c/d/e", b"five", qos=1, pid=3, version=version))
    try:
        answer = c.recv()
        assert answer.type in (wire.PUBACK, wire.DISCONNECT) and answer.reason >= 0x80, answer
    except wire.Closed:
        pass
    witness.check()


@pytest.mark.swiftlet_only
@pytest.mark.parametrize("version", V311_V5)
def test_subscriptions_per_client_limit(broker_factory, version):
    # DESIGN §9 (--max-subscriptions-per-client): subscriptions past the limit get a
    # failure code (3.1.1: 0x80; 5.0: ≥ 0x80, e.g. 0x97 Quota exceeded); replacing an
    # existing subscription does not count; unsubscribing frees a slot.
    b = broker_factory("--max-subscriptions-per-client", "3")
    c = b.raw_connected(unique("subs"), version)
    suback = c.subscribe([("s/1", 1), ("s/2", 1), ("s/3", 1), ("s/4", 1)])
    assert suback.codes[:3] == [1, 1, 1]
    assert suback.codes[3] == 0x80 if version == V311 else suback.codes[3] >= 0x80
    assert c.subscribe("s/1", 2, pid=2).codes == [2], "replacing a subscription must not count"
    c.send(wire.unsubscribe(3, ["s/2"], version=version))
    c.expect(wire.UNSUBACK)
    assert c.subscribe("s/5", 1, pid=4).codes == [1]
    assert c.is_open()


@pytest.mark.swiftlet_only
def test_connect_timeout_closes_silent_sockets(broker_factory):
    # DESIGN §9 (--connect-timeout): a socket that sends no CONNECT, or only part of
    # one, is closed after the timeout; connected clients are not affected by it.
    b = broker_factory("--connect-timeout", "1")
    witness = Witness(b)
    established = b.raw_connected(unique("ok"), V311, keepalive=0)
    silent = b.raw(V311)
    partial = b.raw(V311)
    partial.send(wire.connect(unique("part"), version=V311)[:5])
    started = time.monotonic()
    silent.wait_closed(timeout=4.0)
    partial.wait_closed(timeout=4.0)
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed <= 4.0
    assert established.is_open()
    witness.check()


# --- malformed packets --------------------------------------------------------

# id → (needs a CONNECT first?, versions, builder(version) → bytes). Each entry cites
# the statement that makes the bytes invalid; the expected answer is always the same:
# close the connection (4.8.0 in 3.1.1, [MQTT-4.13.1-1] in 5.0), optionally after a
# refusing CONNACK / a DISCONNECT with an error code, and nothing else breaks.
MALFORMED = {
    # 2.2.3 (3.1.1) / 1.5.5 (5.0): the Remaining Length is at most four bytes.
    "five-byte-remaining-length-first": (False, ALL_VERSIONS,
                                         lambda v: bytes([0x10]) + wire.varint(20, min_bytes=5) + b"\0" * 20),
    "five-byte-remaining-length": (True, ALL_VERSIONS,
                                   lambda v: bytes([0x30]) + wire.varint(8, min_bytes=5) + wire.string("a/b") + b"xyz"),
    # [MQTT-1.4.0-1] (3.1.1) / [MQTT-1.5.4-1] (5.0): ill-formed UTF-8.
    "topic-invalid-utf8": (True, ALL_VERSIONS, lambda v: wire.publish(b"bad/\xff\xfe", b"x", version=v)),
    "topic-utf16-surrogate": (True, ALL_VERSIONS, lambda v: wire.publish(b"bad/\xed\xa0\x80", b"x", version=v)),
    # [MQTT-1.4.0-2] (3.1.1) / [MQTT-1.5.4-2] (5.0): U+0000 is not allowed.
    "topic-null-character": (True, ALL_VERSIONS, lambda v: wire.publish(b"bad/\x00/x", b"x", version=v)),
    "client-id-invalid-utf8": (False, [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")],
                               lambda v: wire.connect(b"id\xc3\x28", version=v)),
    # [MQTT-3.3.1-4]: QoS 3.
    "publish-qos-3": (True, ALL_VERSIONS, lambda v: wire.publish("q/three", b"x", qos=3, pid=1, version=v)),
    # [MQTT-2.3.1-1] (3.1.1) / [MQTT-2.2.1-3] (5.0): QoS > 0 needs a non-zero Packet Identifier.
    "publish-packet-id-zero": (True, ALL_VERSIONS, lambda v: wire.publish("pid/zero", b"x", qos=1, pid=0, version=v)),
    # [MQTT-3.3.2-2]: no wildcards in a Topic Name.
    "publish-wildcard-plus": (True, ALL_VERSIONS, lambda v: wire.publish("wild/+/card", b"x", version=v)),
    "publish-wildcard-hash": (True, ALL_VERSIONS, lambda v: wire.publish("wild/#", b"x", version=v)),
    # [MQTT-4.7.3-1] (and 3.3.2.3.4 for 5.0: empty only with a Topic Alias).
    "publish-empty-topic": (True, ALL_VERSIONS, lambda v: wire.publish("", b"x", version=v)),
    # [MQTT-3.6.1-1], [MQTT-3.8.1-1], [MQTT-3.10.1-1]; [MQTT-2.2.2-2] (3.1.1) / [MQTT-2.1.3-1]: reserved flags.
    "pubrel-bad-flags": (True, V311_V5, lambda v: wire.packet(wire.PUBREL, 0x00, wire.u16(1))),
    "subscribe-bad-flags": (True, V311_V5, lambda v: wire.subscribe(1, [("a/b", 0)], version=v, flags=0x00)),
    "unsubscribe-bad-flags": (True, V311_V5,
                              lambda v: wire.packet(wire.UNSUBSCRIBE, 0x00, wire.u16(1) + (b"\0" if v == V5 else b"")
                                                    + wire.string("a/b"))),
    "pingreq-bad-flags": (True, [pytest.param(v, id=i, marks=pytest.mark.mosquitto_deviation(
        "2.0.11 answers a PINGREQ with reserved flags set")) for v, i in ((V311, "v311"), (V5, "v5"))],
        lambda v: wire.packet(wire.PINGREQ, 0x05, b"")),
    # 2.2.1: packet type 0 is reserved (and 15 before 5.0).
    "reserved-packet-type-0": (True, ALL_VERSIONS, lambda v: bytes([0x00, 0x00])),
    "reserved-packet-type-15": (True, [pytest.param(V311, id="v311")], lambda v: bytes([0xF0, 0x00])),
    # 1.5.3 / 1.5.4: a string longer than the packet that holds it.
    "string-overruns-packet": (True, ALL_VERSIONS, lambda v: bytes([0x30, 0x05]) + wire.u16(200) + b"abc"),
    # [MQTT-3-8.3-4] (3.1.1) / [MQTT-3.8.3-5] (5.0): requested QoS 3, reserved option bits.
    "subscribe-qos-3": (True, V311_V5, lambda v: wire.subscribe(1, [("a/b", 3)], version=v)),
    "subscribe-reserved-option-bits": (True, V311_V5, lambda v: wire.subscribe(1, [("a/b", 0xC1)], version=v)),
    # [MQTT-2.3.1-1] (3.1.1): SUBSCRIBE needs a non-zero Packet Identifier.
    "subscribe-packet-id-zero": (True, V311_V5, lambda v: wire.subscribe(0, [("a/b", 0)], version=v)),
    # [MQTT-3.1.2-14] (3.1.1) / [MQTT-3.1.2-12] (5.0): Will QoS 3.
    "connect-will-qos-3": (False, V311_V5,
                           lambda v: wire.connect(unique("w3"), version=v, will_topic="w/t", will_qos=3)),
    # [MQTT-3.1.2-13] + [MQTT-3.1.2-15] (3.1.1) / [MQTT-3.1.2-11] + [MQTT-3.1.2-13] (5.0):
    # Will QoS / Will Retain without the Will Flag.
    "connect-will-qos-without-will": (False, V311_V5,
                                      lambda v: wire.connect(unique("wq"), version=v, flags_override=0x02 | 0x08)),
    "connect-will-retain-without-will": (False, V311_V5,
                                         lambda v: wire.connect(unique("wr"), version=v, flags_override=0x02 | 0x20)),
    # [MQTT-3.1.2-22] (3.1.1): a password without a user name.
    "connect-password-without-username": (False, [pytest.param(V311, id="v311")],
                                          lambda v: wire.connect(unique("pw"), version=v, password=b"secret")),
    # [MQTT-3.1.2-19] (3.1.1) / [MQTT-3.1.2-17] (5.0): User Name Flag set but no user name.
    "connect-missing-username": (False, V311_V5,
                                 lambda v: wire.connect(unique("nu"), version=v, flags_override=0x02 | 0x80)),
    # 2.2.2.2 (5.0): a property that is not allowed in the packet / appears twice.
    "v5-property-not-allowed": (True, [pytest.param(V5, id="v5")],
                                lambda v: wire.publish("p/t", b"x", props=[(wire.SESSION_EXPIRY_INTERVAL, 5)])),
    "v5-duplicate-property": (True, [pytest.param(V5, id="v5")],
                              lambda v: wire.publish("p/t", b"x", props=[(wire.CONTENT_TYPE, "a"),
                                                                          (wire.CONTENT_TYPE, "b")])),
    "v5-properties-overrun": (True, [pytest.param(V5, id="v5")],
                              lambda v: wire.packet(wire.PUBLISH, 0, wire.string("p/t") + wire.varint(50) + b"\x01\x01")),
    # 3.1.2.11.3 / 3.1.2.11.4 (5.0): Receive Maximum 0 / Maximum Packet Size 0 are Protocol Errors.
    "v5-receive-maximum-zero": (False, [pytest.param(V5, id="v5")],
                                lambda v: wire.connect(unique("rm0"), props=[(wire.RECEIVE_MAXIMUM, 0)])),
    "v5-maximum-packet-size-zero": (False, [pytest.param(V5, id="v5")],
                                    lambda v: wire.connect(unique("mp0"), props=[(wire.MAXIMUM_PACKET_SIZE, 0)])),
}

CASES = [pytest.param(name, v.values[0], id=f"{name}-{v.id}", marks=v.marks)
         for name, (_, versions, _) in MALFORMED.items() for v in versions]


@pytest.mark.parametrize("case, version", CASES)
def test_malformed_input_drops_only_the_offender(broker, witness, case, version):
    # See the MALFORMED table for the statement each case violates.
    needs_connect, _, build = MALFORMED[case]
    watcher = broker.client(V5)
    watcher.subscribe("#", 0)
    c = broker.raw(version)
    if needs_connect:
        c.connected(unique("bad"))
    c.send(build(version))
    assert_dropped(c, version)
    for m in watcher.drain():
        assert not m.topic.startswith(("bad/", "wild/", "q/", "pid/", "p/")), f"delivered {m.topic!r}"
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_random_garbage_is_survived(broker, witness, version):
    # [MQTT-4.8.0-1] (3.1.1) / [MQTT-4.13.1-1] (5.0) and DESIGN §9: arbitrary bytes
    # after a CONNECT never crash the broker; the connection is closed.
    rng = random.Random(1234)
    for _ in range(4):
        c = broker.raw(version)
        c.connected(unique("noise"))
        c.send(bytes(rng.randrange(256) for _ in range(4096)))
        try:
            c.wait_closed(timeout=1.0)
        except AssertionError:
            # Some garbage parses as the start of a long packet and the broker waits
            # for the rest: legitimate, as long as it stays healthy.
            pass
        c.close()
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_byte_by_byte_delivery_is_reassembled(broker, version):
    # 4.2 ([MQTT-4.2-1] in 5.0): MQTT runs over an ordered byte stream; packet
    # boundaries need not match TCP segments.
    sub = broker.client(version)
    sub.subscribe("drip/t", 1)
    c = broker.raw(version)
    data = wire.connect(unique("drip"), version=version) + \
        wire.publish("drip/t", b"slowly", qos=1, pid=1, version=version)
    for i in range(len(data)):
        c.send(data[i:i + 1])
    assert c.expect(wire.CONNACK).reason == 0
    assert c.expect(wire.PUBACK).pid == 1
    assert sub.get_message().payload == b"slowly"


@pytest.mark.parametrize("version", V311_V5)
def test_many_packets_in_one_segment(broker, version):
    # 4.2: several packets in one write are all processed, in order.
    sub = broker.client(version)
    sub.subscribe("burst/t", 1)
    c = broker.raw(version)
    data = wire.connect(unique("burst"), version=version)
    data += b"".join(wire.publish("burst/t", f"{i}".encode(), qos=1, pid=i + 1, version=version)
                     for i in range(50))
    data += wire.pingreq()
    c.send(data)
    assert c.expect(wire.CONNACK).reason == 0
    assert [c.expect(wire.PUBACK).pid for _ in range(50)] == list(range(1, 51))
    c.expect(wire.PINGRESP)
    assert [int(m.payload) for m in sub.get_messages(50)] == list(range(50))


@pytest.mark.swiftlet_only
def test_bad_input_is_logged(broker):
    # DESIGN §9: "Bad input gets the protocol's error … and a log line".
    client_id = unique("logme")
    c = broker.raw_connected(client_id, V5)
    mark = broker.mark()
    c.send(wire.publish("bad/t", b"x", qos=3, pid=1))
    c.wait_closed()
    words = "malformed|protocol|invalid|error|violation"
    broker.wait_for_log(rf"(?i){client_id}.*({words})|({words}).*{client_id}", since=mark)
