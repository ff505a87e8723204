"""API v1 event stream, GET /v1/stream over WebSocket (docs/api.md, "Event
stream"): topics, the subscribed reply, resuming after a sequence number
(journal first, then live, no gap, no duplicate), bad messages, binary
frames and shutdown."""
import signal
import threading

import pytest
import websockets

from sbapi import WS, basic_setup, create, new_ix, ok, ready


def setup_two_queues(s):
    create(s, "queues", {"id": "q1", "steps": [{}]})
    create(s, "queues", {"id": "q2", "steps": [{}]})
    create(s, "queues", {"id": "q3", "steps": [{}]})
    create(s, "agents", {"id": "alice", "queues": ["q1"]})
    create(s, "agents", {"id": "bob", "queues": ["q2"]})


def last_seq(s):
    with WS(s) as w:
        return w.subscribe(["tenant"])["seq"]


def collect(w, upto, timeout=5.0):
    """Events until one with seq >= upto (none expected beyond)."""
    out = []
    if upto == 0:
        return out
    for m in w.until(lambda m: m.get("type") == "event" and m["seq"] >= upto, timeout):
        assert m["type"] == "event", m
        out.append(m)
    return out


def test_subscribed_reply_and_event_shape(server):
    basic_setup(server)
    with WS(server) as w:
        sub = w.subscribe(["tenant"])
        assert sub == {"type": "subscribed", "topics": ["tenant"], "seq": sub["seq"]}
        i = new_ix(server)["id"]
        created, queued = w.events(2)
        assert created == {"type": "event", "seq": sub["seq"] + 1, "at": created["at"],
                           "event": "interaction.created", "interaction": i, "queue": "q1",
                           "channel": "voice", "priority": 0, "arrived_at": created["at"]}
        assert queued["event"] == "interaction.queued" and queued["seq"] == created["seq"] + 1
        assert queued["reason"] == "new" and queued["step"] == 0
        # the events are the interaction's history, the same JSON
        hist = ok(server, "GET", f"/v1/interactions/{i}")["history"]
        assert [dict(e, type="event") for e in hist] == [created, queued]
        ok(server, "POST", "/v1/agents/alice/login")
        st = w.events(1)[0]
        assert st["event"] == "agent.state" and st["agent"] == "alice"
        assert st["state"] == "not_ready" and st["reason"] is None
        w.quiet(0.2)
        # a new subscriber's reply names the last event
        assert last_seq(server) == st["seq"]


def test_events_are_sent_only_once_durable_and_before_the_answer(server):
    basic_setup(server)
    with WS(server) as w:
        w.subscribe(["queue:q1"])
        for _ in range(5):
            i = new_ix(server)["id"]
            # the HTTP answer came after the events were sent: they are there
            got = w.events(2, timeout=1)
            assert [e["interaction"] for e in got] == [i, i]


def test_topics_select_their_events(server):
    setup_two_queues(server)
    x = None
    with WS(server) as all_, WS(server) as q1, WS(server) as bob, WS(server) as one:
        all_.subscribe(["tenant"])
        q1.subscribe(["queue:q1"])
        bob.subscribe(["agent:bob"])
        x = new_ix(server, "q1")["id"]
        one.subscribe([f"interaction:{x}"])
        y = new_ix(server, "q2")["id"]
        ready(server, "alice")
        ready(server, "bob")
        ok(server, "POST", "/v1/agents/alice/accept", {"interaction": x})
        ok(server, "POST", "/v1/agents/bob/reject", {"interaction": y})
        ok(server, "POST", f"/v1/interactions/{y}/transfer", {"queue": "q1"})  # from q2 to q1
        ok(server, "POST", f"/v1/interactions/{x}/transfer", {"queue": "q3"})  # releases alice
        z = new_ix(server, "q3")["id"]
        ok(server, "POST", f"/v1/interactions/{z}/cancel")
        last = last_seq(server)
        everything = collect(all_, last)
        assert [e["seq"] for e in everything] == list(range(everything[0]["seq"], last + 1))

        def expect(pred, w, after=0):
            want = [e for e in everything if e["seq"] > after and pred(e)]
            got = collect(w, want[-1]["seq"]) if want else []
            assert got == want
            w.quiet(0.2)
            return want

        want = expect(lambda e: "q1" in (e.get("queue"), e.get("from_queue")), q1)
        assert {e["interaction"] for e in want if "interaction" in e} == {x, y}
        want = expect(lambda e: "bob" in (e.get("agent"), e.get("target_agent")), bob)
        assert {e["event"] for e in want} >= {"agent.state", "interaction.offered", "interaction.rejected"}
        x_created = [e for e in everything if e.get("interaction") == x][0]["seq"]
        want = expect(lambda e: e.get("interaction") == x, one, after=x_created + 1)
        assert [e["event"] for e in want][-2:] == ["interaction.transferred", "interaction.queued"]


def test_several_topics_in_one_subscription(server):
    setup_two_queues(server)
    with WS(server) as w:
        w.subscribe(["queue:q2", "agent:alice"])
        new_ix(server, "q1")
        a = new_ix(server, "q2")["id"]
        ok(server, "POST", "/v1/agents/alice/login")
        got = w.events(3)
        assert [(e["event"], e.get("interaction"), e.get("agent")) for e in got] == [
            ("interaction.created", a, None), ("interaction.queued", a, None),
            ("agent.state", None, "alice")]
        w.quiet(0.2)


def test_second_subscribe_replaces_topics(server):
    setup_two_queues(server)
    with WS(server) as w:
        w.subscribe(["queue:q1"])
        new_ix(server, "q1")
        assert len(w.events(2)) == 2
        w.subscribe(["queue:q2"])
        new_ix(server, "q1")
        b = new_ix(server, "q2")["id"]
        got = w.events(2)
        assert {e["interaction"] for e in got} == {b}
        w.quiet(0.2)


def test_resume_after_replays_exactly_then_goes_live(server):
    setup_two_queues(server)
    with WS(server) as live:
        live.subscribe(["tenant"])
        for _ in range(10):
            new_ix(server, "q1")
        first = collect(live, last_seq(server))
        mid = first[7]["seq"]
        with WS(server) as w:
            sub = w.subscribe(["tenant"], after=mid)
            assert sub["seq"] == first[-1]["seq"]
            got = collect(w, first[-1]["seq"])
            assert got == [e for e in first if e["seq"] > mid]
            new_ix(server, "q2")
            more = w.events(2)
            assert [e["seq"] for e in more] == [first[-1]["seq"] + 1, first[-1]["seq"] + 2]
            w.quiet(0.2)
        with WS(server) as w:
            # after=0: everything from the start; a filtered topic too
            w.subscribe(["queue:q2"], after=0)
            got = w.events(2)
            assert all(e["queue"] == "q2" for e in got) and got == live.events(2)
            w.quiet(0.2)


def test_resume_while_events_keep_coming_has_no_gap_and_no_duplicate(server):
    setup_two_queues(server)
    for _ in range(300):  # 600 events: more than one journal chunk (512)
        new_ix(server, "q1")
    stop = threading.Event()
    errors = []

    def writer():
        import requests
        sess = requests.Session()
        sess.trust_env = False
        sess.headers.update(server.http.headers)  # the fixture's credentials, if any
        try:
            for _ in range(80):
                if stop.is_set():
                    break
                r = sess.post(server.url + "/v1/interactions", json={"queue": "q2", "channel": "chat"},
                              timeout=5)
                if r.status_code != 201:
                    errors.append(r.text)
        finally:
            sess.close()

    t = threading.Thread(target=writer)
    with WS(server) as w:
        t.start()
        try:
            sub = w.subscribe(["tenant"], after=0)
            assert sub["seq"] >= 600
        finally:
            t.join(timeout=30)
            stop.set()
        assert not errors
        final = last_seq(server)
        got = collect(w, final, timeout=10)
        seqs = [e["seq"] for e in got]
        assert seqs == list(range(1, final + 1))  # strictly increasing, no gap, no duplicate
        assert sum(e["event"] == "interaction.created" and e["queue"] == "q2" for e in got) == 80
        w.quiet(0.2)


