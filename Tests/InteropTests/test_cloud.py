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
"""The cloud SDK's wire contract (docs/cloud-sdk.md) with plain paho-mqtt v5 clients.

Consumer groups are shared subscriptions; a member that dies with unacknowledged
messages has them redelivered to another member (MQTT 5 §4.8.2); ``share-strategy:
hash-topic`` keeps a topic on one member; ``cloud`` clients get and give the
clientId / qoslevel / cleansessionflag / mqttSecondTopic / mqttRealTopic user properties.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from helpers import V5, TIMEOUT, Message, MqttClient, unique

pytestmark = pytest.mark.swiftlet_only

SECRET = "cloud-secret"


def signature(secret: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), client_id.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def cloud_broker(broker_factory):
    return broker_factory("--access-key", f"CLOUD:{SECRET}:cloud")


def cloud_client(broker, client_id: str | None = None, **kwargs) -> MqttClient:
    """A backend: signature mode with the cloud access key, MQTT 5."""
    client_id = client_id or "GID_backend@@@" + unique("b")
    return broker.client(V5, client_id, username="Signature|CLOUD|inst",
                         password=signature(SECRET, client_id), **kwargs)


class Held:
    """Keeps the paho messages of a manual-ack client so that the test decides when (if
    ever) to acknowledge them."""

    def __init__(self, client: MqttClient):
        self.client = client
        self.queue: queue.Queue = queue.Queue()
        client.paho.on_message = lambda _c, _u, msg: self.queue.put(msg)

    def get(self, count: int) -> list:
        out = []
        for _ in range(count):
            try:
                out.append(self.queue.get(timeout=TIMEOUT))
            except queue.Empty:
                raise AssertionError(f"got {len(out)} of {count} messages") from None
        return out


def user_props(message: Message) -> dict[str, str]:
    return dict(message.prop("UserProperty", []) or [])


def publish_props(**user: str) -> Properties:
    props = Properties(PacketTypes.PUBLISH)
    props.UserProperty = list(user.items())
    return props


def test_group_splits_a_qos1_stream_with_none_lost(cloud_broker):
    members = [cloud_client(cloud_broker) for _ in range(2)]
    for member in members:
        assert member.subscribe("$share/GID_backend/jobs/#", qos=1) == [1]
    device = cloud_broker.client(V5, "GID_dev@@@" + unique("d"))
    for n in range(40):
        assert device.publish(f"jobs/{n % 4}", f"job {n}", qos=1) == 0
    # Round-robin: twenty each.
    received = [m.payload.decode() for member in members for m in member.get_messages(20)]
    assert sorted(received) == sorted(f"job {n}" for n in range(40))
    for member in members:
        member.expect_no_message()


def test_killed_member_unacked_messages_go_to_the_other(cloud_broker):
    lazy = cloud_client(cloud_broker, manual_ack=True)
    held = Held(lazy)
    worker = cloud_client(cloud_broker)
    assert lazy.subscribe("$share/GID_backend/orders/#", qos=1) == [1]
    assert worker.subscribe("$share/GID_backend/orders/#", qos=1) == [1]
    device = cloud_broker.client(V5, "GID_dev@@@" + unique("d"))
    for n in range(10):
        assert device.publish("orders/new", f"order {n}", qos=1) == 0
    never_acked = [m.payload.decode() for m in held.get(5)]
    done = [m.payload.decode() for m in worker.get_messages(5)]
    # The lazy member's connection drops without DISCONNECT; its session (expiry 0) ends.
    lazy.kill()
    redelivered = worker.get_messages(5)
    assert [m.payload.decode() for m in redelivered] == never_acked
    assert all(m.qos == 1 and not m.dup for m in redelivered)
    assert sorted(done + never_acked) == sorted(f"order {n}" for n in range(10))
    worker.expect_no_message()


def test_ordered_mode_keeps_each_topic_on_one_member_in_order(cloud_broker):
    props = Properties(PacketTypes.SUBSCRIBE)
    props.UserProperty = [("share-strategy", "hash-topic")]
    members = [cloud_client(cloud_broker) for _ in range(2)]
    for member in members:
        assert member.subscribe("$share/GID_ord/telemetry/#", qos=1, properties=props) == [1]
    device = cloud_broker.client(V5, "GID_dev@@@" + unique("d"))
    topics = [f"telemetry/device{n}" for n in range(6)]
    for n in range(5):
        for topic in topics:
            device.publish(topic, str(n), qos=1)
    # Every PUBACK came after the broker handed the message on: collect until all 30 arrived.
    got: dict[str, list[tuple[int, int]]] = {}
    total = 0
    deadline = time.monotonic() + TIMEOUT
    while total < 30 and time.monotonic() < deadline:
        for index, member in enumerate(members):
            try:
                message = member.messages.get(timeout=0.05)
            except queue.Empty:
                continue
            got.setdefault(message.topic, []).append((index, int(message.payload)))
            total += 1
    assert total == 30
    for member in members:
        member.expect_no_message()
    for topic in topics:
        owners = {index for index, _ in got[topic]}
        assert len(owners) == 1, f"{topic} went to {owners}"
        assert [n for _, n in got[topic]] == list(range(5))


def test_unknown_share_strategy_is_refused(cloud_broker):
    props = Properties(PacketTypes.SUBSCRIBE)
    props.UserProperty = [("share-strategy", "fastest")]
    member = cloud_client(cloud_broker)
    assert member.subscribe("$share/g/x/#", qos=1, properties=props) == [0x83]


def test_cloud_subscriber_sees_the_publisher_properties(cloud_broker):
    backend = cloud_client(cloud_broker)
    backend.subscribe("chat/#", qos=1)
    device_sub = cloud_broker.client(V5, "GID_dev@@@" + unique("s"))
    device_sub.subscribe("chat/#", qos=1)
    publisher_id = "GID_dev@@@" + unique("p")
    publisher = cloud_broker.client(V5, publisher_id)
    publisher.publish("chat/room1/x", b"hello", qos=1, properties=publish_props(clientId="spoofed"))

    message = backend.get_message()
    props = user_props(message)
    assert props["clientId"] == publisher_id
    assert props["qoslevel"] == "1"
    assert props["cleansessionflag"] == "true"
    assert props["mqttSecondTopic"] == "/room1/x"
    assert ("clientId", "spoofed") not in (message.prop("UserProperty", []) or [])
    # A device subscriber gets the message as published.
    assert user_props(device_sub.get_message()) == {"clientId": "spoofed"}


def test_cloud_publish_with_second_topic_qoslevel_and_real_topic(cloud_broker):
    device_id = "GID_dev@@@" + unique("d")
    device = cloud_broker.client(V5, device_id)
    device.subscribe("chat/room1", qos=2)
    backend = cloud_client(cloud_broker)

    # QoS 0 on the wire, delivered at qoslevel 1, on chat + /room1.
    backend.publish("chat", b"to the room", qos=0, properties=publish_props(mqttSecondTopic="/room1", qoslevel="1"))
    message = device.get_message()
    assert (message.topic, message.payload, message.qos) == ("chat/room1", b"to the room", 1)
    assert "mqttSecondTopic" not in user_props(message)

    # P2P to the device, which sees the real topic instead of the p2p topic.
    assert backend.publish(f"chat/p2p/{device_id}", b"just you", qos=1,
                           properties=publish_props(mqttRealTopic="chat/inbox")) == 0
    message = device.get_message()
    assert (message.topic, message.payload) == ("chat/inbox", b"just you")

    # The parent of mqttSecondTopic must be one level: PUBACK 0x90.
    assert backend.publish("chat/room1", b"x", qos=1, properties=publish_props(mqttSecondTopic="/y")) == 0x90
    device.expect_no_message()
