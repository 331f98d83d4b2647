"""A clock for tests that never sleep: monotonic and wall-clock time move only when the code sleeps."""

from __future__ import annotations

EPOCH = 1_780_000_000.0  # wall-clock time at the start of a test (2026-05-28)


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.start = now
        self.epoch = EPOCH
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wallclock(self) -> float:
        return self.epoch + (self.now - self.start)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
