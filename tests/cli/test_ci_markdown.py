"""``plan -o markdown``, the plan for a pull request comment, read back through a real Markdown parser
(markdown-it-py, CommonMark with GitHub's tables and raw HTML) as GitHub would render it."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from inboxctl.cli.render_markdown import COMMENT_LIMIT, MARKER, render_plan_markdown
from inboxctl.planner.plan import CHANNEL, CREATE, DELETE, INBOX, FieldChange, Plan, ResourceChange

TESTS_DIR = Path(__file__).resolve().parents[1]
CONFIGS = TESTS_DIR.parent / "configs"
HEADER = ["", "resource", "setting", "before", "after"]

Run = Callable[..., Result]


# -- reading Markdown as GitHub does ----------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    folded: bool = False  # inside <details>


@dataclass
class Rendered:
    headings: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # list items' text
    html: str = ""


def inline_text(token) -> str:  # noqa: ANN001 - a markdown-it Token
    """What a reader sees of an inline token: text and code, without markup."""
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))


def read(markdown: str) -> Rendered:
    tokens = MARKDOWN.parse(markdown)
    rendered = Rendered(html=MARKDOWN.render(markdown))
    folded, row, table, context = 0, None, None, []
    for token in tokens:
        if token.type == "html_block":
            folded += token.content.count("<details>") - token.content.count("</details>")
        elif token.type in ("heading_open", "paragraph_open", "list_item_open"):
            context.append(token.type)
        elif token.type in ("heading_close", "paragraph_close", "list_item_close"):
            context.pop()
        elif token.type == "table_open":
            table = Table(header=[], folded=folded > 0)
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            assert table is not None and row is not None
            (table.rows.append(row) if table.header else table.header.extend(row))
        elif token.type == "table_close":
            rendered.tables.append(table)
        elif token.type == "inline":
            text = inline_text(token)
            if row is not None and context == [] and table is not None:
                row.append(text)
            elif context and context[-1] == "heading_open":
                rendered.headings.append(text)
            elif context and context[-1] == "paragraph_open":
                (rendered.items if "list_item_open" in context else rendered.paragraphs).append(text)
            children = token.children or []
            for index, child in enumerate(children):
                if child.type == "strong_open":
                    rendered.strong.append("".join(c.content for c in children[index + 1:]
                                                   if c.type in ("text", "code_inline")).split("\x00")[0])
        if token.type == "table_close":
            table, row = None, None
    return rendered


class TagBalance(HTMLParser):
    """The rendered HTML's elements, checked to open and close in order (no stray <details>, no injected tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.seen.add(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


def html_tags(html: str) -> set[str]:
    checker = TagBalance()
    checker.feed(html)
    checker.close()
    assert checker.stack == []
    return checker.seen


def markdown_plan(run: Run, *args: str) -> str:
    result = run("plan", *args, "-o", "markdown")
    assert result.exit_code == 0, result.stderr
    return result.stdout



# -- what a reviewer sees --------------------------------------------------------------------------

def test_a_first_plan_has_a_summary_and_a_table_per_inbox_long_ones_folded(run: Run, configs: Path) -> None:
    markdown = markdown_plan(run, str(configs))
    rendered = read(markdown)

    assert markdown.startswith(MARKER + "\n")
    assert rendered.headings == ["inboxctl plan: 7 to create, 5 to update, 0 to delete",
                                 "Inbox Partners: 1 to create", "Inbox Sales: 2 to create, 2 to update",
                                 "Inbox Support: 4 to create, 3 to update"]
    assert [table.header for table in rendered.tables] == [HEADER] * 3
    partners, sales, support = rendered.tables
    assert not partners.folded and sales.folded and support.folded  # 12 rows; 27 and more
    assert partners.rows[0] == ["+ create", "inbox", "email_filters.blocked_senders", "", "[]"]
    assert ["~ update", "inbox (adopted)", "business_hours.hours", "(unset)",
            '[{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:30", "close": "17:30"}]'] in sales.rows
    chat = next(index for index, row in enumerate(support.rows) if row[1] == "chat Website chat")
    assert support.rows[chat][0] == "~ update"
    assert ["", "", "color", '"#425B76"', '"#FF7A59"'] in support.rows[chat:]
    assert {"details", "summary", "table"} <= html_tags(rendered.html)


