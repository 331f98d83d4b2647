"""Interrupts lose no record (issue 7, findings 7 and 8): real signals to a real ``python -m inboxctl``.

* Local backend: ``conv trash --inbox Support --yes`` over thousands of conversations (a database of
  ``$INBOXCTL_INTERRUPT_N`` conversations, default 20,000), interrupted by SIGINT, SIGTERM and SIGHUP
  at each point of the run: as soon as it can be interrupted (before any journal), inside the
  transaction, while its results are journaled (start, middle, end: the commit) and after the
  summary. Each time the conversations
  whose ``trashed_at`` changed are exactly the journal's "changed" results, a summary line counts
  what the result lines say, the exit code is 130 (0 only for a run that had finished), and
  ``conv undo`` puts back every ``trashed_at`` as it was.
* Fake Chatwoot (in this process, real HTTP): a bulk close with ``--concurrency 4`` interrupted by
  SIGINT at several points; and a server that applies bulk writes but never answers them.

The points are anchored on what the run has visibly done (its signal handlers installed, its
journal's header, first result, size, summary; the requests the fake received), measured on an
uninterrupted run first (in the transaction: a quarter of its span after the header; the middle and the
end of the journaling: half and 95 % of its journal's size), so that each lands in the phase it is
named after however busy the machine is. The local cases run two at a time (one per core), and the Chatwoot ones, which
mostly wait, alongside them.

Instants too short to hit from outside (a result half journaled, a worker announcing a write while
the run stops) are hit on purpose at the end, with a real SIGINT raised in this process.

Run with ``-s`` to see the measured figures; ``INBOXCTL_INTERRUPT_N=50000`` for the full-size run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmarks, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot  # noqa: E402

from inboxctl.conversations import journal as journal_module  # noqa: E402
from inboxctl.conversations.bulk import BulkOptions, run_bulk  # noqa: E402
from inboxctl.conversations.journal import JournalInfo, JournalWriter, read_journal  # noqa: E402
from inboxctl.conversations.model import ActionRequest, ActionResult, ConversationState  # noqa: E402
from inboxctl.errors import RequestCancelled, UsageError  # noqa: E402

CONVERSATIONS = int(os.environ.get("INBOXCTL_INTERRUPT_N", "20000"))
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
INTERRUPTED = 130
# What "stops within about a second" is held to here: from the signal to the process having exited.
EXIT_WITHIN = 2.0
# A worker thread may already be past the "cancelled?" check when the signal arrives, and this
# process's request log stamps an arrival a little after it happens: no request may arrive later.
NEW_REQUEST_GRACE = 0.2
# The local backend holds an interrupt until what it committed is journaled (seconds for a big run).
LOCAL_EXIT_WITHIN = 10.0
PROCESS_TIMEOUT = 120.0
POLL = 0.002


# ---------------------------------------------------------------------------------------------
# Running inboxctl as a user would


def cli_env(root: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INBOXCTL_")}
    env.update(INBOXCTL_HOME=str(root / "home"), INBOXCTL_CONFIG_DIR=str(root / "config"), NO_COLOR="1",
               PYTHONUNBUFFERED="1", **extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "inboxctl", *args]


def inboxctl(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), env=env, cwd=REPO_DIR, capture_output=True, text=True,
                          timeout=PROCESS_TIMEOUT, check=False)


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(command(*args), env=env, cwd=REPO_DIR, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Stopped:
    """A subprocess sent a signal once ``ready()`` holds (then ``delay`` seconds later), and waited for."""

    def __init__(self, process: subprocess.Popen[str], signum: int, ready: Callable[[], bool], delay: float,
                 on_poll: Callable[[], None] = lambda: None) -> None:
        self.started = time.monotonic()
        self.signalled_at: float | None = None  # monotonic; None: the run ended before the point came
        deadline = self.started + PROCESS_TIMEOUT
        while process.poll() is None and time.monotonic() < deadline:
            on_poll()
            if ready():
                break
            time.sleep(POLL)
        if process.poll() is None and delay > 0:
            time.sleep(delay)
        on_poll()
        if process.poll() is None:
            self.signalled_at = time.monotonic()
            os.kill(process.pid, signum)
        try:
            self.stdout, self.stderr = process.communicate(timeout=PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            self.stdout, self.stderr = process.communicate()
        self.ended_at = time.monotonic()
        self.returncode = process.returncode

    @property
    def signal_to_exit(self) -> float | None:
        return None if self.signalled_at is None else self.ended_at - self.signalled_at

    @property
    def signal_after(self) -> float | None:
        return None if self.signalled_at is None else self.signalled_at - self.started


def only_journal(home: Path, action: str) -> JournalInfo | None:
    """The run's journal, or None if it never created one (or was stopped before writing its header)."""
    paths = sorted((home / "journals").glob(f"*-{action}.jsonl")) if (home / "journals").is_dir() else []
    assert len(paths) <= 1, paths
    if not paths:
        return None
    try:
        return read_journal(paths[0])
    except UsageError:
        # Only a file cut before its header was complete is acceptable: then nothing was done.
        assert b"\n" not in paths[0].read_bytes(), f"{paths[0]} is unreadable"
        return None


