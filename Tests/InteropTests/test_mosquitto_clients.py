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
"""Interop with Eclipse Mosquitto's command-line clients (libmosquitto):
mosquitto_pub, mosquitto_sub and mosquitto_rr, for MQTT 3.1, 3.1.1 and 5.0."""

import os
import threading

import pytest

from helpers import (V31, V311, V5, CLI_VERSIONS, Subscriber, mosquitto_pub, props, run_tool,
                     unique)

ALL_VERSIONS = [pytest.param(V31, id="v31"), pytest.param(V311, id="v311"), pytest.param(V5, id="v5")]
QOS = [pytest.param(0, id="q0"), pytest.param(1, id="q1"), pytest.param(2, id="q2")]


@pytest.mark.parametrize("qos", QOS)
@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_mosquitto_pub_to_mosquitto_sub(broker, version, qos):
    # [MQTT-3.3.1-9]/[MQTT-3.8.4-6] (3.1.1), [MQTT-3.8.4-8] (5.0): payload, topic and
    # QoS arrive intact between two independent client implementations.
    sub = Subscriber(broker.host, broker.port, "cli/+/t", version=version, qos=qos).wait_subscribed()
    mosquitto_pub(broker.host, broker.port, "cli/x/t", "hello from libmosquitto", version=version, qos=qos)
    msg = sub.get_json()
    assert (msg["topic"], msg["payload"], msg["qos"], msg["retain"]) == \
        ("cli/x/t", "hello from libmosquitto", qos, 0)
    assert sub.wait() == 0


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_retained_with_mosquitto_clients(broker, version):
    # [MQTT-3.3.1-5], [MQTT-3.3.1-6] + [MQTT-3.3.1-8] (3.1.1) / [MQTT-3.3.1-9] (5.0).
    mosquitto_pub(broker.host, broker.port, "cli/retained", "kept", version=version, qos=1, retain=True)
    sub = Subscriber(broker.host, broker.port, "cli/retained", version=version, qos=1,
                     extra=["--retained-only"])
    msg = sub.get_json()
    assert (msg["payload"], msg["retain"]) == ("kept", 1)
    assert sub.wait() == 0


def test_cross_version_delivery(broker):
    # [MQTT-4.5.0-1]: one Application Message reaches subscribers of every protocol
    # version; a 3.1 publisher reaches a 5.0 subscriber and back.
    subs = {v: Subscriber(broker.host, broker.port, "cli/xv", version=v, qos=1).wait_subscribed()
            for v in (V31, V311, V5)}
    mosquitto_pub(broker.host, broker.port, "cli/xv", "from 3.1", version=V31, qos=1)
    for v, sub in subs.items():
        assert sub.get_json()["payload"] == "from 3.1", CLI_VERSIONS[v]
        assert sub.wait() == 0


def test_v5_properties_through_mosquitto_clients(broker):
    # [MQTT-3.3.2-4], [MQTT-3.3.2-6], [MQTT-3.3.2-15], [MQTT-3.3.2-17], [MQTT-3.3.2-20].
    sub = Subscriber(broker.host, broker.port, "cli/props", version=V5, qos=1,
                     fmt="%t|%F|%C|%R|%P|%E|%p").wait_subscribed()
    mosquitto_pub(broker.host, broker.port, "cli/props", "body", version=V5, qos=1, extra=[
        "-D", "PUBLISH", "payload-format-indicator", "1",
        "-D", "PUBLISH", "content-type", "text/plain",
        "-D", "PUBLISH", "response-topic", "cli/reply",
        "-D", "PUBLISH", "user-property", "team", "interop",
        "-D", "PUBLISH", "message-expiry-interval", "120"])
    topic, pfi, ctype, rtopic, user, expiry, payload = sub.get().split("|")
    assert (topic, pfi, ctype, rtopic, user, payload) == \
        ("cli/props", "1", "text/plain", "cli/reply", "team:interop", "body")
    assert 119 <= int(expiry) <= 120
    assert sub.wait() == 0


