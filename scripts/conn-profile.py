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
"""Where a connection's memory and set-up instructions go (issue 12).

Starts `swiftlet serve` under a profiler, on loopback only, opens N idle TCP connections with the
client of scripts/conn-measure.py (20 warm-up connections first; CONNECT 3.1.1, and with
--subscribe one SUBSCRIBE after CONNACK), closes them, and stops the broker by its PID.

    heaptrack  peak heap by allocation site (written to OUT.zst); print it with
               heaptrack_print -f OUT.zst --flamegraph-cost-type peak -F OUT.folded
               (each line: a stack and its bytes at the peak; divide by N + 20)
    callgrind  instructions the broker executes (user space only) from the first to the last
               set-up, counted by valgrind: repeatable on a shared machine, where CPU time is not.
               The dump is OUT.1; `callgrind_annotate OUT.1 | grep TOTALS` / N = per set-up.
               Valgrind 3.19 cannot read Swift 6.3's DWARF: the script runs a copy of the binary
               without debug info (objcopy --strip-debug; symbols stay).

    python3 scripts/conn-profile.py --broker .build-rel/release/swiftlet --tool callgrind \\
        --connections 2000 --subscribe --out /tmp/cg.out
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
_spec = importlib.util.spec_from_file_location("conn_measure", os.path.join(HERE, "conn-measure.py"))
conn_measure = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conn_measure)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--broker", required=True, help="path of the swiftlet executable (a release build)")
    ap.add_argument("--tool", choices=["heaptrack", "callgrind"], required=True)
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--subscribe", action="store_true", help="one SUBSCRIBE per connection after CONNACK")
    ap.add_argument("--out", required=True, help="output file of the profiler")
    args = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="conn-profile.")
    binary = args.broker
    if args.tool == "callgrind":
        binary = os.path.join(scratch, "swiftlet")
        subprocess.run(["objcopy", "--strip-debug", args.broker, binary], check=True)
        prefix = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={args.out}"]
    else:
        prefix = ["heaptrack", "-o", args.out]
    argv = [*prefix, binary, "serve", "--mqtt", "127.0.0.1:0", "--http", "127.0.0.1:0", "--admin", "off",
            "--log-level", "notice"]
    broker = conn_measure.Broker("swiftlet", argv)
    broker.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
    listening = re.compile(r"listening (\w+) on (?:\[?[\d.:a-f]*\]?):(\d+)")
    ready = threading.Event()

    def pump() -> None:
        for line in broker.proc.stderr:
            m = listening.search(line)
            if m:
                broker.ports[m.group(1)] = int(m.group(2))
                if "mqtt" in broker.ports and "http" in broker.ports:
                    ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    socks = []
    try:
        if not ready.wait(120) or "mqtt" not in broker.ports:
            raise RuntimeError("swiftlet did not report its listeners")
        # valgrind runs the program in its own process; heaptrack's script starts it as a child.
        pid = broker.proc.pid
        if args.tool == "heaptrack":
            children = open(f"/proc/{pid}/task/{pid}/children").read().split()
            pid = next(int(c) for c in children if os.readlink(f"/proc/{c}/exe") == os.path.realpath(binary))
        warm, _ = conn_measure.open_connections(broker, "tcp", args.subscribe, 0, conn_measure.WARMUP, 64, "warm")
        socks += warm
        if args.tool == "callgrind":
            subprocess.run(["callgrind_control", "--zero", str(pid)], check=True, stdout=subprocess.DEVNULL)
        opened, seconds = conn_measure.open_connections(broker, "tcp", args.subscribe, 0, args.connections, 64, "idle")
        socks += opened
        if args.tool == "callgrind":
            time.sleep(0.5)
            subprocess.run(["callgrind_control", "--dump=setup", str(pid)], check=True, stdout=subprocess.DEVNULL)
        print(f"opened {len(opened)} connections in {seconds:.2f} s", file=sys.stderr)
        time.sleep(2)
        # Closed before the broker stops, so that the peak heap is that of the idle connections
        # and not of the shutdown's tasks.
        for s in socks:
            s.close()
        socks = []
        time.sleep(1.5)
        os.kill(pid, signal.SIGINT)
        broker.proc.wait(timeout=120)
    finally:
        for s in socks:
            s.close()
        if broker.proc.poll() is None:
            broker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
