"""Fuzz: conversation ids and date bounds as typed on the command line, against a real local backend.

Durations of any size and unit, dates from year 1 to 9999 with any offset, date-times, garbage;
ids in every spelling (signs, ``#``, 20 digits, other scripts' digits, text). Each is listed with,
shown, or acted on (dry run): a usage error or an answer, never an internal error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzkit import assert_clean_run, count, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inboxctl.cli.main import cli

UNITS = st.sampled_from(["m", "min", "h", "d", "w", "D", "W", "s", "y", ""])
DURATIONS = st.builds(lambda amount, unit, space: f"{amount}{space}{unit}",
                      st.one_of(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**40)),
                      UNITS, st.sampled_from(["", " "]))
OFFSETS = st.one_of(st.just(""), st.just("Z"), st.builds(lambda minutes: f"{'+' if minutes >= 0 else '-'}"
                                                         f"{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}",
                                                         st.integers(min_value=-23 * 60, max_value=23 * 60)))
DATES = st.builds(lambda day, time, offset: f"{day.isoformat()}{time}{offset if time else ''}",
                  st.dates(), st.sampled_from(["", "T00:00", "T23:59", "T12:30:45", " 14:00"]), OFFSETS)
WHEN = st.one_of(DURATIONS, DATES, st.text(max_size=20), st.sampled_from(
    ["99999999999d", "1000000w", "9999-12-31", "0001-01-01", "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00",
     "٣d", "²w", "-5d", "1e9d", "nand", "P1D"]))
IDS = st.one_of(st.integers(min_value=-(10**25), max_value=10**25).map(str), st.text(max_size=24),
                st.builds(lambda digits: f"#{digits}", st.text(alphabet="0123456789", min_size=1, max_size=22)),
                st.sampled_from(["٣", "²", "#42", "42 ", "0", "00000000000000000042", "9" * 19, "9" * 20, "1_000"]))
BOUNDS = st.sampled_from(["--since", "--until", "--older-than"])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    made = tmp_path_factory.mktemp("home")
    assert invoke(made, "conv", "list", "--limit", "1").exit_code == 0
    return made


def invoke(home: Path, *args: str) -> Any:
    env = {"INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "INBOXCTL_PROFILE": None,
           "INBOXCTL_URL": None, "INBOXCTL_TOKEN": None}
    return CliRunner().invoke(cli, list(args), env=env)


@fuzz_settings(100)
@given(bounds=st.lists(st.tuples(BOUNDS, WHEN), min_size=1, max_size=2),
       command=st.sampled_from([("conv", "list", "--limit", "3", "-o", "json"),
                                ("conv", "close", "--inbox", "Support", "--dry-run", "--yes")]))
def test_any_date_bound_is_a_usage_error_or_a_listing(home, bounds, command):
    options = [part for option, value in bounds for part in (option, value)]
    result = invoke(home, *command, *options)
    count("dates and durations (conv --since/--until/--older-than)", result.exit_code)
    assert_clean_run(result, what=f"{' '.join(command)} {options!r}")
    assert result.exit_code in (0, 1, 3, 64), result.stderr  # 1: nothing matched a close by filter


@fuzz_settings(100)
@given(ids=st.lists(IDS, min_size=1, max_size=3),
       command=st.sampled_from([("conv", "show"), ("conv", "close", "--dry-run", "--yes"),
                                ("conv", "reopen", "--dry-run", "--yes")]))
def test_any_conversation_id_is_a_usage_error_or_an_answer(home, ids, command):
    if command[1] == "show":
        ids = ids[:1]
    result = invoke(home, *command, "--", *ids)
    count("conversation ids (conv show/close/reopen)", result.exit_code)
    assert_clean_run(result, what=f"{' '.join(command)} {ids!r}")
