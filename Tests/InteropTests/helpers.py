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
"""Real third-party clients for the interop suite: paho-mqtt with callback queues,
and the mosquitto_pub / mosquitto_sub / mosquitto_rr command-line tools.

Synchronisation is by queues and events with bounded waits, never by sleeping.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterable

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

import wire

V31, V311, V5 = wire.V31, wire.V311, wire.V5

# How long to wait for something that must happen. Something that must not happen is
# watched for until a sentinel message arrives (``MqttClient.expect_no_message``), not for a
# while.
TIMEOUT = 10.0

# Sentinels travel on a topic of the client's own under this prefix: `#` and `+` never match a
# topic that starts with `$` [MQTT-4.7.2-1], so the test's other subscribers never see them.
SENTINEL_PREFIX = "$sentinel/"

_PAHO_PROTOCOL = {V31: paho.MQTTv31, V311: paho.MQTTv311, V5: paho.MQTTv5}
VERSION_NAMES = {V31: "v31", V311: "v311", V5: "v5"}


def unique(prefix: str = "c") -> str:
    """A client ID or topic level unique to this run (at most 23 bytes, the limit every
    server must accept [MQTT-3.1.3-5])."""
    return f"{prefix[:14]}-{uuid.uuid4().hex[:8]}"


def props(packet_type: int = PacketTypes.PUBLISH, **values: Any) -> Properties:
    """paho Properties, e.g. ``props(UserProperty=[("a", "1")], ContentType="x")``."""
    p = Properties(packet_type)
    for key, value in values.items():
        setattr(p, key, value)
    return p


def rc_value(code: Any) -> int:
    if isinstance(code, ReasonCode):
        return code.value
    return int(code)


@dataclass
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    properties: Any  # paho Properties (MQTT 5) or None

    def prop(self, name: str, default: Any = None) -> Any:
        if self.properties is None:
            return default
        return getattr(self.properties, name, default)


class MqttClient:
    """A paho-mqtt client whose events land in queues.

    The network loop runs in paho's own thread with reconnection disabled, so a
    connection the server closes stays closed (a takeover does not ping-pong).
    """

    def __init__(self, host: str, port: int, version: int = V5, client_id: str | None = None, *,
                 clean: bool = True, keepalive: int = 30, session_expiry: int | None = None,
                 connect_props: Properties | None = None, will: dict | None = None,
                 username: str | None = None, password: str | None = None,
                 manual_ack: bool = False, connect: bool = True, expect_success: bool = True,
                 transport: str = "tcp", ws_path: str = "/mqtt", tls_context: Any = None):
        self.host, self.port, self.version = host, port, version
        self.client_id = unique("c") if client_id is None else client_id
        self.clean = clean
        self.keepalive = keepalive
        kwargs: dict[str, Any] = {}
        if version != V5:
            kwargs["clean_session"] = clean
        self.paho = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                                protocol=_PAHO_PROTOCOL[version], reconnect_on_failure=False,
                                manual_ack=manual_ack, transport=transport, **kwargs)
        if transport == "websockets":
            self.paho.ws_set_options(path=ws_path)
        if tls_context is not None:
            self.paho.tls_set_context(tls_context)
        self.messages: queue.Queue[Message] = queue.Queue()
        self.connacks: queue.Queue[tuple[int, bool, Any]] = queue.Queue()
        self.disconnects: queue.Queue[tuple[int, Any]] = queue.Queue()
        self._results: dict[Any, Any] = {}
        self._cond = threading.Condition()
        self.paho.on_connect = self._on_connect
        self.paho.on_disconnect = self._on_disconnect
        self.paho.on_message = self._on_message
        self.paho.on_subscribe = self._on_subscribe
        self.paho.on_unsubscribe = self._on_unsubscribe
        self.paho.on_publish = self._on_publish
        if username is not None:
            self.paho.username_pw_set(username, password)
        if will is not None:
            self.paho.will_set(will["topic"], will.get("payload", b""), will.get("qos", 0),
                               will.get("retain", False), will.get("properties"))
        self._connect_props = connect_props
        if session_expiry is not None:
            if self._connect_props is None:
                self._connect_props = Properties(PacketTypes.CONNECT)
            self._connect_props.SessionExpiryInterval = session_expiry
        self.connack: tuple[int, bool, Any] | None = None
        self._sentinel_topics: set[str] = set()
        if connect:
            self.connect(expect_success=expect_success)

    # -- callbacks (paho's thread) ------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connacks.put((rc_value(reason_code), bool(flags.session_present), properties))

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnects.put((rc_value(reason_code), properties))

    def _on_message(self, client, userdata, msg):
        self.messages.put(Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain),
                                  bool(msg.dup), getattr(msg, "properties", None)))

    def _store(self, key: Any, value: Any) -> None:
        with self._cond:
            self._results[key] = value
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self._store(("sub", mid), ([rc_value(c) for c in reason_codes], properties))

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        self._store(("unsub", mid), ([rc_value(c) for c in reason_codes], properties))

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        self._store(("pub", mid), rc_value(reason_code))

    def _wait(self, key: Any, what: str, timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while key not in self._results:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.client_id}: no {what} within {timeout}s")
                self._cond.wait(remaining)
            return self._results.pop(key)

    # -- operations ----------------------------------------------------------

    def connect(self, *, clean: bool | None = None, expect_success: bool = True,
                timeout: float = TIMEOUT) -> tuple[int, bool, Any]:
        """(Re)connect; returns ``(reason code, session present, CONNACK properties)``."""
        kwargs: dict[str, Any] = {"keepalive": self.keepalive}
        if self.version == V5:
            kwargs["clean_start"] = self.clean if clean is None else clean
            kwargs["properties"] = self._connect_props
        self.paho.connect(self.host, self.port, **kwargs)
        self.paho.loop_start()
        try:
            self.connack = self.connacks.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: no CONNACK within {timeout}s") from None
        if expect_success:
            assert self.connack[0] == 0, f"{self.client_id}: CONNACK refused: {self.connack}"
        return self.connack

    @property
    def session_present(self) -> bool:
        assert self.connack is not None
        return self.connack[1]

    def subscribe(self, topic: str | list, qos: int = 0, *, options: SubscribeOptions | None = None,
                  properties: Properties | None = None, timeout: float = TIMEOUT) -> list[int]:
        """Subscribe and return the SUBACK reason codes / granted QoS values."""
        if options is not None:
            result, mid = self.paho.subscribe(topic, options=options, properties=properties)
        else:
            result, mid = self.paho.subscribe(topic, qos, properties=properties)
        assert result == paho.MQTT_ERR_SUCCESS, f"subscribe failed locally: {result}"
        codes, self.last_suback_props = self._wait(("sub", mid), "SUBACK", timeout)
        return codes

    def unsubscribe(self, topic: str | list, *, timeout: float = TIMEOUT) -> list[int]:
        result, mid = self.paho.unsubscribe(topic)
        assert result == paho.MQTT_ERR_SUCCESS, f"unsubscribe failed locally: {result}"
        codes, _ = self._wait(("unsub", mid), "UNSUBACK", timeout)
        return codes

    def publish(self, topic: str, payload: bytes | str = b"", qos: int = 0, retain: bool = False,
                properties: Properties | None = None, *, wait: bool = True,
                timeout: float = TIMEOUT) -> int | None:
        """Publish; with ``wait`` block until the QoS flow completes and return the
        PUBACK / PUBREC reason code (MQTT 5) or 0."""
        info = self.paho.publish(topic, payload, qos, retain, properties)
        assert info.rc == paho.MQTT_ERR_SUCCESS, f"publish failed locally: {info.rc}"
        if not wait:
            return None
        return self._wait(("pub", info.mid), "publish completion", timeout)

    def get_message(self, timeout: float = TIMEOUT) -> Message:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: no message within {timeout}s") from None

    def get_messages(self, count: int, timeout: float = TIMEOUT) -> list[Message]:
        deadline = time.monotonic() + timeout
        out: list[Message] = []
        while len(out) < count:
            remaining = deadline - time.monotonic()
            try:
                out.append(self.messages.get(timeout=max(remaining, 0.001)))
            except queue.Empty:
                raise AssertionError(
                    f"{self.client_id}: got {len(out)} of {count} messages within {timeout}s: "
                    f"{[(m.topic, m.payload[:20]) for m in out]}") from None
        return out

    def expect_no_message(self, *, topic: str | None = None, publisher: "MqttClient | None" = None,
                          watch: float = 0.0) -> None:
        """Assert that no message arrives before a sentinel (see ``messages_until_sentinel``)."""
        extra = self.messages_until_sentinel(topic=topic, publisher=publisher, watch=watch)
        if extra:
            raise AssertionError(f"{self.client_id}: unexpected message(s) {extra}")

    def messages_until_sentinel(self, *, topic: str | None = None, publisher: "MqttClient | None" = None,
                                watch: float = 0.0, timeout: float = TIMEOUT) -> list[Message]:
        """The messages that arrive before a sentinel: this client subscribes (once) to a sentinel
        topic, ``$sentinel/CLIENT_ID`` unless ``topic`` names one it may use (a token client's
        grants, say), and ``publisher`` (this client by default) publishes QoS 1 sentinels there.
        Whatever the broker had decided to send this client before it routed a sentinel is
        delivered before that sentinel: a connection's messages of one QoS are ordered (4.6), and
        so are the broker's writes to one connection.

        Two sentinels, the second sent once the first came back: the broker hands a message for a
        connection on another event loop over as a task queued there, and an event loop serves
        the sockets that are ready before the tasks queued meanwhile, so a sentinel read in the
        same turn as such a task could overtake it; the second one is read in a later turn, after
        the task ran. A sentinel costs a round trip (about a millisecond), not a fixed wait.

        ``watch``: only where a clock is what the test is about (a keep-alive, a delay), seconds
        to watch first; the sentinel then ends the watch."""
        extra: list[Message] = []
        deadline = time.monotonic() + watch
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                extra.append(self.messages.get(timeout=remaining))
            except queue.Empty:
                break
        topic = topic or SENTINEL_PREFIX + self.client_id
        if topic not in self._sentinel_topics:
            codes = self.subscribe(topic, 1, timeout=timeout)
            assert codes in ([1], [0]), (f"{self.client_id}: subscribing to the sentinel topic {topic} gave "
                                        f"{codes}; pass a topic the client may use")
            self._sentinel_topics.add(topic)
        for _ in range(2):
            token = ("sentinel " + uuid.uuid4().hex).encode()
            rc = (publisher or self).publish(topic, token, qos=1, timeout=timeout)
            assert rc is None or rc < 0x80, f"publishing the sentinel to {topic} was refused: 0x{rc:02x}"
            end = time.monotonic() + timeout
            while True:
                try:
                    msg = self.messages.get(timeout=max(end - time.monotonic(), 0.001))
                except queue.Empty:
                    raise AssertionError(f"{self.client_id}: the sentinel on {topic} did not come back within "
                                         f"{timeout}s; before it: {extra}") from None
                if msg.topic == topic and msg.payload == token:
                    break
                extra.append(msg)
        return extra

    def drain(self) -> list[Message]:
        out = []
        while True:
            try:
                out.append(self.messages.get_nowait())
            except queue.Empty:
                return out

    def wait_disconnected(self, timeout: float = TIMEOUT) -> tuple[int, Any]:
        """Wait until the connection ends; returns paho's (reason code, properties),
        which carries the server's DISCONNECT reason code when one was sent."""
        try:
            return self.disconnects.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: still connected after {timeout}s") from None

    def is_connected(self) -> bool:
        return self.paho.is_connected()

    def disconnect(self, reasoncode: int | None = None, properties: Properties | None = None) -> None:
        """A clean DISCONNECT (MQTT 5: with the given reason code)."""
        rc = ReasonCode(PacketTypes.DISCONNECT, identifier=reasoncode) if reasoncode is not None else None
        if self.paho.is_connected():
            self.paho.disconnect(rc, properties)
            try:
                self.disconnects.get(timeout=TIMEOUT)
            except queue.Empty:
                pass
        self.paho.loop_stop()

    def kill(self) -> None:
        """Drop the TCP connection without a DISCONNECT (the server must treat it as a
        network failure: wills fire)."""
        sock = self.paho.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self.disconnects.get(timeout=TIMEOUT)
        except queue.Empty:
            pass
        self.paho.loop_stop()
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        """Teardown: disconnect if still connected, stop the thread."""
        try:
            if self.paho.is_connected():
                self.paho.disconnect()
        finally:
            self.paho.loop_stop()


