"""Does `--timeout` bound the whole command? Time `probe` and `diagnose` against a silent port.

The job: a port that accepts TCP and never answers (a firewall that lets the SYN through, a
server that hangs). With `--timeout 3` the contract wants the whole command over within its
timeout + 2 s, every step and retry included:

    mtls-doctor probe 127.0.0.1:PORT --timeout 3
    mtls-doctor diagnose 127.0.0.1:PORT --no-aws --no-tui --timeout 3

Both run as whole processes (start-up included) against a silent peer on loopback (the test
suite's `black_hole`), several times each; the script prints min / median / max wall time beside
the issue's target: "diagnose --timeout 3 against a silent port ends within 5 s". Each run is
also checked to have ended as a timeout (exit 1, PROBE_TIMEOUT in the report), so that a fast
run that failed for another reason is not counted as a met target.

This script prints; it asserts nothing.

Run from the repository root: python benchmarks/bench_deadline.py [--runs N] [--timeout S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.servers: the test suite's hostile peers

from tests.servers import black_hole  # noqa: E402

#: as after `pip install`: byte-code caches allowed (some machines disable them globally)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: the contract's slack over --timeout
SLACK = 2.0


def commands(port: int, timeout: float) -> list[tuple[str, list[str]]]:
    """(label, argv) of the two timed command lines."""
    base = [sys.executable, "-m", "mtls_doctor"]
    target = f"127.0.0.1:{port}"
    return [
        (f"probe --timeout {timeout:g}", [*base, "probe", target, "--timeout", f"{timeout:g}"]),
        (f"diagnose --no-aws --timeout {timeout:g}",
         [*base, "diagnose", target, "--no-aws", "--no-tui", "--timeout", f"{timeout:g}"]),
    ]


def run_once(cmd: list[str], limit: float) -> tuple[float, subprocess.CompletedProcess[str] | None]:
    """Wall time in seconds of one run, and its result (None when it had to be killed)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=ENV, cwd=ROOT,
                              timeout=limit, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - start, None
    return time.perf_counter() - start, proc


def sanity(label: str, proc: subprocess.CompletedProcess[str] | None) -> None:
    """Warn (never fail) when a run did not end as the timeout being timed."""
    if proc is None:
        print(f"  warning: {label} was still running at the benchmark's own limit and was killed")
        return
    if proc.returncode != 1 or "PROBE_TIMEOUT" not in proc.stdout:
        tail = (proc.stdout[-300:] + proc.stderr[-300:]).strip()
        print(f"  warning: {label} exited {proc.returncode} without PROBE_TIMEOUT: {tail}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (5)")
    ap.add_argument("--timeout", type=float, default=3.0, help="the --timeout given (3)")
    args = ap.parse_args()
    target = args.timeout + SLACK
    results: list[tuple[str, list[float]]] = []
    with black_hole() as server:
        for label, cmd in commands(server.port, args.timeout):
            times = []
            for _ in range(args.runs):
                seconds, proc = run_once(cmd, limit=args.timeout * 4 + 30)
                sanity(label, proc)
                times.append(seconds)
            results.append((label, times))
    print(f"against a silent loopback port (accepts TCP, never answers), {args.runs} runs each "
          "(whole processes)")
    print(f"  {'':<34}{'min':>9}{'median':>9}{'max':>9}   target")
    for label, times in results:
        worst = max(times)
        verdict = "met" if worst <= target else "MISSED"
        print(f"  {label:<34}{min(times):>8.2f}s{statistics.median(times):>8.2f}s{worst:>8.2f}s"
              f"   max <= {target:g} s ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
