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
"""Status events (DESIGN §7, docs/status-events.md): a backend authenticated with a cloud key
follows connects and disconnects on `$SYS/clients/+/+` with paho, for a clean DISCONNECT, a
dropped socket and a keep-alive timeout; a device may not subscribe there."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from helpers import V311, V5, unique

pytestmark = pytest.mark.swiftlet_only


def signature(secret: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), client_id.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def events_broker(broker_factory):
    return broker_factory("--access-key", "CLOUD:cloud-secret:cloud")


def backend(broker):
    client_id = unique("backend")
    client = broker.client(V5, client_id, username="Signature|CLOUD|inst", password=signature("cloud-secret", client_id))
    client.subscribe("$SYS/clients/+/+", qos=1)
    return client


def next_event(client, topic_suffix: str, client_id: str) -> dict:
    while True:
        message = client.get_message()
        event = json.loads(message.payload)
        if event["clientId"] == client_id and message.topic.endswith(topic_suffix):
            assert message.topic == f"$SYS/clients/{client_id}/{topic_suffix}"
            return event


def test_connect_and_clean_disconnect(events_broker):
    watcher = backend(events_broker)
    device_id = "GID_demo@@@" + unique("phone")
    device = events_broker.client(V311, device_id, keepalive=45)
    connected = next_event(watcher, "connected", device_id)
    assert connected["eventType"] == "connect"
    assert connected["groupId"] == "GID_demo"
    assert connected["protocolVersion"] == "3.1.1"
    assert connected["keepalive"] == 45
    assert connected["transport"] == "tcp"
    assert connected["ip"] == "127.0.0.1"
    device.disconnect()
    gone = next_event(watcher, "disconnected", device_id)
    assert (gone["eventType"], gone["reason"]) == ("disconnect", "clean")
    assert gone["channelId"] == connected["channelId"]
    assert gone["time"] >= connected["time"]


def test_dropped_socket_is_tcpclean(events_broker):
    watcher = backend(events_broker)
    raw = events_broker.raw_connected("dropper", version=V5)
    assert next_event(watcher, "connected", "dropper")["eventType"] == "connect"
    raw.close()
    gone = next_event(watcher, "disconnected", "dropper")
    assert (gone["eventType"], gone["reason"]) == ("tcpclean", "connection lost")


def test_keepalive_timeout_is_named(events_broker):
    watcher = backend(events_broker)
    raw = events_broker.raw_connected("sleeper", version=V5, keepalive=1)
    next_event(watcher, "connected", "sleeper")
    # 1.5 × keep-alive without a packet [MQTT-3.1.2-22]
    gone = next_event(watcher, "disconnected", "sleeper")
    assert (gone["eventType"], gone["reason"], gone["reasonCode"]) == ("tcpclean", "keepalive timeout", 0x8D)
    raw.close()


def test_devices_cannot_read_status_events(events_broker):
    device = events_broker.raw_connected(unique("nosy"), version=V5)
    assert device.subscribe([("$SYS/clients/+/+", 1)]).codes == [0x87]
