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
"""Retained messages: store, replace, clear, RETAIN flag on delivery, retain handling,
retain-as-published, properties and expiry of retained messages."""

import time

import pytest
from paho.mqtt.subscribeoptions import SubscribeOptions

from helpers import V31, V311, V5, props

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_retained_message_is_sent_to_new_subscriber(broker, version):
    # [MQTT-3.3.1-5] + [MQTT-3.3.1-6] (3.1.1) / [MQTT-3.3.1-5] + [MQTT-3.3.1-9] (5.0):
    # the server stores a retained message and sends it to a later subscriber, with
    # RETAIN 1 [MQTT-3.3.1-8] (3.1.1).
    pub = broker.client(version)
    pub.publish("retained/hello", b"stored", qos=1, retain=True)
    pub.disconnect()  # [MQTT-3.1.2.7] (3.1.1): retained messages outlive the session
    sub = broker.client(version)
    sub.subscribe("retained/hello", 1)
    msg = sub.get_message()
    assert (msg.topic, msg.payload, msg.retain, msg.qos) == ("retained/hello", b"stored", True, 1)


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_retained_message_is_replaced(broker, version):
    # [MQTT-3.3.1-5] (5.0): a new retained message replaces the previous one.
    pub = broker.client(version)
    pub.publish("retained/replace", b"old", qos=1, retain=True)
    pub.publish("retained/replace", b"new", qos=1, retain=True)
    sub = broker.client(version)
    sub.subscribe("retained/replace", 1)
    assert sub.get_message().payload == b"new"
    sub.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_empty_retained_message_clears_and_is_delivered(broker, version):
    # [MQTT-3.3.1-10] + [MQTT-3.3.1-11] (3.1.1) / [MQTT-3.3.1-6] + [MQTT-3.3.1-7] (5.0):
    # a zero-byte retained PUBLISH is delivered normally to current subscribers, removes
    # the retained message, and is not itself retained.
    pub = broker.client(version)
    live = broker.client(version)
    live.subscribe("retained/clear", 1)
    pub.publish("retained/clear", b"something", qos=1, retain=True)
    assert live.get_message().payload == b"something"
    pub.publish("retained/clear", b"", qos=1, retain=True)
    assert live.get_message().payload == b""
    late = broker.client(version)
    late.subscribe("retained/clear", 1)
    late.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_non_retained_publish_keeps_the_retained_message(broker, version):
    # [MQTT-3.3.1-12] (3.1.1) / [MQTT-3.3.1-8] (5.0): RETAIN 0 neither stores nor
    # replaces nor removes the retained message.
    pub = broker.client(version)
    pub.publish("retained/keep", b"retained", qos=1, retain=True)
    pub.publish("retained/keep", b"transient", qos=1, retain=False)
    pub.publish("retained/keep", b"", qos=1, retain=False)
    sub = broker.client(version)
    sub.subscribe("retained/keep", 1)
    msg = sub.get_message()
    assert (msg.payload, msg.retain) == (b"retained", True)
    sub.expect_no_message()


@pytest.mark.parametrize("version", [pytest.param(V31, id="v31"), pytest.param(V311, id="v311")])
def test_live_delivery_clears_retain_flag_v3(broker, version):
    # [MQTT-3.3.1-9] (3.1.1): a message sent because it matches an established
    # subscription has RETAIN 0, however it was published.
    sub = broker.client(version)
    sub.subscribe("retained/live", 1)
    pub = broker.client(version)
    pub.publish("retained/live", b"x", qos=1, retain=True)
    msg = sub.get_message()
    assert (msg.payload, msg.retain) == (b"x", False)


def test_retain_as_published_0_clears_retain_flag(broker):
    # [MQTT-3.3.1-12] (5.0): Retain As Published 0 → RETAIN 0 on forwarded messages.
    sub = broker.client(V5)
    sub.subscribe("rap/zero", options=SubscribeOptions(qos=1, retainAsPublished=False))
    pub = broker.client(V5)
    pub.publish("rap/zero", b"r", qos=1, retain=True)
    assert sub.get_message().retain is False


def test_retain_as_published_1_keeps_retain_flag(broker):
    # [MQTT-3.3.1-13] (5.0): Retain As Published 1 → RETAIN as received.
    sub = broker.client(V5)
    sub.subscribe("rap/one", options=SubscribeOptions(qos=1, retainAsPublished=True))
    pub = broker.client(V5)
    pub.publish("rap/one", b"r", qos=1, retain=True)
    pub.publish("rap/one", b"n", qos=1, retain=False)
    first, second = sub.get_messages(2)
    assert (first.payload, first.retain) == (b"r", True)
    assert (second.payload, second.retain) == (b"n", False)


def test_retain_handling_0_sends_on_every_subscribe(broker):
    # [MQTT-3.3.1-9] and [MQTT-3.8.4-4] (5.0): Retain Handling 0 sends retained messages
    # at subscribe time, including when an identical subscription is replaced.
    broker.client(V5).publish("rh/zero", b"kept", qos=1, retain=True)
    sub = broker.client(V5)
    opts = SubscribeOptions(qos=1, retainHandling=0)
    sub.subscribe("rh/zero", options=opts)
    assert sub.get_message().payload == b"kept"
    sub.subscribe("rh/zero", options=opts)
    msg = sub.get_message()
    assert (msg.payload, msg.retain) == (b"kept", True)


