#!/usr/bin/env python3
##===----------------------------------------------------------------------===##
##
## This source file is part of the Swiftlet open source project
##
## Copyright (c) 2026 the Swiftlet authors
## Licensed under Apache License v2.0
##
## SPDX-License-Identifier: Apache-2.0
##
##===----------------------------------------------------------------------===##
"""Broker memory per idle connection and connection set-up rate (issue 5).

Starts every broker it measures itself, on loopback only, and stops each one (by its PID) when
done. Every wait is bounded; the whole run stops by itself.

For each row a fresh broker, then:

1. W warm-up connections (opened and kept), so that one-time allocations (thread caches, pools,
   the first session) are not charged to the measured ones; VmRSS from /proc/PID/status once it
   has settled ("before").
2. N connections opened by one non-blocking epoll client with at most F connection set-ups in
   flight (default 64, below every broker's listen backlog: Mosquitto listens with a backlog of
   100, and a SYN dropped on a full backlog is retried only a second later). Each: TCP connect
   from one of several 127.0.0.x source addresses (round-robin, so ephemeral ports never run
   short); for WebSocket the HTTP upgrade offering permessage-deflate, with the headers a
   desktop browser sends (about 530 bytes); then CONNECT (MQTT 3.1.1, clean session, keep-alive
   60, a distinct client ID) and, with --subscribe, SUBSCRIBE to a topic of its own
   (`room/{prefix}/{i}`, QoS 1) once CONNACK has arrived, as client libraries do (so the broker
   reads the two in separate reads); done when CONNACK (and SUBACK) arrived. The connections
   stay open and idle.
   "set-ups/s" = N / (time from the first connect() to the last CONNACK or SUBACK). The client's
   and the broker's CPU seconds over that interval are reported too: if the client used close to
   one core, the client (not the broker) bounded the rate.
3. VmRSS once settled ("after"); KiB per connection = (after - before) / N. Then every
   connection is closed and VmRSS read once more ("closed"): what the broker kept of the memory
   it used for them (freed but not returned, caches).

Peers: Mosquitto (Debian `mosquitto`, its TCP and websockets listeners; Mosquitto 2.0 does not
answer the permessage-deflate offer).

Prints a Markdown table on stdout and writes nothing else (Mosquitto's temporary config is
removed again).

    python3 scripts/conn-measure.py --broker .build-mem/release/swiftlet --mosquitto \\
        --connections 2000,10000 --subscribe both
"""

from __future__ import annotations

import argparse
import base64
import errno
import os
import re
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib

from measure_common import HOST, free_port, remaining_length, settled_rss, wait_port
SOURCE_ADDRESSES = [f"127.0.0.{i}" for i in range(2, 10)]
IP_BIND_ADDRESS_NO_PORT = 24   # Linux: pick the source port at connect(), per destination
KEEP_ALIVE = 60
WARMUP = 20
SETTLE_MAX = 10.0              # seconds to wait for RSS to stop moving
OPEN_TIMEOUT = 120.0           # for opening all N connections


# ---------------------------------------------------------------------------------------------
# MQTT 3.1.1 and WebSocket encoding


def _string(s: str) -> bytes:
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def mqtt_connect(client_id: str) -> bytes:
    body = _string("MQTT") + bytes([4, 0x02]) + KEEP_ALIVE.to_bytes(2, "big") + _string(client_id)
    return b"\x10" + remaining_length(len(body)) + body


def mqtt_subscribe(topic_filter: str) -> bytes:
    body = (1).to_bytes(2, "big") + _string(topic_filter) + bytes([1])
    return b"\x82" + remaining_length(len(body)) + body


