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
"""RFC 9112 §3.2 on every HTTP listener of the real binary: "A server MUST respond with a 400
(Bad Request) status code to any HTTP/1.1 request message that lacks a Host header field and to
any request message that contains more than one Host header field line". Raw sockets for the
requests no real client sends (curl, browsers and the project's clients always send Host); curl
and a WebSocket client for the ones they do send, which must still work.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess

import pytest
from websockets.sync.client import connect as ws_connect

from helpers import TIMEOUT

pytestmark = pytest.mark.swiftlet_only

ADMIN_TOKEN = "host-test-admin-token-0123"


@pytest.fixture(scope="module")
def web_root(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("www")
    (root / "index.html").write_bytes(b"<p>host test</p>\n")
    return str(root)


@pytest.fixture
def broker(broker_factory, web_root):
    return broker_factory("--web-root", web_root, "--admin-token", ADMIN_TOKEN)


def upgrade_fields() -> str:
    key = base64.b64encode(os.urandom(16)).decode()
    return ("Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n")


# (listener, request line and fields after the Host field): a static file, the WebSocket
# upgrade, and the admin API's unauthenticated and authenticated routes.
TARGETS = [
    ("http", "GET / {version}\r\n", ""),
    ("http", "GET /mqtt {version}\r\n", "upgrade"),
    ("admin", "GET /metrics {version}\r\n", ""),
    ("admin", "GET /healthz {version}\r\n", ""),
    ("admin", "GET /api/v1/stats {version}\r\n", f"Authorization: Bearer {ADMIN_TOKEN}\r\n"),
]
IDS = ["static", "websocket", "metrics", "healthz", "stats"]


def request(listener_line: str, extra: str, *, version: str, hosts: list[str]) -> bytes:
    fields = "".join(f"Host: {host}\r\n" for host in hosts)
    fields += upgrade_fields() if extra == "upgrade" else extra
    return (listener_line.format(version=version) + fields + "\r\n").encode()


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sends `raw` and reads until the server closes: each case here ends the connection (a 400
    closes it, and an HTTP/1.0 request without keep-alive does too)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        data = bytearray()
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), f"no response: {bytes(data)!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("listener, line, extra", TARGETS, ids=IDS)
def test_http11_without_host_is_400_and_closes(broker, listener, line, extra):
    mark = broker.mark()
    status, headers, body = exchange(
        broker.listener_port(listener), request(line, extra, version="HTTP/1.1", hosts=[]))
    assert status == 400
    assert headers.get("connection") == "close"
    assert "upgrade" not in headers  # no 101, no upgrade
    if listener == "admin":
        # Every admin API error is JSON (docs/admin-api.md "Errors").
        answer = json.loads(body)
        assert answer["error"] == "bad_request" and "Host" in answer["message"]
    else:
        assert b"Host" in body
    broker.wait_for_log(r"refused HTTP request: Host field", since=mark)


@pytest.mark.parametrize("listener, line, extra", TARGETS, ids=IDS)
def test_two_host_fields_are_400(broker, listener, line, extra):
    status, headers, _ = exchange(
        broker.listener_port(listener), request(line, extra, version="HTTP/1.1", hosts=["127.0.0.1", "example.org"]))
    assert status == 400
    assert headers.get("connection") == "close"


@pytest.mark.parametrize("listener, line, extra", [t for t in TARGETS if t[2] != "upgrade"],
                         ids=[i for i, t in zip(IDS, TARGETS) if t[2] != "upgrade"])
def test_http10_without_host_is_answered(broker, listener, line, extra):
    """HTTP/1.0 had no Host field. (A WebSocket handshake needs HTTP/1.1 anyway: RFC 6455 §4.2.1.)"""
    status, _, body = exchange(broker.listener_port(listener), request(line, extra, version="HTTP/1.0", hosts=[]))
    assert status == 200
    assert body


def test_http10_with_two_host_fields_is_400(broker):
    status, _, _ = exchange(broker.listener_port("http"), b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")
    assert status == 400


def curl(url: str, *args: str) -> tuple[int, bytes]:
    result = subprocess.run(
        ["curl", "-s", "--max-time", str(int(TIMEOUT)), "-o", "-", "-w", "\n%{http_code}", *args, url],
        capture_output=True, timeout=TIMEOUT + 5)
    assert result.returncode == 0, f"curl failed ({result.returncode}): {result.stderr.decode()}"
    body, _, code = result.stdout.rpartition(b"\n")
    return int(code), body


def test_real_clients_still_work(broker):
    http = broker.listener_port("http")
    admin = broker.listener_port("admin")
    assert curl(f"http://127.0.0.1:{http}/") == (200, b"<p>host test</p>\n")
    code, metrics = curl(f"http://127.0.0.1:{admin}/metrics")
    assert code == 200 and b"swiftlet_connections" in metrics
    code, stats = curl(f"http://127.0.0.1:{admin}/api/v1/stats", "-H", f"Authorization: Bearer {ADMIN_TOKEN}")
    assert code == 200 and "connections" in json.loads(stats)
    # A WebSocket client sends Host with its handshake, and is upgraded.
    with ws_connect(f"ws://127.0.0.1:{http}/mqtt", subprotocols=["mqtt"], open_timeout=TIMEOUT) as ws:
        assert ws.subprotocol == "mqtt"
