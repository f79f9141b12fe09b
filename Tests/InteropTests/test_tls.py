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
"""MQTT/TLS and WSS (DESIGN §1, §2 "TLS through swift-nio-ssl", §9; MQTT 3.1.1 §5.4.9 /
MQTT 5 §5.4.9 TLS; MQTT §6 over WSS) with real clients: mosquitto_pub/mosquitto_sub,
paho-mqtt over TLS and over WSS, Python's ssl module for what they cannot do (no
client certificate, TLS 1.1, plain TCP to the TLS port).

The server certificate comes from ``swiftlet dev-cert`` (CN/SAN localhost, 127.0.0.1);
client certificates from a throw-away CA made here with ``cryptography``.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import subprocess
import time
import warnings
from pathlib import Path

import pytest

import wire
from conftest import SWIFTLET_BIN
from helpers import (TIMEOUT, V311, V5, VERSION_NAMES, MqttClient, Subscriber, have_mosquitto_clients,
                     make_dev_cert, mosquitto_pub, unique)

pytestmark = pytest.mark.swiftlet_only

needs_mosquitto = pytest.mark.skipif(not have_mosquitto_clients(), reason="needs mosquitto-clients")


# ---------------------------------------------------------------------------
# Certificates


@pytest.fixture(scope="module")
def dev_cert(tmp_path_factory) -> tuple[str, str]:
    """``swiftlet dev-cert``: (cert.pem, key.pem) for localhost and 127.0.0.1."""
    return make_dev_cert(SWIFTLET_BIN, str(tmp_path_factory.mktemp("devcert")))


def _write_pki(directory: Path) -> dict[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)

    def key_pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def make_ca(cn: str):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return key, cert

    def make_leaf(cn: str, ca_key, ca_cert):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = make_ca("Swiftlet Test CA")
    client_key, client_cert = make_leaf("device-42", ca_key, ca_cert)
    rogue_ca_key, rogue_ca_cert = make_ca("Rogue CA")
    rogue_key, rogue_cert = make_leaf("device-42", rogue_ca_key, rogue_ca_cert)
    files = {
        "ca": ca_cert.public_bytes(serialization.Encoding.PEM),
        "client_cert": client_cert.public_bytes(serialization.Encoding.PEM),
        "client_key": key_pem(client_key),
        "rogue_cert": rogue_cert.public_bytes(serialization.Encoding.PEM),
        "rogue_key": key_pem(rogue_key),
    }
    paths = {}
    for name, data in files.items():
        path = directory / f"{name}.pem"
        path.write_bytes(data)
        paths[name] = str(path)
    return paths


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, str]:
    """A CA, a client certificate it signed (CN=device-42), and one from another CA."""
    pytest.importorskip("cryptography")
    return _write_pki(tmp_path_factory.mktemp("pki"))


def tls_flags(dev_cert, *extra: str) -> list[str]:
    cert, key = dev_cert
    return ["--mqtts", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, *extra]


@pytest.fixture
def tls_broker(broker_factory, dev_cert):
    return broker_factory(*tls_flags(dev_cert))


def client_context(ca: str, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    return ctx


def tls_paho(broker, port: int, ctx: ssl.SSLContext, version: int = V311, *, transport: str = "tcp",
             **kw) -> MqttClient:
    client = MqttClient("localhost", port, version, connect=False, transport=transport, tls_context=ctx, **kw)
    broker._clients.append(client)
    client.connect(expect_success=kw.get("expect_success", True))
    return client


def raw_tls_connect(port: int, ctx: ssl.SSLContext, version: int = V311, **connect_kwargs) -> bytes:
    """TLS handshake, CONNECT, and whatever the server answers before closing or within
    TIMEOUT: returns the bytes received (b"" when the server hung up or refused the TLS session)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    received = b""
    try:
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
    except (ssl.SSLError, ConnectionError):
        sock.close()
        return b""
    with tls:
        try:
            tls.sendall(wire.connect(unique("tlsraw"), version=version, **connect_kwargs))
            deadline = time.monotonic() + TIMEOUT
            while len(received) < 4 and time.monotonic() < deadline:
                tls.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = tls.recv(4096)
                if not chunk:
                    break
                received += chunk
        except (ssl.SSLError, ConnectionError, socket.timeout):
            pass
    return received


