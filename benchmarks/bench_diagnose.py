"""Does the full diagnosis cost its slowest collector, not the sum of them?

Runs `mtls-doctor demo`'s diagnosis in-process with artificial latency added to each collector
(the probe and the AWS reading each sleep before returning, as a far endpoint and a slow AWS
region would), and prints the wall time beside the slowest collector's time. The issue's target:
the whole diagnosis at most 1.2x its slowest collector.

Run: python benchmarks/bench_diagnose.py [--probe-ms 300] [--aws-ms 600] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import mtls_doctor.commands.domain as domain_command
import mtls_doctor.commands.probe as probe_command
import mtls_doctor.probe.run as probe_run
from mtls_doctor.demo.lab import HOST, running_lab
from mtls_doctor.diagnose.run import CollectorRun, DiagnoseOptions, run_diagnosis


def slowed(fn: Any, seconds: float) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return fn(*args, **kwargs)

    return wrapper


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--probe-ms", type=float, default=300)
    ap.add_argument("--aws-ms", type=float, default=600)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    # the probe's network exchange and the AWS reading, each made slow
    setattr(probe_command, "run_probe",  # noqa: B010
            slowed(probe_run.run_probe, args.probe_ms / 1000))
    setattr(domain_command, "collect_or_load",  # noqa: B010
            slowed(domain_command.collect_or_load, args.aws_ms / 1000))
    walls, slowest = [], []
    with running_lab() as lab:
        now = datetime.now(UTC)
        options = DiagnoseOptions(host=f"{HOST}:{lab.port}", at=now, now=now,
                                  connect=f"127.0.0.1:{lab.port}", cert=str(lab.client_cert),
                                  key=str(lab.client_key), aws_snapshot=str(lab.snapshot))
        for _ in range(args.runs):
            seen: list[CollectorRun] = []
            start = time.perf_counter()
            run_diagnosis(options, seen.append)
            walls.append(time.perf_counter() - start)
            slowest.append(max(a.seconds for a in seen))
    wall, slow = statistics.median(walls), statistics.median(slowest)
    print(f"full diagnosis with +{args.probe_ms:g} ms on the probe and +{args.aws_ms:g} ms on AWS, "
          f"median of {args.runs} runs")
    print(f"  slowest collector : {slow * 1000:8.1f} ms")
    print(f"  whole diagnosis   : {wall * 1000:8.1f} ms")
    print(f"  ratio             : {wall / slow:8.2f}x   (target <= 1.2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
