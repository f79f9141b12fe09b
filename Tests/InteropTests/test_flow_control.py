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
"""Flow control: server Receive Maximum, the client's Receive Maximum, the outbound
in-flight window, slow consumers."""

import pytest

import wire
from helpers import V311, V5, unique


def test_connack_announces_the_server_receive_maximum(broker_factory):
    # 3.2.2.3.3: the server's Receive Maximum (--max-inflight) is sent in CONNACK.
    b = broker_factory("--max-inflight", "2")
    assert b.raw(V5).connect(unique("rm")).prop(wire.RECEIVE_MAXIMUM) == 2


@pytest.mark.mosquitto_deviation("2.0.11 does not disconnect a client exceeding its Receive Maximum")
def test_exceeding_the_server_receive_maximum_disconnects_with_0x93(broker_factory):
    # [MQTT-3.3.4-7] binds the client; 3.3.4 / 4.9: a server receiving more than Receive
    # Maximum unacknowledged QoS 2 PUBLISHes uses DISCONNECT 0x93 (Receive Maximum
    # exceeded) and closes.
    b = broker_factory("--max-inflight", "2")
    witness_sub = b.client(V311)
    witness_sub.subscribe("rmx/#", 2)
    c = b.raw(V5)
    assert c.connect(unique("greedy")).prop(wire.RECEIVE_MAXIMUM) == 2
    for pid in (1, 2):
        c.send(wire.publish("rmx/t", b"ok", qos=2, pid=pid))
        assert c.expect(wire.PUBREC).pid == pid
    c.send(wire.publish("rmx/t", b"one too many", qos=2, pid=3))
    seen = c.wait_closed()
    disconnects = [p for p in seen if p.type == wire.DISCONNECT]
    assert disconnects and disconnects[0].reason == wire.RECEIVE_MAXIMUM_EXCEEDED, f"got {seen!r}"
    assert b.alive() and witness_sub.is_connected()


def test_staying_within_the_server_receive_maximum_is_fine(broker_factory):
    # [MQTT-4.9.0-1]/[MQTT-4.9.0-2] from the client side: completing QoS 2 flows frees
    # the quota again, so a client that never exceeds 2 in flight can send forever.
    b = broker_factory("--max-inflight", "2")
    sub = b.client(V5)
    sub.subscribe("rmok/t", 2)
    c = b.raw_connected(unique("polite"), V5)
    for round_ in range(3):
        pids = (2 * round_ + 1, 2 * round_ + 2)
        for pid in pids:
            c.send(wire.publish("rmok/t", f"{pid}".encode(), qos=2, pid=pid))
            assert c.expect(wire.PUBREC).pid == pid
        for pid in pids:
            c.send(wire.ack(wire.PUBREL, pid))
            assert c.expect(wire.PUBCOMP).pid == pid
    assert sorted(int(m.payload) for m in sub.get_messages(6)) == [1, 2, 3, 4, 5, 6]
    assert c.is_open()


@pytest.mark.mosquitto_deviation("2.0.11 sends two PUBLISHes for one PUBACK, exceeding Receive Maximum")
def test_server_respects_the_client_receive_maximum_qos1(broker):
    # [MQTT-3.3.4-9] and [MQTT-4.9.0-2]: no more than the client's Receive Maximum
    # unacknowledged QoS 1 PUBLISHes; each PUBACK frees one slot.
    sub = broker.raw(V5)
    sub.connected(unique("rm2"), props=[(wire.RECEIVE_MAXIMUM, 2)])
    sub.subscribe("quota/q1", 1)
    pub = broker.client(V5)
    for i in range(6):
        pub.publish("quota/q1", f"{i}".encode(), qos=1)
    first = [sub.expect_publish(ack_it=False) for _ in range(2)]
    sub.expect_nothing()
    sub.send(wire.ack(wire.PUBACK, first[0].pid))
    third = sub.expect_publish(ack_it=False)
    sub.expect_nothing()
    for pkt in (first[1], third):
        sub.send(wire.ack(wire.PUBACK, pkt.pid))
    rest = [sub.expect_publish() for _ in range(3)]
    assert [int(p.payload) for p in first + [third] + rest] == list(range(6))