def is_connack_success(data: bytes) -> bool:
    return len(data) >= 4 and data[0] == 0x20 and data[3] == 0


# ---------------------------------------------------------------------------
# mosquitto clients over MQTT/TLS


@needs_mosquitto
@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_mosquitto_clients_over_mqtts(tls_broker, dev_cert, version):
    """DESIGN §1 (MQTT/TLS 8883) / MQTT §5.4.9: mosquitto_sub and mosquitto_pub connect with
    `--cafile cert.pem -h localhost`, verify the server certificate, and exchange a message."""
    cert, _ = dev_cert
    port = tls_broker.listener_port("mqtts")
    topic = "tls/" + unique("mosq")
    sub = Subscriber("localhost", port, topic, version=version, qos=1, fmt="%p",
                     extra=["--cafile", cert])
    try:
        sub.wait_subscribed()
        mosquitto_pub("localhost", port, topic, "over tls", version=version, qos=1, extra=["--cafile", cert])
        assert sub.get() == "over tls"
        assert sub.wait() == 0
    finally:
        sub.stop()


@needs_mosquitto
def test_mosquitto_pub_over_mqtts_to_plain_tcp_subscriber(tls_broker, dev_cert):
    """DESIGN §1: TLS and plain TCP clients share one broker: mosquitto_pub over TLS reaches a
    paho subscriber on the plain MQTT port."""
    cert, _ = dev_cert
    port = tls_broker.listener_port("mqtts")
    topic = "tls/" + unique("mix")
    plain = tls_broker.client(V311)
    assert plain.subscribe(topic, 1) == [1]
    mosquitto_pub("localhost", port, topic, "tls to tcp", qos=1, extra=["--cafile", cert])
    assert plain.get_message().payload == b"tls to tcp"


