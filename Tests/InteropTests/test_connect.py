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
"""CONNECT / CONNACK, client identifiers, takeover, PINGREQ, keep-alive, AUTH."""

import time

import pytest

import wire
from helpers import V31, V311, V5, props, unique
from paho.mqtt.packettypes import PacketTypes

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_connect_is_acknowledged_with_success(broker, version):
    # [MQTT-3.1.4-4] (3.1.1) / [MQTT-3.1.4-5] (5.0): a valid CONNECT gets CONNACK 0x00;
    # [MQTT-3.2.2-1] (3.1.1) / [MQTT-3.2.2-2] (5.0): Clean Session 1 → Session Present 0.
    c = broker.raw(version)
    connack = c.connect(unique("hello"), clean=True)
    assert connack.reason == 0
    if version != V31:  # MQTT 3.1 has no Session Present flag
        assert connack.session_present is False
    # [MQTT-3.2.2-1] (5.0) / 3.2.2.1: bits 7-1 of the acknowledge flags are reserved, 0.
    assert connack.body[0] & 0xFE == 0
    if version != V5:
        assert connack.body == b"\x00\x00", "a 3.x CONNACK has exactly two bytes of body"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_paho_connects_with_every_protocol_version(broker, version):
    # [MQTT-3.1.4-4] / [MQTT-3.1.4-5]: a real client library connects, subscribes and
    # receives its own message on 3.1, 3.1.1 and 5.0.
    c = broker.client(version)
    assert c.subscribe("hello/world", 1) == [1]
    c.publish("hello/world", b"hi", qos=1)
    msg = c.get_message()
    assert (msg.topic, msg.payload, msg.qos) == ("hello/world", b"hi", 1)


def test_unsupported_protocol_level_is_refused(broker):
    # [MQTT-3.1.2-2] (3.1.1): CONNACK 0x01 (unacceptable protocol level), then close.
    # (5.0 [MQTT-3.1.2-2] allows 0x84 instead; either way the client is not accepted.)
    c = broker.raw(V311)
    c.send(wire.connect(unique("lvl"), version=7))
    seen = c.wait_closed()
    assert seen, "expected a CONNACK refusing the protocol level before the close"
    assert seen[0].type == wire.CONNACK
    assert seen[0].reason in (wire.RC_UNACCEPTABLE_PROTOCOL_VERSION, wire.UNSUPPORTED_PROTOCOL_VERSION)


def test_unknown_protocol_name_is_not_accepted(broker):
    # [MQTT-3.1.2-1]: a wrong protocol name MAY get a refusing CONNACK, and the
    # connection MUST NOT be accepted as MQTT.
    c = broker.raw(V311)
    c.send(wire.connect(unique("name"), version=V311, protocol_name="MQTX"))
    for pkt in c.wait_closed():
        assert pkt.type != wire.CONNACK or pkt.reason != 0, f"accepted a bogus protocol: {pkt!r}"


@pytest.mark.parametrize("version", V311_V5)
def test_reserved_connect_flag_closes_the_connection(broker, witness, version):
    # [MQTT-3.1.2-3]: the reserved flag in CONNECT must be 0, else disconnect.
    c = broker.raw(version)
    c.send(wire.connect(unique("rsv"), version=version, reserved_flag=True))
    for pkt in c.wait_closed():
        assert pkt.type != wire.CONNACK or pkt.reason != 0, f"accepted: {pkt!r}"
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_first_packet_must_be_connect(broker, witness, version):
    # [MQTT-3.1.0-1] + [MQTT-4.8.0-1] (3.1.1) / [MQTT-4.13.1-1] (5.0): anything else
    # first is a protocol violation and the connection is closed, with no CONNACK.
    c = broker.raw(version)
    c.send(wire.publish("early/bird", b"x", version=version))
    for pkt in c.wait_closed():
        assert pkt.type != wire.CONNACK, f"sent a CONNACK to a client that never connected: {pkt!r}"
    witness.check()


@pytest.mark.parametrize("version", V311_V5)
def test_second_connect_is_a_protocol_violation(broker, witness, version):
    # [MQTT-3.1.0-2]: a second CONNECT is a protocol violation; close the connection.
    c = broker.raw_connected(unique("twice"), version)
    c.send(wire.connect(unique("twice"), version=version))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    witness.check()


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_client_identifier_of_23_alphanumerics_is_accepted(broker, version):
    # [MQTT-3.1.3-5]: 1..23 bytes of [0-9a-zA-Z] MUST be allowed.
    client_id = "Az09" + "x" * 18 + "9"
    assert len(client_id) == 23
    c = broker.raw(version)
    assert c.connect(client_id).reason == 0


def test_v311_empty_client_id_with_clean_session_is_assigned(broker):
    # [MQTT-3.1.3-6]: a zero-length ClientId is accepted (clean session) and the
    # server assigns a unique one; the client is fully usable.
    c = broker.raw(V311)
    assert c.connect("", clean=True).reason == 0
    assert c.subscribe("anon/topic", 1).codes == [1]
    c.publish("anon/topic", b"me", qos=1)
    assert c.expect_publish().payload == b"me"


