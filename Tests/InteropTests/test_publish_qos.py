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
"""PUBLISH at QoS 0, 1 and 2 in both directions: delivery, downgrade, acknowledgement
flows, duplicates, ordering, payload integrity."""

import os

import pytest

import wire
from helpers import V31, V311, V5

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
QOS = [pytest.param(0, id="q0"), pytest.param(1, id="q1"), pytest.param(2, id="q2")]


@pytest.mark.parametrize("sub_qos", QOS)
@pytest.mark.parametrize("pub_qos", QOS)
@pytest.mark.parametrize("version", V311_V5)
def test_delivered_qos_is_min_of_publish_and_granted(broker, version, pub_qos, sub_qos):
    # [MQTT-3.8.4-6] (3.1.1) / [MQTT-3.8.4-8] (5.0): the delivered QoS is the minimum of
    # the published QoS and the granted QoS; [MQTT-3.8.4-5] (3.1.1) / [MQTT-3.8.4-7] (5.0):
    # the SUBACK shows the granted QoS.
    sub = broker.client(version)
    assert sub.subscribe("qos/matrix", sub_qos) == [sub_qos]
    pub = broker.client(version)
    pub.publish("qos/matrix", b"m", qos=pub_qos)
    msg = sub.get_message()
    assert (msg.payload, msg.qos) == (b"m", min(pub_qos, sub_qos))
    sub.expect_no_message()


@pytest.mark.parametrize("qos", QOS)
def test_v31_publish_and_receive(broker, qos):
    # MQTT 3.1 (MQIsdp): QoS 0/1/2 flows complete and the message arrives once.
    sub = broker.client(V31)
    assert sub.subscribe("v31/topic", qos) == [qos]
    pub = broker.client(V31)
    pub.publish("v31/topic", b"old school", qos=qos)
    msg = sub.get_message()
    assert (msg.payload, msg.qos) == (b"old school", qos)
    sub.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_qos1_puback_carries_the_packet_identifier(broker, version):
    # [MQTT-4.3.2-4] (5.0) / [MQTT-2.3.1-6] (3.1.1): PUBACK has the PUBLISH's Packet
    # Identifier.
    c = broker.raw_connected(None, version)
    c.send(wire.publish("ack/one", b"x", qos=1, pid=4242, version=version))
    puback = c.expect(wire.PUBACK)
    assert puback.pid == 4242
    assert puback.reason < 0x80


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_qos2_flow_carries_the_packet_identifier(broker, version):
    # [MQTT-4.3.3-8] and [MQTT-4.3.3-11] (5.0) / [MQTT-4.3.3-2] (3.1.1): PUBREC for the
    # PUBLISH, PUBCOMP for the PUBREL, both with the same Packet Identifier.
    c = broker.raw_connected(None, version)
    c.send(wire.publish("ack/two", b"x", qos=2, pid=777, version=version))
    assert c.expect(wire.PUBREC).pid == 777
    c.send(wire.ack(wire.PUBREL, 777, version=version))
    assert c.expect(wire.PUBCOMP).pid == 777


@pytest.mark.parametrize("version", V311_V5)
def test_qos2_resent_publish_is_not_delivered_twice(broker, version):
    # [MQTT-4.3.3-10] (5.0) / [MQTT-4.3.3-2] (3.1.1): until PUBREL, a PUBLISH with the
    # same Packet Identifier is acknowledged with PUBREC again but MUST NOT cause a
    # duplicate delivery.
    sub = broker.client(version)
    sub.subscribe("exactly/once", 2)
    c = broker.raw_connected(None, version)
    c.send(wire.publish("exactly/once", b"once", qos=2, pid=9, version=version))
    assert c.expect(wire.PUBREC).pid == 9
    c.send(wire.publish("exactly/once", b"once", qos=2, pid=9, dup=True, version=version))
    assert c.expect(wire.PUBREC).pid == 9
    c.send(wire.ack(wire.PUBREL, 9, version=version))
    assert c.expect(wire.PUBCOMP).pid == 9
    assert sub.get_message().payload == b"once"
    sub.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_qos2_packet_identifier_is_reusable_after_pubcomp(broker, version):
    # [MQTT-4.3.3-12] (5.0) / [MQTT-4.3.3-2] (3.1.1): after PUBCOMP, a PUBLISH with the
    # same Packet Identifier is a new message.
    sub = broker.client(version)
    sub.subscribe("reuse/two", 2)
    c = broker.raw_connected(None, version)
    for payload in (b"first", b"second"):
        c.publish("reuse/two", payload, qos=2, pid=5)
    assert [m.payload for m in sub.get_messages(2)] == [b"first", b"second"]


@pytest.mark.parametrize("version", V311_V5)
def test_qos1_packet_identifier_is_reusable_after_puback(broker, version):
    # [MQTT-4.3.2-5] (5.0) / [MQTT-4.3.2-2] (3.1.1): after PUBACK, the same Packet
    # Identifier is a new message, whatever its DUP flag.
    sub = broker.client(version)
    sub.subscribe("reuse/one", 1)
    c = broker.raw_connected(None, version)
    c.publish("reuse/one", b"first", qos=1, pid=3)
    c.publish("reuse/one", b"second", qos=1, pid=3, dup=True)
    assert [m.payload for m in sub.get_messages(2)] == [b"first", b"second"]


