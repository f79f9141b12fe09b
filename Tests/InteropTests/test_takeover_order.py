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
"""A persistent subscriber that keeps reconnecting while a publisher streams QoS 1 messages.

Each reconnect is a new TCP connection, which the broker usually accepts on another event loop
(--threads 2), so the session moves between loops while messages are on their way to it
(DESIGN §4.1, §4.7). Nothing acknowledged to the publisher may be lost [MQTT-4.3.2],
and the subscriber must see the messages in publish order [MQTT-4.6.0-6]; the only
repeats allowed are redeliveries of messages it had not acknowledged yet.
"""

from __future__ import annotations

import threading

import pytest

import wire
from helpers import unique

V5 = wire.V5
MESSAGES = 3000
RECONNECT_EVERY = 250


@pytest.mark.parametrize("abrupt", [True, False], ids=["drop", "disconnect"])
def test_session_moving_between_loops_keeps_order_and_loses_nothing(broker_factory, abrupt):
    b = broker_factory("--threads", "2", "--max-queued-messages", str(MESSAGES))
    client_id = unique("mover")
    topic = f"order/{client_id}"
    persistent = [(wire.SESSION_EXPIRY_INTERVAL, 300)]

    sub = b.raw(V5)
    sub.connected(client_id, clean=True, props=persistent)
    assert sub.subscribe(topic, 1).codes == [1]

    publisher = b.raw_connected(unique("pub"), V5)
    published = threading.Event()
    failure: list[BaseException] = []

    def publish_all() -> None:
        try:
            for seq in range(MESSAGES):
                # QoS 1 and wait for PUBACK: each of these is acknowledged, so none may be lost.
                publisher.publish(topic, str(seq).encode(), qos=1, pid=seq % 60000 + 1)
        except BaseException as error:  # reported by the main thread
            failure.append(error)
        finally:
            published.set()

    thread = threading.Thread(target=publish_all, daemon=True)
    thread.start()

    seen: set[int] = set()
    highest = -1
    received = 0
    while len(seen) < MESSAGES:
        pkt = sub.expect(wire.PUBLISH, timeout=10)
        seq = int(pkt.payload)
        if seq in seen:
            # Only a message that was never acknowledged comes again, and then with DUP set.
            assert pkt.dup, f"message {seq} delivered twice without DUP"
        else:
            assert seq > highest, f"message {seq} arrived after {highest}: order broken"
            seen.add(seq)
            highest = seq
        sub.ack_publish(pkt)
        received += 1
        if received % RECONNECT_EVERY == 0 and len(seen) < MESSAGES:
            if abrupt:
                sub.close()
            else:
                sub.send(wire.packet(wire.DISCONNECT, 0, b""))
                sub.wait_closed()
            sub = b.raw(V5)
            connack = sub.connected(client_id, clean=False, props=persistent)
            assert connack.session_present, "the persistent session was not resumed"

    assert published.wait(30), "the publisher did not finish"
    thread.join(5)
    assert not failure, f"publisher failed: {failure[0]!r}"
    assert seen == set(range(MESSAGES))
