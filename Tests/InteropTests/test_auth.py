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
"""Authentication on CONNECT and token grants (DESIGN §6) with real clients: paho-mqtt with
HMAC-SHA1 passwords computed here, tokens issued by `swiftlet token` and tokens forged here in
the documented format (docs/authentication.md), raw CONNECT packets for the exact CONNACK codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import subprocess
import time

import pytest

import wire
from conftest import SWIFTLET_BIN
from helpers import V311, V5, VERSION_NAMES, MqttClient, unique

pytestmark = pytest.mark.swiftlet_only

KEYS = ["--access-key", "DEV:dev-secret:device", "--access-key", "CLOUD:cloud-secret:cloud"]


def signature(secret: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), client_id.encode(), hashlib.sha1).digest()).decode()


def device_secret(key_secret: str, client_id: str) -> str:
    """docs/authentication.md "Device credentials": the device's own secret for one client ID."""
    digest = hmac.new(key_secret.encode(), b"DeviceCredential\n" + client_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forge_token(key: str, secret: str, filters: list[str], actions: int, expires: int) -> str:
    """A token in the documented binary format, signed with HMAC-SHA256 (docs/authentication.md)."""
    token_id = b"0123456789abcdef0123456789abcdef"
    payload = bytes([1, actions]) + struct.pack(">Q", expires) + bytes([len(token_id)]) + token_id
    payload += struct.pack(">H", len(key)) + key.encode() + bytes([len(filters)])
    for f in filters:
        payload += struct.pack(">H", len(f.encode())) + f.encode()
    return b64url(payload) + "." + b64url(hmac.new(secret.encode(), payload, hashlib.sha256).digest())


def cli_token(*args: str) -> dict[str, str]:
    out = subprocess.run([SWIFTLET_BIN, "token", "--access-key", "DEV", "--secret-key", "dev-secret", *args],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return dict(line.split(": ", 1) for line in out.strip().splitlines())


def connack_code(broker, version: int, client_id: str, username: str | None, password: bytes | None) -> int:
    raw = broker.raw(version)
    return raw.connect(client_id, username=username, password=password).reason


@pytest.fixture
def secured(broker_factory):
    return broker_factory("--no-allow-anonymous", *KEYS)


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_signature_mode_with_paho(secured, version):
    client_id = "GID_chat@@@" + unique("phone")
    sub = secured.client(version, client_id, username="Signature|DEV|inst",
                         password=signature("dev-secret", client_id))
    topic = "chat/" + unique("room")
    sub.subscribe(topic, qos=1)
    pub_id = unique("pub")
    pub = secured.client(V5, pub_id, username="DeviceCredential|DEV|inst",
                         password=signature(device_secret("dev-secret", pub_id), pub_id))
    pub.publish(topic, b"signed hello", qos=1)
    assert sub.get_message().payload == b"signed hello"


@pytest.mark.parametrize("version, expected", [(V311, 4), (V5, 0x86)], ids=["3.1.1", "5"])
def test_wrong_signature_is_bad_user_name_or_password(secured, version, expected):
    # Signed for another client ID: right format, wrong signature.
    password = signature("dev-secret", "someone-else").encode()
    assert connack_code(secured, version, unique("dev"), "Signature|DEV|inst", password) == expected
    assert connack_code(secured, version, unique("dev"), "Signature|NOKEY|inst", password) == expected
    assert connack_code(secured, version, unique("dev"), "Signature|DEV", password) == expected


@pytest.mark.parametrize("version, expected", [(V311, 5), (V5, 0x87)], ids=["3.1.1", "5"])
def test_anonymous_is_refused_when_disabled(secured, version, expected):
    assert connack_code(secured, version, unique("anon"), None, None) == expected


def test_token_mode_grants_with_a_cli_token(secured):
    issued = cli_token("--filter", "chat/#", "--actions", "RW", "--ttl", "600")
    client = secured.raw_connected(unique("tok"), username=issued["username"],
                                   password=issued["password"].encode())
    suback = client.subscribe([("chat/room1", 1), ("live/room1", 1)], pid=3)
    assert suback.codes == [1, 0x87]
    assert client.publish("live/room1", b"x", qos=1, pid=4).reason == 0x87
    assert client.publish("chat/room1", b"in grant", qos=1, pid=5).reason == 0
    assert client.expect_publish().payload == b"in grant"


def test_read_only_token_cannot_publish(secured):
    issued = cli_token("--filter", "live/+", "--actions", "R", "--ttl", "600")
    assert issued["password"] == "R|" + issued["token"]
    # "R|token" alone is accepted (docs/authentication.md): the client reads, and may not write.
    client = secured.raw_connected(unique("ro"), username=issued["username"], password=issued["password"].encode())
    assert client.subscribe([("live/a", 0)]).codes == [0]
    assert client.publish("live/a", b"x", qos=1, pid=2).reason == 0x87
    # A read token claimed for read and write is refused as not authorized.
    password = ("RW|" + issued["token"]).encode()
    assert connack_code(secured, V5, unique("ro"), issued["username"], password) == 0x87


def test_forged_tokens_in_the_documented_format(secured):
    now = int(time.time())
    good = forge_token("DEV", "dev-secret", ["room/#"], 3, now + 300)
    client = secured.raw_connected(unique("forged"), username="Token|DEV|inst", password=("RW|" + good).encode())
    assert client.subscribe([("room/a", 0)]).codes == [0]
    expired = forge_token("DEV", "dev-secret", ["room/#"], 3, now - 5)
    assert connack_code(secured, V5, unique("old"), "Token|DEV|inst", ("RW|" + expired).encode()) == 0x86
    guessed = forge_token("DEV", "not-the-secret", ["#"], 3, now + 300)
    assert connack_code(secured, V5, unique("bad"), "Token|DEV|inst", ("RW|" + guessed).encode()) == 0x86


def test_only_cloud_clients_read_sys(secured):
    cloud_id = unique("backend")
    cloud = secured.raw_connected(cloud_id, username="Signature|CLOUD|inst",
                                  password=signature("cloud-secret", cloud_id).encode())
    assert cloud.subscribe([("$SYS/#", 0)]).codes == [0]
    device_id = unique("device")
    device = secured.raw_connected(device_id, username="Signature|DEV|inst",
                                   password=signature("dev-secret", device_id).encode())
    assert device.subscribe([("$SYS/#", 0)]).codes == [0x87]


def test_failed_attempts_are_throttled_per_address(broker_factory, tmp_path):
    """DESIGN §6, docs/authentication.md "Throttling": after a burst of 10 failures from one
    address, its further failures are answered 0x9F (connection rate exceeded) instead of 0x86.
    Credentials that cannot be guessed and cost an HMAC to check (here a signature) are checked all
    the same: a valid one gets in from the throttled address, as a client behind the guesser's
    carrier NAT would. Passwords of the password file are not checked while the address is
    throttled: even the right one gets 0x9F, so guessing one stays at 10 per second."""
    passwords = tmp_path / "passwd"
    subprocess.run([SWIFTLET_BIN, "passwd", str(passwords), "alice"], input="in-wonderland\n", text=True,
                   check=True, timeout=30, capture_output=True)
    secured = broker_factory("--no-allow-anonymous", *KEYS, "--password-file", str(passwords))
    codes = [connack_code(secured, V5, unique("guess"), "Signature|DEV|inst", b"guess") for _ in range(14)]
    assert codes[:10] == [0x86] * 10
    assert 0x9F in codes[10:]
    client_id = unique("honest")
    assert connack_code(secured, V5, client_id, "Signature|DEV|inst",
                        signature("dev-secret", client_id).encode()) == 0
    assert connack_code(secured, V311, unique("honest"), "alice", b"in-wonderland") == 3   # 0x9F for 3.1.1
    assert connack_code(secured, V5, unique("guess"), "Signature|DEV|inst", b"guess") == 0x9F
    secured.wait_for_log(r"too many failed authentication attempts.*CONNECT refused")
    assert "dev-secret" not in "\n".join(secured.log_since(0)), "a secret reached the log"


def test_acl_rules_with_group_placeholder(broker_factory):
    """DESIGN §6: `--acl` rules, first match wins, `%g` is the client's group; with `--acl-default
    deny` a device of group A reaches its group's rooms only (MQTT 5: SUBACK/PUBACK 0x87; 3.1.1:
    SUBACK 0x80 and the PUBLISH acknowledged and dropped)."""
    broker = broker_factory("--acl", "allow all chat/%g/#", "--acl", "allow subscribe news/#",
                            "--acl-default", "deny")
    member = broker.raw_connected("GROUPA@@@" + unique("phone"), version=V5)
    assert member.subscribe([("chat/GROUPA/room", 1), ("chat/GROUPB/room", 1), ("news/#", 1)]).codes == [1, 0x87, 1]
    assert member.publish("news/today", b"x", qos=1, pid=2).reason == 0x87
    assert member.publish("chat/GROUPA/room", b"hello group", qos=1, pid=3).reason == 0
    assert member.expect_publish().payload == b"hello group"
    old = broker.raw_connected("GROUPB@@@" + unique("old"), version=V311)
    assert old.subscribe([("chat/GROUPA/room", 1)]).codes == [0x80]


@pytest.mark.swiftlet_only
def test_modes_per_listener(broker_factory):
    """DESIGN §6: modes combinable per listener. TCP takes tokens only; WebSocket takes everything."""
    b = broker_factory(*KEYS, "--mqtt-auth", "token")
    client_id = "GID_chat@@@" + unique("phone")
    signed = signature("dev-secret", client_id)
    # Anonymous access is on for the broker, but not on this listener: 0x87 / return code 5.
    assert connack_code(b, V5, unique("anon"), None, None) == 0x87
    assert connack_code(b, V311, unique("anon"), None, None) == 5
    assert connack_code(b, V5, client_id, "Signature|DEV|inst", signed.encode()) == 0x87
    token = cli_token("--filter", "room/#", "--actions", "RW")["token"]
    tcp = b.client(V5, client_id, username="Token|DEV|inst", password="RW|" + token)
    assert tcp.subscribe("room/1", qos=1) == [1]
    # The same signature is good on the WebSocket listener, which allows every mode.
    ws = MqttClient(b.host, b.listener_port("http"), V5, client_id + "-ws", connect=False, transport="websockets",
                    username="Signature|DEV|inst", password=signature("dev-secret", client_id + "-ws"))
    try:
        ws.connect()
        ws.publish("room/1", b"from the browser side", qos=1)
        assert tcp.get_message().payload == b"from the browser side"
    finally:
        ws.close()
    assert any("signature authentication is not enabled on this listener" in line for line in b.log_since(0))


@pytest.mark.swiftlet_only
@pytest.mark.parametrize("version, expected", [(V311, 2), (V5, 0x85)], ids=["3.1.1", "5"])
def test_client_ids_starting_with_dollar_are_reserved(broker_factory, version, expected):
    # `$admin` is the admin API's publisher ID, which cloud subscribers see: nobody may pass for it.
    b = broker_factory()
    assert connack_code(b, version, "$admin", None, None) == expected
    assert connack_code(b, version, "admin", None, None) == 0
