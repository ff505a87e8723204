"""The web chat channel (docs/api.md, "Web chat" and "Working an
interaction"): customer sessions and their token, messages both ways,
durable before the answer and surviving kill -9, typing, the customer's
stream and what it may see, leaving (abandon, end), a gone customer,
notes, the customer's other interactions, CORS, and the expression check."""
import json
import signal
import time

import pytest

from conftest import Server
from sbapi import WS, call, create, ok, problem, wait_for

TENANT = "test"


def configure(s, agents=("alice", "bob")):
    create(s, "wrapup-codes", {"id": "resolved"})
    create(s, "queues", {"id": "q1", "steps": [{}], "wrapup": {"mode": "optional"}})
    create(s, "queues", {"id": "idle", "steps": [{}]})  # nobody serves it: chats wait there
    for a in agents:
        create(s, "agents", {"id": a, "display_name": a.title() + " Agent", "queues": ["q1"]})
        create(s, "users", {"id": a, "display_name": a.title(), "role": "agent", "agent": a})


def session(s, queue="q1", expect=201, **more):
    body = {"tenant": TENANT, "queue": queue, "name": "Zoë", **more}
    r = s.http.post(s.url + "/v1/chat/sessions", json=body, headers={"Authorization": ""}, timeout=5)
    assert expect is None or r.status_code == expect, r.text
    return r


class Customer:
    """A customer holding its token, with a plain session (no admin token)."""

    def __init__(self, s, token):
        import requests
        self.s, self.token = s, token
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = "Bearer " + token

    def request(self, method, path, **kw):
        return self.http.request(method, self.s.url + path, timeout=5, **kw)

    def stream(self):
        return WS(self.s, headers={}, path="/v1/chat/stream?token=" + self.token)


def start_chat(s, **more):
    d = session(s, **more).json()
    assert d["token"].startswith("sbc.")
    return Customer(s, d["token"]), d["conversation"]


def agent_session(s, name):
    """A bearer session for agent user `name` (password set by the admin)."""
    ok(s, "PUT", f"/v1/users/{name}/password", {"password": "agent-password-1"}, expect=204)
    import requests
    h = requests.Session()
    h.trust_env = False
    h.headers["Authorization"] = "Bearer " + s.login(name, "agent-password-1")

    class A:
        token = h.headers["Authorization"][7:]

        def request(self, method, path, **kw):
            return h.request(method, s.url + path, timeout=5, **kw)

    return A()


def accept(s, agent, ix_id):
    ok(s, "POST", f"/v1/agents/{agent}/login")
    ok(s, "POST", f"/v1/agents/{agent}/ready")
    ok(s, "POST", f"/v1/agents/{agent}/accept", {"interaction": ix_id})


def test_a_session_creates_a_chat_interaction(server):
    configure(server)
    r = session(server, email="Zoe@Example.com", text="Hello there")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    d = r.json()
    conv = d["conversation"]
    assert conv["state"] == "queued" and conv["position"] == 1  # nobody logged in yet
    # the stream resumes after this answer's own events (created, queued, the message)
    assert conv["seq"] >= 3
    ix = ok(server, "GET", f"/v1/interactions/{conv['interaction']}")
    assert ix["channel"] == "chat" and ix["queue"] == "q1"
    assert ix["customer"] == "zoe@example.com"
    assert ix["contact"] == {"name": "Zoë", "email": "Zoe@Example.com"}
    assert [m["text"] for m in conv["messages"]] == ["Hello there"]
    assert conv["messages"][0]["from"] == "customer" and conv["messages"][0]["n"] == 1
    assert "chat.message" in [e["event"] for e in ix["history"]]


@pytest.fixture
def chat(server):
    configure(server)
    return server


