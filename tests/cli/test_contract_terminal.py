"""What the terminal shows (issue 10, items 8-12): text from outside made harmless, a sane time left,
one spelling of true and false, rules in words rather than feature ids, and hints that name real options."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from inboxctl.cli import output
from inboxctl.cli.global_options import GLOBAL_OPTIONS
from inboxctl.cli.main import cli
from inboxctl.cli.progress import Estimate, ProgressBar, duration_text

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
TITLE, CLEAR = "\x1b]0;pwned\x07", "\x1b[2J"
LINK = "\x1b]8;;https://evil.example/\x1b\\Open your invoice\x1b]8;;\x1b\\"
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile(db: sqlite3.Connection) -> str:
    """The first conversation, written by an attacker: its subject, contact name and message."""
    conversation_id, contact_id = db.execute("SELECT id, contact_id FROM conversations ORDER BY id LIMIT 1").fetchone()
    with db:
        db.execute("UPDATE conversations SET subject = ? WHERE id = ?", (f"{TITLE}Refund{CLEAR}", conversation_id))
        db.execute("UPDATE contacts SET name = ? WHERE id = ?", (f"Eve {LINK}\u202egnp.exe", contact_id))
        db.execute("UPDATE messages SET body = ? WHERE conversation_id = ?",
                   (f"Hello\r{CLEAR}Your account is closed.\nRegards", conversation_id))
    return str(conversation_id)


# -- 8. escape sequences from outside -------------------------------------------------------------------

def test_conv_list_shows_escape_sequences_as_visible_text(run, hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    listed = run("conv", "list", "--sort", "oldest", "--limit", "1", "--include-trash", "--include-filtered")
    assert listed.exit_code == 0
    assert RAW_CONTROL.search(listed.stdout) is None
    assert "\\x1b]0;pwned\\x07Refund" in listed.stdout  # visible, and the rest of the subject kept
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: False)
    piped = run("conv", "list", "--sort", "oldest", "--limit", "1", "--include-trash", "--include-filtered")
    assert RAW_CONTROL.search(piped.stdout.replace("\t", "")) is None


def test_conv_show_neutralises_the_subject_names_and_a_carriage_return_in_a_message(run, hostile: str) -> None:
    shown = run("conv", "show", hostile)
    assert shown.exit_code == 0
    assert RAW_CONTROL.search(shown.stdout) is None
    assert f"Conversation {hostile}: \\x1b]0;pwned\\x07Refund\\x1b[2J" in shown.stdout
    assert "\\x1b]8;;https://evil.example/\\x1b\\Open your invoice" in shown.stdout and "\\u202egnp.exe" in shown.stdout
    assert "    Hello\n    \\x1b[2JYour account is closed.\n    Regards" in shown.stdout  # \r cannot overwrite


def test_json_output_keeps_the_data_exactly(run, hostile: str) -> None:
    shown = json.loads(run("conv", "show", hostile, "-o", "json").stdout)
    assert shown["subject"] == f"{TITLE}Refund{CLEAR}" and shown["contact"]["name"] == f"Eve {LINK}\u202egnp.exe"
    listed = run("conv", "list", "--sort", "oldest", "--limit", "1", "--include-trash", "--include-filtered", "-o",
                 "jsonl")
    assert "\u202e" not in listed.stdout  # written as \u202e: the same data, nothing a terminal obeys
    assert json.loads(listed.stdout)["contact_name"] == f"Eve {LINK}\u202egnp.exe"


def test_a_confirmation_sample_shows_no_raw_escape(run, hostile: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from inboxctl.cli import confirm

    monkeypatch.setattr(confirm, "stdin_is_terminal", lambda: True)
    asked = run("conv", "trash", "--search", "Refund", "--include-filtered", input="n\n")
    assert "Refund" in asked.stderr and RAW_CONTROL.search(asked.stderr) is None


def test_plan_and_apply_show_an_inbox_name_with_escapes_as_text(run, tmp_path: Path) -> None:
    path = tmp_path / "evil.toml"
    path.write_text('[inbox]\nname = "Help \\u001b]0;owned\\u0007desk"\n', encoding="utf-8")
    for args in (("plan", str(path)), ("plan", str(path), "-o", "markdown"), ("apply", str(path), "--yes")):
        result = run(*args)
        assert result.exit_code == 0
        assert RAW_CONTROL.search(result.stdout + result.stderr) is None
        assert "Help \\x1b]0;owned\\x07desk" in result.stdout + result.stderr
    assert json.loads(run("plan", str(path), "--prune", "-o", "json").stdout)["changes"] == []
    exported = run("export", "--inbox", "Help \x1b]0;owned\x07desk")
    assert exported.exit_code == 0 and 'name = "Help \\u001b]0;owned\\u0007desk"' in exported.stdout  # TOML data


# -- 9. the time left ----------------------------------------------------------------------------------

def test_a_slow_start_never_shows_an_absurd_time_left() -> None:
    """A 4-second run: the first result after 1 s, then 1000 results in batches of 100 over 3 s."""
    times = iter([1.0 + 0.3 * step for step in range(11)])
    stream = io.StringIO()
    bar = ProgressBar(1000, "close", stream=stream, clock=lambda: next(times))
    for _ in range(10):
        bar.update(100)
    shown = [float(value) for value in re.findall(r"eta (\d+)s", stream.getvalue())]
    assert shown and all(value <= 3 for value in shown)  # at most the 3 s left, never hours
    assert "eta" not in stream.getvalue().split("\r")[-1]  # the finished bar says no time left


def test_the_estimate_waits_until_the_pace_is_known() -> None:
    estimate = Estimate(100)
    assert estimate.seconds_left(1, now=10.0) is None  # the first result: no pace yet
    assert estimate.seconds_left(2, now=10.5) is None  # half a second of it: not enough
    assert estimate.seconds_left(21, now=12.0) == pytest.approx(2 / 20 * 79)
    assert estimate.seconds_left(100, now=20.0) is None
    assert [duration_text(s) for s in (0.2, 4, 65, 3725)] == ["1s", "4s", "1m 05s", "1h 02m"]


def test_a_bulk_run_on_a_terminal_ends_with_a_full_bar(run, db: sqlite3.Connection,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "stderr_is_terminal", lambda: True)
    result = run("conv", "close", "--inbox", "Support", "--status", "open", "--yes")
    assert result.exit_code == 0
    last_draw = result.stderr.split("\n")[0].split("\r")[-1]
    assert re.fullmatch(r"close \[#{30}\] (\d+)/\1", last_draw)
    assert not re.search(r"eta \d+h", result.stderr)


# -- 10. one spelling of true and false -------------------------------------------------------------------

def test_csv_writes_booleans_and_tables_as_json_does(run, db: sqlite3.Connection) -> None:
    as_json = [json.loads(line) for line in run("conv", "list", "--limit", "5", "-o", "jsonl").stdout.splitlines()]
    as_csv = list(csv.DictReader(io.StringIO(run("conv", "list", "--limit", "5", "-o", "csv").stdout, newline="")))
    assert len(as_csv) == len(as_json) == 5
    for json_row, csv_row in zip(as_json, as_csv, strict=True):
        for key, value in json_row.items():
            as_json_text = json.dumps(value) if isinstance(value, (bool, list, dict)) else str(value)
            assert csv_row[key] == ("" if value is None else as_json_text), key
    assert {row["spam"] for row in as_csv} <= {"true", "false"}


# -- 11. rules in words, not feature ids -------------------------------------------------------------------

FEATURE_ID = re.compile(r"\bF\d{1,2}\b")


Path_ = tuple[str, ...]


def every_command(group: click.Group = cli, path: Path_ = ()) -> Iterator[tuple[Path_, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))


def test_no_help_text_names_a_feature_id(run) -> None:
    pages = {(): run("--help").stdout} | {path: run(*path, "--help").stdout for path, _ in every_command()}
    named = {" ".join(path): FEATURE_ID.findall(page) for path, page in pages.items() if FEATURE_ID.search(page)}
    assert named == {}


def test_the_schema_editors_show_names_no_feature_id(run) -> None:
    assert not FEATURE_ID.search(run("schema").stdout)


def message_strings(tree: ast.AST) -> Iterator[str]:
    """Every string literal of a module but its docstrings; an f-string with its fields as X."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    inside_fstrings = {id(value) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for value in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
              and id(node) not in inside_fstrings):
            yield node.value


