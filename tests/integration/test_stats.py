"""Statistics through the real server: /v1/stats/..., the stats topics of
the stream, stored intervals and the reports, /metrics.

Scenarios are scripted with short waits against a queue whose service
level threshold is 1 s: sleeps of ~0.3 s and ~1.5 s put waits on known
sides of it.  The expected SL, ASA and AHT are computed by hand from the
interactions' own histories (the `at` of their events), so they are exact
to the millisecond."""
import datetime
import re
import time

import requests

from sbapi import WS, basic_setup, call, create, history, ix, new_ix, ok, problem, ready, wait_for

SL1 = {"service_level": {"threshold_seconds": 1}, "wrapup": {"mode": "optional"}}


def at_of(s, ix_id, event):
    """The time of the last `event` in the interaction's history."""
    evs = [e for e in ix(s, ix_id)["history"] if e["event"] == event]
    assert evs, f"{ix_id}: no {event}"
    return evs[-1]["at"]


def first_at(s, ix_id, event):
    return [e for e in ix(s, ix_id)["history"] if e["event"] == event][0]["at"]


def accept(s, agent, ix_id):
    ok(s, "POST", f"/v1/agents/{agent}/accept", {"interaction": str(ix_id)})


def offered(s, ix_id):
    return wait_for(lambda: ix(s, ix_id)["state"] == "offered", what=f"{ix_id} offered")


def qstats(s, q="q1"):
    return ok(s, "GET", f"/v1/stats/queues/{q}")


def make_user(s, uid, role, password="a-good-password", **extra):
    ok(s, "POST", "/v1/users", {"id": uid, "display_name": uid, "role": role, **extra}, expect=201)
    call(s, "PUT", f"/v1/users/{uid}/password", {"password": password}, expect=204)
    return {"Authorization": "Bearer " + s.login(uid, password)}


# ---- exact figures -------------------------------------------------------------------

def test_service_level_asa_aht_and_abandons_are_exact(server):
    s = server
    basic_setup(s, queue=SL1)
    ok(s, "POST", "/v1/agents/alice/login")  # logged in, not ready: nothing is offered yet
    a = new_ix(s)["id"]
    b = new_ix(s)["id"]
    c = new_ix(s)["id"]
    time.sleep(0.3)
    ok(s, "POST", f"/v1/interactions/{c}/abandon")  # waited ~0.3 s: a short abandon (< 5 s)
    ok(s, "POST", "/v1/agents/alice/ready")
    offered(s, a)
    accept(s, "alice", a)  # waited ~0.35 s: within the 1 s threshold
    time.sleep(1.5)
    ok(s, "POST", f"/v1/interactions/{a}/complete")
    ok(s, "POST", f"/v1/interactions/{a}/wrapup")
    offered(s, b)
    accept(s, "alice", b)  # waited ~1.9 s: outside
    time.sleep(0.3)
    ok(s, "POST", f"/v1/interactions/{b}/complete")
    time.sleep(0.2)
    ok(s, "POST", f"/v1/interactions/{b}/wrapup")

    wa = at_of(s, a, "interaction.accepted") - first_at(s, a, "interaction.queued")
    wb = at_of(s, b, "interaction.accepted") - first_at(s, b, "interaction.queued")
    assert wa <= 1000 < wb
    handle = sum(at_of(s, i, "interaction.completed") - at_of(s, i, "interaction.accepted") for i in (a, b))
    talk = sum(at_of(s, i, "interaction.wrap_up") - at_of(s, i, "interaction.accepted") for i in (a, b))

    q = qstats(s)
    t = q["today"]
    assert (t["offered"], t["answered"], t["answered_in_sl"], t["abandoned"], t["short_abandoned"],
            t["handled"]) == (3, 2, 1, 1, 1, 2)
    assert t["service_level"] == 0.5  # 1 / (2 + 1 - 1): the short abandon is out of both
    assert t["asa_ms"] == (wa + wb) / 2
    assert t["answer_wait_ms"] == wa + wb
    assert t["aht_ms"] == handle / 2
    assert t["talk_ms"] == talk and t["talk_ms"] + t["wrap_ms"] == handle
    assert q["window"]["offered"] == 3 and q["sl_threshold_ms"] == 1000
    assert q["waiting"] == 0 and q["oldest_wait_ms"] == 0
    assert q["agents"]["total"] == 1 and q["agents"]["logged_in"] == 1 and q["agents"]["ready"] == 1
    assert q["day_start"] % 86400000 == 0 and q["day_start"] <= q["at"] < q["day_start"] + 86400000

    ag = ok(s, "GET", "/v1/stats/agents/alice")
    assert ag["state"] == "ready" and ag["activity"] == "ready" and ag["holding"] == 0
    assert ag["handled"] == 2 and ag["today"]["answered"] == 2 and ag["today"]["answered_in_sl"] == 1
    assert ag["busy_ms"] >= handle and 0 < ag["occupancy"] < 1
    assert ag["logged_in_ms"] == sum(ag["time_ms"].values())

    ten = ok(s, "GET", "/v1/stats/tenant")
    assert ten["today"]["service_level"] == 0.5 and ten["queues"] == 1 and ten["agents"]["total"] == 1
    assert ten["agent_today"]["handled"] == 2

    listed = ok(s, "GET", "/v1/stats/queues")["items"]
    assert [x["queue"] for x in listed] == ["q1"]