# ---------------------------------------------------------------------------
# mosquitto command-line clients


CLI_VERSIONS = {V31: "31", V311: "311", V5: "5"}


def have_mosquitto_clients() -> bool:
    return all(shutil.which(tool) for tool in ("mosquitto_pub", "mosquitto_sub"))


class Subscriber:
    """A running ``mosquitto_sub -d`` that prints one JSON line per message
    (``-F %j``) and is known to be subscribed once it printed its SUBACK."""

    def __init__(self, host: str, port: int, topic: str | list[str], *, version: int = V5,
                 count: int = 1, timeout: int = 10, qos: int = 0, fmt: str = "%j",
                 extra: Iterable[str] = ()):
        topics = [topic] if isinstance(topic, str) else topic
        # stdbuf: mosquitto_sub's debug lines are block-buffered on a pipe, and the
        # SUBACK line is how we know it is subscribed.
        args = ["stdbuf", "-oL", "mosquitto_sub", "-d", "-h", host, "-p", str(port), "-V", CLI_VERSIONS[version],
                "-q", str(qos), "-C", str(count), "-W", str(timeout), "-F", "MSG " + fmt]
        for t in topics:
            args += ["-t", t]
        args += list(extra)
        self.args = args
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.messages: queue.Queue[str] = queue.Queue()
        self._subscribed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if "received SUBACK" in line:
                self._subscribed.set()
            elif line.startswith("MSG "):
                self.messages.put(line[4:])

    def wait_subscribed(self, timeout: float = TIMEOUT) -> "Subscriber":
        if not self._subscribed.wait(timeout):
            self.stop()
            raise AssertionError(f"mosquitto_sub never subscribed: {self.lines} "
                                 f"{self.proc.stderr.read().decode() if self.proc.stderr else ''}")
        return self

    def get(self, timeout: float = TIMEOUT) -> str:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"mosquitto_sub got nothing within {timeout}s: {self.lines}") from None

    def get_json(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(self.get(timeout))

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"mosquitto_sub did not exit within {timeout}s: {self.lines}") from None
        self._reader.join(timeout)
        return rc

    def kill(self) -> None:
        """SIGKILL our own child: the broker sees the TCP connection drop."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(TIMEOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()


def mosquitto_pub(host: str, port: int, topic: str, message: str | None = None, *,
                  version: int = V5, qos: int = 0, retain: bool = False,
                  extra: Iterable[str] = (), timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    args = ["mosquitto_pub", "-h", host, "-p", str(port), "-V", CLI_VERSIONS[version],
            "-q", str(qos), "-t", topic]
    if message is not None:
        args += ["-m", message]
    if retain:
        args.append("-r")
    args += list(extra)
    result = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{args} failed: {result.stderr.decode()}"
    return result


def run_tool(args: list[str], timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


class Witness:
    """Bystanders for tests that abuse the broker: a subscriber connected *before*
    the bad client, checked afterwards together with a brand-new connection, so a
    test proves other clients are unaffected (DESIGN §9)."""

    def __init__(self, broker: Any):
        self.broker = broker
        self.topic = "witness/" + unique("w")
        self.sub = broker.client(V311, unique("witness"))
        assert self.sub.subscribe(self.topic, 1) == [1]

    def check(self) -> None:
        assert self.broker.alive(), "the broker process died"
        assert self.sub.is_connected(), "an unrelated, already connected client was dropped"
        publisher = self.broker.client(V5, unique("witpub"))
        token = unique("ok").encode()
        publisher.publish(self.topic, token, qos=1)
        msg = self.sub.get_message()
        assert msg.payload == token
        publisher.disconnect()


# ---------------------------------------------------------------------------
# Transports: certificates and mqtt.js (Debian's node-mqtt)


def make_dev_cert(swiftlet_bin: str, directory: str) -> tuple[str, str]:
    """``swiftlet dev-cert DIR``: a self-signed certificate for localhost / 127.0.0.1;
    returns ``(cert.pem, key.pem)``."""
    result = run_tool([swiftlet_bin, "dev-cert", directory], timeout=60)
    assert result.returncode == 0, f"swiftlet dev-cert failed: {result.stderr.decode()}"
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    assert os.path.exists(cert) and os.path.exists(key), result.stdout.decode()
    return cert, key


NODE_PATH = "/usr/share/nodejs"


def have_mqtt_js() -> bool:
    return shutil.which("node") is not None and os.path.exists(os.path.join(NODE_PATH, "mqtt"))


class NodeProcess:
    """A node script that prints one JSON object per line; lines land in a queue."""

    def __init__(self, script: str, args: Iterable[str]):
        env = dict(os.environ, NODE_PATH=NODE_PATH)
        self.proc = subprocess.Popen(["node", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env)
        self.events: queue.Queue[dict] = queue.Queue()
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            try:
                self.events.put(json.loads(line))
            except ValueError:
                pass

    def expect(self, event: str, timeout: float = TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.events.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                self.stop()
                raise AssertionError(f"node: no {event!r} within {timeout}s; stdout={self.lines} "
                                     f"stderr={self.proc.stderr.read().decode() if self.proc.stderr else ''}") from None
            if item.get("event") == event:
                return item
            if item.get("event") in ("error", "timeout"):
                self.stop()
                raise AssertionError(f"node reported {item} while waiting for {event!r}")

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"node did not exit within {timeout}s: {self.lines}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(TIMEOUT)
