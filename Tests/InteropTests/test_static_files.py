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
"""Static files on the HTTP listener (DESIGN §1: every `GET` other than /mqtt serves the
files of the web root; §9: limits and clear answers), checked with http.client and curl:
RFC 9110 status codes, validators (ETag / If-None-Match → 304, §13.1.2, §15.4.5), HEAD
(§9.3.2), 405 with Allow (§15.5.6), and path traversal / symbolic links that must never
leave the web root.
"""

from __future__ import annotations

import http.client
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from helpers import TIMEOUT, unique

pytestmark = pytest.mark.swiftlet_only

INDEX = b"<!doctype html><html><head><title>Swiftlet test</title></head><body>hello static</body></html>\n"
CSS = b"body { color: #123456; }\n"
JS = b"console.log('swiftlet');\n"


@pytest.fixture
def site(tmp_path) -> dict[str, Path]:
    """A web root with index.html, a css and a js file, and a secret file *outside* it
    (plus a symlink inside the root that points at the secret)."""
    root = tmp_path / "www"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "style.css").write_bytes(CSS)
    (root / "assets" / "app.js").write_bytes(JS)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-" + unique("s") + "\n")
    os.symlink(secret, root / "leak.txt")
    os.symlink(tmp_path, root / "up")
    return {"root": root, "secret": secret}


