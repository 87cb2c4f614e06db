"""Time `mtls-doctor verify-client` beside `openssl verify` on the same bundle, and print the ratio.

The question a person asks: would this client certificate be accepted by a truststore of
1,000 certificates? With openssl: `openssl verify -CAfile BUNDLE CLIENT` (the whole bundle
trusted, as API Gateway trusts it). With mtls-doctor: `mtls-doctor verify-client --cert CLIENT
--key KEY --truststore BUNDLE`, which also decodes the whole truststore for its report, checks
the key, and applies API Gateway's rules to the path. Target (issue 15): at most 1.5x openssl.
The bundle is the one `bench_truststore.py` builds.

Run: python benchmarks/bench_verify_client.py [--runs N] [--certificates N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_truststore import TOOL, build
from paired import paired, show

TARGET = 1.5


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="pairs of runs per ratio (9)")
    ap.add_argument("--certificates", type=int, default=1000, help="bundle size (1000)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle, _, client, key = build(Path(tmp), args.certificates)
        ours = [*TOOL, "verify-client", "--cert", str(client), "--key", str(key),
                "--truststore", str(bundle)]
        theirs = ["openssl", "verify", "-CAfile", str(bundle), str(client)]
        print(f"one client certificate against {args.certificates:,} certificates, paired "
              f"medians of {args.runs} runs")
        for fmt in ("text", "json"):
            p = paired([*ours, "--format", fmt], theirs, args.runs)
            print(f"--format {fmt}:")
            show(f"mtls-doctor verify-client ({fmt})", "openssl verify -CAfile BUNDLE", p, TARGET)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
