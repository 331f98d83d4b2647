"""inboxctl starts fast because a run imports only what its command uses: this guards that design.

No timing here (timing belongs in benchmarks/bench_startup.py): each check runs commands in a fresh
Python process and looks at which modules it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from inboxctl.cli.commands import registry
from inboxctl.cli.commands.conversations.actions import COMMANDS as ACTION_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests") not in sys.path:  # tests/fakes is shared with the benchmarks, not a package
    sys.path.insert(0, str(ROOT / "tests"))

from fakes.chatwoot_server import ADMIN_TOKEN as CHATWOOT_TOKEN  # noqa: E402
from fakes.chatwoot_server import FakeChatwoot  # noqa: E402
from fakes.hubspot_server import TOKEN as HUBSPOT_TOKEN  # noqa: E402
from fakes.hubspot_server import FakeHubSpot  # noqa: E402

# Runs each command line given as a JSON list, in this one process, then reports the exit codes and
# every module imported.
CHILD = """
import json, sys
from inboxctl.cli.main import cli
codes = []
for args in json.loads(sys.argv[1]):
    try:
        cli.main(args, prog_name="inboxctl")
    except SystemExit as done:
        codes.append(done.code)
with open(sys.argv[2], "w") as report:
    json.dump({"codes": codes, "modules": sorted(sys.modules)}, report)
"""

HTTP_ONLY = ("keyring", "requests", "urllib3", "inboxctl.http", "inboxctl.config.credentials",
             "inboxctl.backends.chatwoot", "inboxctl.backends.hubspot")


def run_in_fresh_process(tmp_path: Path, *command_lines: list[str], env: dict[str, str] | None = None) -> dict:
    report = tmp_path / "report.json"
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(("INBOXCTL_", "GITHUB_"))}
    environment = {**inherited, "INBOXCTL_HOME": str(tmp_path / "home"),
                   "INBOXCTL_CONFIG_DIR": str(tmp_path / "config"), **(env or {})}
    subprocess.run([sys.executable, "-c", CHILD, json.dumps(command_lines), str(report)], cwd=ROOT,
                   env=environment, check=True, capture_output=True, timeout=120)
    return json.loads(report.read_text())


def imported(modules: list[str], *names: str) -> list[str]:
    """Those of ``names`` that were imported, as modules or as packages of imported modules."""
    return [name for name in names if any(module == name or module.startswith(name + ".") for module in modules)]


def test_version_and_validate_import_no_keyring_requests_or_tabulate(tmp_path: Path) -> None:
    report = run_in_fresh_process(tmp_path, ["--version"], ["validate", "configs/"])
    assert report["codes"] == [0, 0]
    assert imported(report["modules"], "keyring", "requests", "tabulate") == []


def test_local_commands_load_neither_http_nor_the_other_backends(tmp_path: Path) -> None:
    report = run_in_fresh_process(tmp_path, ["plan", "configs/"], ["conv", "list"], ["conv", "show", "1"])
    assert report["codes"] == [0, 0, 0]
    assert imported(report["modules"], *HTTP_ONLY, "tabulate") == []


@pytest.mark.parametrize("backend", ["chatwoot", "hubspot"])
def test_a_server_profile_loads_its_backend_only(tmp_path: Path, backend: str) -> None:
    fake, token = (FakeChatwoot(), CHATWOOT_TOKEN) if backend == "chatwoot" else (FakeHubSpot(), HUBSPOT_TOKEN)
    with fake:
        add = ["profile", "add", "srv", "--backend", backend, "--url", fake.url, "--rate", "1000"]
        report = run_in_fresh_process(tmp_path, add + (["--account-id", "1"] if backend == "chatwoot" else []),
                                      ["--profile", "srv", "conv", "list"], env={"INBOXCTL_TOKEN": token})
    assert report["codes"] == [0, 0]
    other = "hubspot" if backend == "chatwoot" else "chatwoot"
    assert imported(report["modules"], "requests", f"inboxctl.backends.{backend}") == [
        "requests", f"inboxctl.backends.{backend}"]
    assert imported(report["modules"], f"inboxctl.backends.{other}", "inboxctl.backends.local", "tabulate") == []
    assert imported(report["modules"], "keyring") == []  # the token came from INBOXCTL_TOKEN, as in CI


def test_help_and_completion_of_command_names_import_no_command(tmp_path: Path) -> None:
    report = run_in_fresh_process(tmp_path, ["--help"], ["conv", "--help"])
    assert report["codes"] == [0, 0]
    assert imported(report["modules"], "inboxctl.cli.commands.validate", "inboxctl.cli.commands.plan",
                    "inboxctl.cli.commands.conversations.listing", "inboxctl.cli.commands.conversations.actions",
                    "inboxctl.backends.local", "tomlkit", *HTTP_ONLY) == []
    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "inboxctl"], cwd=ROOT, capture_output=True,
                               text=True, env={**os.environ, "_INBOXCTL_COMPLETE": "zsh_complete",
                                               "COMP_WORDS": "inboxctl conv ", "COMP_CWORD": "2"})
    assert "list\nList conversations, newest first." in completed.stdout
    assert "inboxctl.cli.commands.conversations.listing" not in completed.stderr  # -X importtime's list


# -- the registry ------------------------------------------------------------------------------

REGISTERED = [(name, entry) for table in (registry.COMMANDS, registry.CONVERSATION_COMMANDS)
              for name, entry in table.items()]


@pytest.mark.parametrize("name,entry", REGISTERED, ids=[name for name, _ in REGISTERED])
def test_the_registry_lists_each_command_with_its_own_one_line_help(name: str, entry: registry.LazyCommand) -> None:
    command = entry.load()
    assert command.name == name
    listed = click.Command(name, help=entry.help)
    for width in (20, 45, 60, 74, 1000):  # --help shortens to the terminal's width; completion to 45
        assert listed.get_short_help_str(width) == command.get_short_help_str(width)


def test_every_conversation_action_is_registered() -> None:
    registered = {entry.load() for entry in registry.CONVERSATION_COMMANDS.values()}
    assert [command.name for command in ACTION_COMMANDS if command not in registered] == []


def test_a_mistyped_command_still_gets_a_suggestion(run) -> None:
    result = run("conv", "lst")
    assert result.exit_code == 64
    assert "No such command 'lst'" in result.stderr
    if hasattr(click.exceptions, "NoSuchCommand"):  # click 8.4+ suggests close names
        assert "Did you mean 'list'?" in result.stderr
