"""inboxctl profile add/list/show/use/remove, as a user runs them."""

from __future__ import annotations

import json

import keyring
import keyring.backend
import keyring.errors
import pytest

from inboxctl.config.profiles import config_file

CW = ("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://chat.example.com", "--account-id", "1")




def test_add_then_list_marks_the_active_profile(run) -> None:
    result = run(*CW, "--rate", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Profile 'cw' created" in result.stderr and "inboxctl auth login --profile cw" in result.stderr
    assert run("profile", "add", "hs", "--backend", "hubspot").exit_code == 0
    assert run("profile", "use", "cw").exit_code == 0
    listing = run("profile", "list")  # piped: tab-separated, no header
    assert listing.stdout.splitlines() == [
        "local\tlocal\t\t\t\t",
        "cw\tchatwoot\thttps://chat.example.com\t1\t5\tactive",
        "hs\thubspot\thttps://api.hubapi.com\t\t\t",
    ]
    rows = json.loads(run("profile", "list", "-o", "json").stdout)
    assert [(row["name"], row["active"]) for row in rows] == [("local", False), ("cw", True), ("hs", False)]
    assert rows[1] == {"name": "cw", "backend": "chatwoot", "url": "https://chat.example.com", "account_id": 1,
                       "rate": 5.0, "active": True}


def test_list_on_a_terminal_is_an_aligned_table(run, monkeypatch: pytest.MonkeyPatch) -> None:
    run(*CW)
    monkeypatch.setattr("inboxctl.cli.commands.profile.stdout_is_terminal", lambda: True)
    lines = run("profile", "list").stdout.splitlines()
    assert lines[0].split() == ["NAME", "BACKEND", "URL", "ACCOUNT", "RATE"]
    assert lines[1].split() == ["*", "local", "local", "-", "-", "-"]
    assert lines[2].split() == ["cw", "chatwoot", "https://chat.example.com", "1", "-"]


def test_profile_flag_and_environment_select_over_the_active_one(run, monkeypatch: pytest.MonkeyPatch) -> None:
    run(*CW)
    run("profile", "add", "hs", "--backend", "hubspot")
    run("profile", "use", "hs")
    assert json.loads(run("--profile", "cw", "profile", "show", "-o", "json").stdout)["name"] == "cw"
    monkeypatch.setenv("INBOXCTL_PROFILE", "cw")
    shown = json.loads(run("profile", "show", "-o", "json").stdout)
    assert (shown["name"], shown["selected_by"]) == ("cw", "--profile or INBOXCTL_PROFILE")
    result = run("profile", "use", "local")
    assert "INBOXCTL_PROFILE=cw is set in this environment and takes precedence" in result.stderr


def test_plain_http_to_another_machine_is_refused_when_adding(run) -> None:
    result = run("profile", "add", "cw", "--backend", "chatwoot", "--url", "http://chat.example.com",
                 "--account-id", "1")
    assert result.exit_code == 64
    assert "refusing plain http to chat.example.com: the API token would travel unencrypted" in result.stderr
    assert "use https://chat.example.com" in result.stderr
    assert not config_file().exists()
    ok = run("profile", "add", "dev", "--backend", "chatwoot", "--url", "http://127.0.0.1:3000", "--account-id", "1")
    assert ok.exit_code == 0


@pytest.mark.parametrize("args,message", [
    (("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://c.example.com"), "needs the account id"),
    (("profile", "add", "cw", "--backend", "zendesk"), "'zendesk' is not one of"),
    (("profile", "add", "cw", "--backend", "chatwoot", "--account-id", "1"), "needs the server's URL"),
    (("profile", "add", "local", "--backend", "hubspot"), "built-in profile"),
    (("profile", "add", "hs", "--backend", "hubspot", "--rate", "0"), "--rate"),
])
def test_invalid_add_is_a_usage_error(run, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 64
    assert message in result.stderr


def test_adding_again_is_a_no_op_and_replacing_needs_the_flag(run) -> None:
    run(*CW)
    assert "nothing changed" in run(*CW).stderr
    result = run(*CW, "--rate", "3")
    assert result.exit_code == 64 and "--replace" in result.stderr
    assert run(*CW, "--rate", "3", "--replace").exit_code == 0
    assert json.loads(run("profile", "show", "cw", "-o", "json").stdout)["rate"] == 3


def test_show_says_where_the_token_comes_from_never_the_token(run, memory_keyring, monkeypatch) -> None:
    run(*CW)
    shown = run("profile", "show", "cw")
    assert "Token:       none: run `inboxctl auth login --profile cw` or set INBOXCTL_TOKEN" in shown.stdout
    memory_keyring.set_password("inboxctl", "cw", "tok-keyring-0123456789")
    shown = run("profile", "show", "cw")
    assert "Token:       from the system keyring (" in shown.stdout
    assert 'service "inboxctl", user "cw")' in shown.stdout
    monkeypatch.setenv("INBOXCTL_TOKEN", "tok-env-0123456789")
    monkeypatch.setenv("INBOXCTL_URL", "http://127.0.0.1:8080")
    details = json.loads(run("profile", "show", "cw", "-o", "json").stdout)
    assert (details["token_source"], details["url"], details["url_source"]) == ("env", "http://127.0.0.1:8080", "env")
    text = run("profile", "show", "cw").stdout
    assert "http://127.0.0.1:8080 (from INBOXCTL_URL, replacing https://chat.example.com)" in text
    assert "tok-" not in text + json.dumps(details)


def test_show_local_names_the_local_file(run, inboxctl_home) -> None:
    shown = run("profile", "show")
    assert shown.exit_code == 0
    assert f"Local file:  {inboxctl_home / 'local.sqlite3'}" in shown.stdout
    assert "Token:       not needed by the local backend" in shown.stdout


def test_unknown_profile_is_a_usage_error_with_a_suggestion(run) -> None:
    run(*CW)
    for args in (("--profile", "cx", "plan", "configs"), ("profile", "use", "cww"), ("profile", "show", "cq"),
                 ("profile", "remove", "cw2", "--yes")):
        result = run(*args)
        assert result.exit_code == 64, args
        assert 'did you mean "cw"?' in result.stderr and "known profiles: local, cw" in result.stderr


def test_remove_asks_unless_yes_and_forgets_the_stored_token(run, memory_keyring) -> None:
    run(*CW)
    run("profile", "use", "cw")
    memory_keyring.set_password("inboxctl", "cw", "tok-0123456789")
    refused = run("profile", "remove", "cw")  # no terminal to ask on
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    result = run("profile", "remove", "cw", "--yes")
    assert result.exit_code == 0
    assert "`local` is the default again" in result.stderr
    assert "Its token was removed from the system keyring" in result.stderr
    assert memory_keyring.passwords == {}
    assert json.loads(run("profile", "list", "-o", "json").stdout) == [
        {"name": "local", "backend": "local", "url": None, "account_id": None, "rate": None, "active": True}]


def test_local_cannot_be_removed(run) -> None:
    result = run("profile", "remove", "local", "--yes")
    assert result.exit_code == 64
    assert "the built-in 'local' profile cannot be removed" in result.stderr


def test_a_hubspot_profile_without_a_token_says_how_to_give_one(run) -> None:
    run("profile", "add", "hs", "--backend", "hubspot")
    result = run("--profile", "hs", "export", "--inbox", "Support")
    assert result.exit_code == 4
    assert "no API token for profile 'hs' (hubspot at https://api.hubapi.com)" in result.stderr


def test_the_local_profile_never_looks_for_a_token(run, memory_keyring) -> None:
    class ExplodingKeyring(type(memory_keyring)):  # type: ignore[misc]
        def get_password(self, service: str, username: str) -> str | None:
            raise AssertionError("the local backend must not read the keyring")

    keyring.set_keyring(ExplodingKeyring())
    result = run("export", "--inbox", "Support")
    assert result.exit_code == 0, result.stderr
    assert 'name = "Support"' in result.stdout


def test_a_server_url_in_the_environment_without_a_server_profile_is_refused(run, monkeypatch) -> None:
    monkeypatch.setenv("INBOXCTL_URL", "https://chat.example.com")
    result = run("apply", "configs", "--yes")
    assert result.exit_code == 64
    assert "INBOXCTL_URL is set, but the profile in use, 'local', is the local backend" in result.stderr


def test_completion_offers_profile_names(run) -> None:
    from click.testing import CliRunner

    from inboxctl.cli.main import cli

    run(*CW)
    run("profile", "add", "hs", "--backend", "hubspot")
    for words in ("inboxctl profile use ", "inboxctl auth login --profile "):
        result = CliRunner().invoke(cli, [], prog_name="inboxctl", env={
            "_INBOXCTL_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()))})
        assert [line.split(",")[1] for line in result.stdout.splitlines()] == ["local", "cw", "hs"], words
