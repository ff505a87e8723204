"""API v1 interactions and agent runtime (docs/api.md, "Interactions" and
"Agent runtime"): creation (idempotent), reading with history, lists,
attribute updates with If-Match, the lifecycle actions, explain, and
routing end to end: offers, accept, reject, offer timeouts, wrap-up."""
import time

import pytest

from sbapi import (basic_setup, call, create, etag, history, ix, new_ix, offered_to, ok, problem,
                   ready, state, wait_for)


# ---- create ------------------------------------------------------------------------------


def test_create_answers_201_with_location_and_etag(server):
    basic_setup(server)
    t0 = time.time() * 1000
    r = call(server, "POST", "/v1/interactions",
             {"queue": "q1", "channel": "chat", "priority": 7, "customer": "c-42"}, expect=201)
    t1 = time.time() * 1000
    doc = r.json()
    assert r.headers["Location"] == f"/v1/interactions/{doc['id']}"
    assert etag(r) == doc["version"] == 1
    assert doc["id"].isdigit()
    assert doc["queue"] == "q1" and doc["channel"] == "chat" and doc["priority"] == 7
    assert doc["customer"] == "c-42" and doc["attributes"] == {}
    assert doc["state"] == "queued" and doc["agent"] is None and doc["ended_at"] is None
    assert doc["arrived_at"] == doc["created_at"]
    # the server's clock is the wall clock (not ahead by its start-up time)
    assert t0 - 3 <= doc["created_at"] <= t1 + 3, (t0, doc["created_at"], t1)
    got = call(server, "GET", r.headers["Location"], expect=200)
    assert etag(got) == 1
    assert {k: v for k, v in got.json().items() if k != "history"} == doc


def test_ids_are_decimal_and_increasing(server):
    basic_setup(server)
    ids = [int(new_ix(server)["id"]) for _ in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5


@pytest.mark.parametrize("body, status, code, field", [
    ({"channel": "voice"}, 400, "invalid_field", "queue"),
    ({"queue": "nope", "channel": "voice"}, 400, "invalid_field", "queue"),
    ({"queue": 5, "channel": "voice"}, 400, "invalid_field", "queue"),
    ({"queue": "q1"}, 400, "invalid_field", "channel"),
    ({"queue": "q1", "channel": "fax"}, 400, "invalid_field", "channel"),
    ({"queue": "q1", "channel": "voice", "priority": "high"}, 400, "invalid_field", "priority"),
    ({"queue": "q1", "channel": "voice", "priority": 1.5}, 400, "invalid_field", "priority"),
    ({"queue": "q1", "channel": "voice", "priority": 10 ** 7}, 400, "invalid_field", "priority"),
    ({"queue": "q1", "channel": "voice", "customer": ""}, 400, "invalid_field", "customer"),
    ({"queue": "q1", "channel": "voice", "preferred_agent": "ghost"}, 400, "invalid_field", "preferred_agent"),
    ({"queue": "q1", "channel": "voice", "preferred_wait_seconds": -1}, 400, "invalid_field",
     "preferred_wait_seconds"),
    ({"queue": "q1", "channel": "voice", "attributes": {"x": 1}}, 400, "unknown_field", "attributes.x"),
    ({"queue": "q1", "channel": "voice", "colour": "red"}, 400, "unknown_field", "colour"),
])
def test_create_validation(server, body, status, code, field):
    basic_setup(server)
    p = problem(call(server, "POST", "/v1/interactions", body), status, code)
    assert p["field"] == field
    assert ok(server, "GET", "/v1/interactions")["items"] == []


def test_create_needs_json(server):
    basic_setup(server)
    r = server.request("POST", "/v1/interactions", data=b'{"queue":"q1","channel":"voice"}',
                       headers={"Content-Type": "text/plain"})
    problem(r, 415, "unsupported_media_type")
    r = server.request("POST", "/v1/interactions", data=b'{"queue":',
                       headers={"Content-Type": "application/json"})
    problem(r, 400, "invalid_json")


def test_idempotency_key_replays_the_first_answer(server):
    basic_setup(server)
    body = {"queue": "q1", "channel": "voice"}
    first = call(server, "POST", "/v1/interactions", body, headers={"Idempotency-Key": "order-1"},
                 expect=201)
    again = call(server, "POST", "/v1/interactions", body, headers={"Idempotency-Key": "order-1"})
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] and again.headers["ETag"] == first.headers["ETag"]
    # even with another body, the key decides
    other = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "chat"},
                 headers={"Idempotency-Key": "order-1"})
    assert other.status_code == 201 and other.content == first.content
    # a different key is a different interaction
    second = call(server, "POST", "/v1/interactions", body, headers={"Idempotency-Key": "order-2"},
                  expect=201)
    assert second.json()["id"] != first.json()["id"]
    items = ok(server, "GET", "/v1/interactions")["items"]
    assert sorted(i["id"] for i in items) == sorted([first.json()["id"], second.json()["id"]])


