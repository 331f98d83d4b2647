"""Every request the backend sends, checked against Chatwoot's OpenAPI spec and the notes on the real server.

A scenario exercises every call of ``inboxctl.backends.chatwoot.api`` against the fake server; each
recorded request must be an operation that the spec (../shared/specs/chatwoot/application_swagger.json)
or the notes (chatwoot-admin-api-notes.yaml, for what the spec omits or gets wrong) document, with
only documented query parameters and body keys.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fakes.chatwoot_setup import CONFIGS, REPO_DIR

from inboxctl.conversations.model import ActionRequest, ConversationQuery
from inboxctl.definitions.loader import load_definitions
from inboxctl.planner.service import apply_plan, make_plan

SPECS = REPO_DIR.parent / "shared" / "specs" / "chatwoot"  # like tests/conftest.py's SHARED_DIR
SWAGGER, NOTES = SPECS / "application_swagger.json", SPECS / "chatwoot-admin-api-notes.yaml"
pytestmark = pytest.mark.skipif(not (SWAGGER.is_file() and NOTES.is_file()),
                                reason=f"the Chatwoot spec and notes are not at {SPECS} (../shared is absent)")


# -- the documents ------------------------------------------------------------------------------------

@cache
def swagger() -> dict[str, Any]:
    return json.loads(SWAGGER.read_text())


@cache
def notes() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(NOTES.read_text())


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = swagger()["components"]["schemas" if "/schemas/" in schema["$ref"] else "parameters"][name]
    return schema


def _properties(schema: Any) -> set[str]:
    """Every property name a (possibly composed: oneOf, anyOf, allOf) schema allows."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return set()
    names = set(schema.get("properties") or {})
    for key in ("oneOf", "anyOf", "allOf"):
        for part in schema.get(key, []):
            names |= _properties(part)
    return names


def swagger_operations(method: str, path: str) -> list[dict[str, Any]]:
    operations = []
    for template, operations_by_method in swagger()["paths"].items():
        operation = operations_by_method.get(method.lower())
        if operation and _template(template).match(path):
            parameters = [_resolve(p) for p in operation.get("parameters", []) + operations_by_method.get(
                "parameters", [])]
            body = ((operation.get("requestBody") or {}).get("content") or {}).get("application/json", {})
            operations.append({"source": f"spec {method} {template}",
                               "query": {p["name"] for p in parameters if p.get("in") == "query"},
                               "body": _properties(body.get("schema", {}))})
    return operations


def notes_operations(method: str, path: str) -> list[dict[str, Any]]:
    operations = []
    for endpoint in notes()["endpoints"]:
        template = endpoint["path"].replace("{a}", "{account_id}")
        if method in endpoint["method"].split("|") and _template(template).match(path):
            body = endpoint.get("body") if isinstance(endpoint.get("body"), dict) else {}
            query = endpoint.get("query") if isinstance(endpoint.get("query"), dict) else {}
            paged = {"page"} if endpoint["op"].startswith("conversations") else set()
            operations.append({"source": f"notes {endpoint['op']}", "query": set(query) | paged, "body": set(body)})
    return operations


# -- the checks ------------------------------------------------------------------------------------------

def problems_with(method: str, path: str, query: dict[str, list[str]], body: Any) -> list[str]:
    operations = swagger_operations(method, path) + notes_operations(method, path)
    if not operations:
        return [f"{method} {path}: neither the spec nor the notes document this operation"]
    allowed_query = set().union(*(operation["query"] for operation in operations))
    problems = [f"{method} {path}: query parameter {key!r} is not documented"
                for key in query if key.removesuffix("[]") not in allowed_query]
    allowed_body = set().union(*(operation["body"] for operation in operations))
    if isinstance(body, dict):
        allowed_body |= _extra_body_keys(path)
        problems += [f"{method} {path}: body key {key!r} is not documented" for key in body if key not in allowed_body]
        problems += _nested_problems(method, path, body)
    return problems


def _extra_body_keys(path: str) -> set[str]:
    if re.search(r"/inboxes(/\d+)?$", path):  # permitted by the controller, per the notes
        fields = notes()["inbox_fields"]
        return set(fields["top_level_permitted"]) | set(fields["enterprise_extra"]) | {"working_hours", "channel"}
    return set()


def _nested_problems(method: str, path: str, body: dict[str, Any]) -> list[str]:
    problems = []
    if "channel" in body and re.search(r"/inboxes(/\d+)?$", path):
        spec = swagger()["components"]["schemas"]
        allowed = {"type"} | {key for name, schema in spec.items() if name.startswith("inbox_")
                              and name.endswith("_channel_payload") for key in _properties(schema)}
        allowed |= {key for attributes in notes()["inbox_fields"]["channel_editable_attrs"].values()
                    if isinstance(attributes, list) for key in attributes}
        problems += [f"{method} {path}: channel key {key!r} is not documented" for key in body["channel"]
                     if key not in allowed]
    for row in body.get("working_hours") or []:
        allowed = set(notes()["inbox_fields"]["working_hours"]["item"])
        problems += [f"{method} {path}: working_hours key {key!r}" for key in row if key not in allowed]
    if "/automation_rules" in path:
        problems += _rule_problems(method, path, body)
    if path.endswith("/bulk_actions"):
        allowed = set(next(e for e in notes()["endpoints"] if e["op"] == "bulk_actions")["body"]["fields"])
        problems += [f"bulk field {key!r}" for key in body.get("fields", {}) if key not in allowed]
    if path.endswith("/inbox_members"):
        problems += [f"{method} {path}: user_ids must be integers" for i in body.get("user_ids", [])
                     if not isinstance(i, int)]
    if path.endswith("/conversations/filter"):
        item = swagger()["paths"]["/api/v1/accounts/{account_id}/conversations/filter"]["post"]["requestBody"]
        schema = item["content"]["application/json"]["schema"]["properties"]["payload"]["items"]
        problems += [f"filter key {key!r}" for condition in body["payload"] for key in condition
                     if key not in schema["properties"]]
        problems += [f"filter operator {c['filter_operator']!r}" for c in body["payload"]
                     if c["filter_operator"] not in schema["properties"]["filter_operator"]["enum"]]
    return problems


