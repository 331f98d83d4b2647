"""Fuzz: saved plans (`apply plan.json`), mutated at random, applied to a real local backend.

Every mutated plan is either refused before anything is written (a usage error naming the place in
the file) or applied, with each change applied or failed for a reason: never an internal error, and a
run that changed something exits 0 or 3, never with a refusal's code.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzkit import JSON, REMOVE, SCALARS, assert_clean_run, count, deeply_nested, fuzz_settings, paths_in, replaced
from hypothesis import given
from hypothesis import strategies as st

from inboxctl.cli.main import cli

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DATABASE = "local.sqlite3"
CONFIGURATION_TABLES = ("inboxes", "channels", "inbox_members", "inbox_teams")


@dataclass(frozen=True)
class Template:
    """A local backend's file and a plan saved against it."""

    database: Path
    plan: dict[str, Any]


def invoke(home: Path, *args: str) -> Any:
    env = {"INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "INBOXCTL_TOKEN": None,
           "INBOXCTL_PROFILE": None, "INBOXCTL_URL": None}
    return CliRunner().invoke(cli, list(args), env=env)


def saved_plan(home: Path, *args: str) -> dict[str, Any]:
    made = invoke(home, "plan", *args, "-o", "json", "--out", str(home / "plan.json"))
    assert made.exit_code == 0, made.output + made.stderr
    return json.loads((home / "plan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[Template]:
    """A fresh demo workspace with a plan of creates and updates; the same once applied, with a plan of deletes."""
    fresh = tmp_path_factory.mktemp("fresh")
    assert invoke(fresh, "conv", "list", "--limit", "1").exit_code == 0
    first = Template(fresh / DATABASE, saved_plan(fresh, str(CONFIGS)))
    applied = tmp_path_factory.mktemp("applied")
    shutil.copy(fresh / DATABASE, applied / DATABASE)
    assert invoke(applied, "apply", str(CONFIGS), "--yes").exit_code == 0
    second = Template(applied / DATABASE, saved_plan(applied, str(CONFIGS / "minimal.toml"), "--prune",
                                                     "--max-deletes", "10"))
    assert {change["action"] for change in second.plan["changes"]} == {"delete"}
    return [first, second]


def configuration(database: Path) -> list[list[tuple]]:
    """The rows of the configuration tables: what an apply may change."""
    with sqlite3.connect(database) as connection:
        return [sorted(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in CONFIGURATION_TABLES]


# ---------------------------------------------------------------------------------------------
# Mutations


def mutated(data: st.DataObject, plan: dict[str, Any]) -> Any:
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        places = paths_in(plan)
        # Half the time, a place that decides what is written (not the before/after shown to the reviewer).
        deciding = [place for place in places if len(place) >= 3 and place[0] == "changes" and place[2] != "fields"]
        path = data.draw(st.sampled_from(deciding if deciding and data.draw(st.booleans()) else places), label="place")
        plan = data.draw(st.sampled_from(_MUTATIONS), label="mutation")(data, plan, path)
    if data.draw(st.booleans(), label="summary kept consistent"):  # else the summary check refuses most
        plan = recounted(plan)
    return plan


def recounted(plan: Any) -> Any:
    changes = plan.get("changes") if isinstance(plan, dict) else None
    if not isinstance(changes, list) or not all(isinstance(change, dict) for change in changes):
        return plan
    actions = [change.get("action") for change in changes]
    return {**plan, "summary": {action: actions.count(action) for action in ("create", "update", "delete")}}


def _replace(data: st.DataObject, plan: Any, path: tuple) -> Any:
    return replaced(plan, path, data.draw(JSON, label="new value"))


def _retype(data: st.DataObject, plan: Any, path: tuple) -> Any:
    return replaced(plan, path, data.draw(SCALARS, label="new scalar"))


def _remove(data: st.DataObject, plan: Any, path: tuple) -> Any:
    return replaced(plan, path, REMOVE) if path else plan


def _swap(data: st.DataObject, plan: Any, path: tuple) -> Any:
    """A value from elsewhere in the same plan: plausible, and wrong in subtle ways."""
    other = data.draw(st.sampled_from(paths_in(plan)), label="from")
    value: Any = plan
    for part in other:
        value = value[part]
    return replaced(plan, path, value)


def _duplicate(data: st.DataObject, plan: Any, path: tuple) -> Any:
    changes = plan.get("changes") if isinstance(plan, dict) else None
    if not isinstance(changes, list) or not changes:
        return plan
    return {**plan, "changes": [*changes, data.draw(st.sampled_from(changes), label="repeated")]}


def _nest(data: st.DataObject, plan: Any, path: tuple) -> Any:
    value: Any = "deep"
    for _ in range(data.draw(st.integers(min_value=30, max_value=200), label="depth")):
        value = [value]
    return replaced(plan, path, value)


# Values a reviewed plan could hold, in the wrong place: unknown, deactivated or seatless users, other
# teams, other inboxes' names and channels, names differing only in case (Über, the Kelvin sign).
PLAUSIBLE = st.sampled_from([
    "Support", "support", "SUPPORT", "Sales", "Partners", "Über", "über", "\u212aelvin", "kelvin", "Straße", "STRASSE",
    "alice@acme.example", "ALICE@acme.example", "frank@acme.example", "erin@acme.example", "nobody@acme.example",
    "Tier 1", "tier 1", "Billing", "No Such Team", "Support Pipeline", "New", "Resolved", "support@acme.example",
    "sales@acme.example", "Website chat", "Acme Outlet", "Acme Corp", "Contact us", "+33123456789", "create",
    "update", "delete", "inbox", "channel", "email", "chat", "messenger", "form", "whatsapp", "calling", True,
    False, None, [], {}, ["alice@acme.example"], ["Tier 2", "Sales EMEA"], "unassigned", "contact_owner"])


def _plausible(data: st.DataObject, plan: Any, path: tuple) -> Any:
    return replaced(plan, path, data.draw(PLAUSIBLE, label="plausible value")) if path else plan


PLAUSIBLE_TEXT = st.sampled_from([value for value in PLAUSIBLE.elements if isinstance(value, str)])


def _same_kind(data: st.DataObject, plan: Any, path: tuple) -> Any:
    """A plausible value of the kind already there: the format holds, the meaning changes."""
    value: Any = plan
    for part in path:
        value = value[part]
    if isinstance(value, bool):
        return replaced(plan, path, not value)
    if isinstance(value, str):
        return replaced(plan, path, data.draw(PLAUSIBLE_TEXT, label="same kind"))
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return replaced(plan, path, data.draw(st.lists(PLAUSIBLE_TEXT, max_size=3), label="same kind"))
    return plan


def _retarget(data: st.DataObject, plan: Any, path: tuple) -> Any:
    """A change aimed at another inbox or channel: one that exists, differs in case only, or is not there."""
    changes = plan.get("changes") if isinstance(plan, dict) else None
    if not isinstance(changes, list) or not changes:
        return plan
    index = data.draw(st.integers(min_value=0, max_value=len(changes) - 1), label="retargeted")
    change = changes[index]
    if not isinstance(change, dict):
        return plan
    name = data.draw(PLAUSIBLE_TEXT, label="target")
    if change.get("kind") == "channel" and data.draw(st.booleans(), label="the channel itself"):
        key = {"email": "address", "chat": "name", "messenger": "page", "form": "form"}.get(change.get("channel_type"))
        desired = change.get("desired")
        if isinstance(desired, dict) and key in desired:
            change = {**change, "channel_key": name, "desired": {**desired, key: name}}
    else:
        change = {**change, "inbox": name}
    action = data.draw(st.sampled_from([change.get("action"), "create", "update", "delete"]), label="action")
    if action == "delete":
        change = {**change, "desired": None}
    return {**plan, "changes": [*changes[:index], {**change, "action": action}, *changes[index + 1:]]}


def _drop_change(data: st.DataObject, plan: Any, path: tuple) -> Any:
    changes = plan.get("changes") if isinstance(plan, dict) else None
    if not isinstance(changes, list) or not changes:
        return plan
    index = data.draw(st.integers(min_value=0, max_value=len(changes) - 1), label="dropped")
    return {**plan, "changes": changes[:index] + changes[index + 1:]}


_MUTATIONS = (_replace, _retype, _remove, _swap, _duplicate, _nest, _plausible, _drop_change, _drop_change,
              *[_same_kind] * 6, *[_retarget] * 6)


def file_text(data: st.DataObject, plan: Any) -> bytes:
    """The plan as written, now and then damaged as a file: cut short, not UTF-8, nested without end."""
    text = json.dumps(plan, indent=2, ensure_ascii=False).encode()
    damage = data.draw(st.sampled_from(["none"] * 12 + ["cut", "bytes", "deep", "empty"]), label="file damage")
    if damage == "cut":
        return text[: data.draw(st.integers(min_value=0, max_value=len(text)), label="cut at")]
    if damage == "bytes":
        where = data.draw(st.integers(min_value=0, max_value=len(text) - 1), label="byte at")
        return text[:where] + bytes([data.draw(st.integers(128, 255), label="byte")]) + text[where + 1:]
    if damage == "deep":
        return deeply_nested(data.draw(st.integers(min_value=100, max_value=100_000), label="depth")).encode()
    return b"" if damage == "empty" else text


# ---------------------------------------------------------------------------------------------


@fuzz_settings(120)
@given(data=st.data())
def test_a_mutated_saved_plan_never_ends_in_an_internal_error(templates, tmp_path_factory, data):
    template = data.draw(st.sampled_from(templates), label="template")
    home = tmp_path_factory.mktemp("home")
    shutil.copy(template.database, home / DATABASE)
    (home / "plan.json").write_bytes(file_text(data, mutated(data, template.plan)))
    before = configuration(home / DATABASE)
    result = invoke(home, "apply", str(home / "plan.json"), "--yes", "--max-deletes", "10")
    count("saved plans (apply plan.json)", result.exit_code)
    assert_clean_run(result, what="apply of a mutated plan")
    if configuration(home / DATABASE) != before:
        # Something was written: the run reports each change, so it exits 0 or 3 (partial failure).
        assert result.exit_code in (0, 3), result.stderr
    if result.exit_code == 64 and "is not a plan saved by" in result.stderr:
        assert configuration(home / DATABASE) == before  # refused whole, before anything was applied
    shutil.rmtree(home)


def test_a_refused_plan_names_the_place_and_the_problem(templates, tmp_path):
    plan = json.loads(json.dumps(templates[0].plan))
    plan["changes"][0]["desired"]["routing"]["mode"] = "everyone"
    plan["changes"][1]["desired"]["protect"] = 2**80
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    shutil.copy(templates[0].database, tmp_path / DATABASE)
    result = invoke(tmp_path, "apply", str(tmp_path / "plan.json"), "--yes")
    assert result.exit_code == 64, result.stderr
    assert "is not a plan saved by `inboxctl plan --out` (format version 1): 2 problems" in result.stderr
    assert "changes[0].desired.routing.mode: 'everyone' is not a valid value" in result.stderr
    assert "changes[1].desired.protect: the number is too large" in result.stderr