def test_concurrent_requests_with_one_key_make_one_interaction(server):
    import threading

    import requests
    basic_setup(server)
    answers, go = [], threading.Barrier(8)

    def post():
        sess = requests.Session()
        sess.trust_env = False
        sess.headers.update(server.http.headers)  # the fixture's credentials, if any
        go.wait()
        r = sess.post(server.url + "/v1/interactions", json={"queue": "q1", "channel": "voice"},
                      headers={"Idempotency-Key": "same"}, timeout=5)
        answers.append(r)
        sess.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(answers) == 8
    created = {r.content for r in answers if r.status_code == 201}
    assert len(created) == 1  # every 201 is the same answer
    for r in answers:
        if r.status_code != 201:
            problem(r, 409, "idempotency_key_in_flight")
    assert len(ok(server, "GET", "/v1/interactions")["items"]) == 1
    again = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"},
                 headers={"Idempotency-Key": "same"}, expect=201)
    assert again.content in created


def test_idempotency_keys_are_per_tenant_store_not_per_connection(server):
    basic_setup(server)
    body = {"queue": "q1", "channel": "voice"}
    first = call(server, "POST", "/v1/interactions", body, headers={"Idempotency-Key": "k"}, expect=201)
    server.http.close()  # a new connection
    again = call(server, "POST", "/v1/interactions", body, headers={"Idempotency-Key": "k"})
    assert again.status_code == 201 and again.json() == first.json()


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "tab\there"])
def test_bad_idempotency_key(server, key):
    basic_setup(server)
    r = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"},
             headers={"Idempotency-Key": key})
    assert r.status_code == 400, r.text
    assert ok(server, "GET", "/v1/interactions")["items"] == []


def test_longest_idempotency_key(server):
    basic_setup(server)
    k = "k" * 128
    a = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"},
             headers={"Idempotency-Key": k}, expect=201)
    b = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"},
             headers={"Idempotency-Key": k}, expect=201)
    assert a.json() == b.json()


# ---- read ---------------------------------------------------------------------------------


def test_get_with_history_in_order(server):
    basic_setup(server)
    create(server, "queues", {"id": "q2", "steps": [{}]})
    i = new_ix(server)["id"]
    ok(server, "POST", f"/v1/interactions/{i}/transfer", {"queue": "q2"})
    ok(server, "POST", f"/v1/interactions/{i}/cancel")
    doc = ix(server, i)
    h = doc["history"]
    assert [e["event"] for e in h] == ["interaction.created", "interaction.queued",
                                       "interaction.transferred", "interaction.queued",
                                       "interaction.canceled"]
    seqs = [e["seq"] for e in h]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(e["interaction"] == i for e in h)
    ats = [e["at"] for e in h]
    assert ats == sorted(ats)
    assert h[0]["channel"] == "voice" and h[0]["queue"] == "q1"
    assert h[2]["queue"] == "q2" and h[2]["from_queue"] == "q1"
    assert h[3]["queue"] == "q2" and h[3]["reason"] == "transfer"
    assert doc["state"] == "canceled" and doc["ended_at"] >= doc["created_at"]


@pytest.mark.parametrize("bad", ["999999", "0", "abc", "-1", "1.5", "01", "99999999999999999999999"])
def test_unknown_interaction_is_404(server, bad):
    basic_setup(server)
    new_ix(server)
    problem(call(server, "GET", f"/v1/interactions/{bad}"), 404, "not_found")
    problem(call(server, "GET", f"/v1/interactions/{bad}/explain"), 404, "not_found")
    problem(call(server, "PATCH", f"/v1/interactions/{bad}", {"attributes": {}}), 404, "not_found")
    for action in ["cancel", "complete", "abandon", "wrapup"]:
        problem(call(server, "POST", f"/v1/interactions/{bad}/{action}"), 404, "not_found")
    problem(call(server, "POST", f"/v1/interactions/{bad}/transfer", {"queue": "q1"}), 404, "not_found")


