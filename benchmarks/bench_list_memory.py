"""Does `inboxctl conv list --all -o jsonl` run in constant memory, and near the speed of SQLite?
Measure it at 10k and 100k conversations.

    python benchmarks/bench_list_memory.py            # 10,000 and 100,000
    python benchmarks/bench_list_memory.py 1000 50000 # other sizes

For each size it builds a fresh local backend (`inboxctl local reset --conversations N`) in a
temporary INBOXCTL_HOME, then runs the listing in a child process whose stdout is a pipe read
by this script, and prints, side by side:

- peak RSS of the child (``wait4`` rusage), and the RSS of just importing the CLI, for reference;
- tracemalloc peak of the listing itself (a second run, after a warm-up so imports are not counted);
- wall time, and the time to the first row (measured by the reader of the pipe);
- rows and bytes written;
- the floor: a plain Python script that reads the same rows with ``sqlite3`` (one query with the
  same joins, filters and order) and writes each with ``json.dumps``. It is timed in pairs with the
  listing (floor, listing, floor, listing...), and the listing's time is printed as a ratio of it,
  the median of the pairs. Its objects have the same keys; the values are as SQLite gives them (0/1
  for the flags), converted by nobody.

The last column is the ratio largest/smallest: ~1 for memory means constant memory; time grows
with the rows, while the time to the first row does not.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (10_000, 100_000)
ARGS = ["conv", "list", "--all", "-o", "jsonl"]
PAIRS = 3  # floor and listing in turn, per size

# Runs the CLI in-process so that tracemalloc can watch it; prints its own figures on stderr as JSON.
CHILD = """
import io, json, sys, tracemalloc
trace = sys.argv[1] == "1"
from inboxctl.cli.main import cli
if trace:
    # Warm up (a one-row listing) so that the peak counts the listing, not the modules it imports.
    real_stdout, sys.stdout = sys.stdout, io.StringIO()
    try:
        cli.main([*sys.argv[2:4], "--limit", "1"], prog_name="inboxctl")
    except SystemExit:
        pass
    sys.stdout = real_stdout
    tracemalloc.start()
code = 0
if sys.argv[2:] != ["--import-only"]:
    try:
        cli.main(sys.argv[2:], prog_name="inboxctl")
    except SystemExit as done:
        code = done.code or 0
sys.stdout.flush()
figures = {"code": code}
if trace:
    figures["traced_peak"] = tracemalloc.get_traced_memory()[1]
print(json.dumps(figures), file=sys.stderr)
"""

# The floor: the least any program listing these rows as JSON lines has to do.
FLOOR = '''
import json, sqlite3, sys
SELECT = """
SELECT CAST(c.id AS TEXT) AS id, i.name AS inbox, c.channel_type AS channel, c.channel_key AS channel_name,
       c.subject, ct.email AS contact, ct.name AS contact_name, u.email AS assignee, c.assigned_to_bot, c.status,
       c.outgoing, c.spam, c.filtered, EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id) AS has_ticket,
       c.created_at, c.updated_at, c.closed_at, c.trashed_at, tm.name AS team, NULL AS purge_at
