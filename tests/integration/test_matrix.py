"""The authorization matrix (docs/api.md, "Accounts, roles and what they
see"), generated from docs/openapi.json: every route, as every kind of
caller, on an object the A side sees and on one it does not, compared with
the class the documentation gives: allowed (2xx), 401 (no, expired,
revoked or forged token), 403 (the role may not use the route), 404 (an
object of another tenant or outside the caller's visibility).  Refused
requests must change nothing.  Then the stream's topics and events, 404s
that look exactly like missing objects, and lists without invisible items.

One server for the module, in its own data directory: tenants "test"
(admin "admin") and "other" (admin "oadmin"), made by `switchboard tenant
create`.  The expired token comes from a run with `--session-ttl-ms 1500`.
`pytest -s` prints the matrix; it is also written to a file (its path is
printed)."""
import asyncio
import concurrent.futures
import http.cookiejar
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import quote

import pytest
import requests
import websockets

from conftest import ADMIN, ADMIN_PASSWORD, Server, create_tenant
from sbapi import WS

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
HTTP_METHODS = ("get", "put", "post", "patch", "delete")

OTHER, OADMIN, OADMIN_PASSWORD = "other", "oadmin", "oadmin-password-1"
USER_PASSWORD = "user-password-123"
SCOPES = ["config:read", "config:write", "interactions:read", "interactions:write", "agents:read",
          "agents:write", "stream:read", "audit:read", "stats:read"]

# The callers, in the matrix's column order.
IDENTITIES = ["admin", "supervisor", "agent", "int+", "int-", "other-admin", "none", "expired",
              "revoked", "forged"]
UNAUTHENTICATED = {"none", "expired", "revoked", "forged"}
ROLE = {"admin": "admin", "supervisor": "supervisor", "agent": "agent", "int+": "integration",
        "int-": "integration"}
ALL = frozenset({"admin", "supervisor", "agent", "integration"})
ADMIN_ONLY = frozenset({"admin"})
ADMIN_INT = frozenset({"admin", "integration"})
NOT_SUP = frozenset({"admin", "agent", "integration"})   # a supervisor may not do it for its agents
NOT_AGENT = frozenset({"admin", "supervisor", "integration"})
HIDDEN_B = frozenset({"supervisor", "agent"})           # the B side: agent B, queue 2, their work

LEGEND = """identities:
  admin        admin of tenant "test" (session)
  supervisor   user "sup": teams [red] (agent A), queues [q1]
  agent        user "ua", linked to agent A (serves q1)
  int+         API key with only the scope the route needs (all scopes when it needs none)
  int-         API key with every scope but that one (only audit:read when it needs none)
  other-admin  admin of tenant "other" (its own tenant: ids of "test" are unknown there)
  none         no token
  expired      a session of admin made with --session-ttl-ms 1500, expired
  revoked      a session of admin, logged out
  forged       admin's token with the other tenant's number
targets: vis = A side (agent A, queue q1, their interactions), hid = B side (agent B, q2),
  fresh = made for the row (recreated once a request consumed it), self = the caller's own user
cells: the status ("sub": subscribed, "unk": error unknown_topic, blank: no stream to ask on);
  "!" marks a cell that is not what docs/api.md says (listed below the table)
"""


# ---- HTTP ----------------------------------------------------------------------------------------