def result_counts(results: list[Any]) -> dict[str, int]:
    counted = Counter(result.outcome for result in results)
    return {outcome: counted.get(outcome, 0) for outcome in ("changed", "unchanged", "failed", "unknown")}


def caught_signals(pid: int) -> int | None:
    """The mask of signals the process has handlers for (Linux), or None where /proc cannot say."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16)
    except OSError:
        return None
    return None


HANDLERS = (1 << (signal.SIGTERM - 1)) | (1 << (signal.SIGHUP - 1))


# ---------------------------------------------------------------------------------------------
# 1. The local backend


class JournalProgress:
    """How far a running local bulk action has got, read from outside: its handlers and its journal."""

    def __init__(self, process: subprocess.Popen[str], journals: Path) -> None:
        self.process, self.journals = process, journals
        self.began = time.monotonic()
        self.marks: dict[str, float] = {}  # handlers, header, results, summary: seconds after the start
        self.size = 0
        self._path: Path | None = None
        self._header_size: int | None = None

    def poll(self) -> None:
        now = time.monotonic() - self.began
        if "handlers" not in self.marks:
            mask = caught_signals(self.process.pid)
            if (mask is not None and mask & HANDLERS == HANDLERS) or (mask is None and now > 1.0):
                self.marks["handlers"] = now
        if self._path is None:
            found = list(self.journals.glob("*.jsonl")) if self.journals.is_dir() else []
            if not found:
                return
            self._path = found[0]
        try:
            size = self._path.stat().st_size
        except OSError:
            return
        if size == self.size:
            return
        self.size = size
        if self._header_size is None:
            with self._path.open("rb") as stream:
                first = stream.readline()
            if not first.endswith(b"\n"):
                return
            self._header_size = len(first)
            self.marks.setdefault("header", now)
        if size > self._header_size:
            self.marks.setdefault("results", now)
        with self._path.open("rb") as stream:
            stream.seek(max(0, size - 400))
            if b'"type":"summary"' in stream.read():
                self.marks.setdefault("summary", now)

    def reached(self, mark: str) -> bool:
        return mark in self.marks


@dataclass(frozen=True)
class Template:
    database: Path
    trashed_at: dict[int, str | None]  # every conversation's trashed_at before the run
    targets: int                        # what `trash --inbox Support` changes
    phases: dict[str, float]            # when the uninterrupted run reached each mark
    journal_size: int                   # its journal's size, summary included (the same for every run)
    baseline: LocalRun


@dataclass(frozen=True)
class Point:
    """Where a signal lands: ``delay`` seconds after the run visibly reached ``anchor``, or as soon as its
    journal has ``size`` bytes (what the uninterrupted run's journal had at that point: unlike a time,
    the same however busy the machine is)."""

    name: str
    anchor: str = ""
    delay: float = 0.0
    size: int | None = None

    def reached(self, progress: JournalProgress) -> bool:
        return progress.size >= self.size if self.size is not None else progress.reached(self.anchor)


LOCAL_POINTS = ("startup", "transaction", "journaling-start", "journaling-middle", "journaling-end", "after-summary")


def local_points(template: Template) -> dict[str, Point]:
    transaction = template.phases["results"] - template.phases["header"]
    return {point.name: point for point in (
        Point("startup", "handlers"),                           # handlers just installed: before any journal
        # Trashing, before the first result is journaled: a quarter of the way, so as to stay inside it
        # even when this run is much faster than the uninterrupted one was.
        Point("transaction", "header", transaction * 0.25),
        Point("journaling-start", "results"),                   # the first results are in the journal
        Point("journaling-middle", size=template.journal_size // 2),
        Point("journaling-end", size=template.journal_size * 95 // 100),  # the last results, the commit
        Point("after-summary", "summary"),                      # the report, the exit
    )}


@dataclass
class LocalRun:
    signum: int | None
    point: Point | None
    returncode: int = 0
    stderr: str = ""
    signal_after: float | None = None
    signal_to_exit: float | None = None
    marks_at_signal: tuple[str, ...] = ()
    journal_bytes_at_signal: int = 0
    changed_in_db: set[int] = field(default_factory=set)
    missing_in_db: set[int] = field(default_factory=set)
    journal_found: bool = False
    results: list[Any] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    undo_returncode: int | None = None
    undo_stderr: str = ""
    not_restored: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)  # when the run reached each mark
    duration: float = 0.0
    journal_size: int = 0
    error: BaseException | None = None

    @property
    def signalled(self) -> bool:
        return self.signal_after is not None

    @property
    def landed(self) -> str:
        """The phase the run had visibly reached when it was sent the signal."""
        if not self.signalled:
            return "finished"
        for mark, phase in (("summary", "after-summary"), ("results", "journaling"), ("header", "transaction")):
            if mark in self.marks_at_signal:
                return phase
        return "before-journal"

    @property
    def changed_in_journal(self) -> set[int]:
        return {int(result.id) for result in self.results if result.outcome == "changed"}

    def describe(self) -> str:
        where = "finished before the signal" if self.signal_after is None else (
            f"signal at {self.signal_after:4.2f} s ({self.landed}, journal {self.journal_bytes_at_signal // 1000} kB), "
            f"exit {self.returncode} {self.signal_to_exit:4.2f} s later")
        summary = "no summary" if self.summary is None else (
            f"summary {self.summary.get('changed')} changed"
            f"{', interrupted' if self.summary.get('interrupted') else ''}")
        return (f"{where}; {len(self.changed_in_db)} trashed in the database, {len(self.changed_in_journal)} "
                f"journaled changed, {summary}; undo exit {self.undo_returncode}")


def read_trashed_at(database: Path) -> tuple[dict[int, str | None], set[int]]:
    """Every conversation's trashed_at, and the ids of those purged since (the 30-day trash purge)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = dict(connection.execute("SELECT id, trashed_at FROM conversations"))
        purged = {row[0] for row in connection.execute("SELECT id FROM removed_conversations WHERE reason = 'purged'")}
    finally:
        connection.close()
    return rows, purged


