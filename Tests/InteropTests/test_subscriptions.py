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
"""SUBSCRIBE / UNSUBSCRIBE: wildcard matching, $-topics, SUBACK and UNSUBACK codes,
overlapping and replaced subscriptions, invalid filters, No Local."""

import pytest
from paho.mqtt.subscribeoptions import SubscribeOptions

import wire
from helpers import V31, V311, V5

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]

TOPICS = [
    "sport/tennis/player1",
    "sport/tennis/player1/ranking",
    "sport/tennis/player1/score/wimbledon",
    "sport/tennis/player2",
    "sport/badminton/player1",
    "sport",
    "sport/",
    "/finance",
    "finance",
    "a//b",
]

# filter → the TOPICS it matches (section 4.7 and its examples).
MATCHES = {
    "#": set(TOPICS),
    "sport/tennis/player1/#": {"sport/tennis/player1", "sport/tennis/player1/ranking",
                               "sport/tennis/player1/score/wimbledon"},
    "sport/#": {t for t in TOPICS if t == "sport" or t.startswith("sport/")},
    "sport/tennis/+": {"sport/tennis/player1", "sport/tennis/player2"},
    "sport/+": {"sport/"},
    "+": {"sport", "finance"},
    "+/+": {"sport/", "/finance"},
    "/+": {"/finance"},
    "+/tennis/#": {"sport/tennis/player1", "sport/tennis/player1/ranking",
                   "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"},
    "sport/+/player1": {"sport/tennis/player1", "sport/badminton/player1"},
    "+/+/+": {"sport/tennis/player1", "sport/tennis/player2", "sport/badminton/player1", "a//b"},
    "a/+/b": {"a//b"},
    "finance": {"finance"},
    "Sport/#": set(),
    "sport/tennis/player1/ranking": {"sport/tennis/player1/ranking"},
}


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_topic_filter_matching(broker, version):
    # [MQTT-4.7.1-2] ("#" matches the parent level and any number of children, last
    # character only), [MQTT-4.7.1-3] ("+" matches exactly one, possibly empty, level)
    # (3.1.1 numbering), [MQTT-3.3.2-3] (5.0: the topic sent matches the filter) and
    # [MQTT-4.7.3-4] (no normalization: case sensitive, empty levels significant).
    subs = {}
    for topic_filter in MATCHES:
        c = broker.client(version)
        assert c.subscribe(topic_filter, 1) == [1], topic_filter
        subs[topic_filter] = c
    pub = broker.client(version)
    for topic in TOPICS:
        pub.publish(topic, topic.encode(), qos=1)
    wrong = {}
    for topic_filter, expected in MATCHES.items():
        c = subs[topic_filter]
        got = [m.topic for m in c.get_messages(len(expected))] if expected else []
        if sorted(got) != sorted(expected):
            wrong[topic_filter] = (sorted(got), sorted(expected))
    for topic_filter, sub in subs.items():
        extra = [m.topic for m in sub.messages_until_sentinel()]
        if extra:
            wrong[topic_filter] = (f"extra: {extra}", sorted(MATCHES[topic_filter]))
    assert not wrong, f"filter → (received, expected): {wrong}"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_dollar_topics_are_not_matched_by_leading_wildcards(broker, version):
    # [MQTT-4.7.2-1]: filters starting with "#" or "+" MUST NOT match topic names
    # beginning with "$"; a filter starting with "$" matches them.
    hash_sub, plus_sub = broker.client(version), broker.client(version)
    hash_sub.subscribe("#", 1)
    plus_sub.subscribe("+/status", 1)
    dollar_sub = broker.client(version)
    dollar_sub.subscribe("$app/+", 1)
    pub = broker.client(version)
    pub.publish("$app/status", b"internal", qos=1)
    assert dollar_sub.get_message().topic == "$app/status"
    pub.publish("app/status", b"public", qos=1)
    assert hash_sub.get_message().topic == "app/status"
    assert plus_sub.get_message().topic == "app/status"
    hash_sub.expect_no_message()
    plus_sub.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_suback_lists_granted_qos_in_order(broker, version):
    # [MQTT-3.8.4-1], [MQTT-3.8.4-2], [MQTT-3.8.4-4] + [MQTT-3.8.4-5] (3.1.1) /
    # [MQTT-3.8.4-5] + [MQTT-3.8.4-6] (5.0) and [MQTT-3.9.3-1]: one SUBSCRIBE with
    # several filters gets one SUBACK with the same Packet Identifier and one code per
    # filter, in order.
    c = broker.raw_connected(None, version)
    c.send(wire.subscribe(0x1234, [("multi/a", 2), ("multi/b", 0), ("multi/c", 1)], version=version))
    suback = c.expect(wire.SUBACK)
    assert suback.pid == 0x1234
    assert suback.codes == [2, 0, 1]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_unsubscribe_stops_delivery(broker, version):
    # [MQTT-3.10.4-1], [MQTT-3.10.4-2], [MQTT-3.10.4-4]: an exactly matching filter is
    # deleted, delivery stops, and UNSUBACK carries the Packet Identifier.
    c = broker.raw_connected(None, version)
    c.subscribe([("unsub/+", 1), ("unsub/keep", 1)])
    c.send(wire.unsubscribe(0x0BAD, ["unsub/+"], version=version))
    unsuback = c.expect(wire.UNSUBACK)
    assert unsuback.pid == 0x0BAD
    if version == V5:
        assert unsuback.codes == [0x00]  # [MQTT-3.11.3-1]
    pub = broker.client(version)
    pub.publish("unsub/gone", b"x", qos=1)
    pub.publish("unsub/keep", b"y", qos=1)
    assert c.expect_publish().topic == "unsub/keep"
    c.expect_nothing()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_unsubscribe_compares_filters_character_by_character(broker, version):
    # [MQTT-3.10.4-1]: "unsub/#" does not remove "unsub/+" (no wildcard interpretation)
    # and [MQTT-3.10.4-5]: UNSUBACK is sent even if nothing was deleted.
    c = broker.raw_connected(None, version)
    c.subscribe("literal/+", 1)
    c.send(wire.unsubscribe(7, ["literal/#", "never/subscribed"], version=version))
    unsuback = c.expect(wire.UNSUBACK)
    assert unsuback.pid == 7
    if version == V5:
        # [MQTT-3.11.3-1], [MQTT-3.11.3-2]: one reason code per filter.
        assert len(unsuback.codes) == 2
        assert all(code in (0x00, wire.NO_SUBSCRIPTION_EXISTED) for code in unsuback.codes)
    broker.client(version).publish("literal/x", b"still", qos=1)
    assert c.expect_publish().payload == b"still"


