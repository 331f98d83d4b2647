"""inboxctl auth login/status/logout, and a scripted session that must never reveal the token.

The Chatwoot backend is replaced by a stand-in with the same constructor: a real local backend
(so plan, apply and export work) whose ``whoami`` accepts one token only, like a server would.
"""

from __future__ import annotations

import json
import shutil
import stat
import sys
import types
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from inboxctl.backends.local.backend import LocalBackend, default_database_path
from inboxctl.config.credentials import credentials_file
from inboxctl.errors import AuthenticationError

GOOD_TOKEN = "cwtok-7Hq2ZpX9vL4mN8rT3sW6"
TESTS_DIR = Path(__file__).resolve().parents[1]
CONFIGS = TESTS_DIR.parent / "configs"
CW = ("profile", "add", "cw", "--backend", "chatwoot", "--url", "http://127.0.0.1:3000", "--account-id", "1")




@pytest.fixture
def no_keyring() -> None:
    keyring.set_keyring(fail.Keyring())


@pytest.fixture
def chatwoot(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stand in for inboxctl.backends.chatwoot.backend; returns the keyword arguments of each opening."""
    opened: list[dict[str, Any]] = []

    class FakeChatwootBackend(LocalBackend):
        name = "chatwoot"

        def __init__(self, **options: Any) -> None:
            opened.append(options)
            super().__init__(LocalBackend.open_default().store)
            self._token = options["token"]

        def whoami(self) -> str:
            if self._token != GOOD_TOKEN:
                raise AuthenticationError("Chatwoot refused the credentials", reason="Invalid Access Token",
                                          status=401)
            return "Alice Admin <alice@acme.example>"

    module = types.ModuleType("inboxctl.backends.chatwoot.backend")
    module.ChatwootBackend = FakeChatwootBackend  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "inboxctl.backends.chatwoot.backend", module)
    return opened


@pytest.fixture
def cw_profile(run, chatwoot) -> str:
    assert run(*CW).exit_code == 0
    return "cw"


# ---------------------------------------------------------------------------------------------
# login


def test_login_with_token_checks_it_then_stores_it_in_the_keyring(run, cw_profile, memory_keyring, chatwoot) -> None:
    result = run("auth", "login", "--profile", "cw", "--with-token", input=f"  {GOOD_TOKEN}\n")
    assert result.exit_code == 0, result.stderr
    assert memory_keyring.passwords == {("inboxctl", "cw"): GOOD_TOKEN}
    assert chatwoot == [{"url": "http://127.0.0.1:3000", "account_id": "1", "token": GOOD_TOKEN}]
    assert "Logged in to profile 'cw' as Alice Admin <alice@acme.example>." in result.stderr
    assert "Token stored in the system keyring" in result.stderr
    assert GOOD_TOKEN not in result.stdout + result.stderr
    assert not credentials_file().exists()


def test_login_prompts_with_hidden_input_on_a_terminal(run, cw_profile, memory_keyring, monkeypatch) -> None:
    monkeypatch.setattr("inboxctl.cli.commands.auth.stdin_is_terminal", lambda: True)
    result = run("--profile", "cw", "auth", "login", input=f"{GOOD_TOKEN}\n")
    assert result.exit_code == 0, result.stderr
    assert "API token for chatwoot at http://127.0.0.1:3000 (account 1):" in result.stderr
    assert "Profile settings > Access Token" in result.stderr
    assert GOOD_TOKEN not in result.stdout + result.stderr  # hidden: not echoed
    assert memory_keyring.passwords == {("inboxctl", "cw"): GOOD_TOKEN}


def test_login_without_a_terminal_or_with_token_refuses_to_prompt(run, cw_profile) -> None:
    result = run("--profile", "cw", "auth", "login", input=f"{GOOD_TOKEN}\n")
    assert result.exit_code == 64
    assert "--with-token" in result.stderr


def test_a_rejected_token_exits_4_with_the_servers_reason_and_stores_nothing(run, cw_profile, memory_keyring) -> None:
    result = run("auth", "login", "--profile", "cw", "--with-token", input="wrong-token-123\n")
    assert result.exit_code == 4
    assert "nothing was stored: chatwoot at http://127.0.0.1:3000 (account 1) rejected the token: " \
           "Invalid Access Token" in result.stderr
    assert "wrong-token-123" not in result.stderr
    assert memory_keyring.passwords == {}
    assert not credentials_file().exists()


def test_login_without_a_keyring_says_so_before_asking_for_the_token(run, cw_profile, no_keyring, chatwoot) -> None:
    result = run("auth", "login", "--profile", "cw", "--with-token", input=f"{GOOD_TOKEN}\n")
    assert result.exit_code == 1
    assert "no system keyring is available on this machine" in result.stderr
    assert "set INBOXCTL_TOKEN in the environment instead" in result.stderr
    assert "--insecure-file" in result.stderr
    assert chatwoot == []  # the token was not even read or sent
    assert not credentials_file().exists()


def test_insecure_file_stores_with_mode_0600_and_warns(run, cw_profile, no_keyring) -> None:
    result = run("auth", "login", "--profile", "cw", "--with-token", "--insecure-file", input=GOOD_TOKEN)
    assert result.exit_code == 0, result.stderr
    assert f"Token stored in the file {credentials_file()}" in result.stderr
    assert "Warning: the token is kept unencrypted" in result.stderr
    assert stat.S_IMODE(credentials_file().stat().st_mode) == 0o600
    status = run("--profile", "cw", "auth", "status")
    assert status.exit_code == 0
    assert f"Token from:   the file {credentials_file()}" in status.stdout


def test_login_to_the_local_profile_is_a_usage_error(run) -> None:
    result = run("auth", "login", "--with-token", input="x")
    assert result.exit_code == 64
    assert "uses the local backend, which needs no token" in result.stderr


def test_login_notes_that_the_environment_takes_precedence(run, cw_profile, monkeypatch) -> None:
    monkeypatch.setenv("INBOXCTL_TOKEN", "something-else")
    result = run("auth", "login", "--profile", "cw", "--with-token", input=GOOD_TOKEN)
    assert result.exit_code == 0
    assert "INBOXCTL_TOKEN is set, and takes precedence" in result.stderr


# ---------------------------------------------------------------------------------------------
# status and logout


def test_status_shows_who_and_where_never_the_token(run, cw_profile, memory_keyring, monkeypatch) -> None:
    memory_keyring.set_password("inboxctl", "cw", GOOD_TOKEN)
    result = run("--profile", "cw", "auth", "status")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["Profile 'cw': chatwoot at http://127.0.0.1:3000 (account 1)",
                                              "Logged in as: Alice Admin <alice@acme.example>"]
    assert "Token from:   the system keyring (" in result.stdout
    monkeypatch.setenv("INBOXCTL_TOKEN", GOOD_TOKEN)
    details = json.loads(run("--profile", "cw", "auth", "status", "-o", "json").stdout)
    assert details["token_source"] == "env"
    assert details["user"] == "Alice Admin <alice@acme.example>"
    assert GOOD_TOKEN not in json.dumps(details)


def test_status_without_a_token_exits_4_and_says_how_to_fix_it(run, cw_profile) -> None:
    result = run("--profile", "cw", "auth", "status")
    assert result.exit_code == 4
    assert "no API token for profile 'cw'" in result.stderr
    assert "inboxctl auth login --profile cw" in result.stderr and "INBOXCTL_TOKEN" in result.stderr


def test_status_with_a_rejected_token_says_where_it_came_from(run, cw_profile, monkeypatch) -> None:
    monkeypatch.setenv("INBOXCTL_TOKEN", "expired-token-42")
    result = run("--profile", "cw", "auth", "status")
    assert result.exit_code == 4
    assert "the token from the environment variable INBOXCTL_TOKEN was rejected by chatwoot" in result.stderr
    assert "Invalid Access Token" in result.stderr
    assert "expired-token-42" not in result.stderr


def test_status_for_local_needs_no_token(run, inboxctl_home) -> None:
    result = run("auth", "status")
    assert result.exit_code == 0
    assert "Profile 'local' uses the local backend: no token needed." in result.stdout
    assert str(inboxctl_home / "local.sqlite3") in result.stdout


def test_logout_removes_the_token_and_is_a_no_op_the_second_time(run, cw_profile, memory_keyring) -> None:
    run("auth", "login", "--profile", "cw", "--with-token", input=GOOD_TOKEN)
    result = run("auth", "logout", "--profile", "cw")
    assert result.exit_code == 0
    assert "Removed the token of profile 'cw' from the system keyring" in result.stderr
    assert memory_keyring.passwords == {}
    again = run("auth", "logout", "--profile", "cw")
    assert again.exit_code == 0 and "nothing to remove" in again.stderr
    assert run("--profile", "cw", "auth", "status").exit_code == 4


# ---------------------------------------------------------------------------------------------
# wiring into every command


def test_commands_use_the_stored_token_and_the_profiles_rate(run, cw_profile, memory_keyring, chatwoot) -> None:
    run(*CW, "--rate", "4", "--replace")
    memory_keyring.set_password("inboxctl", "cw", GOOD_TOKEN)
    assert run("--profile", "cw", "export", "--inbox", "Support").exit_code == 0
    assert chatwoot[-1] == {"url": "http://127.0.0.1:3000", "account_id": "1", "token": GOOD_TOKEN, "rate": 4.0}


def test_a_command_without_a_token_exits_4_before_contacting_the_server(run, cw_profile, chatwoot) -> None:
    run("profile", "use", "cw")
    result = run("plan", str(CONFIGS))
    assert result.exit_code == 4
    assert "inboxctl auth login --profile cw" in result.stderr
    assert chatwoot == []


def test_ci_style_environment_only(run, cw_profile, monkeypatch, chatwoot, no_keyring) -> None:
    monkeypatch.setenv("INBOXCTL_PROFILE", "cw")
    monkeypatch.setenv("INBOXCTL_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("INBOXCTL_URL", "http://localhost:4000")
    result = run("-v", "plan", str(CONFIGS))
    assert result.exit_code == 0, result.stderr
    assert chatwoot[-1]["url"] == "http://localhost:4000"
    assert "API token for profile 'cw': from the environment variable INBOXCTL_TOKEN" in result.stderr


def test_a_scripted_session_never_reveals_the_token(run, tmp_path: Path, monkeypatch, memory_keyring,
                                                    chatwoot) -> None:
    """Every output, log line (-v --debug) and file a session writes, except the opt-in credentials file."""
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    plan_file, live = tmp_path / "plan.json", tmp_path / "live"
    session = [
        (CW, None),
        (("-v", "--debug", "auth", "login", "--profile", "cw", "--with-token"), GOOD_TOKEN),
        (("profile", "use", "cw"), None),
        (("-v", "--debug", "auth", "status", "-o", "json"), None),
        (("-v", "--debug", "profile", "show", "-o", "json"), None),
        (("-v", "--debug", "profile", "list", "-o", "json"), None),
        (("-v", "--debug", "plan", str(configs), "-o", "json", "--out", str(plan_file)), None),
        (("-v", "--debug", "apply", str(plan_file), "--yes"), None),
        (("-v", "--debug", "export", "--dir", str(live)), None),
        (("-v", "--debug", "auth", "login", "--profile", "cw", "--with-token", "--insecure-file"), GOOD_TOKEN),
        (("-v", "--debug", "auth", "status"), None),
        (("-v", "--debug", "auth", "logout"), None),
    ]
    outputs = []
    for args, stdin in session:
        result = run(*args, input=stdin)
        assert result.exit_code == 0, (args, result.stderr)
        outputs.append(result.stdout + result.stderr)
    monkeypatch.setenv("INBOXCTL_TOKEN", GOOD_TOKEN)
    for args in (("-v", "--debug", "auth", "status"), ("-v", "--debug", "plan", str(configs))):
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert "from the environment variable INBOXCTL_TOKEN" in outputs[-1]  # the log says where, ...
    for output in outputs:
        assert GOOD_TOKEN not in output  # ... never what
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path != credentials_file()]
    assert plan_file in written and any(path.parent == live for path in written)
    for path in written:
        assert GOOD_TOKEN.encode() not in path.read_bytes(), path


def test_end_to_end_against_a_fake_chatwoot_on_127_0_0_1(run, tmp_path: Path, monkeypatch, no_keyring) -> None:
    """The real Chatwoot backend over real sockets: login, status, plan, export; no token anywhere.

    (apply then an empty plan against this server is the Chatwoot backend's own test.)"""
    monkeypatch.syspath_prepend(str(TESTS_DIR))  # tests/fakes is shared with the benchmark, not a package
    server_module = pytest.importorskip("fakes.chatwoot_server", reason="the fake Chatwoot server is not there")
    token = server_module.ADMIN_TOKEN
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS / "chatwoot", configs)
    with server_module.FakeChatwoot() as server:
        session = [
            (("profile", "add", "real", "--backend", "chatwoot", "--url", server.url, "--account-id", "1",
              "--rate", "1000"), None),
            (("-v", "--debug", "auth", "login", "--profile", "real", "--with-token", "--insecure-file"), token),
            (("profile", "use", "real"), None),
            (("-v", "--debug", "auth", "status"), None),
            (("-v", "--debug", "plan", str(configs), "--out", str(tmp_path / "plan.json")), None),
            (("-v", "--debug", "export", "--dir", str(tmp_path / "live")), None),
        ]
        outputs = []
        for args, stdin in session:
            result = run(*args, input=stdin)
            assert result.exit_code == 0, (args, result.stderr[-2000:])
            outputs.append(result.stdout + result.stderr)
        assert "Logged in as: alice" in outputs[3].replace("Alice", "alice")
        monkeypatch.setenv("INBOXCTL_TOKEN", "not-" + token)
        rejected = run("auth", "status")
        assert rejected.exit_code == 4 and "Invalid Access Token" in rejected.stderr
        outputs.append(rejected.stdout + rejected.stderr)
    assert not default_database_path().exists()  # nothing went to the local backend
    for output in outputs:
        assert token not in output
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != credentials_file():
            assert token.encode() not in path.read_bytes(), path