def test_list_filters_and_pagination(server):
    basic_setup(server, agents=("alice",))
    create(server, "queues", {"id": "q2", "steps": [{}]})
    made = {}
    made["v1"] = new_ix(server, "q1", "voice")["id"]
    made["c1"] = new_ix(server, "q1", "chat")["id"]
    made["v2"] = new_ix(server, "q2", "voice")["id"]
    made["c2"] = new_ix(server, "q2", "chat")["id"]
    made["e2"] = new_ix(server, "q2", "email")["id"]
    ok(server, "POST", f"/v1/interactions/{made['e2']}/cancel")
    ready(server, "alice")  # alice takes the oldest in q1: v1
    assert offered_to(server, made["v1"]) == "alice"
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": made["v1"]})

    def ids(q):
        out, cursor = [], None
        for _ in range(20):
            page = ok(server, "GET", q + (f"&cursor={cursor}" if cursor else ""))
            out += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return out
        raise AssertionError("pagination does not end")

    everything = ids("/v1/interactions?limit=2")
    assert everything == sorted(made.values(), key=int)  # id order, each once
    assert ids("/v1/interactions?state=queued&limit=100") == [made["c1"], made["v2"], made["c2"]]
    assert ids("/v1/interactions?state=canceled") == [made["e2"]]
    assert ids("/v1/interactions?queue=q2") == [made["v2"], made["c2"], made["e2"]]
    assert ids("/v1/interactions?channel=chat") == [made["c1"], made["c2"]]
    assert ids("/v1/interactions?agent=alice") == [made["v1"]]
    assert ids("/v1/interactions?queue=q2&channel=voice&state=queued") == [made["v2"]]
    assert ids("/v1/interactions?queue=q2&state=connected") == []
    assert ids("/v1/interactions?state=queued&limit=1") == [made["c1"], made["v2"], made["c2"]]
    page = ok(server, "GET", "/v1/interactions?limit=2")
    assert len(page["items"]) == 2 and page["next_cursor"]
    # a page that holds exactly what is left says so: no empty page after it
    full = ok(server, "GET", "/v1/interactions?queue=q2&limit=3")
    assert len(full["items"]) == 3 and full["next_cursor"] is None
    for item in page["items"]:
        assert "history" not in item and item["version"] >= 1


@pytest.mark.parametrize("q, field", [("limit=0", "limit"), ("limit=1001", "limit"),
                                      ("limit=x", "limit"), ("cursor=abc", "cursor")])
def test_list_bad_parameters(server, q, field):
    p = problem(call(server, "GET", f"/v1/interactions?{q}"), 400, "invalid_field")
    assert p["field"] == field


# ---- attributes -------------------------------------------------------------------------------