def differences(template: dict[int, str | None], database: Path) -> tuple[set[int], set[int]]:
    """Ids whose trashed_at is not the template's, and ids gone from the database."""
    now, purged = read_trashed_at(database)
    changed = {number for number, value in template.items() if number in now and now[number] != value}
    missing = {number for number in template if number not in now and number not in purged}
    return changed, missing


def run_local(template_db: Path, template: dict[int, str | None], root: Path, signum: int | None,
              point: Point | None) -> LocalRun:
    """Copy the template, run `conv trash --inbox Support --yes`, signal it at ``point``, then undo."""
    run = LocalRun(signum=signum, point=point)
    try:
        home = root / "home"
        home.mkdir(parents=True)
        shutil.copyfile(template_db, home / "local.sqlite3")
        env = cli_env(root)
        process = start(env, "conv", "trash", "--inbox", "Support", "--yes")
        progress = JournalProgress(process, home / "journals")
        snapshot: dict[str, Any] = {}

        def on_poll() -> None:
            progress.poll()
            snapshot.update(marks=tuple(progress.marks), size=progress.size)

        if point is None:
            stopped = Stopped(process, signal.SIGINT, lambda: False, 0.0, on_poll)  # runs to the end
        else:
            stopped = Stopped(process, signum or signal.SIGINT, lambda: point.reached(progress), point.delay,
                              on_poll)
        run.returncode, run.stderr = stopped.returncode, stopped.stderr
        run.signal_after, run.signal_to_exit = stopped.signal_after, stopped.signal_to_exit
        run.marks_at_signal, run.journal_bytes_at_signal = snapshot.get("marks", ()), snapshot.get("size", 0)
        run.phases, run.duration = dict(progress.marks), stopped.ended_at - stopped.started
        run.journal_size = progress.size
        run.changed_in_db, run.missing_in_db = differences(template, home / "local.sqlite3")
        journal = only_journal(home, "trash")
        if journal is not None:
            run.journal_found = True
            run.results = list(journal.results())
            run.summary = journal.summary
        undone = inboxctl(env, "conv", "undo", "--yes")
        run.undo_returncode, run.undo_stderr = undone.returncode, undone.stderr
        after, purged = read_trashed_at(home / "local.sqlite3")
        run.not_restored = {number: (value, after.get(number)) for number, value in template.items()
                            if number not in purged and after.get(number, "<gone>") != value}
    except BaseException as error:  # noqa: BLE001 - reported by the test of this case
        run.error = error
    return run


def build_template(root: Path) -> Template:
    """A database of CONVERSATIONS conversations, and one uninterrupted trash run measured on a copy."""
    env = cli_env(root)
    built = inboxctl(env, "local", "reset", "--conversations", str(CONVERSATIONS), "--yes")
    assert built.returncode == 0, built.stderr
    listed = inboxctl(env, "conv", "list", "--limit", "1")  # the first use purges old trash: done before copying
    assert listed.returncode == 0, listed.stderr
    database = root / "home" / "local.sqlite3"
    trashed_at, _ = read_trashed_at(database)
    baseline = run_local(database, trashed_at, root / "baseline", None, None)
    if baseline.error is not None:
        raise baseline.error
    phases = baseline.phases
    assert set(phases) >= {"handlers", "header", "results", "summary"}, phases
    return Template(database=database, trashed_at=trashed_at, targets=len(baseline.changed_in_db), phases=phases,
                    journal_size=baseline.journal_size, baseline=baseline)


