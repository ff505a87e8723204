"""Accounts and their protections, as a client sees them: login and its
throttle, cookies and CSRF, password changes and revocation, API keys,
the per-token rate limit, the audit log, security headers, the tenant
command line."""
import subprocess
import time

import requests

from conftest import ADMIN, ADMIN_PASSWORD, BINARY, TENANT, create_tenant
from sbapi import call, ok, problem


def anon(server):
    s = requests.Session()
    s.trust_env = False
    return s


def login(server, user, password, tenant=TENANT, session=None):
    s = session or anon(server)
    return s.post(server.url + "/v1/auth/login", json={"tenant": tenant, "user": user, "password": password},
                  timeout=30)


def make_user(server, uid, role="admin", password="a-good-password", **extra):
    ok(server, "POST", "/v1/users", {"id": uid, "display_name": uid, "role": role, **extra}, expect=201)
    call(server, "PUT", f"/v1/users/{uid}/password", {"password": password}, expect=204)
    return password


def test_login_answers_the_same_for_a_wrong_user_and_a_wrong_password(server):
    a = login(server, "nobody", "whatever-password")
    b = login(server, ADMIN, "wrong-password")
    for r in (a, b):
        problem(r, 401, "invalid_credentials")
    assert a.json()["detail"] == b.json()["detail"]
    assert login(server, ADMIN, ADMIN_PASSWORD, tenant="no-such-tenant").status_code == 401


