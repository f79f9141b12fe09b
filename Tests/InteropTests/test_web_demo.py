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
"""The demo page (web-demo/) in headless Chromium, served by the broker's HTTP port.

Two browser pages and paho clients talk through the broker: chat messages, whispers (P2P) and
bullet comments go both ways, and Chromium's WebSocket must have negotiated permessage-deflate.
Screenshots of each view land in test-artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cdp import Browser, chromium_binary
from conftest import REPO_ROOT, free_port
from helpers import V5

pytestmark = [pytest.mark.swiftlet_only]

ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
def browser():
    binary = chromium_binary()
    if binary is None:
        if __import__("os").environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed")
    b = Browser(binary)
    yield b
    b.close()


@pytest.fixture
def demo(broker_factory):
    """A broker serving web-demo/ with a live-room policy, so the page sees batching."""
    b = broker_factory("--web-root", str(REPO_ROOT / "web-demo"),
                       "--room", "live/# batch_ms=30 rate_limit=500/s overflow=drop_oldest")
    b.http_port = b.listener_port("http")
    return b


def page_url(broker, **query: str) -> str:
    # The backend address points at a closed port on purpose: the page must work without it.
    params = {"backend": "http://127.0.0.1:9", **query}
    return f"http://127.0.0.1:{broker.http_port}/?" + "&".join(f"{k}={v}" for k, v in params.items())


def join(page, nick: str, room: str) -> str:
    """Joins `room` as `nick` through the form, as a person would; returns the page's client ID."""
    page.wait_for("document.body.dataset.ready === 'true'", what="the page to start")
    page.evaluate(f"""(() => {{
        document.getElementById('nick').value = {json.dumps(nick)};
        document.getElementById('room').value = {json.dumps(room)};
        document.getElementById('join').requestSubmit();
    }})()""")
    page.wait_for(f"document.body.dataset.joined === {json.dumps(room)} && document.body.dataset.state === 'connected'",
                  what=f"{nick} to join {room}")
    return page.evaluate("sessionStorage.getItem('swiftlet.clientId')")


def send_chat(page, text: str) -> None:
    page.evaluate(f"""(() => {{
        document.getElementById('chat-input').value = {json.dumps(text)};
        document.getElementById('chat-form').requestSubmit();
    }})()""")


def fire(page, text: str) -> None:
    page.evaluate(f"""(() => {{
        document.getElementById('live-input').value = {json.dumps(text)};
        document.getElementById('live-form').requestSubmit();
    }})()""")


def chat_log_has(text: str) -> str:
    return f"[...document.querySelectorAll('#chat-log .text')].some(e => e.textContent === {json.dumps(text)})"


def bullet_has(text: str) -> str:
    return f"[...document.querySelectorAll('#danmaku .bullet')].some(e => e.textContent === {json.dumps(text)})"


