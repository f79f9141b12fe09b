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
"""``swiftlet serve --config FILE``: YAML keys are the flags in kebab-case; flags win
(DESIGN §1). Observed from the outside through MQTT 5 CONNACK properties."""

import pytest

import wire
from helpers import V5, unique

pytestmark = pytest.mark.swiftlet_only


def connack(b):
    return b.raw(V5).connect(unique("cfg"), keepalive=600)


def test_config_file_sets_the_listener_and_limits(broker_factory):
    # DESIGN §1: the YAML file alone (no --mqtt flag) configures the listener and limits.
    b = broker_factory(config="mqtt: 127.0.0.1:0\nmax-packet-size: 1000\nmax-inflight: 3\n"
                              "topic-alias-maximum: 4\nmax-keepalive: 30\n",
                       use_mqtt_flag=False)
    ack = connack(b)
    assert ack.reason == 0
    assert ack.prop(wire.MAXIMUM_PACKET_SIZE) == 1000
    assert ack.prop(wire.RECEIVE_MAXIMUM) == 3
    assert ack.prop(wire.TOPIC_ALIAS_MAXIMUM) == 4
    assert ack.prop(wire.SERVER_KEEP_ALIVE) == 30


def test_flags_override_the_config_file(broker_factory):
    # DESIGN §1: "flags override" the file.
    b = broker_factory("--max-packet-size", "2000", "--max-inflight", "5",
                       config="mqtt: 127.0.0.1:0\nmax-packet-size: 1000\nmax-inflight: 3\n")
    ack = connack(b)
    assert ack.prop(wire.MAXIMUM_PACKET_SIZE) == 2000
    assert ack.prop(wire.RECEIVE_MAXIMUM) == 5


def test_config_limits_are_enforced(broker_factory):
    # The configured limit is not only announced but enforced (3.2.2.3.6: 0x95).
    b = broker_factory(config="mqtt: 127.0.0.1:0\nmax-packet-size: 500\n", use_mqtt_flag=False)
    c = b.raw_connected(unique("cfgbig"), V5)
    c.send(wire.publish("cfg/big", b"x" * 1000))
    seen = c.wait_closed()
    assert seen and seen[0].type == wire.DISCONNECT and seen[0].reason == wire.PACKET_TOO_LARGE