@pytest.mark.parametrize("version", [
    pytest.param(V311, id="v311", marks=pytest.mark.mosquitto_deviation(
        "2.0.11 sends a 3.1.1 client one copy at the QoS of the first matching subscription")),
    pytest.param(V5, id="v5")])
def test_overlapping_subscriptions_respect_the_maximum_qos(broker, version):
    # [MQTT-3.3.5-1] (3.1.1) / [MQTT-3.3.4-2] (5.0): with overlapping subscriptions the
    # message is delivered respecting the maximum QoS of all matching subscriptions.
    c = broker.client(version)
    c.subscribe("overlap/+", 0)
    c.subscribe("overlap/#", 2)
    broker.client(version).publish("overlap/x", b"o", qos=2)
    copies = [c.get_message()]
    try:
        while True:  # gather further copies until the connection has been quiet a while
            copies.append(c.get_message(timeout=0.3))
    except AssertionError:
        pass
    assert 1 <= len(copies) <= 2
    assert max(m.qos for m in copies) == 2


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_identical_subscription_replaces_the_previous_one(broker, version):
    # [MQTT-3.8.4-3]: a SUBSCRIBE with an identical filter replaces the subscription
    # (new QoS, still one delivery per message).
    c = broker.client(version)
    assert c.subscribe("replace/t", 0) == [0]
    assert c.subscribe("replace/t", 2) == [2]
    broker.client(version).publish("replace/t", b"r", qos=2)
    msg = c.get_message()
    assert msg.qos == 2
    c.expect_no_message()