def run_local_cases(template: Template, root: Path) -> dict[tuple[signal.Signals, str], LocalRun]:
    points = local_points(template)
    cases = [(signum, name) for name in LOCAL_POINTS for signum in SIGNALS]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # CPU-bound: one per core
        futures = {case: pool.submit(run_local, template.database, template.trashed_at,
                                     root / f"{case[0].name}-{case[1]}", case[0], points[case[1]])
                   for case in cases}
        runs = {case: future.result() for case, future in futures.items()}
    phases = ", ".join(f"{mark} {seconds:.2f} s" for mark, seconds in template.phases.items())
    print(f"\nlocal: {CONVERSATIONS} conversations, {template.targets} trashed by the run; uninterrupted run: "
          f"{phases}, exit {template.baseline.duration:.2f} s; {len(cases)} interrupted runs (and their undo) in "
          f"{time.monotonic() - started:.1f} s")
    for (signum, name), run in runs.items():
        print(f"  {signum.name:7} {name:17} {run.describe()}")
    return runs


def check_local_run(run: LocalRun, template: Template) -> None:
    if run.error is not None:
        raise run.error
    # (a) what the database changed is exactly what the journal says changed
    assert not run.missing_in_db, f"conversations gone from the database: {sorted(run.missing_in_db)[:10]}"
    journaled, in_db = run.changed_in_journal, run.changed_in_db
    assert in_db == journaled, (
        f"database and journal disagree: {len(in_db - journaled)} changed without a record (e.g. "
        f"{sorted(in_db - journaled)[:5]}), {len(journaled - in_db)} recorded but not changed (e.g. "
        f"{sorted(journaled - in_db)[:5]})")
    assert in_db in (set(), set(template.baseline.changed_in_db)), "one transaction: all or nothing"
    ids = [result.id for result in run.results]
    assert len(ids) == len(set(ids)), "a conversation has two results"
    assert not [result for result in run.results if result.outcome == "unknown"], "the local backend knows"
    if not run.journal_found:
        assert not in_db
    # (b) a summary counts what the result lines say
    if run.summary is not None:
        assert summary_counts_of(run.summary) == result_counts(run.results), (run.summary, result_counts(run.results))
    # (c) 130 when interrupted; 0 only for a run that had finished (then the journal says so). A
    # signal in the last instant, once the interpreter has put the default handlers back while
    # exiting, ends the process the default way (-signum): that too only after a finished run.
    if run.signalled:
        assert run.returncode in (INTERRUPTED, 0, -(run.signum or 0)), run.stderr
        if run.returncode != INTERRUPTED:
            assert run.summary is not None and not run.summary.get("interrupted"), run.stderr
            assert len(run.results) == template.targets and "Undo with" in run.stderr
        else:
            assert "Interrupted" in run.stderr or "interrupted" in run.stderr, run.stderr
        # Held over the journaling of what commits: later, but never long.
        assert run.signal_to_exit is not None and run.signal_to_exit < LOCAL_EXIT_WITHIN
    else:
        assert run.returncode == 0, run.stderr
    # (d) undo puts every trashed_at back as it was
    if journaled:
        assert run.undo_returncode == 0, run.undo_stderr
    else:
        assert run.undo_returncode == 64 and "nothing to undo" in run.undo_stderr, run.undo_stderr
    wrong = run.not_restored
    assert not wrong, f"{len(wrong)} not as before after undo, e.g. {list(wrong.items())[:3]}"


@dataclass
class Runs:
    template: Template
    local: dict[tuple[signal.Signals, str], LocalRun]
    chatwoot: dict[str, HttpRun]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Every interrupted run of this module, done once. The Chatwoot runs mostly wait (on the rate
    limit, on the fake's bulk jobs): they run while the CPU-bound local ones do."""
    root = tmp_path_factory.mktemp("interrupts")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(CHATWOOT_POINTS)) as pool:
        http = {name: pool.submit(run_chatwoot, root / "chatwoot" / name, point)
                for name, point in CHATWOOT_POINTS.items()}
        template = build_template(root / "template")
        local = run_local_cases(template, root / "local")
        chatwoot = {name: future.result() for name, future in http.items()}
    print(f"chatwoot: bulk close of {CHATWOOT_SIZE}, --concurrency 4 --rate 50, SIGINT at each point "
          f"(all runs of this module: {time.monotonic() - started:.1f} s)")
    for name, run in chatwoot.items():
        print(f"  {name:12} {run.describe()}")
    return Runs(template, local, chatwoot)


