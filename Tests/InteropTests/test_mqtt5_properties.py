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
"""MQTT 5 PUBLISH and SUBSCRIBE properties: payload format, content type,
request/response, user properties, message expiry, topic aliases in both directions,
subscription identifiers, Request Problem Information."""

import time

import pytest
from paho.mqtt.packettypes import PacketTypes

import wire
from helpers import V311, V5, props, unique


@pytest.mark.parametrize("indicator", [0, 1])
def test_payload_format_and_content_type_are_forwarded(broker, indicator):
    # [MQTT-3.3.2-4]: Payload Format Indicator unaltered to all subscribers;
    # [MQTT-3.3.2-20]: Content Type unaltered.
    subs = [broker.client(V5) for _ in range(2)]
    for s in subs:
        s.subscribe("fmt/t", 1)
    payload = "héllo ✓".encode() if indicator else b"\xff\x00\xfe"
    broker.client(V5).publish("fmt/t", payload, qos=1, properties=props(
        PayloadFormatIndicator=indicator, ContentType="text/plain; charset=utf-8"))
    for s in subs:
        msg = s.get_message()
        assert msg.payload == payload
        assert msg.prop("PayloadFormatIndicator") == indicator
        assert msg.prop("ContentType") == "text/plain; charset=utf-8"


def test_request_response_round_trip(broker):
    # [MQTT-3.3.2-15] Response Topic and [MQTT-3.3.2-16] Correlation Data are sent
    # unaltered; 4.10: a responder answers on the Response Topic with the data.
    requester, responder = broker.client(V5), broker.client(V5)
    requester.subscribe("rr/replies/" + requester.client_id, 1)
    responder.subscribe("rr/requests", 1)
    correlation = b"\x00\x01\x02req-42\xff"
    requester.publish("rr/requests", b"what time is it?", qos=1, properties=props(
        ResponseTopic="rr/replies/" + requester.client_id, CorrelationData=correlation))
    request = responder.get_message()
    assert request.prop("ResponseTopic") == "rr/replies/" + requester.client_id
    assert request.prop("CorrelationData") == correlation
    responder.publish(request.prop("ResponseTopic"), b"noon", qos=1,
                      properties=props(CorrelationData=request.prop("CorrelationData")))
    reply = requester.get_message()
    assert (reply.payload, reply.prop("CorrelationData")) == (b"noon", correlation)


def test_user_properties_are_forwarded_in_order_with_duplicates(broker):
    # [MQTT-3.3.2-17]: all User Properties unaltered; [MQTT-3.3.2-18]: order kept,
    # repeated names allowed.
    user = [("z", "first"), ("a", "second"), ("z", "third"), ("ключ", "значение ✓"), ("empty", "")]
    v5_sub, v311_sub = broker.client(V5), broker.client(V311)
    v5_sub.subscribe("up/t", 1)
    v311_sub.subscribe("up/t", 1)
    broker.client(V5).publish("up/t", b"body", qos=1, properties=props(UserProperty=user))
    assert v5_sub.get_message().prop("UserProperty") == user
    # A 3.1.1 subscriber gets the same Application Message without properties.
    assert v311_sub.get_message().payload == b"body"


def test_properties_do_not_leak_between_messages(broker):
    # [MQTT-3.3.2-4] .. [MQTT-3.3.2-20]: each message carries its own properties only.
    sub = broker.client(V5)
    sub.subscribe("leak/t", 1)
    pub = broker.client(V5)
    pub.publish("leak/t", b"with", qos=1, properties=props(ContentType="a/b", UserProperty=[("k", "v")],
                                                            MessageExpiryInterval=100))
    pub.publish("leak/t", b"without", qos=1)
    first, second = sub.get_messages(2)
    assert first.prop("ContentType") == "a/b"
    for name in ("ContentType", "UserProperty", "MessageExpiryInterval", "ResponseTopic",
                 "CorrelationData", "PayloadFormatIndicator"):
        assert second.prop(name) is None, f"{name} leaked into the next message"


