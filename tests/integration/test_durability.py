"""Durability and restart (docs/api.md: "Writes are durable before they are
answered"; src/api/restore.c): what a 2xx acknowledged survives kill -9;
a restart rebuilds the routing state (queue order, connected work, offers),
the stream resumes across it, and agents whose desktop does not come back
within the grace period are logged out."""
import asyncio
import signal
import threading
import time

import pytest
import requests

from sbapi import WS, basic_setup, call, create, ix, new_ix, offered_to, ok, ready, state, wait_for


def kill9(s):
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=10)
    s.http.close()


def positions(s, ids):
    return {i: ok(s, "GET", f"/v1/interactions/{i}/explain")["position"] for i in ids}


def test_acknowledged_writes_survive_kill_9(start):
    s = start()
    create(s, "skills", {"id": "billing", "name": "Billing"})
    create(s, "custom-fields", {"id": "account", "entity": "interaction", "type": "string"})
    basic_setup_q = {"id": "q1", "steps": [{"expression": "agent.skills.billing >= 1"}],
                     "wrapup": {"mode": "optional"}, "max_length": 100}
    create(s, "queues", basic_setup_q)
    create(s, "queues", {"id": "q2", "steps": [{}]})
    create(s, "agents", {"id": "alice", "skills": {"billing": 3}, "queues": ["q1"]})
    ok(s, "PUT", "/v1/agents/alice", {"skills": {"billing": 4}, "queues": ["q1"]})  # version 2
    create(s, "users", {"id": "u", "display_name": "U", "role": "agent", "agent": "alice"})
    created = []
    for n in range(20):
        created.append(new_ix(s, "q1" if n % 2 == 0 else "q2", "chat" if n % 3 else "voice",
                              priority=n % 4, attributes={"account": f"A{n}"}))
    keyed = call(s, "POST", "/v1/interactions", {"queue": "q2", "channel": "email"},
                 headers={"Idempotency-Key": "survives"}, expect=201)
    ok(s, "POST", f"/v1/interactions/{created[3]['id']}/cancel")
    ok(s, "PATCH", f"/v1/interactions/{created[4]['id']}", {"attributes": {"account": "changed"}})
    call(s, "DELETE", "/v1/skills/billing", expect=409)  # in use: refused, nothing changes
    create(s, "skills", {"id": "gone"})
    call(s, "DELETE", "/v1/skills/gone", expect=204)
    waiting = [c["id"] for c in created if c["queue"] == "q1"]
    before_pos = positions(s, waiting)
    before = {i["id"]: ix(s, i["id"]) for i in created}
    config = {c: ok(s, "GET", f"/v1/{c}")["items"]
              for c in ["skills", "custom-fields", "queues", "agents", "users"]}
    kill9(s)

    s = start()
    for c, items in config.items():
        assert ok(s, "GET", f"/v1/{c}")["items"] == items, c
    assert ok(s, "GET", "/v1/agents/alice")["version"] == 2
    assert call(s, "GET", "/v1/skills/gone").status_code == 404
    for i, doc in before.items():
        assert ix(s, i) == doc  # state, attributes, version and history
    assert ix(s, created[3]["id"])["state"] == "canceled"
    assert ix(s, created[4]["id"])["attributes"] == {"account": "changed"}
    assert positions(s, waiting) == before_pos  # the same order in line
    again = call(s, "POST", "/v1/interactions", {"queue": "q2", "channel": "email"},
                 headers={"Idempotency-Key": "survives"})
    assert again.status_code == 201 and again.json() == keyed.json()
    newer = new_ix(s, "q1")
    assert int(newer["id"]) > max(int(i) for i in before) and int(newer["id"]) > int(keyed.json()["id"])
    # the rebuilt queue routes in the same order: priority first, then arrival
    ready(s, "alice")
    order = sorted(waiting, key=lambda i: before_pos[i])
    first = order[0]
    assert wait_for(lambda: offered_to(s, first) == "alice", what="first offer after restart")