def test_an_uninterrupted_local_run_journals_what_it_changed_and_undo_restores_it(runs: Runs) -> None:
    local_template = runs.template
    run = local_template.baseline
    assert run.returncode == 0 and run.signal_after is None, run.stderr
    assert local_template.targets > CONVERSATIONS // 2  # thousands: the run has phases to land in
    assert run.summary is not None and not run.summary.get("interrupted")
    check_local_run(run, local_template)


@pytest.mark.parametrize("point", LOCAL_POINTS)
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda signum: signum.name)
def test_a_local_run_interrupted_anywhere_journals_exactly_what_it_committed(
        runs: Runs, signum: signal.Signals, point: str) -> None:
    local_template = runs.template
    run = runs.local[(signum, point)]
    check_local_run(run, local_template)
    # Beyond (a) to (d), what the phase the signal landed in implies (where it landed is what the
    # run had visibly done a moment before the signal: a phase boundary can be crossed in that moment).
    landed = run.landed
    if landed in ("before-journal", "transaction"):
        # Before anything commits: the transaction rolls back (or never began), and a clean 130.
        assert run.returncode == INTERRUPTED and not run.changed_in_db
    if landed == "journaling" and point != "journaling-end":
        # Held until the commit, then delivered: all of it committed and journaled, marked interrupted.
        assert run.returncode == INTERRUPTED
        assert run.summary is not None and run.summary.get("interrupted")
        assert len(run.changed_in_db) == local_template.targets


INTENDED_PHASE = {"startup": "before-journal", "transaction": "transaction", "journaling-start": "journaling",
                  "journaling-middle": "journaling", "journaling-end": "journaling", "after-summary": "after-summary"}


def test_the_local_signals_landed_in_each_phase_they_are_meant_for(runs: Runs) -> None:
    """The cases above prove something only if their signals hit the phases they are named after."""
    landed = {point: [runs.local[(signum, point)].landed for signum in SIGNALS] for point in LOCAL_POINTS}
    missed = {point: phases for point, phases in landed.items() if INTENDED_PHASE[point] not in phases}
    assert not missed, f"no signal landed in the phase meant: {missed}"


# ---------------------------------------------------------------------------------------------
# 2. and 3. The fake Chatwoot


class RequestLog:
    """Every request the fake answers, stamped with when it arrived; bulk writes can be made to hang."""

    def __init__(self, fake: FakeChatwoot) -> None:
        self.fake = fake
        self.entries: list[tuple[float, str, str, Any]] = []
        self.hang = threading.Event()     # while set, POST /bulk_actions is applied and never answered
        self.release = threading.Event()  # lets the hung requests answer (at teardown)
        self.hung: list[list[int]] = []
        self._handle = fake.handle
        fake.handle = self._logged  # type: ignore[method-assign]
        # A killed client resets its connections: expected here, not worth a traceback on stderr.
        fake._httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def _logged(self, method: str, path: str, query: Any, headers: Any, body: Any) -> tuple[int, Any]:
        self.entries.append((time.monotonic(), method, path, body))
        answer = self._handle(method, path, query, headers, body)
        if self.hang.is_set() and method == "POST" and path.endswith("/bulk_actions"):
            self.hung.append([int(number) for number in (body or {}).get("ids") or []])
            self.release.wait(60.0)
        return answer

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for _, m, path, _ in list(self.entries) if m == method and path.endswith(suffix))

    def after(self, moment: float) -> list[tuple[float, str, str, Any]]:
        return [entry for entry in list(self.entries) if entry[0] > moment]

    def bulk_bodies(self) -> list[list[int]]:
        return [[int(n) for n in (body or {}).get("ids") or []] for _, method, path, body in list(self.entries)
                if method == "POST" and path.endswith("/bulk_actions")]


def chatwoot_env(root: Path, fake: FakeChatwoot) -> dict[str, str]:
    env = cli_env(root, INBOXCTL_TOKEN=ADMIN_TOKEN)
    added = inboxctl(env, "profile", "add", "cw", "--backend", "chatwoot", "--url", fake.url, "--account-id", "1",
                     "--rate", "50")
    assert added.returncode == 0, added.stderr
    return {**env, "INBOXCTL_PROFILE": "cw"}


def statuses(fake: FakeChatwoot, ids: list[int]) -> dict[int, str]:
    with fake.lock:
        return {number: fake.conversations[number]["status"] for number in ids}


def writes(fake: FakeChatwoot) -> Counter:
    with fake.lock:
        return Counter(fake.writes)


CHATWOOT_SIZE = 1000
BULK_REQUESTS = CHATWOOT_SIZE // 25  # the runner's chunks of 25 conversations, one bulk write each


@dataclass(frozen=True)
class HttpPoint:
    name: str
    ready: Callable[[RequestLog], bool]
    delay: float = 0.0