def test_page_chats_and_fires_comments_with_paho_and_another_window(demo, browser):
    room = "r" + uuid.uuid4().hex[:8]
    watcher = demo.client(V5)
    watcher.subscribe([(f"chat/{room}", 1), (f"live/{room}", 0)])

    alice = browser.new_page(page_url(demo))
    bob = browser.new_page(page_url(demo, mqtt="3.1.1"))
    alice_id = join(alice, "alice", room)
    bob_id = join(bob, "bob", room)
    assert alice_id != bob_id and "@@@" in alice_id

    # Chromium offered permessage-deflate and the broker accepted it (RFC 7692 §5).
    handshake = alice.event("Network.webSocketHandshakeResponseReceived")
    headers = {k.lower(): v for k, v in handshake["response"]["headers"].items()}
    assert headers.get("sec-websocket-protocol") == "mqtt"
    assert "permessage-deflate" in headers.get("sec-websocket-extensions", "")

    # A chat message from the page reaches paho and the other window.
    send_chat(alice, "hello from alice")
    message = watcher.get_message()
    assert message.topic == f"chat/{room}"
    body = json.loads(message.payload)
    assert (body["text"], body["nick"], body["from"]) == ("hello from alice", "alice", alice_id)
    bob.wait_for(chat_log_has("hello from alice"), what="alice's message in bob's window")

    # A message published by paho appears in the page's DOM, plain text too.
    watcher.publish(f"chat/{room}", json.dumps({"id": "p1", "from": "paho", "nick": "paho", "text": "hi from paho"}), qos=1)
    alice.wait_for(chat_log_has("hi from paho"), what="paho's message in alice's log")
    assert watcher.get_message().payload  # its own copy, so the next get is the bullet

    # A bullet comment flies across the other window and reaches paho.
    alice.evaluate("document.getElementById('tab-live').click()")
    bob.evaluate("document.getElementById('tab-live').click()")
    # The page draws no bullets while it is hidden (a background tab): bring the watching window
    # to the front, as the person watching it would have it.
    alice.call("Page.bringToFront")
    alice.wait_for("document.visibilityState === 'visible'", what="alice's window in front")
    fire(bob, "bullet from bob")
    comment = watcher.get_message()
    assert comment.topic == f"live/{room}"
    assert json.loads(comment.payload)["text"] == "bullet from bob"
    alice.wait_for(bullet_has("bullet from bob"), what="bob's bullet on alice's screen")

    bob.call("Page.bringToFront")
    bob.wait_for("document.visibilityState === 'visible'", what="bob's window in front")
    watcher.publish(f"live/{room}", json.dumps({"nick": "paho", "text": "bullet from paho"}))
    bob.wait_for(bullet_has("bullet from paho"), what="paho's bullet on bob's screen")

    # The batching switch shows the HUD, which counts comments and WebSocket messages.
    alice.evaluate("document.getElementById('batching-toggle').click()")
    alice.wait_for("!document.getElementById('hud').hidden", what="the batching HUD")

    # A synthetic crowd (scripts/demo-crowd.py) comments fast enough that the room's 30 ms batch
    # window carries several comments per WebSocket message, and the HUD shows it.
    alice.call("Page.bringToFront")
    crowd = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "demo-crowd.py"), "--port", str(demo.port),
                            "--room", room, "--viewers", "20", "--commenters", "4", "--rate", "200",
                            "--duration", "2.5"], capture_output=True, text=True, timeout=60)
    assert crowd.returncode == 0, crowd.stdout + crowd.stderr
    assert "20 viewers connected" in crowd.stdout
    ratio = alice.evaluate("document.getElementById('hud-ratio').dataset.max")
    assert ratio is not None and float(ratio) > 1.5, f"comments per WebSocket message at most {ratio}"
    print(f"batching seen by the page: up to {float(ratio):.1f} comments per WebSocket message at 200/s")

    ARTIFACTS.mkdir(exist_ok=True)
    alice.wait_for("document.visibilityState === 'visible'")
    for text in ("666", "what a play!", "first time here, hi all", "gg", "that was close", "again!"):
        watcher.publish(f"live/{room}", json.dumps({"nick": "paho", "text": text, "color": "hsl(50 90% 70%)"}))
    alice.wait_for(bullet_has("again!"), what="the last of the screenshot's bullets")
    # A picture with the comments in flight, not at the edge: wait until the last is a third of the way.
    alice.wait_for("[...document.querySelectorAll('#danmaku .bullet')].some(e => e.textContent === 'again!'"
                   " && e.getBoundingClientRect().left < innerWidth * 0.66)", what="the bullets to fly in")
    alice.screenshot(ARTIFACTS / "web-demo-live.png")
    bob.evaluate("document.getElementById('tab-chat').click()")
    bob.screenshot(ARTIFACTS / "web-demo-chat.png")