def test_retain_handling_1_sends_only_for_new_subscriptions(broker):
    # [MQTT-3.3.1-10] (5.0): Retain Handling 1 sends retained messages only if the
    # subscription did not already exist.
    broker.client(V5).publish("rh/one", b"kept", qos=1, retain=True)
    sub = broker.client(V5)
    opts = SubscribeOptions(qos=1, retainHandling=1)
    sub.subscribe("rh/one", options=opts)
    assert sub.get_message().payload == b"kept"
    sub.subscribe("rh/one", options=opts)
    sub.expect_no_message()


def test_retain_handling_2_never_sends_retained(broker):
    # [MQTT-3.3.1-11] (5.0): Retain Handling 2 → no retained messages at subscribe.
    pub = broker.client(V5)
    pub.publish("rh/two", b"kept", qos=1, retain=True)
    sub = broker.client(V5)
    sub.subscribe("rh/two", options=SubscribeOptions(qos=1, retainHandling=2))
    sub.expect_no_message()
    pub.publish("rh/two", b"live", qos=1)
    assert sub.get_message().payload == b"live"


@pytest.mark.parametrize("version", [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")])
def test_resubscribe_resends_retained(broker, version):
    # [MQTT-3.8.4-3] (3.1.1): re-subscribing with an identical filter replaces the
    # subscription and re-sends matching retained messages.
    broker.client(version).publish("retained/again", b"again", qos=1, retain=True)
    sub = broker.client(version)
    sub.subscribe("retained/again", 1)
    assert sub.get_message().payload == b"again"
    sub.subscribe("retained/again", 1)
    assert sub.get_message().payload == b"again"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_retained_messages_match_wildcards(broker, version):
    # [MQTT-3.3.1-6] (3.1.1): the retained message on *each* matching topic is sent.
    pub = broker.client(version)
    for t in ("tree/a", "tree/b/c", "other/a"):
        pub.publish(t, t.encode(), qos=1, retain=True)
    sub = broker.client(version)
    sub.subscribe("tree/#", 1)
    got = sorted((m.topic, m.retain) for m in sub.get_messages(2))
    assert got == [("tree/a", True), ("tree/b/c", True)]
    sub.expect_no_message()


@pytest.mark.parametrize("version", [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")])
def test_retained_delivery_uses_min_qos(broker, version):
    # [MQTT-3.8.4-6] (3.1.1) / [MQTT-3.8.4-8] (5.0): retained messages are delivered at
    # the minimum of their stored QoS and the granted QoS.
    pub = broker.client(version)
    pub.publish("retained/q2", b"two", qos=2, retain=True)
    pub.publish("retained/q0", b"zero", qos=0, retain=True)
    sub = broker.client(version)
    sub.subscribe("retained/q2", 1)
    sub.subscribe("retained/q0", 2)
    got = {m.topic: m.qos for m in sub.get_messages(2)}
    assert got == {"retained/q2": 1, "retained/q0": 0}


def test_retained_message_keeps_its_v5_properties(broker):
    # [MQTT-3.3.2-4], [MQTT-3.3.2-17], [MQTT-3.3.2-18], [MQTT-3.3.2-20] (5.0): the
    # properties of the Application Message are sent unaltered, also when it is
    # delivered later as a retained message.
    pub = broker.client(V5)
    pub.publish("retained/props", b'{"t":21}', qos=1, retain=True, properties=props(
        PayloadFormatIndicator=1, ContentType="application/json", ResponseTopic="replies/here",
        CorrelationData=b"\x00\x01corr", UserProperty=[("k", "v1"), ("k", "v2"), ("z", "last")]))
    sub = broker.client(V5)
    sub.subscribe("retained/props", 1)
    msg = sub.get_message()
    assert msg.retain
    assert msg.prop("PayloadFormatIndicator") == 1
    assert msg.prop("ContentType") == "application/json"
    assert msg.prop("ResponseTopic") == "replies/here"
    assert msg.prop("CorrelationData") == b"\x00\x01corr"
    assert msg.prop("UserProperty") == [("k", "v1"), ("k", "v2"), ("z", "last")]


def test_expired_retained_message_is_not_sent(broker):
    # [MQTT-3.3.2-5] (5.0) and 3.3.2.3.3: once its Message Expiry Interval has passed,
    # a retained message is no longer sent to new subscribers.
    pub = broker.client(V5)
    pub.publish("retained/expiring", b"soon gone", qos=1, retain=True,
                properties=props(MessageExpiryInterval=1))
    pub.publish("retained/lasting", b"still here", qos=1, retain=True,
                properties=props(MessageExpiryInterval=60))
    fresh = broker.client(V5)
    fresh.subscribe("retained/expiring", 1)
    assert fresh.get_message().payload == b"soon gone"
    time.sleep(2.1)  # let the 1 s expiry pass (the clock is the thing under test)
    sub = broker.client(V5)
    sub.subscribe("retained/#", 1)
    msg = sub.get_message()
    assert msg.topic == "retained/lasting"
    # [MQTT-3.3.2-6]: the forwarded expiry is the received one minus the time waited.
    assert 1 <= msg.prop("MessageExpiryInterval") <= 59
    sub.expect_no_message()


@pytest.mark.parametrize("version", [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")])
def test_retained_dollar_topic_not_sent_to_wildcard_subscription(broker, version):
    # [MQTT-4.7.2-1]: "#" does not match topics starting with "$", retained or not.
    pub = broker.client(version)
    pub.publish("$app/retained", b"hidden", qos=1, retain=True)
    pub.publish("visible/retained", b"shown", qos=1, retain=True)
    sub = broker.client(version)
    sub.subscribe("#", 1)
    assert sub.get_message().topic == "visible/retained"
    sub.expect_no_message()
    direct = broker.client(version)
    direct.subscribe("$app/#", 1)
    assert direct.get_message().payload == b"hidden"