FROM conversations c
JOIN inboxes i ON i.id = c.inbox_id
JOIN contacts ct ON ct.id = c.contact_id
LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN teams tm ON tm.id = c.team_id
WHERE c.trashed_at IS NULL AND c.spam = 0 AND c.filtered = 0
ORDER BY c.created_at DESC, c.id DESC
"""
cursor = sqlite3.connect(sys.argv[1]).execute(SELECT)
keys = [column[0] for column in cursor.description]
for row in cursor:
    sys.stdout.write(json.dumps(dict(zip(keys, row)), ensure_ascii=False) + "\\n")
'''


def build(home: Path, size: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inboxctl", "local", "reset", "--conversations", str(size), "--yes"],
                   env=_env(home), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    # First use purges trash older than 30 days: do it now so that the measured runs only read.
    subprocess.run([sys.executable, "-m", "inboxctl", *ARGS[:2], "--limit", "1"], env=_env(home), check=True,
                   stdout=subprocess.DEVNULL)
    return elapsed


def measure(home: Path, *, trace: bool, args: list[str] = ARGS) -> dict[str, Any]:
    figures = _run_reading_stdout([sys.executable, "-c", CHILD, "1" if trace else "0", *args], home)
    reported = json.loads(figures["stderr"].strip().splitlines()[-1])
    if figures["exit_code"] != 0 or reported["code"] != 0:
        raise SystemExit(f"the listing failed with exit code {figures['exit_code'] or reported['code']}")
    return {**figures, **reported}


def measure_floor(home: Path) -> dict[str, Any]:
    figures = _run_reading_stdout([sys.executable, "-c", FLOOR, str(home / "local.sqlite3")], home)
    if figures["exit_code"] != 0:
        raise SystemExit(f"the floor failed:\n{figures['stderr']}")
    return figures


def _run_reading_stdout(command: list[str], home: Path) -> dict[str, Any]:
    """Run ``command`` with its stdout read through a pipe, as a consumer would; its figures and stderr."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a long stderr cannot block the child
        started = time.perf_counter()
        child = subprocess.Popen(command, env=_env(home), stdout=subprocess.PIPE, stderr=errors)
        assert child.stdout is not None
        first_row: float | None = None
        rows = size = 0
        while chunk := child.stdout.read1(65536):
            if first_row is None:
                first_row = time.perf_counter() - started
            rows += chunk.count(b"\n")
            size += len(chunk)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    return {"seconds": seconds, "first_row": first_row or 0.0, "rows": rows, "bytes": size,
            "max_rss_kib": usage.ru_maxrss, "exit_code": child.returncode, "stderr": stderr}


def _env(home: Path) -> dict[str, str]:
    # Without PYTHONDONTWRITEBYTECODE: an installed inboxctl starts from its bytecode caches.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, "INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"),
            "INBOXCTL_PROFILE": "local"}


def main(sizes: list[int]) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="inboxctl-bench-") as scratch:
        for size in sizes:
            home = Path(scratch) / str(size)
            build_seconds = build(home, size)
            plain, floor = [], []
            for _ in range(PAIRS):
                floor.append(measure_floor(home))
                plain.append(measure(home, trace=False))
            if floor[0]["rows"] != plain[0]["rows"]:
                raise SystemExit(f"the floor read {floor[0]['rows']:,} rows, the listing {plain[0]['rows']:,}")
            traced = measure(home, trace=True)
            imports = measure(home, trace=False, args=["--import-only"])
            results.append((size, build_seconds, plain, traced, imports, floor))
            print(f"measured {size:,} conversations", file=sys.stderr)
    _print(results)


def _print(results: list[tuple[int, float, list[dict], dict, dict, list[dict]]]) -> None:
    def row(name: str, values: list[float], shown: str, ratio: bool = True) -> list[str]:
        return [name, *(shown.format(v) for v in values), f"{values[-1] / values[0]:.2f}x" if ratio else ""]

    def median(runs: list[dict], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    plain = [r[2] for r in results]
    floor = [r[5] for r in results]
    ratios = [statistics.median(p["seconds"] / f["seconds"] for p, f in zip(runs, floors, strict=True))
              for runs, floors in zip(plain, floor, strict=True)]
    table = [
        ["", *(f"{r[0]:,}" for r in results), f"ratio {results[-1][0]:,}/{results[0][0]:,}"],
        row("rows listed (trash/spam hidden)", [p[0]["rows"] for p in plain], "{:,}"),
        row("bytes written", [p[0]["bytes"] / 1e6 for p in plain], "{:.1f} MB"),
        row("peak RSS of the run", [median(p, "max_rss_kib") / 1024 for p in plain], "{:.1f} MiB"),
        row("  RSS of importing the CLI alone", [r[4]["max_rss_kib"] / 1024 for r in results], "{:.1f} MiB", False),
        row("tracemalloc peak of the command", [r[3]["traced_peak"] / 1024 for r in results], "{:,.0f} KiB"),
        row("wall time", [median(p, "seconds") for p in plain], "{:.2f} s"),
        row("time to first row", [median(p, "first_row") * 1000 for p in plain], "{:.0f} ms"),
        row("floor: plain sqlite3 + json.dumps", [median(f, "seconds") for f in floor], "{:.2f} s"),
        row(f"wall time / floor ({PAIRS} pairs, median)", ratios, "{:.2f}x", False),
        row("(local reset --conversations N)", [r[1] for r in results], "{:.1f} s", False),
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                        for i, cell in enumerate(line)).rstrip())


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or list(DEFAULT_SIZES))
