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

"""``swiftlet bench fanout`` against the broker under test: a short, small run over TCP and over
WebSocket with permessage-deflate must report every expected delivery, none lost.

The bench binary is always Swiftlet's (``$SWIFTLET_BIN bench``); the broker is whatever
``INTEROP_BROKER`` selects. Each run is bounded: 2 s measured, 0.5 s warm-up, 30 s timeout.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import SWIFTLET_BIN

SUBSCRIBERS = 6
ROOMS = 2
PUBLISHERS = 2
RATE = 100  # messages per second, all publishers together


def run_bench(url: str, *extra: str) -> dict[str, str]:
    cmd = [SWIFTLET_BIN, "bench", "fanout", "--url", url,
           "--subscribers", str(SUBSCRIBERS), "--rooms", str(ROOMS), "--publishers", str(PUBLISHERS),
           "--rate", str(RATE), "--duration", "2", "--warmup", "0.5", "--drain", "3", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("scenario=")]
    assert len(lines) == 1, done.stdout + done.stderr
    fields = dict(part.split("=", 1) for part in lines[0].split(" "))
    assert re.search(r"^\[fanout", done.stderr, re.MULTILINE), "no progress line on stderr"
    return fields


def check_complete(fields: dict[str, str]) -> None:
    sent = int(fields["sent"])
    # Publisher i publishes to room i mod ROOMS; each room has SUBSCRIBERS / ROOMS subscribers.
    assert sent >= RATE * 2, fields  # at least the measured 2 s worth
    assert int(fields["expected"]) == sent * (SUBSCRIBERS // ROOMS), fields
    assert int(fields["received"]) == int(fields["expected"]), fields
    assert fields["lost"] == "0" and fields["loss"] == "0.000%", fields
    assert fields["dups"] == "0", fields
    assert float(fields["deliveries_per_s"]) > 0, fields


@pytest.mark.parametrize("qos", ["0", "1"])
def test_bench_fanout_tcp(broker, qos: str) -> None:
    fields = run_bench(f"mqtt://127.0.0.1:{broker.port}", "--qos", qos)
    assert fields["transport"] == "tcp" and fields["qos"] == qos
    check_complete(fields)


@pytest.mark.swiftlet_only
def test_bench_fanout_ws_deflate(broker, tmp_path) -> None:
    csv = tmp_path / "bench.csv"
    fields = run_bench(f"ws+deflate://127.0.0.1:{broker.listener_port('http')}/mqtt",
                       "--protocol", "5", "--size", "600", "--csv", str(csv))
    assert fields["transport"] == "ws+deflate" and fields["mqtt"] == "5.0"
    # Every connection negotiated permessage-deflate with Swiftlet.
    total = SUBSCRIBERS + PUBLISHERS
    assert fields["deflate_accepted"] == f"{total}/{total}", fields
    check_complete(fields)
    header, row = csv.read_text().splitlines()
    assert header.startswith("scenario,broker,transport,")
    assert row.startswith("fanout,,ws+deflate,5.0,0,600,")
