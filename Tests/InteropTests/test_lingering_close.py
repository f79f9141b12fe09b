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
"""A close that lets the client read why (DESIGN §9): after a DISCONNECT with a reason code the
broker half-closes, drops what still arrives, and closes when the client does or after 2 s.

Closing at once makes the kernel answer the client's bytes still in flight with a reset, and
the client may never read the DISCONNECT: the Eclipse Paho MQTT 5 test ``test_flow_control2``
fails exactly so (its PUBRELs meet a closed socket).
"""

from __future__ import annotations

import time

import pytest

import wire
from helpers import V5, unique

# The broker's linger bound (BrokerConfiguration.closeLingerTimeout) plus slack for a loaded
# 2-core machine running a debug build.
LINGER = 2.0
SLACK = 3.0


def exceed_receive_maximum(client: wire.RawClient, count: int) -> None:
    """QoS 2 PUBLISHes never released, one more than the server's Receive Maximum, then the
    PUBRELs the Paho test sends after them: bytes that are in flight when the broker closes."""
    burst = b"".join(wire.publish("lingering/t", b"m", qos=2, pid=pid, version=V5) for pid in range(1, count + 2))
    client.send(burst)
    client.send(b"".join(wire.ack(wire.PUBREL, pid, version=V5) for pid in range(1, count + 2)) * 50)


@pytest.mark.swiftlet_only
def test_disconnect_is_readable_although_the_client_kept_sending(broker_factory):
    broker = broker_factory("--max-inflight", "4")
    client = broker.raw(V5)
    connack = client.connected(unique("rm"))
    receive_maximum = connack.prop(wire.RECEIVE_MAXIMUM)
    assert receive_maximum == 4
    exceed_receive_maximum(client, receive_maximum)
    # Every PUBREC for the first four, then DISCONNECT 0x93; never a reset before it.
    seen = client.wait_closed(timeout=LINGER + SLACK)
    disconnects = [p for p in seen if p.type == wire.DISCONNECT]
    assert disconnects and disconnects[0].reason == wire.RECEIVE_MAXIMUM_EXCEEDED, seen


@pytest.mark.swiftlet_only
def test_a_client_that_stays_gets_closed_after_the_linger_bound(broker_factory):
    broker = broker_factory("--max-inflight", "4")
    client = broker.raw(V5)
    client.connected(unique("stay"))
    exceed_receive_maximum(client, 4)
    disconnect = client.recv(timeout=SLACK)
    while disconnect.type == wire.PUBREC:  # for the publishes within Receive Maximum
        disconnect = client.recv(timeout=SLACK)
    read_at = time.monotonic()
    assert disconnect.type == wire.DISCONNECT and disconnect.reason == wire.RECEIVE_MAXIMUM_EXCEEDED, disconnect
    # The broker half-closed: the client reads the end of the stream right behind the DISCONNECT.
    with pytest.raises(wire.Closed):
        client.recv(timeout=SLACK)
    # The client neither closes nor stops sending: the broker drops what arrives while it lingers,
    # and once it closes for good the next bytes meet a reset. Each PINGREQ is 2 bytes every
    # 50 ms, so the reset is seen within one of them.
    deadline = read_at + LINGER + SLACK
    while True:
        assert time.monotonic() < deadline, "the half-closed connection was never closed"
        try:
            client.sock.sendall(wire.pingreq())
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.05)  # pacing of the sender, not synchronisation: the reset is the event
    lingered = time.monotonic() - read_at
    # It did linger (not a close at once, which would reset at the first PINGREQ) and not longer
    # than its bound.
    assert lingered >= LINGER - 0.5, f"closed after {lingered:.2f} s"
