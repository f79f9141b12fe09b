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
"""A synthetic crowd for the demo page's live room: N viewers and M commenters.

    python3 scripts/demo-crowd.py --room lobby --viewers 2000 --commenters 20 --rate 40 --duration 60

Viewers connect over MQTT/TCP and subscribe to ``live/{room}`` (QoS 0), so the broker fans every
comment out to them as it does to the people watching the page; commenters publish bullet
comments in the page's JSON format (docs/web-demo.md) at ``--rate`` comments per second in
total. Open the page, pick the same room, switch to Live and tick "show batching" to watch the
broker batch them. Standard library only (asyncio, a minimal MQTT 3.1.1 client); bounded in
count and time; loopback only unless ``--allow-remote``.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import random
import socket
import struct
import sys
import time

PHRASES = [
    "666", "gg", "what a play!", "first time here, hi all", "that was close", "again!", "lol",
    "so smooth", "hello from the crowd", "clip it!", "W", "nice", "let's go", "unreal", "🔥🔥🔥",
]


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value % 128
        value //= 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes([(kind << 4) | flags]) + varint(len(body)) + body


def connect_packet(client_id: str, keepalive: int, username: str | None, password: str | None) -> bytes:
    # MQTT 3.1.1 §3.1: protocol name, level 4, flags (clean session, user name, password), keep-alive,
    # then the payload: client ID, user name, password.
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    payload = string(client_id) + (string(username) if username is not None else b"") \
        + (string(password) if password is not None else b"")
    return packet(1, 0, string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload)


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    first = (await reader.readexactly(1))[0]
    length, multiplier = 0, 1
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            break
        multiplier *= 128
    return first >> 4, await reader.readexactly(length)


class Counters:
    def __init__(self) -> None:
        self.connected = 0
        self.received = 0
        self.sent = 0
        self.failed = 0


async def session(args, client_id: str, counters: Counters,
                  topic: str | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port), 10)
        writer.write(connect_packet(client_id, 60, args.username, args.password))
        kind, body = await asyncio.wait_for(read_packet(reader), 10)
        if kind != 2 or body[1] != 0:
            raise ConnectionError(f"CONNACK {body.hex()}")
        if topic is not None:
            writer.write(packet(8, 0b0010, struct.pack("!H", 1) + string(topic) + b"\x00"))
        counters.connected += 1
        return reader, writer
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, IndexError) as error:
        counters.failed += 1
        if counters.failed <= 3:
            print(f"{client_id}: {error}", file=sys.stderr)
        return None


async def viewer(args, index: int, stop: asyncio.Event, counters: Counters) -> None:
    opened = await session(args, f"GID_crowd@@@viewer-{index}", counters, f"live/{args.room}")
    if opened is None:
        return
    reader, writer = opened
    stopped = asyncio.ensure_future(stop.wait())
    read = asyncio.ensure_future(read_packet(reader))
    try:
        while not stop.is_set():
            done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED, timeout=30)
            if read in done:
                if read.result()[0] == 3:
                    counters.received += 1
                read = asyncio.ensure_future(read_packet(reader))
            elif not done:
                writer.write(packet(12, 0, b""))  # PINGREQ: keep-alive is 60 s
    except (OSError, asyncio.IncompleteReadError):
        counters.failed += 1
    finally:
        read.cancel()
        stopped.cancel()
        writer.close()


async def commenter(args, index: int, stop: asyncio.Event, counters: Counters) -> None:
    opened = await session(args, f"GID_crowd@@@commenter-{index}", counters, None)
    if opened is None:
        return
    reader, writer = opened
    interval = args.commenters / args.rate
    color = f"hsl({random.randrange(360)} 90% 70%)"
    next_at = time.monotonic() + random.random() * interval
    try:
        while not stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except asyncio.TimeoutError:
                    pass
            next_at += interval
            comment = {"from": f"GID_crowd@@@commenter-{index}", "nick": f"fan{index}",
                       "text": random.choice(PHRASES), "color": color}
            writer.write(packet(3, 0, string(f"live/{args.room}") + json.dumps(comment).encode()))
            counters.sent += 1
            await writer.drain()
    except OSError:
        counters.failed += 1
    finally:
        writer.close()


def counters_viewers(counters: Counters, args) -> int:
    return max(0, counters.connected - args.commenters)


async def main(args) -> int:
    stop = asyncio.Event()
    counters = Counters()
    tasks = []
    # Connect in batches so the broker's accept queue and the CONNECT timeout are not overrun.
    for start in range(0, args.viewers, 200):
        batch = [asyncio.create_task(viewer(args, i, stop, counters)) for i in range(start, min(args.viewers, start + 200))]
        tasks += batch
        while counters.connected + counters.failed < min(args.viewers, start + 200):
            await asyncio.sleep(0.01)
    tasks += [asyncio.create_task(commenter(args, i, stop, counters)) for i in range(args.commenters)]
    print(f"crowd: {counters.connected} viewers connected; {args.commenters} commenters at {args.rate}/s "
          f"on live/{args.room} for {args.duration}s", flush=True)
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        await asyncio.sleep(min(1, deadline - time.monotonic()))
        if args.verbose:
            print(f"sent {counters.sent} received {counters.received}", flush=True)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    expected = counters.sent * counters_viewers(counters, args)
    print(f"crowd: sent {counters.sent} comments, viewers received {counters.received} of {expected} "
          f"({counters.failed} connection failures). A shortfall is the broker dropping QoS 0 for viewers "
          f"that read too slowly: this one Python process reads some 10,000 packets/s in all; "
          f"`swiftlet bench fanout` is the load generator for figures.", flush=True)
    return 0 if counters.failed == 0 else 1


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883, help="the broker's MQTT/TCP port")
    parser.add_argument("--room", default="lobby", help="the room the page shows (topic live/ROOM)")
    parser.add_argument("--viewers", type=int, default=500, help="subscribers, at most 15000")
    parser.add_argument("--commenters", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20, help="comments per second, all commenters together")
    parser.add_argument("--duration", type=float, default=60, help="seconds, at most 3600")
    parser.add_argument("--username", help="for a broker that refuses anonymous clients, e.g. 'Token|KEY|INSTANCE'")
    parser.add_argument("--password", help="e.g. the token password scripts/demo.sh prints")
    parser.add_argument("--allow-remote", action="store_true", help="allow a broker that is not on loopback")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not 0 <= args.viewers <= 15000 or not 1 <= args.commenters <= 1000 or not 0 < args.rate <= 10000 \
            or not 0 < args.duration <= 3600:
        parser.error("viewers 0–15000, commenters 1–1000, rate 0–10000/s, duration 0–3600 s")
    if not args.allow_remote:
        address = ipaddress.ip_address(socket.gethostbyname(args.host))
        if not address.is_loopback:
            parser.error(f"{args.host} is not a loopback address; pass --allow-remote to load it anyway")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