def test_writes_racing_a_kill_9_are_kept_when_acknowledged(start):
    s = start()
    create(s, "queues", {"id": "q", "steps": [{}]})
    acked_ix, acked_skills, stop = [], [], threading.Event()

    def writer(n):
        sess = requests.Session()
        sess.trust_env = False
        sess.headers.update(s.http.headers)  # the fixture's credentials, if any
        k = 0
        while not stop.is_set():
            k += 1
            try:
                if k % 3:
                    r = sess.post(s.url + "/v1/interactions", json={"queue": "q", "channel": "chat"}, timeout=2)
                    if r.status_code == 201:
                        acked_ix.append(r.json())
                else:
                    r = sess.post(s.url + "/v1/skills", json={"id": f"s{n}-{k}"}, timeout=2)
                    if r.status_code == 201:
                        acked_skills.append(f"s{n}-{k}")
            except requests.RequestException:
                return
        sess.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked_ix) >= 40, timeout=10, what="some writes")
    kill9(s)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert acked_ix and acked_skills

    s = start()
    have = {i["id"]: i for i in ok(s, "GET", "/v1/interactions?limit=1000")["items"]}
    for doc in acked_ix:
        assert doc["id"] in have, f"acknowledged interaction {doc['id']} lost"
        assert have[doc["id"]]["state"] == "queued"
    skills = {o["id"] for o in ok(s, "GET", "/v1/skills?limit=1000")["items"]}
    assert set(acked_skills) <= skills
    # and the rebuilt queue holds every live one, once
    waiting = [i for i, d in have.items() if d["state"] == "queued"]
    pos = positions(s, waiting)
    assert sorted(pos.values()) == list(range(1, len(waiting) + 1))
    assert [i for i in sorted(waiting, key=lambda i: pos[i])] == sorted(waiting, key=int)


def test_restart_rebuilds_connected_and_offered_work(start):
    s = start()
    basic_setup(s, queue={"wrapup": {"mode": "mandatory"}}, agents=("alice", "bob", "carol"))
    create(s, "wrapup-codes", {"id": "done"})
    ready(s, "alice")
    x = new_ix(s)["id"]  # alice takes it
    ok(s, "POST", "/v1/agents/alice/accept", {"interaction": x})
    ready(s, "carol")
    w = new_ix(s, channel="chat")["id"]  # carol: connected, then wrap-up
    ok(s, "POST", "/v1/agents/carol/accept", {"interaction": w})
    ok(s, "POST", f"/v1/interactions/{w}/complete")
    ready(s, "bob")
    y = new_ix(s)["id"]  # offered to bob, not accepted
    assert offered_to(s, y) == "bob"
    z = new_ix(s)["id"]  # waits: nobody free
    killed_at = time.time() * 1000
    before = {i: ix(s, i) for i in (x, w, y, z)}
    kill9(s)

    s = start()
    d = ix(s, x)
    assert d["state"] == "connected" and d["agent"] == "alice"
    st = state(s, "alice")
    assert st["state"] == "ready" and st["interactions"] == [x] and st["channels"] == {"voice": 1}
    assert st["busy"] and st["units_used"] == 100
    d = ix(s, w)
    assert d["state"] == "wrap_up" and d["agent"] == "carol"
    assert state(s, "carol")["state"] == "wrap_up"
    # the offer did not survive: y lined up again and, bob being ready, is offered afresh
    def offers():
        return [e for e in ix(s, y)["history"] if e["event"] == "interaction.offered"]
    wait_for(lambda: len(offers()) == 2, what="offer again")
    d = ix(s, y)
    assert d["state"] == "offered"
    assert offers()[-1]["agent"] == "bob" and offers()[-1]["at"] >= killed_at
    assert d["arrived_at"] == before[y]["arrived_at"]
    assert ix(s, z)["state"] == "queued"
    assert ok(s, "GET", f"/v1/interactions/{z}/explain")["position"] == 1
    # and the work goes on
    ok(s, "POST", "/v1/agents/bob/accept", {"interaction": y})
    ok(s, "POST", f"/v1/interactions/{x}/complete")
    call(s, "POST", f"/v1/interactions/{x}/wrapup", expect=409)
    ok(s, "POST", f"/v1/interactions/{x}/wrapup", {"code": "done"})
    ok(s, "POST", f"/v1/interactions/{w}/wrapup", {"code": "done"})
    assert ix(s, x)["state"] == "completed" and ix(s, w)["state"] == "completed"
    assert wait_for(lambda: offered_to(s, z) in ("alice", "carol"), what="z offered")


def test_offered_interaction_requeues_when_its_agent_is_gone(start):
    s = start("--grace-ms", "300")
    basic_setup(s, agents=("bob",))
    ready(s, "bob")
    y = new_ix(s)["id"]
    assert offered_to(s, y) == "bob"
    kill9(s)
    s = start("--grace-ms", "300")
    # bob's desktop never comes back: logged out, and y waits in the queue
    wait_for(lambda: state(s, "bob")["state"] == "logged_out", what="bob logged out")
    d = wait_for(lambda: (d := ix(s, y))["state"] == "queued" and d, what="y queued")
    assert d["agent"] is None
    assert ok(s, "GET", f"/v1/interactions/{y}/explain")["position"] == 1
    # the history says the open offer went away at the restart: bob was offered
    # y, then withdrawn (never two offers with nothing between them)
    def withdrawn():
        h = ix(s, y)["history"]
        return h if any(e["event"] == "interaction.withdrawn" for e in h) else None
    events = [(e["event"], e.get("agent")) for e in wait_for(withdrawn, what="the withdrawal in the history")]
    i = events.index(("interaction.offered", "bob"))
    assert events[i + 1] == ("interaction.withdrawn", "bob"), events
    assert "offered_to" not in d


