"""What every fuzz test shares: the exit-code contract, the checks on a run, case counts, JSON values.

Each fuzz test runs the CLI (or the core, for what only the core can be timed on) on inputs of one
class and asserts the same three things of every run: no internal error, an exit code from the
README's table, and no secret in any output. ``INBOXCTL_FUZZ_SCALE`` multiplies the number of cases
(CI runs at 1, well under a minute in all; a longer hunt: ``INBOXCTL_FUZZ_SCALE=20``, with
``INBOXCTL_FUZZ_NO_SHRINK=1`` to report the first failure as found instead of minimising it).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = TESTS_DIR.parent
for shared in (TESTS_DIR, TESTS_DIR / "http"):  # tests/fakes and tests/http/scripted_server.py
    if str(shared) not in sys.path:
        sys.path.insert(0, str(shared))

SCALE = float(os.environ.get("INBOXCTL_FUZZ_SCALE", "1"))
PHASES = tuple(phase for phase in Phase if phase is not Phase.shrink or not os.environ.get("INBOXCTL_FUZZ_NO_SHRINK"))
CASES: Counter[str] = Counter()  # class of input -> cases run, printed at the end of the session


def readme_exit_codes() -> frozenset[int]:
    """The codes of the README's exit-code table: the contract every run is held to."""
    text = (REPO_DIR / "README.md").read_text(encoding="utf-8")
    codes = frozenset(int(code) for code in re.findall(r"^\| (\d+) \|", text, re.MULTILINE))
    assert {0, 1, 64} <= codes, "the README's exit-code table was not found"
    return codes


EXIT_CODES = readme_exit_codes()


def fuzz_settings(examples: int, **more: Any) -> Any:
    """Hypothesis settings for a fuzz test: ``examples`` cases at scale 1, no per-case deadline."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large], **more)


def count(kind: str, exit_code: int | None = None) -> None:
    """One more case of ``kind``; with ``exit_code``, also counted by how it ended (shown in the summary)."""
    CASES[kind] += 1
    if exit_code is not None:
        CASES[f"  {kind}: exit {exit_code}"] += 1


def assert_clean(exit_code: int, output: str, *, secrets: Iterable[str] = (), what: str = "") -> None:
    """No internal error, an exit code from the README's table, and none of ``secrets`` in ``output``."""
    context = f"{what}\n--- output ---\n{output[-3000:]}"
    assert "Internal error" not in output and "Traceback" not in output, context
    assert exit_code in EXIT_CODES, f"exit code {exit_code} is not in the README's table\n{context}"
    for secret in secrets:
        assert secret not in output, f"a secret ({secret[:4]}…) was shown\n{context}"


def run_output(result: Any) -> str:
    """Everything a CliRunner run printed, on both streams."""
    return (result.stdout or "") + (getattr(result, "stderr", "") or "")


def assert_clean_run(result: Any, *, secrets: Iterable[str] = (), what: str = "") -> None:
    """``assert_clean`` for a CliRunner result; an exception that escaped the CLI is an internal error too."""
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    assert escaped is None, f"{what}: {type(escaped).__name__}: {escaped}"
    assert_clean(result.exit_code, run_output(result), secrets=secrets, what=what)


# Any JSON value: what a mutated file or a lying server may hold.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                           max_size=4), max_leaves=12)


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place inside a JSON value, as key/index paths (the root is ``()``)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, (*prefix, index))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of ``value`` with the place at ``path`` replaced by ``new`` (or removed, for ``REMOVE``)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if rest or new is not REMOVE:
            copy[head] = replaced(value[head], rest, new)
        else:
            del copy[head]
        return copy
    copy_list = list(value)
    if rest or new is not REMOVE:
        copy_list[head] = replaced(value[head], rest, new)
    else:
        del copy_list[head]
    return copy_list


REMOVE = object()


def deeply_nested(depth: int) -> str:
    """JSON text nested ``depth`` levels deep: more than Python's json module can decode."""
    return "[" * depth + "]" * depth