def test_waiting_and_oldest_wait_now(server):
    s = server
    basic_setup(s, queue=SL1)
    new_ix(s)
    time.sleep(0.3)
    new_ix(s)
    q = qstats(s)
    assert q["waiting"] == 2 and q["offering"] == 0 and q["oldest_wait_ms"] >= 300
    assert q["agents"]["logged_out"] == 1 and q["today"]["service_level"] is None


def test_configuration_follows_queues_and_agents(server):
    s = server
    basic_setup(s)
    assert qstats(s)["sl_threshold_ms"] == 20000  # the default
    ok(s, "PUT", "/v1/queues/q1", {"steps": [{"expression": "agent.skills.billing >= 1"}],
                                    "service_level": {"threshold_seconds": 7.5}})
    assert qstats(s)["sl_threshold_ms"] == 7500
    create(s, "teams", {"id": "t1"})
    create(s, "queues", {"id": "q2", "steps": [{"expression": "agent.skills.billing >= 1"}]})
    ok(s, "PUT", "/v1/agents/alice", {"skills": {"billing": 5}, "queues": ["q1", "q2"], "teams": ["t1"]})
    assert qstats(s, "q2")["agents"]["total"] == 1
    team = ok(s, "GET", "/v1/stats/teams/t1")
    assert team["team"] == "t1" and team["agents"]["total"] == 1 and team["queues"] == 2
    create(s, "teams", {"id": "empty"})
    assert ok(s, "GET", "/v1/stats/teams/empty")["agents"]["total"] == 0
    ok(s, "PUT", "/v1/agents/alice", {"skills": {"billing": 5}, "queues": ["q1"]})
    assert qstats(s, "q2")["agents"]["total"] == 0
    call(s, "DELETE", "/v1/queues/q2", expect=204)
    problem(call(s, "GET", "/v1/stats/queues/q2"), 404, "not_found")
    problem(call(s, "GET", "/v1/stats/agents/nobody"), 404, "not_found")
    problem(call(s, "GET", "/v1/stats/teams/nobody"), 404, "not_found")


def test_configuration_is_reloaded_at_start(start):
    s = start()
    basic_setup(s, queue=SL1)
    assert s.stop() == 0
    s = start()
    q = qstats(s)
    assert q["sl_threshold_ms"] == 1000 and q["agents"]["total"] == 1
    assert q["today"]["offered"] == 0  # a restart starts the counters afresh


# ---- who sees what ------------------------------------------------------------------------

