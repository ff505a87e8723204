"""API v1 configuration resources (docs/api.md, "Configuration
resources"): CRUD with versions and ETags for every collection, list
pagination, strict validation with field paths, referential integrity,
in-use refusals and custom-field checks of attributes."""
import pytest

from sbapi import call, create, etag, new_ix, ok, problem

# collection -> (a valid new object, a valid replacement without id, the
# objects it needs first as (collection, object))
SAMPLES = {
    "skills": ({"id": "billing", "name": "Billing", "description": "invoices"},
               {"name": "Billing 2"}, []),
    "teams": ({"id": "blue", "name": "Blue"}, {"name": "Navy"}, []),
    "wrapup-codes": ({"id": "sold", "name": "Sold"}, {"name": "Sale"}, []),
    "not-ready-reasons": ({"id": "lunch", "name": "Lunch"}, {"name": "Break"}, []),
    "custom-fields": ({"id": "tier", "entity": "interaction", "type": "enum",
                       "values": ["gold", "silver"], "required": False},
                      {"entity": "interaction", "type": "string", "max_length": 8}, []),
    "capacity-profiles": ({"id": "blended", "units": 100,
                           "channels": {"chat": {"cost": 25, "max": 4}}},
                          {"units": 200}, []),
    "queues": ({"id": "sales", "steps": [{"expression": "agent.skills.sales >= 1"}],
                "offer_timeout_seconds": 15, "max_length": 10},
               {"steps": [{"expression": "agent.skills.sales >= 2"},
                          {"expression": "agent.skills.sales >= 1", "after_seconds": 30}]},
               [("skills", {"id": "sales"})]),
    "agents": ({"id": "alice", "skills": {"sales": 3}, "languages": ["en"], "teams": ["blue"],
                "queues": ["sales"], "capacity_profile": "blended"},
               {"skills": {"sales": 4}},
               [("skills", {"id": "sales"}), ("teams", {"id": "blue"}),
                ("queues", {"id": "sales", "steps": [{"expression": "agent.skills.sales >= 1"}]}),
                ("capacity-profiles", {"id": "blended"})]),
    "users": ({"id": "u1", "display_name": "Alice A.", "email": "alice@example.com",
               "role": "agent", "agent": "alice"},
              {"display_name": "Admin", "role": "admin"},
              [("agents", {"id": "alice"})]),
}

COLLECTIONS = list(SAMPLES)


def prepare(s, coll):
    for dep_coll, dep in SAMPLES[coll][2]:
        create(s, dep_coll, dep)
    return SAMPLES[coll][0], SAMPLES[coll][1]


def without_version(doc):
    return {k: v for k, v in doc.items() if k != "version"}