INVALID_FILTERS = ["bad/#/filter", "bad/b#", "bad+/x", "#/bad", "a/+b", ""]


@pytest.mark.parametrize("topic_filter", INVALID_FILTERS, ids=lambda f: repr(f))
@pytest.mark.parametrize("version", V311_V5)
def test_invalid_topic_filter_is_refused(broker, witness, version, topic_filter):
    # [MQTT-4.7.1-2], [MQTT-4.7.1-3] (3.1.1; [MQTT-4.7.1-1]/[MQTT-4.7.1-2] in 5.0) and
    # [MQTT-4.7.3-1]: an invalid filter is never subscribed: SUBACK failure (0x80, or
    # 5.0: 0x8F Topic Filter invalid) or the connection is closed.
    c = broker.raw_connected(None, version)
    c.send(wire.subscribe(3, [(topic_filter, 1), ("valid/after", 1)], version=version))
    try:
        answer = c.recv()
    except wire.Closed:
        answer = None
    if answer is not None and answer.type == wire.SUBACK:
        assert answer.codes[0] >= 0x80, f"invalid filter {topic_filter!r} was granted: {answer!r}"
        if version == V5:
            assert answer.codes[0] in (wire.TOPIC_FILTER_INVALID, wire.UNSPECIFIED_ERROR)
    elif answer is not None:
        assert answer.type == wire.DISCONNECT and answer.reason >= 0x80, f"unexpected {answer!r}"
        c.wait_closed()
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_subscribe_requires_at_least_one_filter(broker, witness, version):
    # [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0): a SUBSCRIBE without payload is a
    # protocol violation; the connection is closed.
    c = broker.raw_connected(None, version)
    c.send(wire.subscribe(4, [], version=version))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_unsubscribe_requires_at_least_one_filter(broker, witness, version):
    # [MQTT-3.10.3-2]: an UNSUBSCRIBE without payload is a protocol violation.
    c = broker.raw_connected(None, version)
    c.send(wire.unsubscribe(5, [], version=version))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    witness.check()


def test_no_local_suppresses_own_messages(broker):
    # [MQTT-3.8.3-3] (5.0): No Local 1 → messages are not forwarded to the connection
    # whose ClientID published them; other publishers still reach it.
    me = broker.client(V5)
    me.subscribe("nolocal/t", options=SubscribeOptions(qos=1, noLocal=True))
    me.publish("nolocal/t", b"mine", qos=1)
    me.expect_no_message()
    broker.client(V5).publish("nolocal/t", b"theirs", qos=1)
    assert me.get_message().payload == b"theirs"
    me.expect_no_message()


@pytest.mark.mosquitto_deviation("2.0.11 grants No Local on a shared subscription")
def test_no_local_on_shared_subscription_is_a_protocol_error(broker, witness):
    # [MQTT-3.8.3-4] (5.0): No Local on a Shared Subscription is a Protocol Error
    # ([MQTT-4.13.1-1]: close, optionally after DISCONNECT 0x82).
    c = broker.raw_connected(None, V5)
    c.send(wire.subscribe(6, [("$share/g/nl", wire.sub_options(1, no_local=True))]))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason == wire.PROTOCOL_ERROR, f"unexpected {pkt!r}"
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_many_subscriptions_on_one_connection(broker, version):
    # [MQTT-3.8.4-4] (3.1.1) / [MQTT-3.8.4-5] (5.0): a SUBSCRIBE with many filters is
    # handled as a sequence of SUBSCRIBEs.
    c = broker.raw_connected(None, version)
    filters = [(f"many/{i}", i % 3) for i in range(100)]
    c.send(wire.subscribe(99, filters, version=version))
    assert c.expect(wire.SUBACK).codes == [i % 3 for i in range(100)]
    pub = broker.client(version)
    pub.publish("many/42", b"42", qos=0)
    assert c.expect_publish().topic == "many/42"
