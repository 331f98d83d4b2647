"""Time zones as people mean them (issue 10, item 16): fixed offsets and legacy names are warned about with
a place's zone to use; an offset written as a zone is an error that never suggests UTC for UTC-5."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inboxctl.definitions.formats import FormatError, normalise_timezone
from inboxctl.definitions.timezones import examples, parse_offset, timezone_advice


def definition(tmp_path: Path, timezone: str) -> Path:
    path = tmp_path / "support.toml"
    path.write_text(f'[inbox]\nname = "Support"\n\n[business_hours]\ntimezone = "{timezone}"\n'
                    'hours = [{ days = "mon-fri", open = "09:00", close = "17:00" }]\n', encoding="utf-8")
    return path


def test_est_is_valid_but_warned_about_with_new_york_suggested(run, tmp_path: Path) -> None:
    path = definition(tmp_path, "EST")
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert result.stderr.startswith(f"{path}:5:12: warning: business_hours.timezone: 'EST' is a fixed offset, "
                                    "UTC-5 all year")
    assert '"America/New_York" (UTC-5, UTC-4 in summer)' in result.stderr
    assert "with 1 warning" in result.stderr
    report = json.loads(run("validate", str(path), "-o", "json").stdout)
    assert report["valid"] is True and [w["key"] for w in report["warnings"]] == ["business_hours.timezone"]


def test_plan_shows_the_warning_and_github_gets_an_annotation(run, tmp_path: Path) -> None:
    path = definition(tmp_path, "US/Eastern")
    planned = run("plan", str(path))
    assert planned.exit_code == 0
    assert 'write "America/New_York", the same clock under its current name' in planned.stderr
    annotated = run("validate", str(path), "--format", "github")
    assert annotated.exit_code == 0 and annotated.stderr.startswith(f"::warning file={path},line=5,col=12,")


def test_an_offset_is_an_error_naming_places_never_utc(run, tmp_path: Path) -> None:
    result = run("validate", str(definition(tmp_path, "UTC-5")))
    assert result.exit_code == 5
    assert "'UTC-5' is not a known timezone" in result.stderr
    assert '"America/New_York"' in result.stderr and '"UTC"' not in result.stderr


@pytest.mark.parametrize("name, offset", [("EST", -300), ("MST", -420), ("HST", -600), ("Etc/GMT+5", -300),
                                          ("Etc/GMT-3", 180), ("GMT", 0)])
def test_fixed_offsets_are_named_with_places_of_that_offset(name: str, offset: int) -> None:
    advice = timezone_advice(name)
    assert advice is not None and "fixed offset" in advice[0]
    assert examples(offset) in advice[1]


@pytest.mark.parametrize("name, current", [("US/Pacific", "America/Los_Angeles"), ("EST5EDT", "America/New_York"),
                                           ("Asia/Calcutta", "Asia/Kolkata"), ("UCT", "UTC")])
def test_legacy_names_point_to_their_current_name(name: str, current: str) -> None:
    advice = timezone_advice(name)
    assert advice is not None and f'"{current}"' in advice[1]


@pytest.mark.parametrize("name", ["UTC", "Etc/UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"])
def test_real_zones_get_no_advice(name: str) -> None:
    assert timezone_advice(name) is None


@pytest.mark.parametrize("typed, minutes", [("UTC-5", -300), ("GMT+2", 120), ("utc+05:30", 330), ("+0545", 345),
                                            ("UTC\u22125", -300), ("-3", -180)])
def test_offsets_are_read_however_they_are_written(typed: str, minutes: int) -> None:
    assert parse_offset(typed) == minutes


@pytest.mark.parametrize("typed, suggested", [
    ("UTC-5", "America/New_York"), ("GMT+1", "Europe/Paris"), ("UTC+05:30", "Asia/Kolkata"), ("UTC+0", "UTC"),
    ("Paris", "Europe/Paris"), ("new york", "America/New_York"), ("Europe/Pariss", "Europe/Paris")])
def test_what_an_unknown_zone_gets_suggested(typed: str, suggested: str) -> None:
    with pytest.raises(FormatError) as raised:
        normalise_timezone(typed)
    assert f'"{suggested}"' in (raised.value.fix or "")
    if typed.upper().startswith("UTC") and typed != "UTC+0":
        assert '"UTC"' not in (raised.value.fix or "")


def test_no_zone_of_the_machine_is_taken_for_a_place() -> None:
    with pytest.raises(FormatError):
        normalise_timezone("localtime")