@pytest.fixture
def web(broker_factory, site) -> int:
    broker = broker_factory("--web-root", str(site["root"]))
    return broker.listener_port("http")


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def curl(port: int, path: str) -> tuple[int, bytes]:
    """curl --path-as-is: the path goes to the server exactly as written (no dot-segment
    removal), which is what an attacker sends."""
    result = subprocess.run(
        ["curl", "-s", "--path-as-is", "--max-time", str(int(TIMEOUT)), "-o", "-", "-w", "\n%{http_code}",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True, timeout=TIMEOUT + 5, stdin=subprocess.DEVNULL)
    body, _, code = result.stdout.rpartition(b"\n")
    assert result.returncode == 0, f"curl failed ({result.returncode}): {result.stderr.decode()}"
    return int(code), body


def test_get_root_serves_index_html_with_etag(web):
    """DESIGN §1 / RFC 9110 §8.8.3: GET / serves index.html as text/html with an ETag."""
    status, headers, body = request(web, "GET", "/")
    assert status == 200
    assert headers.get_content_type() == "text/html"
    assert headers.get("ETag"), "no ETag"
    assert body == INDEX
    assert int(headers["Content-Length"]) == len(INDEX)


def test_if_none_match_gives_304_without_body(web):
    """RFC 9110 §13.1.2, §15.4.5: If-None-Match with the current ETag → 304 and no content; a
    second request on the same connection parses cleanly, so no body bytes were sent."""
    _, headers, _ = request(web, "GET", "/index.html")
    etag = headers["ETag"]
    conn = http.client.HTTPConnection("127.0.0.1", web, timeout=TIMEOUT)
    try:
        conn.request("GET", "/index.html", headers={"If-None-Match": etag})
        response = conn.getresponse()
        assert response.status == 304
        assert response.read() == b""
        assert response.headers.get("ETag") == etag
        conn.request("GET", "/index.html", headers={"If-None-Match": '"something-else"'})
        again = conn.getresponse()
        assert again.status == 200 and again.read() == INDEX
    finally:
        conn.close()


def test_head_has_headers_and_no_body(web):
    """RFC 9110 §9.3.2: HEAD → the GET's headers (Content-Length of the file) and no content;
    the next response on the connection is intact."""
    conn = http.client.HTTPConnection("127.0.0.1", web, timeout=TIMEOUT)
    try:
        conn.request("HEAD", "/assets/style.css")
        response = conn.getresponse()
        assert response.status == 200
        assert response.headers.get_content_type() == "text/css"
        assert int(response.headers["Content-Length"]) == len(CSS)
        assert response.read() == b""
        conn.request("GET", "/assets/style.css")
        again = conn.getresponse()
        assert again.status == 200 and again.read() == CSS
    finally:
        conn.close()


@pytest.mark.parametrize("path, types, content", [
    ("/assets/style.css", ("text/css",), CSS),
    ("/assets/app.js", ("text/javascript", "application/javascript"), JS),
])
def test_content_type_by_extension(web, path, types, content):
    """RFC 9110 §8.3: CSS and JavaScript are served with their media types (browsers refuse a
    stylesheet or module with the wrong one)."""
    status, headers, body = request(web, "GET", path)
    assert status == 200
    assert headers.get_content_type() in types
    assert body == content


def test_missing_file_is_404(web):
    """RFC 9110 §15.5.5: a file that does not exist → 404."""
    status, _, body = request(web, "GET", "/nope-" + unique("f") + ".html")
    assert status == 404
    assert INDEX not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_write_methods_are_405_with_allow(web, method):
    """RFC 9110 §15.5.6: the web root is read-only: 405 with an Allow header listing GET and HEAD."""
    status, headers, _ = request(web, method, "/index.html", body=b"x=1")
    assert status == 405
    allowed = {m.strip().upper() for m in headers.get("Allow", "").split(",")}
    assert {"GET", "HEAD"} <= allowed, headers.get("Allow")


@pytest.mark.parametrize("path", [
    "/../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/..%2fetc/passwd",
    "/assets/../../etc/passwd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%5c..%5cetc%5cpasswd",
    "/%252e%252e/etc/passwd",
    "//etc/passwd",
])
def test_traversal_to_etc_passwd_never_succeeds(web, path):
    """DESIGN §9 / RFC 3986 §5.2.4: dot segments, encoded or not, never reach outside the
    web root (curl --path-as-is sends them verbatim)."""
    code, body = curl(web, path)
    assert code != 200, f"{path} → 200"
    assert b"root:" not in body


@pytest.mark.parametrize("template", ["/../{name}", "/%2e%2e/{name}", "/..%2f{name}", "/assets/..%2f..%2f{name}"])
def test_traversal_to_a_sibling_file_never_succeeds(web, site, template):
    """DESIGN §9: the file next to the web root is never served, whatever the encoding."""
    secret = site["secret"]
    code, body = curl(web, template.format(name=secret.name))
    assert code != 200
    assert secret.read_bytes().strip() not in body


def test_symlinks_out_of_the_root_are_404(web, site):
    """DESIGN §9 / StaticFileResolver: a symbolic link inside the root that points outside it
    (to a file, or to a directory) is 404, never the target's content."""
    secret = site["secret"].read_bytes().strip()
    for path in ("/leak.txt", f"/up/{site['secret'].name}"):
        status, _, body = request(web, "GET", path)
        assert status == 404, f"{path} → {status}"
        assert secret not in body


def test_repo_web_demo_is_served(broker_factory):
    """DESIGN §1: --web-root pointing at the repository's web-demo/ serves its index.html at /."""
    demo = REPO_ROOT / "web-demo"
    if not (demo / "index.html").exists():
        pytest.fail("web-demo/index.html is missing from the repository")
    broker = broker_factory("--web-root", str(demo))
    port = broker.listener_port("http")
    status, headers, body = request(port, "GET", "/")
    assert status == 200
    assert headers.get_content_type() == "text/html"
    assert body == (demo / "index.html").read_bytes()
    status, _, body = request(port, "GET", "/index.html")
    assert status == 200 and body == (demo / "index.html").read_bytes()


def test_missing_web_root_is_404_not_a_crash(broker_factory):
    """DESIGN §1, §9 / `--web-root` default `web-demo` (relative to the working directory, empty
    here): GET / is 404 and the broker keeps running and serving MQTT."""
    broker = broker_factory()
    port = broker.listener_port("http")
    code, body = curl(port, "/")
    assert code == 404
    assert broker.alive()
    broker.client().disconnect()