def test_stream_resumes_across_a_restart(start):
    s = start()
    basic_setup(s)
    seen = []
    with WS(s) as w:
        w.subscribe(["tenant"])
        ready(s, "alice")
        ids = [new_ix(s)["id"] for _ in range(5)]
        seen = w.until(lambda m: m.get("event") == "interaction.queued" and m["interaction"] == ids[-1])
        w.quiet(0.2)
        seqs = [e["seq"] for e in seen]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    last = seen[-1]["seq"]
    kill9(s)

    s = start()
    with WS(s) as w:
        sub = w.subscribe(["tenant"], after=last)
        assert sub["seq"] >= last
        i = new_ix(s)["id"]
        got = w.until(lambda m: m.get("event") == "interaction.queued" and m["interaction"] == i)
        seqs = [e["seq"] for e in got]
        assert seqs == list(range(last + 1, last + 1 + len(seqs)))  # no gap, no duplicate
        # the restart's own news first (the offer open at the stop withdrawn,
        # agents back to their state, the offer made again), then the new one
        assert [e["event"] for e in got[-2:]] == ["interaction.created", "interaction.queued"]
        assert {e["event"] for e in got[:-2]} <= {"interaction.withdrawn", "agent.state", "interaction.offered"}
        assert got[0]["event"] == "interaction.withdrawn" and got[0]["agent"] == "alice"
        assert [e["agent"] for e in got[:-2] if e["event"] == "agent.state"] == ["alice"]
        w.quiet(0.2)
    # the whole journal, from the start, is what was seen before, then the rest
    with WS(s) as w:
        w.subscribe(["tenant"], after=seen[0]["seq"] - 1)
        replay = w.until(lambda m: m["seq"] >= last)
        assert replay == seen


def test_stream_resume_after_sigterm_restart(start):
    s = start()
    basic_setup(s)
    with WS(s) as w:
        w.subscribe(["queue:q1"])
        a = new_ix(s)["id"]
        got = w.events(2)
    assert s.stop() == 0
    s = start()
    with WS(s) as w:
        w.subscribe(["queue:q1"], after=got[-1]["seq"])
        w.quiet(0.2)
        b = new_ix(s)["id"]
        assert [e["interaction"] for e in w.events(2)] == [b, b]
        assert int(b) > int(a)


def test_agents_without_desktop_are_logged_out_after_grace(start):
    s = start()
    basic_setup(s, agents=("alice", "bob", "carol", "dave"))
    create(s, "not-ready-reasons", {"id": "lunch"})
    ready(s, "alice")
    ready(s, "bob")
    x = new_ix(s)["id"]
    holder = offered_to(s, x)
    ok(s, "POST", f"/v1/agents/{holder}/accept", {"interaction": x})
    ok(s, "POST", "/v1/agents/carol/login")
    ok(s, "POST", "/v1/agents/carol/not-ready", {"reason": "lunch"})
    other = "bob" if holder == "alice" else "alice"
    kill9(s)

    t0 = time.monotonic()
    s = start("--grace-ms", "500")
    with WS(s) as desk:
        desk.subscribe(["agent:carol"])  # carol's desktop reconnects in time
        # during the grace period everyone is as they were
        during = [state(s, a) for a in (other, "carol", "dave")]
        if time.monotonic() - t0 < 0.45:  # (a very slow machine may be past it already)
            assert during[0]["state"] == "ready"
        assert during[1]["state"] == "not_ready" and during[1]["reason"] == "lunch"
        assert during[2]["state"] == "logged_out"
        wait_for(lambda: state(s, other)["state"] == "logged_out", timeout=5, what="logout after grace")
        assert time.monotonic() - t0 >= 0.45
        # the holder keeps its work, not ready; carol stays as she was
        st = state(s, holder)
        assert st["state"] == "not_ready" and st["interactions"] == [x]
        assert ix(s, x)["state"] == "connected"
        time.sleep(0.2)
        st = state(s, "carol")
        assert st["state"] == "not_ready" and st["reason"] == "lunch"
        # carol's desktop saw her back in her state, never logged out
        while True:
            try:
                m = desk.recv(0.2)
            except asyncio.TimeoutError:
                break
            assert m["event"] == "agent.state" and m["agent"] == "carol", m
            assert m["state"] == "not_ready" and m["reason"] == "lunch", m
    # the grace logouts are journaled like any change
    with WS(s) as w:
        sub = w.subscribe(["agent:" + other], after=0)
        evs = w.until(lambda m: m["seq"] >= sub["seq"] or (m.get("state") == "logged_out"), timeout=3)
        assert evs[-1]["state"] == "logged_out"