CHATWOOT_POINTS = {point.name: point for point in (
    HttpPoint("listing", lambda log: log.count("GET", "/conversations") >= 10),
    HttpPoint("first-write", lambda log: log.count("POST", "/bulk_actions") >= 1),
    HttpPoint("mid-run", lambda log: log.count("POST", "/bulk_actions") >= BULK_REQUESTS // 2),
    HttpPoint("near-end", lambda log: log.count("POST", "/bulk_actions") >= BULK_REQUESTS - 2, 0.3),
)}


@dataclass
class HttpRun:
    point: str
    ids: list[int] = field(default_factory=list)
    returncode: int | None = None
    stderr: str = ""
    signal_after: float | None = None
    signal_to_exit: float | None = None
    requests_before: int = 0
    late_requests: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds after the signal, ...)
    bulk_bodies: list[list[int]] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)
    writes_after_run: Counter = field(default_factory=Counter)
    journal_found: bool = False
    results: list[Any] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    undo_returncode: int | None = None
    undo_stderr: str = ""
    open_after_undo: set[int] = field(default_factory=set)
    writes_after_undo: Counter = field(default_factory=Counter)
    error: BaseException | None = None

    def outcome_ids(self, *outcomes: str) -> set[int]:
        return {int(result.id) for result in self.results if result.outcome in outcomes}

    def describe(self) -> str:
        counted = result_counts(self.results)
        where = "finished before the signal" if self.signal_after is None else (
            f"signal at {self.signal_after:5.2f} s, exit {self.returncode} {self.signal_to_exit:5.3f} s later, "
            f"{len(self.late_requests)} request(s) after it"
            + (f" (last {max(t for t, _, _ in self.late_requests) * 1000:.0f} ms)" if self.late_requests else ""))
        never_sent = self.outcome_ids("unknown") - {number for body in self.bulk_bodies for number in body}
        return (f"{where}; {len(self.closed)} closed on the server, journal {counted['changed']} changed + "
                f"{counted['unknown']} unknown ({len(never_sent)} never sent); undo exit {self.undo_returncode}, "
                f"{len(self.open_after_undo)}/{len(self.ids)} open after it")


def run_chatwoot(root: Path, point: HttpPoint) -> HttpRun:
    """Bulk-close 1,000 conversations on a fresh fake, SIGINT at ``point``, then undo."""
    run = HttpRun(point=point.name)
    try:
        with FakeChatwoot(bulk_delay=0.01) as fake:
            run.ids = fake.seed_conversations(CHATWOOT_SIZE)
            env = chatwoot_env(root, fake)
            log = RequestLog(fake)
            process = start(env, "conv", "close", "--inbox", "Bulk", "--yes", "--concurrency", "4", "--rate", "50")
            stopped = Stopped(process, signal.SIGINT, lambda: point.ready(log), point.delay)
            run.returncode, run.stderr = stopped.returncode, stopped.stderr
            run.signal_after, run.signal_to_exit = stopped.signal_after, stopped.signal_to_exit
            if stopped.signalled_at is not None:
                run.requests_before = len([e for e in log.entries if e[0] <= stopped.signalled_at])
                run.late_requests = [(t - stopped.signalled_at, method, path)
                                     for t, method, path, _ in log.after(stopped.signalled_at)]
            fake.settle()
            run.bulk_bodies = log.bulk_bodies()
            run.closed = {number for number, status in statuses(fake, run.ids).items() if status == "resolved"}
            run.writes_after_run = writes(fake)
            journal = only_journal(root / "home", "close")
            if journal is not None:
                run.journal_found = True
                run.results = list(journal.results())
                run.summary = journal.summary
            undone = inboxctl(env, "conv", "undo", "--yes")
            run.undo_returncode, run.undo_stderr = undone.returncode, undone.stderr
            fake.settle()
            run.open_after_undo = {number for number, status in statuses(fake, run.ids).items() if status == "open"}
            run.writes_after_undo = writes(fake)
    except BaseException as error:  # noqa: BLE001 - reported by the test of this case
        run.error = error
    return run


