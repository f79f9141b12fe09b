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
"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol.

Just enough of CDP for the demo-page test: start the browser on a free debugging port, open
pages, evaluate JavaScript (awaiting promises, so a test waits for a DOM event instead of
sleeping), collect events such as ``Network.webSocketHandshakeResponseReceived``, and take
screenshots. Only the browser this module started is stopped, by its PID.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

DEVTOOLS_LINE = re.compile(r"DevTools listening on (ws://127\.0\.0\.1:(\d+)/devtools/browser/\S+)")


def chromium_binary() -> str | None:
    return os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")


class CDPError(RuntimeError):
    pass


class Session:
    """One DevTools WebSocket (a browser or a page target)."""

    def __init__(self, url: str):
        self.ws = connect(url, max_size=None, open_timeout=10)  # closed in close()
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int, dict[str, Any]] = {}
        self.lock = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                message = json.loads(raw)
                with self.lock:
                    if "id" in message:
                        self.responses[message["id"]] = message
                    else:
                        self.events.append(message)
                    self.lock.notify_all()
        except Exception:
            with self.lock:
                self.lock.notify_all()

    def call(self, method: str, wait: float = 20.0, **params: Any) -> dict[str, Any]:
        call_id = next(self.ids)
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        deadline = time.monotonic() + wait
        with self.lock:
            while call_id not in self.responses:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CDPError(f"{method}: no answer within {wait}s")
                self.lock.wait(remaining)
            response = self.responses.pop(call_id)
        if "error" in response:
            raise CDPError(f"{method}: {response['error']}")
        return response.get("result", {})

    def event(self, method: str, predicate=lambda params: True, timeout: float = 20.0) -> dict[str, Any]:
        """The first event ``method`` (seen so far or arriving within ``timeout``) whose params match."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for event in self.events:
                    if event["method"] == method and predicate(event["params"]):
                        return event["params"]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CDPError(f"no {method} event within {timeout}s")
                self.lock.wait(remaining)

    def close(self) -> None:
        self.ws.close()


class Page(Session):
    def evaluate(self, expression: str, timeout: float = 20.0) -> Any:
        """Evaluates ``expression`` in the page, awaiting it if it is a promise."""
        result = self.call("Runtime.evaluate", wait=timeout + 5, expression=expression,
                           awaitPromise=True, returnByValue=True, timeout=int(timeout * 1000))
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"page threw: {text}")
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout: float = 15.0, what: str | None = None) -> Any:
        """Resolves when the JavaScript expression ``condition`` is truthy, checked on every DOM
        mutation and animation frame in the page; fails after ``timeout``."""
        script = f"""new Promise((resolve, reject) => {{
            const check = () => {{ try {{ return ({condition}); }} catch (e) {{ return false; }} }};
            const first = check();
            if (first) {{ resolve(first); return; }}
            const observer = new MutationObserver(() => {{ const v = check(); if (v) {{ done(); resolve(v); }} }});
            const timer = setTimeout(() => {{ done(); reject(new Error('timed out waiting for ' + {json.dumps(what or condition)})); }}, {int(timeout * 1000)});
            const poll = setInterval(() => {{ const v = check(); if (v) {{ done(); resolve(v); }} }}, 50);
            const done = () => {{ observer.disconnect(); clearTimeout(timer); clearInterval(poll); }};
            observer.observe(document, {{ subtree: true, childList: true, attributes: true, characterData: true }});
        }})"""
        return self.evaluate(script, timeout=timeout + 2)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


class Browser:
    """A headless Chromium process with its own profile directory."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="swiftlet-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--remote-debugging-port=0",
             "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile}",
             "--window-size=1280,800", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.port, url = self._await_devtools()
        self.browser = Session(url)
        self.pages: list[Page] = []

    def _await_devtools(self) -> tuple[int, str]:
        deadline = time.monotonic() + 30
        lines = []
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            raw = self.proc.stderr.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            match = DEVTOOLS_LINE.search(line)
            if match:
                # Keep draining stderr so the browser never blocks on a full pipe.
                threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
                return int(match.group(2)), match.group(1)
        self.close()
        raise CDPError("chromium did not print its DevTools address:\n" + "".join(lines[-20:]))

    def new_page(self, url: str, *, width: int = 1280, height: int = 800, mobile: bool = False) -> Page:
        target = self.browser.call("Target.createTarget", url="about:blank")["targetId"]
        page = Page(f"ws://127.0.0.1:{self.port}/devtools/page/{target}")
        page.target_id = target
        self.pages.append(page)
        page.call("Network.enable")
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        page.call("Page.navigate", url=url)
        page.event("Page.loadEventFired")
        return page

    def close_page(self, page: Page) -> None:
        """Closes a window as a person would: the page's WebSocket ends without an MQTT DISCONNECT."""
        self.browser.call("Target.closeTarget", targetId=page.target_id)
        self.pages.remove(page)
        page.close()

    def close(self) -> None:
        for page in self.pages:
            try:
                page.close()
            except Exception:
                pass
        if getattr(self, "browser", None) is not None:
            try:
                self.browser.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.profile, ignore_errors=True)
