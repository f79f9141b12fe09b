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
"""Clean and persistent sessions, Session Present, offline queues, redelivery of
unacknowledged messages, MQTT 5 Session Expiry Interval."""

import time

import pytest

import wire
from helpers import V31, V311, V5, props, unique
from paho.mqtt.packettypes import PacketTypes

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


def persistent(broker, version, client_id, **kwargs):
    """A client whose session outlives its connection (3.x: Clean Session 0; 5.0: Clean
    Start 0 with a Session Expiry Interval)."""
    if version == V5:
        kwargs.setdefault("session_expiry", 300)
    return broker.client(version, client_id, clean=False, **kwargs)


@pytest.mark.parametrize("version", V311_V5)
def test_session_present_reflects_stored_state(broker, version):
    # [MQTT-3.2.2-3] then [MQTT-3.2.2-2] (3.1.1) / [MQTT-3.2.2-3] (5.0): Session Present
    # is 0 without stored state and 1 when the session is resumed.
    client_id = unique("sp")
    first = persistent(broker, version, client_id)
    assert first.session_present is False
    first.subscribe("sp/topic", 1)
    first.disconnect()
    second = persistent(broker, version, client_id)
    assert second.session_present is True


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_offline_messages_are_queued_and_delivered_in_order(broker, version):
    # [MQTT-3.1.2-5] (3.1.1): after a Clean Session 0 client disconnects, the server
    # stores QoS 1 and QoS 2 messages for it; [MQTT-3.1.2-5] (5.0): it resumes from the
    # existing session; [MQTT-4.6.0-5]: in order.
    client_id = unique("offline")
    sub = persistent(broker, version, client_id)
    sub.subscribe("offline/#", 2)
    sub.disconnect()
    pub = broker.client(version)
    for i in range(10):
        pub.publish("offline/chat", f"m{i}".encode(), qos=1 + i % 2)
    back = persistent(broker, version, client_id)
    msgs = back.get_messages(10)
    # Order is guaranteed per topic *and QoS* (4.6), so check each QoS on its own.
    for qos in (1, 2):
        assert [m.payload for m in msgs if m.qos == qos] == \
            [f"m{i}".encode() for i in range(10) if 1 + i % 2 == qos]
    back.expect_no_message()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_subscriptions_survive_reconnect(broker, version):
    # [MQTT-3.1.2-4] (3.1.1) / [MQTT-3.1.2-5] (5.0): subscriptions are session state and
    # are resumed without re-subscribing.
    client_id = unique("subs")
    c = persistent(broker, version, client_id)
    c.subscribe("kept/sub", 1)
    c.disconnect()
    c2 = persistent(broker, version, client_id)
    broker.client(version).publish("kept/sub", b"still subscribed", qos=1)
    assert c2.get_message().payload == b"still subscribed"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_clean_session_discards_previous_session(broker, version):
    # [MQTT-3.1.2-6] (3.1.1) / [MQTT-3.1.2-4] (5.0): Clean Session/Start 1 discards the
    # stored session: no queued messages, no subscriptions, Session Present 0.
    client_id = unique("wipe")
    c = persistent(broker, version, client_id)
    c.subscribe("wipe/t", 1)
    c.disconnect()
    broker.client(version).publish("wipe/t", b"queued", qos=1)
    clean = broker.client(version, client_id, clean=True)
    if version != V31:
        assert clean.session_present is False
    clean.expect_no_message()
    broker.client(version).publish("wipe/t", b"after", qos=1)
    clean.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_clean_session_state_is_not_reused(broker, version):
    # [MQTT-3.1.2-6] (3.1.1): a Clean Session lasts as long as the connection and its
    # state MUST NOT be reused; (5.0) Session Expiry 0 ends the session on close
    # (3.1.2.11.2), so a later Clean Start 0 finds nothing.
    client_id = unique("short")
    c = broker.client(version, client_id, clean=True)
    c.subscribe("short/t", 1)
    c.disconnect()
    later = broker.client(version, client_id, clean=False)
    assert later.session_present is False
    broker.client(version).publish("short/t", b"x", qos=1)
    later.expect_no_message()


