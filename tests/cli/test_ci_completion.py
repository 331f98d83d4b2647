"""Shell completion of names, through click's completion machinery: in-process (``ShellComplete``, as the
shell scripts call it) and as a real process with ``_INBOXCTL_COMPLETE=bash_complete``. Names come from
the definitions on the command line, the local SQLite file or the cache a server plan wrote: completion
never contacts a server and never prints an error into the shell."""

from __future__ import annotations

import json
import os
import shlex
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete

from inboxctl.backends.local.backend import default_database_path
from inboxctl.cli.completion import CACHE_TTL_SECONDS, names_cache_path
from inboxctl.cli.main import cli
from inboxctl.conversations.filters import VIEWS

TESTS_DIR = Path(__file__).resolve().parents[1]
CONFIGS = TESTS_DIR.parent / "configs"
ACTIVE_USERS = ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dave@acme.example",
                "erin@acme.example", "grace@acme.example", "heidi@acme.example"]
CHANNEL_TYPES = ["email", "chat", "messenger", "form", "whatsapp", "calling"]

Complete = Callable[[str], list[str]]


@pytest.fixture
def complete(monkeypatch: pytest.MonkeyPatch) -> Complete:
    """What Tab offers after ``inboxctl LINE`` (a trailing space: a new word), as the shell script asks it."""
    def offered(line: str) -> list[str]:
        words = shlex.split(line)
        incomplete = "" if line.endswith(" ") else words.pop()
        monkeypatch.setenv("COMP_WORDS", "inboxctl " + line)
        completer = ShellComplete(cli, {}, "inboxctl", "_INBOXCTL_COMPLETE")
        return [item.value for item in completer.get_completions(words, incomplete)]

    return offered


