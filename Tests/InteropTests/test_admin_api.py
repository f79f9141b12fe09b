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
"""The admin API (docs/admin-api.md) over real HTTP against the real broker, with paho clients on
the MQTT side: publish and p2p reach subscribers, issued tokens let clients in, clients and kick
reflect real connections, rooms, stats and /metrics move, and every /api/v1 route refuses
missing, bad and stale credentials (401) and device keys (403)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.parse

import pytest

from helpers import V311, V5, MqttClient, rc_value, unique

pytestmark = pytest.mark.swiftlet_only

ADMIN_TOKEN = "interop-admin-token-0123456789"
CLOUD = ("CLOUD", "cloud-secret")
DEVICE = ("DEVICE", "device-secret")

# Every route of the router with a request that is well formed once authenticated.
API_ROUTES = [
    ("POST", "/api/v1/publish", {"topic": "t/x", "payload": "p"}),
    ("POST", "/api/v1/p2p", {"parentTopic": "t", "clientId": "nobody", "payload": "p"}),
    ("POST", "/api/v1/tokens", {"accessKeyId": "DEVICE", "filters": ["t/#"], "actions": "RW", "expiresIn": 600}),
    ("POST", "/api/v1/tokens/revoke", {"token": "not-a-token"}),
    ("POST", "/api/v1/tokens/query", {"token": "not-a-token"}),
    ("POST", "/api/v1/device-credentials", {"accessKeyId": "DEVICE", "clientId": "GID_x@@@y"}),
    ("GET", "/api/v1/clients", None),
    ("GET", "/api/v1/clients/nobody", None),
    ("DELETE", "/api/v1/clients/nobody", None),
    ("GET", "/api/v1/rooms", None),
    ("GET", "/api/v1/stats", None),
]


class Admin:
    """An HTTP client for one broker's admin listener."""

    def __init__(self, broker):
        self.broker = broker
        self.port = broker.listener_port("admin")

    def request(self, method: str, path: str, body: object | None = None, *, auth: str | None = "token",
                headers: dict[str, str] | None = None, raw: bytes | None = None,
                timestamp: int | None = None) -> tuple[int, dict[str, str], bytes]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        sent = {"Content-Type": "application/json"} if data else {}
        if auth == "token":
            sent["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        elif auth in ("cloud", "device"):
            key, secret = CLOUD if auth == "cloud" else DEVICE
            sent.update(sign(key, secret, method, path, data, timestamp))
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=data if data else None, headers=sent)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, body: object | None = None, *, expect: int = 200, **kwargs) -> object:
        status, _, payload = self.request(method, path, body, **kwargs)
        assert status == expect, f"{method} {path}: {status} {payload!r}"
        return json.loads(payload) if payload else None


