"""Fuzz: the local backend's file with random bytes flipped, zeroed or cut off.

Whatever the damage, every command that reads or writes the file either works (the damage hit
nothing it reads) or says the file is not a usable inboxctl database: never an internal error.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzkit import assert_clean_run, count, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inboxctl.cli.main import cli

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DATABASE = "local.sqlite3"
COMMANDS = (("conv", "list", "--all", "-o", "ids"), ("plan", str(CONFIGS)), ("conv", "show", "7"),
            ("conv", "list", "--inbox", "Support", "--view", "trash", "-o", "json"),
            ("export", "--dir", "{home}/export"), ("apply", str(CONFIGS), "--yes"),
            ("conv", "close", "--inbox", "Sales", "--yes"), ("conv", "undo", "--list"))


class Template:
    """The demo workspace's file (its bytes out of hypothesis' reports: they are a megabyte long)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def __repr__(self) -> str:
        return f"<local.sqlite3, {len(self.content)} bytes>"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    home = tmp_path_factory.mktemp("template")
    assert invoke(home, "conv", "list", "--limit", "1").exit_code == 0
    assert not (home / f"{DATABASE}-wal").exists() or (home / f"{DATABASE}-wal").stat().st_size == 0
    return Template((home / DATABASE).read_bytes())


def invoke(home: Path, *args: str) -> Any:
    env = {"INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "INBOXCTL_PROFILE": None,
           "INBOXCTL_URL": None, "INBOXCTL_TOKEN": None}
    return CliRunner().invoke(cli, [arg.replace("{home}", str(home)) for arg in args], env=env)


def damaged(data: st.DataObject, original: bytes) -> bytes:
    content = bytearray(original)
    kind = data.draw(st.sampled_from(["flip", "flip", "flip", "zero", "cut"]), label="damage")
    if kind == "cut":
        return bytes(content[: data.draw(st.integers(min_value=0, max_value=len(content) - 1), label="cut at")])
    for _ in range(data.draw(st.integers(min_value=1, max_value=40), label="places")):
        at = data.draw(st.integers(min_value=0, max_value=len(content) - 1), label="at")
        if kind == "zero":
            size = data.draw(st.integers(min_value=1, max_value=512), label="zeroed")
            content[at:at + size] = bytes(len(content[at:at + size]))
        else:
            content[at] ^= data.draw(st.integers(min_value=1, max_value=255), label="bits")
    return bytes(content)


@fuzz_settings(60)
@given(data=st.data())
def test_a_damaged_database_is_either_read_or_refused_clearly(template, tmp_path_factory, data):
    home = tmp_path_factory.mktemp("home")
    (home / DATABASE).write_bytes(damaged(data, template.content))
    for command in data.draw(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=3, unique=True),
                             label="commands"):
        result = invoke(home, *command)
        count("database bytes (damaged local.sqlite3)", result.exit_code)
        assert_clean_run(result, what=" ".join(command))
        if result.exit_code == 1 and "local.sqlite3" in result.stderr:
            assert "is not a usable inboxctl database" in result.stderr or "another version" in result.stderr, \
                result.stderr
    shutil.rmtree(home)