@pytest.mark.parametrize("coll", COLLECTIONS)
def test_crud_lifecycle(server, coll):
    obj, repl = prepare(server, coll)
    oid = obj["id"]
    r = call(server, "POST", f"/v1/{coll}", obj, expect=201)
    assert r.headers["Location"] == f"/v1/{coll}/{oid}"
    assert etag(r) == 1
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {**obj, "version": 1}

    r = call(server, "GET", f"/v1/{coll}/{oid}", expect=200)
    assert etag(r) == 1 and r.json() == {**obj, "version": 1}

    problem(call(server, "POST", f"/v1/{coll}", obj), 409, "already_exists")

    assert oid in [o["id"] for o in ok(server, "GET", f"/v1/{coll}")["items"]]

    # PUT replaces: members not given are gone.
    r = call(server, "PUT", f"/v1/{coll}/{oid}", repl, expect=200)
    assert etag(r) == 2
    assert r.json() == {**repl, "id": oid, "version": 2}
    assert ok(server, "GET", f"/v1/{coll}/{oid}") == {**repl, "id": oid, "version": 2}

    # If-Match: a stale version is refused and changes nothing.
    p = problem(call(server, "PUT", f"/v1/{coll}/{oid}", obj, headers={"If-Match": '"1"'}),
                412, "precondition_failed")
    assert p["detail"]
    assert ok(server, "GET", f"/v1/{coll}/{oid}")["version"] == 2
    r = call(server, "PUT", f"/v1/{coll}/{oid}", {**obj}, headers={"If-Match": '"2"'}, expect=200)
    assert etag(r) == 3 and without_version(r.json()) == obj

    # PUT creates when missing; the id of the body must match the path.
    other = dict(obj, id=oid + "-2")
    if coll == "users":
        other.pop("agent")  # one user per agent is not required, but keep it simple
    r = call(server, "PUT", f"/v1/{coll}/{oid}-2", {k: v for k, v in other.items() if k != "id"},
             expect=201)
    assert etag(r) == 1 and r.json()["id"] == oid + "-2"
    p = problem(call(server, "PUT", f"/v1/{coll}/{oid}", dict(obj, id="someone-else")),
                400, "invalid_field")
    assert p["field"] == "id"

    # DELETE: a stale If-Match is refused, then 204, then 404 everywhere.
    problem(call(server, "DELETE", f"/v1/{coll}/{oid}", headers={"If-Match": '"2"'}),
            412, "precondition_failed")
    r = call(server, "DELETE", f"/v1/{coll}/{oid}", headers={"If-Match": '"3"'}, expect=204)
    assert r.content == b""
    problem(call(server, "GET", f"/v1/{coll}/{oid}"), 404, "not_found")
    problem(call(server, "DELETE", f"/v1/{coll}/{oid}"), 404, "not_found")
    assert oid not in [o["id"] for o in ok(server, "GET", f"/v1/{coll}")["items"]]
    # Created again, it starts over at version 1.
    r = call(server, "POST", f"/v1/{coll}", obj, expect=201)
    assert etag(r) == 1


