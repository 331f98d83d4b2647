"""A plan for people reviewing a pull request: GitHub-flavoured Markdown (``plan -o markdown``).

A summary line, then one section per inbox: its warnings in bold (never folded, never cut), a table
of what is created, changed (setting, before, after) and deleted, and what the server cannot manage.
A long table folds into ``<details>``. The whole stays under GitHub's comment limit: when it would
not, tables are cut from the end and a last section says what was cut and how to see all of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from inboxctl.cli.render_plan import unmanaged_tables
from inboxctl.cli.safe_text import terminal_safe
from inboxctl.planner.plan import CREATE, DELETE, INBOX, Plan, ResourceChange, UnmanagedSettings
from inboxctl.planner.verify import by_hand

COMMENT_LIMIT = 65_536  # characters in one GitHub comment (issue, pull request or review)
MARKER = "<!-- inboxctl plan -->"  # lets a workflow find and update its earlier comment
FOLD_ROWS = 15  # a table with more rows folds into <details>
NOTICE_RESERVE = 3_000  # room kept for "What was cut" (it names at most 10 inboxes)
ACTIONS = {CREATE: "+ create", "update": "~ update", DELETE: "- delete"}

# Characters that could start markup in running text: emphasis, code, links, HTML, entities, headings, lists.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+~&])")


def text(value: str) -> str:
    """Plain text that Markdown and HTML leave as it is (names, warnings, reasons), on one line and with
    no control character (see ``safe_text``)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", terminal_safe(value))


def code(value: str) -> str:
    """An inline code span that holds any text (``row`` escapes its pipes inside a table), on one line and
    with no control character."""
    value = terminal_safe(value)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {value} " if value.startswith("`") or value.endswith("`") or not value.strip() else value
    return f"{fence}{padded}{fence}"


def shown(value: Any) -> str:
    return "*(unset)*" if value is None else code(json.dumps(value, ensure_ascii=False))


