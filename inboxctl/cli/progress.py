"""A progress bar for bulk work on stderr, with an estimate of the time left that stays sane.

click's bar estimates from the time per item since the start, so a run whose first result is
slow to come (a listing, a connection, a transaction) or that is reported in batches shows hours
for a few seconds of work. ``Estimate`` measures the pace from the first result on, and says
nothing until enough items are done to know it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

REDRAW_EVERY = 0.1  # seconds between two redraws of the bar
MIN_SECONDS = 1.0  # of measured pace before an estimate is shown
MIN_SHARE = 0.02  # of the items done since the first result before an estimate is shown
BAR_WIDTH = 30


class Estimate:
    """The time left, from the pace since the first result (not since the start: see the module)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.first: tuple[float, int] | None = None  # when the first result came, and how many were done then

    def seconds_left(self, done: int, now: float) -> float | None:
        """None while too little is known: before MIN_SECONDS and MIN_SHARE of measured work, or when done."""
        if self.first is None:
            if done > 0:
                self.first = (now, done)
            return None
        since, done_then = self.first
        measured = done - done_then
        if done >= self.total or measured < max(1, MIN_SHARE * self.total) or now - since < MIN_SECONDS:
            return None
        return (now - since) / measured * (self.total - done)


def duration_text(seconds: float) -> str:
    """``4s``, ``1m 05s``, ``2h 03m``: a duration as people read it."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


class ProgressBar:
    """``close [#########-----------] 12/40  eta 3s``, redrawn in place."""

    def __init__(self, total: int, label: str, *, stream: IO[str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.label, self.stream, self.clock = total, label, stream, clock
        self.done = 0
        self.estimate = Estimate(total)
        self.drawn_at: float | None = None
        self.width = 0  # of the last line drawn, to blank what a shorter line leaves

    def update(self, steps: int) -> None:
        self.done = min(self.total, self.done + steps)
        now = self.clock()
        left = self.estimate.seconds_left(self.done, now)
        if self.drawn_at is None or now - self.drawn_at >= REDRAW_EVERY or self.done == self.total:
            self.draw(left)
            self.drawn_at = now

    def draw(self, seconds_left: float | None) -> None:
        filled = BAR_WIDTH * self.done // self.total if self.total else BAR_WIDTH
        line = f"{self.label} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done}/{self.total}"
        if seconds_left is not None:
            line += f"  eta {duration_text(seconds_left)}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def finish(self) -> None:
        self.draw(None)
        self.stream.write("\n")
        self.stream.flush()


@contextmanager
def progress_bar(total: int, label: str, *, stream: IO[str] | None = None) -> Iterator[Callable[[int], None]]:
    """A bar on ``stream`` (stderr) for ``total`` items; yields the function that advances it."""
    bar = ProgressBar(total, label, stream=stream if stream is not None else sys.stderr)
    bar.draw(None)
    try:
        yield bar.update
    finally:
        bar.finish()
