"""Helpers shared by the API v1 tests: JSON calls against a conftest.Server,
a small configuration to route with, and a WebSocket client for
/v1/stream that blocks with bounded timeouts.

Debian 12's websockets (10.4) has no sync client, so WS drives the asyncio
client on a private event loop, one call at a time."""
import asyncio
import json
import time

import websockets

JSON = {"Content-Type": "application/json"}


def call(s, method, path, body=None, headers=None, expect=None):
    """A JSON request; `expect` asserts the status (with the body in the message)."""
    h = dict(headers or {})
    kw = {}
    if body is not None:
        h.setdefault("Content-Type", "application/json")
        kw["data"] = body if isinstance(body, (bytes, str)) else json.dumps(body)
    r = s.request(method, path, headers=h, **kw)
    if expect is not None:
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
    return r


def ok(s, method, path, body=None, headers=None, expect=200):
    """The JSON body of a request that must answer `expect`."""
    r = call(s, method, path, body, headers, expect)
    return r.json() if r.content else None


def problem(r, status, code):
    """Assert r is a problem document with this status and code; return it."""
    assert r.status_code == status, f"{r.status_code} {r.text}"
    assert r.headers["Content-Type"] == "application/problem+json", r.headers
    p = r.json()
    assert p["status"] == status and p["code"] == code, p
    assert p["type"] and p["title"]
    return p


def etag(r):
    v = r.headers["ETag"]
    assert v.startswith('"') and v.endswith('"'), v
    return int(v[1:-1])


def create(s, coll, obj):
    return ok(s, "POST", f"/v1/{coll}", obj, expect=201)


def basic_setup(s, queue=None, agents=("alice",), skill_level=5):
    """A skill "billing", a queue "q1" needing it (overrides in `queue`) and
    agents serving it."""
    create(s, "skills", {"id": "billing"})
    q = {"id": "q1", "steps": [{"expression": "agent.skills.billing >= 1"}]}
    q.update(queue or {})
    create(s, "queues", q)
    for a in agents:
        create(s, "agents", {"id": a, "skills": {"billing": skill_level}, "queues": [q["id"]]})


def new_ix(s, queue="q1", channel="voice", expect=201, **more):
    body = {"queue": queue, "channel": channel, **more}
    r = call(s, "POST", "/v1/interactions", body)
    assert r.status_code == expect, r.text
    return r.json()


def ready(s, agent):
    ok(s, "POST", f"/v1/agents/{agent}/login")
    return ok(s, "POST", f"/v1/agents/{agent}/ready")


def ix(s, ix_id):
    return ok(s, "GET", f"/v1/interactions/{ix_id}")


def state(s, agent):
    return ok(s, "GET", f"/v1/agents/{agent}/state")


def wait_for(fn, timeout=5.0, interval=0.02, what="condition"):
    """Poll fn() until it returns something truthy; return it."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def history(s, ix_id):
    return [e["event"] for e in ix(s, ix_id)["history"]]


def offered_to(s, ix_id):
    """The agent the interaction is offered to (from its history), else None."""
    doc = ix(s, ix_id)
    if doc["state"] != "offered":
        return None
    offers = [e for e in doc["history"] if e["event"] == "interaction.offered"]
    return offers[-1]["agent"] if offers else None


class WS:
    """A blocking client of /v1/stream."""

    _loop = None  # one event loop for every client: all of them read while one waits

    def __init__(self, server, headers=None, timeout=5, path="/v1/stream"):
        if WS._loop is None:
            WS._loop = asyncio.new_event_loop()
        self.loop = WS._loop

        async def connect():  # the legacy client binds to the running loop
            return await websockets.connect(
                f"ws://127.0.0.1:{server.port}{path}", ping_interval=None,
                open_timeout=timeout, close_timeout=2,
                extra_headers=headers if headers is not None else getattr(server, "auth_headers", dict)())
        self.ws = self._run(connect(), timeout + 1)

    def _run(self, coro, timeout):
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def send(self, msg):
        self._run(self.ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg)), 5)

    def recv(self, timeout=3.0):
        """The next message, parsed; asyncio.TimeoutError when none comes."""
        return json.loads(self._run(self.ws.recv(), timeout))

    def quiet(self, timeout=0.3):
        """Assert nothing arrives within timeout."""
        try:
            m = self.recv(timeout)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected message {m}")

    def subscribe(self, topics, after=None, timeout=3.0):
        msg = {"type": "subscribe", "topics": topics}
        if after is not None:
            msg["after"] = after
        self.send(msg)
        m = self.recv(timeout)
        assert m["type"] == "subscribed", m
        assert m["topics"] == topics
        return m

    def events(self, n, timeout=3.0):
        """The next n messages, each an event."""
        out = []
        for _ in range(n):
            m = self.recv(timeout)
            assert m["type"] == "event", m
            out.append(m)
        return out

    def until(self, pred, timeout=5.0):
        """Events up to and including the first for which pred is true."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event; got {[e.get('event') for e in out]}")
            m = self.recv(left)
            out.append(m)
            if pred(m):
                return out

    def wait_closed(self, timeout=5.0):
        """Read until the server closes; the close code."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._run(self.ws.recv(), max(0.05, deadline - time.monotonic()))
        except websockets.ConnectionClosed:
            return self.ws.close_code
        except asyncio.TimeoutError:
            pass
        raise AssertionError("the server did not close the stream")

    def close(self):
        try:
            self._run(self.ws.close(), 3)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