def test_v5_session_expiry_zero_ends_session_at_disconnect(broker):
    # 3.1.2.11.2 and [MQTT-3.1.2-23] (5.0): without a Session Expiry Interval (0) the
    # session ends when the network connection closes, even with Clean Start 0.
    client_id = unique("sx0")
    c = broker.client(V5, client_id, clean=False)
    c.subscribe("sx0/t", 1)
    c.disconnect()
    again = broker.client(V5, client_id, clean=False)
    assert again.session_present is False


def test_v5_session_expires_after_its_interval(broker):
    # [MQTT-4.1.0-2] (5.0): the server MUST discard the session once the connection is
    # closed and the Session Expiry Interval (1 s) has passed.
    client_id = unique("sx1")
    c = broker.client(V5, client_id, clean=False, session_expiry=1)
    c.subscribe("sx1/t", 1)
    c.disconnect()
    time.sleep(2.2)  # the expiry clock is what is under test
    again = broker.client(V5, client_id, clean=False, session_expiry=1)
    assert again.session_present is False


def test_v5_session_survives_within_its_interval(broker):
    # [MQTT-3.1.2-23] (5.0): the server MUST store the session while the Session Expiry
    # Interval has not passed.
    client_id = unique("sx5")
    c = broker.client(V5, client_id, clean=False, session_expiry=5)
    c.subscribe("sx5/t", 1)
    c.kill()
    broker.client(V5).publish("sx5/t", b"waiting", qos=1)
    again = broker.client(V5, client_id, clean=False, session_expiry=5)
    assert again.session_present is True
    assert again.get_message().payload == b"waiting"


def test_v5_disconnect_can_shorten_session_expiry(broker):
    # 3.14.2.2.2 (5.0): a Session Expiry Interval on DISCONNECT replaces the one from
    # CONNECT; 0 ends the session now.
    client_id = unique("sxd")
    c = broker.client(V5, client_id, clean=False, session_expiry=300)
    c.subscribe("sxd/t", 1)
    c.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
    again = broker.client(V5, client_id, clean=False, session_expiry=300)
    assert again.session_present is False


@pytest.mark.parametrize("version", V311_V5)
def test_unacknowledged_qos1_is_resent_with_dup_on_reconnect(broker, version):
    # [MQTT-4.4.0-1]: on reconnect with a resumed session the server re-sends
    # unacknowledged PUBLISH packets with their original Packet Identifiers, and
    # [MQTT-3.3.1-1] with DUP 1.
    client_id = unique("redeliver")
    kw = {"props": [(wire.SESSION_EXPIRY_INTERVAL, 300)]} if version == V5 else {}
    sub = broker.raw(version)
    sub.connected(client_id, clean=False, **kw)
    sub.subscribe("redeliver/q1", 1)
    broker.client(version).publish("redeliver/q1", b"ack me", qos=1)
    first = sub.expect_publish(ack_it=False)
    assert first.dup is False
    sub.close()
    again = broker.raw(version)
    assert again.connect(client_id, clean=False, **kw).session_present is True
    resent = again.expect(wire.PUBLISH)
    assert (resent.payload, resent.pid, resent.dup) == (b"ack me", first.pid, True)
    again.send(wire.ack(wire.PUBACK, resent.pid, version=version))
    again.expect_nothing()


