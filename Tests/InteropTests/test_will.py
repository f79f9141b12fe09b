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
"""Will messages: when they fire and when they must not; retain, QoS, MQTT 5 will
properties and Will Delay Interval."""

import time

import pytest

import wire
from helpers import V31, V311, V5, props, unique
from paho.mqtt.packettypes import PacketTypes

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


def will_props(**values):
    return props(PacketTypes.WILLMESSAGE, **values)


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_will_is_published_when_connection_drops(broker, version):
    # [MQTT-3.1.2-8]: the Will Message is published when the network connection is
    # closed without a DISCONNECT.
    watcher = broker.client(version)
    watcher.subscribe("will/dropped", 1)
    dying = broker.client(version, will={"topic": "will/dropped", "payload": b"gone", "qos": 1})
    dying.kill()
    msg = watcher.get_message()
    assert (msg.topic, msg.payload, msg.qos) == ("will/dropped", b"gone", 1)
    # [MQTT-3.1.2-16] (3.1.1) / [MQTT-3.1.2-14] (5.0): Will Retain 0 → not retained.
    late = broker.client(version)
    late.subscribe("will/dropped", 1)
    late.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_will_is_discarded_on_clean_disconnect(broker, version):
    # [MQTT-3.1.2-10] and [MQTT-3.14.4-3]: on DISCONNECT (5.0: reason 0x00) the Will is
    # deleted without being published.
    watcher = broker.client(version)
    watcher.subscribe("will/clean", 1)
    leaving = broker.raw(version)
    leaving.connected(unique("leaving"), will_topic="will/clean", will_payload=b"nope")
    leaving.send(wire.disconnect(version=version))
    # The broker closes the connection once it has taken the DISCONNECT [MQTT-3.14.4-1]: a will
    # it published by mistake would be on its way to the watcher before the sentinel.
    leaving.wait_closed()
    watcher.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_will_retain_publishes_a_retained_will(broker, version):
    # [MQTT-3.1.2-17] (3.1.1) / [MQTT-3.1.2-15] (5.0): Will Retain 1 → retained.
    dying = broker.client(version, will={"topic": "will/retained", "payload": b"offline",
                                         "qos": 1, "retain": True})
    watcher = broker.client(version)
    watcher.subscribe("will/retained", 1)
    dying.kill()
    assert watcher.get_message().payload == b"offline"
    late = broker.client(version)
    late.subscribe("will/retained", 1)
    msg = late.get_message()
    assert (msg.payload, msg.retain) == (b"offline", True)


@pytest.mark.parametrize("version", V311_V5)
def test_will_qos_2(broker, version):
    # [MQTT-3.1.2-14] (3.1.1) / [MQTT-3.1.2-12] (5.0): Will QoS 2 is delivered at QoS 2.
    watcher = broker.client(version)
    watcher.subscribe("will/q2", 2)
    dying = broker.client(version, will={"topic": "will/q2", "payload": b"exactly", "qos": 2})
    dying.kill()
    msg = watcher.get_message()
    assert (msg.payload, msg.qos) == (b"exactly", 2)


@pytest.mark.mosquitto_deviation("checks keep-alive only every ~5 s")
@pytest.mark.parametrize("version", V311_V5)
def test_will_is_published_on_keep_alive_timeout(broker, version):
    # [MQTT-3.1.2-8] / 3.1.2.5: a keep-alive timeout is a network failure → Will.
    watcher = broker.client(version)
    watcher.subscribe("will/silent", 1)
    silent = broker.raw(version)
    silent.connected(unique("silent"), keepalive=1, will_topic="will/silent", will_payload=b"timed out")
    msg = watcher.get_message(timeout=3.0)
    assert msg.payload == b"timed out"


@pytest.mark.parametrize("version", V311_V5)
def test_will_is_published_when_server_closes_for_protocol_error(broker, version):
    # 3.1.2.5 (3.1.1 and 5.0): the Will is published when the server closes the
    # connection because of a protocol error.
    watcher = broker.client(version)
    watcher.subscribe("will/bad", 1)
    bad = broker.raw(version)
    bad.connected(unique("bad"), will_topic="will/bad", will_payload=b"protocol error")
    bad.send(wire.publish("will/bad", b"x", qos=3, version=version))  # [MQTT-3.3.1-4]
    bad.wait_closed()
    assert watcher.get_message().payload == b"protocol error"


def test_v311_disconnect_with_reserved_flags_is_not_a_clean_disconnect(broker):
    # [MQTT-3.14.1-1] (3.1.1): DISCONNECT with non-zero reserved bits is invalid, so
    # the server disconnects the client as for any violation — and the Will fires.
    watcher = broker.client(V311)
    watcher.subscribe("will/badbye", 1)
    bad = broker.raw(V311)
    bad.connected(unique("badbye"), will_topic="will/badbye", will_payload=b"not clean")
    bad.send(wire.packet(wire.DISCONNECT, 0x01, b""))
    bad.wait_closed()
    assert watcher.get_message().payload == b"not clean"


def test_v5_disconnect_with_will_message_publishes_the_will(broker):
    # 3.14.2.1 reason code 0x04 (Disconnect with Will Message) and [MQTT-3.1.2-10]:
    # only reason 0x00 deletes the Will.
    watcher = broker.client(V5)
    watcher.subscribe("will/asked", 1)
    c = broker.client(V5, will={"topic": "will/asked", "payload": b"as requested"})
    c.disconnect(reasoncode=wire.DISCONNECT_WITH_WILL)
    assert watcher.get_message().payload == b"as requested"