def test_whisper_reaches_only_its_target(demo, browser):
    room = "w" + uuid.uuid4().hex[:8]
    alice = browser.new_page(page_url(demo))
    bob = browser.new_page(page_url(demo))
    carol = browser.new_page(page_url(demo))
    join(alice, "alice", room)
    bob_id = join(bob, "bob", room)
    join(carol, "carol", room)

    # Bob speaks; alice clicks his name in the log to whisper to him, as a person would.
    send_chat(bob, "ping")
    alice.wait_for(chat_log_has("ping"))
    alice.evaluate(f"""document.querySelector('#chat-log li[data-from="{bob_id}"] .who').click()""")
    alice.wait_for("!document.getElementById('whisper-to').hidden", what="the whisper target")
    send_chat(alice, "psst, bob")
    bob.wait_for("[...document.querySelectorAll('#chat-log li.whisper .text')].some(e => e.textContent === 'psst, bob')",
                 what="the whisper in bob's window")

    # Carol saw bob's room message but never the whisper: a room message sent after the whisper
    # arrives, so anything before it has arrived too (one connection, in order).
    send_chat(bob, "after the whisper")
    carol.wait_for(chat_log_has("after the whisper"))
    assert carol.evaluate(chat_log_has("psst, bob")) is False


def test_phone_sized_screen_and_clear_error_for_refused_connection(broker_factory, browser):
    # With anonymous access off and no backend, the broker refuses the page: the page must say why.
    b = broker_factory("--web-root", str(REPO_ROOT / "web-demo"), "--no-allow-anonymous")
    b.http_port = b.listener_port("http")
    page = browser.new_page(page_url(b), width=390, height=844, mobile=True)
    page.wait_for("document.body.dataset.ready === 'true'")
    page.evaluate("""(() => {
        document.getElementById('nick').value = 'phone';
        document.getElementById('join').requestSubmit();
    })()""")
    text = page.wait_for("!document.getElementById('error').hidden && document.getElementById('error').textContent",
                         what="the refusal on screen")
    assert "bad user name or password" in text or "not authorized" in text
    assert page.evaluate("document.body.dataset.state") == "closed"
    # The phone layout stacks the online list under the chat instead of beside it.
    assert page.evaluate("getComputedStyle(document.querySelector('.chat')).flexDirection") == "column"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(ARTIFACTS / "web-demo-phone.png")


def test_page_reconnects_after_a_broker_restart_and_resubscribes(broker_factory, browser):
    # Fixed ports so the restarted broker is where the page left it.
    mqtt_port, http_port = free_port(), free_port()
    flags = ("--web-root", str(REPO_ROOT / "web-demo"), "--http", f"127.0.0.1:{http_port}")
    first = broker_factory(*flags, "--mqtt", f"127.0.0.1:{mqtt_port}", use_mqtt_flag=False)
    first.http_port = http_port
    room = "re" + uuid.uuid4().hex[:6]
    page = browser.new_page(page_url(first))
    join(page, "stayer", room)

    # A graceful stop sends DISCONNECT 0x8B (server shutting down): worth retrying, so the page
    # shows it and goes on trying, with backoff, while the broker is away.
    assert first.signal() == 0
    page.wait_for("document.body.dataset.state === 'reconnecting'", what="the page to notice")
    assert "shutting down" in page.evaluate("document.getElementById('error').textContent")

    second = broker_factory(*flags, "--mqtt", f"127.0.0.1:{mqtt_port}", use_mqtt_flag=False)
    page.wait_for("document.body.dataset.state === 'connected'", timeout=30, what="the page to reconnect")
    assert page.evaluate("document.getElementById('error').hidden") is True
    # Its subscriptions came back with it: a retained message to the room reaches the page, whether
    # it was published before or after the page subscribed again.
    publisher = second.client(V5)
    publisher.publish(f"chat/{room}", "after the restart", qos=1, retain=True)
    page.wait_for(chat_log_has("after the restart"), what="a message after the restart")