def test_agent_desktop_reconnecting_keeps_the_login(start):
    s = start()
    basic_setup(s, agents=("alice",))
    ready(s, "alice")
    kill9(s)
    s = start("--grace-ms", "300")
    with WS(s) as desk:
        desk.subscribe(["agent:alice"])
        time.sleep(0.6)
        assert state(s, "alice")["state"] == "ready"
        i = new_ix(s)["id"]
        assert offered_to(s, i) == "alice"


def test_preferred_agent_survives_a_restart(start):
    s = start()
    basic_setup(s, agents=("alice", "bob"))
    ready(s, "alice")
    ok(s, "POST", "/v1/agents/bob/login")
    j = new_ix(s, preferred_agent="bob", preferred_wait_seconds=600)["id"]
    e = ok(s, "GET", f"/v1/interactions/{j}/explain")
    assert e["preferred_agent"] == "bob" and ix(s, j)["state"] == "queued"
    until = e["preferred_until"]
    kill9(s)
    s = start()
    with WS(s) as desk:  # both desktops come back
        desk.subscribe(["agent:alice", "agent:bob"])
        time.sleep(0.2)
        assert ix(s, j)["state"] == "queued"  # still waiting for bob, not offered to alice
        e = ok(s, "GET", f"/v1/interactions/{j}/explain")
        assert e["preferred_agent"] == "bob" and e["preferred_until"] == until


def test_data_with_two_documents_per_interaction_reads_each_once(start, tmp_path):
    """Builds before one document per interaction wrote an unfinished
    interaction twice ("ix" and "live"); such a data directory still lists
    and reports each interaction once, with its "live" (newer) document,
    and finishing one leaves only its "ix" document."""
    import datetime
    import sqlite3
    s = start()
    create(s, "queues", {"id": "q", "steps": [{}]})
    a, b, c = (new_ix(s, "q", "chat")["id"] for _ in range(3))
    ok(s, "POST", f"/v1/interactions/{b}/cancel")
    day = datetime.datetime.fromtimestamp(ix(s, a)["created_at"] / 1000, datetime.timezone.utc).date().isoformat()
    assert s.stop() == 0
    db = sqlite3.connect(tmp_path / "data" / "switchboard.db")
    with db:  # what an older build left: an "ix" copy of each live one (made stale here to tell them apart)
        rows = db.execute("SELECT tenant, id, version, updated_at, body FROM documents WHERE kind = 'live'").fetchall()
        assert len(rows) == 2
        for tenant, docid, version, at, body in rows:
            stale = body.replace(b'"attributes":{}', b'"attributes":{"stale":true}')
            assert stale != body
            db.execute("INSERT OR REPLACE INTO documents (tenant, kind, id, version, updated_at, body) VALUES (?, 'ix', ?, ?, ?, ?)",
                       (tenant, docid, version, at, stale))
    db.close()

    s = start()
    items = ok(s, "GET", "/v1/interactions")["items"]
    assert [(x["id"], x["state"], x["attributes"]) for x in items] == [(a, "queued", {}), (b, "canceled", {}), (c, "queued", {})]
    page = ok(s, "GET", "/v1/interactions?limit=2")
    assert [x["id"] for x in page["items"]] == [a, b] and page["next_cursor"]
    rest = ok(s, "GET", "/v1/interactions?limit=2&cursor=" + page["next_cursor"])
    assert [x["id"] for x in rest["items"]] == [c] and rest["next_cursor"] is None
    report = ok(s, "GET", f"/v1/reports/interactions?from={day}&tz=UTC")["items"]
    assert [(x["id"], x["state"]) for x in report] == [(a, "queued"), (b, "canceled"), (c, "queued")]
    ok(s, "POST", f"/v1/interactions/{a}/cancel")
    assert ix(s, a)["state"] == "canceled" and ix(s, a)["attributes"] == {}
    items = ok(s, "GET", "/v1/interactions")["items"]
    assert [(x["id"], x["state"]) for x in items] == [(a, "canceled"), (b, "canceled"), (c, "queued")]
    assert s.stop() == 0
    db = sqlite3.connect(f"file:{tmp_path / 'data' / 'switchboard.db'}?mode=ro", uri=True)
    kinds = db.execute("SELECT kind, count(*) FROM documents WHERE kind IN ('ix', 'live') GROUP BY kind").fetchall()
    db.close()
    assert sorted(kinds) == [("ix", 3), ("live", 1)]  # a and b finished; c's stale copy stays until it finishes