@needs_mosquitto
def test_mosquitto_refuses_an_untrusted_server(tls_broker):
    """MQTT §5.4.9 / RFC 8446: without the dev certificate as CA the client's verification
    fails: the server really presents the self-signed certificate, not plaintext."""
    port = tls_broker.listener_port("mqtts")
    args = ["mosquitto_pub", "-h", "localhost", "-p", str(port), "-t", "x", "-m", "y",
            "--capath", "/nonexistent-empty-ca-dir"]
    result = subprocess.run(args, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert result.returncode != 0


# ---------------------------------------------------------------------------
# paho over TLS and WSS


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_paho_tls_and_tcp_exchange_both_ways(tls_broker, dev_cert, version):
    """DESIGN §1, §2: paho over TLS (verifying localhost against the dev certificate) and a paho
    TCP client exchange QoS 1 messages in both directions."""
    cert, _ = dev_cert
    port = tls_broker.listener_port("mqtts")
    secure = tls_paho(tls_broker, port, client_context(cert), version)
    plain = tls_broker.client(version)
    to_tls, to_tcp = "tls/" + unique("in"), "tls/" + unique("out")
    assert secure.subscribe(to_tls, 1) == [1]
    assert plain.subscribe(to_tcp, 1) == [1]
    plain.publish(to_tls, b"tcp->tls", qos=1)
    assert secure.get_message().payload == b"tcp->tls"
    big = b"x" * 100_000  # several TLS records
    secure.publish(to_tcp, big, qos=1)
    assert plain.get_message().payload == big


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_paho_over_wss(tls_broker, dev_cert, version):
    """DESIGN §1 (HTTPS + WSS) / MQTT §6: paho's websockets transport over TLS on the https
    listener's /mqtt exchanges messages with a plain TCP client."""
    cert, _ = dev_cert
    port = tls_broker.listener_port("https")
    secure = tls_paho(tls_broker, port, client_context(cert), version, transport="websockets")
    plain = tls_broker.client(version)
    to_wss, to_tcp = "wss/" + unique("in"), "wss/" + unique("out")
    assert secure.subscribe(to_wss, 1) == [1]
    assert plain.subscribe(to_tcp, 1) == [1]
    plain.publish(to_wss, b"tcp->wss" * 3000, qos=1)
    assert secure.get_message().payload == b"tcp->wss" * 3000
    secure.publish(to_tcp, b"wss->tcp", qos=1)
    assert plain.get_message().payload == b"wss->tcp"


def test_https_serves_static_files(tls_broker, dev_cert, tmp_path):
    """DESIGN §1: the https listener serves the same static files as http (404 for a missing one
    proves the request got through TLS to the HTTP handler)."""
    import http.client
    cert, _ = dev_cert
    port = tls_broker.listener_port("https")
    conn = http.client.HTTPSConnection("localhost", port, timeout=TIMEOUT, context=client_context(cert))
    try:
        conn.request("GET", "/definitely-missing-" + unique("f") + ".html")
        response = conn.getresponse()
        response.read()
        assert response.status == 404
    finally:
        conn.close()


def test_plain_tcp_to_the_tls_port_gets_no_connack(tls_broker):
    """MQTT §5.4.9 / DESIGN §9: a plaintext CONNECT on the MQTT/TLS port is not MQTT for the
    server: no CONNACK, and the connection is closed; the broker keeps serving."""
    port = tls_broker.listener_port("mqtts")
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(wire.connect(unique("plain"), version=V311))
        deadline = time.monotonic() + TIMEOUT
        closed = False
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                closed = True
                break
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            received += chunk
    assert not received.startswith(b"\x20"), f"a CONNACK came back in plaintext: {received!r}"
    assert closed, "the server kept a non-TLS connection open"
    assert tls_broker.alive()
    tls_broker.client(V311).disconnect()


# ---------------------------------------------------------------------------
# Client certificates


def test_required_client_certificate(broker_factory, dev_cert, pki):
    """DESIGN §2 (TLS) / `--tls-verify-clients require`: without a client certificate, or with
    one from another CA, there is no MQTT session; with one the CA signed, CONNACK 0 and
    messages flow (paho with the certificate)."""
    broker = broker_factory(*tls_flags(dev_cert, "--tls-ca", pki["ca"], "--tls-verify-clients", "require"))
    cert, _ = dev_cert
    port = broker.listener_port("mqtts")

    assert not is_connack_success(raw_tls_connect(port, client_context(cert)))
    assert not is_connack_success(raw_tls_connect(port, client_context(cert, pki["rogue_cert"], pki["rogue_key"])))
    assert is_connack_success(raw_tls_connect(port, client_context(cert, pki["client_cert"], pki["client_key"])))

    secure = tls_paho(broker, port, client_context(cert, pki["client_cert"], pki["client_key"]), V5)
    topic = "mtls/" + unique("t")
    assert secure.subscribe(topic, 1) == [1]
    broker.client(V311).publish(topic, b"to a certified device", qos=1)
    assert secure.get_message().payload == b"to a certified device"


def test_optional_client_certificate(broker_factory, dev_cert, pki):
    """`--tls-verify-clients optional`: a client without a certificate connects, one with a
    valid certificate too, one with a certificate from another CA does not."""
    broker = broker_factory(*tls_flags(dev_cert, "--tls-ca", pki["ca"], "--tls-verify-clients", "optional"))
    cert, _ = dev_cert
    port = broker.listener_port("mqtts")
    assert is_connack_success(raw_tls_connect(port, client_context(cert)))
    assert is_connack_success(raw_tls_connect(port, client_context(cert, pki["client_cert"], pki["client_key"])))
    assert not is_connack_success(raw_tls_connect(port, client_context(cert, pki["rogue_cert"], pki["rogue_key"])))


@needs_mosquitto
def test_mosquitto_with_client_certificate(broker_factory, dev_cert, pki):
    """Interop of the required client certificate with mosquitto_pub --cert/--key."""
    broker = broker_factory(*tls_flags(dev_cert, "--tls-ca", pki["ca"], "--tls-verify-clients", "require"))
    cert, _ = dev_cert
    port = broker.listener_port("mqtts")
    topic = "mtls/" + unique("mosq")
    plain = broker.client(V311)
    assert plain.subscribe(topic, 1) == [1]
    mosquitto_pub("localhost", port, topic, "with cert", qos=1,
                  extra=["--cafile", cert, "--cert", pki["client_cert"], "--key", pki["client_key"]])
    assert plain.get_message().payload == b"with cert"


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_common_name_counts_as_user_name(broker_factory, dev_cert, pki, version):
    """DESIGN §6 / `--tls-cn-as-username true` with `--no-allow-anonymous`: a client presenting a
    verified certificate and no user name is accepted (its CN is the user name)."""
    broker = broker_factory(*tls_flags(dev_cert, "--tls-ca", pki["ca"], "--tls-verify-clients", "require",
                                       "--tls-cn-as-username", "true", "--no-allow-anonymous"))
    cert, _ = dev_cert
    port = broker.listener_port("mqtts")
    secure = tls_paho(broker, port, client_context(cert, pki["client_cert"], pki["client_key"]), version)
    assert secure.connack[0] == 0


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_NAMES.get)
def test_without_cn_as_username_anonymous_is_refused(broker_factory, dev_cert, pki, version):
    """MQTT 5 §3.2.2.2 (0x87 Not authorized) / 3.1.1 §3.2.2.3 (5): the same certificate without
    `--tls-cn-as-username` leaves the client anonymous, which `--no-allow-anonymous` refuses."""
    broker = broker_factory(*tls_flags(dev_cert, "--tls-ca", pki["ca"], "--tls-verify-clients", "require",
                                       "--no-allow-anonymous"))
    cert, _ = dev_cert
    port = broker.listener_port("mqtts")
    certified = client_context(cert, pki["client_cert"], pki["client_key"])
    answer = raw_tls_connect(port, certified, version)
    assert answer[:1] == b"\x20", f"no CONNACK: {answer!r}"
    assert answer[3] == (0x87 if version == V5 else 5), f"CONNACK {answer!r}"
    secure = tls_paho(broker, port, certified, version, expect_success=False)
    assert secure.connack[0] == 0x87  # paho reports 3.1.1's 5 as reason code 0x87 too