def test_login_backs_off_after_repeated_failures(server):
    statuses = [login(server, ADMIN, f"wrong-{i}").status_code for i in range(4)]
    assert statuses[:3] == [401, 401, 401]
    r = login(server, ADMIN, ADMIN_PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    problem(r, 429, "too_many_attempts")
    time.sleep(int(r.headers["Retry-After"]) + 0.2)
    assert login(server, ADMIN, ADMIN_PASSWORD).status_code == 200


def test_cookie_session_needs_csrf_for_changes(server):
    s = anon(server)
    r = login(server, ADMIN, ADMIN_PASSWORD, session=s)
    assert r.status_code == 200
    cookies = r.headers["Set-Cookie"]
    assert "sb_session=" in cookies and "HttpOnly" in cookies and "SameSite=Strict" in cookies
    assert "Secure" not in cookies  # plain HTTP here; see test_tls.py for HTTPS
    assert s.get(server.url + "/v1/skills", timeout=5).status_code == 200  # reads need no CSRF
    problem(s.post(server.url + "/v1/skills", json={"id": "s1"}, timeout=5), 403, "csrf")
    bad = s.post(server.url + "/v1/skills", json={"id": "s1"}, headers={"X-CSRF-Token": "nope"}, timeout=5)
    problem(bad, 403, "csrf")
    good = s.post(server.url + "/v1/skills", json={"id": "s1"},
                  headers={"X-CSRF-Token": r.json()["csrf_token"]}, timeout=5)
    assert good.status_code == 201
    # a bearer token needs no CSRF value: it is not sent by browsers on their own
    assert call(server, "POST", "/v1/skills", {"id": "s2"}).status_code == 201


def test_logout_and_password_change_revoke_sessions(server):
    pw = make_user(server, "ann")
    t1 = login(server, "ann", pw).json()["token"]
    t2 = login(server, "ann", pw).json()["token"]
    h1, h2 = ({"Authorization": "Bearer " + t} for t in (t1, t2))
    assert server.get("/v1/auth/me", headers=h1).json()["user"] == "ann"
    assert server.request("POST", "/v1/auth/logout", headers=h1).status_code == 204
    problem(server.get("/v1/auth/me", headers=h1), 401, "unauthenticated")
    assert server.get("/v1/auth/me", headers=h2).status_code == 200
    call(server, "PUT", "/v1/users/ann/password", {"password": "another-password"}, expect=204)
    problem(server.get("/v1/auth/me", headers=h2), 401, "unauthenticated")
    assert login(server, "ann", pw).status_code == 401
    assert login(server, "ann", "another-password").status_code == 200
    problem(call(server, "PUT", "/v1/users/ann/password", {"password": "short"}), 400, "invalid_field")


def test_a_user_changes_only_its_own_password(server):
    pw = make_user(server, "agent1", role="supervisor")
    make_user(server, "other")
    h = {"Authorization": "Bearer " + login(server, "agent1", pw).json()["token"]}
    r = server.request("PUT", "/v1/users/other/password", json={"password": "hijacked-pass"}, headers=h)
    problem(r, 404, "not_found")
    r = server.request("PUT", "/v1/users/agent1/password", json={"password": "my-new-password"}, headers=h)
    assert r.status_code == 204


def test_api_keys_are_shown_once_scoped_and_revocable(server):
    k = ok(server, "POST", "/v1/api-keys", {"name": "crm", "scopes": ["config:read"]}, expect=201)
    assert k["key"].startswith("sbk.")
    listed = ok(server, "GET", "/v1/api-keys")["items"]
    assert [x["id"] for x in listed] == [k["id"]] and "key" not in listed[0] and "hash" not in listed[0]
    h = {"Authorization": "Bearer " + k["key"]}
    assert server.get("/v1/skills", headers=h).status_code == 200
    problem(server.request("POST", "/v1/skills", json={"id": "x"}, headers=h), 403, "forbidden")
    me = server.get("/v1/auth/me", headers=h).json()
    assert me["role"] == "integration" and me["scopes"] == ["config:read"]
    problem(call(server, "POST", "/v1/api-keys", {"name": "x", "scopes": ["everything"]}), 400, "invalid_field")
    call(server, "DELETE", f"/v1/api-keys/{k['id']}", expect=204)
    problem(server.get("/v1/skills", headers=h), 401, "unauthenticated")


def test_rate_limit_per_token(start):
    s = start("--rate-limit", "5")
    codes = [s.get("/v1/skills") for _ in range(30)]
    limited = [r for r in codes if r.status_code == 429]
    assert codes[0].status_code == 200 and limited, [r.status_code for r in codes]
    problem(limited[0], 429, "rate_limited")
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert s.get("/v1/health").status_code == 200  # a public route has no token to count
    time.sleep(1.2)
    assert s.get("/v1/skills").status_code == 200  # the bucket refills


def test_audit_records_who_did_what_and_cannot_be_changed(server):
    ok(server, "POST", "/v1/skills", {"id": "billing", "name": "Billing"}, expect=201)
    ok(server, "PUT", "/v1/skills/billing", {"name": "Billing desk"})
    call(server, "DELETE", "/v1/skills/billing", expect=204)
    items = ok(server, "GET", "/v1/audit?collection=skills")["items"]
    assert [(i["action"], i["actor"]) for i in items] == [("create", ADMIN), ("update", ADMIN), ("delete", ADMIN)]
    assert items[1]["before"]["name"] == "Billing" and items[1]["after"]["name"] == "Billing desk"
    assert items[2]["after"] is None and items[0]["at"] <= items[2]["at"]
    logins = ok(server, "GET", "/v1/audit?collection=sessions")["items"]
    assert any(i["action"] == "login" for i in logins)
    for m in ("POST", "PUT", "PATCH", "DELETE"):
        assert call(server, m, "/v1/audit", {}).status_code == 405
    assert call(server, "PUT", f"/v1/audit/{items[0]['id']}", {}).status_code == 404
    # newest first, page by page towards the oldest
    for i in range(5):
        ok(server, "POST", "/v1/teams", {"id": f"t{i}"}, expect=201)
    page1 = ok(server, "GET", "/v1/audit?collection=teams&order=desc&limit=3")
    assert [i["object"] for i in page1["items"]] == ["t4", "t3", "t2"] and page1["next_cursor"]
    page2 = ok(server, "GET", f"/v1/audit?collection=teams&order=desc&limit=3&cursor={page1['next_cursor']}")
    assert [i["object"] for i in page2["items"]] == ["t1", "t0"]
    asc = ok(server, "GET", "/v1/audit?collection=teams&order=asc")["items"]
    assert [i["object"] for i in asc] == ["t0", "t1", "t2", "t3", "t4"]
    problem(call(server, "GET", "/v1/audit?order=sideways"), 400, "invalid_field")


def test_security_headers_on_every_answer(server):
    for r in (server.get("/v1/health"), server.get("/v1/skills"), server.get("/v1/nothing"),
              anon(server).get(server.url + "/v1/skills", timeout=5)):
        h = r.headers
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "default-src 'self'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in h  # only under TLS (test_tls.py)


def test_no_token_is_401_with_a_challenge(server):
    r = anon(server).get(server.url + "/v1/skills", timeout=5)
    problem(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_tenant_command_line(tmp_path):
    data = tmp_path / "data"
    create_tenant(data, name="acme", admin="root", password="correct-horse-1")
    r = subprocess.run([BINARY, "tenant", "create", "acme", "--admin", "x", "--data", str(data)],
                       env={"SB_ADMIN_PASSWORD": "correct-horse-1"}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "already exists" in r.stderr
    r = subprocess.run([BINARY, "tenant", "create", "beta", "--admin", "x", "--data", str(data)],
                       env={"SB_ADMIN_PASSWORD": "short"}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "10 to 200" in r.stderr
    r = subprocess.run([BINARY, "tenant", "create", "bad name", "--admin", "x", "--data", str(data)],
                       env={"SB_ADMIN_PASSWORD": "long-enough-pw"}, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    r = subprocess.run([BINARY, "tenant", "list", "--data", str(data)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.split() == ["1", "acme"]


def test_expired_sessions_are_forgotten(tmp_path):
    """Expired sessions leave the store (and memory) in the first prune
    round after a start; live ones stay."""
    import sqlite3
    import time as _time
    from conftest import Server
    s = Server(tmp_path, "--session-ttl-ms", "1500")
    db = tmp_path / "data" / "switchboard.db"

    def sessions():
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return c.execute("SELECT count(*) FROM documents WHERE kind = 'session'").fetchone()[0]
        finally:
            c.close()

    before = sessions()
    s.login("admin", "admin-password-1")
    s.login("admin", "admin-password-1")
    assert sessions() == before + 2
    _time.sleep(1.6)  # both expired
    assert s.stop() == 0
    s2 = Server(tmp_path)  # 12 h sessions again
    try:
        fresh = s2.login("admin", "admin-password-1")
        deadline = _time.monotonic() + 10
        while sessions() != before + 1 and _time.monotonic() < deadline:
            _time.sleep(0.2)
        # the template's session (12 h) and the fresh one stay; the two expired ones are gone
        assert sessions() == before + 1, sessions()
        r = s2.http.get(s2.url + "/v1/auth/me", headers={"Authorization": "Bearer " + fresh}, timeout=5)
        assert r.status_code == 200
    finally:
        assert s2.stop() == 0, s2.output()