def test_a_small_change_is_one_unfolded_row(run: Run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    support = configs / "support.toml"
    support.write_text(support.read_text().replace('color = "#FF7A59"', 'color = "#00A4BD"'))
    rendered = read(markdown_plan(run, str(configs)))

    assert rendered.headings == ["inboxctl plan: 0 to create, 1 to update, 0 to delete", "Inbox Support: 1 to update"]
    (table,) = rendered.tables
    assert not table.folded and table.rows == [["~ update", "chat Website chat", "color", '"#FF7A59"', '"#00A4BD"']]
    assert "details" not in html_tags(rendered.html)


def test_no_changes_says_so(run: Run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    rendered = read(markdown_plan(run, str(configs)))
    assert rendered.headings == ["inboxctl plan: no changes"] and rendered.tables == []
    assert "No changes. The server matches the definitions." in rendered.paragraphs


def test_deletions_show_what_they_take_with_them_in_bold(run: Run, configs: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0
    (configs / "sales.toml").unlink()
    rendered = read(markdown_plan(run, str(configs), "--prune"))

    assert rendered.headings[1] == "Inbox Sales: 1 to delete"
    (warning,) = rendered.strong
    assert re.fullmatch(r'⚠ inbox "Sales": its \d+ conversations will be deleted with it', warning)
    assert rendered.tables[0].rows[0][:2] == ["- delete", "inbox"]
    assert all(row[4] == "" for row in rendered.tables[0].rows)  # nothing after a deletion


def test_names_and_values_cannot_break_the_table_or_inject_html(run: Run, tmp_path: Path) -> None:
    name = "Ops | <b>*urgent*</b> `x`"
    path = tmp_path / "ops.toml"
    path.write_text(f'[inbox]\nname = "{name}"\n\n[[channels]]\ntype = "chat"\nname = "a|b"\n'
                    'welcome_message = "Hi | <script>alert(1)</script> `tick` \\\\| **bold**"\n', encoding="utf-8")
    assert run("apply", str(path), "--yes").exit_code == 0
    path.write_text('[inbox]\nname = "Other"\n', encoding="utf-8")
    rendered = read(markdown_plan(run, str(path)))

    assert f"inbox '{name}' is managed by inboxctl but has no definition: --prune would delete it" in rendered.items
    assert html_tags(rendered.html) <= {"h3", "h4", "p", "code", "table", "thead", "tbody", "tr", "th", "td",
                                        "strong", "ul", "li", "em"}
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "ops.toml").write_text(f'[inbox]\nname = "New {name}"\n\n[[channels]]\ntype = "chat"\nname = "c|d"\n'
                                    'welcome_message = "Hi | <script>alert(1)</script> `tick` \\\\| **bold**"\n',
                                    encoding="utf-8")
    rendered = read(markdown_plan(run, str(fresh)))
    assert rendered.headings[1] == f"Inbox New {name}: 2 to create"
    assert all(len(row) == 5 for table in rendered.tables for row in table.rows)
    assert ["+ create", "chat c|d"] in [row[:2] for row in rendered.tables[0].rows]
    assert ["", "", "name", "", '"c|d"'] in rendered.tables[0].rows
    assert ["", "", "welcome_message", "", '"Hi | <script>alert(1)</script> `tick` \\\\| **bold**"'] \
        in rendered.tables[0].rows
    assert "script" not in html_tags(rendered.html) and "b" not in html_tags(rendered.html)


# -- GitHub's comment limit ------------------------------------------------------------------------

def many_definitions(directory: Path, count: int) -> Path:
    directory.mkdir()
    welcome = "Welcome to the help desk of a very large company with a long welcome message. " * 3
    for number in range(count):
        (directory / f"team-{number:03}.toml").write_text(f"""\
[inbox]
name = "Team {number:03}"
members = ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example"]

[[channels]]
type = "chat"
name = "Team {number:03} chat"
welcome_message = "{welcome.strip()}"

[[channels]]
type = "email"
address = "team-{number:03}@acme.example"
""", encoding="utf-8")
    return directory


def test_a_plan_longer_than_a_comment_is_cut_to_fit_saying_what_was_cut(run: Run, configs: Path,
                                                                         tmp_path: Path) -> None:
    assert run("apply", str(configs), "--yes").exit_code == 0  # Support and Sales hold conversations
    teams = many_definitions(tmp_path / "teams", 70)
    result = run("plan", str(teams), "--prune", "--max-deletes", "3", "-o", "markdown", "--out",
                 str(tmp_path / "plan.json"))
    assert result.exit_code == 0, result.stderr
    markdown = result.stdout
    rendered = read(markdown)

    assert len(markdown) <= COMMENT_LIMIT < len(render_plan_markdown(Plan.from_dict(
        json.loads((tmp_path / "plan.json").read_text())), limit=10**9))
    assert rendered.headings[0] == "inboxctl plan: 210 to create, 0 to update, 3 to delete"
    assert rendered.headings[-1] == "What was cut"
    # Every inbox keeps its heading and every warning stays, whatever was cut.
    assert len([heading for heading in rendered.headings if heading.startswith("Inbox ")]) == 73
    assert sorted(re.sub(r"\d+", "N", warning) for warning in rendered.strong) == [
        '⚠ inbox "Sales": its N conversations will be deleted with it',
        '⚠ inbox "Support": its N conversations will be deleted with it']
    cut = [re.fullmatch(r"inbox Team (\d{3}): (\d+) of 26 rows shown", item) for item in rendered.items
           if item.startswith("inbox ")]
    assert len(cut) == 10 and all(cut)
    assert "Run inboxctl plan on the same definitions for the whole plan." in " ".join(rendered.paragraphs)
    html_tags(rendered.html)
    # Whole tables first, then part of one, then none: what is shown is never a random pick.
    first = int(cut[0][1])
    assert [int(match[1]) for match in cut] == list(range(first, first + 10))
    assert all(match[2] == "0" for match in cut[1:])
    assert [len(table.rows) for table in rendered.tables[3:]] == [26] * (first - 0) + (
        [int(cut[0][2])] if cut[0][2] != "0" else [])


def field_changes(count: int) -> list[FieldChange]:
    return [FieldChange(f"setting_{number:05}", None, "x" * 40) for number in range(count)]


def test_one_enormous_table_is_shown_in_part() -> None:
    plan = Plan(changes=[ResourceChange(CREATE, INBOX, "Huge", fields=field_changes(5000))],
                server="the local backend", fingerprint="f")
    rendered = read(render_plan_markdown(plan))
    (table,) = rendered.tables
    assert table.folded and 100 < len(table.rows) < 5000
    assert table.rows[0] == ["+ create", "inbox", "setting_00000", "", '"' + "x" * 40 + '"']
    assert f"inbox Huge: {len(table.rows)} of 5000 rows shown" in rendered.items


def test_so_many_inboxes_that_even_their_headings_do_not_fit() -> None:
    changes = [ResourceChange(DELETE, CHANNEL, f"Inbox {number:05} with a rather long name", channel_type="email",
                              channel_key=f"x{number}@acme.example") for number in range(3000)]
    markdown = render_plan_markdown(Plan(changes=changes, server="the local backend", fingerprint="f"))
    rendered = read(markdown)
    assert len(markdown) <= COMMENT_LIMIT
    assert re.search(r"^\d+ inboxes not shown at all, from Inbox \d{5} with a rather long name on$",
                     "\n".join(rendered.items), re.MULTILINE)
    assert "The warnings of the inboxes not shown at all are not." in " ".join(rendered.paragraphs)


# -- HubSpot: differences to make by hand, and what it cannot compare ---------------------------------

@pytest.fixture
def hs(run: Run, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
        sys.path.insert(0, str(TESTS_DIR))
    from fakes.hubspot_server import TOKEN, FakeHubSpot

    with FakeHubSpot(threads=0) as fake:
        assert run("profile", "add", "hs", "--backend", "hubspot", "--url", fake.url).exit_code == 0
        monkeypatch.setenv("INBOXCTL_TOKEN", TOKEN)
        yield lambda *args: run("--profile", "hs", *args)


def test_on_hubspot_the_table_says_what_to_do_there_and_what_is_not_compared(hs: Run) -> None:
    result = hs("plan", str(CONFIGS), "--inbox", "Sales", "-o", "markdown")
    assert result.exit_code == 0, result.stderr
    rendered = read(result.stdout)

    assert rendered.headings == ["inboxctl plan: 2 to create, 0 to update, 0 to delete", "Inbox Sales: 2 to create"]
    (table,) = rendered.tables
    assert table.header == ["", "to do in HubSpot"]
    assert table.rows == [["+", 'connect chat "Pricing page chat" to inbox "Sales"'],
                          ["+", 'connect form "Request a demo" to inbox "Sales"']]
    assert "Not compared: manage in HubSpot's settings (its API can neither read nor write them)" \
        in rendered.paragraphs
    assert rendered.items[:3] == ["inbox: members, teams", "routing: mode, only_available, teams",
                                  "business_hours: hours, timezone"]
    assert "channel.chat: availability, color, heading.avatar_url, heading.mode, heading.name, outside_hours, " \
           "position, show_branding, typical_response_time, welcome_message" in rendered.items
    assert any(text.startswith("HubSpot cannot make these changes through its API") for text in rendered.paragraphs)
    assert any("only Sales (--inbox)" in text for text in rendered.paragraphs)


# -- the sample in the README is real --------------------------------------------------------------

def test_the_readme_sample_is_what_plan_prints(run: Run, configs: Path) -> None:
    """README.md ("CI") shows `plan --prune -o markdown` after deleting sales.toml and editing support.toml;
    regenerate it with these steps if the example configs change."""
    assert run("apply", str(configs), "--yes").exit_code == 0
    support = configs / "support.toml"
    edited = support.read_text().replace('color = "#FF7A59"', 'color = "#00A4BD"').replace(
        'members = ["alice@acme.example", "bob@acme.example", "carol@acme.example"]',
        'members = ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example"]')
    assert edited != support.read_text()
    support.write_text(edited)
    (configs / "sales.toml").unlink()
    markdown = markdown_plan(run, str(configs), "--prune")

    readme = (TESTS_DIR.parent / "README.md").read_text(encoding="utf-8")
    quoted = [line[2:] if line.startswith("> ") else "" for line in readme.splitlines() if line.startswith(">")]
    start = quoted.index(MARKER)
    sample = "\n".join(quoted[start:start + len(markdown.splitlines())]) + "\n"
    assert sample == markdown


# -- any text at all comes out as it went in --------------------------------------------------------

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs")).filter(
    lambda char: char not in "\u00ad\u200b\ufeff"), min_size=1, max_size=30)
WORDS = st.lists(NAMES, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(name=WORDS, key=WORDS, warning=WORDS, value=WORDS)
def test_any_name_value_or_warning_reads_back_as_written(name: str, key: str, warning: str, value: str) -> None:
    changes = [ResourceChange(CREATE, CHANNEL, name, channel_type="chat", channel_key=key,
                              fields=[FieldChange("welcome_message", None, value)]),
               ResourceChange(DELETE, CHANNEL, name, channel_type="email", channel_key="x@acme.example",
                              warnings=[warning])]
    rendered = read(render_plan_markdown(Plan(changes=changes, server="the local backend", fingerprint="f")))
    assert rendered.headings[1] == f"Inbox {name}: 1 to create, 1 to delete"
    assert rendered.strong == [f'⚠ inbox "{name}" / email "x@acme.example": {warning}']
    (table,) = rendered.tables
    assert table.rows == [["+ create", f"chat {key}", "welcome_message", "", json.dumps(value, ensure_ascii=False)],
                          ["- delete", "email x@acme.example", "", "", ""]]
    assert html_tags(rendered.html) <= {"h3", "h4", "p", "code", "table", "thead", "tbody", "tr", "th", "td",
                                        "strong"}
