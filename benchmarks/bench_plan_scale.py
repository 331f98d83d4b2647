"""How validate, plan and apply scale with the number of inbox definitions (local backend).

Generates N definition files (each an inbox with members, routing, business hours and three
channels), then times, as separate processes like a CI job runs them:
validate, plan (first), apply --yes, plan again (must be empty), export --dir.
Prints the figures for two sizes side by side with their ratio.

    python benchmarks/bench_plan_scale.py [SMALL LARGE]     # default 20 200
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFINITION = """\
[inbox]
name = "Inbox {n}"
members = ["alice@acme.example", "bob@acme.example", "carol@acme.example"]
teams = ["Tier 1"]

[routing]
mode = "users_and_teams"
teams = ["Tier {tier}"]

[business_hours]
timezone = "Europe/Paris"
hours = [
  {{ days = "mon-fri", open = "09:00", close = "12:30" }},
  {{ days = "mon-fri", open = "13:30", close = "18:00" }},
]

[[channels]]
type = "email"
address = "inbox{n}@acme.example"
provider = "gmail"
signature = "{{{{ first_name }}}} from Acme"

[[channels]]
type = "chat"
name = "Chat {n}"
color = "#FF7A59"
availability = "business_hours"
welcome_message = "Hi from inbox {n}"

[[channels]]
type = "calling"
phone = "+1 415 555 {phone:04d}"
"""

STEPS = [
    ("validate", ["validate", "{defs}"], 0),
    ("plan (all to create)", ["plan", "{defs}", "--detailed-exitcode"], 2),
    ("apply --yes", ["apply", "{defs}", "--yes"], 0),
    ("plan again (empty)", ["plan", "{defs}", "--detailed-exitcode"], 0),
    ("export --dir", ["export", "--dir", "{out}"], 0),
]


def write_definitions(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    for n in range(count):
        text = DEFINITION.format(n=n, tier=1 + n % 2, phone=n)
        (directory / f"inbox-{n:04d}.toml").write_text(text, encoding="utf-8")


def run_step(arguments: list[str], env: dict[str, str], expected: int) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "inboxctl", *arguments], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != expected:
        raise SystemExit(f"inboxctl {' '.join(arguments)} exited {done.returncode}, expected {expected}:\n"
                         f"{done.stderr[-2000:]}")
    return elapsed


def measure(count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        defs, out = root / "defs", root / "exported"
        write_definitions(defs, count)
        env = {**os.environ, "INBOXCTL_HOME": str(root / "home"), "INBOXCTL_CONFIG_DIR": str(root / "config")}
        env.pop("INBOXCTL_PROFILE", None)
        subprocess.run([sys.executable, "-m", "inboxctl", "local", "reset", "--conversations", "0", "--yes"],
                       env=env, check=True, capture_output=True)
        timings = {}
        for name, template, expected in STEPS:
            arguments = [part.format(defs=defs, out=out) for part in template]
            timings[name] = run_step(arguments, env, expected)
        return timings


def main() -> None:
    small, large = (int(value) for value in sys.argv[1:3]) if len(sys.argv) >= 3 else (20, 200)
    print("inboxctl on the local backend; each step is a separate process (start-up included)", flush=True)
    figures = {size: measure(size) for size in (small, large)}
    print(f"{'step':<24}{small:>9} inboxes{large:>9} inboxes{'ratio':>9}")
    for name, _, _ in STEPS:
        a, b = figures[small][name], figures[large][name]
        print(f"{name:<24}{a:>15.2f} s{b:>15.2f} s{b / a:>8.1f}x")
    print(f"(inboxes ratio {large / small:.0f}x; 3 channels each)")


if __name__ == "__main__":
    main()
