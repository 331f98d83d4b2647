"""Where a token comes from (environment, keyring, file), where it goes, and what happens without a keyring."""

from __future__ import annotations

import logging
import stat

import keyring
import keyring.errors
import pytest
from keyring.backends import fail, null

from inboxctl.config.credentials import (
    KeyringUnavailableError,
    credentials_file,
    delete_token,
    find_token,
    keyring_status,
    resolve_token,
    store_token,
)
from inboxctl.config.profiles import Profile
from inboxctl.errors import AuthenticationError, UsageError

TOKEN = "tok-4c1d9e0b7a2f45e8"
PROFILE = Profile(name="cw", backend="chatwoot", url="https://chat.example.com", account_id="1")


@pytest.fixture
def no_keyring():
    keyring.set_keyring(fail.Keyring())


def test_stored_in_the_keyring_under_service_inboxctl_and_the_profile_name(memory_keyring) -> None:
    stored = store_token("cw", f"  {TOKEN}\n", insecure_file=False)
    assert memory_keyring.passwords == {("inboxctl", "cw"): TOKEN}
    assert stored.source == "keyring"
    assert not credentials_file().exists()
    assert resolve_token(PROFILE).token == TOKEN


def test_order_is_environment_then_keyring_then_file(monkeypatch: pytest.MonkeyPatch, memory_keyring) -> None:
    store_token("cw", "from-the-file", insecure_file=True)
    assert resolve_token(PROFILE).source == "file"
    memory_keyring.set_password("inboxctl", "cw", "from-the-keyring")
    assert (resolve_token(PROFILE).source, resolve_token(PROFILE).token) == ("keyring", "from-the-keyring")
    monkeypatch.setenv("INBOXCTL_TOKEN", " from-the-env ")
    credential = resolve_token(PROFILE)
    assert (credential.source, credential.token) == ("env", "from-the-env")
    assert credential.where == "the environment variable INBOXCTL_TOKEN"


def test_missing_token_is_exit_4_and_says_how_to_fix_it() -> None:
    with pytest.raises(AuthenticationError) as raised:
        resolve_token(PROFILE)
    assert raised.value.exit_code == 4
    message = str(raised.value)
    assert "no API token for profile 'cw' (chatwoot at https://chat.example.com (account 1))" in message
    assert "inboxctl auth login --profile cw" in message and "INBOXCTL_TOKEN" in message


def test_file_is_created_private_and_only_when_asked(memory_keyring) -> None:
    store_token("cw", TOKEN, insecure_file=True)
    path = credentials_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TOKEN in path.read_text()
    assert memory_keyring.passwords == {}
    store_token("other", "second-token", insecure_file=True)  # rewriting keeps it private
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert find_token("cw").credential.token == TOKEN


def test_a_token_lives_in_one_place_only(memory_keyring) -> None:
    store_token("cw", "old-token", insecure_file=False)
    store_token("cw", "new-token", insecure_file=True)
    assert memory_keyring.passwords == {}  # a stale keyring token would shadow the file
    assert resolve_token(PROFILE).token == "new-token"
    store_token("cw", "newest-token", insecure_file=False)
    assert not credentials_file().exists()
    assert resolve_token(PROFILE).token == "newest-token"


def test_delete_removes_from_keyring_and_file(memory_keyring) -> None:
    store_token("cw", TOKEN, insecure_file=True)
    memory_keyring.set_password("inboxctl", "cw", TOKEN)
    store_token("keep", "kept-token", insecure_file=True)
    removal = delete_token("cw")
    assert len(removal.places) == 2
    assert memory_keyring.passwords == {}
    assert find_token("cw").credential is None
    assert find_token("keep").credential.token == "kept-token"
    assert delete_token("cw").places == ()


@pytest.mark.parametrize("backend", [fail.Keyring, null.Keyring])
def test_without_a_keyring_nothing_is_stored_and_the_message_points_to_the_environment(backend) -> None:
    keyring.set_keyring(backend())
    assert not keyring_status().available
    with pytest.raises(KeyringUnavailableError) as raised:
        store_token("cw", TOKEN, insecure_file=False)
    message = str(raised.value)
    assert "no system keyring is available on this machine" in message
    assert "INBOXCTL_TOKEN" in message and "--insecure-file" in message
    assert TOKEN not in message
    assert not credentials_file().exists()


def test_without_a_keyring_the_missing_token_error_says_so(no_keyring) -> None:
    with pytest.raises(AuthenticationError) as raised:
        resolve_token(PROFILE)
    assert "no system keyring is available" in str(raised.value)
    assert "INBOXCTL_TOKEN" in str(raised.value)


def test_without_a_keyring_the_environment_and_the_file_still_work(no_keyring, monkeypatch) -> None:
    store_token("cw", TOKEN, insecure_file=True)
    assert resolve_token(PROFILE).source == "file"
    assert delete_token("cw").places == (f"the file {credentials_file()}",)
    monkeypatch.setenv("INBOXCTL_TOKEN", TOKEN)
    assert resolve_token(PROFILE).source == "env"


def test_a_keyring_that_refuses_the_write_is_reported(memory_keyring, monkeypatch) -> None:
    def locked(*args):
        raise keyring.errors.KeyringLocked("the collection is locked")

    monkeypatch.setattr(memory_keyring, "set_password", locked)
    with pytest.raises(KeyringUnavailableError, match="the system keyring refused the token.*locked"):
        store_token("cw", TOKEN)


def test_a_keyring_that_cannot_be_read_falls_back_to_the_file(memory_keyring, monkeypatch) -> None:
    store_token("cw", TOKEN, insecure_file=True)

    def broken(*args):
        raise RuntimeError("D-Bus is not running")

    monkeypatch.setattr(memory_keyring, "get_password", broken)
    assert resolve_token(PROFILE).source == "file"


@pytest.mark.parametrize("text", ["", "   \n", "Bearer abc", "abc\ndef"])
def test_unusable_token_text_is_refused_without_quoting_it(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        store_token("cw", text)
    assert (text.strip() or "@@") not in str(raised.value)


def test_the_log_says_where_the_token_came_from_never_its_value(caplog, monkeypatch) -> None:
    monkeypatch.setenv("INBOXCTL_TOKEN", TOKEN)
    with caplog.at_level(logging.INFO, logger="inboxctl"):
        resolve_token(PROFILE)
    assert "API token for profile 'cw': from the environment variable INBOXCTL_TOKEN" in caplog.text
    assert TOKEN not in caplog.text


def test_a_credentials_file_readable_by_others_is_warned_about(caplog) -> None:
    store_token("cw", TOKEN, insecure_file=True)
    credentials_file().chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="inboxctl"):
        assert resolve_token(PROFILE).source == "file"
    assert "other users can read it (mode 644)" in caplog.text


def test_a_broken_credentials_file_is_reported_without_its_content() -> None:
    path = credentials_file()
    path.parent.mkdir(parents=True)
    path.write_text(f'[profiles.cw]\ntoken = "{TOKEN}\n')
    with pytest.raises(UsageError) as raised:
        resolve_token(PROFILE)
    assert "invalid TOML at line" in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_credential_repr_hides_the_token() -> None:
    store_token("cw", TOKEN)
    assert TOKEN not in repr(resolve_token(PROFILE))