def test_expired_message_is_not_delivered_to_offline_subscriber(broker):
    # [MQTT-3.3.2-5]: a queued message whose Message Expiry Interval passed before
    # delivery started MUST be deleted for that subscriber.
    client_id = unique("exp")
    sub = broker.client(V5, client_id, clean=False, session_expiry=300)
    sub.subscribe("exp/t", 1)
    sub.disconnect()
    pub = broker.client(V5)
    pub.publish("exp/t", b"short-lived", qos=1, properties=props(MessageExpiryInterval=1))
    pub.publish("exp/t", b"long-lived", qos=1, properties=props(MessageExpiryInterval=120))
    time.sleep(2.1)  # the expiry clock is what is under test
    back = broker.client(V5, client_id, clean=False, session_expiry=300)
    msg = back.get_message()
    assert msg.payload == b"long-lived"
    # [MQTT-3.3.2-6]: the forwarded interval is the received one minus the time waited.
    assert 100 <= msg.prop("MessageExpiryInterval") <= 118
    back.expect_no_message()


def test_remaining_expiry_is_forwarded(broker):
    # [MQTT-3.3.2-6]: the PUBLISH sent to a client has the received Message Expiry
    # Interval minus the time the message waited in the server.
    client_id = unique("rem")
    sub = broker.client(V5, client_id, clean=False, session_expiry=300)
    sub.subscribe("rem/t", 1)
    sub.disconnect()
    broker.client(V5).publish("rem/t", b"x", qos=1, properties=props(MessageExpiryInterval=10))
    time.sleep(1.2)
    back = broker.client(V5, client_id, clean=False, session_expiry=300)
    assert 7 <= back.get_message().prop("MessageExpiryInterval") <= 9


def test_expiry_is_forwarded_on_live_delivery(broker):
    # [MQTT-3.3.2-6]: also for immediate delivery the interval is present (≤ received);
    # 3.3.2.3.3: without one the message does not expire and none is sent.
    sub = broker.client(V5)
    sub.subscribe("live/exp", 1)
    pub = broker.client(V5)
    pub.publish("live/exp", b"with", qos=1, properties=props(MessageExpiryInterval=30))
    pub.publish("live/exp", b"without", qos=1)
    with_expiry, without = sub.get_messages(2)
    assert 29 <= with_expiry.prop("MessageExpiryInterval") <= 30
    assert without.prop("MessageExpiryInterval") is None


# --- topic aliases: client → server -------------------------------------------


def aliasing_publisher(b, **connect_kwargs):
    c = b.raw(V5)
    connack = c.connected(unique("alias"), **connect_kwargs)
    return c, connack.prop(wire.TOPIC_ALIAS_MAXIMUM, 0)


def test_client_topic_alias_is_resolved(broker_factory):
    # [MQTT-3.3.2-12]: the server accepts every alias 1..its Topic Alias Maximum and
    # 3.3.2.3.4: an empty Topic Name with a known alias means the aliased topic; a
    # new topic with the same alias remaps it.
    b = broker_factory("--topic-alias-maximum", "10")
    sub = b.client(V5)
    sub.subscribe("alias/#", 1)
    pub, maximum = aliasing_publisher(b)
    assert maximum == 10
    pub.publish("alias/one", b"1", qos=1, pid=1, props=[(wire.TOPIC_ALIAS, 10)])
    pub.publish("", b"2", qos=1, pid=2, props=[(wire.TOPIC_ALIAS, 10)])
    pub.publish("alias/two", b"3", qos=1, pid=3, props=[(wire.TOPIC_ALIAS, 10)])
    pub.publish("", b"4", qos=0, props=[(wire.TOPIC_ALIAS, 10)])
    got = [(m.topic, m.payload) for m in sub.get_messages(4)]
    assert got == [("alias/one", b"1"), ("alias/one", b"2"), ("alias/two", b"3"), ("alias/two", b"4")]