def ws_frame(payload: bytes) -> bytes:
    """One masked binary client frame, FIN set (payloads here are under 126 bytes)."""
    assert len(payload) < 126
    mask = os.urandom(4)
    return bytes([0x82, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws_upgrade(port: int) -> bytes:
    """The upgrade request a desktop Chrome sends for `new WebSocket(url, "mqtt")` (about 530
    bytes), rather than the minimum: a broker's receive buffer sizes are met by what browsers send."""
    key = base64.b64encode(os.urandom(16)).decode()
    return ("GET /mqtt HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\n"
            "Connection: Upgrade\r\nPragma: no-cache\r\nCache-Control: no-cache\r\n"
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36\r\n"
            "Upgrade: websocket\r\n"
            f"Origin: http://{HOST}:{port}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9,zh-CN;q=0.8\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "Sec-WebSocket-Protocol: mqtt\r\n\r\n").encode()


def ws_payloads(buf: bytearray) -> list[bytes]:
    """Removes complete server frames from `buf` and returns their (inflated) payloads."""
    out = []
    while len(buf) >= 2:
        b0, b1 = buf[0], buf[1]
        n, at = b1 & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                break
            n, at = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            if len(buf) < 10:
                break
            n, at = int.from_bytes(buf[2:10], "big"), 10
        if len(buf) < at + n:
            break
        payload = bytes(buf[at:at + n])
        del buf[:at + n]
        if b0 & 0x40:
            d = zlib.decompressobj(-15)
            payload = d.decompress(payload + b"\x00\x00\xff\xff")
        if b0 & 0x0F in (0x0, 0x2):
            out.append(payload)
    return out


# ---------------------------------------------------------------------------------------------
# Brokers


class Broker:
    def __init__(self, name: str, argv: list[str], env: dict | None = None, cleanup: str | None = None) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.cleanup = cleanup
        self.proc: subprocess.Popen | None = None
        self.ports: dict[str, int] = {}
        self.stderr_lines: list[str] = []

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.cleanup:
            shutil.rmtree(self.cleanup, ignore_errors=True)

    def __enter__(self) -> "Broker":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def broker_env(extra: list[str]) -> dict:
    env = dict(os.environ)
    for item in extra:
        key, _, value = item.partition("=")
        env[key] = value
    return env


def start_swiftlet(path: str, extra_args: list[str], env: dict) -> Broker:
    argv = [path, "serve", "--mqtt", f"{HOST}:0", "--http", f"{HOST}:0", "--admin", "off", "--log-level", "notice", *extra_args]
    b = Broker("swiftlet", argv, env)
    b.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=env)
    pat = re.compile(r"listening (\w+) on (?:\[?[\d.:a-f]*\]?):(\d+)")
    ready = threading.Event()

    def pump() -> None:
        for line in b.proc.stderr:
            b.stderr_lines.append(line)
            m = pat.search(line)
            if m:
                b.ports[m.group(1)] = int(m.group(2))
                if "http" in b.ports and "mqtt" in b.ports:
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(30) or "http" not in b.ports or "mqtt" not in b.ports:
        b.stop()
        raise RuntimeError("swiftlet did not report its listeners:\n" + "".join(b.stderr_lines[-20:]))
    return b


def start_mosquitto(env: dict) -> Broker:
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    tmp = tempfile.mkdtemp(prefix="conn-measure-")
    ws_port, tcp_port = free_port(), free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {ws_port} {HOST}\nprotocol websockets\n"
                f"listener {tcp_port} {HOST}\nprotocol mqtt\n"
                "allow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n")
    argv = [exe, "-c", conf]
    b = Broker("mosquitto", argv, env, cleanup=tmp)
    b.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=env)
    b.ports = {"http": ws_port, "mqtt": tcp_port}
    try:
        wait_port(ws_port, b.proc)
        wait_port(tcp_port, b.proc)
    except Exception:
        b.stop()
        raise
    return b


# ---------------------------------------------------------------------------------------------
# The client


class Conn:
    __slots__ = ("sock", "index", "phase", "buf", "frames", "ws", "need")

    def __init__(self, sock: socket.socket, index: int, ws: bool, need: int) -> None:
        self.sock = sock
        self.index = index
        self.ws = ws
        self.phase = "connecting"
        self.buf = bytearray()
        self.frames = bytearray()
        self.need = need   # MQTT packets still expected (CONNACK, SUBACK)