def test_v5_will_properties_are_passed_through(broker):
    # [MQTT-3.1.3-10] (5.0): the server MUST maintain the order of will User Properties;
    # 3.1.3.2: Payload Format Indicator, Content Type, Response Topic and Correlation
    # Data are sent with the Will Message.
    watcher = broker.client(V5)
    watcher.subscribe("will/props", 1)
    dying = broker.client(V5, will={"topic": "will/props", "payload": b'{"state":"offline"}', "qos": 1,
                                    "properties": will_props(
                                        PayloadFormatIndicator=1, ContentType="application/json",
                                        ResponseTopic="will/reply", CorrelationData=b"abc",
                                        UserProperty=[("b", "2"), ("a", "1"), ("b", "3")])})
    dying.kill()
    msg = watcher.get_message()
    assert msg.payload == b'{"state":"offline"}'
    assert msg.prop("PayloadFormatIndicator") == 1
    assert msg.prop("ContentType") == "application/json"
    assert msg.prop("ResponseTopic") == "will/reply"
    assert msg.prop("CorrelationData") == b"abc"
    assert msg.prop("UserProperty") == [("b", "2"), ("a", "1"), ("b", "3")]


def test_v5_will_delay_interval(broker):
    # [MQTT-3.1.2-8] (5.0): with a Will Delay Interval the Will is published only once
    # the delay has elapsed (here 1 s, session expiry 10 s).
    watcher = broker.client(V5)
    watcher.subscribe("will/delayed", 1)
    dying = broker.client(V5, session_expiry=10, clean=True,
                          will={"topic": "will/delayed", "payload": b"late",
                                "properties": will_props(WillDelayInterval=1)})
    dying.kill()
    dropped = time.monotonic()
    msg = watcher.get_message(timeout=3.0)
    assert msg.payload == b"late"
    assert time.monotonic() - dropped >= 0.9, "published before its delay"


def control_will(broker, topic: str):
    """A client with a will on `topic` and the same 1 s Will Delay as the will under test, whose
    connection drops later than that one's: once its will arrived, the other's delay has passed
    too, and a will that should have been cancelled would have come first."""
    control = broker.client(V5, unique("control"), session_expiry=30, will={
        "topic": topic, "payload": b"control", "properties": will_props(WillDelayInterval=1)})
    return control


def test_v5_will_delay_is_cancelled_by_reconnect(broker):
    # [MQTT-3.1.3-9] (5.0): if the client reconnects before the Will Delay Interval has
    # passed, the Will MUST NOT be sent.
    watcher = broker.client(V5)
    watcher.subscribe("will/cancel", 1)
    client_id = unique("comeback")
    will = {"topic": "will/cancel", "payload": b"should not see",
            "properties": will_props(WillDelayInterval=1)}
    first = broker.client(V5, client_id, session_expiry=30, will=will)
    control = control_will(broker, "will/cancel")
    first.kill()
    again = broker.client(V5, client_id, session_expiry=30, clean=False)
    assert again.session_present
    control.kill()
    assert watcher.get_message(timeout=5).payload == b"control"
    watcher.expect_no_message()


def test_v5_will_is_published_when_session_expires_first(broker):
    # [MQTT-3.1.2-8] (5.0): the Will is published when the delay elapses *or the session
    # ends*, whichever is first (Will Delay 30 s, Session Expiry 1 s).
    watcher = broker.client(V5)
    watcher.subscribe("will/expiry", 1)
    dying = broker.client(V5, session_expiry=1,
                          will={"topic": "will/expiry", "payload": b"session over",
                                "properties": will_props(WillDelayInterval=30)})
    dying.kill()
    assert watcher.get_message(timeout=3.5).payload == b"session over"


@pytest.mark.mosquitto_deviation("2.0.11 waits for the Will Delay even though the session already ended")
def test_v5_will_delay_with_session_expiry_zero_is_immediate(broker):
    # [MQTT-3.1.2-8] (5.0): Session Expiry 0 ends the session at the disconnect, so a
    # delayed Will is published right away.
    watcher = broker.client(V5)
    watcher.subscribe("will/now", 1)
    dying = broker.client(V5, will={"topic": "will/now", "payload": b"now",
                                    "properties": will_props(WillDelayInterval=30)})
    dying.kill()
    assert watcher.get_message(timeout=1.5).payload == b"now"


def test_v5_will_is_not_published_on_takeover_before_delay(broker):
    # [MQTT-3.1.3-9] (5.0): a new network connection for the ClientID before the Will
    # Delay Interval elapses cancels the Will — a takeover included.
    watcher = broker.client(V5)
    watcher.subscribe("will/takeover", 1)
    client_id = unique("taken")
    broker.client(V5, client_id, session_expiry=30, will={
        "topic": "will/takeover", "payload": b"no", "properties": will_props(WillDelayInterval=1)})
    control = control_will(broker, "will/takeover")
    broker.client(V5, client_id, session_expiry=30, clean=False)
    control.kill()
    assert watcher.get_message(timeout=5).payload == b"control"
    watcher.expect_no_message()