@pytest.mark.parametrize("alias", [0, 11], ids=["zero", "above-maximum"])
def test_invalid_client_topic_alias_disconnects(broker_factory, alias):
    # [MQTT-3.3.2-8] (alias 0) and [MQTT-3.3.2-9]/[MQTT-3.2.2-17] (above the maximum):
    # 3.3.2.3.4 makes these a Protocol Error → DISCONNECT 0x94 (Topic Alias invalid).
    b = broker_factory("--topic-alias-maximum", "10")
    pub, _ = aliasing_publisher(b)
    pub.send(wire.publish("alias/bad", b"x", props=[(wire.TOPIC_ALIAS, alias)]))
    seen = pub.wait_closed()
    assert seen and seen[0].type == wire.DISCONNECT, f"expected DISCONNECT, got {seen!r}"
    if alias == 0:
        # 0x94 is defined for "greater than the maximum"; for 0 the spec only says
        # Protocol Error, so 0x82 (and Mosquitto's 0x81) are accepted too.
        assert seen[0].reason in (wire.TOPIC_ALIAS_INVALID, wire.PROTOCOL_ERROR, wire.MALFORMED_PACKET)
    else:
        assert seen[0].reason == wire.TOPIC_ALIAS_INVALID
    assert b.alive()


def test_unknown_client_topic_alias_is_a_protocol_error(broker_factory):
    # 3.3.2.3.4: an empty Topic Name with an alias that has no mapping is a Protocol
    # Error (DISCONNECT 0x82, or 0x94) and nothing is delivered.
    b = broker_factory("--topic-alias-maximum", "10")
    sub = b.client(V5)
    sub.subscribe("#", 1)
    pub, _ = aliasing_publisher(b)
    pub.send(wire.publish("", b"x", qos=1, pid=1, props=[(wire.TOPIC_ALIAS, 3)]))
    seen = pub.wait_closed()
    for pkt in seen:
        assert pkt.type == wire.DISCONNECT and pkt.reason in (wire.PROTOCOL_ERROR, wire.TOPIC_ALIAS_INVALID)
    sub.expect_no_message()


def test_topic_aliases_do_not_survive_the_connection(broker_factory):
    # [MQTT-3.3.2-7]: a receiver MUST NOT carry Topic Alias mappings from one network
    # connection to another, even for the same session.
    b = broker_factory("--topic-alias-maximum", "10")
    sub = b.client(V5)
    sub.subscribe("carry/#", 1)
    client_id = unique("carry")
    first = b.raw(V5)
    first.connected(client_id, clean=False, props=[(wire.SESSION_EXPIRY_INTERVAL, 60)])
    first.publish("carry/t", b"1", qos=1, pid=1, props=[(wire.TOPIC_ALIAS, 1)])
    assert sub.get_message().payload == b"1"
    first.send(wire.disconnect(0))
    first.wait_closed()
    second = b.raw(V5)
    second.connected(client_id, clean=False, props=[(wire.SESSION_EXPIRY_INTERVAL, 60)])
    second.send(wire.publish("", b"2", qos=1, pid=2, props=[(wire.TOPIC_ALIAS, 1)]))
    for pkt in second.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    sub.expect_no_message()


def test_topic_alias_maximum_zero_forbids_client_aliases(broker_factory):
    # 3.2.2.3.8: Topic Alias Maximum absent or 0 means the server accepts no aliases
    # ([MQTT-3.2.2-18]); one sent anyway is a Protocol Error (DISCONNECT 0x94).
    b = broker_factory("--topic-alias-maximum", "0")
    pub, maximum = aliasing_publisher(b)
    assert maximum == 0
    pub.send(wire.publish("alias/none", b"x", props=[(wire.TOPIC_ALIAS, 1)]))
    seen = pub.wait_closed()
    assert seen and seen[0].type == wire.DISCONNECT and seen[0].reason == wire.TOPIC_ALIAS_INVALID, seen


