"""Black-box tests: the real switchboard binary on 127.0.0.1 with a
temporary data directory, spoken to over real HTTP.

SB_BUILD names the build directory (default: build)."""
import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

BUILD = os.environ.get("SB_BUILD", "build")
BINARY = os.path.abspath(os.path.join(BUILD, "switchboard"))


class Server:
    """A running `switchboard serve`, its URL and its output."""

    def __init__(self, tmp_path, *args, env=None):
        self.data = tmp_path / "data"
        self.log = open(tmp_path / "server.log", "w+")
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--listen", "127.0.0.1", "--port", "0", "--data", str(self.data), *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.output()}")
        self.port = int(m.group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False  # never a proxy: loopback only

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