def test_resume_after_the_last_event_is_refused(server):
    basic_setup(server)
    new_ix(server)
    last = last_seq(server)
    with WS(server) as w:
        w.send({"type": "subscribe", "topics": ["tenant"], "after": last + 1000})
        m = w.recv()
        assert m["type"] == "error" and m["code"] == "invalid_field", m
        # the connection stays usable
        assert w.subscribe(["tenant"], after=last)["seq"] == last
        new_ix(server)
        assert w.events(2)[0]["seq"] == last + 1


@pytest.mark.parametrize("msg, code", [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_json"),
    ('{"type": "subscribe", "type": "subscribe"}', "invalid_json"),
    ({"type": "hello"}, "unknown_type"),
    ({"topics": ["tenant"]}, "unknown_type"),
    ({"type": "subscribe", "topics": ["queue:nope"]}, "unknown_topic"),
    ({"type": "subscribe", "topics": ["agent:ghost"]}, "unknown_topic"),
    ({"type": "subscribe", "topics": ["interaction:abc"]}, "unknown_topic"),
    ({"type": "subscribe", "topics": ["interaction:0"]}, "unknown_topic"),
    ({"type": "subscribe", "topics": ["weather"]}, "unknown_topic"),
    ({"type": "subscribe", "topics": [5]}, "unknown_topic"),
    ({"type": "subscribe", "topics": ["tenant"], "filter": "x"}, "unknown_field"),
    ({"type": "subscribe", "topics": "tenant"}, "invalid_field"),
    ({"type": "subscribe", "topics": []}, "invalid_field"),
    ({"type": "subscribe", "topics": ["tenant"], "after": -1}, "invalid_field"),
    ({"type": "subscribe", "topics": ["tenant"], "after": "5"}, "invalid_field"),
])
def test_bad_messages_get_an_error_and_the_stream_stays_open(server, msg, code):
    basic_setup(server)
    with WS(server) as w:
        w.subscribe(["queue:q1"])
        w.send(msg)
        m = w.recv()
        assert m["type"] == "error" and m["code"] == code, m
        assert isinstance(m["detail"], str) and m["detail"]
        # the previous subscription still holds, and the connection works
        i = new_ix(server)["id"]
        assert [e["interaction"] for e in w.events(2)] == [i, i]
        assert w.subscribe(["tenant"])["type"] == "subscribed"


def test_events_only_after_a_subscribe(server):
    basic_setup(server)
    with WS(server) as w:
        new_ix(server)
        w.quiet(0.3)


def test_client_ping_is_answered(server):
    basic_setup(server)
    with WS(server) as w:
        pong = w.ws.ping(b"hi")
        w._run(pong, 3)  # the pong arrived
        w.send({"type": "ping"})
        m = w.recv()
        assert m["type"] == "pong" and m["seq"] == last_seq(server)


def test_binary_frame_closes_with_1003(server):
    basic_setup(server)
    with WS(server) as w:
        w.subscribe(["tenant"])
        w.send(b"\x00\x01binary")
        assert w.wait_closed() == 1003
    assert server.get("/v1/health").status_code == 200


def test_stream_without_a_token_is_refused(server):
    for headers in ({}, {"Authorization": "Bearer sbt.1.not-a-token"}):
        with pytest.raises(websockets.InvalidStatusCode) as e:
            WS(server, headers=headers)
        assert e.value.status_code == 401


def test_plain_get_of_the_stream_is_not_an_upgrade(server):
    r = server.get("/v1/stream")
    assert r.status_code in (400, 426), r.status_code


def test_sigterm_closes_streams_with_1001(start):
    s = start()
    basic_setup(s)
    ws = [WS(s), WS(s)]
    try:
        ws[0].subscribe(["tenant"])
        ws[1].subscribe(["queue:q1"])
        s.proc.send_signal(signal.SIGTERM)
        assert [w.wait_closed() for w in ws] == [1001, 1001]
        assert s.proc.wait(timeout=10) == 0
    finally:
        for w in ws:
            w.close()