def test_v311_empty_client_id_with_persistent_session_is_rejected(broker):
    # [MQTT-3.1.3-8]: zero-byte ClientId with CleanSession 0 → CONNACK 0x02, then close.
    c = broker.raw(V311)
    c.send(wire.connect("", version=V311, clean=False))
    seen = c.wait_closed()
    assert seen and seen[0].type == wire.CONNACK, f"expected a CONNACK, got {seen!r}"
    assert seen[0].reason == wire.RC_IDENTIFIER_REJECTED
    # [MQTT-3.2.2-4] (3.1.1): a refusing CONNACK has Session Present 0.
    assert seen[0].session_present is False


def test_v5_empty_client_id_gets_an_assigned_client_identifier(broker):
    # [MQTT-3.1.3-6], [MQTT-3.1.3-7], [MQTT-3.2.2-16]: the CONNACK carries an Assigned
    # Client Identifier that no other session uses.
    a = broker.raw(V5)
    b = broker.raw(V5)
    id_a = a.connect("").prop(wire.ASSIGNED_CLIENT_IDENTIFIER)
    id_b = b.connect("").prop(wire.ASSIGNED_CLIENT_IDENTIFIER)
    assert id_a and id_b, "CONNACK lacks Assigned Client Identifier"
    assert id_a != id_b


def test_v5_connack_has_no_assigned_identifier_when_client_chose_one(broker):
    # [MQTT-3.2.2-16] (converse) and 3.2.2.3.7: only a zero-length ClientID gets one.
    c = broker.raw(V5)
    assert not c.connect(unique("named")).has(wire.ASSIGNED_CLIENT_IDENTIFIER)


def test_v5_no_response_information_unless_requested(broker):
    # [MQTT-3.1.2-28]: Request Response Information absent (0) → the server MUST NOT
    # return Response Information.
    c = broker.raw(V5)
    assert not c.connect(unique("noresp")).has(wire.RESPONSE_INFORMATION)


def test_v5_connack_advertises_no_missing_features(broker):
    # 3.2.2.3.4/5/11/12/13 and [MQTT-3.2.2-9]: the broker supports QoS 2, retain,
    # wildcards, subscription identifiers and shared subscriptions, so each of these
    # properties is either absent (meaning "supported") or says so.
    connack = broker.raw(V5).connect(unique("feat"))
    assert not connack.has(wire.MAXIMUM_QOS), "Maximum QoS present: QoS 2 is not supported"
    for pid in (wire.RETAIN_AVAILABLE, wire.WILDCARD_SUBSCRIPTION_AVAILABLE,
                wire.SUBSCRIPTION_IDENTIFIER_AVAILABLE, wire.SHARED_SUBSCRIPTION_AVAILABLE):
        assert connack.prop(pid, 1) == 1, f"CONNACK says property 0x{pid:02x} is unavailable"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_pingreq_gets_pingresp(broker, version):
    # [MQTT-3.12.4-1]: the server MUST answer PINGREQ with PINGRESP.
    c = broker.raw_connected(None, version)
    for _ in range(3):
        c.send(wire.pingreq())
        pkt = c.expect(wire.PINGRESP)
        assert pkt.body == b""


@pytest.mark.parametrize("version", [pytest.param(V31, id="v31"), pytest.param(V311, id="v311")])
def test_takeover_disconnects_the_existing_client_v3(broker, version):
    # [MQTT-3.1.4-2] (3.1.1): a CONNECT with the ClientId of a connected client
    # MUST disconnect the existing client; the new one is accepted.
    client_id = unique("dup")
    old = broker.raw_connected(client_id, version)
    new = broker.raw(version)
    assert new.connect(client_id).reason == 0
    old.wait_closed()
    assert new.is_open()


@pytest.mark.mosquitto_deviation("2.0.11 closes the old connection without DISCONNECT 0x8E")
def test_takeover_sends_disconnect_0x8e_to_the_existing_v5_client(broker):
    # [MQTT-3.1.4-3]: the existing client gets DISCONNECT 0x8E (Session taken over)
    # and its connection is closed.
    client_id = unique("dup5")
    old = broker.raw_connected(client_id, V5)
    new = broker.raw(V5)
    assert new.connect(client_id).reason == 0
    seen = old.wait_closed()
    assert [p.type for p in seen] == [wire.DISCONNECT], f"old client got {seen!r}"
    assert seen[0].reason == wire.SESSION_TAKEN_OVER
    assert new.is_open()


def test_takeover_with_paho_across_versions(broker):
    # [MQTT-3.1.4-2] / [MQTT-3.1.4-3]: the ClientID identifies the session whatever the
    # protocol version; a v5 client takes over a 3.1.1 one and gets its messages.
    client_id = unique("xver")
    old = broker.client(V311, client_id)
    new = broker.client(V5, client_id)
    old.wait_disconnected()
    assert new.subscribe("xver/t", 1) == [1]
    publisher = broker.client(V311)
    publisher.publish("xver/t", b"to-new", qos=1)
    assert new.get_message().payload == b"to-new"
    # The old connection is closed, so nothing can reach it any more: whatever it got before the
    # close is in its queue already.
    assert old.drain() == []