@pytest.mark.parametrize("version", V311_V5)
def test_unacknowledged_pubrel_is_resent_on_reconnect(broker, version):
    # [MQTT-4.4.0-1]: a QoS 2 delivery interrupted after PUBREC resumes with PUBREL
    # (same Packet Identifier), and the message is not delivered again.
    client_id = unique("pubrel")
    kw = {"props": [(wire.SESSION_EXPIRY_INTERVAL, 300)]} if version == V5 else {}
    sub = broker.raw(version)
    sub.connected(client_id, clean=False, **kw)
    sub.subscribe("redeliver/q2", 2)
    broker.client(version).publish("redeliver/q2", b"exactly once", qos=2)
    msg = sub.expect_publish(ack_it=False)
    sub.send(wire.ack(wire.PUBREC, msg.pid, version=version))
    assert sub.expect(wire.PUBREL).pid == msg.pid
    sub.close()
    again = broker.raw(version)
    assert again.connect(client_id, clean=False, **kw).session_present is True
    pubrel = again.recv()
    assert (pubrel.type, pubrel.pid) == (wire.PUBREL, msg.pid), f"expected PUBREL, got {pubrel!r}"
    again.send(wire.ack(wire.PUBCOMP, msg.pid, version=version))
    again.expect_nothing()


@pytest.mark.parametrize("version", V311_V5)
def test_inbound_qos2_state_survives_reconnect(broker, version):
    # [MQTT-4.4.0-1] and [MQTT-4.3.3-10]: the client may re-send PUBREL after
    # reconnecting; the server completes with PUBCOMP and delivers exactly once.
    watcher = broker.client(version)
    watcher.subscribe("inbound/q2", 2)
    client_id = unique("inq2")
    kw = {"props": [(wire.SESSION_EXPIRY_INTERVAL, 300)]} if version == V5 else {}
    c = broker.raw(version)
    c.connected(client_id, clean=False, **kw)
    c.send(wire.publish("inbound/q2", b"once", qos=2, pid=21, version=version))
    assert c.expect(wire.PUBREC).pid == 21
    c.close()
    again = broker.raw(version)
    assert again.connect(client_id, clean=False, **kw).session_present is True
    again.send(wire.ack(wire.PUBREL, 21, version=version))
    assert again.expect(wire.PUBCOMP).pid == 21
    assert watcher.get_message().payload == b"once"
    watcher.expect_no_message()


@pytest.mark.parametrize("version", V311_V5)
def test_takeover_resumes_the_same_session(broker, version):
    # [MQTT-3.1.4-2]/[MQTT-3.1.4-3] with [MQTT-3.2.2-2]/[MQTT-3.2.2-3]: a takeover with
    # Clean Session/Start 0 continues the session: Session Present 1, subscriptions kept.
    client_id = unique("cont")
    old = persistent(broker, version, client_id)
    old.subscribe("cont/t", 1)
    new = persistent(broker, version, client_id)
    assert new.session_present is True
    old.wait_disconnected()
    broker.client(version).publish("cont/t", b"to the new connection", qos=1)
    assert new.get_message().payload == b"to the new connection"


def test_queue_limit_bounds_offline_messages(broker_factory):
    # DESIGN §4.6/§9 (--max-queued-messages): a persistent session's offline queue is
    # bounded; excess QoS 1 messages are dropped, never exceeding the limit, in order.
    # (Which end is dropped is not asserted; Mosquitto keeps the oldest.)
    b = broker_factory("--max-queued-messages", "5")
    client_id = unique("bounded")
    sub = b.client(V311, client_id, clean=False)
    sub.subscribe("bounded/t", 1)
    sub.disconnect()
    pub = b.client(V311)
    for i in range(30):
        pub.publish("bounded/t", str(i).encode(), qos=1)
    back = b.client(V311, client_id, clean=False)
    # Everything the session held was sent on resumption, before the sentinel.
    messages = back.messages_until_sentinel()
    got = [int(m.payload) for m in messages]
    # The DISCONNECT may reach the broker after the first publishes did: those went out to the
    # closing connection, stayed unacknowledged, and come back as re-sends with DUP set
    # [MQTT-4.4.0-1]. Only the messages queued while offline are bounded by the limit.
    queued = [int(m.payload) for m in messages if not m.dup]
    assert 1 <= len(queued) <= 5, f"{len(queued)} messages queued with a queue limit of 5: {got}"
    assert got == sorted(got)