@pytest.mark.parametrize("point", list(CHATWOOT_POINTS))
def test_ctrl_c_during_a_concurrent_chatwoot_close_stops_at_once_and_undo_reverts_what_landed(
        runs: Runs, point: str) -> None:
    run = runs.chatwoot[point]
    if run.error is not None:
        raise run.error
    assert run.signal_after is not None, f"the run finished before the point was reached: {run.stderr}"
    assert run.returncode == INTERRUPTED, run.stderr
    assert run.signal_to_exit is not None and run.signal_to_exit < EXIT_WITHIN
    # No new request after the signal (beyond one already on its way), and nothing re-sent.
    too_late = [entry for entry in run.late_requests if entry[0] > NEW_REQUEST_GRACE]
    assert not too_late, too_late
    sent = Counter(number for body in run.bulk_bodies for number in body)
    assert not [number for number, times in sent.items() if times > 1], "a bulk write was sent twice"
    assert not [number for number, times in run.writes_after_run.items() if times > 1], "a conversation written twice"
    # Every conversation closed on the server is in the journal as changed or outcome unknown;
    # every one journaled as changed really is closed.
    assert run.closed <= run.outcome_ids("changed", "unknown"), sorted(run.closed - run.outcome_ids("changed",
                                                                                                     "unknown"))[:10]
    assert run.outcome_ids("changed") <= run.closed and run.outcome_ids("changed") <= set(sent)
    ids = [result.id for result in run.results]
    assert len(ids) == len(set(ids)), "a conversation has two results"
    if run.summary is not None:
        assert summary_counts_of(run.summary) == result_counts(run.results), (run.summary, result_counts(run.results))
    if point == "listing":
        assert not run.closed and not run.journal_found
    else:
        assert run.closed and run.journal_found and run.summary is not None and run.summary.get("interrupted")
    # Undo reopens exactly what was closed, and writes nothing else.
    if run.closed:
        assert run.undo_returncode == 0, run.undo_stderr
    else:
        assert run.undo_returncode == 64 and "nothing to undo" in run.undo_stderr, run.undo_stderr
    assert run.open_after_undo == set(run.ids)
    expected = Counter({number: 2 for number in run.closed})
    assert +run.writes_after_undo == expected, "undo wrote to a conversation the run had not closed"


def summary_counts_of(summary: dict[str, Any]) -> dict[str, int]:
    return {outcome: int(summary.get(outcome, 0) or 0) for outcome in ("changed", "unchanged", "failed", "unknown")}


def test_ctrl_c_against_a_server_that_never_answers_stops_at_once_sending_nothing_more(tmp_path: Path) -> None:
    """Bulk writes applied and never answered: exit within the second, no request after the signal,
    and each conversation of a request left unanswered is journaled "unknown" for undo to check."""
    with FakeChatwoot(bulk_delay=0.01) as fake:
        ids = fake.seed_conversations(CHATWOOT_SIZE)
        env = chatwoot_env(tmp_path, fake)
        log = RequestLog(fake)
        log.hang.set()
        try:
            process = start(env, "conv", "close", "--inbox", "Bulk", "--yes", "--concurrency", "4", "--rate", "50")
            # Four workers, each with one bulk write on the wire and no answer coming: nothing else can be in flight.
            stopped = Stopped(process, signal.SIGINT, lambda: len(log.hung) >= 4, 0.3)
            hung = {number for body in log.hung for number in body}
            assert stopped.signalled_at is not None and stopped.returncode == INTERRUPTED, stopped.stderr
            print(f"\nhung server: SIGINT {stopped.signal_after:.2f} s into the run, {len(log.hung)} bulk writes "
                  f"unanswered ({len(hung)} conversations), exit {stopped.returncode} "
                  f"{stopped.signal_to_exit:.3f} s later, {len(log.after(stopped.signalled_at))} request(s) after it")
            assert stopped.signal_to_exit is not None and stopped.signal_to_exit < EXIT_WITHIN
            assert log.after(stopped.signalled_at) == [], "a request was sent after the interrupt"
            assert len(log.hung) == 4 and len(hung) == 100
            fake.settle()
            closed = {number for number, status in statuses(fake, ids).items() if status == "resolved"}
            assert closed == hung  # the server applied them; the client never heard
            journal = only_journal(tmp_path / "home", "close")
            assert journal is not None
            results = list(journal.results())
            assert {int(r.id) for r in results if r.outcome == "unknown"} == hung
            assert not [r for r in results if r.outcome == "changed"]
            assert journal.summary is not None and journal.summary.get("interrupted")
            assert summary_counts_of(journal.summary) == result_counts(results)
            assert "outcome unknown" in stopped.stderr and "Undo with: inboxctl conv undo" in stopped.stderr
        finally:
            log.hang.clear()
            log.release.set()
        # undo looks at each of them: every one landed, so every one would be reopened
        preview = inboxctl(env, "conv", "undo", "--dry-run", "-o", "json")
        assert preview.returncode == 0, preview.stderr
        listed = json.loads(preview.stdout)
        assert {int(item["id"]) for item in listed if item["outcome"] == "changed"} == hung
        assert len(listed) == len(hung)
        assert log.count("POST", "/bulk_actions") == len(log.hung), "a dry run wrote"
        undone = inboxctl(env, "conv", "undo", "--yes")
        assert undone.returncode == 0, undone.stderr
        fake.settle()
        assert set(statuses(fake, ids).values()) == {"open"}
        assert +writes(fake) == Counter({number: 2 for number in hung})


