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
"""`swiftlet sign` and `swiftlet token` (DESIGN §1, §6): the signature is the HMAC-SHA1 a
mobile SDK computes (checked here with Python's hmac), and bad requests get a clear CLI error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess

import pytest

from conftest import SWIFTLET_BIN

pytestmark = pytest.mark.swiftlet_only


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SWIFTLET_BIN, *args], capture_output=True, text=True, timeout=30)


def fields(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.strip().splitlines())


@pytest.mark.parametrize("client_id", ["GID_chat@@@phone-1", "plain", "ünïcode-ç"])
def test_sign_matches_pythons_hmac_sha1(client_id):
    result = run("sign", "--access-key", "AK1", "--secret-key", "s3cr3t", "--instance", "inst", "--client-id", client_id)
    assert result.returncode == 0, result.stderr
    out = fields(result.stdout)
    expected = base64.b64encode(hmac.new(b"s3cr3t", client_id.encode(), hashlib.sha1).digest()).decode()
    assert out == {"username": "Signature|AK1|inst", "password": expected}


def test_sign_device_credential_derives_the_device_secret():
    result = run("sign", "--access-key", "DAK", "--secret-key", "k", "--client-id", "c", "--device")
    out = fields(result.stdout)
    assert out["username"] == "DeviceCredential|DAK|swiftlet"
    secret = base64.urlsafe_b64encode(hmac.new(b"k", b"DeviceCredential\nc", hashlib.sha256).digest()).decode().rstrip("=")
    assert out["device secret"] == secret
    assert out["password"] == base64.b64encode(hmac.new(secret.encode(), b"c", hashlib.sha1).digest()).decode()


def test_token_prints_a_token_mode_credential():
    result = run("token", "--access-key", "AK1", "--secret-key", "s", "--filter", "chat/#", "--filter", "live/+",
                 "--actions", "R", "--ttl", "600")
    assert result.returncode == 0, result.stderr
    out = fields(result.stdout)
    assert out["username"] == "Token|AK1|swiftlet"
    assert out["password"] == "R|" + out["token"]
    payload, signature = out["token"].split(".")
    assert "=" not in out["token"]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    mac = hmac.new(b"s", raw, hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == mac


@pytest.mark.parametrize("args, message", [
    (["--ttl", "5"], "a token lives 60 s to 30 days"),
    (["--actions", "X"], "--actions: expected R, W or RW"),
])
def test_token_refuses_bad_requests_with_a_message(args, message):
    result = run("token", "--access-key", "AK1", "--secret-key", "s", "--filter", "a/#", *args)
    assert result.returncode != 0
    assert message in result.stderr
