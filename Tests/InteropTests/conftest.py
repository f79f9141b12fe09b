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
"""Fixtures for the interop suite: a real broker process per test.

``INTEROP_BROKER=swiftlet`` (the default) runs ``$SWIFTLET_BIN serve --mqtt 127.0.0.1:0
--log-level debug [flags]`` and learns the port from its ``listening mqtt on
127.0.0.1:<port>`` log line. ``INTEROP_BROKER=mosquitto`` runs Debian's ``mosquitto``
with a generated configuration instead, which validates the tests themselves against a
mature broker: tests marked ``swiftlet_only`` are skipped there, and tests marked
``mosquitto_deviation("why")`` are expected to fail there (strictly) because Mosquitto
departs from the specification on that point.

Each broker runs in its own temporary working directory, so on-disk state never
leaks from one test to the next. Teardown signals only the broker's own PID.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import wire
from helpers import V5, MqttClient, Witness

BROKER_KIND = os.environ.get("INTEROP_BROKER", "swiftlet").strip().lower()
REPO_ROOT = Path(__file__).resolve().parents[2]
SWIFTLET_BIN = os.environ.get("SWIFTLET_BIN", str(REPO_ROOT / ".build" / "debug" / "swiftlet"))
MOSQUITTO_BIN = os.environ.get("MOSQUITTO_BIN", "mosquitto")

STARTUP_TIMEOUT = float(os.environ.get("INTEROP_STARTUP_TIMEOUT", "20"))
SHUTDOWN_TIMEOUT = 10.0

SWIFTLET_READY = re.compile(r"listening mqtt on 127\.0\.0\.1:(\d+)")
MOSQUITTO_READY = re.compile(r"mosquitto version \S+ running")

# Swiftlet flag → (Mosquitto option, scope). Flags absent here have no Mosquitto
# equivalent: a test that passes one is skipped under Mosquitto.
MOSQUITTO_OPTIONS = {
    "--max-packet-size": ("max_packet_size", "global"),
    "--max-inflight": ("max_inflight_messages", "global"),
    "--max-queued-messages": ("max_queued_messages", "global"),
    "--max-keepalive": ("max_keepalive", "global"),
    "--max-connections": ("max_connections", "listener"),
    "--topic-alias-maximum": ("max_topic_alias", "listener"),
}


def is_mosquitto() -> bool:
    return BROKER_KIND == "mosquitto"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "swiftlet_only: Swiftlet-specific; skipped under INTEROP_BROKER=mosquitto")
    config.addinivalue_line(
        "markers",
        "mosquitto_deviation(reason): spec-correct assertion Mosquitto 2 fails; xfail(strict) under Mosquitto")
    if BROKER_KIND not in ("swiftlet", "mosquitto"):
        raise pytest.UsageError(f"INTEROP_BROKER must be swiftlet or mosquitto, not {BROKER_KIND!r}")


def pytest_report_header(config: pytest.Config) -> str:
    target = SWIFTLET_BIN if BROKER_KIND == "swiftlet" else MOSQUITTO_BIN
    return f"interop broker: {BROKER_KIND} ({target})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not is_mosquitto():
        return
    for item in items:
        if item.get_closest_marker("swiftlet_only"):
            item.add_marker(pytest.mark.skip(reason="Swiftlet-specific behaviour"))
        deviation = item.get_closest_marker("mosquitto_deviation")
        if deviation:
            reason = deviation.args[0] if deviation.args else deviation.kwargs.get("reason", "")
            item.add_marker(pytest.mark.xfail(reason=f"Mosquitto deviates: {reason}", strict=True))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for index, broker in enumerate(getattr(item, "_interop_brokers", [])):
            tail = "\n".join(broker.lines[-150:])
            report.sections.append((f"broker {index} log ({broker.kind}, {broker.cmdline})", tail))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """One running broker process and the clients a test opened against it."""

    host = "127.0.0.1"

    def __init__(self, kind: str, cmdline: list[str], workdir: Path, ready: re.Pattern[str],
                 port: int | None):
        self.kind = kind
        self.cmdline = cmdline
        self.workdir = workdir
        self.port = port or 0
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._ready_re = ready
        self._ready = threading.Event()
        self._clients: list[Any] = []
        self.stopped = False
        self.exit_code: int | None = None
        self.proc = subprocess.Popen(cmdline, cwd=workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                         for stream in (self.proc.stderr, self.proc.stdout)]
        for reader in self._readers:
            reader.start()
        self._await_ready()

    # -- process ------------------------------------------------------------

    def _read(self, stream: Any) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)
            if not self._ready.is_set():
                match = self._ready_re.search(line)
                if match:
                    if match.groups():
                        self.port = int(match.group(1))
                    self._ready.set()

    def _await_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                for reader in self._readers:
                    reader.join(1)
                pytest.fail(f"{self.kind} exited with {self.proc.returncode} before listening:\n"
                            + "\n".join(self.lines[-50:]), pytrace=False)
            if time.monotonic() > deadline:
                self._kill()
                pytest.fail(f"{self.kind} did not log its listening line within {STARTUP_TIMEOUT}s:\n"
                            + "\n".join(self.lines[-50:]), pytrace=False)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(SHUTDOWN_TIMEOUT)

    def signal(self, signum: int = signal.SIGTERM, timeout: float = SHUTDOWN_TIMEOUT) -> int | None:
        """Send ``signum`` to this broker's own PID and wait for it to exit; returns the
        exit code, or None if it had to be killed with SIGKILL after ``timeout``."""
        self.stopped = True
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                self._close_pipes()
                self.exit_code = None
                return None
        for reader in self._readers:
            reader.join(2)
        self._close_pipes()
        self.exit_code = self.proc.returncode
        return self.exit_code

    def _close_pipes(self) -> None:
        """Close our ends of the broker's stdout/stderr pipes. Left to the garbage collector they
        pile up over a few hundred tests, and past 1,024 descriptors paho's select()-based network
        thread dies silently (a client then never sees its CONNACK)."""
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    # -- logs ---------------------------------------------------------------

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def log_since(self, mark: int = 0) -> list[str]:
        with self._lock:
            return list(self.lines[mark:])

    def listener_port(self, name: str, timeout: float = 10.0) -> int:
        """The port of the listener that logged ``listening NAME on 127.0.0.1:PORT``."""
        line = self.wait_for_log(rf"listening {name} on 127\.0\.0\.1:\d+", timeout=timeout)
        return int(re.search(rf"listening {name} on 127\.0\.0\.1:(\d+)", line).group(1))

    def wait_for_log(self, pattern: str, *, since: int = 0, timeout: float = 5.0) -> str:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_since(since):
                if regex.search(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line matching {pattern!r} within {timeout}s")
            time.sleep(0.02)

    # -- clients ------------------------------------------------------------

    def client(self, version: int = V5, client_id: str | None = None, **kwargs: Any) -> MqttClient:
        """A connected paho client (closed at teardown)."""
        kwargs.setdefault("connect", True)
        c = MqttClient(self.host, self.port, version, client_id, connect=False,
                       **{k: v for k, v in kwargs.items() if k not in ("connect", "expect_success")})
        self._clients.append(c)
        if kwargs["connect"]:
            c.connect(expect_success=kwargs.get("expect_success", True))
        return c

    def raw(self, version: int = V5, **kwargs: Any) -> wire.RawClient:
        """An unconnected raw socket client (closed at teardown)."""
        c = wire.RawClient(self.host, self.port, version=version, **kwargs)
        self._clients.append(c)
        return c

    def raw_connected(self, client_id: str | None = None, version: int = V5,
                      **connect_kwargs: Any) -> wire.RawClient:
        from helpers import unique
        c = self.raw(version)
        c.connack = c.connected(unique("raw") if client_id is None else client_id, **connect_kwargs)
        return c

    def close_clients(self) -> None:
        for c in reversed(self._clients):
            try:
                c.close()
            except Exception:
                pass
        self._clients.clear()


def _swiftlet_cmdline(flags: list[str], use_mqtt_flag: bool) -> list[str]:
    if not os.path.exists(SWIFTLET_BIN):
        pytest.fail(f"Swiftlet binary not found at {SWIFTLET_BIN}: run `swift build` or set SWIFTLET_BIN",
                    pytrace=False)
    cmd = [SWIFTLET_BIN, "serve"]
    if use_mqtt_flag:
        cmd += ["--mqtt", "127.0.0.1:0"]
    # The HTTP/WebSocket listener is on by default (0.0.0.0:8080): keep it on loopback and on a
    # free port unless the test chose one.
    if "--http" not in flags:
        cmd += ["--http", "127.0.0.1:0"]
    # The admin API listens on 127.0.0.1:18083 by default: brokers of the suite take a free port
    # instead (learned with ``Broker.listener_port("admin")``), so they never collide with each
    # other or with a broker running on this machine.
    if "--admin" not in flags:
        cmd += ["--admin", "127.0.0.1:0"]
    return cmd + ["--log-level", "debug"] + flags


def _mosquitto_config(flags: list[str], port: int) -> str:
    global_opts: list[str] = []
    listener_opts: list[str] = []
    i = 0
    while i < len(flags):
        flag = flags[i]
        if flag not in MOSQUITTO_OPTIONS:
            pytest.skip(f"no Mosquitto equivalent for {flag}")
        option, scope = MOSQUITTO_OPTIONS[flag]
        value = flags[i + 1]
        (global_opts if scope == "global" else listener_opts).append(f"{option} {value}")
        i += 2
    return "\n".join([
        "per_listener_settings false",
        "persistence false",
        "allow_anonymous true",
        "log_dest stderr",
        "log_type all",
        "connection_messages true",
        *global_opts,
        f"listener {port} 127.0.0.1",
        *listener_opts,
        "",
    ])


@pytest.fixture
def broker_factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """``broker_factory(*flags, config=None, use_mqtt_flag=True)`` starts a broker.

    ``flags`` are Swiftlet CLI flags (``"--max-packet-size", "1000"``); ``config`` is
    YAML text written to a file and passed as ``--config`` (Swiftlet only).
    """
    brokers: list[Broker] = []
    request.node._interop_brokers = brokers

    def start(*flags: str, config: str | None = None, use_mqtt_flag: bool = True) -> Broker:
        workdir = tmp_path_factory.mktemp("broker")
        flag_list = [str(f) for f in flags]
        if is_mosquitto():
            if config is not None or not use_mqtt_flag:
                pytest.skip("Swiftlet configuration file")
            port = free_port()
            conf = workdir / "mosquitto.conf"
            conf.write_text(_mosquitto_config(flag_list, port))
            b = Broker("mosquitto", [MOSQUITTO_BIN, "-c", str(conf)], workdir, MOSQUITTO_READY, port)
        else:
            if config is not None:
                path = workdir / "swiftlet.yaml"
                path.write_text(config)
                flag_list = ["--config", str(path)] + flag_list
            b = Broker("swiftlet", _swiftlet_cmdline(flag_list, use_mqtt_flag), workdir, SWIFTLET_READY, None)
        brokers.append(b)
        return b

    yield start

    problems = []
    for b in brokers:
        b.close_clients()
        if b.stopped:
            continue
        died_early = b.proc.poll() is not None
        code = b.signal(signal.SIGTERM)
        if died_early:
            problems.append(f"{b.kind} died during the test with exit code {code}")
        elif code is None:
            problems.append(f"{b.kind} ignored SIGTERM for {SHUTDOWN_TIMEOUT}s and was killed")
        elif code not in (0, -signal.SIGTERM):
            problems.append(f"{b.kind} exited with {code} after SIGTERM")
    if problems:
        tails = "\n\n".join("\n".join(b.lines[-80:]) for b in brokers)
        pytest.fail("; ".join(problems) + "\n" + tails, pytrace=False)


@pytest.fixture
def broker(broker_factory) -> Broker:
    """A broker with default settings."""
    return broker_factory()


@pytest.fixture
def witness(broker) -> Witness:
    """A subscriber connected before the test's bad client; ``witness.check()``
    proves the broker still serves it and new clients."""
    return Witness(broker)
