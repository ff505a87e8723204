"""HTTPS and WSS: `switchboard serve --tls-cert FILE --tls-key FILE` with a
self-signed certificate for 127.0.0.1 made by the openssl CLI in tmp_path.
The server starts from the test template's data (tenant "test", its admin's
token), so the stream can be subscribed to."""
import asyncio
import json
import os
import socket
import ssl
import subprocess

import pytest
import requests
import websockets

from conftest import BINARY, Server


def make_cert(tmp_path, name="server"):
    """A self-signed EC certificate for 127.0.0.1 and localhost, and its key."""
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture
def cert(tmp_path):
    return make_cert(tmp_path)


@pytest.fixture
def tls_server(tmp_path, cert):
    s = Server(tmp_path, "--tls-cert", str(cert[0]), "--tls-key", str(cert[1]))
    yield s
    rc = s.stop()
    assert rc == 0, f"server exited {rc}: {s.output()}"


def session():
    s = requests.Session()
    s.trust_env = False  # never a proxy: loopback only
    return s


def test_https_health_keepalive_and_hsts(tls_server, cert):
    with session() as s:
        for _ in range(3):  # one connection, kept alive
            r = s.get(tls_server.url + "/v1/health", verify=str(cert[0]), timeout=5)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "ok"
            hsts = r.headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=31536000"), r.headers


def test_certificate_is_checked_by_the_client(tls_server, tmp_path):
    other, _ = make_cert(tmp_path, "other")
    with session() as s, pytest.raises(requests.exceptions.SSLError):
        s.get(tls_server.url + "/v1/health", verify=str(other), timeout=5)


def test_plain_http_to_the_tls_port(tls_server, cert):
    # a plain request gets no HTTP answer: the connection just ends
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as c:
        c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = c.recv(4096)
        except ConnectionResetError:
            got = b""
        assert not got.startswith(b"HTTP/"), got
    with session() as s, pytest.raises(requests.exceptions.ConnectionError):
        s.get(f"http://127.0.0.1:{tls_server.port}/v1/health", timeout=5)
    # the server goes on, and said so once per failure at most
    with session() as s:
        assert s.get(tls_server.url + "/v1/health", verify=str(cert[0]), timeout=5).status_code == 200
    lines = [l for l in tls_server.output().splitlines() if "TLS handshake" in l]
    assert 1 <= len(lines) <= 2, tls_server.output()
    assert "127.0.0.1:" in lines[0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_1_1_is_refused(tls_server, cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(cert[0]))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    # refused by the server (when the client's OpenSSL still speaks 1.1)
    out = tls_server.output()
    assert "TLS handshake" not in out or "unsupported protocol" in out, out
    ctx12 = ssl.create_default_context(cafile=str(cert[0]))
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
        with ctx12.wrap_socket(raw, server_hostname="127.0.0.1") as t:
            assert t.version() == "TLSv1.2"


def test_wss_stream_subscribe(tls_server, cert):
    ctx = ssl.create_default_context(cafile=str(cert[0]))

    async def run():
        async with websockets.connect(
                f"wss://127.0.0.1:{tls_server.port}/v1/stream", ssl=ctx, ping_interval=None,
                open_timeout=5, close_timeout=2,
                extra_headers={"Authorization": "Bearer " + tls_server.token}) as ws:
            await ws.send(json.dumps({"type": "subscribe", "topics": ["tenant"]}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))

    loop = asyncio.new_event_loop()
    try:
        reply = loop.run_until_complete(asyncio.wait_for(run(), 15))
    finally:
        loop.close()
    assert reply["type"] == "subscribed", reply
    assert reply["topics"] == ["tenant"], reply


def test_tls_from_the_environment(tmp_path, cert):
    env = {**os.environ, "SB_TLS_CERT": str(cert[0]), "SB_TLS_KEY": str(cert[1])}
    s = Server(tmp_path, env=env)
    try:
        with session() as h:
            r = h.get(s.url + "/v1/health", verify=str(cert[0]), timeout=5)
            assert r.status_code == 200
    finally:
        assert s.stop() == 0, s.output()


def start_fails(tmp_path, *args, env=None):
    r = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1", "--port", "0",
                        "--data", str(tmp_path / "data-bad"), *args],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode != 0, r.stdout
    assert "serving" not in r.stdout
    return r.stderr


def test_startup_errors(tmp_path, cert):
    crt, key = str(cert[0]), str(cert[1])
    err = start_fails(tmp_path, "--tls-cert", crt)
    assert "--tls-cert and --tls-key" in err, err
    env = {**os.environ, "SB_TLS_KEY": key}
    err = start_fails(tmp_path, env=env)
    assert "--tls-cert and --tls-key" in err, err
    err = start_fails(tmp_path, "--tls-cert", crt, "--tls-key", str(tmp_path / "missing.key"))
    assert "cannot read the private key" in err and "missing.key" in err, err
    err = start_fails(tmp_path, "--tls-cert", str(tmp_path / "missing.crt"), "--tls-key", key)
    assert "cannot read the certificate" in err, err
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    err = start_fails(tmp_path, "--tls-cert", str(junk), "--tls-key", key)
    assert "no usable PEM certificate" in err, err
    err = start_fails(tmp_path, "--tls-cert", crt, "--tls-key", crt)
    assert "no usable PEM private key" in err, err
    _, other_key = make_cert(tmp_path, "other")
    err = start_fails(tmp_path, "--tls-cert", crt, "--tls-key", str(other_key))
    assert "does not match" in err, err
    assert not (tmp_path / "data-bad").exists()  # nothing was started
