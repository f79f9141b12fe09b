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
"""Swiftlet point-to-point messaging (DESIGN §5): a PUBLISH to
``{parent}/p2p/{clientId}`` reaches that client only, without a subscription; nobody
may subscribe to another client's p2p topic."""

import pytest

import wire
from helpers import V31, V311, V5, props, unique

pytestmark = pytest.mark.swiftlet_only

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_p2p_message_reaches_the_addressed_client_without_subscribing(broker, version):
    # DESIGN §5: "goes to that client only, whether or not it subscribed".
    bob = broker.client(version, unique("bob"))
    alice = broker.client(V5, unique("alice"))
    alice.publish(f"chat/p2p/{bob.client_id}", b"hi bob", qos=1)
    msg = bob.get_message()
    assert (msg.topic, msg.payload) == (f"chat/p2p/{bob.client_id}", b"hi bob")
    bob.expect_no_message()


def test_p2p_message_reaches_nobody_else(broker):
    # DESIGN §5: "to that client only": the sender, a bystander and a wildcard
    # subscriber on the parent topic do not see it.
    bob = broker.client(V5, unique("bob"))
    alice = broker.client(V5, unique("alice"))
    eve = broker.client(V5, unique("eve"))
    eve.subscribe("chat/#", 1)
    alice.publish(f"chat/p2p/{bob.client_id}", b"private", qos=1)
    assert bob.get_message().payload == b"private"
    eve.expect_no_message()
    alice.expect_no_message()


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_p2p_keeps_qos_and_properties(broker, qos):
    # DESIGN §5 with [MQTT-3.3.2-17]/[MQTT-3.3.2-18]: a p2p message is an ordinary
    # Application Message: published QoS, payload and properties are kept.
    bob = broker.client(V5, unique("bob"))
    sender = broker.client(V5, unique("alice"))
    sender.publish(f"chat/p2p/{bob.client_id}", b"typed", qos=qos, properties=props(
        ContentType="text/plain", UserProperty=[("from", "alice"), ("seq", "1")]))
    msg = bob.get_message()
    assert msg.qos == qos
    assert msg.prop("ContentType") == "text/plain"
    assert msg.prop("UserProperty") == [("from", "alice"), ("seq", "1")]


def test_p2p_works_with_group_style_client_ids(broker):
    # DESIGN §5: client IDs may follow the GroupId@@@DeviceId convention.
    device = broker.client(V311, "GID_chat@@@dev-01")
    broker.client(V5).publish("chat/p2p/GID_chat@@@dev-01", b"to a device", qos=1)
    assert device.get_message().payload == b"to a device"


def test_p2p_messages_wait_in_a_persistent_session(broker):
    # DESIGN §5: "kept as an offline message if its session persists".
    bob_id = unique("bob")
    bob = broker.client(V311, bob_id, clean=False)
    bob.disconnect()
    sender = broker.client(V5)
    for i in range(3):
        sender.publish(f"chat/p2p/{bob_id}", f"offline {i}".encode(), qos=1)
    back = broker.client(V311, bob_id, clean=False)
    assert [m.payload for m in back.get_messages(3)] == [b"offline 0", b"offline 1", b"offline 2"]


def test_own_p2p_topic_may_be_subscribed_without_duplicates(broker):
    # DESIGN §5: subscribing to one's own p2p topic is allowed; the message still
    # arrives once (the implicit p2p delivery and the subscription do not double up).
    bob = broker.client(V5, unique("bob"))
    assert bob.subscribe(f"chat/p2p/{bob.client_id}", 1) == [1]
    broker.client(V5).publish(f"chat/p2p/{bob.client_id}", b"once", qos=1)
    assert bob.get_message().payload == b"once"
    bob.expect_no_message()


def test_subscribing_to_another_clients_p2p_topic_is_refused_v5(broker):
    # DESIGN §5 and [MQTT-3.9.3-2] (5.0): SUBACK 0x87 (Not authorized) for that filter
    # only; the other filters of the same SUBSCRIBE are granted.
    alice = broker.raw(V5)
    alice.connected(unique("alice"))
    suback = alice.subscribe([("chat/p2p/bob", 1), ("chat/room", 1)])
    assert suback.codes == [wire.NOT_AUTHORIZED, 1]
    broker.client(V5, "bob")
    broker.client(V5).publish("chat/p2p/bob", b"not for alice", qos=1)
    alice.expect_nothing()


@pytest.mark.parametrize("version", [pytest.param(V31, id="v31"), pytest.param(V311, id="v311")])
def test_subscribing_to_another_clients_p2p_topic_is_refused_v3(broker, version):
    # DESIGN §5 and [MQTT-3.9.3-2] (3.1.1): return code 0x80 (Failure).
    alice = broker.raw(version)
    alice.connected(unique("alice"))
    assert alice.subscribe([("chat/p2p/bob", 1), ("chat/room", 0)]).codes == [0x80, 0]


def test_p2p_refusal_has_a_reason_string_unless_suppressed(broker):
    # 3.9.2.1.2 (5.0): the SUBACK may carry a Reason String explaining the refusal;
    # [MQTT-3.1.2-29]: not when the client sent Request Problem Information 0.
    chatty = broker.raw(V5)
    chatty.connected(unique("chatty"))
    suback = chatty.subscribe("chat/p2p/bob", 1)
    assert suback.codes == [wire.NOT_AUTHORIZED]
    assert suback.prop(wire.REASON_STRING), "expected a Reason String on the refusal"
    quiet = broker.raw(V5)
    quiet.connected(unique("quiet"), props=[(wire.REQUEST_PROBLEM_INFORMATION, 0)])
    suback = quiet.subscribe("chat/p2p/bob", 1)
    assert suback.codes == [wire.NOT_AUTHORIZED]
    assert not suback.has(wire.REASON_STRING) and not suback.has(wire.USER_PROPERTY)
