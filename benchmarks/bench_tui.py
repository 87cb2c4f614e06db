"""How fast does the TUI show something, and how much does it add to the diagnosis?

Runs the TUI headless (Textual's `run_test`) on the demo lab and measures, per run: the time to
the first painted dashboard (before any result), the time until the report is on screen, and the
demo's own diagnosis time run without the TUI, so that the TUI's overhead is the difference. The
target: the first paint well under 0.5 s, and the TUI adding little to the diagnosis.

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


async def one_run(size: tuple[int, int]) -> tuple[float, float]:
    """(seconds to the first paint, seconds to the report on screen)."""
    start = time.perf_counter()
    app = MtlsDoctorApp(demo=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        first = time.perf_counter() - start
        while app.report is None and app.error is None:
            await pilot.pause(0.01)
        await pilot.pause()
        done = time.perf_counter() - start
        if app.error is not None:
            raise SystemExit(f"the demo failed: {app.error}")
        await pilot.press("q")
    return first, done


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
    firsts, dones, plain = [], [], []
    for _ in range(args.runs):
        first, done = asyncio.run(one_run(size))
        firsts.append(first)
        dones.append(done)
        plain.append(headless())
    med = statistics.median
    print(f"runs: {args.runs}, terminal {size[0]}x{size[1]}")
    print(f"first paint        median {med(firsts):6.3f} s  max {max(firsts):6.3f} s")
    print(f"report on screen   median {med(dones):6.3f} s  max {max(dones):6.3f} s")
    print(f"demo without TUI   median {med(plain):6.3f} s")
    print(f"TUI overhead       median {med(dones) - med(plain):6.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
