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
"""Rooms (DESIGN §4.5, §4.6, §5) with real clients on 127.0.0.1: a live room's batch window
arrives as one compressed WebSocket message holding many PUBLISH packets; ordinary clients see
ordinary PUBLISH packets in order; the per-client publish rate refuses an MQTT 5 QoS 1 publisher
with 0x97; a subscriber that never reads costs the others nothing.
"""

from __future__ import annotations

import contextlib
import socket

import pytest

import wire
from helpers import TIMEOUT, V311, V5, unique
from test_websocket import OP_BINARY, RSV1, RawWebSocket, _take_packet, inflate_message

pytestmark = pytest.mark.swiftlet_only


@pytest.fixture
def opened(broker_factory):
    with contextlib.ExitStack() as stack:
        yield stack


def test_batch_window_is_one_compressed_websocket_message(broker_factory, opened):
    """Twenty comments published within one 300 ms window reach a permessage-deflate viewer as
    a single compressed WebSocket message that holds all twenty PUBLISH packets, in order."""
    broker = broker_factory("--room", "live/# batch_ms=300")
    raw = RawWebSocket(broker.listener_port("http"), deflate=True)
    opened.callback(raw.close)
    assert raw.deflate
    raw.send_mqtt(wire.connect(unique("viewer"), version=V311))
    assert raw.recv_mqtt().reason == 0
    topic = "live/" + unique("room")
    raw.send_mqtt(wire.subscribe(1, [(topic, 0)], version=V311))
    assert raw.recv_mqtt().type == wire.SUBACK

    publisher = broker.client(V5)
    comments = [f"comment {i:02d} from the crowd".encode() for i in range(20)]
    for comment in comments:
        publisher.publish(topic, comment, qos=0, wait=False)
    publisher.publish(topic, b"last", qos=1)  # also flushes paho's queue before we read

    received: list[bytes] = []
    messages = 0
    while len(received) < 21:
        frame = raw.recv_frame()
        assert frame.opcode == OP_BINARY and frame.fin
        messages += 1
        data = bytearray(inflate_message(frame.payload) if frame.rsv & RSV1 else frame.payload)
        if messages == 1:
            assert frame.rsv & RSV1, "a batch of twenty comments is worth compressing"
        while (packet := _take_packet(data, V311)) is not None:
            assert packet.type == wire.PUBLISH and packet.topic == topic
            received.append(packet.payload)
    assert received == comments + [b"last"]
    # Every message was published within a few milliseconds: one window, at most two if the
    # window closed in the middle of the burst.
    assert messages <= 2, f"{messages} WebSocket messages for one burst"


@pytest.mark.parametrize("version", [V311, V5])
def test_batched_room_reaches_paho_in_publish_order(broker_factory, version):
    broker = broker_factory("--room", "live/# batch_ms=20")
    topic = "live/" + unique("order")
    viewer = broker.client(version)
    viewer.subscribe(topic, qos=0)
    publisher = broker.client(V5)
    for index in range(200):
        publisher.publish(topic, f"{index}".encode(), qos=0, wait=False)
    publisher.publish(topic, b"end", qos=1)
    payloads = [m.payload for m in viewer.get_messages(201)]
    assert payloads == [f"{i}".encode() for i in range(200)] + [b"end"]


def test_client_rate_limit_refuses_qos1_with_quota_exceeded(broker_factory):
    broker = broker_factory("--room", "live/# client_rate_limit=3/s")
    topic = "live/" + unique("rate")
    spammer = broker.raw_connected(version=V5)
    codes = [spammer.publish(topic, b"x", qos=1, pid=index + 1).reason for index in range(5)]
    # A burst of one second's worth passes; the rest are refused, not acknowledged and lost.
    assert codes[:3] == [0x10, 0x10, 0x10]  # no subscribers: 0x10, but accepted
    assert codes[3:] == [0x97, 0x97]
    # Another client has its own budget.
    other = broker.raw_connected(version=V5)
    assert other.publish(topic, b"y", qos=1, pid=1).reason == 0x10


def test_stalled_reader_costs_the_room_nothing(broker_factory):
    """A subscriber that never reads its socket: once its outbound buffer is full its QoS 0
    messages are dropped and counted (with a log line); a subscriber in the same room gets
    every message, in order, and the broker keeps serving new clients."""
    broker = broker_factory("--max-outbound-bytes", "65536")
    topic = "room/" + unique("stall")
    stalled_id = unique("stalled")
    stalled = wire.RawClient(broker.host, broker.port, version=V311, rcvbuf=4096)
    broker._clients.append(stalled)
    stalled.connected(stalled_id)
    stalled.subscribe(topic, 0)
    # From here on the stalled client reads nothing at all.

    fast = broker.client(V311)
    fast.subscribe(topic, qos=1)
    publisher = broker.client(V311)
    payload = b"x" * 1024
    count = 3000  # 3 MB: far beyond the stalled client's socket buffers and outbound limit
    mark = broker.mark()
    for index in range(count):
        publisher.publish(topic, index.to_bytes(4, "big") + payload, qos=1, wait=False)
    publisher.publish(topic, b"end", qos=1)
    received = fast.get_messages(count + 1, timeout=30)
    assert [int.from_bytes(m.payload[:4], "big") for m in received[:-1]] == list(range(count))
    assert received[-1].payload == b"end"
    line = broker.wait_for_log(r"slow consumer: messages dropped", since=mark, timeout=TIMEOUT)
    assert stalled_id in line
    # The broker still answers promptly.
    newcomer = broker.client(V5)
    newcomer.subscribe(topic + "/fresh", qos=1)
    publisher.publish(topic + "/fresh", b"hello", qos=1)
    assert newcomer.get_message().payload == b"hello"