# ---------------------------------------------------------------------------------------------
# Instants too short to hit by timing from outside, hit on purpose: a real SIGINT raised in this
# process at that instant (the runs above hit them only now and then).


class FakeHttpBackend:
    """Just what ``run_bulk`` uses of an HTTP backend: ``run_action`` (called on worker threads), ``cancel``."""

    name = "fake-http"

    def __init__(self, run_action: Callable[..., Any]) -> None:
        self.run_action = run_action
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


def closed(conversation_id: str) -> ActionResult:
    return ActionResult(id=conversation_id, action="close", outcome="changed", before=OPEN,
                        after=ConversationState(status="closed"))


def new_journal(total: int) -> JournalWriter:
    return JournalWriter.create(action="close", request=ActionRequest(action="close"), backend="fake-http",
                                profile="test", server="fake-http:test", targets="test", total=total)


OPEN = ConversationState(status="open")


def test_an_interrupt_while_a_result_is_being_journaled_leaves_the_summary_counting_the_lines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary must count what the result lines say, whichever instant the interrupt hits: here
    the instant a result has been taken off the unanswered writes and its line is not written yet
    (before the fix: "3 changed" in the summary, 2 changed lines and conversation 3 "unknown")."""

    def run_action(request: ActionRequest, ids: Any, known: Any = None, sending: Any = None) -> Any:
        for conversation_id in ids:
            sending(conversation_id, OPEN)
            yield closed(conversation_id)

    real_dumps = journal_module.json.dumps

    class InterruptingJson:
        """Ctrl-C arrives while the line of conversation 3's result is being made."""

        @staticmethod
        def dumps(record: Any, **options: Any) -> str:
            if record.get("type") == "result" and record.get("id") == "3":
                signal.raise_signal(signal.SIGINT)
            return real_dumps(record, **options)

    monkeypatch.setattr(journal_module, "json", InterruptingJson)
    writer, backend = new_journal(5), FakeHttpBackend(run_action)
    with pytest.raises(KeyboardInterrupt):
        run_bulk(backend, ActionRequest(action="close"), ["1", "2", "3", "4", "5"],
                 options=BulkOptions(concurrency=1), journal=writer)
    monkeypatch.undo()
    journal = read_journal(writer.path)
    results = list(journal.results())
    assert backend.cancelled.is_set()
    assert journal.summary is not None and journal.summary.get("interrupted")
    assert summary_counts_of(journal.summary) == result_counts(results), (journal.summary, result_counts(results))
    assert sorted(result.id for result in results) == ["1", "2", "3"]


def test_a_write_announced_while_the_run_stops_is_refused_not_left_out_of_the_summary(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker thread announcing a write just as Ctrl-C stops the run: either the write is journaled
    and counted (outcome unknown), or it is refused and never sent; never a "sending" line after the
    unknown results were counted, which the summary misses (before the fix: 2 unknown counted, 3 read)."""
    stopping, late_done = threading.Event(), threading.Event()
    late: dict[str, bool] = {}

    def run_action(request: ActionRequest, ids: Any, known: Any = None, sending: Any = None) -> Any:
        ids = list(ids)
        if ids[0] == "1":  # the first chunk: announced, then Ctrl-C
            for conversation_id in ids:
                sending(conversation_id, OPEN)
            os.kill(os.getpid(), signal.SIGINT)
            return [closed(conversation_id) for conversation_id in ids]
        stopping.wait(5.0)  # the second chunk announces its write while the main thread stops the run
        try:
            sending(ids[0], OPEN)
            late["sent"] = True  # a real backend would send it now
        except RequestCancelled:
            late["sent"] = False
        finally:
            late_done.set()
        return []

    unanswered = JournalWriter.unanswered

    def unanswered_then_a_late_announce(self: JournalWriter, request: ActionRequest) -> list[ActionResult]:
        taken = unanswered(self, request)
        stopping.set()
        late_done.wait(5.0)
        return taken

    monkeypatch.setattr(JournalWriter, "unanswered", unanswered_then_a_late_announce)
    writer = new_journal(4)
    with pytest.raises(KeyboardInterrupt):
        run_bulk(FakeHttpBackend(run_action), ActionRequest(action="close"), ["1", "2", "3", "4"],
                 options=BulkOptions(concurrency=2, chunk_size=2), journal=writer)
    assert late_done.wait(5.0)
    journal = read_journal(writer.path)
    results = list(journal.results())
    assert journal.summary is not None
    assert summary_counts_of(journal.summary) == result_counts(results), (journal.summary, result_counts(results))
    journaled = {result.id for result in results if result.outcome in ("changed", "unknown")}
    assert ("3" in journaled) == late["sent"], "a write sent and not journaled, or journaled and never sent"