def row(*cells: str) -> str:
    """A table row. A pipe in a cell, even in a code span, would end the cell unless escaped."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 'es' if word.endswith('x') else 's'}"


# -- one inbox ------------------------------------------------------------------------------------

@dataclass
class InboxSection:
    name: str
    changes: list[ResourceChange]
    heading: str
    warnings: list[str]  # bold lines, always shown
    table_head: list[str]
    rows: list[str]
    after: list[str] = field(default_factory=list)  # what the server cannot manage: cut with the table

    def render(self, rows: int | None = None, *, after: bool = True) -> str:
        shown_rows = self.rows if rows is None else self.rows[:rows]
        blocks = [self.heading, *self.warnings]
        if shown_rows:
            table = "\n".join([*self.table_head, *shown_rows])
            if len(shown_rows) > FOLD_ROWS:
                summary = f"{plural(len(self.changes), 'change')}, {plural(len(shown_rows), 'row')}"
                table = f"<details><summary>{summary}</summary>\n\n{table}\n\n</details>"
            blocks.append(table)
        if not shown_rows and self.rows:
            blocks.append(f"*Its table ({plural(len(self.rows), 'row')}) is cut: see “What was cut” below.*")
        elif len(shown_rows) < len(self.rows):
            blocks.append(f"*{plural(len(self.rows) - len(shown_rows), 'more row')} of this table cut: "
                          "see “What was cut” below.*")
        if after:
            blocks += self.after
        return "\n\n".join(blocks)


def _section(name: str, changes: list[ResourceChange], unmanaged: list[UnmanagedSettings], *,
             verify_only: bool, server: str) -> InboxSection:
    counts = [f"{sum(c.action == action for c in changes)} to {action}" for action in (CREATE, "update", DELETE)
              if any(c.action == action for c in changes)]
    heading = f"#### Inbox {code(name)}" + (f": {', '.join(counts)}" if counts else "")
    warnings = [f"**⚠ {text(change.address)}: {text(warning.strip())}**"
                for change in changes for warning in change.warnings]
    if verify_only:
        head = [row("", f"to do in {text(server)}"), row("---", "---")]
        rows = [row(ACTIONS[change.action][0], text(by_hand(change))) for change in changes]
    else:
        head = [row("", "resource", "setting", "before", "after"), row("---", "---", "---", "---", "---")]
        rows = [line for change in changes for line in _change_rows(change)]
    after = [_unmanaged_block(group) for group in unmanaged]
    return InboxSection(name, changes, heading, warnings, head, rows, after)


def _resource(change: ResourceChange) -> str:
    if change.kind == INBOX:
        return "inbox (adopted)" if change.adopt else "inbox"
    return f"{text(change.channel_type or '')} {code(change.channel_key or '')}"


def _change_rows(change: ResourceChange) -> list[str]:
    action, resource = ACTIONS[change.action], _resource(change)
    if not change.fields:
        return [row(action, resource, "", "", "")]
    rows = []
    for field_change in change.fields:
        before = "" if change.action == CREATE else shown(field_change.before)
        after = "" if change.action == DELETE else shown(field_change.after)
        rows.append(row(action, resource, code(field_change.path), before, after))
        action = resource = ""  # like a rowspan: the change is named once
    return rows


def _unmanaged_block(group: UnmanagedSettings) -> str:
    """What the server can neither read nor write: named, one line per table, never pretended to match."""
    lines = [f"Not compared: {text(group.reason)}", ""]
    lines += [f"- {code(table)}: {', '.join(code(key) for key in keys)}" for table, keys in unmanaged_tables(group)]
    return "\n".join(lines)


def _sections(plan: Plan) -> list[InboxSection]:
    by_inbox: dict[str, tuple[str, list[ResourceChange], list[UnmanagedSettings]]] = {}
    for change in plan.changes:
        by_inbox.setdefault(change.inbox.lower(), (change.inbox, [], []))[1].append(change)
    for group in plan.unmanaged:
        by_inbox.setdefault(group.inbox.lower(), (group.inbox, [], []))[2].append(group)
    return [_section(name, changes, unmanaged, verify_only=plan.verify_only, server=plan.server)
            for _, (name, changes, unmanaged) in sorted(by_inbox.items())]


# -- the whole plan -----------------------------------------------------------------------------

def _head(plan: Plan) -> str:
    counts = plan.counts()
    title = "no changes" if plan.is_empty() else ", ".join(f"{counts[a]} to {a}" for a in (CREATE, "update", DELETE))
    lines = [MARKER, f"### inboxctl plan: {title}"]
    if plan.is_empty():
        lines += ["", text(plan.summary())]
    elif plan.verify_only:  # the counts are in the title
        lines += ["", text(f"{plan.server} cannot make these changes through its API: make them in its own "
                           "settings, then plan again.")]
    details = [f"Server: {text(plan.server)}", f"fingerprint {code(plan.fingerprint)}"]
    if plan.targets:
        details.append("only " + ", ".join(code(name) for name in plan.targets) + " (`--inbox`)")
    lines += ["", " · ".join(details)]
    return "\n".join(lines)


def _notes(notes: list[str]) -> str:
    return "\n".join(["**Notes**", "", *(f"- {text(note)}" for note in notes)]) if notes else ""


def render_plan_markdown(plan: Plan, *, limit: int = COMMENT_LIMIT) -> str:
    """The plan as Markdown of at most ``limit`` characters."""
    head, sections, notes = _head(plan), _sections(plan), _notes(plan.notes)
    whole = _join([head, *(section.render() for section in sections), notes])
    if len(whole) <= limit:
        return whole
    return _cut_to_fit(head, sections, notes, limit)


def _join(blocks: list[str]) -> str:
    return "\n\n".join(block for block in blocks if block) + "\n"


@dataclass
class _Cuts:
    partial: list[InboxSection] = field(default_factory=list)  # shown in part
    rows_shown: list[int] = field(default_factory=list)
    omitted: list[str] = field(default_factory=list)  # inboxes not shown at all
    notes: int = 0


def _cut_to_fit(head: str, sections: list[InboxSection], notes: str, limit: int) -> str:
    """Keep the head and every inbox's heading and warnings; fill what room is left with tables in
    order; then say what was cut."""
    cuts = _Cuts()
    kept = list(sections)
    essentials = [section.render(0, after=False) for section in kept]
    room = limit - NOTICE_RESERVE - len(head) - sum(len(block) + 2 for block in essentials)
    while room < 0 and kept:  # so many inboxes that even their headings do not fit: the last ones go
        cuts.omitted.insert(0, kept.pop().name)
        room += len(essentials.pop()) + 2
    blocks = [head]
    for section, essential in zip(kept, essentials, strict=True):
        block = _largest_fitting(section, room + len(essential), cuts)
        room -= len(block) - len(essential)
        blocks.append(block)
    if notes and len(notes) + 2 <= room:
        blocks.append(notes)
    elif notes:
        cuts.notes = notes.count("\n- ")
    blocks.append(_notice(cuts, limit))
    document = _join(blocks)
    assert len(document) <= limit, "the cut plan must fit"  # guards the arithmetic above
    return document


def _largest_fitting(section: InboxSection, room: int, cuts: _Cuts) -> str:
    whole = section.render()
    if len(whole) <= room:
        return whole
    low, high = 0, len(section.rows)  # the most rows that fit, found by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if len(section.render(middle, after=False)) <= room:
            low = middle
        else:
            high = middle - 1
    cuts.partial.append(section)
    cuts.rows_shown.append(low)
    return section.render(low, after=False)


def _notice(cuts: _Cuts, limit: int) -> str:
    warnings = "Every warning is." if not cuts.omitted else "The warnings of the inboxes not shown at all are not."
    lines = ["### What was cut", "",
             f"This plan is longer than a GitHub comment can be ({limit:,} characters), so part of it is not "
             f"shown here. {warnings} Run `inboxctl plan` on the same definitions for the whole plan.", ""]
    named = 10  # the notice has a fixed room: name the first ones, count the rest
    for section, rows in list(zip(cuts.partial, cuts.rows_shown, strict=True))[:named]:
        lines.append(f"- inbox {code(section.name[:60])}: {rows} of {plural(len(section.rows), 'row')} shown"
                     + ("; what the server cannot manage not shown" if section.after else ""))
    if len(cuts.partial) > named:
        lines.append(f"- the tables of {plural(len(cuts.partial) - named, 'more inbox')}, in part or whole")
    if cuts.omitted:
        lines.append(f"- {plural(len(cuts.omitted), 'inbox')} not shown at all, from {code(cuts.omitted[0][:60])} on")
    if cuts.notes:
        lines.append(f"- {plural(cuts.notes, 'note')}")
    return "\n".join(lines)
