"""validate in one pass (issue 10, item 15): cross-checks in the same run as the mistakes that used to hide
them, every problem in the order of the lines, and the column of the offending value."""

from __future__ import annotations

import json
from pathlib import Path

from inboxctl.definitions.loader import parse_definition


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(run, *paths: Path) -> list[dict]:
    result = run("validate", *map(str, paths), "-o", "json")
    assert result.exit_code == 5
    return json.loads(result.stdout)["problems"]


BAD_ADDRESS_AND_NO_HOURS = """\
[inbox]
name = "Support"

[[channels]]
type = "email"
address = "not-an-address"

[[channels]]
type = "chat"
name = "Web chat"
availability = "business_hours"
transcripts = { auto_send = true, from = "help@acme.example" }
"""


def test_a_bad_address_no_longer_hides_availability_without_business_hours(run, tmp_path: Path) -> None:
    found = problems(run, write(tmp_path, "support.toml", BAD_ADDRESS_AND_NO_HOURS))
    assert [(p["key"], p["line"], p["column"]) for p in found] == [
        ("channels[0].address", 6, 11),
        ("channels[1].availability", 11, 16),
    ]
    # transcripts.from may name the invalid e-mail channel's address: that check waits, rightly.


def test_a_broken_table_still_holds_back_the_checks_that_read_it(run, tmp_path: Path) -> None:
    text = BAD_ADDRESS_AND_NO_HOURS.replace('address = "not-an-address"', 'address = "help@acme.example"')
    text += '\n[business_hours]\ntimezone = "Mars/Olympus"\nhours = []\n'
    found = problems(run, write(tmp_path, "support.toml", text))
    assert [p["key"] for p in found] == ["business_hours.timezone"]  # not "needs business hours": they are given


def test_checks_across_files_run_with_the_mistakes_inside_them(run, tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", '[inbox]\nname = "Help"\n\n[[channels]]\ntype = "email"\n'
                                      'address = "help@acme.example"\n')
    second = write(tmp_path, "b.toml", '[inbox]\nname = "help"\ncolour = "red"\n\n[[channels]]\ntype = "email"\n'
                                       'address = "help@acme.example"\n')
    found = problems(run, first, second)
    assert [(Path(p["file"]).name, p["line"], p["key"]) for p in found] == [
        ("b.toml", 2, "inbox.name"),  # defined twice, reported although b.toml has a mistake of its own
        ("b.toml", 3, "inbox.colour"),
        ("b.toml", 7, "channels[0].address"),  # in two inboxes
    ]


def test_problems_come_in_the_order_of_the_lines_with_the_value_column(tmp_path: Path) -> None:
    source = ('[inbox]\nname = "A"\nmembres = []\n\n[routing]\nmode = "contact_ownr"\n\n[[channels]]\n'
              'type = "chat"\nname = "Chat"\ncolor = "#12"\n\n[business_hours]\ntimezone = "UTC"\n'
              'hours = [{ days = "mon", open = "18:00", close = "09:00" }]\n')
    _, found = parse_definition(source, "a.toml")
    located = [(p.location.line, p.location.column, p.key) for p in found if p.location]
    assert located == sorted(located)
    assert (3, 1, "inbox.membres") in located  # an unknown key: where the key is
    assert (6, 8, "routing.mode") in located and (11, 9, "channels[0].color") in located
    assert (15, 50, "business_hours.hours[0].close") in located


def test_the_column_of_a_value_in_a_text_report(run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.toml", '[inbox]\nname = "A"\n\n[routing]\nmode =   "contact_ownr"\n')
    assert run("validate", str(path)).stderr.startswith(f"{path}:5:10: routing.mode: 'contact_ownr'")