def test_waiting_customer_sees_place_and_agent_joining(chat):
    c1, conv1 = start_chat(chat, queue="idle")
    c2, conv2 = start_chat(chat, queue="idle")
    assert conv1["state"] == "queued" and conv1["position"] == 1
    assert conv2["position"] == 2 and conv2["agent"] is None
    got = ok(c2, "GET", "/v1/chat/conversation")
    assert got["position"] == 2 and got["interaction"] == conv2["interaction"]
    # moved to q1, served by alice: the customer sees her join
    ok(chat, "POST", f"/v1/interactions/{conv2['interaction']}/transfer", {"queue": "q1"})
    accept(chat, "alice", conv2["interaction"])
    got = ok(c2, "GET", "/v1/chat/conversation")
    assert got["state"] == "connected" and got["position"] is None
    assert got["agent"] == {"id": "alice", "name": "Alice Agent"}
    assert ok(c1, "GET", "/v1/chat/conversation")["position"] == 1


def test_session_errors(chat):
    problem(session(chat, expect=404, queue="nosuch"), 404, "not_found")
    r = chat.http.post(chat.url + "/v1/chat/sessions", json={"tenant": "nosuch", "queue": "q1", "name": "x"},
                       headers={"Authorization": ""}, timeout=5)
    problem(r, 404, "not_found")
    # no tenant named: "default", which this installation does not have
    r = chat.http.post(chat.url + "/v1/chat/sessions", json={"queue": "q1", "name": "x"},
                       headers={"Authorization": ""}, timeout=5)
    problem(r, 404, "not_found")
    assert problem(session(chat, expect=400, name=""), 400, "invalid_field")["field"] == "name"
    assert problem(session(chat, expect=400, name="   "), 400, "invalid_field")["field"] == "name"
    assert problem(session(chat, expect=400, email="no-at-sign"), 400, "invalid_field")["field"] == "email"
    assert problem(session(chat, expect=400, text="x" * 4001), 400, "invalid_field")["field"] == "text"
    assert problem(session(chat, expect=400, colour="red"), 400, "unknown_field")["field"] == "colour"
    r = chat.http.post(chat.url + "/v1/chat/sessions", data="{", headers={"Content-Type": "application/json",
                                                                           "Authorization": ""}, timeout=5)
    problem(r, 400, "invalid_json")
    # 4000 characters (not bytes) are fine
    session(chat, queue="idle", text="é" * 4000)


def test_new_sessions_per_address_are_limited(chat):
    codes = [session(chat, queue="idle", expect=None).status_code for _ in range(25)]
    # earlier tests in this server made some; at most 20 a minute in all
    assert codes.count(201) <= 20 and codes[-1] == 429, codes
    r = session(chat, queue="idle", expect=429)
    assert int(r.headers["Retry-After"]) >= 1
    problem(r, 429, "rate_limited")


