"""Profiles in config.toml: selection order, environment overrides, validation, edits that keep comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxctl.config.profiles import (
    add_profile,
    config_file,
    get_profile,
    list_profiles,
    profile_names,
    remove_profile,
    resolve_profile,
    use_profile,
)
from inboxctl.errors import UsageError


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_without_a_config_file_only_local_exists_and_is_used() -> None:
    assert not config_file().exists()
    assert resolve_profile(None).name == "local"
    assert [profile.name for profile in list_profiles()] == ["local"]


def test_selection_order_is_explicit_then_active_then_local() -> None:
    add_profile("cw", backend="chatwoot", url="https://chat.example.com", account_id=1)
    add_profile("other", backend="chatwoot", url="https://other.example.com", account_id=2)
    assert resolve_profile(None).name == "local"
    use_profile("cw")
    assert resolve_profile(None).name == "cw"
    assert resolve_profile("other").name == "other"
    assert resolve_profile("local").backend == "local"


def test_added_profile_reads_back_with_its_settings() -> None:
    add_profile("cw", backend="chatwoot", url="https://chat.example.com/", account_id=7, rate=2.5)
    profile = get_profile("cw")
    assert (profile.backend, profile.url, profile.account_id, profile.rate) == (
        "chatwoot", "https://chat.example.com", "7", 2.5)
    assert profile.token is None


def test_hubspot_needs_no_url() -> None:
    add_profile("hs", backend="hubspot")
    assert get_profile("hs").url == "https://api.hubapi.com"
    assert "url" not in config_file().read_text()


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000",
                                 "https://chat.example.com"])
def test_urls_a_token_may_be_sent_to(url: str) -> None:
    add_profile("cw", backend="chatwoot", url=url, account_id=1)


@pytest.mark.parametrize("url,message", [
    ("http://chat.example.com", "refusing plain http to chat.example.com"),
    ("ftp://chat.example.com", "invalid server URL"),
    ("chat.example.com", "invalid server URL"),
    ("https://user:secret@chat.example.com", "do not put credentials in the server URL"),
    ("https://chat.example.com/?token=abc", "must not have a query string"),
])
def test_urls_refused_at_add_time(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as raised:
        add_profile("cw", backend="chatwoot", url=url, account_id=1)
    assert "secret" not in str(raised.value)
    assert not config_file().exists()


@pytest.mark.parametrize("settings,message", [
    ({"backend": "chatwoot", "url": "https://c.example.com"}, "needs the account id"),
    ({"backend": "chatwoot", "account_id": 1}, "needs the server's URL"),
    ({"backend": "hubspot", "account_id": 1}, "only chatwoot profiles take an account id"),
    ({"backend": "local", "url": "https://c.example.com"}, "the local backend takes no URL"),
    ({"backend": "chatwot", "url": "https://c.example.com"}, 'did you mean "chatwoot"'),
    ({"backend": "chatwoot", "url": "https://c.example.com", "account_id": 1, "rate": 0}, "positive number"),
])
def test_invalid_settings(settings: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        add_profile("cw", **settings)


@pytest.mark.parametrize("name", ["local", "has space", "-dash", "a/b", "x" * 65])
def test_reserved_and_invalid_names(name: str) -> None:
    with pytest.raises(UsageError):
        add_profile(name, backend="hubspot")


def test_adding_the_same_profile_twice_is_a_no_op_but_different_settings_need_replace() -> None:
    assert add_profile("hs", backend="hubspot").outcome == "created"
    assert add_profile("hs", backend="hubspot").outcome == "unchanged"
    with pytest.raises(UsageError, match="already exists") as raised:
        add_profile("hs", backend="hubspot", rate=5)
    assert "--replace" in str(raised.value)
    assert add_profile("hs", backend="hubspot", rate=5, replace=True).outcome == "replaced"
    assert get_profile("hs").rate == 5


def test_edits_keep_the_users_comments() -> None:
    path = write_config('# my servers\nactive = "cw"  # production\n\n[profiles.cw]  # main account\n'
                        'backend = "chatwoot"\nurl = "https://chat.example.com"  # behind the VPN\naccount_id = 1\n')
    add_profile("hs", backend="hubspot")
    add_profile("cw", backend="chatwoot", url="https://chat.example.com", account_id=1, rate=4, replace=True)
    use_profile("hs")
    text = path.read_text()
    for comment in ("# my servers", "# main account"):
        assert comment in text
    assert 'active = "hs"' in text
    remove_profile("hs")
    assert "# my servers" in path.read_text()


def test_removing_the_active_profile_makes_local_the_default_again() -> None:
    add_profile("cw", backend="chatwoot", url="https://chat.example.com", account_id=1)
    use_profile("cw")
    change = remove_profile("cw")
    assert change.was_active
    assert resolve_profile(None).name == "local"
    assert "active" not in config_file().read_text()


def test_local_cannot_be_removed() -> None:
    with pytest.raises(UsageError, match="cannot be removed"):
        remove_profile("local")


def test_unknown_profile_lists_the_known_ones_and_suggests() -> None:
    add_profile("staging", backend="hubspot")
    with pytest.raises(UsageError) as raised:
        resolve_profile("stagign")
    assert raised.value.exit_code == 64
    assert 'did you mean "staging"?' in str(raised.value)
    assert "known profiles: local, staging" in str(raised.value)


def test_an_active_profile_that_does_not_exist_says_where_it_was_set() -> None:
    write_config('active = "gone"\n')
    with pytest.raises(UsageError, match="unknown profile 'gone' \\(selected by active in"):
        resolve_profile(None)


def test_url_from_the_environment_overrides_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    add_profile("cw", backend="chatwoot", url="https://chat.example.com", account_id=1)
    monkeypatch.setenv("INBOXCTL_URL", "http://127.0.0.1:8080/")
    profile = resolve_profile("cw")
    assert (profile.url, profile.url_from_env) == ("http://127.0.0.1:8080", True)
    assert get_profile("cw").url == "https://chat.example.com"
    monkeypatch.setenv("INBOXCTL_URL", "http://ci.example.com")
    with pytest.raises(UsageError, match="INBOXCTL_URL: refusing plain http"):
        resolve_profile("cw")


def test_a_server_url_in_the_environment_with_the_local_profile_is_an_error(monkeypatch) -> None:
    # Otherwise CI that forgot to select its profile would apply to the local file and "succeed".
    monkeypatch.setenv("INBOXCTL_URL", "https://chat.example.com")
    with pytest.raises(UsageError, match="INBOXCTL_URL is set, but the profile in use, 'local'") as raised:
        resolve_profile(None)
    assert "--profile NAME or INBOXCTL_PROFILE=NAME" in str(raised.value)


def test_a_token_in_the_environment_with_the_local_profile_is_a_warning(monkeypatch, caplog) -> None:
    monkeypatch.setenv("INBOXCTL_TOKEN", "tok-0123456789")
    assert resolve_profile(None).name == "local"
    assert "INBOXCTL_TOKEN is set but profile 'local' is the local backend" in caplog.text
    assert "tok-0123456789" not in caplog.text


def test_a_hand_edited_table_is_checked_with_the_file_and_table_named() -> None:
    path = write_config('[profiles.cw]\nbackend = "chatwoot"\nurl = "https://c.example.com"\nacount_id = 1\n')
    with pytest.raises(UsageError) as raised:
        resolve_profile("cw")
    assert f"{path} [profiles.cw]: unknown key 'acount_id'" in str(raised.value)
    assert 'did you mean "account_id"' in str(raised.value)


def test_a_token_in_the_config_file_is_refused_without_quoting_it() -> None:
    write_config('[profiles.cw]\nbackend = "chatwoot"\nurl = "https://c.example.com"\naccount_id = 1\n'
                 'token = "s3cr3t-value"\n')
    with pytest.raises(UsageError, match="credentials do not belong in the config file") as raised:
        resolve_profile("cw")
    assert "s3cr3t-value" not in str(raised.value)
    assert "auth login" in str(raised.value)


def test_local_cannot_be_redefined_in_the_file() -> None:
    write_config('[profiles.local]\nbackend = "chatwoot"\n')
    with pytest.raises(UsageError, match="built-in profile"):
        list_profiles()


def test_profile_names_for_completion_do_not_validate() -> None:
    write_config('[profiles.cw]\nbackend = "nope"\n[profiles.hs]\nbackend = "hubspot"\n')
    assert profile_names() == ["local", "cw", "hs"]


def test_invalid_toml_names_the_file() -> None:
    path = write_config("[profiles.cw\n")
    with pytest.raises(UsageError, match=f"{path}: invalid TOML"):
        resolve_profile(None)


def test_a_broken_profile_can_still_be_removed_or_replaced() -> None:
    write_config('[profiles.cw]\nbackend = "nope"\n[profiles.hs]\nbackend = "hubspot"\nrate = -1\n')
    remove_profile("cw")
    add_profile("hs", backend="hubspot", replace=True)
    assert get_profile("hs").rate is None


def test_the_token_never_shows_in_a_profile_repr() -> None:
    from dataclasses import replace

    profile = replace(get_profile("local"), token="tok-abcdef123456")
    assert "tok-abcdef123456" not in repr(profile)
