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
"""Shared subscriptions ``$share/{group}/{filter}`` (MQTT 5 section 4.8.2; offered to
3.1.1 clients too, as Mosquitto, EMQX and HiveMQ do)."""

import queue
import time

import pytest

import wire
from helpers import V311, V5, unique

V311_V5 = [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]


def gather(clients, total, timeout=5.0):
    """Read until ``total`` messages arrived across ``clients``, then until a sentinel on each,
    and return ``{client_id: [Message, ...]}`` including any extra deliveries."""
    got = {c.client_id: [] for c in clients}
    deadline = time.monotonic() + timeout
    while sum(len(v) for v in got.values()) < total:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {sum(len(v) for v in got.values())} of {total} messages: {got}")
        for c in clients:
            try:
                got[c.client_id].append(c.messages.get(timeout=0.01))
            except queue.Empty:
                pass
    for c in clients:
        got[c.client_id].extend(c.messages_until_sentinel())
    return got


def payloads(got):
    return sorted(m.payload for messages in got.values() for m in messages)


@pytest.mark.parametrize("version", V311_V5)
def test_shared_subscription_delivers_each_message_to_one_member(broker, version):
    # 4.8.2 (5.0): each message matching a Shared Subscription goes to exactly one of
    # the sessions attached to it; Swiftlet's contract: round-robin, so two members
    # share ten messages five and five (allowing one of slack).
    members = [broker.client(version, unique("member")) for _ in range(2)]
    for m in members:
        assert m.subscribe("$share/workers/jobs/+", 1) == [1]
    pub = broker.client(version)
    for i in range(10):
        pub.publish(f"jobs/{i % 3}", f"job{i}".encode(), qos=1)
    got = gather(members, 10)
    assert payloads(got) == sorted(f"job{i}".encode() for i in range(10)), "lost or duplicated messages"
    counts = [len(v) for v in got.values()]
    assert min(counts) >= 4, f"not round-robin: {counts}"


def test_shared_and_non_shared_subscribers_each_get_their_copy(broker):
    # 4.8.2 (5.0) worked example: each share group gets one copy, and every non-shared
    # subscriber gets its own.
    group_a = [broker.client(V5) for _ in range(2)]
    group_b = [broker.client(V5)]
    plain = broker.client(V5)
    for c in group_a:
        c.subscribe("$share/a/news/#", 1)
    group_b[0].subscribe("$share/b/news/#", 1)
    plain.subscribe("news/#", 1)
    pub = broker.client(V5)
    for i in range(4):
        pub.publish("news/today", f"n{i}".encode(), qos=1)
    assert payloads(gather(group_a, 4)) == [b"n0", b"n1", b"n2", b"n3"]
    assert [m.payload for m in group_b[0].get_messages(4)] == [b"n0", b"n1", b"n2", b"n3"]
    assert [m.payload for m in plain.get_messages(4)] == [b"n0", b"n1", b"n2", b"n3"]


def test_shared_subscription_respects_each_members_granted_qos(broker):
    # [MQTT-4.8.2-3] (5.0): the server MUST respect the granted QoS of the member it
    # delivers to.
    low, high = broker.client(V5), broker.client(V5)
    assert low.subscribe("$share/mixed/q", 0) == [0]
    assert high.subscribe("$share/mixed/q", 2) == [2]
    pub = broker.client(V5)
    for i in range(8):
        pub.publish("q", f"{i}".encode(), qos=2)
    got = gather([low, high], 8)
    assert payloads(got) == sorted(f"{i}".encode() for i in range(8))
    assert {m.qos for m in got[low.client_id]} <= {0}
    assert {m.qos for m in got[high.client_id]} <= {2}
    assert got[low.client_id] and got[high.client_id], "one member got nothing"


@pytest.mark.mosquitto_deviation("2.0.11 sends retained messages when a shared subscription is made")
def test_retained_messages_are_not_sent_to_shared_subscriptions(broker):
    # 4.8.2 / 3.3.1.3 (5.0): retained messages are not sent when a Shared Subscription
    # is made.
    broker.client(V5).publish("shared/retained", b"old news", qos=1, retain=True)
    member = broker.client(V5)
    member.subscribe("$share/g/shared/retained", 1)
    member.expect_no_message()
    broker.client(V5).publish("shared/retained", b"live", qos=1)
    msg = member.get_message()
    assert (msg.payload, msg.retain) == (b"live", False)


def test_remaining_member_gets_everything_after_another_leaves(broker):
    # 4.8.2 (5.0): a session that unsubscribes (or disconnects) is detached; the shared
    # subscription keeps delivering to the rest.
    stays, leaves, quits = broker.client(V5), broker.client(V5), broker.client(V5)
    for c in (stays, leaves, quits):
        c.subscribe("$share/g/rest", 1)
    leaves.unsubscribe("$share/g/rest")
    quits.disconnect()
    pub = broker.client(V5)
    for i in range(5):
        pub.publish("rest", f"{i}".encode(), qos=1)
    assert [m.payload for m in stays.get_messages(5)] == [f"{i}".encode() for i in range(5)]
    leaves.expect_no_message()


@pytest.mark.parametrize("topic_filter", [
    "$share/gr+oup/t", "$share/gr#p/t",
    pytest.param("$share//t", marks=pytest.mark.mosquitto_deviation("2.0.11 grants an empty ShareName")),
    pytest.param("$share/g", marks=pytest.mark.mosquitto_deviation(
        "2.0.11 grants '$share/g' as an ordinary filter")),
])
def test_invalid_shared_subscription_is_refused(broker, witness, topic_filter):
    # [MQTT-4.8.2-1], [MQTT-4.8.2-2] (5.0): ShareName non-empty, without "/", "+" or "#",
    # followed by "/" and a Topic Filter. Invalid → SUBACK failure or close.
    c = broker.raw_connected(None, V5)
    c.send(wire.subscribe(8, [(topic_filter, 1)]))
    try:
        answer = c.recv()
    except wire.Closed:
        answer = None
    if answer is not None and answer.type == wire.SUBACK:
        assert answer.codes[0] >= 0x80, f"{topic_filter!r} was granted"
    elif answer is not None:
        assert answer.type == wire.DISCONNECT and answer.reason >= 0x80, f"unexpected {answer!r}"
        c.wait_closed()
    witness.check()