def open_connections(broker: Broker, transport: str, subscribe: bool, first: int, count: int, in_flight: int,
                     prefix: str) -> tuple[list[socket.socket], float]:
    """Opens `count` connections, at most `in_flight` being set up at a time. Returns the open
    sockets and the seconds from the first connect() to the last CONNACK/SUBACK."""
    ws = transport == "ws"
    port = broker.ports["http"] if ws else broker.ports["mqtt"]
    need = 2 if subscribe else 1
    sel = selectors.EpollSelector()
    done: list[socket.socket] = []
    next_index, pending = first, 0
    end = first + count
    started = time.monotonic()
    deadline = started + OPEN_TIMEOUT

    def launch(i: int) -> None:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((SOURCE_ADDRESSES[i % len(SOURCE_ADDRESSES)], 0))
        rc = s.connect_ex((HOST, port))
        if rc not in (0, errno.EINPROGRESS):
            raise OSError(rc, f"connect: {os.strerror(rc)}")
        sel.register(s, selectors.EVENT_WRITE, Conn(s, i, ws, need))

    def first_bytes(c: Conn) -> bytes:
        if c.ws:
            return ws_upgrade(port)
        return mqtt_bytes(c)

    def mqtt_bytes(c: Conn) -> bytes:
        return mqtt_connect(f"{prefix}-{c.index}")

    def send_subscribe(c: Conn) -> None:
        data = mqtt_subscribe(f"room/{prefix}/{c.index}")
        c.sock.send(ws_frame(data) if c.phase == "ws" else data)

    def mqtt_received(c: Conn, data: bytes) -> None:
        c.buf += data
        while len(c.buf) >= 2:
            # Remaining length of the packets expected here is always under 128.
            n = c.buf[1]
            if len(c.buf) < 2 + n:
                break
            ptype = c.buf[0] >> 4
            if ptype == 2 and c.buf[3] != 0:
                raise ConnectionError(f"{broker.name}: CONNACK return code {c.buf[3]}")
            if ptype == 2 and subscribe:
                send_subscribe(c)
            if ptype == 9 and c.buf[4] & 0x80:
                raise ConnectionError(f"{broker.name}: SUBACK refused")
            if ptype in (2, 9):
                c.need -= 1
            del c.buf[:2 + n]

    try:
        while len(done) < count:
            while pending < in_flight and next_index < end:
                launch(next_index)
                next_index += 1
                pending += 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"{broker.name}: {count - len(done)} of {count} connections not set up")
            for key, events in sel.select(1.0):
                c: Conn = key.data
                s = c.sock
                if c.phase == "connecting":
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, f"connect: {os.strerror(err)}")
                    s.send(first_bytes(c))
                    c.phase = "http" if c.ws else "mqtt"
                    sel.modify(s, selectors.EVENT_READ, c)
                    continue
                data = s.recv(4096)
                if not data:
                    raise ConnectionError(f"{broker.name}: connection closed while being set up")
                if c.phase == "http":
                    c.buf += data
                    head_end = c.buf.find(b"\r\n\r\n")
                    if head_end < 0:
                        continue
                    if not c.buf.startswith(b"HTTP/1.1 101"):
                        raise ConnectionError(f"{broker.name}: upgrade refused: {bytes(c.buf[:60])!r}")
                    rest = bytes(c.buf[head_end + 4:])
                    c.buf = bytearray()
                    c.phase = "ws"
                    s.send(ws_frame(mqtt_bytes(c)))
                    c.frames += rest
                    data = b""
                if c.phase == "ws":
                    c.frames += data
                    for payload in ws_payloads(c.frames):
                        mqtt_received(c, payload)
                else:
                    mqtt_received(c, data)
                if c.need <= 0:
                    sel.unregister(s)
                    done.append(s)
                    pending -= 1
        return done, time.monotonic() - started
    except BaseException:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        for s in done:
            s.close()
        raise
    finally:
        sel.close()


