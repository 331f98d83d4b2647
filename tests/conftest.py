"""Shared fixtures: every test gets its own inboxctl home (so the real local SQLite file is per
test) and an in-memory keyring (so no test touches the system keyring)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from click.testing import CliRunner

from inboxctl.cli.main import cli

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def inboxctl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "inboxctl-home"
    monkeypatch.setenv("INBOXCTL_HOME", str(home))
    monkeypatch.setenv("INBOXCTL_CONFIG_DIR", str(tmp_path / "inboxctl-config"))
    # GITHUB_ACTIONS would switch validate/plan to annotations when the suite itself runs on Actions.
    for variable in ("INBOXCTL_PROFILE", "INBOXCTL_URL", "INBOXCTL_TOKEN", "INBOXCTL_USER", "NO_COLOR",
                     "GITHUB_ACTIONS", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture
def run(inboxctl_home: Path):
    """Run the CLI in-process and return click's Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The system keyring, in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def db(run) -> Iterator[sqlite3.Connection]:
    """The demo workspace's SQLite file, created (and its stale trash purged) by a first command."""
    from inboxctl.backends.local.backend import default_database_path

    assert run("conv", "list", "--limit", "1").exit_code == 0
    connection = sqlite3.connect(default_database_path())
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()