def test_preflight_and_cors(chat):
    r = chat.http.options(chat.url + "/v1/chat/messages", headers={"Origin": "http://shop.example",
                                                                  "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
    # staff routes stay same-origin only
    r = chat.get("/v1/queues")
    assert "Access-Control-Allow-Origin" not in r.headers


def test_the_customer_token_opens_only_its_conversation(chat):
    c, conv = start_chat(chat, queue="idle")
    spec = json.loads(open("docs/openapi.json").read())
    checked = 0
    for path, ops in spec["paths"].items():
        if path.startswith("/v1/chat/") or path in ("/v1/health", "/v1/openapi.json", "/v1/auth/login"):
            continue
        for method in ops:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            r = c.request(method.upper(), path.replace("{id}", conv["interaction"]), json={})
            assert r.status_code == 403, f"{method} {path}: {r.status_code}"
            checked += 1
    assert checked > 50
    # staff tokens do not open the customer's routes
    problem(call(chat, "GET", "/v1/chat/conversation"), 403, "forbidden")
    # nor does a made-up customer token
    bad = Customer(chat, c.token[:-4] + "AAAA")
    problem(bad.request("GET", "/v1/chat/conversation"), 401, "unauthenticated")
    # its stream: only its own interaction
    other_c, other = start_chat(chat, queue="idle")
    with c.stream() as w:
        w.send({"type": "subscribe", "topics": [f"interaction:{other['interaction']}"]})
        assert w.recv()["code"] == "unknown_topic"
        w.send({"type": "subscribe", "topics": ["queue:idle"]})
        assert w.recv()["code"] == "unknown_topic"
        w.send({"type": "subscribe", "topics": ["tenant"]})
        assert w.recv()["code"] == "unknown_topic"
        w.subscribe([f"interaction:{conv['interaction']}"])


def test_messages_both_ways_with_typing_on_both_streams(chat):
    alice = agent_session(chat, "alice")
    c, conv = start_chat(chat, queue="idle", text="Hi, anyone?")
    ix_id = conv["interaction"]
    with c.stream() as cw, WS(chat, headers={"Authorization": "Bearer " + alice.token}) as aw:
        cw.subscribe([f"interaction:{ix_id}"], after=0)
        aw.subscribe(["agent:alice"])
        # the journal: queued and the first message; never the creation or an offer
        first = cw.until(lambda m: m.get("event") == "chat.message")
        assert [m["event"] for m in first] == ["interaction.queued", "chat.message"]
        ok(chat, "POST", f"/v1/interactions/{ix_id}/transfer", {"queue": "q1"})
        r = alice.request("POST", "/v1/agents/alice/login")
        assert r.status_code == 200
        alice.request("POST", "/v1/agents/alice/ready")
        assert alice.request("POST", "/v1/agents/alice/accept", json={"interaction": ix_id}).status_code == 200
        seen = cw.until(lambda m: m.get("event") == "interaction.accepted")
        assert not [m for m in seen if m.get("event") in ("interaction.offered", "interaction.created")], seen
        r = alice.request("POST", f"/v1/interactions/{ix_id}/messages", json={"text": "Alice here <b>hi</b>"})
        assert r.status_code == 201, r.text
        assert r.json()["from"] == "agent" and r.json()["name"] == "Alice Agent" and r.json()["n"] == 2
        m = cw.until(lambda m: m.get("event") == "chat.message")[-1]
        assert m["message"]["text"] == "Alice here <b>hi</b>" and m["message"]["from"] == "agent"
        assert alice.request("POST", f"/v1/interactions/{ix_id}/typing", json={"typing": True}).status_code == 204
        assert cw.until(lambda m: m.get("type") == "typing")[-1] == {
            "type": "typing", "interaction": ix_id, "from": "agent", "typing": True}
        r = c.request("POST", "/v1/chat/messages", json={"text": "Thanks!"})
        assert r.status_code == 201 and r.json()["n"] == 3 and r.json()["name"] == "Zoë"
        got = aw.until(lambda m: m.get("event") == "chat.message" and m["message"]["n"] == 3)
        assert got[-1]["message"]["text"] == "Thanks!"
        assert c.request("POST", "/v1/chat/typing", json={"typing": True}).status_code == 204
        assert aw.until(lambda m: m.get("type") == "typing")[-1]["from"] == "customer"
        # the customer gets its own message as an event, but is not told its own typing
        cw.until(lambda m: m.get("event") == "chat.message" and m["message"]["n"] == 3)
        cw.quiet(0.3)
    items = ok(chat, "GET", f"/v1/interactions/{ix_id}/messages")["items"]
    assert [(m["n"], m["from"], m["text"]) for m in items] == [
        (1, "customer", "Hi, anyone?"), (2, "agent", "Alice here <b>hi</b>"), (3, "customer", "Thanks!")]
    assert [m["text"] for m in ok(c, "GET", "/v1/chat/conversation")["messages"]] == [
        "Hi, anyone?", "Alice here <b>hi</b>", "Thanks!"]


def test_agents_are_not_streamed_a_waiting_chats_messages(chat):
    alice = agent_session(chat, "alice")
    with WS(chat, headers={"Authorization": "Bearer " + alice.token}) as aw:
        aw.subscribe(["queue:q1"], after=0)
        c, conv = start_chat(chat, text="private words")  # waits in q1, which alice serves
        got = aw.until(lambda m: m.get("event") == "interaction.queued")
        aw.quiet(0.4)
        assert "private words" not in json.dumps(got)
    # a supervisor (here the admin) sees them
    with WS(chat) as w:
        w.subscribe(["queue:q1"], after=0)
        assert w.until(lambda m: m.get("event") == "chat.message")[-1]["message"]["text"] == "private words"


def test_who_may_write_and_when(chat):
    alice, bob = agent_session(chat, "alice"), agent_session(chat, "bob")
    c, conv = start_chat(chat)
    ix_id = conv["interaction"]
    for who in (alice, bob):
        who.request("POST", f"/v1/agents/{'alice' if who is alice else 'bob'}/login")
    alice.request("POST", "/v1/agents/alice/ready")
    wait_for(lambda: ok(chat, "GET", f"/v1/interactions/{ix_id}")["state"] == "offered")
    got = ok(c, "GET", "/v1/chat/conversation")
    assert got["state"] == "offered" and got["position"] == 1  # being offered: next
    # offered, not yet connected: no message yet, not even by the agent it is offered to
    r = alice.request("POST", f"/v1/interactions/{ix_id}/messages", json={"text": "too early"})
    problem(r, 409, "invalid_state")
    alice.request("POST", "/v1/agents/alice/accept", json={"interaction": ix_id})
    # another agent sees nothing of it
    for method, path, body in (("GET", "/messages", None), ("POST", "/messages", {"text": "x"}),
                               ("GET", "/notes", None), ("POST", "/notes", {"text": "x"}),
                               ("POST", "/typing", {"typing": True}), ("GET", "/related", None)):
        problem(bob.request(method, f"/v1/interactions/{ix_id}{path}", json=body), 404, "not_found")
    r = alice.request("POST", f"/v1/interactions/{ix_id}/notes", json={"text": "asked about refunds"})
    assert r.status_code == 201 and r.json()["author"] == "alice" and r.json()["n"] == 1
    notes = alice.request("GET", f"/v1/interactions/{ix_id}/notes").json()["items"]
    assert [n["text"] for n in notes] == ["asked about refunds"]
    # bad bodies
    problem(alice.request("POST", f"/v1/interactions/{ix_id}/messages", json={"text": ""}), 400, "invalid_field")
    problem(alice.request("POST", f"/v1/interactions/{ix_id}/messages", json={"txt": "x"}), 400, "unknown_field")
    problem(alice.request("POST", f"/v1/interactions/{ix_id}/typing", json={"typing": "yes"}), 400, "invalid_field")
    # the customer never sees notes
    assert "notes" not in json.dumps(ok(c, "GET", "/v1/chat/conversation"))
    # ended by the agent: wrap-up, the customer is told and can no longer write
    with c.stream() as cw:
        cw.subscribe([f"interaction:{ix_id}"])
        assert alice.request("POST", f"/v1/interactions/{ix_id}/complete").status_code == 200
        assert cw.until(lambda m: m.get("event") == "interaction.wrap_up")
    problem(c.request("POST", "/v1/chat/messages", json={"text": "hello?"}), 409, "invalid_state")
    problem(alice.request("POST", f"/v1/interactions/{ix_id}/messages", json={"text": "bye"}), 409, "invalid_state")
    # notes are still welcome during wrap-up
    assert alice.request("POST", f"/v1/interactions/{ix_id}/notes", json={"text": "done"}).status_code == 201
    # the customer's events carry no internal code: after the wrap-up, replay them all
    alice.request("POST", f"/v1/interactions/{ix_id}/wrapup", json={"code": "resolved"})
    with c.stream() as cw:
        cw.subscribe([f"interaction:{ix_id}"], after=0)
        seen = cw.until(lambda m: m.get("event") == "interaction.completed")
        assert all(set(m) <= {"type", "seq", "at", "event", "interaction", "queue", "agent", "agent_name",
                              "message"} for m in seen), seen
        assert [m["agent_name"] for m in seen if m["event"] == "interaction.accepted"] == ["Alice Agent"]
        assert "resolved" not in json.dumps(seen)
    problem(alice.request("POST", f"/v1/interactions/{ix_id}/notes", json={"text": "late"}), 409, "invalid_state")
    assert len(alice.request("GET", f"/v1/interactions/{ix_id}/notes").json()["items"]) == 2
    assert ok(c, "GET", "/v1/chat/conversation")["state"] == "completed"


def test_the_customer_leaves_while_waiting(chat):
    c, conv = start_chat(chat, queue="idle")
    d = ok(c, "POST", "/v1/chat/end")
    assert d["state"] == "abandoned"
    assert ok(chat, "GET", f"/v1/interactions/{conv['interaction']}")["state"] == "abandoned"
    problem(c.request("POST", "/v1/chat/messages", json={"text": "wait"}), 409, "invalid_state")
    assert ok(c, "POST", "/v1/chat/end")["state"] == "abandoned"  # again: says how it ended


def test_the_customer_leaves_a_conversation_and_the_agent_is_told(chat):
    c, conv = start_chat(chat)
    ix_id = conv["interaction"]
    accept(chat, "alice", ix_id)
    with WS(chat) as aw:
        aw.subscribe([f"interaction:{ix_id}"])
        d = ok(c, "POST", "/v1/chat/end")
        assert d["state"] == "wrap_up"  # q1: optional wrap-up
        got = aw.until(lambda m: m.get("event") == "interaction.wrap_up")
        said = [m["message"] for m in got if m.get("event") == "chat.message"]
        assert said and said[0]["from"] == "system" and "left" in said[0]["text"]


def test_a_gone_customer_abandons_and_a_reload_does_not(start):
    s = start("--chat-abandon-ms", "800")
    configure(s)
    gone, g = start_chat(s, queue="idle")
    back, b = start_chat(s, queue="idle")
    for cust, conv in ((gone, g), (back, b)):
        with cust.stream() as w:
            w.subscribe([f"interaction:{conv['interaction']}"])
    with back.stream() as w:  # a reload: a new stream well within the time
        w.subscribe([f"interaction:{b['interaction']}"])
        wait_for(lambda: ok(s, "GET", f"/v1/interactions/{g['interaction']}")["state"] == "abandoned",
                 timeout=5, what="the gone customer's chat abandoned")
        assert ok(s, "GET", f"/v1/interactions/{b['interaction']}")["state"] == "queued"
    # a customer who never opened a stream (API use) is not "gone"
    quiet, q = start_chat(s, queue="idle")
    time.sleep(1.5)
    assert ok(s, "GET", f"/v1/interactions/{q['interaction']}")["state"] == "queued"


def test_after_a_restart_a_customer_who_does_not_come_back_abandons(tmp_path):
    s = Server(tmp_path, "--chat-abandon-ms", "1000")
    configure(s)
    gone, g = start_chat(s, queue="idle")
    back, b = start_chat(s, queue="idle")
    assert s.stop() == 0
    s2 = Server(tmp_path, "--chat-abandon-ms", "1000")
    try:
        with back.__class__(s2, back.token).stream() as w:
            w.subscribe([f"interaction:{b['interaction']}"])
            wait_for(lambda: ok(s2, "GET", f"/v1/interactions/{g['interaction']}")["state"] == "abandoned",
                     timeout=6, what="the chat whose customer did not come back abandoned")
            assert ok(s2, "GET", f"/v1/interactions/{b['interaction']}")["state"] == "queued"
    finally:
        assert s2.stop() == 0, s2.output()


def test_transcript_and_token_survive_kill9(tmp_path):
    s = Server(tmp_path)
    configure(s)
    c, conv = start_chat(s, text="first")
    ix_id = conv["interaction"]
    accept(s, "alice", ix_id)
    ok(s, "POST", f"/v1/interactions/{ix_id}/messages", {"text": "second"}, expect=201)
    ok(c, "POST", "/v1/chat/messages", {"text": "third"}, expect=201)
    ok(s, "POST", f"/v1/interactions/{ix_id}/notes", {"text": "a note"}, expect=201)
    s.stop(signal.SIGKILL)
    s2 = Server(tmp_path)
    try:
        c2 = Customer(s2, c.token)
        got = ok(c2, "GET", "/v1/chat/conversation")
        assert got["seq"] > 0
        assert [m["text"] for m in got["messages"]] == ["first", "second", "third"]
        assert got["state"] == "connected" and got["agent"]["id"] == "alice"
        r = ok(c2, "POST", "/v1/chat/messages", {"text": "fourth"}, expect=201)
        assert r["n"] == 4  # numbering carries on
        assert ok(s2, "POST", f"/v1/interactions/{ix_id}/notes", {"text": "n2"}, expect=201)["n"] == 2
        # resume the customer's stream from the conversation's seq: the new message only
        with c2.stream() as w:
            w.subscribe([f"interaction:{ix_id}"], after=got["seq"])
            m = w.until(lambda m: m.get("event") == "chat.message")[-1]
            assert m["message"]["text"] == "fourth"
    finally:
        assert s2.stop() == 0, s2.output()


def test_related_interactions_follow_the_customer(chat):
    _, a = start_chat(chat, queue="idle", email="pat@example.com")
    _, b = start_chat(chat, queue="idle", email="someone@example.com")
    ok(chat, "POST", "/v1/interactions", {"queue": "idle", "channel": "email", "customer": "pat@example.com"},
       expect=201)
    _, c = start_chat(chat, queue="idle", email="PAT@example.com")
    items = ok(chat, "GET", f"/v1/interactions/{c['interaction']}/related")["items"]
    assert [i["channel"] for i in items] == ["email", "chat"]  # newest first
    assert items[1]["id"] == a["interaction"]
    assert b["interaction"] not in [i["id"] for i in items]
    assert all("history" not in i for i in items)
    _, anon = start_chat(chat, queue="idle")
    assert ok(chat, "GET", f"/v1/interactions/{anon['interaction']}/related")["items"] == []


def test_expression_check(chat):
    assert ok(chat, "POST", "/v1/expressions/check", {"expression": "interaction.priority > 2"}) == {"ok": True}
    p = problem(call(chat, "POST", "/v1/expressions/check", {"expression": "agent.skills.nosuch >= 1"}),
                400, "invalid_expression")
    assert p["position"] == 0 and "nosuch" in p["detail"]
    p = problem(call(chat, "POST", "/v1/expressions/check", {"expression": "interaction.priority >"}),
                400, "invalid_expression")
    assert p["position"] > 0
    problem(call(chat, "POST", "/v1/expressions/check", {"expression": ""}), 400, "invalid_field")
    problem(call(chat, "POST", "/v1/expressions/check", {"expr": "x"}), 400, "unknown_field")


def test_directory_lists_transfer_targets(chat):
    alice = agent_session(chat, "alice")
    ok(chat, "POST", "/v1/agents/bob/login")
    r = alice.request("GET", "/v1/directory")
    assert r.status_code == 200, r.text
    d = r.json()
    assert [q["id"] for q in d["queues"]] == ["idle", "q1"]  # every queue, even one alice does not serve
    assert d["agents"] == [{"id": "alice", "name": "Alice Agent", "state": "logged_out"},
                           {"id": "bob", "name": "Bob Agent", "state": "not_ready"}]
    assert set(d) == {"queues", "agents"}  # names and presence, nothing else