class Client:
    """JSON requests with an explicit bearer token; never keeps cookies (a
    login's Set-Cookie must not turn later anonymous requests into
    authenticated ones)."""

    def __init__(self, url):
        self.url = url
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def req(self, method, path, token=None, body=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            h["Content-Type"] = "application/json"
            data = json.dumps(body)
        return self.s.request(method, self.url + path, headers=h, data=data, timeout=10)

    def close(self):
        self.s.close()


def must(r, *status):
    assert r.status_code in status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json() if r.content else None


def login(url, user, password, tenant="test"):
    c = Client(url)
    try:
        return must(c.req("POST", "/v1/auth/login", body={"tenant": tenant, "user": user, "password": password}),
                    200)["token"]
    finally:
        c.close()


def parallel(fn, items, workers=4):
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


def ws_open(port, token, timeout=5):
    """A stream connection, or the HTTP status that refused the upgrade."""
    class _S:  # what sbapi.WS wants of a server
        pass
    s = _S()
    s.port = port
    try:
        return WS(s, headers={"Authorization": "Bearer " + token} if token else {}, timeout=timeout), 101
    except websockets.exceptions.InvalidStatusCode as e:
        return None, e.status_code


def ws_try(w, topics):
    """Subscribe; the reply (subscribed or error)."""
    w.send({"type": "subscribe", "topics": topics})
    return w.recv(3)


def ws_drain(w, timeout):
    """Messages until nothing comes for `timeout`, and the close code if the server closed."""
    out = []
    while True:
        try:
            out.append(w.recv(timeout))
        except asyncio.TimeoutError:
            return out, None
        except websockets.ConnectionClosed:
            return out, w.ws.close_code


# ---- the world -------------------------------------------------------------------------------------

CONFIG = ["skills", "teams", "wrapup-codes", "not-ready-reasons", "custom-fields", "capacity-profiles",
          "queues", "agents", "users"]
# GET /v1/C/{id} targets: the A side's object, and (where visibility differs) the B side's.
TARGETS = {"skills": ("billing", None), "teams": ("red", None), "wrapup-codes": ("wc1", None),
           "not-ready-reasons": ("nr1", None), "custom-fields": ("cf1", None),
           "capacity-profiles": ("wide", None), "queues": ("q1", ("q2", frozenset({"agent"}))),
           "agents": ("A", ("B", HIDDEN_B)), "users": ("ua", None)}
SIDES = {"A": {"agent": "A", "queue": "q1"}, "B": {"agent": "B", "queue": "q2"}}


def neutral(coll, id):
    """A valid object naming nothing else: valid in either tenant."""
    return {"custom-fields": {"id": id, "entity": "agent", "type": "string"},
            "capacity-profiles": {"id": id, "units": 100},
            "queues": {"id": id, "steps": [{"expression": "agent.languages has 'en'"}]},
            "agents": {"id": id},
            "users": {"id": id, "display_name": "n", "role": "supervisor"}}.get(coll, {"id": id, "name": "n"})


class World:
    """The running server, the callers' tokens, the objects, and an admin
    hand to put things in the state a row needs."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.server = None
        self.cells = []      # (row label, identity, status, expected, mismatch note or "")
        self.facts = {}      # what the setup observed, asserted by the tests
        self.n = 0
        self.cur = {}        # fresh objects in use: key -> id
        self.fresh_sessions = {}

    def uniq(self, prefix):
        self.n += 1
        return f"{prefix}-{self.n}"

    # -- admin calls
    def a(self, method, path, body=None, expect=(200,)):
        r = self.c.req(method, path, self.tok["admin"], body)
        return must(r, *((expect,) if isinstance(expect, int) else expect))

    def o(self, method, path, body=None, expect=(200,)):
        r = self.c.req(method, path, self.tok["other-admin"], body)
        return must(r, *((expect,) if isinstance(expect, int) else expect))

    # -- interactions
    def ix_doc(self, i):
        r = self.c.req("GET", f"/v1/interactions/{i}", self.tok["admin"])
        return r.json() if r.status_code == 200 else None

    def ix_snap(self, i):
        d = self.ix_doc(i)
        return d and (d["state"], d["version"], d["agent"], d["queue"], d["attributes"])

    def retire(self, i):
        """End interaction i (whatever its state), as the admin."""
        for _ in range(4):
            d = self.ix_doc(i)
            st = d and d["state"]
            if st in ("queued", "offered"):
                self.a("POST", f"/v1/interactions/{i}/cancel")
            elif st == "connected":
                self.a("POST", f"/v1/interactions/{i}/complete")
            elif st == "wrap_up":
                self.a("POST", f"/v1/interactions/{i}/wrapup", {})
            else:
                return

    def ix_in(self, side, state):
        """An interaction of `side` in `state` (offered, connected, wrap_up):
        the one made before if no request has moved it, else a new one."""
        key = ("ix", side, state)
        cur = self.cur.get(key)
        if cur:
            d = self.ix_doc(cur)
            if d and d["state"] == state:
                return cur
            self.retire(cur)
        self.agent_in(side, "ready")
        s = SIDES[side]
        d = self.a("POST", "/v1/interactions", {"queue": s["queue"], "channel": "chat"}, 201)
        assert d["state"] == "offered", d
        i = d["id"]
        if state in ("connected", "wrap_up"):
            self.a("POST", f"/v1/agents/{s['agent']}/accept", {"interaction": i})
        if state == "wrap_up":
            assert self.a("POST", f"/v1/interactions/{i}/complete")["state"] == "wrap_up"
        self.cur[key] = i
        return i

    def retire_fresh(self):
        for key, i in list(self.cur.items()):
            if key[0] == "ix":
                self.retire(i)
            del self.cur[key]

    # -- agents
    def agent_state(self, agent):
        return self.a("GET", f"/v1/agents/{agent}/state")

    def agent_snap(self, agent):
        st = self.agent_state(agent)
        return (st["state"], st["reason"], sorted(st["interactions"]),
                sorted(o["interaction"] for o in st["offers"]))

    def agent_in(self, side, want):
        """Put agent of `side` in `want`: logged_out, idle (logged in, not
        ready, no work), not_ready, ready, offered (ready with an offer;
        returns the interaction)."""
        ag = SIDES[side]["agent"]
        st = self.agent_state(ag)
        if want in ("logged_out", "idle"):
            for o in st["offers"]:
                self.retire(o["interaction"])
            for i in st["interactions"]:
                self.retire(i)
            st = self.agent_state(ag)
            assert not st["interactions"] and not st["offers"], st
        if want == "logged_out":
            if st["state"] != "logged_out":
                self.a("POST", f"/v1/agents/{ag}/logout")
            return None
        if st["state"] == "logged_out":
            st = self.a("POST", f"/v1/agents/{ag}/login")
        if want in ("idle", "not_ready") and st["state"] != "not_ready":
            st = self.a("POST", f"/v1/agents/{ag}/not-ready", {})
        if want in ("ready", "offered") and st["state"] != "ready":
            st = self.a("POST", f"/v1/agents/{ag}/ready")
        if want == "offered":
            if st["offers"]:
                return st["offers"][0]["interaction"]
            d = self.a("POST", "/v1/interactions", {"queue": SIDES[side]["queue"], "channel": "chat"}, 201)
            assert d["state"] == "offered", d
            return d["id"]
        return None

    # -- configuration
    def cfg_snap(self, coll, id):
        r = self.c.req("GET", f"/v1/{coll}/{quote(id)}", self.tok["admin"])
        return (r.status_code, r.json().get("version") if r.status_code == 200 else None)

    def cfg_fresh(self, coll):
        key = ("cfg", coll)
        cur = self.cur.get(key)
        if cur and self.cfg_snap(coll, cur)[0] == 200:
            return cur
        cur = self.uniq("del-" + coll)
        self.a("POST", f"/v1/{coll}", neutral(coll, cur), 201)
        self.cur[key] = cur
        return cur

    def key_ids(self):
        return sorted(k["id"] for k in self.a("GET", "/v1/api-keys")["items"])

    def key_fresh(self):
        cur = self.cur.get(("key",))
        if cur and cur in self.key_ids():
            return cur
        cur = self.a("POST", "/v1/api-keys", {"name": "to delete", "scopes": ["config:read"]}, 201)["id"]
        self.cur[("key",)] = cur
        return cur

    def count_ix(self, queue):
        n, cursor = 0, None
        while True:
            q = f"/v1/interactions?queue={queue}&limit=1000" + (f"&cursor={cursor}" if cursor else "")
            page = self.a("GET", q)
            n += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return n

    # -- callers
    def token(self, ident, scope):
        if ident == "int+":
            return self.keys["only"][scope] if scope else self.keys["all"]
        if ident == "int-":
            return self.keys["allbut"][scope] if scope else self.keys["only"]["audit:read"]
        return self.tok.get(ident)


def set_password(url, token, user):
    c = Client(url)
    try:
        must(c.req("PUT", f"/v1/users/{user}/password", token, {"password": USER_PASSWORD}), 204)
    finally:
        c.close()


def setup_world(w):
    tmp = w.tmp
    data = tmp / "data"
    create_tenant(data)
    create_tenant(data, OTHER, OADMIN, OADMIN_PASSWORD)

    # ---- 1. configuration, users, passwords, keys (a server with the default session lifetime)
    s = Server(tmp, login=False)
    try:
        w.c = Client(s.url)
        w.tok = {"admin": login(s.url, ADMIN, ADMIN_PASSWORD)}
        for coll, obj in [
            ("skills", {"id": "billing"}), ("teams", {"id": "red"}), ("teams", {"id": "blue"}),
            ("wrapup-codes", {"id": "wc1"}), ("not-ready-reasons", {"id": "nr1"}),
            ("custom-fields", {"id": "cf1", "entity": "interaction", "type": "string"}),
            ("capacity-profiles", {"id": "wide", "units": 100, "channels": {"chat": {"cost": 1, "max": 50}}}),
        ]:
            w.a("POST", f"/v1/{coll}", obj, 201)
        for q in ("q1", "q2"):
            # priority 1000 and more: nobody is eligible (a waiting interaction on demand)
            w.a("POST", "/v1/queues", {"id": q, "steps": [{"expression": "agent.skills.billing >= 1 and "
                                                                         "interaction.priority < 1000"}],
                                       "wrapup": {"mode": "optional"}, "offer_timeout_seconds": 600}, 201)
        w.a("POST", "/v1/queues", {"id": "qsink", "steps": [{"expression": "agent.skills.billing >= 1"}]}, 201)
        for ag, team, q in (("A", "red", "q1"), ("B", "blue", "q2")):
            w.a("POST", "/v1/agents", {"id": ag, "skills": {"billing": 5}, "teams": [team], "queues": [q],
                                       "capacity_profile": "wide"}, 201)
        for u in ({"id": "sup", "display_name": "Sup", "role": "supervisor", "teams": ["red"], "queues": ["q1"]},
                  {"id": "ua", "display_name": "A", "role": "agent", "agent": "A"},
                  {"id": "ub", "display_name": "B", "role": "agent", "agent": "B"},
                  {"id": "pwuser", "display_name": "P", "role": "supervisor"}):
            w.a("POST", "/v1/users", u, 201)
        for coll in CONFIG:  # the targets of PUT rows
            w.a("POST", f"/v1/{coll}", neutral(coll, "put-" + coll), 201)

        def key(scopes):
            return w.a("POST", "/v1/api-keys", {"name": " ".join(scopes), "scopes": scopes}, 201)

        w.keys = {"only": {}, "allbut": {}, "ids": {}}
        for sc in SCOPES:
            k = key([sc])
            w.keys["only"][sc], w.keys["ids"][k["key"]] = k["key"], k["id"]
            k = key([x for x in SCOPES if x != sc])
            w.keys["allbut"][sc], w.keys["ids"][k["key"]] = k["key"], k["id"]
        k = key(SCOPES)
        w.keys["all"], w.keys["ids"][k["key"]] = k["key"], k["id"]
        # users named like the keys used on PUT /v1/users/{id}/password: a key is no user
        for kt in (w.keys["all"], w.keys["only"]["audit:read"]):
            w.a("POST", "/v1/users", {"id": w.keys["ids"][kt], "display_name": "k", "role": "supervisor"}, 201)
        parallel(lambda u: set_password(s.url, w.tok["admin"], u), ["sup", "ua", "ub", "pwuser"])
        w.c.close()
    finally:
        assert s.stop() == 0, s.output()

    # ---- 2. the expired session: a server whose sessions last 1.5 s
    s = Server(tmp, "--session-ttl-ms", "1500", login=False)
    try:
        c = Client(s.url)
        w.tok["expired"] = login(s.url, ADMIN, ADMIN_PASSWORD)
        expires = time.monotonic() + 1.6
        w.facts["expired_valid_before"] = c.req("GET", "/v1/auth/me", w.tok["expired"]).status_code
        ws, st = ws_open(s.port, w.tok["expired"])
        assert st == 101
        sub = ws_try(ws, ["tenant"])
        time.sleep(max(0.0, expires - time.monotonic()))
        w.facts["expired_after"] = c.req("GET", "/v1/auth/me", w.tok["expired"]).status_code
        # an event after the expiry: the stream must not deliver it
        must(c.req("POST", "/v1/agents/A/login", w.keys["all"]), 200)
        msgs, code = ws_drain(ws, 0.5)
        w.facts["expired_stream"] = {"subscribed": sub, "after_expiry": msgs, "close": code}
        ws.close()
        must(c.req("POST", "/v1/agents/A/logout", w.keys["all"]), 200)
        c.close()
    finally:
        assert s.stop() == 0, s.output()

    # ---- 3. the server of the tests
    s = w.server = Server(tmp, login=False)
    w.url, w.port = s.url, s.port
    w.c = Client(s.url)
    toks = parallel(lambda a: login(s.url, *a), [
        (ADMIN, ADMIN_PASSWORD), ("sup", USER_PASSWORD), ("ua", USER_PASSWORD), ("ub", USER_PASSWORD),
        (OADMIN, OADMIN_PASSWORD, OTHER), (ADMIN, ADMIN_PASSWORD)])
    w.tok.update({"admin": toks[0], "supervisor": toks[1], "agent": toks[2], "agentB": toks[3],
                  "other-admin": toks[4], "revoked": toks[5]})
    must(w.c.req("POST", "/v1/auth/logout", w.tok["revoked"]), 204)
    w.tenant_id = w.a("GET", "/v1/tenant")["id"]
    w.other_id = w.o("GET", "/v1/tenant")["id"]
    assert w.tenant_id != w.other_id
    assert w.tok["admin"].startswith(f"sbt.{w.tenant_id}.")
    w.tok["forged"] = f"sbt.{w.other_id}." + w.tok["admin"].split(".", 2)[2]

    # the other tenant's own objects
    w.foreign = {}
    for coll in CONFIG:
        oid = "o-" + coll
        w.o("POST", f"/v1/{coll}", neutral(coll, oid), 201)
        w.foreign[coll] = oid
    w.foreign["key"] = w.o("POST", "/v1/api-keys", {"name": "o", "scopes": ["config:read"]}, 201)["id"]
    w.foreign["ix"] = w.o("POST", "/v1/interactions", {"queue": "o-queues", "channel": "chat"}, 201)["id"]

    # runtime: A and B ready, ix1 connected to A (queue 1), ix2 connected to B (queue 2)
    for side in ("A", "B"):
        w.agent_in(side, "ready")
    w.ix = {}
    for side, name in (("A", "ix1"), ("B", "ix2")):
        d = w.a("POST", "/v1/interactions", {"queue": SIDES[side]["queue"], "channel": "chat"}, 201)
        assert d["state"] == "offered"
        w.a("POST", f"/v1/agents/{SIDES[side]['agent']}/accept", {"interaction": d["id"]})
        w.ix[name] = d["id"]
    assert w.ix_doc(w.ix["ix1"])["agent"] == "A" and w.ix_doc(w.ix["ix2"])["agent"] == "B"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    w = World(tmp_path_factory.mktemp("matrix"))
    try:
        setup_world(w)
        yield w
    finally:
        if w.server:
            w.c.close()
            rc = w.server.stop()
            assert rc == 0, w.server.output()


# ---- the rows -------------------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    path: str
    target: str = ""
    roles: frozenset = ALL
    scope: Optional[str] = None
    hidden: frozenset = frozenset()   # roles that do not see the target: 404
    ok: tuple = (200,)
    oadm: Optional[tuple] = None      # the other tenant's admin; None: 404 on {id}, else `ok`
    public: bool = False
    explicit: dict = field(default_factory=dict)   # identity -> statuses, overriding the rules
    prep: Optional[Callable] = None   # identity -> dict(id=, body=, token=)
    snap: Optional[Callable] = None   # id -> state that a refused request must leave alone
    done: Optional[Callable] = None   # (identity, prep, response) -> note of a failure or ""
    finish: Optional[Callable] = None  # after the row
    parallel: bool = False
    ws: bool = False
    order: int = 10

    @property
    def label(self):
        return f"{self.method} {self.path}" + (f" [{self.target}]" if self.target else "")

    def expected(self, ident):
        if ident in self.explicit:
            return tuple(self.explicit[ident])
        if self.public:
            return self.ok
        if ident in UNAUTHENTICATED:
            return (401,)
        if ident == "other-admin":
            if self.oadm is not None:
                return self.oadm
            return (404,) if "{id}" in self.path else self.ok
        role = ROLE[ident]
        if role not in self.roles or (ident == "int-" and self.scope):
            return (403,)
        if role in self.hidden:
            return (404,)
        return self.ok


def build_rows(w):
    rows = []
    add = rows.append
    ix1, ix2 = w.ix["ix1"], w.ix["ix2"]

    # -- the service and identity
    add(Row("GET", "/v1/health", public=True, order=0))
    add(Row("GET", "/v1/openapi.json", public=True, order=0))
    add(Row("GET", "/v1/tenant", order=0))
    add(Row("GET", "/v1/auth/me", order=0))
    add(Row("GET", "/v1/stream", scope="stream:read", ok=(101,), oadm=(101,), ws=True, order=0))

    def login_body(ident):
        user, pw, tenant = {"admin": (ADMIN, ADMIN_PASSWORD, "test"), "supervisor": ("sup", USER_PASSWORD, "test"),
                            "agent": ("ua", USER_PASSWORD, "test"),
                            "other-admin": (OADMIN, OADMIN_PASSWORD, OTHER)}.get(ident, ("ub", USER_PASSWORD, "test"))
        return {"body": {"tenant": tenant, "user": user, "password": pw}}

    def keep_session(ident, p, r):
        if r.status_code == 200:
            w.fresh_sessions[ident] = r.json()["token"]
        return ""

    # a login with any token, even a stale one (a browser's old cookie), is a login
    add(Row("POST", "/v1/auth/login", public=True, prep=login_body, done=keep_session, parallel=True, order=70))

    def logout_prep(ident):
        # sessions: a second session of the same user (from the login row), so the caller's stays
        return {"token": w.fresh_sessions.get(ident)} if ident in ("admin", "supervisor", "agent",
                                                                     "other-admin") else {}

    def logout_done(ident, p, r):
        if "token" in p and r.status_code == 204:
            if w.c.req("GET", "/v1/auth/me", p["token"]).status_code != 401:
                return "the session still works after logout"
            if w.c.req("GET", "/v1/auth/me", w.token(ident, None)).status_code != 200:
                return "logout ended another session"
        if ident in ("int+", "int-") and w.c.req("GET", "/v1/auth/me", w.token(ident, None)).status_code != 200:
            return "logout with an API key revoked the key"
        return ""

    add(Row("POST", "/v1/auth/logout", ok=(204,), oadm=(204,), prep=logout_prep, done=logout_done, order=71))

    # -- configuration
    for coll in CONFIG:
        read, write = (ADMIN_ONLY, ADMIN_ONLY) if coll == "users" else (ALL, ADMIN_INT)
        rs, wsc = (None, None) if coll == "users" else ("config:read", "config:write")
        base = f"/v1/{coll}"
        add(Row("GET", base, roles=read, scope=rs))

        def create_prep(ident, coll=coll):
            id = w.uniq(f"new-{coll}-{ident.replace('+', 'p')}")
            return {"id": id, "body": neutral(coll, id)}

        add(Row("POST", base, roles=write, scope=wsc, ok=(201,), prep=create_prep,
                snap=lambda id, coll=coll: w.cfg_snap(coll, id), order=20))
        vis, hid = TARGETS[coll]
        add(Row("GET", base + "/{id}", "vis " + vis, roles=read, scope=rs,
                prep=lambda i, vis=vis: {"id": vis}))
        if hid:
            add(Row("GET", base + "/{id}", "hid " + hid[0], roles=read, scope=rs, hidden=hid[1],
                    prep=lambda i, h=hid[0]: {"id": h}))
        # PUT replaces (200); in the other tenant the id is unknown: a create there (201)
        add(Row("PUT", base + "/{id}", "put-" + coll, roles=write, scope=wsc, ok=(200,), oadm=(201,),
                prep=lambda i, coll=coll: {"id": "put-" + coll, "body": neutral(coll, "put-" + coll)},
                snap=lambda id, coll=coll: w.cfg_snap(coll, id), order=20))
        add(Row("DELETE", base + "/{id}", "fresh", roles=write, scope=wsc, ok=(204,),
                prep=lambda i, coll=coll: {"id": w.cfg_fresh(coll)},
                snap=lambda id, coll=coll: w.cfg_snap(coll, id), order=20))

    # -- passwords: admins for anyone, a user for itself; an API key is nobody
    pw = {"password": "another-password-1"}
    add(Row("PUT", "/v1/users/{id}/password", "pwuser", ok=(204,), parallel=True, order=80,
            explicit={"admin": (204,), "supervisor": (404,), "agent": (404,), "int+": (404,), "int-": (404,),
                      "other-admin": (404,)},
            prep=lambda i: {"id": "pwuser", "body": pw}))
    self_id = {"admin": ADMIN, "supervisor": "sup", "agent": "ua", "other-admin": OADMIN}
    add(Row("PUT", "/v1/users/{id}/password", "self", ok=(204,), parallel=True, order=81,
            explicit={"admin": (204,), "supervisor": (204,), "agent": (204,), "int+": (404,), "int-": (404,),
                      "other-admin": (204,)},
            prep=lambda i: {"id": self_id.get(i) or w.keys["ids"].get(w.token(i, None), ADMIN), "body": pw}))

    # -- API keys: admins only; audit: admins and audit:read
    add(Row("GET", "/v1/api-keys", roles=ADMIN_ONLY))
    add(Row("POST", "/v1/api-keys", roles=ADMIN_ONLY, ok=(201,), order=20,
            prep=lambda i: {"id": "-", "body": {"name": "new", "scopes": ["config:read"]}},
            snap=lambda id: len(w.key_ids())))
    add(Row("DELETE", "/v1/api-keys/{id}", "fresh", roles=ADMIN_ONLY, ok=(204,), order=20,
            prep=lambda i: {"id": w.key_fresh()}, snap=lambda id: id in w.key_ids()))
    add(Row("GET", "/v1/audit", roles=ADMIN_INT, scope="audit:read"))

    # -- statistics and reports: stats:read; each object as the role sees it
    SR = "stats:read"
    add(Row("GET", "/v1/stats/queues", scope=SR))
    add(Row("GET", "/v1/stats/queues/{id}", "vis q1", scope=SR, prep=lambda i: {"id": "q1"}))
    add(Row("GET", "/v1/stats/queues/{id}", "hid q2", scope=SR, hidden=HIDDEN_B, prep=lambda i: {"id": "q2"}))
    add(Row("GET", "/v1/stats/agents/{id}", "vis A", scope=SR, prep=lambda i: {"id": "A"}))
    add(Row("GET", "/v1/stats/agents/{id}", "hid B", scope=SR, hidden=HIDDEN_B, prep=lambda i: {"id": "B"}))
    # teams: admins, keys and the team's supervisors (an agent sees no team's figures)
    add(Row("GET", "/v1/stats/teams/{id}", "vis red", scope=SR, hidden=frozenset({"agent"}),
            prep=lambda i: {"id": "red"}))
    add(Row("GET", "/v1/stats/teams/{id}", "hid blue", scope=SR, hidden=HIDDEN_B, prep=lambda i: {"id": "blue"}))
    add(Row("GET", "/v1/stats/tenant", roles=NOT_AGENT, scope=SR))
    add(Row("GET", "/v1/reports/intervals", scope=SR))
    add(Row("GET", "/v1/reports/interactions", scope=SR))
    add(Row("GET", "/metrics", roles=ADMIN_INT, scope=SR))

    # -- interactions
    IR, IW = "interactions:read", "interactions:write"
    add(Row("GET", "/v1/interactions", scope=IR))
    # the other tenant has no queue "qsink": what it sends is a create in its own tenant, refused there
    add(Row("POST", "/v1/interactions", roles=ADMIN_INT, scope=IW, ok=(201,), oadm=(400,), order=20,
            prep=lambda i: {"id": "-", "body": {"queue": "qsink", "channel": "chat"}},
            snap=lambda id: w.count_ix("qsink")))
    for side, hidden, fixed in (("A", frozenset(), ix1), ("B", HIDDEN_B, ix2)):
        tgt = ("vis " if side == "A" else "hid ") + ("ix1" if side == "A" else "ix2")
        add(Row("GET", "/v1/interactions/{id}", tgt, scope=IR, hidden=hidden, prep=lambda i, x=fixed: {"id": x}))
        add(Row("GET", "/v1/interactions/{id}/explain", tgt, roles=NOT_AGENT, scope=IR, hidden=hidden,
                prep=lambda i, x=fixed: {"id": x}))
        add(Row("PATCH", "/v1/interactions/{id}", tgt, roles=NOT_AGENT, scope=IW, hidden=hidden, order=30,
                prep=lambda i, x=fixed: {"id": x, "body": {"attributes": {"cf1": "patched by " + i}}},
                snap=w.ix_snap))
        side_t = ("vis " if side == "A" else "hid ") + "fresh"
        for action, state, roles, body in (
                ("transfer", "connected", ALL, {"queue": "qsink"}),
                ("cancel", "offered", NOT_AGENT, None),
                ("complete", "connected", ALL, None),
                ("wrapup", "wrap_up", ALL, {"code": "wc1"}),
                ("abandon", "offered", NOT_AGENT, None)):
            add(Row("POST", "/v1/interactions/{id}/" + action, side_t, roles=roles, scope=IW, hidden=hidden,
                    order=30, snap=w.ix_snap, finish=w.retire_fresh,
                    prep=lambda i, side=side, state=state, body=body: {"id": w.ix_in(side, state), "body": body}))

    # -- working an interaction: messages, typing, notes, the customer's other interactions
    for side, hidden, fixed in (("A", frozenset(), ix1), ("B", HIDDEN_B, ix2)):
        tgt = ("vis " if side == "A" else "hid ") + ("ix1" if side == "A" else "ix2")
        for path in ("/messages", "/notes", "/related"):
            add(Row("GET", "/v1/interactions/{id}" + path, tgt, scope=IR, hidden=hidden,
                    prep=lambda i, x=fixed: {"id": x}))
        for path, status in (("/messages", 201), ("/notes", 201), ("/typing", 204)):
            body = {"typing": True} if path == "/typing" else None
            add(Row("POST", "/v1/interactions/{id}" + path, tgt, scope=IW, hidden=hidden, ok=(status,), order=30,
                    prep=lambda i, x=fixed, body=body: {"id": x, "body": body or {"text": "from " + i}}))

    # -- the web chat: starting one is public (into a queue nobody serves); the rest
    # takes a customer token, which none of these identities is
    add(Row("POST", "/v1/chat/sessions", public=True, ok=(201,), order=20,
            prep=lambda i: {"body": {"tenant": "test", "queue": "qsink", "name": "Customer " + i}}))
    not_customer = {i: (401,) if i in UNAUTHENTICATED else (403,) for i in IDENTITIES}
    for method, path in (("GET", "/v1/chat/conversation"), ("POST", "/v1/chat/messages"),
                         ("POST", "/v1/chat/typing"), ("POST", "/v1/chat/end"), ("GET", "/v1/chat/stream")):
        add(Row(method, path, explicit=not_customer,
                prep=lambda i, m=method: {"body": {"text": "hi"} if m == "POST" else None}))
    add(Row("GET", "/v1/directory", scope="interactions:write"))
    add(Row("POST", "/v1/expressions/check", scope="config:read", oadm=(200,),
            prep=lambda i: {"body": {"expression": "interaction.priority >= 0"}}))

    # -- agents at run time
    AR, AW = "agents:read", "agents:write"
    for side, hidden in (("A", frozenset()), ("B", HIDDEN_B)):
        ag = SIDES[side]["agent"]
        tgt = ("vis " if side == "A" else "hid ") + ag
        add(Row("GET", "/v1/agents/{id}/state", tgt, scope=AR, hidden=hidden, prep=lambda i, ag=ag: {"id": ag}))
        for action, want, roles, body in (
                ("accept", "offered", NOT_SUP, "offer"),
                ("reject", "offered", NOT_SUP, "offer"),
                ("not-ready", "ready", ALL, {"reason": "nr1"}),
                ("ready", "not_ready", NOT_SUP, None),
                ("logout", "idle", ALL, None),
                ("login", "logged_out", NOT_SUP, None)):
            def prep(i, side=side, ag=ag, want=want, body=body):
                x = w.agent_in(side, want)
                return {"id": ag, "body": {"interaction": x} if body == "offer" else body}

            add(Row("POST", "/v1/agents/{id}/" + action, tgt, roles=roles, scope=AW, hidden=hidden, order=40,
                    prep=prep, snap=w.agent_snap,
                    finish=lambda side=side: (w.agent_in(side, "idle"), w.agent_in(side, "ready"))))
    return rows


def openapi_routes():
    return [(m.upper(), p) for p, ops in OPENAPI["paths"].items() for m in ops if m in HTTP_METHODS]


# ---- running a cell -----------------------------------------------------------------------------

PROBLEM_CODE = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}


def run_cell(w, c, row, ident):
    p = row.prep(ident) if row.prep else {}
    token = p["token"] if "token" in p else w.token(ident, row.scope)
    exp = row.expected(ident)
    note = ""
    if row.ws:
        ws, status = ws_open(w.port, token)
        if ws:
            ws.close()
    else:
        path = row.path.replace("{id}", quote(str(p["id"]), safe="")) if "{id}" in row.path else row.path
        before = row.snap(p.get("id")) if row.snap else None
        r = c.req(row.method, path, token, p.get("body"))
        status = r.status_code
        refused = not 200 <= status < 300
        if status in exp and status in PROBLEM_CODE:
            code = r.json().get("code") if r.headers.get("Content-Type") == "application/problem+json" else None
            if code != PROBLEM_CODE[status]:
                note = f"code {code!r}, not {PROBLEM_CODE[status]!r}"
        if row.snap and (refused or ident == "other-admin"):
            after = row.snap(p.get("id"))
            if after != before:
                note = f"changed the object: {before} -> {after}"
        if row.done:
            note = row.done(ident, p, r) or note
    if status not in exp:
        note = f"expected {'/'.join(map(str, exp))}" + (f"; {note}" if note else "")
    w.cells.append((row.label, ident, status, exp, note))


def render(w):
    labels = []
    for lab, *_ in w.cells:
        if lab not in labels:
            labels.append(lab)
    grid = {(lab, i): (st, note) for lab, i, st, exp, note in w.cells}
    width = max(len(lab) for lab in labels) + 2
    cols = [max(len(i), 6) + 1 for i in IDENTITIES]
    out = [LEGEND, "".ljust(width) + "".join(i.ljust(n) for i, n in zip(IDENTITIES, cols))]
    for lab in labels:
        line = lab.ljust(width)
        for i, n in zip(IDENTITIES, cols):
            st, note = grid.get((lab, i), ("", ""))
            line += (f"{st}!" if note else f"{st}").ljust(n)
        out.append(line.rstrip())
    bad = [c for c in w.cells if c[4]]
    ws_cells = sum(1 for c in w.cells if c[0].startswith("WS "))
    ws_rows = len({c[0] for c in w.cells if c[0].startswith("WS ")})
    out.append(f"\n{len(w.cells)} cells: {len(w.cells) - ws_cells} requests ({len(labels) - ws_rows} "
               f"routes/targets x {len(IDENTITIES)} identities) and {ws_cells} stream subscriptions; "
               f"{len(bad)} not as documented")
    for lab, i, st, exp, note in bad:
        out.append(f"  ! {lab} as {i}: {st} ({note})")
    return "\n".join(out)


# ---- the tests ----------------------------------------------------------------------------------


def test_every_openapi_route_has_a_row(world):
    mine = {(r.method, r.path) for r in build_rows(world)}
    theirs = set(openapi_routes())
    assert theirs - mine == set(), "routes of docs/openapi.json without a row here"
    assert mine - theirs == set(), "rows here for routes docs/openapi.json does not list"


def test_expired_session(world):
    f = world.facts
    assert f["expired_valid_before"] == 200 and f["expired_after"] == 401
    s = f["expired_stream"]
    assert s["subscribed"]["type"] == "subscribed"
    # a stream opened with the session delivers nothing once it has expired, and ends
    assert [m for m in s["after_expiry"] if m.get("type") == "event"] == [], s
    assert s["close"] == 4401, s


# the stream: which topics each caller may subscribe to
def stream_topics(w):
    ix1, ix2 = w.ix["ix1"], w.ix["ix2"]
    return ["tenant", "queue:q1", "queue:q2", "agent:A", "agent:B", f"interaction:{ix1}", f"interaction:{ix2}"]


def stream_expected(w, ident):
    """Topic -> may subscribe, or the refusal of the upgrade."""
    topics = stream_topics(w)
    if ident in UNAUTHENTICATED:
        return 401
    if ident == "int-":
        return 403
    if ident in ("admin", "int+"):
        return dict.fromkeys(topics, True)
    if ident == "other-admin":  # its own tenant: no q1, A...; any interaction id (its own, maybe future)
        return {t: t == "tenant" or t.startswith("interaction:") for t in topics}
    return {"tenant": False, "queue:q1": True, "queue:q2": False, "agent:A": True, "agent:B": False,
            topics[5]: True, topics[6]: False}


def test_stream_topics(world):
    w = world
    bad = []
    for ident in IDENTITIES:
        exp = stream_expected(w, ident)
        ws, status = ws_open(w.port, w.token(ident, "stream:read"))
        if ws is None:  # the upgrade itself is a row of the matrix (GET /v1/stream)
            if status != exp:
                bad.append((ident, "upgrade", status, exp))
            continue
        if not isinstance(exp, dict):
            bad.append((ident, "upgrade", 101, exp))
            ws.close()
            continue
        with ws:
            for topic, allowed in exp.items():
                m = ws_try(ws, [topic])
                got = m["type"] == "subscribed" and m["topics"] == [topic]
                ok = got == allowed and (got or (m["type"] == "error" and m["code"] == "unknown_topic"))
                name = "interaction:ix1" if topic == stream_topics(w)[5] else \
                    "interaction:ix2" if topic == stream_topics(w)[6] else topic
                w.cells.append((f"WS subscribe {name}", ident,
                                "sub" if got else "unk" if m.get("code") == "unknown_topic" else m.get("code"),
                                ("sub",) if allowed else ("unk",),
                                "" if ok else f"expected {'subscribed' if allowed else 'unknown_topic'}"))
                if not ok:
                    bad.append((ident, topic, m, allowed))
    assert bad == []


def names_agent(m):
    return {m.get("agent"), m.get("target_agent")} - {None}


def test_stream_agent_sees_no_other_agent(world):
    w = world
    a = lambda *x, **k: w.a(*x, **k)  # noqa: E731
    w.agent_in("A", "ready")
    w.agent_in("B", "ready")
    agent, _ = ws_open(w.port, w.tok["agent"])
    sup, _ = ws_open(w.port, w.tok["supervisor"])
    agent_b, _ = ws_open(w.port, w.tok["agentB"])
    oadm, _ = ws_open(w.port, w.tok["other-admin"])
    with agent, sup, agent_b, oadm:
        agent.subscribe(["queue:q1", "agent:A"])
        sup.subscribe(["queue:q1"])
        agent_b.subscribe(["queue:q2", "agent:B"])
        oadm.subscribe(["tenant"])
        # in queue 1, but for agent B: waiting (priority 5000: nobody eligible), then sent to B
        x = a("POST", "/v1/interactions", {"queue": "q1", "channel": "chat", "priority": 5000}, 201)["id"]
        a("POST", f"/v1/interactions/{x}/transfer", {"agent": "B"})
        w.retire(x)
        # in queue 2, offered to B, then to A by transfer
        y = a("POST", "/v1/interactions", {"queue": "q2", "channel": "chat", "priority": 5000}, 201)["id"]
        a("POST", f"/v1/interactions/{y}/transfer", {"agent": "A"})
        w.retire(y)
        # A's own, the last: when its end has arrived, everything before has
        z = a("POST", "/v1/interactions", {"queue": "q1", "channel": "chat"}, 201)["id"]
        w.retire(z)
        a("POST", "/v1/agents/B/not-ready", {})
        a("POST", "/v1/agents/B/ready")

        def end_of(ixid):
            return lambda m: m.get("interaction") == ixid and m.get("event") in (
                "interaction.canceled", "interaction.completed", "interaction.ended", "interaction.abandoned")

        got_a = agent.until(end_of(z))
        got_a += ws_drain(agent, 0.2)[0]
        got_sup = sup.until(end_of(z))
        got_b = agent_b.until(lambda m: m.get("event") == "agent.state" and m.get("state") == "ready")
        got_b += ws_drain(agent_b, 0.2)[0]
        # the agent: events of queue 1 and of itself, never one naming another agent
        assert [m for m in got_a if names_agent(m) - {"A"}] == []
        assert {m["interaction"] for m in got_a if "interaction" in m} >= {x, y, z}  # it did hear them
        assert [m for m in got_b if names_agent(m) - {"B"}] == []
        assert any(m.get("interaction") == y for m in got_b)
        # the supervisor sees queue 1's work, whoever does it
        assert any("B" in names_agent(m) and m.get("interaction") == x for m in got_sup)
        # the other tenant hears nothing of this one
        oadm.quiet(0.1)


def test_stream_of_a_deleted_key_ends(world):
    w = world
    k = w.a("POST", "/v1/api-keys", {"name": "stream", "scopes": ["stream:read"]}, 201)
    ws, status = ws_open(w.port, k["key"])
    assert status == 101
    with ws:
        ws.subscribe(["tenant"])
        w.a("DELETE", f"/v1/api-keys/{k['id']}", expect=204)
        assert w.c.req("GET", "/v1/auth/me", k["key"]).status_code == 401
        w.a("POST", "/v1/agents/B/not-ready", {})
        w.a("POST", "/v1/agents/B/ready")
        msgs, code = ws_drain(ws, 0.5)
        assert [m for m in msgs if m.get("type") == "event"] == [], "a deleted key's stream still delivers"
        assert code == 4401


def same_as_missing(r_hidden, r_missing):
    for r in (r_hidden, r_missing):
        assert r.status_code == 404, (r.request.method, r.request.url, r.status_code, r.text)
        assert r.headers["Content-Type"] == "application/problem+json"
        assert "ETag" not in r.headers
    a, b = r_hidden.json(), r_missing.json()
    a.pop("detail", None)
    b.pop("detail", None)
    assert a == b
    assert set(r_hidden.headers) - {"Date"} == set(r_missing.headers) - {"Date"}


def test_not_found_is_the_same_for_foreign_invisible_and_missing(world):
    w = world
    c = w.c
    # ids of the other tenant's interaction that this tenant does not also have
    test_ids = {i["id"] for i in w.a("GET", "/v1/interactions?limit=1000")["items"]}
    while w.foreign["ix"] in test_ids:
        w.foreign["ix"] = w.o("POST", "/v1/interactions", {"queue": "o-queues", "channel": "chat"}, 201)["id"]
    missing_ix = "987654321"
    cases = []   # (identity token, method, hidden path, missing path, body)
    T = w.tok
    for coll in CONFIG:
        f = w.foreign[coll]
        cases.append((T["admin"], "GET", f"/v1/{coll}/{f}", f"/v1/{coll}/no-such", None))
        cases.append((T["admin"], "DELETE", f"/v1/{coll}/{f}", f"/v1/{coll}/no-such", None))
    fx = w.foreign["ix"]
    for m, suffix, body in (("GET", "", None), ("GET", "/explain", None), ("PATCH", "", {"attributes": {}}),
                            ("POST", "/cancel", None), ("POST", "/transfer", {"queue": "qsink"})):
        cases.append((T["admin"], m, f"/v1/interactions/{fx}{suffix}", f"/v1/interactions/{missing_ix}{suffix}",
                      body))
    cases += [
        (T["admin"], "GET", "/v1/agents/o-agents/state", "/v1/agents/no-such/state", None),
        (T["admin"], "POST", "/v1/agents/o-agents/login", "/v1/agents/no-such/login", None),
        (T["admin"], "DELETE", f"/v1/api-keys/{w.foreign['key']}", "/v1/api-keys/0000000000000000", None),
        (T["admin"], "PUT", "/v1/users/o-users/password", "/v1/users/no-such/password", {"password": "x" * 12}),
        (T["other-admin"], "GET", "/v1/skills/billing", "/v1/skills/no-such", None),
        (T["other-admin"], "GET", "/v1/agents/A/state", "/v1/agents/no-such/state", None),
        # outside the caller's visibility
        (T["supervisor"], "GET", "/v1/agents/B", "/v1/agents/no-such", None),
        (T["supervisor"], "GET", "/v1/agents/B/state", "/v1/agents/no-such/state", None),
        (T["supervisor"], "POST", "/v1/agents/B/not-ready", "/v1/agents/no-such/not-ready", {}),
        (T["supervisor"], "GET", f"/v1/interactions/{w.ix['ix2']}", f"/v1/interactions/{missing_ix}", None),
        (T["supervisor"], "GET", f"/v1/interactions/{w.ix['ix2']}/explain",
         f"/v1/interactions/{missing_ix}/explain", None),
        (T["supervisor"], "PATCH", f"/v1/interactions/{w.ix['ix2']}", f"/v1/interactions/{missing_ix}",
         {"attributes": {}}),
        (T["supervisor"], "POST", f"/v1/interactions/{w.ix['ix2']}/cancel",
         f"/v1/interactions/{missing_ix}/cancel", None),
        (T["agent"], "GET", "/v1/queues/q2", "/v1/queues/no-such", None),
        (T["agent"], "GET", "/v1/agents/B", "/v1/agents/no-such", None),
        (T["agent"], "GET", "/v1/agents/B/state", "/v1/agents/no-such/state", None),
        (T["agent"], "POST", "/v1/agents/B/logout", "/v1/agents/no-such/logout", None),
        (T["agent"], "GET", f"/v1/interactions/{w.ix['ix2']}", f"/v1/interactions/{missing_ix}", None),
        (T["agent"], "POST", f"/v1/interactions/{w.ix['ix2']}/complete",
         f"/v1/interactions/{missing_ix}/complete", None),
        (T["agent"], "PUT", "/v1/users/sup/password", "/v1/users/no-such/password", {"password": "x" * 12}),
    ]
    for tok, m, hidden, missing, body in cases:
        same_as_missing(c.req(m, hidden, tok, body), c.req(m, missing, tok, body))
    # nothing of the other tenant was touched
    for coll in CONFIG:
        assert w.c.req("GET", f"/v1/{coll}/{w.foreign[coll]}", T["other-admin"]).status_code == 200
    assert w.ix_doc(w.ix["ix2"])["state"] == "connected"


def all_pages(w, token, path, limit):
    ids, cursor = [], None
    for _ in range(500):
        sep = "&" if "?" in path else "?"
        r = w.c.req("GET", f"{path}{sep}limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else ""), token)
        page = must(r, 200)
        ids += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids
    raise AssertionError("no end of pages")


def test_lists_hold_only_what_the_caller_sees(world):
    w = world
    T = w.tok
    agents = {a["id"]: a for a in w.a("GET", "/v1/agents?limit=1000")["items"]}
    for coll in CONFIG:
        everything = all_pages(w, T["admin"], f"/v1/{coll}", 1000)
        assert all_pages(w, T["admin"], f"/v1/{coll}", 3) == everything
        if coll == "users":
            continue
        assert all_pages(w, w.keys["only"]["config:read"], f"/v1/{coll}", 3) == everything
        sees = {"supervisor": everything, "agent": everything}
        if coll == "agents":
            sees = {"supervisor": [a for a in everything if "red" in agents[a].get("teams", [])], "agent": ["A"]}
        if coll == "queues":
            sees["agent"] = [q for q in everything if q in agents["A"]["queues"]]
        for ident, want in sees.items():
            assert all_pages(w, T[ident], f"/v1/{coll}", 3) == want, (coll, ident)
            # one page holding everything visible says there is no more
            page = must(w.c.req("GET", f"/v1/{coll}?limit={max(1, len(want))}", T[ident]), 200)
            assert page["next_cursor"] is None, (coll, ident, page)
        theirs = all_pages(w, T["other-admin"], f"/v1/{coll}", 3)
        assert "o-" + coll in theirs and set(theirs) & set(everything) == set(), (coll, theirs)
    assert set(all_pages(w, T["other-admin"], "/v1/users", 3)) >= {"o-users", OADMIN}

    # interactions: the supervisor's queue 1 and agent A; agent A's own and offered
    docs = {}
    cursor = None
    while True:
        page = w.a("GET", "/v1/interactions?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
        docs.update((d["id"], d) for d in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    offers_a = {o["interaction"] for o in w.agent_state("A")["offers"]}
    want = {"admin": set(docs), "supervisor": {i for i, d in docs.items() if d["queue"] == "q1" or d["agent"] == "A"},
            "agent": {i for i, d in docs.items() if d["agent"] == "A"} | offers_a}
    assert w.ix["ix1"] in want["agent"] and w.ix["ix2"] not in want["supervisor"] | want["agent"]
    for ident, ids in want.items():
        got = all_pages(w, T[ident], "/v1/interactions", 2)
        assert len(got) == len(set(got)) and set(got) == ids, ident
    assert set(all_pages(w, w.keys["only"]["interactions:read"], "/v1/interactions", 1000)) == set(docs)
    assert all_pages(w, T["supervisor"], "/v1/interactions?agent=B", 1000) == []
    assert all_pages(w, T["agent"], "/v1/interactions?queue=q2", 1000) == []
    theirs = must(w.c.req("GET", "/v1/interactions?limit=1000", T["other-admin"]), 200)["items"]
    assert theirs and {d["queue"] for d in theirs} == {"o-queues"}

    # keys and audit stay in their tenant
    mine = set(w.key_ids())
    theirs = {k["id"] for k in must(w.c.req("GET", "/v1/api-keys", T["other-admin"]), 200)["items"]}
    assert w.foreign["key"] in theirs and not theirs & mine and w.foreign["key"] not in mine
    audit_o = must(w.c.req("GET", "/v1/audit?limit=1000", T["other-admin"]), 200)["items"]
    assert audit_o and {e["actor"] for e in audit_o} <= {OADMIN, "command line"}, {e["actor"] for e in audit_o}
    audit_t = must(w.c.req("GET", "/v1/audit?limit=1000", T["admin"]), 200)["items"]
    assert OADMIN not in {e["actor"] for e in audit_t}


def test_matrix(world, tmp_path):
    """Every route x every caller; must stay the last test (it ends ix1
    and ix2 and, at the very end, changes passwords: sessions end)."""
    w = world
    rows = sorted(build_rows(w), key=lambda r: r.order)
    t0 = time.monotonic()
    for row in rows:
        if row.parallel:
            def one(ident, row=row):
                c = Client(w.url)
                try:
                    run_cell(w, c, row, ident)
                finally:
                    c.close()
            parallel(one, IDENTITIES)
        else:
            for ident in IDENTITIES:
                run_cell(w, w.c, row, ident)
        if row.finish:
            row.finish()
    elapsed = time.monotonic() - t0
    text = render(w) + f"\n(matrix run: {elapsed:.1f} s)\n"
    out = tmp_path / "authorization-matrix.txt"
    out.write_text(text)
    print("\n" + text)
    print(f"authorization matrix written to {out}")
    bad = [c for c in w.cells if c[4]]
    assert bad == [], "\n".join(f"{lab} as {i}: {st} ({note})" for lab, i, st, exp, note in bad)