@pytest.mark.parametrize("coll", ["skills", "teams", "wrapup-codes", "not-ready-reasons"])
def test_list_pagination_in_id_order(server, coll):
    ids = ["e", "a", "d", "b", "c", "a.1", "A", "z-9"]
    for i in ids:
        create(server, coll, {"id": i})
    seen, cursor, pages = [], None, 0
    while True:
        q = f"/v1/{coll}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = ok(server, "GET", q)
        assert len(page["items"]) <= 3
        seen += [o["id"] for o in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert seen == sorted(ids)  # every item once, in id (byte) order
    assert pages == 3
    everything = ok(server, "GET", f"/v1/{coll}")
    assert [o["id"] for o in everything["items"]] == sorted(ids)
    assert everything["next_cursor"] is None
    assert all(o["version"] == 1 for o in everything["items"])
    exact = ok(server, "GET", f"/v1/{coll}?limit=8")
    assert len(exact["items"]) == 8 and exact["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "1001", "-1", "abc", ""])
def test_list_limit_out_of_range(server, limit):
    p = problem(call(server, "GET", f"/v1/skills?limit={limit}"), 400, "invalid_field")
    assert p["field"] == "limit"


@pytest.mark.parametrize("coll", COLLECTIONS)
def test_unknown_top_level_field(server, coll):
    obj, _ = prepare(server, coll)
    p = problem(call(server, "POST", f"/v1/{coll}", dict(obj, bogus=1)), 400, "unknown_field")
    assert p["field"] == "bogus"
    p = problem(call(server, "PUT", f"/v1/{coll}/{obj['id']}", dict(obj, frob=True)), 400,
                "unknown_field")
    assert p["field"] == "frob"
    problem(call(server, "GET", f"/v1/{coll}/{obj['id']}"), 404, "not_found")


@pytest.mark.parametrize("coll, body, field", [
    ("queues", {"id": "q", "steps": [{"expression": "", "foo": 1}]}, "steps[0].foo"),
    ("queues", {"id": "q", "steps": [{}, {"after_seconds": 5, "bar": 2}]}, "steps[1].bar"),
    ("queues", {"id": "q", "steps": [{}], "wrapup": {"mode": "none", "zz": 1}}, "wrapup.zz"),
    ("queues", {"id": "q", "steps": [{}], "overflow": {"when_empty": "x"}}, "overflow.when_empty"),
    ("queues", {"id": "q", "steps": [{}], "service_level": {"target": 0.5, "x": 1}}, "service_level.x"),
    ("capacity-profiles", {"id": "p", "channels": {"chat": {"cost": 1, "weight": 2}}},
     "channels.chat.weight"),
])
def test_unknown_nested_field_names_its_path(server, coll, body, field):
    p = problem(call(server, "POST", f"/v1/{coll}", body), 400, "unknown_field")
    assert p["field"] == field
    assert field in p["detail"]


@pytest.mark.parametrize("coll, body, field", [
    ("skills", {"id": "s", "name": 5}, "name"),
    ("skills", {"id": "s", "description": "x" * 5000}, "description"),
    ("custom-fields", {"id": "f", "entity": "ticket", "type": "string"}, "entity"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "date"}, "type"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "number", "max_length": 3}, "max_length"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "enum"}, "values"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "enum", "values": []}, "values"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "string", "values": ["a"]}, "values"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "number", "min": 5, "max": 1}, "min"),
    ("custom-fields", {"id": "f", "entity": "agent", "type": "boolean", "required": "yes"}, "required"),
    ("users", {"id": "u", "display_name": "U", "role": "root"}, "role"),
    ("users", {"id": "u", "display_name": "U"}, "role"),
    ("queues", {"id": "q"}, "steps"),
    ("queues", {"id": "q", "steps": []}, "steps"),
    ("queues", {"id": "q", "steps": [{}], "max_length": -1}, "max_length"),
    ("queues", {"id": "q", "steps": [{}], "offer_timeout_seconds": "soon"}, "offer_timeout_seconds"),
    ("queues", {"id": "q", "steps": [{"expression": 7}]}, "steps[0].expression"),
    ("queues", {"id": "q", "steps": [{}], "overflow": {"when_full": "nowhere"}}, "overflow.when_full"),
    ("capacity-profiles", {"id": "p", "units": -5}, "units"),
    ("capacity-profiles", {"id": "p", "channels": {"fax": {}}}, "channels.fax"),
    ("agents", {"id": "a", "languages": "en"}, "languages"),
])
def test_invalid_field(server, coll, body, field):
    p = problem(call(server, "POST", f"/v1/{coll}", body), 400, "invalid_field")
    assert p.get("field") == field, p
    assert p["detail"]
    problem(call(server, "GET", f"/v1/{coll}/{body['id']}"), 404, "not_found")


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "x" * 65, "ünï", 42, None])
def test_invalid_ids_are_refused(server, bad):
    body = {"name": "n"} if bad is None else {"id": bad}
    p = problem(call(server, "POST", "/v1/skills", body), 400, "invalid_field")
    assert p["field"] == "id"
    assert ok(server, "GET", "/v1/skills")["items"] == []


def test_longest_valid_id_and_every_allowed_character(server):
    for i in ["x" * 64, "AZaz09_.-"]:
        r = call(server, "POST", "/v1/skills", {"id": i}, expect=201)
        assert r.headers["Location"] == f"/v1/skills/{i}"
        assert ok(server, "GET", f"/v1/skills/{i}")["id"] == i


