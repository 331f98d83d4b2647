"""Views, filters, dates and users: from what a user typed to a ConversationQuery (no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inboxctl.backends.base import User
from inboxctl.conversations.filters import (
    DEFAULT_LOCAL_USER,
    VIEWS,
    FilterSpec,
    build_query,
    current_user,
    parse_duration,
    parse_when,
    resolve_user,
)
from inboxctl.conversations.model import ConversationQuery
from inboxctl.errors import UsageError

USERS = (User("alice@acme.example", "Alice"), User("bob@acme.example", "Bob"),
         User("frank@acme.example", "Frank", active=False))


@pytest.mark.parametrize(("text", "expected"), [
    ("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)),
    ("2w", timedelta(weeks=2)), (" 7D ", timedelta(days=7)), ("2024-05-01", None), ("7", None), ("d", None),
])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
HUNDRED_YEARS = 36_525 * 86400


@given(st.integers(min_value=0, max_value=5217), st.sampled_from(["m", "h", "d", "w"]))
def test_any_whole_duration_parses_back_to_itself(amount, unit):
    assert parse_duration(f"{amount}{unit}") == timedelta(seconds=amount * UNIT_SECONDS[unit])


@given(st.integers(min_value=1, max_value=10**30), st.sampled_from(["m", "h", "d", "w"]))
def test_a_duration_beyond_a_hundred_years_is_a_usage_error(amount, unit):
    text = f"{amount}{unit}"
    if amount * UNIT_SECONDS[unit] <= HUNDRED_YEARS:
        assert parse_duration(text) == timedelta(seconds=amount * UNIT_SECONDS[unit])
    else:
        with pytest.raises(UsageError, match="too long: a duration reaches back at most 100 years"):
            parse_when(text, option="--older-than")


@pytest.mark.parametrize("text", ["9999-12-31", "0001-01-01", "1899-12-31T23:59", "0001-01-01T00:00+14:00",
                                  "9998-12-31T23:00-12:00"])
def test_dates_out_of_range_are_usage_errors_for_every_bound(text):
    for end_of_day in (False, True):
        with pytest.raises(UsageError, match="out of range: give a date between 1900-01-01 and 9998-12-31"):
            parse_when(text, option="--until", end_of_day=end_of_day)


def test_the_last_dates_in_range_still_work_as_upper_bounds():
    assert parse_when("9998-12-31", option="--until", end_of_day=True) == datetime(9999, 1, 1, tzinfo=timezone.utc)
    assert parse_when("1900-01-01", option="--since") == datetime(1900, 1, 1, tzinfo=timezone.utc)


def test_a_long_value_is_cut_short_in_the_message():
    with pytest.raises(UsageError) as raised:
        parse_when("9" * 5000 + "d", option="--older-than")
    assert len(str(raised.value)) < 200


def test_parse_when_dates_datetimes_and_end_of_day():
    assert parse_when("2024-05-01", option="--since") == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert parse_when("2024-05-01", option="--until", end_of_day=True) == datetime(2024, 5, 2, tzinfo=timezone.utc)
    assert parse_when("2024-05-01T14:30", option="--since") == datetime(2024, 5, 1, 14, 30, tzinfo=timezone.utc)
    assert parse_when("2024-05-01T14:30+02:00", option="--since") == datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc)
    with pytest.raises(UsageError, match="neither a date nor a duration"):
        parse_when("yesterday", option="--since")


def test_relative_bounds_stay_relative_until_the_backend_resolves_them():
    query = build_query(FilterSpec(older_than="30d", since="2024-01-01"), users=USERS, me=None)
    assert query.until == timedelta(days=30)
    now = datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert query.bounds(now) == (datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 5, 2, tzinfo=timezone.utc))


def test_older_than_must_be_a_duration_and_excludes_until():
    with pytest.raises(UsageError, match="not a duration"):
        build_query(FilterSpec(older_than="2024-01-01"), users=USERS, me=None)
    with pytest.raises(UsageError, match="give one of them"):
        build_query(FilterSpec(older_than="3d", until="2024-01-01"), users=USERS, me=None)


def test_every_view_is_a_preset_and_mine_is_me():
    assert set(VIEWS) == {"unassigned", "mine", "open", "closed", "sent", "spam", "trash", "chat", "bots", "email",
                          "messenger", "forms"}
    assert build_query(FilterSpec(view="mine"), users=USERS, me="bob@acme.example").assignee == "bob@acme.example"
    assert build_query(FilterSpec(view="trash"), users=USERS, me=None).trash == "only"
    assert build_query(FilterSpec(view="forms"), users=USERS, me=None).channel == "form"
    assert build_query(FilterSpec(view="unassigned"), users=USERS, me=None) == ConversationQuery(
        status="open", outgoing=False, unassigned=True)


def test_explicit_filters_win_over_the_view():
    query = build_query(FilterSpec(view="unassigned", assignee="BOB@acme.example"), users=USERS, me=None)
    assert (query.assignee, query.unassigned, query.status) == ("bob@acme.example", False, "open")
    query = build_query(FilterSpec(view="mine", unassigned=True), users=USERS, me="alice@acme.example")
    assert (query.assignee, query.unassigned) == (None, True)


def test_scope_is_forced_on_top():
    query = build_query(FilterSpec(inbox="Support", include_trash=True), users=USERS, me=None, scope={"trash": "only"})
    assert query.trash == "only" and query.inbox == "Support"


def test_hide_filtered_and_trash_by_default():
    query = build_query(FilterSpec(inbox="Sales"), users=USERS, me=None)
    assert (query.trash, query.filtered) == ("hide", "hide")
    query = build_query(FilterSpec(include_filtered=True, include_trash=True), users=USERS, me=None)
    assert (query.trash, query.filtered) == ("include", "include")


def test_resolve_user_case_insensitive_with_a_close_match_suggestion():
    alice = resolve_user("ALICE@Acme.Example", USERS, option="--to", allow_deactivated=False)
    assert alice.email == "alice@acme.example"
    with pytest.raises(UsageError) as error:
        resolve_user("alcie@acme.example", USERS, option="--to", allow_deactivated=False)
    assert error.value.hint == "did you mean alice@acme.example?"
    with pytest.raises(UsageError) as error:
        resolve_user("zed@elsewhere.example", USERS, option="--to", allow_deactivated=False)
    assert "known users" in (error.value.hint or "")


def test_deactivated_users_only_when_allowed():
    with pytest.raises(UsageError, match="deactivated"):
        resolve_user("frank@acme.example", USERS, option="--assignee", allow_deactivated=False)
    assert resolve_user("frank@acme.example", USERS, option="--assignee", allow_deactivated=True).active is False


def test_current_user_order_flag_then_environment_then_local_default(monkeypatch):
    monkeypatch.delenv("INBOXCTL_USER", raising=False)
    users = (*USERS, User(DEFAULT_LOCAL_USER, "Alice"))
    assert current_user(None, backend_name="local", users=users) == DEFAULT_LOCAL_USER
    monkeypatch.setenv("INBOXCTL_USER", "bob@acme.example")
    assert current_user(None, backend_name="local", users=users) == "bob@acme.example"
    assert current_user("Alice@acme.example", backend_name="local", users=users) == "alice@acme.example"
    monkeypatch.delenv("INBOXCTL_USER")
    with pytest.raises(UsageError, match="does not know who you are"):
        current_user(None, backend_name="chatwoot", users=users)


def test_describe_reads_like_the_command_line():
    query = build_query(FilterSpec(inbox="Support", older_than="30d"), users=USERS, me=None)
    assert query.describe() == "inbox Support, older than 30d"
    assert ConversationQuery().describe() == "all conversations"