def test_paho_to_mosquitto_sub_user_properties(broker):
    # [MQTT-3.3.2-17]/[MQTT-3.3.2-18]: properties set by one library are read by another.
    sub = Subscriber(broker.host, broker.port, "cli/paho", version=V5, qos=1, fmt="%P %p").wait_subscribed()
    broker.client(V5).publish("cli/paho", b"x", qos=1, properties=props(UserProperty=[("k", "v")]))
    assert sub.get() == "k:v x"


@pytest.mark.parametrize("version", [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")])
def test_persistent_session_with_mosquitto_sub(broker, version):
    # [MQTT-3.1.2-4]/[MQTT-3.1.2-5] (3.1.1), [MQTT-3.1.2-5]/[MQTT-3.1.2-23] (5.0): queued
    # QoS 1 messages reach a libmosquitto client that comes back to its session.
    client_id = unique("clisess")
    extra = ["-c", "-i", client_id] + (["-x", "300"] if version == V5 else [])
    first = Subscriber(broker.host, broker.port, "cli/sess", version=version, qos=1, extra=extra).wait_subscribed()
    first.stop()  # SIGTERM: mosquitto_sub disconnects cleanly, the session stays
    mosquitto_pub(broker.host, broker.port, "cli/sess", "while you were away", version=version, qos=1)
    back = Subscriber(broker.host, broker.port, "cli/sess", version=version, qos=1, extra=extra)
    assert back.get_json()["payload"] == "while you were away"
    assert back.wait() == 0


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_will_of_a_killed_mosquitto_sub(broker, version):
    # [MQTT-3.1.2-8]: killing the client process (no DISCONNECT) publishes its Will.
    watcher = broker.client(V5)
    watcher.subscribe("cli/will", 1)
    doomed = Subscriber(broker.host, broker.port, "cli/nothing", version=version, count=1, timeout=30,
                        extra=["--will-topic", "cli/will", "--will-payload", "libmosquitto died",
                               "--will-qos", "1"]).wait_subscribed()
    doomed.kill()
    assert watcher.get_message().payload == b"libmosquitto died"


def test_request_response_with_mosquitto_rr(broker):
    # [MQTT-3.3.2-15], [MQTT-3.3.2-16] and 4.10: mosquitto_rr sends a request with a
    # Response Topic and Correlation Data and waits for the answer.
    responder = broker.client(V5)
    responder.subscribe("cli/rr/request", 1)
    result = {}

    def answer():
        request = responder.get_message()
        result["correlation"] = request.prop("CorrelationData")
        responder.publish(request.prop("ResponseTopic"), b"pong: " + request.payload, qos=1,
                          properties=props(CorrelationData=request.prop("CorrelationData")))

    t = threading.Thread(target=answer)
    t.start()
    done = run_tool(["mosquitto_rr", "-h", broker.host, "-p", str(broker.port), "-V", "5", "-q", "1",
                     "-t", "cli/rr/request", "-e", "cli/rr/response", "-m", "ping", "-W", "5",
                     "-D", "PUBLISH", "correlation-data", "req-7"])
    t.join(5)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == "pong: ping"
    assert result["correlation"] == b"req-7"


@pytest.mark.parametrize("version", [pytest.param(V311, id="v311"), pytest.param(V5, id="v5")])
def test_large_file_payload(broker, version, tmp_path):
    # 3.3.3: a payload larger than a socket buffer arrives complete (-f file, %l length).
    data = os.urandom(200_000)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    sub = Subscriber(broker.host, broker.port, "cli/blob", version=version, qos=1, fmt="%l %x").wait_subscribed()
    mosquitto_pub(broker.host, broker.port, "cli/blob", version=version, qos=1, extra=["-f", str(path)])
    length, hexdata = sub.get(timeout=10).split(" ")
    assert int(length) == len(data) and bytes.fromhex(hexdata) == data