def test_visibility_by_role(server):
    s = server
    basic_setup(s)
    create(s, "teams", {"id": "t1"})
    create(s, "queues", {"id": "q2", "steps": [{"expression": "agent.skills.billing >= 1"}]})
    create(s, "agents", {"id": "bob", "skills": {"billing": 1}, "queues": ["q2"], "teams": ["t1"]})
    sup = make_user(s, "sue", "supervisor", queues=["q1"], teams=["t1"])
    agt = make_user(s, "al", "agent", agent="alice")

    def get(path, h):
        return s.request("GET", path, headers=h)

    assert [q["queue"] for q in get("/v1/stats/queues", sup).json()["items"]] == ["q1"]
    assert get("/v1/stats/queues/q2", sup).status_code == 404
    assert get("/v1/stats/agents/bob", sup).status_code == 200
    assert get("/v1/stats/agents/alice", sup).status_code == 404
    assert get("/v1/stats/teams/t1", sup).status_code == 200
    assert get("/v1/stats/tenant", sup).status_code == 200
    assert get("/metrics", sup).status_code == 403

    assert [q["queue"] for q in get("/v1/stats/queues", agt).json()["items"]] == ["q1"]
    assert get("/v1/stats/agents/alice", agt).status_code == 200
    assert get("/v1/stats/agents/bob", agt).status_code == 404
    assert get("/v1/stats/teams/t1", agt).status_code == 404
    problem(get("/v1/stats/tenant", agt), 403, "forbidden")

    key = ok(s, "POST", "/v1/api-keys", {"name": "wallboard", "scopes": ["stats:read"]}, expect=201)["key"]
    other = ok(s, "POST", "/v1/api-keys", {"name": "crm", "scopes": ["config:read"]}, expect=201)["key"]
    kh, oh = {"Authorization": "Bearer " + key}, {"Authorization": "Bearer " + other}
    assert len(get("/v1/stats/queues", kh).json()["items"]) == 2
    assert get("/v1/stats/tenant", kh).status_code == 200 and get("/metrics", kh).status_code == 200
    problem(get("/v1/stats/queues/q1", oh), 403, "forbidden")
    problem(get("/metrics", oh), 403, "forbidden")
    anon = requests.Session()
    anon.trust_env = False
    assert anon.get(s.url + "/metrics", timeout=5).status_code == 401


# ---- the stream ---------------------------------------------------------------------------

def test_stream_pushes_stats_coalesced(server):
    s = server
    basic_setup(s, queue=SL1)
    with WS(s) as w:
        w.subscribe(["stats:queue:q1", "stats:tenant"])
        first = [w.recv(), w.recv()]  # the figures at once, one per topic
        assert sorted(m["topic"] for m in first) == ["stats:queue:q1", "stats:tenant"]
        assert all(m["type"] == "stats" for m in first)
        for _ in range(5):
            new_ix(s)
        got = []
        deadline = time.monotonic() + 2.6
        while time.monotonic() < deadline:
            try:
                got.append(w.recv(max(0.05, deadline - time.monotonic())))
            except Exception:
                break
        q = [m for m in got if m["topic"] == "stats:queue:q1"]
        assert q and q[-1]["stats"]["waiting"] == 5 and q[-1]["stats"]["today"]["offered"] == 5
        assert len(q) <= 3  # five changes, at most one push per second
        times = [m["stats"]["at"] for m in first + got if m["topic"] == "stats:queue:q1"]
        assert all(b - a >= 1000 for a, b in zip(times, times[1:])), times
        assert any(m["topic"] == "stats:tenant" and m["stats"]["waiting"] == 5 for m in got)
        assert all(m["type"] == "stats" for m in got)  # no events: none subscribed


def test_stream_stats_topics_follow_visibility(server):
    s = server
    basic_setup(s)
    create(s, "queues", {"id": "q2", "steps": [{"expression": "agent.skills.billing >= 1"}]})
    agt = make_user(s, "al", "agent", agent="alice")
    with WS(s, headers=agt) as w:
        w.send({"type": "subscribe", "topics": ["stats:tenant"]})
        assert w.recv()["code"] == "unknown_topic"
        w.send({"type": "subscribe", "topics": ["stats:queue:q2"]})
        assert w.recv()["code"] == "unknown_topic"
        w.subscribe(["stats:queue:q1"])
        assert w.recv()["stats"]["queue"] == "q1"
    with WS(s) as w:
        w.send({"type": "subscribe", "topics": ["stats:queue:nope"]})
        assert w.recv()["code"] == "unknown_topic"


# ---- intervals and reports ----------------------------------------------------------------

