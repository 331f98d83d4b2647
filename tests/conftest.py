"""Shared fixtures: every test gets its own inboxctl home, so the real local SQLite file is per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from inboxctl.cli.main import cli

SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def inboxctl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "inboxctl-home"
    monkeypatch.setenv("INBOXCTL_HOME", str(home))
    monkeypatch.setenv("INBOXCTL_CONFIG_DIR", str(tmp_path / "inboxctl-config"))
    for variable in ("INBOXCTL_PROFILE", "INBOXCTL_URL", "INBOXCTL_TOKEN", "NO_COLOR"):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture
def run(inboxctl_home: Path):
    """Run the CLI in-process and return click's Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke
