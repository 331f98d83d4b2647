"""How long inboxctl takes to start, next to a bare `python -c "import click"` on the same machine.

    python benchmarks/bench_startup.py            # 21 pairs per command
    python benchmarks/bench_startup.py -n 41      # more pairs on a busy machine

Each command runs as its own process, as a shell script or a CI job runs it, and is timed in
pairs with the reference process (A, B, A, B...): reference, command, reference, command. The
ratio of each pair is taken, and the median of those ratios is printed, so that a burst of other
work on the machine weighs on both sides of a pair alike. Everything runs from the repository, in
the virtual environment of this Python, with a temporary INBOXCTL_HOME and a warm-up run first
(the local backend's SQLite file is created then, and bytecode is compiled). The local commands
run as on a fresh install (no config.toml); the Chatwoot one with a profile and INBOXCTL_TOKEN.

The commands: --version, --help, conv --help, validate configs/, plan configs/ and conv list (the
default 50 rows, piped) on the local backend, and plan configs/chatwoot/ against the fake Chatwoot
of the test suite (tests/fakes/chatwoot_server.py, real HTTP on 127.0.0.1, started here).

Peak memory is each command's maximum resident set size (``wait4`` rusage), the median of three
more runs, each started from a small process (see ``PEAK_RSS``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot  # noqa: E402

REFERENCE = [sys.executable, "-c", "import click"]


@dataclass(frozen=True)
class Case:
    label: str
    args: list[str]
    target: float | None  # the largest median ratio the issue accepts, if it sets one
    chatwoot: bool = False


CASES = [
    Case("--version", ["--version"], 1.5),
    Case("--help", ["--help"], 1.5),
    Case("conv --help", ["conv", "--help"], None),
    Case("validate configs/", ["validate", "configs/"], 2.5),
    Case("plan configs/", ["plan", "configs/"], 2.5),
    Case("conv list", ["conv", "list"], 2.5),
    Case("plan configs/chatwoot/ (Chatwoot)", ["--profile", "cw", "plan", "configs/chatwoot/"], None, chatwoot=True),
]


# Runs a command from a small process and prints its peak RSS in KiB. A process started from this
# benchmark directly would count this one's memory too: Linux keeps the peak of the address space
# a child had before exec, and subprocess starts children with vfork, in this process's memory.
PEAK_RSS = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""
MEMORY_RUNS = 3


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)


def inboxctl_command() -> list[str]:
    """The console script of this environment, as a user runs it; else ``python -m inboxctl``."""
    script = Path(sys.executable).with_name("inboxctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "inboxctl"]


def run_once(command: list[str], env: dict[str, str], timings: Timings) -> None:
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    timings.seconds.append(time.perf_counter() - started)
    _check(command, completed)


def peak_rss(command: list[str], env: dict[str, str], timings: Timings) -> None:
    completed = subprocess.run([sys.executable, "-c", PEAK_RSS, *command], cwd=REPO, env=env, capture_output=True)
    _check(command, completed)
    timings.peak_kib.append(int(completed.stdout))


def _check(command: list[str], completed: subprocess.CompletedProcess[bytes]) -> None:
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr.decode()}")


def measure(case: Case, env: dict[str, str], pairs: int) -> tuple[Timings, Timings]:
    command = [*inboxctl_command(), *case.args]
    reference, measured = Timings(), Timings()
    run_once(command, env, Timings())  # warm-up: creates the local backend's file, compiles bytecode
    for _ in range(pairs):
        run_once(REFERENCE, env, reference)
        run_once(command, env, measured)
    for _ in range(MEMORY_RUNS):
        peak_rss(REFERENCE, env, reference)
        peak_rss(command, env, measured)
    return reference, measured


def environment(home: Path, config: str) -> dict[str, str]:
    # Without PYTHONDONTWRITEBYTECODE: an installed inboxctl starts from its bytecode caches, not
    # by compiling every module (the warm-up run writes them).
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("INBOXCTL_", "GITHUB_")) and key not in ("NO_COLOR", "PYTHONDONTWRITEBYTECODE")}
    return {**env, "INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / config)}


def chatwoot_environment(home: Path, url: str) -> dict[str, str]:
    """A profile 'cw' for the fake Chatwoot, its token in INBOXCTL_TOKEN as in CI."""
    env = environment(home, "config-chatwoot")
    subprocess.run([*inboxctl_command(), "profile", "add", "cw", "--backend", "chatwoot", "--url", url,
                    "--account-id", "1", "--rate", "1000"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {**env, "INBOXCTL_TOKEN": ADMIN_TOKEN}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--pairs", type=int, default=21, help="pairs (reference, command) per command")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="inboxctl-startup-") as scratch, FakeChatwoot() as fake:
        # The local commands run as on a fresh install: no config.toml, the default profile.
        env = environment(Path(scratch), "config")
        chatwoot_env = chatwoot_environment(Path(scratch), fake.url)
        for case in CASES:
            reference, measured = measure(case, chatwoot_env if case.chatwoot else env, args.pairs)
            rows.append((case, reference, measured))
            print(f"measured {case.label}", file=sys.stderr)
    print_table(rows, args.pairs)


def print_table(rows: list[tuple[Case, Timings, Timings]], pairs: int) -> None:
    print(f'Start-up against `python -c "import click"`, {pairs} pairs each, medians '
          f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    table = [("command", "inboxctl", "import click", "ratio", "target", "peak RSS")]
    for case, reference, measured in rows:
        ratios = [b / a for a, b in zip(reference.seconds, measured.seconds, strict=True)]
        ratio = statistics.median(ratios)
        target = "-" if case.target is None else f"{case.target:.1f}x " + ("ok" if ratio <= case.target else "MISSED")
        table.append((case.label, f"{statistics.median(measured.seconds) * 1000:.0f} ms",
                      f"{statistics.median(reference.seconds) * 1000:.0f} ms", f"{ratio:.2f}x", target,
                      f"{statistics.median(measured.peak_kib) / 1024:.1f} MiB"))
    click_peak = statistics.median(kib for _, reference, _ in rows for kib in reference.peak_kib) / 1024
    table.append(("(import click alone)", "", "", "", "", f"{click_peak:.1f} MiB"))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                        for i, cell in enumerate(line)).rstrip())


if __name__ == "__main__":
    main()
