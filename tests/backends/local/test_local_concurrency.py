"""Several inboxctl processes on one local file at once: real subprocesses, real SQLite locks.

Runs wait for each other (SQLite's busy timeout, a lock file for the first creation) for a
bounded time, then say another inboxctl is running. None ends in an internal error, and none
tells the user to `local reset` a file that is fine.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[3]
CONFIGS = REPO_DIR / "configs"


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INBOXCTL_")}
    return {**env, "INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "NO_COLOR": "1", **extra}


def inboxctl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "inboxctl", *args], env=env, cwd=REPO_DIR, capture_output=True,
                          text=True, timeout=120)


def at_once(count: int, env: dict[str, str], *args: str) -> list[subprocess.CompletedProcess[str]]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: inboxctl(env, *args), range(count)))


def assert_no_internal_error(run: subprocess.CompletedProcess[str]) -> None:
    output = run.stdout + run.stderr
    assert "Internal error" not in output and "Traceback" not in output, output
    assert "local reset" not in output, output


def test_eight_concurrent_first_runs_create_the_file_once(tmp_path):
    env = environment(tmp_path / "home")
    runs = at_once(8, env, "conv", "list", "--limit", "1", "-o", "ids")
    for run in runs:
        assert_no_internal_error(run)
        assert run.returncode == 0, run.stderr
    assert len({run.stdout for run in runs}) == 1  # everyone saw the same, whole workspace
    assert not list((tmp_path / "home").glob("*.creating*"))


def hold_write_lock(database: Path, seconds: float, started: threading.Event) -> None:
    """Another process's long write: a transaction that holds SQLite's write lock."""
    script = ("import sqlite3, sys, time\n"
              "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
              "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
              "time.sleep(float(sys.argv[2])); c.execute('ROLLBACK')\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(database), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    started.set()
    holder.wait(timeout=seconds + 30)


@pytest.fixture
def database(tmp_path) -> tuple[dict[str, str], Path]:
    env = environment(tmp_path / "home", INBOXCTL_LOCK_TIMEOUT="1")
    assert inboxctl(env, "conv", "list", "--limit", "1").returncode == 0
    return env, tmp_path / "home" / "local.sqlite3"


def run_while_locked(database: Path, env: dict[str, str], hold: float, *args: str, copies: int = 1):
    """Run the command (``copies`` at once) while another process holds the write lock ``hold`` seconds."""
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(database, hold, started))
    holder.start()
    assert started.wait(30)
    began = time.monotonic()
    runs = at_once(copies, env, *args)
    elapsed = time.monotonic() - began
    holder.join()
    return (runs if copies > 1 else runs[0]), elapsed


def test_two_applies_at_once_end_consistent_and_never_in_an_internal_error(database):
    env, path = database
    env = {**env, "INBOXCTL_LOCK_TIMEOUT": "30"}
    # Both start while a third process writes, so both plan before either can write: then one applies,
    # and the other finds the inbox it planned to create already made by the first.
    runs = run_while_locked(path, env, 4.0, "apply", str(CONFIGS), "--yes", copies=2)[0]
    for run in runs:
        assert_no_internal_error(run)
    assert sorted(run.returncode for run in runs) == [0, 3], [run.stderr for run in runs]
    second = next(run for run in runs if run.returncode == 3)
    assert "inbox 'Partners' already exists; another run may have made it since the plan" in second.stderr
    again = inboxctl(env, "plan", str(CONFIGS), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_write_lock_held_longer_than_the_timeout_says_another_inboxctl_is_running(database):
    env, path = database
    run, elapsed = run_while_locked(path, env, 6.0, "conv", "close", "1", "--yes")
    assert_no_internal_error(run)
    assert run.returncode == 1, run.stderr
    assert "another inboxctl is using the local backend" in run.stderr and "waiting 1 s" in run.stderr
    assert "INBOXCTL_LOCK_TIMEOUT" in run.stderr
    assert elapsed < 5, elapsed  # a bounded wait, not the holder's six seconds
    assert sqlite3.connect(path).execute("SELECT status FROM conversations WHERE id = 1").fetchone() is not None


def test_a_write_lock_released_within_the_timeout_is_waited_for(database):
    env, path = database
    env = {**env, "INBOXCTL_LOCK_TIMEOUT": "20"}
    run, elapsed = run_while_locked(path, env, 1.5, "apply", str(CONFIGS), "--yes")
    assert run.returncode == 0, run.stderr
    assert elapsed >= 1.0  # it waited for the other write instead of failing at once
    assert inboxctl(env, "plan", str(CONFIGS), "--detailed-exitcode").returncode == 0


def test_a_lock_timeout_that_is_not_a_number_is_a_usage_error(tmp_path):
    run = inboxctl(environment(tmp_path / "home", INBOXCTL_LOCK_TIMEOUT="soon"), "conv", "list", "--limit", "1")
    assert run.returncode == 64 and "INBOXCTL_LOCK_TIMEOUT" in run.stderr, run.stderr