def test_report_has_every_interval_across_dst(server):
    s = server
    basic_setup(s)
    cases = [("Europe/Berlin", "2026-03-29", 15, 92), ("Europe/Berlin", "2026-03-29", 30, 46),
             ("Europe/Berlin", "2026-03-29", 60, 23), ("America/New_York", "2026-11-01", 15, 100),
             ("America/New_York", "2026-11-01", 60, 25), ("Europe/Berlin", "2026-10-25", 15, 100),
             ("UTC", "2026-03-29", 15, 96), ("Asia/Kolkata", "2026-03-29", 30, 48)]
    for tz, day, iv, n in cases:
        r = ok(s, "GET", f"/v1/reports/intervals?from={day}&to={day}&tz={tz}&interval={iv}")
        assert r["days"] == [{"date": day, "intervals": n}], (tz, day, iv)
        assert len(r["rows"]) == n and all(x["queue"] == "q1" and x["offered"] == 0 for x in r["rows"])
        assert all(x["service_level"] is None for x in r["rows"])
        starts = [x["start_ms"] for x in r["rows"]]
        assert starts == sorted(starts) and all(b - a == iv * 60000 for a, b in zip(starts, starts[1:]))
    r = ok(s, "GET", "/v1/reports/intervals?from=2026-03-28&to=2026-03-30&tz=Europe/Berlin")
    assert [d["intervals"] for d in r["days"]] == [96, 92, 96]
    rows = r["rows"]
    berlin = [x for x in rows if x["date"] == "2026-03-29"]
    assert berlin[0]["start"] == "2026-03-29T00:00:00+01:00"
    assert [x["start"] for x in berlin[7:9]] == ["2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00"]
    ny = ok(s, "GET", "/v1/reports/intervals?from=2026-11-01&tz=America/New_York&interval=60")["rows"]
    assert [x["start"][11:] for x in ny[1:3]] == ["01:00:00-04:00", "01:00:00-05:00"]
    # CSV: a header row, then one row per interval and queue
    r = call(s, "GET", "/v1/reports/intervals?from=2026-11-01&tz=America/New_York&format=csv", expect=200)
    assert r.headers["Content-Type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].startswith("date,start,end,start_ms,end_ms,queue,offered,answered,abandoned,short_abandoned,"
                               "answered_in_sl,") and "service_level,asa_ms,aht_ms" in lines[0]
    assert len(lines) == 101
    for bad in ["from=2026-02-30", "from=2026-03-01&to=2026-02-01", "from=2026-03-01&tz=Mars/Base",
                "from=2026-03-01&tz=../../etc/passwd", "from=2026-03-01&interval=20",
                "from=2026-03-01&group_by=skill", "from=2026-03-01&format=xml", "to=2026-03-01",
                "from=2026-01-01&to=2026-03-01"]:
        problem(call(s, "GET", "/v1/reports/intervals?" + bad), 400, "invalid_field")