@pytest.mark.parametrize("version", V311_V5)
def test_dup_flag_is_not_propagated(broker, version):
    # [MQTT-3.3.1-3]: the outgoing DUP flag is set only for retransmissions, never
    # copied from the incoming PUBLISH.
    sub = broker.raw_connected(None, version)
    sub.subscribe("dup/flag", 1)
    pub = broker.raw_connected(None, version)
    pub.publish("dup/flag", b"d", qos=1, pid=11, dup=True)
    msg = sub.expect_publish()
    assert msg.payload == b"d" and msg.dup is False


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_server_publish_flags_and_packet_identifiers(broker, version):
    # [MQTT-3.3.1-2]: DUP is 0 for QoS 0; [MQTT-2.2.1-2] (5.0) / [MQTT-2.3.1-5] (3.1.1):
    # no Packet Identifier at QoS 0; [MQTT-2.2.1-4] (5.0) / [MQTT-2.3.1-1]: non-zero
    # Packet Identifiers at QoS > 0.
    sub = broker.raw_connected(None, version)
    sub.subscribe([("flags/q0", 0), ("flags/q1", 1), ("flags/q2", 2)], pid=2)
    pub = broker.client(version)
    for qos in (0, 1, 2):
        pub.publish(f"flags/q{qos}", b"payload", qos=qos)
        msg = sub.expect_publish()
        assert (msg.topic, msg.qos, msg.dup, msg.payload) == (f"flags/q{qos}", qos, False, b"payload")
        if qos == 0:
            assert msg.pid is None
            # topic length (2) + topic + payload, and for v5 an empty property block
            assert len(msg.body) == 2 + len("flags/q0") + (1 if version == V5 else 0) + len(b"payload")
        else:
            assert msg.pid not in (None, 0)


@pytest.mark.parametrize("qos", QOS)
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_messages_on_one_topic_arrive_in_order(broker, version, qos):
    # [MQTT-4.6.0-5] (3.1.1; [MQTT-4.6.0-6] in 5.0): each topic is an Ordered Topic by
    # default; messages from one publisher arrive in the order sent.
    count = 60
    sub = broker.client(version)
    sub.subscribe("order/topic", qos)
    pub = broker.client(version)
    for i in range(count):
        pub.publish("order/topic", str(i).encode(), qos=qos, wait=(i == count - 1))
    received = [int(m.payload) for m in sub.get_messages(count)]
    assert received == list(range(count))


@pytest.mark.parametrize("version", V311_V5)
def test_no_subscribers_still_acknowledges(broker, version):
    # [MQTT-3.3.4-1]: the receiver of a PUBLISH responds according to its QoS, whether
    # or not anyone subscribed (v5 may say 0x10 No matching subscribers).
    c = broker.raw_connected(None, version)
    assert c.publish("nobody/home", b"?", qos=1, pid=1).reason in (0x00, wire.NO_MATCHING_SUBSCRIBERS)
    assert c.publish("nobody/home", b"?", qos=2, pid=2).reason == 0x00


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_payload_bytes_are_delivered_unchanged(broker, version):
    # 3.3.3: the payload is opaque application data; every byte value, the empty
    # payload and a payload larger than any TCP segment come through intact.
    sub = broker.client(version)
    sub.subscribe("bytes/#", 1)
    pub = broker.client(version)
    payloads = [bytes(range(256)) * 4, b"", os.urandom(300_000)]
    for i, payload in enumerate(payloads):
        pub.publish(f"bytes/{i}", payload, qos=1)
    got = {m.topic: m.payload for m in sub.get_messages(len(payloads), timeout=10)}
    assert got == {f"bytes/{i}": p for i, p in enumerate(payloads)}


@pytest.mark.parametrize("version", V311_V5)
def test_utf8_topic_names_are_matched_exactly(broker, version):
    # [MQTT-4.7.3-4]: no normalization of topic names: "é" precomposed and decomposed
    # are different topics; a topic may contain spaces; topics are case sensitive.
    sub = broker.client(version)
    sub.subscribe("caf\u00e9/menu", 1)
    sub.subscribe("Accounts payable/Q1", 1)
    pub = broker.client(version)
    pub.publish("cafe\u0301/menu", b"decomposed", qos=1)
    pub.publish("ACCOUNTS PAYABLE/Q1", b"shouting", qos=1)
    pub.publish("caf\u00e9/menu", b"precomposed", qos=1)
    pub.publish("Accounts payable/Q1", b"spaces", qos=1)
    got = sorted(m.payload for m in sub.get_messages(2))
    assert got == [b"precomposed", b"spaces"]
    sub.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_subscriber_receives_its_own_publications_by_default(broker, version):
    # [MQTT-4.5.0-1]: the server adds the message to the session of every matching
    # subscriber, the publisher included (No Local is off by default).
    c = broker.client(version)
    c.subscribe("echo/me", 1)
    c.publish("echo/me", b"boomerang", qos=1)
    assert c.get_message().payload == b"boomerang"


@pytest.mark.parametrize("version", V311_V5)
def test_fan_out_to_many_subscribers(broker, version):
    # [MQTT-4.5.0-1]: every matching subscriber gets its own copy.
    subs = [broker.client(version) for _ in range(8)]
    for s in subs:
        s.subscribe("fan/out", 1)
    pub = broker.client(version)
    for i in range(5):
        pub.publish("fan/out", f"m{i}".encode(), qos=1)
    for s in subs:
        assert [m.payload for m in s.get_messages(5)] == [f"m{i}".encode() for i in range(5)]
        s.expect_no_message()
