"""Signals that end a run, and holding them over the instant a database and its journal must agree.

SIGTERM and SIGHUP end a run the way Ctrl-C (SIGINT) does: as ``KeyboardInterrupt``, so that the
same clean-up runs for each (the journal is closed, marked interrupted). Python's defaults would
kill the process on the spot instead, leaving a journal that stops mid-run.

``InterruptHold`` keeps those signals waiting while a block finishes (the local backend's commit
and the journaling of what it committed), then delivers them: an interrupt lands either before
anything was committed or after everything committed was journaled, never in between.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

TERMINATING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def end_runs_on_termination_signals() -> None:
    """Make SIGTERM and SIGHUP raise ``KeyboardInterrupt`` like SIGINT (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in TERMINATING_SIGNALS:
        if signum != signal.SIGINT and signal.getsignal(signum) in (signal.SIG_DFL, None):
            signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


class InterruptHold:
    """From :meth:`engage` until the block is left, terminating signals wait, then are delivered."""

    def __init__(self) -> None:
        self._previous: dict[signal.Signals, Any] = {}
        self._pending: list[int] = []

    def engage(self) -> None:
        # Only the main thread receives signals in Python; elsewhere there is nothing to hold.
        if threading.current_thread() is not threading.main_thread() or self._previous:
            return
        if _holding():
            return  # inside an engaged hold: that one keeps the signals waiting and delivers them
        for signum in TERMINATING_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._hold)

    def _hold(self, signum: int, frame: FrameType | None) -> None:
        self._pending.append(signum)

    def __enter__(self) -> InterruptHold:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()
        if self._pending:
            signal.raise_signal(self._pending[0])  # to the handler that was there before


def _holding() -> bool:
    return isinstance(getattr(signal.getsignal(signal.SIGINT), "__self__", None), InterruptHold)