def test_intervals_are_stored_as_they_close_and_reported(start):
    s = start("--stats-interval-minutes", "1")
    basic_setup(s, queue=SL1)
    create(s, "teams", {"id": "blue"})
    ok(s, "PUT", "/v1/agents/alice", {"skills": {"billing": 5}, "queues": ["q1"], "teams": ["blue"]})
    # start just after a minute boundary, so that everything happens in one interval
    wait_for(lambda: 1 <= (time.time() % 60) <= 40, timeout=60, interval=0.2, what="a fresh minute")
    ready(s, "alice")
    a = new_ix(s)["id"]
    offered(s, a)
    accept(s, "alice", a)
    b = new_ix(s)["id"]
    ok(s, "POST", f"/v1/interactions/{b}/abandon")
    ok(s, "POST", f"/v1/interactions/{a}/complete")
    ok(s, "POST", f"/v1/interactions/{a}/wrapup")
    created = ix(s, a)["created_at"]
    day = datetime.datetime.fromtimestamp(created / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
    minute = created // 60000 * 60000
    slot = created // 900000 * 900000

    def stored():
        rows = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC")["rows"]
        return [x for x in rows if x["offered"]]

    rows = wait_for(stored, timeout=75, interval=0.5, what="the interval row")
    assert len(rows) == 1 and rows[0]["start_ms"] == slot and rows[0]["end_ms"] == slot + 900000
    r = rows[0]
    assert (r["offered"], r["answered"], r["abandoned"], r["short_abandoned"], r["handled"]) == (2, 1, 1, 1, 1)
    assert r["service_level"] == 1.0 and r["asa_ms"] == r["answer_wait_ms"]
    agents = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=agent")["rows"]
    mine = wait_for(lambda: [x for x in ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=agent")
                             ["rows"] if x["agent"] == "alice" and x["logged_in_ms"]], timeout=10, what="agent row")
    assert mine[0]["start_ms"] == slot and mine[0]["handled"] == 1 and mine[0]["answered"] == 1
    assert len([x for x in agents if x["agent"] == "alice"]) == 96
    # by team: the rows of the team's agents added up (alice is in "blue")
    teams = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=team")["rows"]
    blue = [x for x in teams if x["team"] == "blue" and x["handled"]]
    assert len(blue) == 1 and blue[0]["start_ms"] == slot and blue[0]["answered"] == 1
    assert blue[0]["logged_in_ms"] == mine[0]["logged_in_ms"]
    assert len([x for x in teams if x["team"] == "blue"]) == 96
    # 60-minute local intervals are unions of the stored ones
    hour = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&interval=60")["rows"]
    assert [x["offered"] for x in hour if x["offered"]] == [2] and len(hour) == 24
    assert [x["start_ms"] for x in hour if x["offered"]] == [created // 3600000 * 3600000]
    assert minute >= slot
    # stored: they survive a restart
    assert s.stop() == 0
    s2 = start("--stats-interval-minutes", "1")
    again = [x for x in ok(s2, "GET", f"/v1/reports/intervals?from={day}&tz=UTC")["rows"] if x["offered"]]
    assert again == rows
    # the interaction records of the day
    rep = ok(s2, "GET", f"/v1/reports/interactions?from={day}&tz=UTC")
    assert [(x["id"], x["state"], x["queue"]) for x in rep["items"]] == [(a, "completed", "q1"), (b, "abandoned", "q1")]
    assert rep["items"][0]["agent"] == "alice" and rep["items"][0]["ended_at"] >= rep["items"][0]["created_at"]
    csv = call(s2, "GET", f"/v1/reports/interactions?from={day}&tz=UTC&format=csv", expect=200)
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "id,queue,channel,state,created_at,ended_at,agent" and len(lines) == 3
    assert lines[1].startswith(f"{a},q1,voice,completed,")
    yesterday = (datetime.date.fromisoformat(day) - datetime.timedelta(days=1)).isoformat()
    assert ok(s2, "GET", f"/v1/reports/interactions?from={yesterday}&tz=UTC")["items"] == []


def test_todays_figures_survive_a_restart(start):
    s = start()
    basic_setup(s, queue=SL1)
    ready(s, "alice")
    a = new_ix(s)["id"]
    offered(s, a)
    accept(s, "alice", a)
    ok(s, "POST", f"/v1/interactions/{a}/complete")
    ok(s, "POST", f"/v1/interactions/{a}/wrapup")
    b = new_ix(s)["id"]
    offered(s, b)
    ok(s, "POST", f"/v1/interactions/{b}/abandon")
    before = qstats(s)["today"]
    assert (before["offered"], before["answered"], before["abandoned"], before["handled"]) == (2, 1, 1, 1)
    agent_before = ok(s, "GET", "/v1/stats/agents/alice")["handled"]
    assert s.stop() == 0
    s = start()  # today's journal is replayed into the figures
    after = wait_for(lambda: (t := qstats(s)["today"]) and t["offered"] == 2 and t, timeout=5, what="replay")
    for k in ("offered", "answered", "answered_in_sl", "abandoned", "short_abandoned", "handled",
              "answer_wait_ms", "talk_ms", "wrap_ms"):
        assert after[k] == before[k], k
    assert ok(s, "GET", "/v1/stats/agents/alice")["handled"] == agent_before
    c = new_ix(s)["id"]  # and new events count on top
    assert wait_for(lambda: qstats(s)["today"]["offered"] == 3, what="new arrival counted")
    assert ix(s, c)["state"] in ("queued", "offered")


def test_reports_by_channel_and_wrapup_code(server):
    s = server
    basic_setup(s, queue=SL1)
    create(s, "wrapup-codes", {"id": "done"})
    ready(s, "alice")
    a = new_ix(s)["id"]  # voice: answered at once (within 1 s), completed with "done"
    offered(s, a)
    accept(s, "alice", a)
    ok(s, "POST", f"/v1/interactions/{a}/complete")
    ok(s, "POST", f"/v1/interactions/{a}/wrapup", {"code": "done"})
    b = new_ix(s, channel="chat")["id"]  # chat: offered to alice (capacity), abandoned at once: short
    ok(s, "POST", f"/v1/interactions/{b}/abandon")
    doc_a = ix(s, a)
    assert doc_a["wrapup_code"] == "done" and doc_a["answered_at"] >= doc_a["arrived_at"]
    day = datetime.datetime.fromtimestamp(doc_a["created_at"] / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
    handle = doc_a["ended_at"] - doc_a["answered_at"]

    rows = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=channel")["rows"]
    assert len(rows) == 96 * 6  # every interval, every channel
    busy = {x["channel"]: x for x in rows if x["offered"]}
    assert set(busy) == {"voice", "chat"}
    v, c = busy["voice"], busy["chat"]
    assert (v["offered"], v["answered"], v["answered_in_sl"], v["handled"], v["abandoned"]) == (1, 1, 1, 1, 0)
    assert v["talk_ms"] == handle and v["aht_ms"] == handle and v["service_level"] == 1.0
    assert (c["offered"], c["answered"], c["abandoned"], c["short_abandoned"]) == (1, 0, 1, 1)
    assert c["service_level"] is None  # 0 / (0 + 1 - 1)

    rows = ok(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=wrapup_code")["rows"]
    busy = {x["wrapup_code"]: x for x in rows if x["offered"]}
    assert set(busy) == {"done", "none"}
    assert (busy["done"]["offered"], busy["done"]["handled"]) == (1, 1)
    assert (busy["none"]["offered"], busy["none"]["abandoned"]) == (1, 1)
    csv = call(s, "GET", f"/v1/reports/intervals?from={day}&tz=UTC&group_by=channel&format=csv", expect=200)
    assert csv.text.splitlines()[0].split(",")[5] == "channel"


def test_stats_interval_flag_is_checked(tmp_path):
    import subprocess
    from conftest import BINARY
    r = subprocess.run([BINARY, "serve", "--stats-interval-minutes", "7", "--data", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "divide a day" in r.stderr


# ---- metrics ------------------------------------------------------------------------------

METRIC = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')


def parse_prometheus(text):
    """{name: type} and [(name, labels, value)]; asserts the text format."""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped")
            assert name not in types, f"two TYPE lines for {name}"
            types[name] = typ
        elif line.startswith("#") or not line:
            continue
        else:
            m = METRIC.match(line)
            assert m, f"not a sample: {line!r}"
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
            samples.append((m.group(1), labels, float(m.group(4))))
    for name, _, _ in samples:
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, f"{name} has no TYPE"
    return types, samples


def test_metrics_parse_as_prometheus_text(server):
    s = server
    basic_setup(s)
    ready(s, "alice")
    new_ix(s)
    call(s, "GET", "/v1/nothing-here", expect=404)
    time.sleep(1.2)  # one tick: the loop lag is measured
    with WS(s) as w:
        w.subscribe(["stats:tenant"])
        r = call(s, "GET", "/metrics", expect=200)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    types, samples = parse_prometheus(r.text)
    for name, typ in [("switchboard_http_requests_total", "counter"),
                      ("switchboard_http_request_duration_seconds", "histogram"),
                      ("switchboard_websocket_clients", "gauge"),
                      ("switchboard_store_batch_operations", "histogram"),
                      ("switchboard_store_commit_duration_seconds", "histogram"),
                      ("switchboard_routing_decision_duration_seconds", "histogram"),
                      ("switchboard_event_loop_lag_seconds", "histogram")]:
        assert types.get(name) == typ, name
    val = {(n, tuple(sorted(l.items()))): v for n, l, v in samples}
    assert val[("switchboard_http_requests_total", (("method", "POST"), ("route", "/v1/interactions")))] == 1
    assert val[("switchboard_http_requests_total", (("method", ""), ("route", "unmatched")))] == 1
    assert val[("switchboard_websocket_clients", ())] == 1
    assert val[("switchboard_routing_decision_duration_seconds_count", ())] >= 3
    assert val[("switchboard_store_commit_duration_seconds_count", ())] >= 4
    assert val[("switchboard_event_loop_lag_seconds_count", ())] >= 1
    # histograms: cumulative buckets ending in +Inf == count
    for name in ("switchboard_store_commit_duration_seconds", "switchboard_event_loop_lag_seconds"):
        buckets = [(l["le"], v) for n, l, v in samples if n == name + "_bucket"]
        counts = [v for _, v in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == "+Inf"
        assert buckets[-1][1] == val[(name + "_count", ())]