# ---------------------------------------------------------------------------
# Protocol versions


def test_tls_1_1_is_refused_and_1_2_accepted(tls_broker, dev_cert):
    """DESIGN §2 / TLSSettings (TLS 1.2 or later), RFC 8996: a client limited to TLS 1.1 fails
    the handshake with a protocol-version alert; one limited to TLS 1.2 connects."""
    cert, _ = dev_cert
    port = tls_broker.listener_port("mqtts")

    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(cert)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old.minimum_version = ssl.TLSVersion.TLSv1
            old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError) as error:
        pytest.skip(f"the local OpenSSL cannot offer TLS 1.1: {error}")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        with pytest.raises((ssl.SSLError, ConnectionError)) as failure:
            ctx_sock = old.wrap_socket(sock, server_hostname="localhost")
            ctx_sock.close()
    message = str(failure.value).upper()
    if "NO_PROTOCOLS_AVAILABLE" in message or "NO PROTOCOLS AVAILABLE" in message:
        pytest.skip(f"the local OpenSSL refused to offer TLS 1.1 itself: {failure.value}")
    # The refusal is the server's: a protocol_version alert (RFC 8446 §6.2), or a hang-up.
    assert "PROTOCOL_VERSION" in message or "PROTOCOL VERSION" in message or isinstance(
        failure.value, (ConnectionError, ssl.SSLEOFError)), failure.value

    modern = client_context(cert)
    modern.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        with modern.wrap_socket(sock, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.2"
            tls.sendall(wire.connect(unique("tls12"), version=V311))
            tls.settimeout(TIMEOUT)
            assert tls.recv(4)[:1] == b"\x20"
