"""A saved plan is checked against its documented format (README, "The JSON plan", version 1) before use."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from inboxctl.planner.plan_file import MAX_DEPTH, PlanFileError, load_saved_plan, plan_problems

INBOX = {"members": ["alice@acme.example"], "teams": [], "protect": False, "business_hours": None,
         "email_filters": {"filter_role_based": False, "blocked_senders": []},
         "routing": {"mode": "unassigned", "users": [], "teams": [], "only_available": True,
                     "reassign_when_away": False},
         "ticket_defaults": {"enabled": False, "owner": "conversation_owner"}}
PLAN: dict[str, Any] = {
    "format_version": 1, "server": "the local backend", "fingerprint": "3f1c0d9e8a7b6c5d",
    "summary": {"create": 2, "update": 0, "delete": 1}, "notes": [], "verify_only": False, "unmanaged": [],
    "targets": [],
    "changes": [
        {"action": "create", "kind": "inbox", "inbox": "Partners", "channel_type": None, "channel_key": None,
         "fields": [{"path": "members", "before": None, "after": ["alice@acme.example"]}], "desired": INBOX,
         "adopt": False, "warnings": []},
        {"action": "create", "kind": "channel", "inbox": "Partners", "channel_type": "chat",
         "channel_key": "Partners chat", "fields": [], "adopt": False, "warnings": [],
         "desired": {"name": "Partners chat", "color": "#FF7A59"}},
        {"action": "delete", "kind": "inbox", "inbox": "Old", "channel_type": None, "channel_key": None, "fields": [],
         "desired": None, "adopt": False, "warnings": ["its 3 conversations will be deleted with it"]},
    ]}


def problems(change: Any) -> list[str]:
    plan = copy.deepcopy(PLAN)
    change(plan)
    return list(plan_problems(plan))


def test_a_plan_in_the_documented_format_has_no_problem():
    assert problems(lambda plan: None) == []


def test_optional_fields_may_be_left_out_as_in_older_plans():
    def older(plan):
        for key in ("summary", "notes", "verify_only", "unmanaged", "targets"):
            del plan[key]
    assert problems(older) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda p: p.pop("fingerprint"), "the plan: missing required key 'fingerprint'"),
    (lambda p: p.update(format_version=2), "format_version: 2 is not supported"),
    (lambda p: p.update(format_version=True), "format_version: True is not supported"),
    (lambda p: p.update(changes={}), "changes: expected a list, got an object"),
    (lambda p: p.update(extra=1), "extra: unknown key 'extra'"),
    (lambda p: p["changes"][0].update(action="upsert"), "changes[0].action: 'upsert' is not one of create"),
    (lambda p: p["changes"][0].pop("inbox"), "changes[0]: missing required key 'inbox'"),
    (lambda p: p["changes"][0].update(inbox=" Partners"), "changes[0].inbox: expected a name"),
    (lambda p: p["changes"][0]["desired"].update(protect="yes"), "changes[0].desired.protect: expected true or false"),
    (lambda p: p["changes"][0]["desired"]["routing"].update(mode="everyone"),
     "changes[0].desired.routing.mode: 'everyone' is not a valid value"),
    (lambda p: p["changes"][0]["desired"].pop("routing"), "changes[0].desired: missing required key 'routing'"),
    (lambda p: p["changes"][0]["desired"].update(members=["not an address"]),
     "changes[0].desired.members[0]: 'not an address' is not an e-mail address"),
    (lambda p: p["changes"][0]["fields"][0].pop("before"), "changes[0].fields[0]: missing required key 'before'"),
    (lambda p: p["changes"][1].update(channel_type="fax"), "changes[1].channel_type: 'fax' is not one of email"),
    (lambda p: p["changes"][1]["desired"].update(name="Other"),
     "changes[1].desired.name: 'Other' is not the change's channel_key 'Partners chat'"),
    (lambda p: p["changes"][1]["desired"].update(color=12), "changes[1].desired.color: expected a string"),
    (lambda p: p["changes"][2].update(desired={}), "changes[2].desired: a deletion writes nothing"),
    (lambda p: p["changes"].append(copy.deepcopy(p["changes"][0])), "changes[3]: changes the same inbox as changes[0]"),
    (lambda p: p["changes"][0]["desired"].update(protect=2**80), "changes[0].desired.protect: the number is too large"),
    (lambda p: p["changes"][0]["fields"][0].update(after=float("inf")), "changes[0].fields[0].after: inf is not"),
    (lambda p: p["summary"].update(create=9), "summary: {'create': 9, 'update': 0, 'delete': 1} does not count"),
])
def test_each_problem_is_named_by_its_place_in_the_file(change, expected):
    found = problems(change)
    assert any(problem.startswith(expected) for problem in found), found


def test_names_that_differ_only_in_case_are_one_resource():
    assert "changes[3]: changes the same inbox as changes[0]" in problems(
        lambda p: p["changes"].append({**copy.deepcopy(p["changes"][0]), "inbox": "PARTNERS"}))


def test_a_verify_only_plan_holds_only_what_the_server_can_check():
    def hubspot(plan):
        plan.update(verify_only=True)
        plan["changes"][0]["desired"] = {}
    assert problems(hubspot) == []


def test_deep_nesting_is_reported_without_recursing(tmp_path: Path):
    value: Any = "x"
    for _ in range(10_000):
        value = [value]
    found = problems(lambda p: p["changes"][0]["fields"][0].update(after=value))
    assert found == [f"changes[0].fields[0].after[0]…: nested more than {MAX_DEPTH} levels deep"]


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is not JSON"), (b"\xff\xfe{}", "the file is not UTF-8 text (byte 0)"),
    (b"[" * 100_000, "nested more than"), (b"null", "the file holds null, not a JSON object"),
    (b'{"format_version": NaN}', "NaN is not a number JSON allows"),
])
def test_a_file_that_is_not_a_plan_is_refused_naming_the_file(tmp_path: Path, content: bytes, expected: str):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    with pytest.raises(PlanFileError) as raised:
        load_saved_plan(path)
    assert str(path) in str(raised.value) and expected in str(raised.value)
    assert raised.value.exit_code == 64


def test_a_valid_file_loads_as_the_plan(tmp_path: Path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN), encoding="utf-8")
    plan = load_saved_plan(path)
    assert [change.address for change in plan.changes] == [
        'inbox "Partners"', 'inbox "Partners" / chat "Partners chat"', 'inbox "Old"']
