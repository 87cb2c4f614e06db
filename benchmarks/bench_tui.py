"""How fast does the TUI show something, and how much does it add to the diagnosis?

Runs the TUI headless (Textual's `run_test`) on the demo lab and measures, per run: the time to
the first painted dashboard (before any result), the time until the report is on screen, and the
demo's own diagnosis time run without the TUI, so that the TUI's overhead is the difference. The
target: the first paint well under 0.5 s, and the TUI adding little to the diagnosis.

Responsiveness: while the diagnosis runs, a 10 ms timer on the app records the largest gap
between two of its calls; beyond the timer's own period, that gap is how long some handler held
the event loop. The target: no handler blocks the loop for more than 50 ms.

Run: python benchmarks/bench_tui.py [--runs 5] [--size 100x30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

from mtls_doctor.diagnose.demo import run_demo
from mtls_doctor.tui.app import MtlsDoctorApp

TICK = 0.01
TARGET_GAP = 0.050


class TickGaps:
    """The largest interval between calls of a `TICK` timer (until `stop`)."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.largest = 0.0
        self.running = True

    def __call__(self) -> None:
        now = time.perf_counter()
        if self.running and self.last is not None:
            self.largest = max(self.largest, now - self.last)
        self.last = now


async def one_run(size: tuple[int, int]) -> tuple[float, float, float]:
    """(seconds to the first paint, seconds to the report on screen, largest gap between two
    event-loop ticks while the diagnosis ran)."""
    start = time.perf_counter()
    app = MtlsDoctorApp(demo=True)
    gaps = TickGaps()
    async with app.run_test(size=size) as pilot:
        app.set_interval(TICK, gaps)
        await pilot.pause()
        first = time.perf_counter() - start
        while app.report is None and app.error is None:
            await pilot.pause(0.01)
        await pilot.pause()
        gaps.running = False
        done = time.perf_counter() - start
        if app.error is not None:
            raise SystemExit(f"the demo failed: {app.error}")
        await pilot.press("q")
    return first, done, gaps.largest


def headless() -> float:
    now = datetime.now(UTC).replace(microsecond=0)
    start = time.perf_counter()
    run_demo(at=now, now=now)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="100x30", help="terminal size, WIDTHxHEIGHT")
    args = ap.parse_args()
    width, _, height = args.size.partition("x")
    size = (int(width), int(height))
    firsts, dones, plain, gaps = [], [], [], []
    for _ in range(args.runs):
        first, done, gap = asyncio.run(one_run(size))
        firsts.append(first)
        dones.append(done)
        gaps.append(gap)
        plain.append(headless())
    med = statistics.median
    print(f"runs: {args.runs}, terminal {size[0]}x{size[1]}")
    print(f"first paint        median {med(firsts):6.3f} s  max {max(firsts):6.3f} s")
    print(f"report on screen   median {med(dones):6.3f} s  max {max(dones):6.3f} s")
    print(f"demo without TUI   median {med(plain):6.3f} s")
    print(f"TUI overhead       median {med(dones) - med(plain):6.3f} s")
    blocked = max(gaps) - TICK
    verdict = "ok" if blocked <= TARGET_GAP else "OVER TARGET"
    print(f"largest tick gap   median {med(gaps) * 1000:6.1f} ms  max {max(gaps) * 1000:6.1f} ms"
          f"  (timer every {TICK * 1000:.0f} ms)")
    print(f"loop blocked       max {blocked * 1000:6.1f} ms  target: no handler blocks the loop "
          f"for more than {TARGET_GAP * 1000:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