def sign(key: str, secret: str, method: str, path: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The signature scheme of docs/admin-api.md, written independently of the server."""
    ts = str(int(time.time() * 1000) if timestamp is None else timestamp)
    canonical = "\n".join([method, path, ts, hashlib.sha256(body).hexdigest()])
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).digest()
    return {"X-Swiftlet-AccessKey": key, "X-Swiftlet-Timestamp": ts,
            "X-Swiftlet-Signature": base64.b64encode(digest).decode()}


def mqtt_signature(secret: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), client_id.encode(), hashlib.sha1).digest()).decode()


@pytest.fixture
def admin_broker(broker_factory):
    return broker_factory(
        "--admin-token", ADMIN_TOKEN,
        "--access-key", f"{CLOUD[0]}:{CLOUD[1]}:cloud",
        "--access-key", f"{DEVICE[0]}:{DEVICE[1]}:device",
        "--room", "live/# rate_limit=1000/s")


@pytest.fixture
def admin(admin_broker):
    return Admin(admin_broker)


def test_listening_line_and_health(admin):
    assert admin.port != 18083
    assert admin.json("GET", "/healthz", auth=None) == {"status": "ok"}


def test_publish_utf8_with_user_properties_reaches_v5_subscriber(admin_broker, admin):
    sub = admin_broker.client(V5)
    sub.subscribe("news/today", qos=1)
    result = admin.json("POST", "/api/v1/publish", {
        "topic": "news/today", "payload": "héllo", "qos": 1, "userProperties": {"source": "backend", "n": "1"}})
    assert result == {"deliveries": 1}
    message = sub.get_message()
    assert message.topic == "news/today"
    assert message.payload == "héllo".encode()
    assert message.qos == 1
    assert sorted(message.prop("UserProperty", [])) == [("n", "1"), ("source", "backend")]


def test_publish_base64_retained_reaches_v311_subscriber(admin_broker, admin):
    raw = bytes(range(256))
    result = admin.json("POST", "/api/v1/publish", {
        "topic": "blob/1", "payload": base64.b64encode(raw).decode(), "encoding": "base64", "retain": True})
    assert result == {"deliveries": 0}
    late = admin_broker.client(V311)
    late.subscribe("blob/#", qos=0)
    message = late.get_message()
    assert message.payload == raw
    assert message.retain


def test_publish_refuses_bad_input(admin):
    for body, needle in [({"topic": "a/+"}, "topic"), ({"topic": "a", "qos": 5}, "qos"),
                         ({"topic": "$SYS/x"}, "reserved"), ({"payload": "x"}, "topic")]:
        status, _, payload = admin.request("POST", "/api/v1/publish", body)
        assert status == 400, body
        error = json.loads(payload)
        assert error["error"] == "bad_request" and needle in error["message"]
    assert admin.request("POST", "/api/v1/publish", raw=b"{oops")[0] == 400
    status, _, _ = admin.request("POST", "/api/v1/publish", raw=b"topic=a",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415
    status, headers, payload = admin.request("POST", "/api/v1/publish", raw=b"x" * ((1 << 20) + 1))
    assert status == 413 and json.loads(payload)["error"] == "payload_too_large"
    status, headers, _ = admin.request("GET", "/api/v1/publish")
    assert status == 405 and headers["allow"] == "POST"
    assert admin.request("GET", "/api/v1/nothing")[0] == 404


def test_p2p_reaches_only_its_client(admin_broker, admin):
    target = admin_broker.client(V5, unique("bob"))
    other = admin_broker.client(V5, unique("eve"))
    other.subscribe("chat/#", qos=1)
    result = admin.json("POST", "/api/v1/p2p", {
        "parentTopic": "chat", "clientId": target.client_id, "payload": "psst", "qos": 1})
    assert result == {"deliveries": 1}
    message = target.get_message()
    assert message.topic == f"chat/p2p/{target.client_id}"
    assert message.payload == b"psst"
    other.expect_no_message()
    assert admin.json("POST", "/api/v1/p2p", {"parentTopic": "chat", "clientId": "absent"}) == {"deliveries": 0}
    assert admin.request("POST", "/api/v1/p2p", {"parentTopic": "a/b", "clientId": "x"})[0] == 400


def test_issued_token_lets_a_client_connect_in_token_mode(admin_broker, admin):
    issued = admin.json("POST", "/api/v1/tokens", {
        "accessKeyId": DEVICE[0], "filters": ["room/1/#"], "actions": "RW", "expiresIn": 600}, expect=201)
    assert issued["password"] == f"RW|{issued['token']}"
    assert issued["expiresAt"] > time.time() * 1000 + 500_000
    client = admin_broker.client(V5, unique("tok"), username=f"Token|{DEVICE[0]}|inst", password=issued["password"])
    assert client.subscribe("room/1/chat", qos=1) == [1]
    client.publish("room/1/chat", b"with a token", qos=1)
    assert client.get_message().payload == b"with a token"
    # Outside its filters the token grants nothing.
    assert client.subscribe("room/2/chat", qos=1)[0] >= 0x80
    # A token for an access key the broker does not know is refused.
    status, _, _ = admin.request("POST", "/api/v1/tokens", {
        "accessKeyId": "NOPE", "filters": ["a"], "actions": "RW", "expiresIn": 600})
    assert status == 400
    forged = admin_broker.client(V5, unique("tok"), username=f"Token|{DEVICE[0]}|inst",
                                 password="RW|" + issued["token"][:-2] + "AA", expect_success=False)
    assert forged.connack[0] >= 0x80


def test_read_only_token_password_names_its_action(admin_broker, admin):
    issued = admin.json("POST", "/api/v1/tokens", {
        "accessKeyId": DEVICE[0], "filters": ["news/#"], "actions": "R", "expiresIn": 600}, expect=201)
    assert issued["password"] == f"R|{issued['token']}"
    reader = admin_broker.client(V5, unique("ro"), username=f"Token|{DEVICE[0]}|inst", password=issued["password"])
    assert reader.subscribe("news/today", qos=1) == [1]
    # Reading only: a publish is refused (0x87 Not authorized).
    assert rc_value(reader.publish("news/today", b"x", qos=1)) == 0x87


def test_revoked_token_disconnects_its_client_and_is_refused_after(admin_broker, admin):
    issued = admin.json("POST", "/api/v1/tokens", {
        "accessKeyId": DEVICE[0], "filters": ["room/9/#"], "actions": "RW", "expiresIn": 600}, expect=201)
    username = f"Token|{DEVICE[0]}|inst"
    holder = admin_broker.client(V5, unique("holder"), username=username, password=issued["password"])
    bystander = admin_broker.client(V5, unique("bystander"))

    status = admin.json("POST", "/api/v1/tokens/query", {"token": issued["token"]})
    assert (status["valid"], status["revoked"], status["state"]) == (True, False, "valid")
    assert status["filters"] == ["room/9/#"] and status["actions"] == "RW" and status["accessKeyId"] == DEVICE[0]

    revoked = admin.json("POST", "/api/v1/tokens/revoke", {"token": issued["token"]})
    assert (revoked["valid"], revoked["revoked"], revoked["state"]) == (False, True, "revoked")
    code, _ = holder.wait_disconnected()
    assert rc_value(code) == 0x87
    assert bystander.is_connected()

    again = admin_broker.client(V5, unique("holder"), username=username, password=issued["password"],
                                expect_success=False)
    assert again.connack[0] == 0x86
    assert admin.json("POST", "/api/v1/tokens/query", {"token": issued["token"]})["state"] == "revoked"
    # The log names the token's ID, never the token.
    assert not any(issued["token"] in line for line in admin_broker.log_since(0))


def test_token_query_and_revoke_of_something_that_is_not_a_token(admin):
    junk = admin.json("POST", "/api/v1/tokens/query", {"token": "AAAA"})
    assert junk["valid"] is False and junk["revoked"] is False and junk["reason"]
    status, _, payload = admin.request("POST", "/api/v1/tokens/revoke", {"token": "AAAA"})
    assert status == 400 and json.loads(payload)["error"] == "bad_request"
    status, _, _ = admin.request("POST", "/api/v1/tokens/revoke", {"nothing": 1})
    assert status == 400


def test_device_credential_from_the_api_connects_a_paho_client_for_its_client_id_only(admin_broker, admin):
    client_id = "GID_app@@@" + unique("phone")
    issued = admin.json("POST", "/api/v1/device-credentials", {"accessKeyId": DEVICE[0], "clientId": client_id},
                        expect=201)
    assert issued["username"].startswith(f"DeviceCredential|{DEVICE[0]}|")
    assert issued["clientId"] == client_id and issued["deviceSecretKey"]
    device = admin_broker.client(V5, client_id, username=issued["username"], password=issued["password"])
    assert device.subscribe("news/+", qos=1) == [1]
    # The same credential under another client ID is refused.
    other = admin_broker.client(V5, client_id + "-2", username=issued["username"], password=issued["password"],
                                expect_success=False)
    assert other.connack[0] == 0x86
    assert admin.request("POST", "/api/v1/device-credentials", {"accessKeyId": "NOPE", "clientId": "x"})[0] == 400
    assert admin.request("POST", "/api/v1/device-credentials", {"accessKeyId": DEVICE[0], "clientId": ""})[0] == 400


def test_clients_list_and_detail_reflect_connections(admin_broker, admin):
    group = unique("GID")
    first = admin_broker.client(V5, f"{group}@@@a", keepalive=40)
    second = admin_broker.client(V311, f"{group}@@@b")
    outsider = admin_broker.client(V5, unique("solo"))
    first.subscribe("watch/+", qos=1)
    listed = admin.json("GET", f"/api/v1/clients?group={urllib.parse.quote(group)}")
    assert listed["total"] == 2 and listed["page"] == 1 and listed["limit"] == 100
    assert [item["clientId"] for item in listed["items"]] == [f"{group}@@@a", f"{group}@@@b"]
    item = listed["items"][0]
    assert item["group"] == group and item["transport"] == "tcp" and item["protocolVersion"] == "5.0"
    assert item["ip"] == "127.0.0.1" and item["keepAlive"] == 40 and item["cleanStart"] is True
    assert abs(item["connectedAt"] - time.time() * 1000) < 60_000
    assert listed["items"][1]["protocolVersion"] == "3.1.1"
    everyone = admin.json("GET", "/api/v1/clients?limit=1&page=2")
    assert everyone["total"] == 3 and len(everyone["items"]) == 1
    detail = admin.json("GET", "/api/v1/clients/" + urllib.parse.quote(f"{group}@@@a", safe=""))
    assert detail["online"] is True
    assert detail["subscriptions"] == [{"filter": "watch/+", "qos": 1}]
    assert detail["connection"]["clientId"] == f"{group}@@@a"
    assert {"queued", "inflight", "dropped"} <= detail.keys()
    assert outsider.client_id in [c["clientId"] for c in admin.json("GET", "/api/v1/clients")["items"]]
    assert admin.request("GET", "/api/v1/clients/nobody-here")[0] == 404
    # A browser-style client over WebSocket shows its transport.
    browser = MqttClient(admin_broker.host, admin_broker.listener_port("http"), V5, f"{group}@@@web", connect=False,
                         transport="websockets")
    admin_broker._clients.append(browser)
    browser.connect()
    web = admin.json("GET", "/api/v1/clients/" + urllib.parse.quote(f"{group}@@@web", safe=""))
    assert web["online"] is True and web["connection"]["transport"] == "ws"
    stats = admin.json("GET", "/api/v1/stats")
    assert stats["connections"]["byTransport"] == {"tcp": 3, "ws": 1}


def test_persistent_session_offline_shows_online_false(admin_broker, admin):
    client_id = unique("persist")
    client = admin_broker.client(V5, client_id, clean=False, session_expiry=300)
    client.subscribe("keep/#", qos=1)
    client.disconnect()
    deadline = time.monotonic() + 5
    while True:
        detail = admin.json("GET", f"/api/v1/clients/{client_id}")
        if not detail["online"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert detail["online"] is False and "connection" not in detail
    assert detail["subscriptions"] == [{"filter": "keep/#", "qos": 1}]
    admin.json("POST", "/api/v1/publish", {"topic": "keep/1", "payload": "later", "qos": 1})
    assert admin.json("GET", f"/api/v1/clients/{client_id}")["queued"] == 1
    # Not connected: nothing to kick.
    assert admin.request("DELETE", f"/api/v1/clients/{client_id}")[0] == 404


def test_kick_disconnects_v5_with_0x98_and_emits_kicked_event(admin_broker, admin):
    watcher_id = unique("backend")
    watcher = admin_broker.client(V5, watcher_id, username=f"Signature|{CLOUD[0]}|inst",
                                  password=mqtt_signature(CLOUD[1], watcher_id))
    watcher.subscribe("$SYS/clients/+/disconnected", qos=1)
    victim = admin_broker.client(V5, unique("victim"))
    status, _, payload = admin.request("DELETE", f"/api/v1/clients/{victim.client_id}")
    assert status == 204 and payload == b""
    reason, _ = victim.wait_disconnected()
    assert reason == 0x98
    while True:
        event = json.loads(watcher.get_message().payload)
        if event["clientId"] == victim.client_id:
            break
    assert event["reason"] == "kicked" and event["reasonCode"] == 0x98
    old = admin_broker.client(V311, unique("old"))
    assert admin.request("DELETE", f"/api/v1/clients/{old.client_id}")[0] == 204
    old.wait_disconnected()
    while True:
        event = json.loads(watcher.get_message().payload)
        if event["clientId"] == old.client_id:
            break
    assert event["reason"] == "kicked"


def test_rooms_and_stats_move(admin_broker, admin):
    viewers = [admin_broker.client(V5) for _ in range(2)]
    for viewer in viewers:
        viewer.subscribe("live/42", qos=0)
    before = admin.json("GET", "/api/v1/stats")
    for n in range(3):
        assert admin.json("POST", "/api/v1/publish", {"topic": "live/42", "payload": str(n)}) == {"deliveries": 2}
    for viewer in viewers:
        assert len(viewer.get_messages(3)) == 3
    rooms = admin.json("GET", "/api/v1/rooms")
    room = next(r for r in rooms if r["topic"] == "live/42")
    assert room == {"topic": "live/42", "subscribers": 2, "policy": "live/#", "published": 3, "delivered": 6,
                    "dropped": 0}
    after = admin.json("GET", "/api/v1/stats")
    assert after["messages"]["in"] - before["messages"]["in"] == 3
    assert after["messages"]["out"] - before["messages"]["out"] >= 6
    assert after["connections"]["byTransport"]["tcp"] == after["connections"]["total"] >= 2
    assert after["subscriptions"] >= 2
    assert after["sessions"]["total"] >= 2
    assert "total" in after["drops"]


def parse_metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


def test_metrics_parse_and_move(admin_broker, admin):
    status, headers, body = admin.request("GET", "/metrics", auth=None)
    assert status == 200 and headers["content-type"].startswith("text/plain")
    before = parse_metrics(body.decode())
    client = admin_broker.client(V5)
    client.subscribe("m/1")
    client.publish("m/1", b"x", qos=1)
    client.get_message()
    after = parse_metrics(admin.request("GET", "/metrics", auth=None)[2].decode())
    assert after["swiftlet_messages_received_total"] >= before.get("swiftlet_messages_received_total", 0) + 1
    assert after['swiftlet_connections{transport="tcp"}'] >= 1
    assert after["swiftlet_subscriptions"] >= 1


@pytest.mark.parametrize("interval", ["10", "0"])
def test_memory_trimmer_counters_in_metrics_and_stats(broker_factory, interval):
    """memory-trim-interval (docs/configuration.md "Memory"): the counters are there, on or off;
    MemoryTrimmerTests trims a real glibc heap."""
    broker = broker_factory("--admin-token", ADMIN_TOKEN, "--memory-trim-interval", interval)
    admin = Admin(broker)
    metrics = parse_metrics(admin.request("GET", "/metrics", auth=None)[2].decode())
    assert metrics["swiftlet_memory_trims_total"] >= 0
    assert metrics["swiftlet_memory_trim_released_bytes_total"] >= 0
    memory = admin.json("GET", "/api/v1/stats")["memory"]
    assert set(memory) == {"trims", "releasedBytes"}
    on = any("memory trimmer: every 10 s" in line for line in broker.lines)
    assert on == (interval != "0")


@pytest.mark.parametrize("method,path,body", API_ROUTES)
def test_every_api_route_refuses_bad_credentials(admin, method, path, body):
    data = json.dumps(body).encode() if body is not None else b""
    cases = {
        "none": {},
        "bad token": {"Authorization": "Bearer not-the-token-at-all"},
        "bad signature": {**sign(CLOUD[0], "wrong-secret", method, path, data)},
        "stale": sign(CLOUD[0], CLOUD[1], method, path, data, int(time.time() * 1000) - 301_000),
        "unknown key": sign("GHOST", CLOUD[1], method, path, data),
    }
    for name, headers in cases.items():
        status, response_headers, payload = admin.request(method, path, raw=data, auth=None, headers=headers)
        assert status == 401, f"{name}: {status} {payload!r}"
        assert json.loads(payload)["error"] == "unauthorized"
        assert "www-authenticate" in response_headers
    status, _, payload = admin.request(method, path, raw=data, auth="device")
    assert status == 403, payload
    # The same request signed by a cloud key gets past authentication.
    status, _, payload = admin.request(method, path, raw=data, auth="cloud")
    assert status not in (401, 403), payload


def test_no_credentials_configured_refuses_everyone(broker_factory):
    broker = broker_factory("--access-key", f"{DEVICE[0]}:{DEVICE[1]}:device")
    broker.wait_for_log("the admin API has no credentials")
    admin = Admin(broker)
    assert admin.request("GET", "/api/v1/stats", auth=None)[0] == 401
    assert admin.request("GET", "/api/v1/stats", auth="device")[0] == 401
    assert admin.request("GET", "/healthz", auth=None)[0] == 200


def test_admin_off(broker_factory):
    broker = broker_factory("--admin", "off")
    # Logged where the listener would have been bound, so every listening line is in by then.
    broker.wait_for_log("the admin API is off")
    assert not any("listening admin" in line for line in broker.log_since())
