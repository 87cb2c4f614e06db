"""One deadline for a whole command (`--timeout`): every step asks it how much time is left."""

from __future__ import annotations

import threading
import time


class Deadline:
    """A point in time; `left()` is what remains of it (never negative). `cancel()` ends it at
    once (the TUI quit mid-run): every step still running stops at its next wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self._cancelled = threading.Event()

    def left(self) -> float:
        """Seconds until the deadline (0 once cancelled)."""
        if self._cancelled.is_set():
            return 0.0
        return max(0.0, self.end - time.monotonic())

    def cancel(self) -> None:
        """End the deadline now."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """True after `cancel()`."""
        return self._cancelled.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds` (bounded by the deadline); True when cancelled meanwhile."""
        return self._cancelled.wait(self.within(seconds))

    def within(self, cap: float) -> float:
        """What a step may take: `cap`, or less when the deadline comes first."""
        return min(cap, self.left())

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self.left() <= 0.0
