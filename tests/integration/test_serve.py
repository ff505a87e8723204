"""`switchboard serve`: start-up, flags, the HTTP layer's limits and
errors, the problem documents, and a clean SIGTERM."""
import os
import signal
import socket
import subprocess
import time

from conftest import BINARY, Server


def test_health(server):
    r = server.get("/v1/health")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    assert body["status"] == "ok"
    assert body["uptime_ms"] >= 0
    assert set(body["store"]) == {"batches", "transactions", "last_commit_us"}


def test_data_directory_created(server):
    assert (server.data / "switchboard.db").exists()


def test_unknown_route_is_a_problem_document(server):
    r = server.get("/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/problem+json"
    p = r.json()
    assert p["status"] == 404 and p["code"] == "not_found" and p["title"] == "Not Found"


def test_wrong_method(server):
    r = server.request("DELETE", "/v1/health")
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.json()["code"] == "method_not_allowed"


def test_head_has_no_body(server):
    r = server.request("HEAD", "/v1/health")
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["Content-Length"]) > 0


def test_keep_alive_serves_many(server):
    for _ in range(20):
        assert server.get("/v1/health").status_code == 200


def test_malformed_request_is_400_and_server_keeps_serving(server):
    out = server.raw(b"BLAH /\x00 HTTP/9\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    assert server.get("/v1/health").status_code == 200


def test_body_too_large_is_413(start):
    s = start("--max-body", "1024")
    r = s.request("POST", "/v1/health", data=b"x" * 4096)
    assert r.status_code == 413
    assert s.get("/v1/health").status_code == 200


def test_header_too_large_is_431(start):
    s = start("--max-header", "1024")
    r = s.get("/v1/health", headers={"X-Big": "y" * 4000})
    assert r.status_code == 431
    assert s.get("/v1/health").status_code == 200


def test_request_timeout_is_408(start):
    s = start("--request-timeout-ms", "300")
    t0 = time.monotonic()
    out = s.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n", read_timeout=5)
    assert out.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - t0 < 4


def test_too_many_connections_is_503(start):
    s = start("--max-connections", "2")
    held = [socket.create_connection(("127.0.0.1", s.port)) for _ in range(2)]
    try:
        time.sleep(0.2)
        out = s.raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=3)
        assert out.startswith(b"HTTP/1.1 503 ")
    finally:
        for c in held:
            c.close()
    time.sleep(0.2)
    assert s.get("/v1/health").status_code == 200


def test_environment_sets_options(tmp_path):
    env = dict(os.environ, SB_MAX_BODY="100")
    s = Server(tmp_path, env=env)
    try:
        assert s.request("POST", "/v1/health", data=b"x" * 500).status_code == 413
    finally:
        assert s.stop() == 0


def test_sigterm_exits_zero_and_says_so(tmp_path):
    s = Server(tmp_path)
    assert s.get("/v1/health").status_code == 200
    assert s.stop(signal.SIGTERM) == 0
    assert "shutting down" in s.output()


def test_help_documents_every_flag():
    out = subprocess.run([BINARY, "serve", "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0
    for flag in ["--listen", "--port", "--data", "--max-body", "--max-header",
                 "--max-connections", "--request-timeout-ms", "--idle-timeout-ms"]:
        assert flag in out.stdout
    for var in ["SB_LISTEN", "SB_PORT", "SB_DATA", "SB_MAX_BODY"]:
        assert var in out.stdout


def test_bad_flag_values_are_refused(tmp_path):
    for args in (["--port", "70000"], ["--max-body", "0"], ["--max-connections", "x"], ["--frob"]):
        out = subprocess.run([BINARY, "serve", "--data", str(tmp_path / "d"), *args],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 2, args


def test_port_in_use_is_a_clear_error(tmp_path, server):
    out = subprocess.run([BINARY, "serve", "--port", str(server.port), "--data", str(tmp_path / "other")],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert "cannot listen" in out.stderr


def test_unusable_data_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = subprocess.run([BINARY, "serve", "--port", "0", "--data", str(blocker)],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert "data directory" in out.stderr


def test_second_server_on_same_data_refused(tmp_path, server):
    out = subprocess.run([BINARY, "serve", "--port", "0", "--data", str(server.data)],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1


def test_openapi_is_served_and_matches_the_file(server):
    import json
    import pathlib
    r = server.get("/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    served = r.json()
    on_disk = json.loads((pathlib.Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    assert served == on_disk
    # Every parameter-free GET answers (the streams only to a WebSocket upgrade; the
    # customer's routes only to a customer's token, tested in test_chat.py).
    plain = [p for p, ops in served["paths"].items() if "get" in ops and "{" not in p and p != "/v1/stream"
             and not p.startswith("/v1/chat/")]
    assert "/v1/health" in plain and "/v1/skills" in plain
    for path in plain:
        assert server.get(path).status_code < 400, path
    # Every documented operation is routed: never 405, never the router's 404.
    for path, ops in served["paths"].items():
        for method in ops:
            r = server.request(method.upper(), path.replace("{id}", "x-1"))
            assert r.status_code != 405, (method, path)
            assert not (r.status_code == 404 and r.json().get("detail") == "no such resource"), (method, path)
