"""Text from outside never reaches the terminal raw (issue 10, item 8), whatever it holds.

Subjects, names, message bodies, server reasons, inbox names and setting values are drawn from every
Unicode character, control characters and escape sequences favoured. Human output (tables, ``show``,
plans in text and Markdown, apply steps, errors) must carry no control character but the line breaks
it writes itself; JSON output must give back exactly the data. Each test prints how many cases it ran.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inboxctl.cli import output
from inboxctl.cli.commands.conversations.render import CONVERSATION_COLUMNS, conversation_row, show_text
from inboxctl.cli.errors import report_error
from inboxctl.cli.output import RowWriter
from inboxctl.cli.render_markdown import render_plan_markdown
from inboxctl.cli.render_plan import render_plan
from inboxctl.cli.safe_text import json_safe, terminal_safe, terminal_safe_lines
from inboxctl.conversations.model import Contact, Conversation, ConversationDetail, Message
from inboxctl.errors import BackendError
from inboxctl.planner.plan import FieldChange, Plan, ResourceChange

# What a terminal obeys: C0 (but the line feeds we write), DEL, C1, bidirectional overrides and isolates.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ATTACKS = ["\x1b]0;pwned\x07", "\x1b[2J", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "\r", "\x9b31m",
           "\u202e", "\x00", "\x7f", "\t", "\n", "\r\n", "\x85", "\u2028", "\x1bP1$r\x1b\\"]
TEXT = st.lists(st.one_of(st.sampled_from(ATTACKS), st.text(max_size=6)), max_size=6).map("".join)
COUNTS: dict[str, int] = {}


def count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def print_counts() -> Iterator[None]:
    yield
    print("\nfuzzed output: " + ", ".join(f"{name} {cases} cases" for name, cases in sorted(COUNTS.items())))


# The colours inboxctl adds itself (click.style): text from outside cannot produce one, its ESC is escaped.
OUR_STYLES = re.compile(r"\x1b\[\d+(?:;\d+)*m")


def assert_no_raw_control(text: str, *, separator: str = "") -> None:
    """No control character but line feeds (and ``separator``, the tab of tab-separated lines)."""
    text = OUR_STYLES.sub("", text).replace(separator, "") if separator else OUR_STYLES.sub("", text)
    found = RAW.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()} in {text!r}"


# -- the functions every human output goes through ------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_one_line_text_has_no_control_and_no_line_break(text: str) -> None:
    count("terminal_safe")
    safe = terminal_safe(text)
    assert_no_raw_control(safe)
    assert "\n" not in safe
    assert safe == text or RAW.search(text) or "\n" in text  # plain text is left as it is


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_several_lines_keep_their_breaks_and_nothing_else(text: str) -> None:
    count("terminal_safe_lines")
    assert_no_raw_control(terminal_safe_lines(text))


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["subject", "name", "body"]), TEXT, min_size=1))
def test_json_escaping_gives_back_the_data(data: dict[str, str]) -> None:
    count("json_safe")
    text = json_safe(json.dumps(data, ensure_ascii=False))
    assert_no_raw_control(text.replace("\n", ""))
    assert json.loads(text) == data


# -- renderers, with no I/O ------------------------------------------------------------------------------

def conversation(subject: str, name: str, body: str, reason: str) -> ConversationDetail:
    found = Conversation(id="42", inbox=name, channel="email", channel_name=name, subject=subject,
                         contact=f"{name}@example.com", contact_name=name, assignee=None, assigned_to_bot=False,
                         status="open", outgoing=False, spam=False, filtered=False, has_ticket=False,
                         created_at="2024-05-01T10:00:00+00:00", updated_at="2024-05-01T10:00:00+00:00")
    return ConversationDetail(conversation=found, contact=Contact(email=found.contact, name=name, owner=reason),
                              messages=(Message(kind="incoming", author=name, body=body,
                                                created_at="2024-05-01T10:00:00+00:00"),))


@settings(max_examples=200, deadline=None)
@given(subject=TEXT, name=TEXT, body=TEXT, reason=TEXT)
def test_show_and_every_table_format_for_people(subject: str, name: str, body: str, reason: str) -> None:
    count("show and tables")
    detail = conversation(subject, name, body, reason)
    assert_no_raw_control(show_text(detail))
    for aligned in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(output, "stdout_is_terminal", lambda aligned=aligned: aligned)
            stream = io.StringIO()
            writer = RowWriter("table", CONVERSATION_COLUMNS, stream=stream)
            writer.write(conversation_row(detail.conversation, "table"))
            writer.close()
        assert_no_raw_control(stream.getvalue(), separator="" if aligned else "\t")
        assert stream.getvalue().count("\n") == (3 if aligned else 1)  # header, rule and one row; or one line
        assert aligned or stream.getvalue().count("\t") == len(CONVERSATION_COLUMNS) - 1


@settings(max_examples=100, deadline=None)
@given(subject=TEXT, name=TEXT)
def test_machine_formats_keep_the_data(subject: str, name: str) -> None:
    count("json, jsonl and csv")
    row = conversation_row(conversation(subject, name, "", "").conversation, "json")
    for fmt in ("json", "jsonl", "csv"):
        stream = io.StringIO()
        writer = RowWriter(fmt, CONVERSATION_COLUMNS, stream=stream)
        writer.write(row)
        writer.close()
        if fmt == "csv":
            back = next(csv.DictReader(io.StringIO(stream.getvalue(), newline="")))
            assert back["subject"] == subject and back["contact_name"] == name
        else:
            back = json.loads(stream.getvalue())
            assert (back[0] if fmt == "json" else back) == row


def a_plan(name: str, key: str, value: str, warning: str, note: str) -> Plan:
    changes = [ResourceChange("create", "inbox", name, fields=[FieldChange("members", None, [value])]),
               ResourceChange("update", "channel", name, "chat", key, fields=[FieldChange("color", value, key)]),
               ResourceChange("delete", "inbox", note, warnings=[warning], fields=[FieldChange("teams", [key], None)])]
    return Plan(changes=changes, server="the local backend", fingerprint="f", notes=[note], targets=[name])


@settings(max_examples=150, deadline=None)
@given(name=TEXT, key=TEXT, value=TEXT, warning=TEXT, note=TEXT)
def test_plans_in_text_and_markdown(name: str, key: str, value: str, warning: str, note: str) -> None:
    count("plans")
    plan = a_plan(name, key, value, warning, note)
    assert_no_raw_control(render_plan(plan))
    assert_no_raw_control(render_plan_markdown(plan))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reason=TEXT)
def test_errors_quoting_a_server(reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    count("errors")
    assert report_error(BackendError("the server refused", reason=reason), debug=False) == 1
    assert_no_raw_control(capsys.readouterr().err)


# -- through the CLI, against the local backend -----------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=TEXT, name=TEXT, body=TEXT)
def test_conv_list_and_show_through_the_cli(run, db: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch,
                                            subject: str, name: str, body: str) -> None:
    count("conv list and show (CLI)")
    conversation_id = db.execute("SELECT id, contact_id FROM conversations ORDER BY id LIMIT 1").fetchone()
    with db:
        db.execute("UPDATE conversations SET subject = ? WHERE id = ?", (subject, conversation_id[0]))
        db.execute("UPDATE contacts SET name = ? WHERE id = ?", (name, conversation_id[1]))
        db.execute("UPDATE messages SET body = ?, author = ? WHERE conversation_id = ?",
                   (body, name, conversation_id[0]))
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    listed = run("conv", "list", "--sort", "oldest", "--limit", "3", "--include-trash", "--include-filtered")
    shown = run("conv", "show", str(conversation_id[0]))
    for result in (listed, shown):
        assert result.exit_code == 0, result.stderr
        assert_no_raw_control(result.stdout + result.stderr)
    as_json = json.loads(run("conv", "show", str(conversation_id[0]), "-o", "json").stdout)
    assert as_json["subject"] == subject and as_json["contact"]["name"] == name


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT.filter(lambda text: text.strip() != ""))
def test_an_inbox_name_through_plan_and_apply(run, tmp_path: Path, name: str) -> None:
    count("plan and apply (CLI)")
    path = tmp_path / "inbox.toml"
    path.write_text(f"[inbox]\nname = {toml_string(name)}\n", encoding="utf-8")
    for args in (("plan", str(path)), ("plan", str(path), "-o", "markdown"), ("apply", str(path), "--dry-run")):
        result = run(*args)
        assert result.exit_code in (0, 5), result.stderr  # 5: a name TOML or the checks refuse
        assert_no_raw_control(result.stdout.replace("\n", "") + result.stderr.replace("\n", ""))
    planned = run("plan", str(path), "-o", "json")
    assert planned.exit_code == 0, planned.stderr
    assert name.strip().casefold() in {change["inbox"].casefold() for change in json.loads(planned.stdout)["changes"]}


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, but for DEL, which TOML wants escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