def test_patch_attributes_with_if_match(server):
    basic_setup(server)
    create(server, "custom-fields", {"id": "account", "entity": "interaction", "type": "string"})
    create(server, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    i = new_ix(server, attributes={"account": "A1"})
    v = i["version"]
    r = call(server, "PATCH", f"/v1/interactions/{i['id']}", {"attributes": {"vip": True}},
             headers={"If-Match": f'"{v}"'}, expect=200)
    assert etag(r) == v + 1 == r.json()["version"]
    assert r.json()["attributes"] == {"vip": True}  # replaced, not merged
    p = problem(call(server, "PATCH", f"/v1/interactions/{i['id']}", {"attributes": {"account": "B"}},
                     headers={"If-Match": f'"{v}"'}), 412, "precondition_failed")
    assert p["version"] == v + 1  # the current version
    assert ix(server, i["id"])["attributes"] == {"vip": True}
    r = call(server, "PATCH", f"/v1/interactions/{i['id']}", {"attributes": {}}, expect=200)
    assert etag(r) == v + 2 and r.json()["attributes"] == {}
    assert ix(server, i["id"])["attributes"] == {}
    assert "interaction.attributes" in history(server, i["id"])


def test_patch_validation(server):
    basic_setup(server)
    i = new_ix(server)["id"]
    p = problem(call(server, "PATCH", f"/v1/interactions/{i}", {"attributes": {}, "queue": "q1"}),
                400, "unknown_field")
    assert p["field"] == "queue"
    p = problem(call(server, "PATCH", f"/v1/interactions/{i}", {}), 400, "invalid_field")
    assert p["field"] == "attributes"
    r = server.request("PATCH", f"/v1/interactions/{i}", data=b"{}", headers={"Content-Type": "text/plain"})
    problem(r, 415, "unsupported_media_type")
    problem(call(server, "PATCH", f"/v1/interactions/{i}", {"attributes": {}}, headers={"If-Match": "x"}),
            412, "precondition_failed")


def test_patch_after_the_end_is_invalid_state(server):
    basic_setup(server)
    i = new_ix(server)["id"]
    ok(server, "POST", f"/v1/interactions/{i}/abandon")
    p = problem(call(server, "PATCH", f"/v1/interactions/{i}", {"attributes": {}}), 409, "invalid_state")
    assert p["state"] == "abandoned"


def test_attributes_steer_routing(server):
    create(server, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    create(server, "skills", {"id": "gold"})
    create(server, "queues", {"id": "q1", "steps": [
        {"expression": "interaction.vip = false or agent.skills.gold >= 1"}]})
    create(server, "agents", {"id": "plain", "queues": ["q1"]})
    ready(server, "plain")
    i = new_ix(server, attributes={"vip": True})["id"]
    e = ok(server, "GET", f"/v1/interactions/{i}/explain")
    assert e["members"] == 1 and e["eligible"] == 0
    ok(server, "PATCH", f"/v1/interactions/{i}", {"attributes": {"vip": False}})
    assert wait_for(lambda: offered_to(server, i) == "plain", what="offer after the patch")


# ---- lifecycle ------------------------------------------------------------------------------------


def test_agent_state_lists_its_own_work_among_many(server):
    """An agent's state names what it holds and is offered, nothing of the
    other live interactions (it reads the agent's own index, not them all)."""
    basic_setup(server, agents=("alice", "bob"))
    waiting = [new_ix(server)["id"] for _ in range(25)]  # nobody ready: all wait
    ready(server, "alice")
    first = wait_for(lambda: [o["interaction"] for o in state(server, "alice")["offers"]], what="alice's offer")
    assert first == [waiting[0]] and offered_to(server, waiting[0]) == "alice"
    assert state(server, "alice")["interactions"] == []
    ok(server, "POST", "/v1/agents/bob/login")
    assert state(server, "bob")["offers"] == [] and state(server, "bob")["interactions"] == []
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": waiting[0]})
    ok(server, "POST", "/v1/agents/bob/ready")
    assert wait_for(lambda: offered_to(server, waiting[1]) == "bob", what="bob's offer")
    ok(server, "POST", "/v1/agents/bob/accept", {"interaction": waiting[1]})
    a, b = state(server, "alice"), state(server, "bob")
    assert (a["interactions"], a["offers"]) == ([waiting[0]], [])
    assert (b["interactions"], b["offers"]) == ([waiting[1]], [])
    ok(server, "POST", f"/v1/interactions/{waiting[0]}/complete")
    # alice's next call: the first of those still waiting, and only that
    assert wait_for(lambda: offered_to(server, waiting[2]) == "alice", what="alice's next offer")
    a = state(server, "alice")
    assert a["interactions"] == [] and [o["interaction"] for o in a["offers"]] == [waiting[2]]
    assert state(server, "bob")["interactions"] == [waiting[1]]


def test_full_routing_flow(server):
    basic_setup(server, queue={"wrapup": {"mode": "optional"}})
    s0 = state(server, "alice")
    assert s0["state"] == "logged_out" and s0["busy"] is False and s0["interactions"] == []
    assert ok(server, "POST", "/v1/agents/alice/login")["state"] == "not_ready"
    i = new_ix(server)
    assert i["state"] == "queued"  # nobody ready
    st = ok(server, "POST", "/v1/agents/alice/ready")
    assert st["state"] == "ready"
    assert offered_to(server, i["id"]) == "alice"
    st = state(server, "alice")
    assert st["channels"] == {"voice": 1} and st["busy"] and st["units_used"] == 100
    st = ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i["id"]})
    assert st["interactions"] == [i["id"]] and st["channels"] == {"voice": 1}
    doc = ix(server, i["id"])
    assert doc["state"] == "connected" and doc["agent"] == "alice"
    # a second voice call waits: alice has no capacity
    j = new_ix(server)
    assert j["state"] == "queued"
    e = ok(server, "GET", f"/v1/interactions/{j['id']}/explain")
    assert e["blocked_by_capacity"] == 1 and e["available"] == 0
    r = call(server, "POST", f"/v1/interactions/{i['id']}/complete", expect=200)
    doc = ix(server, i["id"])
    assert doc["state"] == "wrap_up" and doc["agent"] == "alice"
    assert r.json()["state"] == "wrap_up" and etag(r) == doc["version"] == r.json()["version"]
    assert state(server, "alice")["state"] == "wrap_up"
    assert ix(server, j["id"])["state"] == "queued"  # not during wrap-up
    ok(server, "POST", f"/v1/interactions/{i['id']}/wrapup")
    doc = ix(server, i["id"])
    assert doc["state"] == "completed" and doc["ended_at"] is not None
    assert [e["event"] for e in doc["history"]] == [
        "interaction.created", "interaction.queued", "interaction.offered", "interaction.accepted",
        "interaction.wrap_up", "interaction.completed"]
    # back to ready, and the waiting call is offered now
    assert wait_for(lambda: offered_to(server, j["id"]) == "alice", what="next offer")
    st = state(server, "alice")
    assert st["state"] == "ready" and i["id"] not in st["interactions"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": j["id"]})
    ok(server, "POST", f"/v1/interactions/{j['id']}/complete")
    ok(server, "POST", f"/v1/interactions/{j['id']}/wrapup")
    st = state(server, "alice")
    assert st == {**st, "state": "ready", "busy": False, "units_used": 0, "channels": {},
                  "interactions": []}


def test_wrapup_mode_none_completes_at_once(server):
    basic_setup(server)
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", f"/v1/interactions/{i}/complete")
    doc = ix(server, i)
    assert doc["state"] == "completed"
    assert "interaction.wrap_up" not in [e["event"] for e in doc["history"]]
    assert state(server, "alice")["state"] == "ready"
    problem(call(server, "POST", f"/v1/interactions/{i}/wrapup"), 409, "invalid_state")


def test_mandatory_wrapup_needs_a_code(server):
    basic_setup(server, queue={"wrapup": {"mode": "mandatory"}})
    create(server, "wrapup-codes", {"id": "sold"})
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", f"/v1/interactions/{i}/complete")
    p = problem(call(server, "POST", f"/v1/interactions/{i}/wrapup"), 409, "wrapup_code_required")
    assert p["state"] == "wrap_up"
    p = problem(call(server, "POST", f"/v1/interactions/{i}/wrapup", {}), 409, "wrapup_code_required")
    p = problem(call(server, "POST", f"/v1/interactions/{i}/wrapup", {"code": "nope"}), 400, "invalid_field")
    assert p["field"] == "code"
    p = problem(call(server, "POST", f"/v1/interactions/{i}/wrapup", {"code": "sold", "x": 1}),
                400, "unknown_field")
    assert ix(server, i)["state"] == "wrap_up"
    ok(server, "POST", f"/v1/interactions/{i}/wrapup", {"code": "sold"})
    doc = ix(server, i)
    assert doc["state"] == "completed"
    assert doc["history"][-1]["event"] == "interaction.completed"
    assert doc["history"][-1]["wrapup_code"] == "sold"


def test_mandatory_timeout_wrapup_ends_by_itself(server):
    basic_setup(server, queue={"wrapup": {"mode": "mandatory_timeout", "timeout_seconds": 0.3}})
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", f"/v1/interactions/{i}/complete")
    assert ix(server, i)["state"] == "wrap_up"
    doc = wait_for(lambda: (d := ix(server, i))["state"] == "completed" and d, what="wrap-up timeout")
    assert doc["history"][-1]["reason"] == "wrapup_timeout"
    assert state(server, "alice")["state"] == "ready"


def test_optional_wrapup_takes_a_code(server):
    basic_setup(server, queue={"wrapup": {"mode": "optional"}})
    create(server, "wrapup-codes", {"id": "sold"})
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", f"/v1/interactions/{i}/complete")
    ok(server, "POST", f"/v1/interactions/{i}/wrapup", {"code": "sold"})
    assert ix(server, i)["history"][-1]["wrapup_code"] == "sold"


def test_agent_ready_during_wrapup_and_not_ready_reason(server):
    basic_setup(server, queue={"wrapup": {"mode": "optional"}})
    create(server, "not-ready-reasons", {"id": "lunch"})
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", f"/v1/interactions/{i}/complete")
    st = ok(server, "POST", "/v1/agents/alice/not-ready", {"reason": "lunch"})
    assert st["state"] == "wrap_up"
    ok(server, "POST", f"/v1/interactions/{i}/wrapup")
    st = state(server, "alice")
    assert st["state"] == "not_ready" and st["reason"] == "lunch"
    p = problem(call(server, "POST", "/v1/agents/alice/not-ready", {"reason": "nap"}), 400, "invalid_field")
    assert p["field"] == "reason"
    j = new_ix(server)
    assert j["state"] == "queued"  # not offered to a not-ready agent


def test_cancel_and_abandon(server):
    basic_setup(server)
    a = new_ix(server)["id"]
    b = new_ix(server)["id"]
    ok(server, "POST", f"/v1/interactions/{a}/cancel")
    ok(server, "POST", f"/v1/interactions/{b}/abandon")
    da, db = ix(server, a), ix(server, b)
    assert da["state"] == "canceled" and db["state"] == "abandoned"
    assert da["ended_at"] and db["ended_at"]
    assert da["history"][-1]["event"] == "interaction.canceled"
    assert db["history"][-1]["event"] == "interaction.abandoned"
    for i, st in [(a, "canceled"), (b, "abandoned")]:
        for action in ["cancel", "abandon", "complete", "wrapup"]:
            p = problem(call(server, "POST", f"/v1/interactions/{i}/{action}"), 409, "invalid_state")
            assert p["state"] == st
        p = problem(call(server, "POST", f"/v1/interactions/{i}/transfer", {"queue": "q1"}), 409, "invalid_state")
        assert p["state"] == st


def test_offered_interaction_can_be_abandoned(server):
    basic_setup(server)
    ready(server, "alice")
    i = new_ix(server)["id"]
    assert offered_to(server, i) == "alice"
    ok(server, "POST", f"/v1/interactions/{i}/abandon")
    assert ix(server, i)["state"] == "abandoned"
    st = state(server, "alice")
    assert st["busy"] is False and st["channels"] == {}
    problem(call(server, "POST", "/v1/agents/alice/accept", {"interaction": i}), 409, "invalid_state")


@pytest.mark.parametrize("action, body, want_state", [
    ("complete", None, "queued"),
    ("wrapup", None, "queued"),
])
def test_invalid_transitions_of_a_queued_interaction(server, action, body, want_state):
    basic_setup(server)
    i = new_ix(server)["id"]
    p = problem(call(server, "POST", f"/v1/interactions/{i}/{action}", body), 409, "invalid_state")
    assert p["state"] == want_state
    assert ix(server, i)["state"] == "queued"


def test_invalid_transitions_of_a_connected_interaction(server):
    basic_setup(server)
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    for action in ["cancel", "abandon", "wrapup"]:
        p = problem(call(server, "POST", f"/v1/interactions/{i}/{action}"), 409, "invalid_state")
        assert p["state"] == "connected"
    p = problem(call(server, "POST", "/v1/agents/alice/logout"), 409, "invalid_state")
    assert p["state"] == "ready"
    problem(call(server, "POST", "/v1/agents/alice/accept", {"interaction": i}), 409, "invalid_state")
    assert ix(server, i)["state"] == "connected"


def test_agent_invalid_transitions(server):
    basic_setup(server)
    p = problem(call(server, "POST", "/v1/agents/alice/ready"), 409, "invalid_state")
    assert p["state"] == "logged_out"
    p = problem(call(server, "POST", "/v1/agents/alice/logout"), 409, "invalid_state")
    assert p["state"] == "logged_out"
    ok(server, "POST", "/v1/agents/alice/login")
    p = problem(call(server, "POST", "/v1/agents/alice/login"), 409, "invalid_state")
    assert p["state"] == "not_ready"
    problem(call(server, "POST", "/v1/agents/ghost/login"), 404, "not_found")
    problem(call(server, "GET", "/v1/agents/ghost/state"), 404, "not_found")
    p = problem(call(server, "POST", "/v1/agents/alice/accept", {}), 400, "invalid_field")
    assert p["field"] == "interaction"
    p = problem(call(server, "POST", "/v1/agents/alice/accept", {"interaction": 5}), 400, "invalid_field")
    problem(call(server, "POST", "/v1/agents/alice/accept", {"interaction": "123456"}), 409, "invalid_state")
    p = problem(call(server, "POST", "/v1/agents/alice/login", {"force": True}), 400, "unknown_field")
    assert p["field"] == "force"


def test_transfer_to_queue(server):
    basic_setup(server)
    create(server, "queues", {"id": "q2", "steps": [{}]})
    first = new_ix(server, "q2")["id"]
    i = new_ix(server)
    r = ok(server, "POST", f"/v1/interactions/{i['id']}/transfer", {"queue": "q2", "keep_arrival": True})
    assert r["queue"] == "q2" and r["state"] == "queued" and r["arrived_at"] == i["arrived_at"]
    # kept its arrival: it is still behind `first`, which arrived earlier
    assert ok(server, "GET", f"/v1/interactions/{i['id']}/explain")["position"] == 2
    assert ok(server, "GET", f"/v1/interactions/{first}/explain")["position"] == 1
    tr = [e for e in ix(server, i["id"])["history"] if e["event"] == "interaction.transferred"]
    assert tr[0]["queue"] == "q2" and tr[0]["from_queue"] == "q1" and tr[0]["keep_arrival"] is True


def test_transfer_connected_to_queue_frees_the_agent(server):
    basic_setup(server, queue={"wrapup": {"mode": "mandatory"}})
    create(server, "queues", {"id": "q2", "steps": [{}]})
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    r = ok(server, "POST", f"/v1/interactions/{i}/transfer", {"queue": "q2"})
    assert r["state"] == "queued" and r["queue"] == "q2" and r["agent"] is None
    st = state(server, "alice")
    assert st["state"] == "ready" and st["busy"] is False and st["interactions"] == []


def test_transfer_to_agent(server):
    basic_setup(server, agents=("alice", "bob"))
    ready(server, "alice")
    i = new_ix(server)["id"]
    ok(server, "POST", "/v1/agents/alice/accept", {"interaction": i})
    ok(server, "POST", "/v1/agents/bob/login")
    r = ok(server, "POST", f"/v1/interactions/{i}/transfer", {"agent": "bob", "wait_seconds": 30})
    assert r["state"] == "queued" and r["preferred_agent"] == "bob"
    assert ix(server, i)["preferred_agent"] == "bob"
    e = ok(server, "GET", f"/v1/interactions/{i}/explain")
    assert e["preferred_agent"] == "bob" and e["preferred_until"] > ix(server, i)["created_at"]
    # alice is ready again but it waits for bob
    assert state(server, "alice")["state"] == "ready"
    time.sleep(0.1)
    assert ix(server, i)["state"] == "queued"
    ok(server, "POST", "/v1/agents/bob/ready")
    assert wait_for(lambda: offered_to(server, i) == "bob", what="offer to bob")
    h = ix(server, i)["history"]
    tr = [e for e in h if e["event"] == "interaction.transferred"][0]
    assert tr["agent"] == "alice" and tr["target_agent"] == "bob"


@pytest.mark.parametrize("body, code, field", [
    ({}, "invalid_field", "queue"),
    ({"queue": "q1", "agent": "alice"}, "invalid_field", "queue"),
    ({"queue": "nowhere"}, "invalid_field", "queue"),
    ({"agent": "ghost"}, "invalid_field", "agent"),
    ({"queue": "q1", "keep_arrival": "yes"}, "invalid_field", "keep_arrival"),
    ({"agent": "alice", "wait_seconds": -3}, "invalid_field", "wait_seconds"),
    ({"queue": "q1", "priority": 3}, "unknown_field", "priority"),
])
def test_transfer_validation(server, body, code, field):
    basic_setup(server)
    i = new_ix(server)["id"]
    p = problem(call(server, "POST", f"/v1/interactions/{i}/transfer", body), 400, code)
    assert p["field"] == field
    assert len(history(server, i)) == 2


def test_transfer_needs_a_body(server):
    basic_setup(server)
    i = new_ix(server)["id"]
    problem(call(server, "POST", f"/v1/interactions/{i}/transfer"), 415, "unsupported_media_type")


def test_explain_a_waiting_interaction(server):
    basic_setup(server, queue={"steps": [{"expression": "agent.skills.billing >= 5"},
                                         {"expression": "agent.skills.billing >= 1", "after_seconds": 60}]},
                agents=())
    create(server, "agents", {"id": "expert", "skills": {"billing": 9}, "queues": ["q1"]})
    create(server, "agents", {"id": "junior", "skills": {"billing": 1}, "queues": ["q1"]})
    create(server, "agents", {"id": "busy", "skills": {"billing": 9}, "queues": ["q1"]})
    create(server, "agents", {"id": "other", "skills": {"billing": 9}})
    ok(server, "POST", "/v1/agents/expert/login")  # logged in, not ready
    a, b, c = (new_ix(server)["id"] for _ in range(3))
    e = ok(server, "GET", f"/v1/interactions/{b}/explain")
    assert e["state"] == "queued"
    assert e["position"] == 2 and e["waiting"] == 3
    assert e["step"] == 0 and e["steps"] == 2
    assert e["members"] == 3  # "other" does not serve q1
    assert e["eligible"] == 2  # the billing >= 5 agents
    assert e["available"] == 0 and e["not_ready"] == 1 and e["excluded"] == 0
    assert e["blocked_by_capacity"] == 0
    created = ix(server, b)["created_at"]
    assert e["next_step_at"] >= created + 60000 - 5
    assert ok(server, "GET", f"/v1/interactions/{a}/explain")["position"] == 1
    assert ok(server, "GET", f"/v1/interactions/{c}/explain")["position"] == 3
    ok(server, "POST", f"/v1/interactions/{a}/cancel")
    assert ok(server, "GET", f"/v1/interactions/{c}/explain")["position"] == 2


def test_priority_orders_the_queue(server):
    basic_setup(server)
    low = new_ix(server, priority=0)["id"]
    high = new_ix(server, priority=10)["id"]
    assert ok(server, "GET", f"/v1/interactions/{high}/explain")["position"] == 1
    assert ok(server, "GET", f"/v1/interactions/{low}/explain")["position"] == 2
    ready(server, "alice")
    assert offered_to(server, high) == "alice"
    assert ix(server, low)["state"] == "queued"


def test_queue_full(server):
    create(server, "queues", {"id": "q1", "steps": [{}], "max_length": 2})
    new_ix(server)
    new_ix(server)
    p = problem(call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"}),
                409, "queue_full")
    assert p["detail"]
    assert len(ok(server, "GET", "/v1/interactions")["items"]) == 2


def test_queue_full_overflows(server):
    create(server, "queues", {"id": "spill", "steps": [{}]})
    create(server, "queues", {"id": "q1", "steps": [{}], "max_length": 1,
                              "overflow": {"when_full": "spill"}})
    new_ix(server)
    i = new_ix(server)
    assert i["queue"] == "spill" and i["state"] == "queued"
    assert "interaction.overflowed" in history(server, i["id"])


def test_full_queue_with_an_idempotency_key_creates_nothing(server):
    create(server, "queues", {"id": "q1", "steps": [{}], "max_length": 1})
    new_ix(server)
    r = call(server, "POST", "/v1/interactions", {"queue": "q1", "channel": "voice"},
             headers={"Idempotency-Key": "full-1"})
    problem(r, 409, "queue_full")
    assert len(ok(server, "GET", "/v1/interactions")["items"]) == 1


# ---- offers: reject and time-out ------------------------------------------------------------------


def test_reject_requeues_and_excludes_the_agent(server):
    basic_setup(server, agents=("alice", "bob"))
    ready(server, "alice")
    i = new_ix(server)["id"]
    assert offered_to(server, i) == "alice"
    st = ok(server, "POST", "/v1/agents/alice/reject", {"interaction": i})
    assert st["state"] == "ready" and st["channels"] == {}
    doc = ix(server, i)
    assert doc["state"] == "queued"
    assert [e["event"] for e in doc["history"]][-2:] == ["interaction.rejected", "interaction.queued"]
    assert doc["history"][-2]["agent"] == "alice" and doc["history"][-1]["reason"] == "requeue"
    assert doc["history"][-1]["arrived_at"] == doc["arrived_at"]  # keeps its place in line
    e = ok(server, "GET", f"/v1/interactions/{i}/explain")
    assert e["excluded"] == 1 and e["available"] == 0
    time.sleep(0.1)
    assert ix(server, i)["state"] == "queued"  # alice is ready, but excluded
    problem(call(server, "POST", "/v1/agents/alice/accept", {"interaction": i}), 409, "invalid_state")
    # another interaction still goes to alice
    j = new_ix(server)["id"]
    assert offered_to(server, j) == "alice"
    ready(server, "bob")
    assert wait_for(lambda: offered_to(server, i) == "bob", what="offer to bob")
    ok(server, "POST", "/v1/agents/bob/accept", {"interaction": i})
    assert ix(server, i)["agent"] == "bob"


def test_offer_timeout_makes_the_agent_not_responding(server):
    basic_setup(server, queue={"offer_timeout_seconds": 0.5}, agents=("alice", "bob"))
    ready(server, "alice")
    i = new_ix(server)["id"]
    doc = ix(server, i)
    offer = [e for e in doc["history"] if e["event"] == "interaction.offered"][0]
    assert offer["agent"] == "alice"
    assert 400 <= offer["deadline"] - offer["at"] <= 600
    st = wait_for(lambda: (s := state(server, "alice"))["state"] == "not_responding" and s,
                  timeout=5, what="offer timeout")
    assert st["channels"] == {} and st["busy"] is False
    # the state is in memory at once; the history is what is durable, a moment later
    doc = wait_for(lambda: (d := ix(server, i)) and
                   "interaction.timed_out" in [e["event"] for e in d["history"]] and d,
                   timeout=5, what="timed_out in the history")
    assert doc["state"] == "queued"
    e = ok(server, "GET", f"/v1/interactions/{i}/explain")
    assert e["excluded"] == 1
    # not_responding takes nothing new until the agent is ready again
    j = new_ix(server)["id"]
    assert ix(server, j)["state"] == "queued"
    ok(server, "POST", "/v1/agents/alice/ready")
    assert wait_for(lambda: offered_to(server, j) == "alice", what="offer after ready")
    assert ix(server, i)["state"] == "queued"  # still excluded from i