# --- topic aliases: server → client -------------------------------------------


def test_server_never_exceeds_the_client_topic_alias_maximum(broker):
    # [MQTT-3.1.2-26] / [MQTT-3.3.2-11]: aliases sent to the client are ≤ its Topic
    # Alias Maximum; every message resolves to its real topic (if aliases are used).
    sub = broker.raw(V5)
    sub.connected(unique("tam2"), props=[(wire.TOPIC_ALIAS_MAXIMUM, 2)])
    sub.subscribe("many/+", 0)
    pub = broker.client(V5)
    topics = [f"many/{i % 5}" for i in range(15)]
    for t in topics:
        pub.publish(t, t.encode(), qos=0, wait=False)
    pub.publish("many/end", b"many/end", qos=1)
    got = []
    for _ in range(16):
        pkt = sub.expect_publish()
        alias = pkt.prop(wire.TOPIC_ALIAS)
        assert alias is None or 1 <= alias <= 2, f"alias {alias} outside 1..2"
        got.append(pkt.topic)
        assert pkt.topic.encode() == pkt.payload, f"alias resolved to the wrong topic: {pkt!r}"
    assert sorted(got) == sorted(topics + ["many/end"])


def test_server_sends_no_aliases_without_client_maximum(broker):
    # [MQTT-3.1.2-27]: no Topic Alias Maximum from the client → no aliases at all.
    sub = broker.raw(V5)
    sub.connected(unique("tam0"))
    sub.subscribe("plain/t", 0)
    pub = broker.client(V5)
    for _ in range(5):
        pub.publish("plain/t", b"x", qos=0)
    for _ in range(5):
        pkt = sub.expect_publish()
        assert pkt.topic == "plain/t" and not pkt.has(wire.TOPIC_ALIAS)


@pytest.mark.swiftlet_only  # the spec allows, Swiftlet's contract requires
def test_server_assigns_topic_aliases_to_clients_that_accept_them(broker):
    # Contract (DESIGN §2, "topic aliases both ways") within [MQTT-3.3.2-11]: the first
    # PUBLISH on a topic sets an alias (with the full name), later ones use it with an
    # empty Topic Name.
    sub = broker.raw(V5)
    sub.connected(unique("tam5"), props=[(wire.TOPIC_ALIAS_MAXIMUM, 5)])
    sub.subscribe("aliased/+", 1)
    pub = broker.client(V5)
    for i in range(3):
        pub.publish("aliased/topic", f"{i}".encode(), qos=1)
    first = sub.expect_publish()
    alias = first.prop(wire.TOPIC_ALIAS)
    assert alias is not None and 1 <= alias <= 5, f"no alias assigned: {first!r}"
    assert first.body[:2] != b"\x00\x00", "the first use of an alias must carry the topic name"
    for i in (1, 2):
        nxt = sub.expect_publish()
        assert nxt.prop(wire.TOPIC_ALIAS) == alias
        assert nxt.body[:2] == b"\x00\x00", "a known alias should be sent with an empty topic name"
        assert (nxt.topic, nxt.payload) == ("aliased/topic", f"{i}".encode())


# --- subscription identifiers -------------------------------------------------


def test_subscription_identifier_is_sent_with_matching_messages(broker):
    # [MQTT-3.3.4-3]: the Subscription Identifier of the matching subscription is sent;
    # none when the subscription had none.
    c = broker.client(V5)
    c.subscribe("sid/with", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=42))
    c.subscribe("sid/without", 1)
    pub = broker.client(V5)
    pub.publish("sid/with", b"a", qos=1)
    pub.publish("sid/without", b"b", qos=1)
    tagged, untagged = sorted(c.get_messages(2), key=lambda m: m.payload)
    assert tagged.prop("SubscriptionIdentifier") == [42]
    assert untagged.prop("SubscriptionIdentifier") is None


