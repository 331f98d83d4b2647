"""Tokens from the environment, the keyring or the file are checked as `auth login` checks them, and
URLs with a password are never quoted with it: through the CLI, on every command that gets there."""

from __future__ import annotations

import pytest

from inboxctl.config.credentials import find_token, store_token
from inboxctl.config.profiles import check_server_url, shown_url
from inboxctl.errors import AuthenticationError, UsageError

TOKEN = "cw-live-4f9a2c7d1e"


@pytest.mark.parametrize("token", [f"{TOKEN}\n", f"{TOKEN}\nsecond-line", f"Bearer {TOKEN}", f"{TOKEN}\x1b[0m",
                                   f"{TOKEN}é", f"{TOKEN}\u2028x"])
def test_a_malformed_environment_token_is_exit_4_and_never_quoted(run, monkeypatch, token):
    assert run("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://chat.example.com",
               "--account-id", "1").exit_code == 0
    monkeypatch.setenv("INBOXCTL_TOKEN", token)
    for args in (("--profile", "cw", "conv", "list"), ("--profile", "cw", "--debug", "auth", "status")):
        result = run(*args)
        output = result.stdout + result.stderr
        if token.strip() == TOKEN:  # only trailing space: stripped, as auth login does
            continue
        assert result.exit_code == 4, output
        assert "the API token in the environment variable INBOXCTL_TOKEN" in output
        assert TOKEN not in output and "Internal error" not in output


def test_a_damaged_token_in_the_keyring_is_reported_without_it(memory_keyring):
    memory_keyring.set_password("inboxctl", "cw", f"{TOKEN}\r\nInjected: header")
    with pytest.raises(AuthenticationError) as raised:
        find_token("cw")
    assert "system keyring" in str(raised.value) and TOKEN not in str(raised.value)


def test_auth_login_refuses_non_ascii_tokens_it_could_never_send():
    with pytest.raises(UsageError, match="other than ASCII"):
        store_token("cw", f"{TOKEN}ж")


@pytest.mark.parametrize("url", ["https://admin:s3cr3t-pass@host:badport", "https://admin:s3cr3t-pass@chat.example.com",
                                 "admin:s3cr3t-pass@chat.example.com", "https:/admin:s3cr3t-pass@host",
                                 "https://admin:s3cr3t-pass/x@host", "https://admin:s3cr3t-pass\u2028@host"])
def test_a_password_in_a_url_is_masked_in_every_message(url):
    with pytest.raises(UsageError) as raised:
        check_server_url(url, backend="chatwoot")
    assert "s3cr3t-pass" not in str(raised.value)
    assert "s3cr3t-pass" not in shown_url(url)


def test_through_the_cli_too(run, monkeypatch):
    added = run("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://admin:s3cr3t-pass@host:badport",
                "--account-id", "1")
    assert added.exit_code == 64 and "s3cr3t-pass" not in added.stdout + added.stderr
    assert "https://***@host:badport" in added.stderr
    assert run("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://chat.example.com",
               "--account-id", "1").exit_code == 0
    monkeypatch.setenv("INBOXCTL_URL", "https://admin:s3cr3t-pass@host:badport")
    listed = run("--profile", "cw", "conv", "list")
    assert listed.exit_code == 64 and "s3cr3t-pass" not in listed.stdout + listed.stderr
