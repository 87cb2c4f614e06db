"""One deadline for a whole command (`--timeout`): every step asks it how much time is left."""

from __future__ import annotations

import time


class Deadline:
    """A point in time; `left()` is what remains of it (never negative)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds until the deadline."""
        return max(0.0, self.end - time.monotonic())

    def within(self, cap: float) -> float:
        """What a step may take: `cap`, or less when the deadline comes first."""
        return min(cap, self.left())

    @property
    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self.left() <= 0.0