@pytest.mark.mosquitto_deviation("checks keep-alive only every ~5 s, so Keep Alive 1 closes after ~5 s")
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_keep_alive_timeout_closes_silent_client(broker, version):
    # [MQTT-3.1.2-24] (3.1.1) / [MQTT-3.1.2-22] (5.0): no packet within 1.5 × Keep Alive
    # → the server closes the connection (v5 MAY send DISCONNECT 0x8D first). Allowed
    # slack: 1.5 s beyond the 1.5 s deadline.
    c = broker.raw(version)
    started = time.monotonic()
    assert c.connect(unique("ka"), keepalive=1).reason == 0
    seen = c.wait_closed(timeout=3.0)
    elapsed = time.monotonic() - started
    assert elapsed >= 1.0, f"closed after {elapsed:.2f}s, before even one Keep Alive period"
    for pkt in seen:
        assert pkt.type == wire.DISCONNECT and pkt.reason == wire.KEEP_ALIVE_TIMEOUT, f"unexpected {pkt!r}"


def test_keep_alive_is_satisfied_by_pings(broker):
    # [MQTT-3.1.2-23] (3.1.1, client side) / [MQTT-3.1.2-24]: a client that sends a
    # PINGREQ about every 0.5 s with Keep Alive 1 s must stay connected well past 1.5 s. Each
    # round: 0.45 s of silence watched (the keep-alive clock is what is under test), then the
    # two PINGREQ round trips that end expect_nothing.
    c = broker.raw_connected(unique("alive"), V311, keepalive=1)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        c.expect_nothing(watch=0.45)
    assert c.is_open()


def test_keep_alive_zero_means_no_timeout(broker):
    # 3.1.2.10: Keep Alive 0 turns the mechanism off; a silent client stays connected.
    c = broker.raw_connected(unique("ka0"), V5, keepalive=0)
    c.expect_nothing(watch=1.6)   # past 1.5 × any keep-alive the broker might assume
    assert c.is_open()


def test_v5_server_keep_alive_overrides_a_larger_client_value(broker_factory):
    # 3.2.2.3.14 and [MQTT-3.2.2-21]/[MQTT-3.2.2-22]: a server with a maximum keep-alive
    # answers a larger client value with Server Keep Alive, which the client must use.
    b = broker_factory("--max-keepalive", "10")
    connack = b.raw(V5).connect(unique("ska"), keepalive=600)
    assert connack.prop(wire.SERVER_KEEP_ALIVE) == 10


@pytest.mark.swiftlet_only  # Mosquitto refuses max_keepalive below 10 s (too slow here)
def test_v5_server_keep_alive_is_enforced(broker_factory):
    # [MQTT-3.2.2-21] + [MQTT-3.1.2-22]: the server enforces the keep-alive it imposed.
    b = broker_factory("--max-keepalive", "1")
    c = b.raw(V5)
    connack = c.connect(unique("ska1"), keepalive=600)
    assert connack.prop(wire.SERVER_KEEP_ALIVE) == 1
    started = time.monotonic()
    c.wait_closed(timeout=3.0)
    assert time.monotonic() - started >= 1.0


def test_v5_authentication_method_not_supported(broker, witness):
    # [MQTT-4.12.0-1]: an unsupported Authentication Method gets CONNACK 0x8C (Bad
    # authentication method) or 0x87, and the connection is closed.
    c = broker.raw(V5)
    c.send(wire.connect(unique("auth"), props=[(wire.AUTHENTICATION_METHOD, "SCRAM-SHA-1"),
                                               (wire.AUTHENTICATION_DATA, b"n,,n=user,r=abc")]))
    seen = c.wait_closed()
    assert seen and seen[0].type == wire.CONNACK, f"expected CONNACK, got {seen!r}"
    assert seen[0].reason == wire.BAD_AUTHENTICATION_METHOD
    # [MQTT-3.2.2-6]: a non-zero reason code means Session Present 0.
    assert seen[0].session_present is False
    witness.check()


def test_v5_auth_packet_without_authentication_method_is_a_protocol_error(broker, witness):
    # [MQTT-4.12.0-7] / 4.12: AUTH from a client that did not connect with an
    # Authentication Method is a Protocol Error: DISCONNECT (≥ 0x80) and close.
    c = broker.raw_connected(unique("reauth"), V5)
    c.send(wire.auth(0x19, [(wire.AUTHENTICATION_METHOD, "SCRAM-SHA-1")]))
    for pkt in c.wait_closed():
        assert pkt.type == wire.DISCONNECT and pkt.reason >= 0x80, f"unexpected {pkt!r}"
    witness.check()


def test_v5_connect_properties_do_not_break_paho(broker):
    # 3.1.2.11: a CONNECT carrying every client property a real library sends is accepted.
    c = broker.client(V5, connect_props=props(
        PacketTypes.CONNECT, SessionExpiryInterval=0, ReceiveMaximum=100, MaximumPacketSize=65536,
        TopicAliasMaximum=0, RequestProblemInformation=1, UserProperty=[("app", "interop")]))
    assert c.connack[0] == 0