def test_server_respects_the_client_receive_maximum_qos2(broker):
    # [MQTT-3.3.4-9]: for QoS 2 the slot is freed by PUBCOMP, not by PUBREC.
    sub = broker.raw(V5)
    sub.connected(unique("rm1"), props=[(wire.RECEIVE_MAXIMUM, 1)])
    sub.subscribe("quota/q2", 2)
    pub = broker.client(V5)
    for i in range(2):
        pub.publish("quota/q2", f"{i}".encode(), qos=2)
    first = sub.expect_publish(ack_it=False)
    sub.send(wire.ack(wire.PUBREC, first.pid))
    assert sub.expect(wire.PUBREL).pid == first.pid
    sub.expect_nothing()
    sub.send(wire.ack(wire.PUBCOMP, first.pid))
    second = sub.expect_publish()
    assert (first.payload, second.payload) == (b"0", b"1")


def test_other_packets_flow_when_the_quota_is_exhausted(broker):
    # [MQTT-4.9.0-3] and [MQTT-3.3.4-10]: with a send quota of zero the server still
    # answers PINGREQ, SUBSCRIBE and UNSUBSCRIBE.
    sub = broker.raw(V5)
    sub.connected(unique("rm0"), props=[(wire.RECEIVE_MAXIMUM, 1)])
    sub.subscribe("quota/busy", 1)
    pub = broker.client(V5)
    pub.publish("quota/busy", b"a", qos=1)
    pub.publish("quota/busy", b"b", qos=1)
    held = sub.expect_publish(ack_it=False)
    sub.send(wire.pingreq())
    assert sub.expect(wire.PINGRESP)
    sub.send(wire.subscribe(77, [("quota/other", 1)]))
    assert sub.expect(wire.SUBACK).pid == 77
    sub.send(wire.unsubscribe(78, ["quota/other"]))
    assert sub.expect(wire.UNSUBACK).pid == 78
    sub.send(wire.ack(wire.PUBACK, held.pid))
    assert sub.expect_publish().payload == b"b"


def test_v311_outbound_inflight_window(broker_factory):
    # DESIGN §4.6 (--max-inflight) and [MQTT-4.4.0-1]: a 3.1.1 subscriber has at most
    # the in-flight window of unacknowledged QoS 1 messages; the rest wait, in order.
    b = broker_factory("--max-inflight", "2")
    sub = b.raw(V311)
    sub.connected(unique("win"))
    sub.subscribe("window/t", 1)
    pub = b.client(V311)
    for i in range(5):
        pub.publish("window/t", f"{i}".encode(), qos=1)
    held = [sub.expect_publish(ack_it=False) for _ in range(2)]
    sub.expect_nothing()
    for pkt in held:
        sub.send(wire.ack(wire.PUBACK, pkt.pid, version=V311))
    rest = [sub.expect_publish() for _ in range(3)]
    assert [int(p.payload) for p in held + rest] == list(range(5))


def test_slow_consumer_does_not_stall_others(broker):
    # DESIGN §4.6: a subscriber that stops reading cannot hold up delivery to others
    # (its socket buffer fills; QoS 0 for it may be dropped).
    stuck = broker.raw(V311, rcvbuf=4096)
    stuck.connected(unique("stuck"))
    stuck.subscribe("flood/t", 0)
    fast = broker.client(V5)
    fast.subscribe("flood/t", 1)
    pub = broker.client(V5)
    chunk = b"x" * 4000
    count = 600  # ≈ 2.4 MB, far beyond the stuck client's socket buffers
    for i in range(count):
        pub.publish("flood/t", b"%05d" % i + chunk, qos=1, wait=(i % 50 == 49))
    got = fast.get_messages(count, timeout=20)
    assert [int(m.payload[:5]) for m in got] == list(range(count))
    assert broker.alive()