def measure(broker: Broker, transport: str, subscribe: bool, n: int, in_flight: int) -> dict:
    socks: list[socket.socket] = []
    try:
        warm, _ = open_connections(broker, transport, subscribe, 0, WARMUP, in_flight, "warm")
        socks += warm
        before = settled_rss(broker, SETTLE_MAX)
        cpu_broker0 = broker.cpu_seconds()
        cpu_self0 = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        opened, seconds = open_connections(broker, transport, subscribe, 0, n, in_flight, "idle")
        socks += opened
        cpu_self = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_self0
        cpu_broker = broker.cpu_seconds() - cpu_broker0
        after = settled_rss(broker, SETTLE_MAX)
        if broker.proc.poll() is not None:
            raise RuntimeError(f"{broker.name} exited")
    finally:
        for s in socks:
            s.close()
    closed = settled_rss(broker, SETTLE_MAX)
    return {"before": before, "after": after, "closed": closed, "per": (after - before) / n,
            "rate": n / seconds, "seconds": seconds, "cpu_self": cpu_self, "cpu_broker": cpu_broker}


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--broker", help="path of the swiftlet executable (a release build)")
    ap.add_argument("--mosquitto", action="store_true", help="also measure Mosquitto")
    ap.add_argument("--connections", default="2000,10000", help="comma-separated N per row (default 2000,10000)")
    ap.add_argument("--transports", default="tcp,ws", help="tcp, ws (WebSocket offering deflate) or both")
    ap.add_argument("--subscribe", choices=["no", "yes", "both"], default="both",
                    help="one SUBSCRIBE per connection to a topic of its own")
    ap.add_argument("--in-flight", type=int, default=64,
                    help="connection set-ups in flight (default 64: below every measured broker's listen backlog, "
                         "Mosquitto's is 100, so that no SYN is dropped and retried a second later)")
    ap.add_argument("--swiftlet-arg", action="append", default=[], help="extra argument for `swiftlet serve`")
    ap.add_argument("--env", action="append", default=[],
                    help="NAME=VALUE for the brokers' environment (diagnosis only, e.g. MALLOC_ARENA_MAX=1)")
    args = ap.parse_args()
    if not args.broker and not args.mosquitto:
        ap.error("nothing to measure: give --broker and/or --mosquitto")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))   # the brokers inherit it
    counts = [int(x) for x in args.connections.split(",")]
    if max(counts) + WARMUP + 64 > hard:
        ap.error(f"RLIMIT_NOFILE hard limit {hard} is too low for {max(counts)} connections")
    transports = [t for t in args.transports.split(",") if t]
    subscribes = {"no": [False], "yes": [True], "both": [False, True]}[args.subscribe]
    env = broker_env(args.env)

    brokers = []
    if args.broker:
        brokers.append(("Swiftlet", lambda: start_swiftlet(args.broker, args.swiftlet_arg, env)))
    if args.mosquitto:
        brokers.append(("Mosquitto", lambda: start_mosquitto(env)))

    print(f"Keep-alive {KEEP_ALIVE} s, MQTT 3.1.1, {WARMUP} warm-up connections, at most {args.in_flight} set-ups "
          f"in flight, sources {SOURCE_ADDRESSES[0]}-{SOURCE_ADDRESSES[-1]}"
          + (f", broker environment {' '.join(args.env)}" if args.env else "") + ".\n")
    print("| broker | transport | SUBSCRIBE | N | VmRSS before (KiB) | after (KiB) | KiB per connection "
          "| after closing all (KiB) | set-ups/s | client CPU s | broker CPU s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, start in brokers:
        for transport in transports:
            for subscribe in subscribes:
                for n in counts:
                    with start() as b:
                        r = measure(b, transport, subscribe, n, args.in_flight)
                    t = "TCP" if transport == "tcp" else "WS, deflate offered"
                    print(f"| {label} | {t} | {'yes' if subscribe else 'no'} | {n} | {r['before']} | {r['after']} "
                          f"| {r['per']:.2f} | {r['closed']} | {r['rate']:.0f} | {r['cpu_self']:.2f} "
                          f"| {r['cpu_broker']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
