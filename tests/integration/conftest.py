"""Black-box tests: the real switchboard binary on 127.0.0.1 with a
temporary data directory, spoken to over real HTTP.

SB_BUILD names the build directory (default: build)."""
import os
import re
import shutil
import tempfile
import signal
import socket
import subprocess
import time

import pytest
import requests

BUILD = os.environ.get("SB_BUILD", "build")
BINARY = os.path.abspath(os.path.join(BUILD, "switchboard"))


TENANT = "test"
ADMIN = "admin"
ADMIN_PASSWORD = "admin-password-1"


def create_tenant(data, name=TENANT, admin=ADMIN, password=ADMIN_PASSWORD):
    """`switchboard tenant create` on a stopped data directory."""
    r = subprocess.run([BINARY, "tenant", "create", name, "--admin", admin, "--data", str(data)],
                       env={**os.environ, "SB_ADMIN_PASSWORD": password},
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r


_template = {}


def template():
    """A data directory made once per test run: tenant "test", its admin
    logged in once (Argon2id is slow on purpose); each test's server starts
    from a copy, so the session token is valid there too."""
    if not _template:
        base = tempfile.mkdtemp(prefix="sb-template-")
        data = os.path.join(base, "data")
        create_tenant(data)
        p = subprocess.Popen([BINARY, "serve", "--listen", "127.0.0.1", "--port", "0", "--data", data],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        port = re.search(r":(\d+)/", p.stdout.readline()).group(1)
        s = requests.Session()
        s.trust_env = False
        r = s.post(f"http://127.0.0.1:{port}/v1/auth/login",
                   json={"tenant": TENANT, "user": ADMIN, "password": ADMIN_PASSWORD}, timeout=30)
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0 and r.status_code == 200, r.text
        _template.update(data=data, token=r.json()["token"])
    return _template


class Server:
    """A running `switchboard serve`, its URL and its output.  A new data
    directory starts as a copy of the template (tenant "test" with
    administrator "admin"); with login=True (the default) every request of
    the session carries the admin's bearer token.  Unless flags say
    otherwise the per-token rate limit is off (tests make requests fast)."""

    def __init__(self, tmp_path, *args, env=None, login=True):
        self.data = tmp_path / "data"
        if not self.data.exists():
            shutil.copytree(template()["data"], self.data)
        if "--rate-limit" not in args:
            args = (*args, "--rate-limit", "0")
        self.log = open(tmp_path / "server.log", "a+")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--listen", "127.0.0.1", "--port", "0", "--data", str(self.data), *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.search(r"(https?)://127\.0\.0\.1:(\d+)/", line)  # https with --tls-cert
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.output()}")
        self.port = int(m.group(2))
        self.url = f"{m.group(1)}://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False  # never a proxy: loopback only
        self.token = None
        if login:
            self.token = template()["token"]
            self.http.headers["Authorization"] = "Bearer " + self.token

    def login(self, user, password, tenant=TENANT):
        """A bearer token for user (asserts the login succeeds)."""
        s = requests.Session()
        s.trust_env = False
        r = s.post(self.url + "/v1/auth/login", json={"tenant": tenant, "user": user, "password": password},
                   timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def auth_headers(self):
        return {"Authorization": "Bearer " + self.token} if self.token else {}

    def get(self, path, **kw):
        return self.http.get(self.url + path, timeout=5, **kw)

    def request(self, method, path, **kw):
        return self.http.request(method, self.url + path, timeout=5, **kw)

    def raw(self, data: bytes, read_timeout=5.0) -> bytes:
        """Send bytes on a fresh connection, return all that comes back."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except socket.timeout:
                pass
            return out

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.http.close()


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path)
    yield s
    rc = s.stop()
    assert rc == 0, f"server exited {rc}: {s.output()}"


@pytest.fixture
def start(tmp_path):
    """Start servers with extra flags; all are stopped at the end."""
    started = []

    def _start(*args, env=None):
        s = Server(tmp_path, *args, env=env)
        started.append(s)
        return s

    yield _start
    for s in started:
        s.stop()


def pytest_terminal_summary(terminalreporter):
    """One line scripts/check sums with the other suites."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    skipped = len(stats.get("skipped", []))
    terminalreporter.write_line(f"integration: {passed} passed, {failed} failed, {skipped} skipped")