def bash_complete(line: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real thing: a new inboxctl process, as completions/inboxctl.bash runs it."""
    words = ["inboxctl", *shlex.split(line)] + ([""] if line.endswith(" ") else [])
    environment = {**os.environ, "COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1),
                   "_INBOXCTL_COMPLETE": "bash_complete", **env}
    return subprocess.run([sys.executable, "-m", "inboxctl"], env=environment, capture_output=True, text=True,
                          timeout=30, check=False)


# -- fixed choices and profiles ---------------------------------------------------------------------

def test_views_statuses_channel_types_and_profiles(complete: Complete, run) -> None:
    assert complete("conv list --view ") == list(VIEWS)
    assert complete("conversations close --status ") == ["open", "closed"]
    assert complete("conv list --channel ") == CHANNEL_TYPES  # no local file yet: only the types
    assert complete("conv list --channel w") == ["whatsapp"]
    assert run("profile", "add", "cw", "--backend", "chatwoot", "--url", "https://chat.example.com",
               "--account-id", "1").exit_code == 0
    assert complete("profile use ") == ["local", "cw"]
    assert complete("auth status --profile c") == ["cw"]


# -- the local backend ------------------------------------------------------------------------------

def test_local_names_come_from_the_sqlite_file_which_completion_never_creates(complete: Complete, run) -> None:
    assert complete("conv list --inbox ") == []
    assert not default_database_path().exists()

    assert run("conv", "list", "--limit", "1").exit_code == 0  # the first real command creates it
    assert complete("conv list --inbox ") == ["Sales", "Support"]
    assert complete("conv list --inbox su") == ["Support"]  # as inboxctl matches names: any case
    assert complete("conv list --assignee ") == ACTIVE_USERS
    assert complete("conv list --include-deactivated --assignee f") == ["frank@acme.example"]
    assert complete("conv close --assignee b") == ["bob@acme.example"]
    assert complete("conv list --channel Web") == ["Website chat"]
    assert complete("export --inbox S") == ["Sales", "Support"]


def test_plan_and_apply_offer_the_inboxes_of_the_definitions_given(complete: Complete) -> None:
    assert complete(f"plan {CONFIGS} --inbox ") == ["Partners", "Sales", "Support"]
    assert complete(f"apply {CONFIGS / 'sales.toml'} --inbox ") == ["Sales"]
    assert complete(f"plan {CONFIGS} --detailed-exitcode --inbox p") == ["Partners"]
    assert complete(f"plan {CONFIGS} --inbox Sales --inbox S") == ["Sales", "Support"]
    assert not default_database_path().exists()


def test_assign_to_offers_active_users(complete: Complete, run) -> None:
    to = next(param for param in cli.commands["conversations"].commands["assign"].params  # type: ignore[attr-defined]
              if param.name == "to")
    if to._custom_shell_complete is None:  # noqa: SLF001 - the hook lives in actions.py
        pytest.skip("conv assign --to has no shell_complete hook yet (inboxctl/cli/commands/conversations/actions.py)")
    assert run("conv", "list", "--limit", "1").exit_code == 0
    assert complete("conv assign 42 --to c") == ["carol@acme.example"]


# -- server profiles: the cache a plan leaves, never a request ---------------------------------------

@pytest.fixture
def chatwoot(run, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
        sys.path.insert(0, str(TESTS_DIR))
    from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot

    with FakeChatwoot(bulk_delay=0.01) as fake:
        assert run("profile", "add", "cw", "--backend", "chatwoot", "--url", fake.url, "--account-id", "1",
                   "--rate", "500").exit_code == 0
        monkeypatch.setenv("INBOXCTL_TOKEN", ADMIN_TOKEN)
        yield fake


def test_a_server_plan_leaves_names_that_completion_offers_without_a_request(complete: Complete, run,
                                                                               chatwoot) -> None:
    assert complete("--profile cw conv list --inbox ") == []  # nothing known yet, and nothing asked
    assert run("--profile", "cw", "plan", str(CONFIGS / "chatwoot")).exit_code == 0
    requests = len(chatwoot.requests)  # type: ignore[attr-defined]

    assert complete("--profile cw conv list --inbox ") == ["Help Center", "Support"]  # what the server has
    assert complete("--profile cw conv list --assignee a") == ["alice@acme.example"]
    channels = complete("--profile cw conv list --channel ")
    assert len(chatwoot.requests) == requests  # type: ignore[attr-defined]

    path = names_cache_path("cw")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # e-mail addresses: the owner's only
    cached = json.loads(path.read_text())
    assert cached["url"] == chatwoot.url and "alice@acme.example" in cached["users"]  # type: ignore[attr-defined]
    assert cached["channels"] and channels == CHANNEL_TYPES + cached["channels"]


def test_stale_or_foreign_names_are_not_offered(complete: Complete, run, chatwoot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("--profile", "cw", "plan", str(CONFIGS / "chatwoot")).exit_code == 0
    assert complete("--profile cw conv list --inbox S") == ["Support"]
    monkeypatch.setenv("INBOXCTL_URL", "https://other.example.com")  # the profile now means another server
    assert complete("--profile cw conv list --inbox S") == []
    monkeypatch.delenv("INBOXCTL_URL")
    path = names_cache_path("cw")
    cached = json.loads(path.read_text())
    path.write_text(json.dumps({**cached, "written_at": time.time() - CACHE_TTL_SECONDS - 1}))
    assert complete("--profile cw conv list --inbox S") == []


def test_export_remembers_the_inboxes_it_read(complete: Complete, run, chatwoot, tmp_path: Path) -> None:
    assert run("--profile", "cw", "export", "--dir", str(tmp_path / "live")).exit_code == 0
    assert complete("--profile cw export --inbox Sup") == ["Support"]


@pytest.fixture
def listening() -> Iterator[tuple[str, list[object]]]:
    """A server that only counts the connections it is offered."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[object] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept())
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    server.close()


def test_completion_never_connects_to_the_server(run, listening: tuple[str, list[object]]) -> None:
    url, accepted = listening
    assert run("profile", "add", "cw", "--backend", "chatwoot", "--url", url, "--account-id", "1").exit_code == 0
    for line in ("--profile cw conv list --inbox ", "--profile cw conv assign --assignee ",
                 "--profile cw export --inbox "):
        started = time.monotonic()
        result = bash_complete(line, INBOXCTL_TOKEN="a-token")
        assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "", "")
        assert time.monotonic() - started < 5
    assert accepted == []


# -- the real process: the shell's format, and silence ---------------------------------------------

def test_bash_completion_output_is_the_scripts_format(run) -> None:
    assert run("conv", "list", "--limit", "1").exit_code == 0
    result = bash_complete("conv list --inbox S", INBOXCTL_HOME=os.environ["INBOXCTL_HOME"])
    assert (result.returncode, result.stdout, result.stderr) == (0, "plain,Sales\nplain,Support\n", "")


def test_nothing_goes_wrong_loudly(run, tmp_path: Path) -> None:
    config_dir = Path(os.environ["INBOXCTL_CONFIG_DIR"])
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.toml").write_text("[profiles\nbroken = ", encoding="utf-8")  # not TOML
    default_database_path().parent.mkdir(parents=True, exist_ok=True)
    default_database_path().write_bytes(b"not a database at all" * 100)
    for line in ("conv list --inbox ", "profile use ", "--profile nope conv list --assignee ",
                 f"plan {tmp_path} --inbox ", "conv list --channel "):
        result = bash_complete(line)
        assert result.returncode == 0 and result.stderr == "", (line, result.stderr)
    assert bash_complete("conv list --channel ").stdout.splitlines() == [f"plain,{kind}" for kind in CHANNEL_TYPES]
