"""Time `mtls-doctor --help` beside the import of cryptography.x509 alone, and print the ratio.

The floor of every mtls-doctor command is an interpreter that has imported `cryptography`'s
X.509 module: `python -c "import cryptography.x509"`. `--help` needs none of it; it should cost
no more than that floor. Target (issue 15): at most 1.2x. The script also prints what
`python -X importtime` says the package imports for `--help`, so that a module that creeps in
shows up by name.

Run: python benchmarks/bench_start.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paired import ENV, ROOT, paired, show

TARGET = 1.2


def imports(cmd: list[str]) -> list[tuple[str, int]]:
    """The package's own modules `cmd` imports, with their cumulative import time in us."""
    err = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True,
                         text=True, check=False, env=ENV, cwd=ROOT).stderr
    found = re.findall(r"import time:\s+\d+ \|\s+(\d+) \|\s*(mtls_doctor\S*)", err)
    return [(name, int(us)) for us, name in found]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="pairs of runs (15)")
    args = ap.parse_args()
    ours = [sys.executable, "-m", "mtls_doctor", "--help"]
    floor = [sys.executable, "-c", "import cryptography.x509"]
    mods = imports(ours[1:])
    print(f"mtls-doctor --help imports {len(mods)} of its own modules: "
          + ", ".join(f"{name} ({us / 1000:.1f} ms)" for name, us in mods))
    p = paired(ours, floor, args.runs)
    print(f"paired medians of {args.runs} runs:")
    show("mtls-doctor --help", 'python -c "import cryptography.x509"', p, TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