@pytest.fixture
def demo_with_backend(tmp_path):
    """scripts/demo.sh on free loopback ports with the debug binaries: the broker in token mode and
    the chat backend. Stopped by its PID (its trap stops the broker and the backend by theirs)."""
    from conftest import SWIFTLET_BIN
    bin_dir = Path(SWIFTLET_BIN).parent
    if not (bin_dir / "chat-backend").exists():
        pytest.fail(f"chat-backend is not built next to {SWIFTLET_BIN}")
    ports = {name: free_port() for name in ("MQTT_PORT", "HTTP_PORT", "ADMIN_PORT", "BACKEND_PORT")}
    env = {**__import__("os").environ, **{k: str(v) for k, v in ports.items()},
           "BIN_DIR": str(bin_dir), "DEMO_HOST": "127.0.0.1", "DEMO_STATE": str(tmp_path / "demo")}
    proc = subprocess.Popen(["bash", str(REPO_ROOT / "scripts" / "demo.sh")], env=env, cwd=REPO_ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    crowd_command = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "python3 scripts/demo-crowd.py" in line:
                crowd_command = line.strip()
            if "Ctrl-C stops the demo" in line:
                break
        else:
            pytest.fail("scripts/demo.sh ended early:\n" + "".join(lines[-40:]))
        # Keep reading, so the demo never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [lines.append(l) for l in proc.stdout], daemon=True).start()
        yield {**ports, "crowd": crowd_command, "lines": lines}
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_demo_script_with_chat_backend_tokens_history_presence_and_moderation(demo_with_backend, browser):
    ports = demo_with_backend
    url = (f"http://127.0.0.1:{ports['HTTP_PORT']}/?backend=http://127.0.0.1:{ports['BACKEND_PORT']}")
    room = "b" + uuid.uuid4().hex[:6]
    alice = browser.new_page(url)
    bob = browser.new_page(url)
    join(alice, "alice", room)
    join(bob, "bob", room)
    # Token mode: the page got its credentials from the backend (the broker refuses anonymous clients).
    assert alice.evaluate("document.body.dataset.backend") == "on"
    assert "token mode" in alice.evaluate("document.getElementById('mode').textContent")

    # Presence from status events: both nicknames, in both windows.
    bob.wait_for("[...document.querySelectorAll('#online li')].map(e => e.textContent).join(',')"
                 " === 'alice,bob (you)'", what="both users in bob's online list")

    # Chat goes through the backend, which masks banned words and keeps history.
    send_chat(alice, "no spam here")
    bob.wait_for(chat_log_has("no **** here"), what="the moderated message in bob's window")
    assert bob.evaluate(chat_log_has("no spam here")) is False

    carol = browser.new_page(url)
    join(carol, "carol", room)
    carol.wait_for("[...document.querySelectorAll('#chat-log li.history .text')].some(e => e.textContent === 'no **** here')",
                   what="history in a window that joined later")

    # The viewer badge counts the live room's subscribers (the broker's count, via the backend).
    alice.wait_for("document.getElementById('viewer-count').textContent === '3 watching'", timeout=20,
                   what="three viewers of the live room")

    # Bob leaves: the backend's online list drops him, and the viewer count follows.
    browser.close_page(bob)
    alice.wait_for("![...document.querySelectorAll('#online li')].some(e => e.textContent.startsWith('bob'))",
                   timeout=20, what="bob to leave alice's online list")
    alice.wait_for("document.getElementById('viewer-count').textContent === '2 watching'", timeout=20,
                   what="two viewers after bob left")

    # The crowd command the script printed works against the token-mode broker.
    assert ports["crowd"], "scripts/demo.sh printed no crowd command"
    command = ports["crowd"].replace("python3", sys.executable, 1).split(" ", 1)
    crowd = subprocess.run(f"{command[0]} {command[1]} --viewers 5 --commenters 1 --rate 5 --duration 1",
                           shell=True, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert crowd.returncode == 0, crowd.stdout + crowd.stderr