def test_put_to_an_invalid_id_creates_nothing(server):
    r = call(server, "PUT", "/v1/skills/bad%20id", {"name": "n"})
    assert r.status_code in (400, 404), r.text
    assert ok(server, "GET", "/v1/skills")["items"] == []


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "application/jsonx", None])
def test_non_json_content_type_is_415(server, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = server.request("POST", "/v1/skills", data=b'{"id": "s"}', headers=headers)
    problem(r, 415, "unsupported_media_type")
    r = server.request("PUT", "/v1/skills/s", data=b'{}', headers=headers)
    problem(r, 415, "unsupported_media_type")
    assert ok(server, "GET", "/v1/skills")["items"] == []


def test_json_content_type_with_charset_is_accepted(server):
    r = server.request("POST", "/v1/skills", data=b'{"id": "s"}',
                       headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201


@pytest.mark.parametrize("body", [b'{"id": "s"', b"{'id': 's'}", b"", b"[1, 2]", b'"s"',
                                  b'{"id": "s", "id": "t"}', b"\xff\xfe"])
def test_malformed_json_is_400(server, body):
    r = server.request("POST", "/v1/skills", data=body, headers={"Content-Type": "application/json"})
    p = problem(r, 400, "invalid_json")
    assert p["detail"]
    assert ok(server, "GET", "/v1/skills")["items"] == []


def test_if_match_must_be_an_etag(server):
    create(server, "skills", {"id": "s"})
    for bad in ["abc", '"1', "*x"]:
        r = call(server, "PUT", "/v1/skills/s", {}, headers={"If-Match": bad})
        problem(r, 412, "precondition_failed")
    r = call(server, "PUT", "/v1/skills/s", {}, headers={"If-Match": "1"})
    assert r.status_code == 200  # a bare number is taken as the version
    problem(call(server, "PUT", "/v1/skills/new", {}, headers={"If-Match": '"1"'}),
            412, "precondition_failed")  # If-Match on a missing resource never matches
    problem(call(server, "GET", "/v1/skills/new"), 404, "not_found")


def test_the_tenant_comes_from_the_token(server):
    assert ok(server, "GET", "/v1/tenant")["name"] == "test"
    # a token naming another tenant, or none, or garbage: 401, never another tenant's data
    secret = server.token.split(".", 2)[2]
    for token in (f"sbt.999.{secret}", f"sbt.1.{secret}x", "garbage", ""):
        r = server.http.get(server.url + "/v1/skills", headers={"Authorization": "Bearer " + token}, timeout=5)
        problem(r, 401, "unauthenticated")


# ---- referential integrity ----------------------------------------------------------


def base_refs(s):
    create(s, "skills", {"id": "billing"})
    create(s, "teams", {"id": "blue"})
    create(s, "capacity-profiles", {"id": "blended"})
    create(s, "queues", {"id": "q1", "steps": [{"expression": "agent.skills.billing >= 1"}]})


@pytest.mark.parametrize("agent, field", [
    ({"skills": {"sales": 3}}, "skills"),
    ({"skills": {"billing": 3}, "queues": ["q1", "q2"]}, "queues"),
    ({"teams": ["blue", "red"]}, "teams"),
    ({"capacity_profile": "nights"}, "capacity_profile"),
])
def test_agent_references_must_exist(server, agent, field):
    base_refs(server)
    p = problem(call(server, "POST", "/v1/agents", {"id": "a", **agent}), 400, "invalid_field")
    assert p["field"] == field
    problem(call(server, "GET", "/v1/agents/a"), 404, "not_found")
    # and the same through PUT
    p = problem(call(server, "PUT", "/v1/agents/a", agent), 400, "invalid_field")
    assert p["field"] == field


def test_agent_with_every_reference_known(server):
    base_refs(server)
    a = create(server, "agents", {"id": "a", "skills": {"billing": 3}, "queues": ["q1"],
                                  "teams": ["blue"], "capacity_profile": "blended"})
    assert a["version"] == 1


def test_user_agent_must_exist(server):
    p = problem(call(server, "POST", "/v1/users", {"id": "u", "display_name": "U", "role": "agent",
                                                   "agent": "ghost"}), 400, "invalid_field")
    assert p["field"] == "agent"


def test_queue_overflow_must_exist(server):
    p = problem(call(server, "POST", "/v1/queues", {"id": "q", "steps": [{}],
                                                    "overflow": {"at_max_wait": "cb"}}),
                400, "invalid_field")
    assert p["field"] == "overflow.at_max_wait"
    create(server, "queues", {"id": "cb", "steps": [{}]})
    create(server, "queues", {"id": "q", "steps": [{}], "overflow": {"at_max_wait": "cb"}})


@pytest.mark.parametrize("expr, position, what", [
    ("agent.skills.sales >= 1", 0, "sales"),
    ("agent.skills.billing >= 1 or agent.skills.sales > 2", 29, "sales"),
    ("agent.skills.billing >= 1 and interaction.vip = true", 30, "vip"),
    ("(agent.skills.billing > 0) and agent.region = 'north'", 31, "region"),
    ("agent.skills.billing > 0 and interaction.seniority > 1", 29, "seniority"),
])
def test_queue_expression_naming_unknown_things(server, expr, position, what):
    create(server, "skills", {"id": "billing"})
    # "seniority" exists, but for agents: interaction.seniority is still unknown
    create(server, "custom-fields", {"id": "seniority", "entity": "agent", "type": "number"})
    body = {"id": "q", "steps": [{"expression": "agent.skills.billing >= 1"},
                                 {"expression": expr, "after_seconds": 10}]}
    p = problem(call(server, "POST", "/v1/queues", body), 400, "invalid_expression")
    assert p["field"] == "steps[1].expression"
    assert p["position"] == position
    assert expr[position:].split(" ")[0].endswith(what)
    assert what in p["detail"]
    problem(call(server, "GET", "/v1/queues/q"), 404, "not_found")


def test_queue_expression_syntax_error_position(server):
    create(server, "skills", {"id": "billing"})
    p = problem(call(server, "POST", "/v1/queues",
                     {"id": "q", "steps": [{"expression": "agent.skills.billing >= "}]}),
                400, "invalid_expression")
    assert p["field"] == "steps[0].expression" and p["position"] == 24
    p = problem(call(server, "POST", "/v1/queues",
                     {"id": "q", "steps": [{"expression": "agent.skills.billing in [1, 2"}]}),
                400, "invalid_expression")
    assert p["position"] == len("agent.skills.billing in [1, 2")


def test_queue_order_by_is_checked(server):
    create(server, "skills", {"id": "billing"})
    p = problem(call(server, "POST", "/v1/queues",
                     {"id": "q", "steps": [{}], "selection": "most_skilled",
                      "order_by": "agent.skills.sales"}), 400, "invalid_expression")
    assert p["field"] == "order_by" and p["position"] == 0


def test_queue_expression_with_known_names(server):
    create(server, "skills", {"id": "billing"})
    create(server, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    create(server, "custom-fields", {"id": "region", "entity": "agent", "type": "string"})
    expr = "agent.skills.billing >= 1 and (interaction.vip = true or agent.region = 'north')"
    q = create(server, "queues", {"id": "q", "steps": [{"expression": expr}]})
    assert q["steps"][0]["expression"] == expr


# ---- deleting what is in use ----------------------------------------------------------


def in_use(s, coll, oid, used_by):
    p = problem(call(s, "DELETE", f"/v1/{coll}/{oid}"), 409, "in_use")
    assert sorted(p["used_by"]) == sorted(used_by), p
    assert ok(s, "GET", f"/v1/{coll}/{oid}")["id"] == oid


def test_skill_in_use_by_agent_and_queue(server):
    create(server, "skills", {"id": "billing"})
    create(server, "skills", {"id": "sales"})
    create(server, "queues", {"id": "q", "steps": [{"expression": "agent.skills.billing >= 1"}]})
    create(server, "agents", {"id": "a", "skills": {"sales": 1}})
    in_use(server, "skills", "billing", ["queues/q"])
    in_use(server, "skills", "sales", ["agents/a"])
    ok(server, "PUT", "/v1/agents/a", {"skills": {}})
    call(server, "DELETE", "/v1/skills/sales", expect=204)
    ok(server, "PUT", "/v1/queues/q", {"steps": [{}]})
    call(server, "DELETE", "/v1/skills/billing", expect=204)


def test_skill_in_use_by_order_by(server):
    create(server, "skills", {"id": "billing"})
    create(server, "queues", {"id": "q", "steps": [{}], "selection": "most_skilled",
                              "order_by": "agent.skills.billing"})
    in_use(server, "skills", "billing", ["queues/q"])


def test_team_and_profile_in_use(server):
    create(server, "teams", {"id": "blue"})
    create(server, "capacity-profiles", {"id": "p"})
    create(server, "agents", {"id": "a", "teams": ["blue"], "capacity_profile": "p"})
    create(server, "agents", {"id": "b", "teams": ["blue"]})
    in_use(server, "teams", "blue", ["agents/a", "agents/b"])
    in_use(server, "capacity-profiles", "p", ["agents/a"])
    call(server, "DELETE", "/v1/agents/a", expect=204)
    call(server, "DELETE", "/v1/capacity-profiles/p", expect=204)


def test_custom_field_in_use(server):
    create(server, "custom-fields", {"id": "region", "entity": "agent", "type": "string"})
    create(server, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    create(server, "agents", {"id": "a", "attributes": {"region": "north"}})
    create(server, "queues", {"id": "q", "steps": [{}, {"expression": "interaction.vip = true",
                                                       "after_seconds": 5}]})
    in_use(server, "custom-fields", "region", ["agents/a"])
    in_use(server, "custom-fields", "vip", ["queues/q"])


def test_queue_in_use(server):
    create(server, "queues", {"id": "spill", "steps": [{}]})
    create(server, "queues", {"id": "main", "steps": [{}], "overflow": {"when_full": "spill"}})
    create(server, "queues", {"id": "served", "steps": [{}]})
    create(server, "agents", {"id": "a", "queues": ["served"]})
    in_use(server, "queues", "spill", ["queues/main"])
    in_use(server, "queues", "served", ["agents/a"])
    call(server, "DELETE", "/v1/agents/a", expect=204)
    call(server, "DELETE", "/v1/queues/served", expect=204)
    call(server, "DELETE", "/v1/queues/main", expect=204)
    call(server, "DELETE", "/v1/queues/spill", expect=204)


def test_queue_cannot_overflow_into_itself(server):
    p = problem(call(server, "POST", "/v1/queues",
                     {"id": "loop", "steps": [{}], "overflow": {"when_full": "loop"}}),
                400, "invalid_field")
    assert p["field"] == "overflow.when_full"
    problem(call(server, "GET", "/v1/queues/loop"), 404, "not_found")


def test_queue_with_an_interaction_in_it(server):
    create(server, "queues", {"id": "q", "steps": [{}]})
    i = new_ix(server, "q")
    p = problem(call(server, "DELETE", "/v1/queues/q"), 409, "in_use")
    assert p.get("used_by") == [f"interactions/{i['id']}"], p
    ok(server, "POST", f"/v1/interactions/{i['id']}/cancel")
    call(server, "DELETE", "/v1/queues/q", expect=204)


def test_agent_in_use_by_user_or_login(server):
    create(server, "agents", {"id": "a"})
    create(server, "agents", {"id": "b"})
    create(server, "users", {"id": "u", "display_name": "U", "role": "agent", "agent": "a"})
    in_use(server, "agents", "a", ["users/u"])
    ok(server, "POST", "/v1/agents/b/login")
    p = problem(call(server, "DELETE", "/v1/agents/b"), 409, "in_use")
    assert "logged in" in p["detail"]
    assert ok(server, "GET", "/v1/agents/b")["id"] == "b"
    ok(server, "POST", "/v1/agents/b/logout")
    call(server, "DELETE", "/v1/agents/b", expect=204)
    call(server, "DELETE", "/v1/users/u", expect=204)
    call(server, "DELETE", "/v1/agents/a", expect=204)


# ---- custom fields check attributes --------------------------------------------------


def ix_fields(s):
    create(s, "queues", {"id": "q", "steps": [{}]})
    create(s, "custom-fields", {"id": "account", "entity": "interaction", "type": "string",
                                "max_length": 5, "required": True})
    create(s, "custom-fields", {"id": "amount", "entity": "interaction", "type": "number",
                                "min": 0, "max": 100})
    create(s, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    create(s, "custom-fields", {"id": "tier", "entity": "interaction", "type": "enum",
                                "values": ["gold", "silver"]})
    create(s, "custom-fields", {"id": "region", "entity": "agent", "type": "string"})


@pytest.mark.parametrize("attrs, code, field", [
    ({"account": "12345", "amount": 0, "vip": False, "tier": "gold"}, None, None),
    ({"account": "1"}, None, None),
    ({"account": "123456"}, "invalid_field", "attributes.account"),
    ({"account": 12}, "invalid_field", "attributes.account"),
    ({"account": "1", "amount": 101}, "invalid_field", "attributes.amount"),
    ({"account": "1", "amount": -0.5}, "invalid_field", "attributes.amount"),
    ({"account": "1", "amount": "7"}, "invalid_field", "attributes.amount"),
    ({"account": "1", "vip": "yes"}, "invalid_field", "attributes.vip"),
    ({"account": "1", "tier": "bronze"}, "invalid_field", "attributes.tier"),
    ({"account": "1", "tier": 1}, "invalid_field", "attributes.tier"),
    ({}, "invalid_field", "attributes.account"),
    ({"amount": 5}, "invalid_field", "attributes.account"),
    ({"account": "1", "color": "red"}, "unknown_field", "attributes.color"),
    ({"account": "1", "region": "north"}, "unknown_field", "attributes.region"),
])
def test_interaction_attributes_follow_custom_fields(server, attrs, code, field):
    ix_fields(server)
    r = call(server, "POST", "/v1/interactions", {"queue": "q", "channel": "chat", "attributes": attrs})
    if code is None:
        assert r.status_code == 201, r.text
        assert r.json()["attributes"] == attrs
    else:
        p = problem(r, 400, code)
        assert p["field"] == field
        assert ok(server, "GET", "/v1/interactions")["items"] == []


def test_interaction_attributes_must_be_an_object(server):
    ix_fields(server)
    p = problem(call(server, "POST", "/v1/interactions",
                     {"queue": "q", "channel": "chat", "attributes": ["account"]}), 400, "invalid_field")
    assert p["field"] == "attributes"


def test_patch_attributes_is_checked_too(server):
    ix_fields(server)
    i = new_ix(server, "q", attributes={"account": "1"})
    p = problem(call(server, "PATCH", f"/v1/interactions/{i['id']}", {"attributes": {"account": "1", "amount": 500}}),
                400, "invalid_field")
    assert p["field"] == "attributes.amount"
    p = problem(call(server, "PATCH", f"/v1/interactions/{i['id']}", {"attributes": {"amount": 5}}),
                400, "invalid_field")
    assert p["field"] == "attributes.account"
    assert ok(server, "GET", f"/v1/interactions/{i['id']}")["attributes"] == {"account": "1"}


@pytest.mark.parametrize("attrs, code, field", [
    ({"region": "north", "tenure": 3, "certified": True}, None, None),
    ({"region": 5}, "invalid_field", "attributes.region"),
    ({"tenure": "long"}, "invalid_field", "attributes.tenure"),
    ({"tenure": 99}, "invalid_field", "attributes.tenure"),
    ({"certified": 1}, "invalid_field", "attributes.certified"),
    ({"shoe_size": 44}, "unknown_field", "attributes.shoe_size"),
    ({"vip": True}, "unknown_field", "attributes.vip"),  # an interaction field
])
def test_agent_attributes_follow_custom_fields(server, attrs, code, field):
    create(server, "custom-fields", {"id": "region", "entity": "agent", "type": "string", "max_length": 10})
    create(server, "custom-fields", {"id": "tenure", "entity": "agent", "type": "number", "min": 0, "max": 50})
    create(server, "custom-fields", {"id": "certified", "entity": "agent", "type": "boolean"})
    create(server, "custom-fields", {"id": "vip", "entity": "interaction", "type": "boolean"})
    r = call(server, "POST", "/v1/agents", {"id": "a", "attributes": attrs})
    if code is None:
        assert r.status_code == 201, r.text
        assert r.json()["attributes"] == attrs
    else:
        p = problem(r, 400, code)
        assert p["field"] == field
        problem(call(server, "GET", "/v1/agents/a"), 404, "not_found")


def test_required_agent_field(server):
    create(server, "custom-fields", {"id": "site", "entity": "agent", "type": "enum",
                                     "values": ["paris", "oslo"], "required": True})
    p = problem(call(server, "POST", "/v1/agents", {"id": "a"}), 400, "invalid_field")
    assert p["field"] == "attributes.site"
    create(server, "agents", {"id": "a", "attributes": {"site": "oslo"}})


def test_redefining_a_field_in_use_keeps_agents_valid(server):
    create(server, "custom-fields", {"id": "region", "entity": "agent", "type": "string"})
    create(server, "agents", {"id": "a", "attributes": {"region": "north"}})
    r = call(server, "PUT", "/v1/custom-fields/region", {"entity": "agent", "type": "number"})
    assert r.status_code in (400, 409), r.text
    assert ok(server, "GET", "/v1/custom-fields/region")["type"] == "string"
