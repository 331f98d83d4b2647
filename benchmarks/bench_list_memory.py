"""Does `inboxctl conv list --all -o jsonl` run in constant memory? Measure it at 10k and 100k conversations.

    python benchmarks/bench_list_memory.py            # 10,000 and 100,000
    python benchmarks/bench_list_memory.py 1000 50000 # other sizes

For each size it builds a fresh local backend (`inboxctl local reset --conversations N`) in a
temporary INBOXCTL_HOME, then runs the listing in a child process whose stdout is a pipe read
by this script, and prints, side by side:

- peak RSS of the child (``wait4`` rusage), and the RSS of just importing the CLI, for reference;
- tracemalloc peak of the listing itself (a second run, after a warm-up so imports are not counted);
- wall time, and the time to the first row (measured by the reader of the pipe);
- rows and bytes written.

The last column is the ratio largest/smallest: ~1 for memory means constant memory; time grows
with the rows, while the time to the first row does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SIZES = (10_000, 100_000)
ARGS = ["conv", "list", "--all", "-o", "jsonl"]

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


def build(home: Path, size: int) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inboxctl", "local", "reset", "--conversations", str(size), "--yes"],
                   env=_env(home), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    # First use purges trash older than 30 days: do it now so that the measured runs only read.
    subprocess.run([sys.executable, "-m", "inboxctl", *ARGS[:2], "--limit", "1"], env=_env(home), check=True,
                   stdout=subprocess.DEVNULL)
    return elapsed


def measure(home: Path, *, trace: bool, args: list[str] = ARGS) -> dict[str, float]:
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", CHILD, "1" if trace else "0", *args], env=_env(home),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    first_row: float | None = None
    rows = size = 0
    while chunk := child.stdout.read1(65536):
        if first_row is None:
            first_row = time.perf_counter() - started
        rows += chunk.count(b"\n")
        size += len(chunk)
    figures = json.loads(child.stderr.read().decode().strip().splitlines()[-1])
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or figures["code"] != 0:
        raise SystemExit(f"the listing failed with exit code {child.returncode or figures['code']}")
    return {"seconds": time.perf_counter() - started, "first_row": first_row or 0.0, "rows": rows, "bytes": size,
            "max_rss_kib": usage.ru_maxrss, **figures}


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"),
            "INBOXCTL_PROFILE": "local"}


def main(sizes: list[int]) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="inboxctl-bench-") as scratch:
        for size in sizes:
            home = Path(scratch) / str(size)
            build_seconds = build(home, size)
            plain = measure(home, trace=False)
            traced = measure(home, trace=True)
            imports = measure(home, trace=False, args=["--import-only"])
            results.append((size, build_seconds, plain, traced, imports))
            print(f"measured {size:,} conversations", file=sys.stderr)
    _print(results)


def _print(results: list[tuple[int, float, dict, dict, dict]]) -> None:
    def row(name: str, values: list[float], shown: str, ratio: bool = True) -> list[str]:
        return [name, *(shown.format(v) for v in values), f"{values[-1] / values[0]:.2f}x" if ratio else ""]

    plain = [r[2] for r in results]
    table = [
        ["", *(f"{r[0]:,}" for r in results), f"ratio {results[-1][0]:,}/{results[0][0]:,}"],
        row("rows listed (trash/spam hidden)", [p["rows"] for p in plain], "{:,}"),
        row("bytes written", [p["bytes"] / 1e6 for p in plain], "{:.1f} MB"),
        row("peak RSS of the run", [p["max_rss_kib"] / 1024 for p in plain], "{:.1f} MiB"),
        row("  RSS of importing the CLI alone", [r[4]["max_rss_kib"] / 1024 for r in results], "{:.1f} MiB", False),
        row("tracemalloc peak of the command", [r[3]["traced_peak"] / 1024 for r in results], "{:,.0f} KiB"),
        row("wall time", [p["seconds"] for p in plain], "{:.2f} s"),
        row("time to first row", [p["first_row"] * 1000 for p in plain], "{:.0f} ms"),
        row("(local reset --conversations N)", [r[1] for r in results], "{:.1f} s", False),
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line)))


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or list(DEFAULT_SIZES))
