"""Plans and apply reports for people: +/~/- lines with field-level before -> after."""

from __future__ import annotations

import json
from typing import Any

import click

from inboxctl.planner.plan import CREATE, DELETE, Plan, ResourceChange

SYMBOLS = {CREATE: ("+", "green"), "update": ("~", "yellow"), DELETE: ("-", "red")}


def show(value: Any) -> str:
    return "(unset)" if value is None else json.dumps(value, ensure_ascii=False)


def change_lines(change: ResourceChange) -> list[str]:
    symbol, colour = SYMBOLS[change.action]
    title = f"{symbol} {change.action} {change.address}"
    if change.adopt:
        title += "  (adopt: an existing inbox inboxctl will manage from now on)"
    lines = [click.style(title, fg=colour, bold=True)]
    lines += [click.style(f"    ! {warning}", fg="red", bold=True) for warning in change.warnings]
    for field in change.fields:
        if change.action == CREATE:
            lines.append(f"    {field.path} = {show(field.after)}")
        elif change.action == DELETE:
            lines.append(click.style(f"    {field.path} = {show(field.before)}", dim=True))
        else:
            lines.append(f"    {field.path}: {show(field.before)} → {show(field.after)}")
    return lines


def render_plan(plan: Plan) -> str:
    lines: list[str] = []
    for change in plan.changes:
        lines += change_lines(change) + [""]
    lines += [f"note: {note}" for note in plan.notes]
    lines.append(click.style(plan.summary(), bold=True))
    return "\n".join(lines)


def render_plan_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False)
