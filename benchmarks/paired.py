"""Two commands timed in turn (A B A B ...), the ratio A/B taken pair by pair.

Pairing keeps a ratio meaningful on a machine whose speed drifts while it runs (other work,
frequency changes): each A is compared with the B that ran right beside it, and the median of
those ratios is the figure. Wall time is read with `time.perf_counter` around each child;
CPU time (user + system) from `resource.getrusage(RUSAGE_CHILDREN)`, the operating system's own
accounting of the finished child. Byte-code caches are allowed, as after `pip install` (some
machines disable them globally with PYTHONDONTWRITEBYTECODE). Commands run in the repository,
so `python -m mtls_doctor` is this checkout whatever the working directory.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: commands run in the repository, so that `python -m mtls_doctor` is this checkout
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    """One run of one command: seconds of wall and of CPU (user + system)."""

    wall: float
    cpu: float


def run_once(cmd: Sequence[str], env: dict[str, str] | None = None,
             stdin: bytes | None = None) -> Sample:
    """Run `cmd` to its end (`stdin`, when given, on its standard input), output thrown away, and
    say how long it took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(list(cmd), input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False, env=env or ENV, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu)


@dataclass(frozen=True)
class Pairs:
    """Medians of A's and B's samples and of the pairwise ratios A/B."""

    a: Sample
    b: Sample
    wall_ratio: float
    cpu_ratio: float
    runs: int


def paired(a: Sequence[str], b: Sequence[str], runs: int, warmup: int = 1, *,
           stdin_a: bytes | None = None, stdin_b: bytes | None = None,
           env: dict[str, str] | None = None) -> Pairs:
    """Run A and B in turn `runs` times (after `warmup` uncounted rounds); `stdin_a`/`stdin_b`
    are written to each run's standard input; `env` replaces ENV for both."""
    for _ in range(warmup):
        run_once(a, env, stdin_a)
        run_once(b, env, stdin_b)
    pairs = [(run_once(a, env, stdin_a), run_once(b, env, stdin_b)) for _ in range(runs)]
    med = statistics.median
    return Pairs(
        Sample(med(x.wall for x, _ in pairs), med(x.cpu for x, _ in pairs)),
        Sample(med(y.wall for _, y in pairs), med(y.cpu for _, y in pairs)),
        med(x.wall / y.wall for x, y in pairs),
        med(x.cpu / y.cpu for x, y in pairs if y.cpu > 0),
        runs,
    )


def verdict(ratio: float, target: float) -> str:
    """`meets` or `misses` the target ratio (at most `target`)."""
    return f"{'meets' if ratio <= target else 'misses'} the target of {target:g}x"


def show(label_a: str, label_b: str, p: Pairs, target: float | None) -> None:
    """Print A's and B's medians and the paired ratios, wall first (and, with a `target`,
    whether the wall ratio meets it)."""
    width = max(len(label_a), len(label_b), len("ratio, paired median"))
    print(f"  {label_a:<{width}} : {p.a.wall * 1000:8.1f} ms wall {p.a.cpu * 1000:8.1f} ms cpu")
    print(f"  {label_b:<{width}} : {p.b.wall * 1000:8.1f} ms wall {p.b.cpu * 1000:8.1f} ms cpu")
    judged = f"   ({verdict(p.wall_ratio, target)}, wall)" if target is not None else ""
    print(f"  {'ratio, paired median':<{width}} : {p.wall_ratio:8.2f}x wall "
          f"{p.cpu_ratio:8.2f}x cpu{judged}")