SOURCES = sorted((REPO / "inboxctl").rglob("*.py"))


SQL_COMMENT = re.compile(r"\s--\s.*$", re.MULTILINE)  # the schema's comments are for developers


def test_no_message_names_a_feature_id() -> None:
    found = {f"{path.relative_to(REPO)}: {text!r}" for path in SOURCES
             for text in message_strings(ast.parse(path.read_text(encoding="utf-8")))
             if FEATURE_ID.search(SQL_COMMENT.sub("", text))}
    assert found == set()


def test_a_refused_rule_is_said_in_words(run, tmp_path: Path) -> None:
    path = tmp_path / "seatless.toml"
    path.write_text('[inbox]\nname = "Seatless"\n\n[routing]\nmode = "users_and_teams"\n'
                    'users = ["erin@acme.example"]\n', encoding="utf-8")
    result = run("plan", str(path))
    assert "erin@acme.example has no paid seat, and only users with one can be routing targets" in result.stderr
    assert not FEATURE_ID.search(result.stderr)


# -- 12. hints name options that exist ----------------------------------------------------------------------

COMMAND_LINE = re.compile(r"inboxctl((?: +[^\s`'\"|;&()<>\[\]]+)+)")


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command a command line names, and the words after it (the global options left out)."""
    command: click.Command = cli
    rest = list(words)
    while rest:
        word = rest[0]
        if word in GLOBAL_OPTIONS or word.split("=")[0] in GLOBAL_OPTIONS:
            rest = rest[2:] if word == "--profile" else rest[1:]
            continue
        if not isinstance(command, click.Group):
            break
        sub = command.get_command(click.Context(command), "conversations" if word == "conv" else word)
        if sub is None:
            break
        command, rest = sub, rest[1:]
    return command, rest


def unknown_options(line: str) -> list[str]:
    command, rest = resolve(line.split())
    if command is cli:
        return []  # prose that mentions inboxctl, not a command line
    known = {name for param in command.params if isinstance(param, click.Option)
             for name in (*param.opts, *param.secondary_opts)} | set(GLOBAL_OPTIONS) | {"--help", "-h"}
    return [word for word in rest if word.startswith("-") and word != "-" and word.split("=")[0] not in known
            and not word.startswith("---")]


def suggested_command_lines() -> Iterator[tuple[str, str]]:
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            texts = ([node.value] if isinstance(node, ast.Constant) and isinstance(node.value, str) else
                     ["".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)]
                     if isinstance(node, ast.JoinedStr) else [])
            for text in texts:
                yield from ((str(path.relative_to(REPO)), m.group(0)) for m in COMMAND_LINE.finditer(text))
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        yield from (("README.md", m.group(0)) for m in COMMAND_LINE.finditer(line))


def test_every_command_line_in_messages_help_and_readme_names_options_that_exist() -> None:
    lines = list(suggested_command_lines())
    assert len(lines) > 100  # the scan finds them: help examples, hints, the README
    wrong = {f"{where}: {line} -> {unknown}" for where, line in lines if (unknown := unknown_options(line))}
    assert wrong == set()


@pytest.mark.parametrize("args", [("local", "reset"), ("profile", "remove", "staging"), ("conv", "trash", "2"),
                                  ("apply", str(CONFIGS)), ("conv", "undo")])
def test_a_refusal_to_go_ahead_names_only_options_of_the_command(run, db: sqlite3.Connection,
                                                                 args: tuple[str, ...]) -> None:
    run("profile", "add", "staging", "--backend", "chatwoot", "--url", "https://chat.example.com", "--account-id", "1")
    if args[:2] == ("conv", "undo"):
        assert run("conv", "trash", "2", "--yes").exit_code == 0  # a journal to undo
    result = run(*args)
    assert result.exit_code == 1 and "refusing" in result.stderr, result.stderr
    hint = result.stderr.split("hint:")[1]
    assert "--yes" in hint
    assert unknown_options("inboxctl " + " ".join(args) + " " + " ".join(re.findall(r"--[a-z-]+", hint))) == []