def test_overlapping_subscription_identifiers(broker):
    # [MQTT-3.3.4-4] (one copy: all identifiers) / [MQTT-3.3.4-5] (one copy per
    # subscription, each with its own identifier).
    c = broker.client(V5)
    c.subscribe("sids/+", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=1))
    c.subscribe("sids/#", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=268435455))
    broker.client(V5).publish("sids/x", b"x", qos=1)
    copies = [c.get_message()]
    try:
        while True:
            copies.append(c.get_message(timeout=0.3))
    except AssertionError:
        pass
    ids = sorted(i for m in copies for i in m.prop("SubscriptionIdentifier", []))
    assert ids == [1, 268435455], f"identifiers across {len(copies)} copies: {ids}"


def test_subscription_identifier_is_updated_on_resubscribe(broker):
    # [MQTT-3.8.4-3] (5.0): the replaced subscription carries the new identifier.
    c = broker.client(V5)
    c.subscribe("sidup/t", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=7))
    c.subscribe("sidup/t", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=8))
    broker.client(V5).publish("sidup/t", b"x", qos=1)
    assert c.get_message().prop("SubscriptionIdentifier") == [8]


def test_subscription_identifier_on_retained_delivery(broker):
    # [MQTT-3.3.4-3]: retained messages sent because of a subscription carry its identifier.
    broker.client(V5).publish("sidret/t", b"kept", qos=1, retain=True)
    c = broker.client(V5)
    c.subscribe("sidret/t", 1, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=99))
    msg = c.get_message()
    assert (msg.retain, msg.prop("SubscriptionIdentifier")) == (True, [99])


def test_subscription_identifier_zero_is_a_protocol_error(broker, witness):
    # 3.8.2.1.2: a Subscription Identifier of 0 is a Protocol Error → close.
    c = broker.raw_connected(None, V5)
    c.send(wire.subscribe(1, [("sid/zero", 1)], props=[(wire.SUBSCRIPTION_IDENTIFIER, 0)]))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    witness.check()


@pytest.mark.mosquitto_deviation("2.0.11 accepts (and ignores) a Subscription Identifier from a client")
def test_subscription_identifier_from_client_publish_is_a_protocol_error(broker, witness):
    # [MQTT-3.3.4-6]: a PUBLISH from a client MUST NOT carry a Subscription Identifier;
    # the server treats it as a Protocol Error ([MQTT-4.13.1-1]).
    sub = broker.client(V5)
    sub.subscribe("sid/pub", 1)
    c = broker.raw_connected(None, V5)
    c.send(wire.publish("sid/pub", b"x", qos=1, pid=1, props=[(wire.SUBSCRIPTION_IDENTIFIER, 5)]))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    sub.expect_no_message()
    witness.check()


# --- reason strings and Request Problem Information ---------------------------


def test_request_problem_information_zero_suppresses_reason_strings(broker):
    # [MQTT-3.1.2-29]: with Request Problem Information 0 the server MUST NOT send a
    # Reason String or User Properties on packets other than PUBLISH, CONNACK and
    # DISCONNECT (here PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK).
    c = broker.raw(V5)
    c.connected(unique("rpi0"), props=[(wire.REQUEST_PROBLEM_INFORMATION, 0)])
    answers = [c.publish("rpi/none", b"x", qos=1, pid=1)]
    c.send(wire.publish("rpi/none", b"x", qos=2, pid=2))
    answers.append(c.expect(wire.PUBREC))
    c.send(wire.ack(wire.PUBREL, 2, reason=0))
    answers.append(c.expect(wire.PUBCOMP))
    answers.append(c.subscribe("rpi/+", 1))
    c.send(wire.unsubscribe(9, ["rpi/+", "rpi/never"]))
    answers.append(c.expect(wire.UNSUBACK))
    for pkt in answers:
        assert not pkt.has(wire.REASON_STRING) and not pkt.has(wire.USER_PROPERTY), f"{pkt!r}"
