"""Time `mtls-doctor domain NAME` against one AWS call's latency, and print the ratio.

The job a person does today: `aws apigatewayv2 get-domain-name`, then the ACM certificate, the S3
truststore object and its versions, every API mapping and each mapped API, its stage and its
routes, one after the other. mtls-doctor reads all of it in one process; the calls that do not
depend on each other go in parallel, so the dependency chain, not the number of calls, should set
the time.

Set-up: moto's server mode on loopback holds an HTTP API custom domain with mutual TLS, its
truststore in a versioned S3 bucket, an imported ACM certificate and 30 API mappings (each to
its own API and stage: the chain is domain -> mappings -> per-API calls). A TCP proxy that delays
every chunk by 50 ms each way (about 100 ms per call) stands in front of it, like a real AWS
endpoint. Measured through the proxy:

  * one call: median of boto3 `apigatewayv2 get_domain_name` calls (client already built);
  * the whole `python -m mtls_doctor domain NAME --region us-east-1 --format json` process
    (start-up included, byte-code caches allowed as after `pip install`), median of 5;
  * issue 15's floor: a fresh `python -c` that imports boto3, builds the apigatewayv2 client and
    makes one get_domain_name through the same proxy (interpreter start, import, one round
    trip), paired run by run with the whole `domain` process (benchmarks/paired.py).

Targets: the whole process at most 4x one call's latency (the first issue), at most 1.3x the
fresh `python -c` floor (issue 15), and, for issue 11's
extra calls (routing rules, stages, authorizers), at most 1.2x the time of the code before them:
`--compare DIR` times the checkout in DIR (e.g. `git archive 788fe47 | tar -x -C DIR`) against
this one, interleaved run by run on the same moto and proxy, and prints the ratio.
This script prints; it asserts nothing.

Run from the repository root:
    python benchmarks/bench_domain.py [--runs N] [--delay S] [--mappings N] [--compare DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.*: the test suite's PKI and delaying proxy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from paired import Pairs, paired, show  # noqa: E402

from tests.pki_factory import PKI  # noqa: E402
from tests.servers import Server, delaying_proxy  # noqa: E402

NAME = "api.mtls-bench.test"
REGION = "us-east-1"
BUCKET = "mtls-bench-truststores"
KEY = "truststore.pem"
MAPPINGS = 30
#: moto accepts any key pair
MOTO_KEY = "testing"


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id=MOTO_KEY, aws_secret_access_key=MOTO_KEY)


def build(endpoint: str, mappings: int = MAPPINGS) -> None:
    """The custom domain and everything around it, straight on moto (no proxy)."""
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    pki = PKI(datetime.now(UTC))
    client_root = pki.root("Bench Client Root", key="p256")
    client_ca = pki.intermediate(client_root, "Bench Client Issuing CA", key="p256")
    version = s3.put_object(Bucket=BUCKET, Key=KEY, Body=client_root.pem + client_ca.pem)["VersionId"]

    server_root = pki.root("Bench Server Root", key="p256")
    leaf = pki.leaf(server_root, NAME, key="p256", eku=("serverAuth",))
    cert_arn = _client("acm", endpoint).import_certificate(
        Certificate=leaf.pem, CertificateChain=server_root.pem,
        PrivateKey=leaf.key_pem())["CertificateArn"]

    v2 = _client("apigatewayv2", endpoint)
    v2.create_domain_name(
        DomainName=NAME,
        DomainNameConfigurations=[{"CertificateArn": cert_arn, "EndpointType": "REGIONAL",
                                   "SecurityPolicy": "TLS_1_2", "DomainNameStatus": "AVAILABLE"}],
        MutualTlsAuthentication={"TruststoreUri": f"s3://{BUCKET}/{KEY}",
                                 "TruststoreVersion": version})
    for i in range(mappings):
        api_id = v2.create_api(Name=f"bench-{i}", ProtocolType="HTTP",
                               DisableExecuteApiEndpoint=i % 2 == 0)["ApiId"]
        v2.create_stage(ApiId=api_id, StageName="prod")
        v2.create_api_mapping(DomainName=NAME, ApiId=api_id, Stage="prod", ApiMappingKey=f"v{i}")


def child_env(endpoint: str, tmp: Path) -> dict[str, str]:
    """The tool's environment: the proxy as AWS, fake keys, no config of this machine, and
    byte-code caches allowed (this machine sets PYTHONDONTWRITEBYTECODE)."""
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("AWS_")}
    (tmp / "config").write_text("")
    (tmp / "credentials").write_text("")
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=MOTO_KEY,
               AWS_SECRET_ACCESS_KEY=MOTO_KEY, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=str(tmp / "config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "credentials"),
               AWS_EC2_METADATA_DISABLED="true")
    return env


def one_call(endpoint: str, runs: int) -> float:
    """Median seconds of one `apigatewayv2 get_domain_name` through the proxy."""
    v2 = _client("apigatewayv2", endpoint)
    v2.get_domain_name(DomainName=NAME)  # client models loaded, nothing else
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        v2.get_domain_name(DomainName=NAME)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


#: issue 15's floor: interpreter start, boto3 import, one client, one round trip
FLOOR = ("import boto3; boto3.client('apigatewayv2', region_name={region!r})"
         ".get_domain_name(DomainName={name!r})")


def against_floor(env: dict[str, str], runs: int) -> Pairs:
    """The whole `domain` process beside a fresh `python -c` making the one call it starts
    with, in turns (benchmarks/paired.py): the ratio issue 15 sets at most 1.3x."""
    ours = [sys.executable, "-m", "mtls_doctor", "domain", NAME, "--region", REGION,
            "--format", "json"]
    floor = [sys.executable, "-c", FLOOR.format(region=REGION, name=NAME)]
    check = subprocess.run(floor, capture_output=True, text=True, env=env, check=False,
                           timeout=120, cwd=ROOT)
    if check.returncode:
        raise SystemExit(f"the floor command failed: {check.stderr.strip()[-300:]}")
    return paired(ours, floor, runs, env=env)


def whole_process(env: dict[str, str], runs: int, *extra: str
                  ) -> tuple[float, list[float], dict[str, Any]]:
    """Median seconds of the whole `domain` process, every sample, and the last report."""
    cmd = [sys.executable, "-m", "mtls_doctor", "domain", NAME, "--region", REGION,
           "--format", "json", *extra]
    samples: list[float] = []
    doc: dict[str, Any] = {}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False,
                              timeout=120, cwd=ROOT)
        samples.append(time.perf_counter() - start)
        doc = json.loads(proc.stdout) if proc.stdout.strip() else {"rc": proc.returncode,
                                                                     "stderr": proc.stderr}
    return statistics.median(samples), samples, doc


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="process runs (5)")
    ap.add_argument("--calls", type=int, default=9, help="single calls (9)")
    ap.add_argument("--delay", type=float, default=0.05, help="one-way proxy delay, s (0.05)")
    ap.add_argument("--mappings", type=int, default=MAPPINGS, help=f"API mappings ({MAPPINGS})")
    ap.add_argument("--compare", metavar="DIR",
                    help="another checkout to time against this one, interleaved")
    args = ap.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        build(f"http://127.0.0.1:{port}", args.mappings)
        with delaying_proxy(Server("127.0.0.1", port), args.delay) as proxy, \
                tempfile.TemporaryDirectory() as tmp:
            endpoint = f"http://{proxy.address()}"
            env = child_env(endpoint, Path(tmp))
            snapshot = str(Path(tmp) / "facts.json")
            call = one_call(endpoint, args.calls)
            whole_process(env, 1, "--save", snapshot)  # warm: page cache and byte-code caches
            t_tool, samples, doc = whole_process(env, args.runs)
            # where the time goes: the same process without the proxy, and with no AWS at all
            t_direct, _, _ = whole_process(child_env(f"http://127.0.0.1:{port}", Path(tmp)),
                                           args.runs)
            t_offline, _, _ = whole_process(env, args.runs, "--aws-snapshot", snapshot)
            floor = against_floor(env, args.runs)
            compared = (interleaved(env, args.runs, Path(args.compare).resolve())
                        if args.compare else None)
    finally:
        server.stop()

    findings = [f["id"] for f in doc.get("findings", [])]
    mappings = len((doc.get("domain") or {}).get("mappings") or [])
    print(f"HTTP API domain with mTLS, versioned truststore, imported certificate, {args.mappings} "
          f"mappings; moto behind a {args.delay * 1000:.0f} ms one-way proxy")
    print(f"  one call (apigatewayv2 get_domain_name), median of {args.calls} : "
          f"{call * 1000:8.1f} ms")
    print(f"  mtls-doctor domain (whole process), median of {args.runs}      : "
          f"{t_tool * 1000:8.1f} ms   samples: "
          + ", ".join(f"{s * 1000:.0f}" for s in samples))
    print(f"  ratio process / one call                          : {t_tool / call:8.2f}x   "
          "(target <= 4x)")
    print(f"  report: {mappings} mappings read; findings: {', '.join(findings) or 'none'}")
    print("where the time goes (medians of the same process):")
    print(f"  replaying a --save snapshot (start-up, no AWS)     : {t_offline * 1000:8.1f} ms")
    print(f"  straight to moto (boto3 clients, no latency)      : {t_direct * 1000:8.1f} ms")
    print(f"  added by the proxy                                : {(t_tool - t_direct) * 1000:8.1f} ms"
          f"   = {(t_tool - t_direct) / call:.1f} sequential calls")
    print(f"issue 15: whole process beside a fresh `python -c` (boto3 import, client, one "
          f"get_domain_name), paired medians of {args.runs}:")
    show("mtls-doctor domain", "python -c floor", floor, 1.3)
    if compared is not None:
        this, other = compared
        print(f"against {args.compare} (interleaved, median of {args.runs} each):")
        print(f"  that checkout : {statistics.median(other) * 1000:8.1f} ms   samples: "
              + ", ".join(f"{s * 1000:.0f}" for s in other))
        print(f"  this checkout : {statistics.median(this) * 1000:8.1f} ms   samples: "
              + ", ".join(f"{s * 1000:.0f}" for s in this))
        print(f"  ratio this / that : {statistics.median(this) / statistics.median(other):.3f}"
              "   (target <= 1.2)")
    return 0


def interleaved(env: dict[str, str], runs: int, other: Path) -> tuple[list[float], list[float]]:
    """Seconds of the whole process from this checkout and from `other`, run in turns (the
    order swapped each round), so that the machine's load falls on both alike."""
    cmd = [sys.executable, "-m", "mtls_doctor", "domain", NAME, "--region", REGION,
           "--format", "json"]
    times: dict[Path, list[float]] = {ROOT: [], other: []}
    for root in times:  # warm each: page cache and byte-code caches
        subprocess.run(cmd, capture_output=True, env=env, cwd=root, timeout=120, check=False)
    for i in range(runs):
        for root in ((ROOT, other) if i % 2 == 0 else (other, ROOT)):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, env=env, cwd=root, timeout=120, check=False)
            times[root].append(time.perf_counter() - start)
    return times[ROOT], times[other]


if __name__ == "__main__":
    raise SystemExit(main())
