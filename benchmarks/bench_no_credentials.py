"""Time `mtls-doctor domain NAME` on a machine with no AWS credentials, and print the ratio.

Before the honest-results work the command scanned every region with both APIs (68 failing
calls, 6-9 s) and then claimed the domain was "not found". Now it finds at the first step that
boto3's credential chain is empty and says so. Target from the issue: under 1.5 s.

The floor beside it: a bare `python -c` that imports boto3 and asks its credential chain once,
which is the least any tool must do to find out. Both run with empty AWS config and credentials
files and no AWS_* keys in the environment; the instance metadata service is left as it is on
this machine (nothing answers there), as a user's laptop would have it.

Run from the repository root: python benchmarks/bench_no_credentials.py [--runs N]
This script prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_S = 1.5
FLOOR = "import boto3; boto3.Session().get_credentials()"


def _env(empty: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty}
    return env


def _time(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], int]:
    times, rc = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False, timeout=60)
        times.append(time.perf_counter() - start)
        rc = done.returncode
    return times, rc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(suffix=".aws-empty") as empty:
        env = _env(empty.name)
        tool, rc = _time([sys.executable, "-m", "mtls_doctor", "domain", "api.example.com",
                          "--format", "json"], env, args.runs)
        floor, _ = _time([sys.executable, "-c", FLOOR], env, args.runs)
    med_tool, med_floor = statistics.median(tool), statistics.median(floor)
    print(f"mtls-doctor domain, no credentials: min {min(tool):.3f} s, median {med_tool:.3f} s, "
          f"max {max(tool):.3f} s (exit {rc})")
    print(f"floor (import boto3, ask the chain): min {min(floor):.3f} s, median {med_floor:.3f} s, "
          f"max {max(floor):.3f} s")
    print(f"ratio {med_tool / med_floor:.2f}x the floor; target: under {TARGET_S} s -> "
          f"{'met' if max(tool) < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
