"""The fuzz suite: one file per class of input (saved plans, ids and dates, database bytes, server
responses, tokens and URLs). At the end of the session, how many cases each class ran."""

from __future__ import annotations

from typing import Any

from fuzzkit import CASES, SCALE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CASES:
        return
    terminalreporter.write_sep("-", f"fuzz cases run (INBOXCTL_FUZZ_SCALE={SCALE:g})")
    for kind, cases in sorted(CASES.items(), key=lambda item: (item[0].strip().split(": exit")[0], item[0][0] == " ",
                                                                item[0])):
        terminalreporter.write_line(f"{kind:<62} {cases:>6} cases")
