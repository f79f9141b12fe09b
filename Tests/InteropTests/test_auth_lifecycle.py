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
"""Password files and the life of a token (DESIGN §6, docs/authentication.md) with real clients:
files written by Debian's ``mosquitto_passwd`` checked by Swiftlet, a file written by ``swiftlet
passwd`` checked by Mosquitto, in-session renewal on ``$SYS/uploadToken`` past the old token's
expiry, and the ``$SYS/tokenExpireNotice`` / ``$SYS/tokenInvalidNotice`` notices.

Tokens that expire in a few seconds are forged here in the documented format (the CLI issues 60 s
at least), so that expiry is observed without a test-only clock.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from conftest import MOSQUITTO_BIN, MOSQUITTO_READY, SWIFTLET_BIN, Broker, free_port
from helpers import V311, V5, VERSION_NAMES, unique
from test_auth import connack_code, forge_token

pytestmark = pytest.mark.swiftlet_only

KEYS = ["--access-key", "DEV:dev-secret:device", "--access-key", "CLOUD:cloud-secret:cloud"]
RW = 3


def mosquitto_passwd(path, user: str, password: str, *extra: str) -> None:
    subprocess.run(["mosquitto_passwd", *extra, "-b", str(path), user, password], check=True, timeout=30,
                   capture_output=True)


def swiftlet_passwd(path, user: str, password: str) -> None:
    # The password on standard input, as an operator would type it (not in the process list).
    subprocess.run([SWIFTLET_BIN, "passwd", str(path), user], input=password + "\n", text=True, check=True,
                   timeout=30, capture_output=True)


@pytest.fixture
def mosquitto_file(tmp_path):
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd not installed (Debian package mosquitto)")
    path = tmp_path / "passwords"
    mosquitto_passwd(path, "alice", "in-wonderland", "-c")    # sha512-pbkdf2 ($7$), the default
    mosquitto_passwd(path, "bob", "builder", "-H", "sha512")  # Mosquitto 1.6's $6$
    return path


@pytest.mark.parametrize("version, refused", [(V311, 4), (V5, 0x86)], ids=VERSION_NAMES.get)
def test_a_mosquitto_passwd_file_is_accepted(broker_factory, mosquitto_file, version, refused):
    text = mosquitto_file.read_text()
    assert text.startswith("alice:$7$101$") and "\nbob:$6$" in text
    broker = broker_factory("--no-allow-anonymous", "--password-file", str(mosquitto_file))
    alice = broker.client(version, unique("alice"), username="alice", password="in-wonderland")
    bob = broker.client(version, unique("bob"), username="bob", password="builder")
    topic = unique("pw/room")
    assert alice.subscribe(topic, qos=1) == [1]
    bob.publish(topic, b"from bob", qos=1)
    assert alice.get_message().payload == b"from bob"
    for user, password in [("alice", "In-wonderland"), ("bob", "in-wonderland"), ("carol", "builder"),
                           ("alice", "")]:
        assert connack_code(broker, version, unique("x"), user, password.encode()) == refused
    # Passwords never reach the log, right or wrong.
    log = "\n".join(broker.lines)
    assert "in-wonderland" not in log and "builder" not in log and "$7$" not in log


def test_a_bad_password_file_stops_the_broker_with_a_clear_error(tmp_path):
    path = tmp_path / "passwords"
    path.write_text("alice:plain-text-password\n")
    result = subprocess.run([SWIFTLET_BIN, "serve", "--mqtt", "127.0.0.1:0", "--http", "off",
                             "--password-file", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "line 1: user 'alice' has no $6$ or $7$ hash" in result.stderr
    assert "plain-text-password" not in result.stderr


def test_swiftlet_passwd_writes_a_file_both_brokers_accept(broker_factory, tmp_path):
    path = tmp_path / "passwords"
    swiftlet_passwd(path, "dave", "s3cret words")
    swiftlet_passwd(path, "erin", "other")
    swiftlet_passwd(path, "dave", "changed")  # updates dave, keeps erin
    lines = path.read_text().splitlines()
    assert [line.split(":")[0] for line in lines] == ["dave", "erin"]
    assert all(line.split(":", 1)[1].startswith("$7$101$") for line in lines)
    assert path.stat().st_mode & 0o777 == 0o600

    subprocess.run([SWIFTLET_BIN, "passwd", str(path), "gone", "--password", "x"], check=True, timeout=30)
    subprocess.run([SWIFTLET_BIN, "passwd", str(path), "gone", "--delete"], check=True, timeout=30)
    assert [line.split(":")[0] for line in path.read_text().splitlines()] == ["dave", "erin"]

    swiftlet = broker_factory("--no-allow-anonymous", "--password-file", str(path))
    swiftlet.client(V5, unique("d"), username="dave", password="changed")
    assert connack_code(swiftlet, V5, unique("d"), "dave", b"s3cret words") == 0x86

    if shutil.which(MOSQUITTO_BIN) is None:
        pytest.skip("mosquitto not installed")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    # Run as root, Mosquitto would drop to its own user, which cannot read a 0600 file in pytest's
    # private temporary directory; `user root` keeps it as it is (ignored when not run as root).
    conf.write_text(f"user root\nlistener {port} 127.0.0.1\nallow_anonymous false\npassword_file {path}\n")
    mosquitto = Broker("mosquitto", [MOSQUITTO_BIN, "-c", str(conf)], tmp_path, MOSQUITTO_READY, port)
    try:
        mosquitto.client(V311, unique("d"), username="dave", password="changed")
        mosquitto.client(V311, unique("e"), username="erin", password="other")
        assert connack_code(mosquitto, V311, unique("d"), "dave", b"wrong") != 0
    finally:
        mosquitto.close_clients()
        mosquitto.signal()


# -- tokens ---------------------------------------------------------------------------------


@pytest.fixture
def secured(broker_factory):
    return broker_factory("--no-allow-anonymous", *KEYS)


def token_client(broker, version: int, token: str, **kwargs):
    return broker.client(version, unique("tok"), username="Token|DEV|inst", password="RW|" + token, **kwargs)


def test_a_read_only_cli_token_connects_alone(secured):
    out = subprocess.run([SWIFTLET_BIN, "token", "--access-key", "DEV", "--secret-key", "dev-secret",
                          "--filter", "live/+", "--actions", "R", "--ttl", "600"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    issued = dict(line.split(": ", 1) for line in out.strip().splitlines())
    # The printed password is what the broker accepts.
    client = secured.client(V5, unique("ro"), username=issued["username"], password=issued["password"])
    assert client.subscribe("live/1", qos=1) == [1]
    assert client.publish("live/1", b"x", qos=1) == 0x87


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_without_renewal_a_short_token_ends_the_session(secured, version):
    client = token_client(secured, version, forge_token("DEV", "dev-secret", ["chat/#"], RW, int(time.time()) + 3))
    code, _ = client.wait_disconnected(timeout=15)
    if version == V5:
        assert code == 0x87


@pytest.mark.parametrize("payload_form", ["json", "password"])
def test_an_uploaded_token_carries_the_session_past_the_old_expiry(secured, payload_form):
    old_expiry = int(time.time()) + 3
    client = token_client(secured, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, old_expiry))
    fresh = forge_token("DEV", "dev-secret", ["chat/#"], RW, int(time.time()) + 600)
    payload = json.dumps({"token": fresh, "type": "RW"}) if payload_form == "json" else "RW|" + fresh
    assert client.publish("$SYS/uploadToken", payload, qos=1) == 0
    # Watched until well past the old token's expiry: no DISCONNECT comes.
    with pytest.raises(AssertionError, match="still connected"):
        client.wait_disconnected(timeout=old_expiry - time.time() + 2)
    topic = unique("chat/room")
    assert client.subscribe(topic, qos=1) == [1]
    client.publish(topic, b"after renewal", qos=1)
    assert client.get_message().payload == b"after renewal"


def test_a_refused_upload_is_noticed_and_keeps_the_old_token(secured):
    client = token_client(secured, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, int(time.time()) + 600))
    neighbour = token_client(secured, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, int(time.time()) + 600))
    assert client.subscribe("$SYS/tokenInvalidNotice", qos=1) == [1]
    assert neighbour.subscribe("$SYS/tokenInvalidNotice", qos=1) == [1]
    forged = forge_token("DEV", "not-the-secret", ["#"], RW, int(time.time()) + 600)
    assert client.publish("$SYS/uploadToken", json.dumps({"token": forged, "type": "RW"}), qos=1) == 0x87
    notice = client.get_message()
    assert notice.topic == "$SYS/tokenInvalidNotice"
    assert json.loads(notice.payload) == {"type": "RW", "reason": "token refused: bad token signature"}
    neighbour.expect_no_message(topic=unique("chat/sentinel"))  # within its token's grants
    assert client.is_connected()
    assert client.publish(unique("chat/x"), b"old token still good", qos=1) == 0x10  # no subscribers


def test_expire_notice_comes_at_once_when_less_than_the_lead_is_left(broker_factory):
    broker = broker_factory("--no-allow-anonymous", *KEYS, "--token-expire-notice", "5m")
    expires = int(time.time()) + 61
    client = token_client(broker, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, expires))
    other = token_client(broker, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, int(time.time()) + 3600))
    assert other.subscribe("$SYS/tokenExpireNotice", qos=1) == [1]
    assert client.subscribe("$SYS/tokenExpireNotice", qos=1) == [1]
    notice = client.get_message()
    assert notice.topic == "$SYS/tokenExpireNotice"
    body = json.loads(notice.payload)
    assert body["tokenId"] == "0123456789abcdef0123456789abcdef"
    assert body["type"] == "RW"
    assert body["expiresAt"] == expires
    assert 0 < body["remainingSeconds"] <= 61
    other.expect_no_message(topic=unique("chat/sentinel"))  # within its token's grants


def test_expire_notice_comes_the_lead_before_expiry(broker_factory):
    broker = broker_factory("--no-allow-anonymous", *KEYS, "--token-expire-notice", "2s")
    expires = int(time.time()) + 5
    client = token_client(broker, V5, forge_token("DEV", "dev-secret", ["chat/#"], RW, expires))
    assert client.subscribe("$SYS/tokenExpireNotice", qos=0) == [0]
    notice = client.get_message(timeout=10)
    received_at = time.time()
    # About two seconds before the expiry, not at once and not at the end.
    assert expires - 4 <= received_at <= expires - 0.5, (received_at, expires)
    assert json.loads(notice.payload)["remainingSeconds"] <= 3
    code, _ = client.wait_disconnected(timeout=10)
    assert code == 0x87