def _rule_problems(method: str, path: str, body: dict[str, Any]) -> list[str]:
    automation = notes()["automation"]
    problems = []
    for condition in body.get("conditions", []):
        problems += [f"condition key {key!r}" for key in condition if key not in automation["condition_item"]]
        if condition["attribute_key"] not in automation["condition_keys"]:
            problems.append(f"condition attribute {condition['attribute_key']!r}")
        if condition["filter_operator"] not in automation["filter_operators"]:
            problems.append(f"condition operator {condition['filter_operator']!r}")
    for action in body.get("actions", []):
        problems += [f"action key {key!r}" for key in action if key not in automation["action_item"]]
        if action["action_name"] not in automation["actions"]:
            problems.append(f"action {action['action_name']!r}")
    if body.get("event_name") not in automation["event_names"]:
        problems.append(f"event {body.get('event_name')!r}")
    return problems


# -- the scenario ----------------------------------------------------------------------------------------

def scenario(fake, backend, tmp_path: Path, monkeypatch) -> None:
    backend.whoami()
    apply_plan(backend, make_plan(backend, load_definitions([CONFIGS])))
    (tmp_path / "partners.toml").write_text('[inbox]\nname = "Partners"\n')  # no members left
    monkeypatch.setenv("INBOXCTL_WHATSAPP_33123456789", json.dumps(
        {"api_key": "k", "phone_number_id": "1", "business_account_id": "2"}))
    (tmp_path / "sales.toml").write_text((CONFIGS / "sales.toml").read_text().split("[[channels]]")[0]
                                         + '[[channels]]\ntype = "whatsapp"\nphone = "+33123456789"\n')
    apply_plan(backend, make_plan(backend, load_definitions([tmp_path]), prune=True))
    ids = fake.seed_conversations(30)
    list(backend.list_conversations(ConversationQuery(inbox="Bulk", status="open", assignee="alice@acme.example",
                                                      search="Question", sort="oldest")))
    list(backend.list_conversations(ConversationQuery(unassigned=True)))
    backend.get_conversation(str(ids[0]))
    for action, extra in (("assign", {"assignee": "bob@acme.example"}), ("close", {}), ("comment", {"text": "n"}),
                          ("block-sender", {}), ("delete", {})):
        list(backend.run_action(ActionRequest(action=action, **extra), [str(ids[0])]))
    for action in ("close", "reopen", "unassign"):
        list(backend.run_action(ActionRequest(action=action), [str(i) for i in ids[1:]]))


def test_every_request_is_documented(fake, backend, tmp_path, monkeypatch):
    scenario(fake, backend, tmp_path, monkeypatch)
    problems = [problem for request in fake.requests
                for problem in problems_with(request.method, request.path, request.query, request.body)]
    assert problems == []


def test_the_scenario_uses_every_call_of_the_api_module(fake, backend, tmp_path, monkeypatch):
    scenario(fake, backend, tmp_path, monkeypatch)
    used = {(r.method, re.sub(r"/\d+", "/{id}", r.path)) for r in fake.requests}
    a = "/api/v1/accounts/{id}"
    expected = {("GET", "/api/v1/profile"), ("GET", a + "/agents"), ("GET", a + "/teams"),
                ("GET", a + "/teams/{id}/team_members"), ("GET", a + "/inboxes"), ("POST", a + "/inboxes"),
                ("PATCH", a + "/inboxes/{id}"), ("DELETE", a + "/inboxes/{id}"),
                ("GET", a + "/inbox_members/{id}"), ("PATCH", a + "/inbox_members"),
                ("DELETE", a + "/inbox_members"), ("GET", a + "/automation_rules"),
                ("POST", a + "/automation_rules"), ("PATCH", a + "/automation_rules/{id}"),
                ("DELETE", a + "/automation_rules/{id}"), ("GET", a + "/conversations"),
                ("POST", a + "/conversations/filter"), ("GET", a + "/conversations/{id}"),
                ("GET", a + "/conversations/{id}/messages"), ("POST", a + "/conversations/{id}/messages"),
                ("POST", a + "/conversations/{id}/toggle_status"), ("POST", a + "/conversations/{id}/assignments"),
                ("POST", a + "/bulk_actions"), ("DELETE", a + "/conversations/{id}"), ("PUT", a + "/contacts/{id}")}
    assert expected - used == set()


def test_the_checker_catches_what_is_not_documented():
    assert problems_with("POST", "/api/v1/accounts/1/trash", {}, {}) != []
    assert "query parameter 'per_page'" in problems_with("GET", "/api/v1/accounts/1/conversations",
                                                         {"per_page": ["100"]}, None)[0]
    assert problems_with("PATCH", "/api/v1/accounts/1/inbox_members", {}, {"inbox_id": 1, "user_ids": ["2"]})
    assert problems_with("POST", "/api/v1/accounts/1/automation_rules", {}, {
        "name": "x", "event_name": "conversation_created", "conditions": [],
        "actions": [{"action_name": "assign_owner", "action_params": []}]})
