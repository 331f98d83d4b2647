"""``inboxctl validate`` on files with mistakes: every mistake at once, each located and with a fix."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

TEN_MISTAKES = """\
#:schema ./schema/inbox.schema.json
[inbox]
name = "Helpdesk"
membres = ["alice@acme.example"]

[routing]
mode = "contact_owner"

[ticket_defaults]
stage = "New"

[business_hours]
timezone = "Europe/Pariss"
hours = [
  { days = "mon-fry", open = "09:00", close = "12:00" },
  { days = "tue", open = "18:00", close = "09:00" },
  { days = "wed", open = "09:00", close = "12:00" },
  { days = "wed", open = "11:00", close = "14:00" },
]

[[channels]]
type = "email"
address = "support(at)acme.example"
provider = "gmial"

[[channels]]
type = "chat"
name = "Web"
color = "#12345G"

[[channels]]
type = "whatsapp"
phone = "0123"
"""

# file:line:column: key: message, then the fix on the next line
PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<key>[^ :]+): (?P<message>.+)\n"
                     r"    fix: (?P<fix>.+)$", re.MULTILINE)


def problems_in(stderr: str) -> dict[str, dict[str, str]]:
    """Reported problems by key path."""
    found = {match["key"]: match.groupdict() for match in PROBLEM.finditer(stderr)}
    assert len(found) == len(PROBLEM.findall(stderr)), "two problems reported for one key"
    return found


@pytest.fixture
def ten_mistakes(tmp_path: Path) -> Path:
    path = tmp_path / "helpdesk.toml"
    path.write_text(TEN_MISTAKES, encoding="utf-8")
    return path


def test_every_mistake_is_reported_at_once_with_its_location_and_a_fix(run, ten_mistakes: Path) -> None:
    result = run("validate", str(ten_mistakes))

    assert result.exit_code == 5
    assert result.stdout == ""  # problems are not data: they go to stderr
    found = problems_in(result.stderr)
    assert len(found) >= 10
    assert all(problem["file"] == str(ten_mistakes) for problem in found.values())
    where = {key: (int(problem["line"]), problem["message"], problem["fix"]) for key, problem in found.items()}
    assert where["inbox.membres"] == (4, "unknown key 'membres'", 'did you mean "members"?')
    assert where["routing.mode"][0] == 7 and "needs a fallback" in where["routing.mode"][1]
    assert where["ticket_defaults.stage"][0] == 10 and "needs its pipeline" in where["ticket_defaults.stage"][1]
    assert where["business_hours.timezone"][0] == 13 and where["business_hours.timezone"][2] == \
        'did you mean "Europe/Paris"?'
    assert where["business_hours.hours[0].days"][0] == 15 and where["business_hours.hours[0].days"][2] == \
        'did you mean "fri"?'
    assert where["business_hours.hours[1].close"][0] == 16
    assert "closes at 09:00, not after it opens at 18:00" in where["business_hours.hours[1].close"][1]
    assert where["business_hours.hours[3]"][0] == 18  # the second of the two overlapping Wednesday ranges
    assert "overlaps hours[2]" in where["business_hours.hours[3]"][1]
    assert where["channels[0].address"][0] == 23 and "not an e-mail address" in where["channels[0].address"][1]
    assert where["channels[0].provider"][0] == 24 and 'did you mean "gmail"?' in where["channels[0].provider"][2]
    assert where["channels[1].color"][0] == 29 and "#RRGGBB" in where["channels[1].color"][2]
    assert where["channels[2].phone"][0] == 33 and "country code" in where["channels[2].phone"][2]
    assert "Error: 11 problems found in the definitions" in result.stderr


def test_columns_point_at_the_bad_value_and_at_an_unknown_key(run, ten_mistakes: Path) -> None:
    found = problems_in(run("validate", str(ten_mistakes)).stderr)
    line = TEN_MISTAKES.splitlines()[15]  # line 16: { days = "tue", open = "18:00", close = "09:00" }
    assert int(found["business_hours.hours[1].close"]["column"]) == line.index('"09:00"') + 1
    assert int(found["inbox.membres"]["column"]) == 1


def test_a_mistake_in_a_table_does_not_hide_a_rule_broken_elsewhere_in_it(run, tmp_path: Path) -> None:
    # the misspelt timezone makes [business_hours] invalid; the overlap in it is still reported
    path = tmp_path / "hours.toml"
    path.write_text('[inbox]\nname = "A"\n\n[business_hours]\ntimezone = "Paris"\nhours = [\n'
                    '  { days = "mon-fri", open = "09:00", close = "13:00" },\n'
                    '  { days = "fri", open = "12:00", close = "18:00" },\n]\n', encoding="utf-8")
    found = problems_in(run("validate", str(path)).stderr)
    assert set(found) == {"business_hours.timezone", "business_hours.hours[1]"}
    assert found["business_hours.hours[1]"]["line"] == "8"
    assert "on fri, this range overlaps hours[0] (open until 13:00)" in found["business_hours.hours[1]"]["message"]


def test_a_broken_inbox_table_does_not_cause_false_alarms_about_channel_overrides(run, tmp_path: Path) -> None:
    # The inbox has a fallback and a pipeline; its tables are invalid for other reasons. The channel's
    # overrides must not be reported as lacking what the inbox does give.
    path = tmp_path / "overrides.toml"
    path.write_text('[inbox]\nname = "A"\n\n[routing]\nmode = "contact_owner"\nfallback = "unassigned"\n'
                    'only_available = "yes"\n\n[ticket_defaults]\npipeline = "Support Pipeline"\npriority = "hgih"\n\n'
                    '[[channels]]\ntype = "form"\nform = "Contact us"\nrouting = { mode = "contact_owner" }\n'
                    'ticket_defaults = { stage = "New" }\n', encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 5
    assert set(problems_in(result.stderr)) == {"routing.only_available", "ticket_defaults.priority"}


@pytest.mark.parametrize(("source", "key", "line"), [
    ('[inbox]\nmembers = ["alice@acme.example"]\n', "inbox.name", 1),
    ('[inbox]\nname = "A"\n\n[[channels]]\ntype = "email"\nprovider = "gmail"\n', "channels[0].address", 4),
    ('[inbox]\nname = "A"\n[business_hours]\nhours = [{ days = "mon", open = "09:00" }]\n',
     "business_hours.hours[0].close", 4),
    ('[inbox]\nname = "A"\n\n[[channels]]\nprovider = "gmail"\n', "channels[0].type", 4),
    ('name = "A"\n', "inbox", 1),
])
def test_a_missing_required_key_is_a_located_problem_not_a_crash(run, tmp_path: Path, source: str, key: str,
                                                                  line: int) -> None:
    path = tmp_path / "missing.toml"
    path.write_text(source, encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 5, result.output
    assert "Internal error" not in result.stderr
    found = problems_in(result.stderr)
    assert key in found
    assert int(found[key]["line"]) == line
    assert "missing required" in found[key]["message"]


@pytest.mark.parametrize(("source", "line", "column"), [
    ('[inbox\nname = "x"\n', 1, 7),                                        # unclosed header
    ('[inbox]\nname = "x"\nmembers = ["a@b.example" "c@d.example"]\n', 3, 26),  # missing comma
    ('[inbox]\nname = "x"\nprotect = yes\n', 3, 11),                        # bare word value
    ('[inbox]\nname = "x"\nname = "y"\n', 3, 1),                            # key given twice
    ('[inbox]\nname = "x"\n\n[[channels]]\ntype = "chat"\nname = "c"\n'
     'heading = { mode = "custom", mode = "users_and_teams" }\n', 7, 1),      # twice in an inline table
])
def test_broken_toml_is_reported_with_line_and_column_and_no_traceback(run, tmp_path: Path, source: str,
                                                                        line: int, column: int) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(source, encoding="utf-8")
    result = run("validate", str(path))

    assert result.exit_code == 5
    assert "Traceback" not in result.output and "Internal error" not in result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}:{column}: invalid TOML: ")
    assert result.stderr.splitlines()[1].startswith("    fix: ")


def test_a_file_that_is_not_utf8_is_a_located_problem(run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[inbox]\nname = "Équipe"\n'.encode("latin-1"))
    result = run("validate", str(path))
    assert result.exit_code == 5
    assert result.stderr.startswith(f"{path}:1:1: cannot read the file")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_same_inbox_name_in_two_files_is_reported_with_both_places(run, tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", '[inbox]\nname = "Help"\n')
    second = write(tmp_path, "b.toml", '# the same inbox, spelled differently\n[inbox]\nname = "HELP"\n')
    result = run("validate", str(tmp_path))
    assert result.exit_code == 5
    found = problems_in(result.stderr)
    assert found["inbox.name"]["file"] == str(second) and found["inbox.name"]["line"] == "3"
    assert "inbox 'HELP' is defined twice" in found["inbox.name"]["message"]
    assert f"also defined in {first}:2:8" in found["inbox.name"]["fix"]


def test_one_team_address_in_two_inboxes_is_reported_f10(run, tmp_path: Path) -> None:
    write(tmp_path, "help.toml", '[inbox]\nname = "Help"\n\n'
                                 '[[channels]]\ntype = "email"\naddress = "team@acme.example"\n')
    sales = write(tmp_path, "sales.toml", '[inbox]\nname = "Sales"\n\n[[channels]]\ntype = "chat"\nname = "Chat"\n\n'
                                          '[[channels]]\ntype = "email"\naddress = "Team@ACME.example"\n')
    result = run("validate", str(tmp_path))
    assert result.exit_code == 5
    found = problems_in(result.stderr)
    assert list(found) == ["channels[1].address"]
    assert found["channels[1].address"]["file"] == str(sales) and found["channels[1].address"]["line"] == "10"
    assert "email 'team@acme.example' is also connected to inbox 'Help'" in found["channels[1].address"]["message"]


def test_one_channel_twice_in_one_inbox_is_reported(run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.toml", '[inbox]\nname = "A"\n\n[[channels]]\ntype = "form"\nform = "Contact us"\n\n'
                                     '[[channels]]\ntype = "form"\nform = "contact US"\n')
    found = problems_in(run("validate", str(path)).stderr)
    assert found["channels[1].form"]["line"] == "10"
    assert "declared twice" in found["channels[1].form"]["message"]
    assert "channels[0]" in found["channels[1].form"]["fix"]


def test_a_setting_of_another_channel_type_says_which_type_it_belongs_to(run, tmp_path: Path) -> None:
    path = write(tmp_path, "a.toml", '[inbox]\nname = "A"\n\n[[channels]]\ntype = "email"\naddress = "x@acme.example"\n'
                                     'color = "#FFFFFF"\n')
    found = problems_in(run("validate", str(path)).stderr)
    assert found["channels[0].color"]["line"] == "7"
    assert found["channels[0].color"]["fix"] == "'color' is a setting of chat channels"


def test_json_output_lists_every_problem_with_its_location(run, ten_mistakes: Path) -> None:
    result = run("validate", str(ten_mistakes), "-o", "json")

    assert result.exit_code == 5
    report = json.loads(result.stdout)
    assert set(report) == {"valid", "inboxes", "problems", "warnings"}
    assert report["valid"] is False
    assert len(report["problems"]) == 11
    for problem in report["problems"]:
        assert set(problem) == {"file", "line", "column", "key", "message", "fix", "severity"}
        assert problem["file"] == str(ten_mistakes)
        assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
        assert problem["fix"]
    by_key = {problem["key"]: problem for problem in report["problems"]}
    assert by_key["channels[1].color"]["line"] == 29
    assert by_key["inbox.membres"]["fix"] == 'did you mean "members"?'


def test_json_output_of_valid_files_names_the_inboxes(run, tmp_path: Path) -> None:
    write(tmp_path, "a.toml", '[inbox]\nname = "Help"\n')
    write(tmp_path, "b.toml", '[inbox]\nname = "Sales"\n')
    result = run("validate", str(tmp_path), "-o", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"valid": True, "inboxes": ["Help", "Sales"], "problems": [], "warnings": []}


def test_a_bad_blocked_sender_is_reported_on_its_own_line(run, tmp_path: Path) -> None:
    # the checked list is a sorted set; the location must still be the file's own line
    path = write(tmp_path, "a.toml", '[inbox]\nname = "A"\n\n[email_filters]\nblocked_senders = [\n'
                                     '  "zed@spam.example",\n  "not an address",\n  " @ok.example",\n]\n')
    found = problems_in(run("validate", str(path)).stderr)
    assert list(found) == ["email_filters.blocked_senders[1]"]
    assert (found["email_filters.blocked_senders[1]"]["line"], found["email_filters.blocked_senders[1]"]["column"]) \
        == ("7", "3")
    assert "'not an address' is neither an address nor an @domain" in found["email_filters.blocked_senders[1]"][
        "message"]


def test_a_channel_switching_pipeline_must_not_keep_a_stage_its_pipeline_lacks(run, tmp_path: Path) -> None:
    # validate cannot know the server's stages; plan does, and says where and how to fix it
    path = write(tmp_path, "a.toml", '[inbox]\nname = "A"\n\n[ticket_defaults]\npipeline = "Support Pipeline"\n'
                                     'stage = "Waiting on contact"\n\n[[channels]]\ntype = "form"\n'
                                     'form = "Billing question"\nticket_defaults = { pipeline = "Billing Pipeline" }\n')
    assert run("validate", str(path)).exit_code == 0
    result = run("plan", str(path))
    assert result.exit_code == 5
    assert result.stderr.startswith(
        f"{path}:11:32: channels[0].ticket_defaults.pipeline: the inbox's stage 'Waiting on contact' is not in "
        "pipeline 'Billing Pipeline'\n    fix: set stage here too, one of: New, In progress, Resolved\n")
    fixed = path.read_text(encoding="utf-8").replace('{ pipeline = "Billing Pipeline" }',
                                                     '{ pipeline = "Billing Pipeline", stage = "new" }')
    path.write_text(fixed, encoding="utf-8")
    assert run("plan", str(path)).exit_code == 0


def test_a_file_cut_short_says_so(run, tmp_path: Path) -> None:
    path = write(tmp_path, "cut.toml", '[inbox]\nname = "A"\nmembers = [\n  "alice@acme.example",\n')
    result = run("validate", str(path))
    assert result.exit_code == 5
    assert result.stderr.startswith(f"{path}:4:1: invalid TOML: the file ends before an array, inline table or "
                                    "string is closed\n")
    assert "\\x00" not in result.stderr  # tomlkit's end-of-file marker is not shown to the user
