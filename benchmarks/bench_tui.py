"""How fast does the TUI show something, how soon after the last collector is the report on
screen, and does the event loop ever stall, with a big truststore loaded?

Runs the TUI headless (Textual's `run_test`) and measures, per run:

- demo lab: the time from creating the app to its first frame of the dashboard (before any
  result), the time until the report is on screen, and the demo's own diagnosis time without
  the TUI (the TUI's overhead is the difference);
- a 1,000-certificate truststore (the fixed report of tests/tui_report.py, its domain's
  truststore grown to 1,000 CA certificates; the real pipeline runs, only the outside world is
  fixed): the time from the last collector's end to the report on screen, then the finding
  screen of a truststore finding (its chain tree), a walkthrough and the certificate viewer
  opened and closed, then each of them opened a second time (the app makes each screen once
  and shows it again);
- all along: the longest event-loop block, as the worst lateness of an asyncio task that sleeps
  5 ms in a loop (beyond its 5 ms, that lateness is how long something held the loop).

Targets: first paint <= 0.3 s, report on screen <= 0.5 s after the last collector, no block over
50 ms. Prints figures only (tests never assert on time).

Run: python benchmarks/bench_tui.py [--runs 5] [--size 100x30] [--certificates 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.tui_report: the test suite's fixed report

from mtls_doctor.diagnose.demo import run_demo  # noqa: E402
from mtls_doctor.diagnose.run import CollectorRun, run_diagnosis  # noqa: E402
from mtls_doctor.tui.app import MtlsDoctorApp  # noqa: E402

SLEEP = 0.005
TARGET_BLOCK = 0.050
TARGET_FIRST_PAINT = 0.3
TARGET_ON_SCREEN = 0.5


class Lateness:
    """An asyncio task on the app's loop that sleeps `SLEEP` in a loop and records the worst
    lateness of its wake-ups (and what was going on then: `phase`).

    Wall-clock lateness also counts what is not the TUI's doing: the diagnosis threads holding
    the GIL, other processes on a busy machine. So it also records `longest`, the most CPU time
    (of the loop's thread) one callback of the loop took: what the TUI's own handlers cost."""

    #: the instance whose `longest` the loop's callbacks update (one app runs at a time)
    current: Lateness | None = None

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_phase = ""
        self.phase = "start"
        self.longest = 0.0
        self.longest_what = ""
        self._stop = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        _time_callbacks()
        Lateness.current = self
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        """Forget the worst so far (a new phase is measured)."""
        self.worst = self.longest = 0.0

    async def _run(self) -> None:
        while not self._stop:
            before = time.perf_counter()
            await asyncio.sleep(SLEEP)
            late = time.perf_counter() - before - SLEEP
            if late > self.worst:
                self.worst, self.worst_phase = late, self.phase

    async def stop(self) -> None:
        self._stop = True
        if self._task is not None:
            await self._task
        Lateness.current = None


def _time_callbacks() -> None:
    """Time (thread CPU) every callback the event loop runs, for `Lateness.current`."""
    handle = asyncio.events.Handle
    if getattr(handle, "_bench_timed", False):
        return
    run_one = handle._run

    def timed(self: asyncio.events.Handle) -> None:
        start = time.thread_time()
        run_one(self)
        spent = time.thread_time() - start
        late = Lateness.current
        if late is not None and spent > late.longest:
            owner = getattr(getattr(self, "_callback", None), "__self__", None)
            late.longest = spent
            late.longest_what = getattr(owner, "get_name", lambda: "?")()

    handle._run = timed  # type: ignore[method-assign]
    handle._bench_timed = True  # type: ignore[attr-defined]


async def until(pilot: Any, condition: Callable[[], bool], what: str,
                limit: float = 60.0) -> None:
    """Poll (5 ms) until `condition` holds."""
    end = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit(f"timed out waiting for the TUI: {what} (screen {pilot.app.screen})")
        await pilot.pause(0.005)


def dashboard_frames(app: MtlsDoctorApp) -> list[tuple[float, bool]]:
    """A list that gets, for each frame of the dashboard the app hands to the terminal (its
    `_display` wrapped), its instant and whether the dashboard had a report then."""
    seen: list[tuple[float, bool]] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        if renderable is not None and screen is app.dashboard:
            seen.append((time.perf_counter(), app.dashboard.report is not None))
        display(screen, renderable)

    app._display = timed  # type: ignore[method-assign]
    return seen


async def demo_run(size: tuple[int, int]) -> tuple[float, float, float, float]:
    """(seconds to the first paint, seconds to the report on screen, worst lateness, longest
    callback's CPU time)."""
    start = time.perf_counter()
    app = MtlsDoctorApp(demo=True)
    frame = dashboard_frames(app)
    late = Lateness()
    async with app.run_test(size=size) as pilot:
        late.start()
        await until(pilot, lambda: bool(frame), "the first frame")
        first = frame[0][0] - start
        await until(pilot, lambda: any(has for _, has in frame) or app.error is not None,
                    "the demo's report on screen")
        if app.error is not None:
            raise SystemExit(f"the demo failed: {app.error}")
        done = next(t for t, has in frame if has) - start
        await late.stop()
        await pilot.press("q")
    return first, done, late.worst, late.longest


def big_diagnosis(certificates: int, last: list[float]) -> Callable[..., Any]:
    """`run_diagnosis` of the fixed report with `certificates` in the domain's truststore (the
    real pipeline, the outside world fixed); `last` gets the instant the last collector ended."""
    from tests.tui_report import fixed_options, offline_world

    def run(options: Any, progress: Callable[[CollectorRun], None] | None = None, *,
            deadline: Any = None, probe_progress: Any = None) -> Any:
        def told(attempt: CollectorRun) -> None:
            last.append(time.perf_counter())
            if progress is not None:
                progress(attempt)

        with offline_world(certificates):
            return run_diagnosis(fixed_options(), told, deadline=deadline,
                                 probe_progress=probe_progress)
    return run


async def visit(pilot: Any, late: Lateness, phase: str, keys: list[str],
                opened: Callable[[], bool]) -> None:
    """Press `keys`, wait until `opened()`, let it paint, close it (escape)."""
    late.phase = phase
    await pilot.press(*keys)
    await until(pilot, opened, phase)
    await pilot.pause(0.05)
    await pilot.press("escape")
    await pilot.pause(0.05)


async def big_run(size: tuple[int, int], certificates: int
                  ) -> dict[str, tuple[float, float]]:
    """The report of a big truststore: seconds from the last collector to the report on screen;
    the worst lateness and the longest callback while it arrived, and while screens about it
    opened."""
    from tests.tui_report import fixed_options

    last: list[float] = []
    with mock.patch("mtls_doctor.tui.app.run_diagnosis", big_diagnosis(certificates, last)):
        app = MtlsDoctorApp(fixed_options())
        frames = dashboard_frames(app)
        late = Lateness()
        async with app.run_test(size=size) as pilot:
            late.start()
            await pilot.pause()  # the first paint (measured with the demo lab) is not counted
            late.reset()
            late.phase = "diagnosis running"
            await until(pilot, lambda: any(has for _, has in frames) or app.error is not None,
                        "the big report's first frame")
            on_screen = next(t for t, has in frames if has) - last[-1]
            if app.error is not None:
                raise SystemExit(f"the diagnosis failed: {app.error}")
            await pilot.pause(0.2)
            phases = {"on screen": (on_screen, 0.0), "arrival": (late.worst, late.longest)}
            dash = app.dashboard
            for phase, keys, finding in (
                    ("finding screen (chain tree)", ["enter"], "TRUSTSTORE_MISSING_ISSUER"),
                    ("walkthrough", ["w"], "TRUSTSTORE_MISSING_ISSUER"),
                    ("certificate viewer", ["c"], None),
                    # the same screens again: made once, shown again
                    ("finding screen again", ["enter"], "TRUSTSTORE_WEAK_SIGNATURE_HASH"),
                    ("walkthrough again", ["w"], "CLIENT_REJECTED"),
                    ("certificate viewer again", ["c"], None)):
                if finding is not None:
                    dash.findings_list.select_id(finding)
                    await pilot.pause(0.05)
                late.reset()
                await visit(pilot, late, phase, keys, lambda: app.screen is not dash)
                phases[phase] = (late.worst, late.longest)
            await late.stop()
            await pilot.press("q")
    return phases


def headless() -> float:
    now = datetime.now(UTC).replace(microsecond=0)
    start = time.perf_counter()
    run_demo(at=now, now=now)
    return time.perf_counter() - start


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER TARGET"


def run(coroutine: Awaitable[Any]) -> Any:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size", default="100x30", help="terminal size, WIDTHxHEIGHT")
    ap.add_argument("--certificates", type=int, default=1000,
                    help="CA certificates in the big truststore")
    args = ap.parse_args()
    width, _, height = args.size.partition("x")
    size = (int(width), int(height))
    med = statistics.median
    firsts, dones, plain, lates, longest = [], [], [], [], []
    for _ in range(args.runs):
        first, done, late, cpu = run(demo_run(size))
        firsts.append(first)
        dones.append(done)
        lates.append(late)
        longest.append(cpu)
        plain.append(headless())
    big = [run(big_run(size, args.certificates)) for _ in range(args.runs)]
    print(f"runs: {args.runs}, terminal {size[0]}x{size[1]}")
    print("demo lab")
    print(f"  first paint        median {med(firsts):6.3f} s  max {max(firsts):6.3f} s"
          f"  target <= {TARGET_FIRST_PAINT} s: {verdict(max(firsts), TARGET_FIRST_PAINT)}")
    print(f"  report on screen   median {med(dones):6.3f} s  max {max(dones):6.3f} s"
          "  (from the start)")
    print(f"  demo without TUI   median {med(plain):6.3f} s")
    print(f"  TUI overhead       median {med(dones) - med(plain):6.3f} s")
    print(f"  loop blocked       median {med(lates) * 1000:6.1f} ms  max "
          f"{max(lates) * 1000:6.1f} ms  target <= {TARGET_BLOCK * 1000:.0f} ms: "
          f"{verdict(med(lates), TARGET_BLOCK)}")
    print(f"  longest callback   median {med(longest) * 1000:6.1f} ms  max "
          f"{max(longest) * 1000:6.1f} ms  (CPU time of the loop's thread)")
    print(f"{args.certificates}-certificate truststore (fixed report, real pipeline)")
    on_screen = [b["on screen"][0] for b in big]
    print(f"  report on screen   median {med(on_screen):6.3f} s  max {max(on_screen):6.3f} s"
          f"  after the last collector; target <= {TARGET_ON_SCREEN} s: "
          f"{verdict(med(on_screen), TARGET_ON_SCREEN)}")
    for phase in [k for k in big[0] if k != "on screen"]:
        walls = [b[phase][0] for b in big]
        cpus = [b[phase][1] for b in big]
        label = "while it ran and arrived" if phase == "arrival" else f"opening {phase}"
        print(f"  {label}")
        print(f"    loop blocked     median {med(walls) * 1000:6.1f} ms  max "
              f"{max(walls) * 1000:6.1f} ms: {verdict(med(walls), TARGET_BLOCK)}")
        print(f"    longest callback median {med(cpus) * 1000:6.1f} ms  max "
              f"{max(cpus) * 1000:6.1f} ms")
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPU(s) (wall-clock figures count other processes too)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
