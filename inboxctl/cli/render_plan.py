"""Plans and apply reports for people: +/~/- lines with field-level before -> after.

Names and values come from definitions and from the server: every line goes through ``line``,
which shows control characters as visible escapes before any colour is added (see ``safe_text``)."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click

from inboxctl.cli.safe_text import json_safe, terminal_safe
from inboxctl.definitions.writer import SECTIONS
from inboxctl.planner.plan import CREATE, DELETE, Plan, ResourceChange, UnmanagedSettings
from inboxctl.planner.verify import by_hand

SYMBOLS = {CREATE: ("+", "green"), "update": ("~", "yellow"), DELETE: ("-", "red")}


def show(value: Any) -> str:
    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)


def line(text: str, **style: Any) -> str:
    """One line for the terminal: its text made safe first, then styled (``click.style`` arguments)."""
    safe = terminal_safe(text)
    return click.style(safe, **style) if style else safe


def change_lines(change: ResourceChange) -> list[str]:
    symbol, colour = SYMBOLS[change.action]
    title = f"{symbol} {change.action} {change.address}"
    if change.adopt:
        title += "  (adopt: an existing inbox inboxctl will manage from now on)"
    lines = [line(title, fg=colour, bold=True)]
    lines += [line(f"    ! {warning}", fg="red", bold=True) for warning in change.warnings]
    for field in change.fields:
        if change.action == CREATE:
            lines.append(line(f"    {field.path} = {show(field.after)}"))
        elif change.action == DELETE:
            lines.append(line(f"    {field.path} = {show(field.before)}", dim=True))
        else:
            lines.append(line(f"    {field.path}: {show(field.before)} → {show(field.after)}"))
    return lines


def by_hand_line(change: ResourceChange) -> str:
    """A change on a server that cannot make it (HubSpot): what to do there, by hand."""
    symbol, colour = SYMBOLS[change.action]
    return line(f"{symbol} {by_hand(change)}", fg=colour, bold=True)


def unmanaged_tables(group: UnmanagedSettings) -> list[tuple[str, list[str]]]:
    """One inbox's settings the server can neither read nor write, by table, in file order:
    ``("routing", ["mode", "fallback"])``, ``("channel.chat", ["color", "heading.mode"])``."""
    tables: dict[str, list[str]] = {}
    for setting in group.settings:
        table, _, key = setting.partition(".")
        if table == "channel":
            kind, _, key = key.partition(".")
            table = f"channel.{kind}"
        tables.setdefault(table, []).append(key or "(the whole table)")
    return sorted(tables.items(), key=lambda item: _table_order(item[0]))


def unmanaged_lines(group: UnmanagedSettings) -> list[str]:
    """One line per table: ``routing: mode, fallback``, ``channel.chat: color, heading.mode``."""
    title = line(f'= inbox "{group.inbox}": {group.reason}', fg="cyan", bold=True)
    return [title] + [line(text) for table, keys in unmanaged_tables(group) for text in _wrapped(f"{table}: ", keys)]


def _table_order(table: str) -> int:
    return SECTIONS.index(table) if table in SECTIONS else len(SECTIONS)  # channels keep their own order


def _wrapped(label: str, keys: list[str], width: int = 100) -> list[str]:
    text = textwrap.fill(", ".join(keys), width=width, initial_indent=f"    {label}",
                         subsequent_indent=" " * (4 + len(label)), break_on_hyphens=False, break_long_words=False)
    return text.splitlines()


def targets_line(targets: list[str]) -> str:
    inboxes = ", ".join(f'"{name}"' for name in targets)
    return line(f"Targeted (--inbox): only inbox{'es' if len(targets) > 1 else ''} {inboxes}; "
                "the others were not compared.", fg="cyan")


def render_plan(plan: Plan) -> str:
    lines: list[str] = []
    if plan.verify_only:
        lines += [by_hand_line(change) for change in plan.changes] + ([""] if plan.changes else [])
    else:
        for change in plan.changes:
            lines += change_lines(change) + [""]
    for group in plan.unmanaged:
        lines += unmanaged_lines(group) + [""]
    lines += [line(f"note: {note}") for note in plan.notes]
    if plan.targets:
        lines.append(targets_line(plan.targets))
    lines.append(line(plan.summary(), bold=True))
    return "\n".join(lines)


def render_plan_json(plan: Plan) -> str:
    return json_safe(json.dumps(plan.to_dict(), indent=2, ensure_ascii=False))
