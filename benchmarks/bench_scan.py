"""Time `mtls-doctor scan` of 40 custom domains over 4 regions against one `domain` run, both
with the same latency injected on every AWS call, and print the ratio.

The job a platform team does today: `mtls-doctor domain NAME --region R` for each of its domains,
one after another, knowing each name and region. `scan` finds them (GetDomainNames per region,
both APIs) and reads them all at once through a bounded pool, so 40 domains should cost a few
dependency chains, not 40.

Set-up: moto's server mode on loopback; one account reached through a role (moto keeps one
backend per assumed account) holds 40 domains in mixed states over 4 regions (tests/fleet_lab.py),
and the fault proxy of tests/aws_faults.py in front of moto answers every request 50 ms late
(`SlowProxy`). DNS answers nothing at once for both runs. Measured in-process (the start-up of
the Python process is the same for both and would only flatter the ratio), median of --runs:

  * one `domain` run (run_domain_command) of one of the 40, with its region given;
  * one `scan` of the account (run_scan_command --regions R1,R2,R3,R4 --role-arn ARN).

Target from issue 13: the scan at most 3x the one `domain` run. This script prints; it asserts
nothing.

Run from the repository root: python benchmarks/bench_scan.py [--runs N] [--delay S] [--domains N]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.*: the fleet lab and the proxy

from mtls_doctor.aws import collect  # noqa: E402
from mtls_doctor.commands.domain import run_domain_command  # noqa: E402
from mtls_doctor.commands.scan import run_scan_command  # noqa: E402
from tests.fleet_lab import GOOD, REGIONS, FleetLab, Placed, SlowProxy, role_arn  # noqa: E402


def _env(endpoint: str, home: Path, creds: dict[str, str] | None = None) -> None:
    """boto3 sees the proxy, fake keys (or `creds`) and empty config files."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_RETRY_MODE",
                "AWS_MAX_ATTEMPTS", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(var, None)
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    os.environ.update({"AWS_CONFIG_FILE": str(home / "config"),
                       "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
                       "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": endpoint,
                       "AWS_DEFAULT_REGION": REGIONS[0], "AWS_REGION": REGIONS[0],
                       "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    if creds:
        os.environ["AWS_ACCESS_KEY_ID"] = creds["aws_access_key_id"]
        os.environ["AWS_SECRET_ACCESS_KEY"] = creds["aws_secret_access_key"]
        os.environ["AWS_SESSION_TOKEN"] = creds["aws_session_token"]


def _serve(delay: float) -> None:
    """(in the child process) moto and the slow proxy in front of it; print both URLs, then run
    until standard input closes."""
    import moto.settings
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto.settings.ACM_VALIDATION_WAIT = -1
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    proxy = SlowProxy(f"http://{host}:{port}")
    proxy.delay = delay
    proxy.start()
    print(f"http://{host}:{port} {proxy.url}", flush=True)
    sys.stdin.read()
    proxy.stop()
    server.stop()


def _aws_elsewhere(delay: float) -> tuple[subprocess.Popen[str], str, str]:
    """moto and the proxy in their own process, as AWS is: their work never competes with the
    code measured for this interpreter's lock. Returns (process, moto URL, proxy URL)."""
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(delay)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    moto_url, proxy_url = proc.stdout.readline().split()
    return proc, moto_url, proxy_url


def _moto_empty_mappings(lab: FleetLab, placed: list[Placed]) -> None:
    """moto 5 answers GetBasePathMappings with a 500 for a REST domain that never had a mapping
    (AWS answers an empty list): the scan would then time botocore's retry back-off (three
    attempts, up to seconds) on the lab's REST domains, which one `domain` run of another kind
    never sees. A mapping made and deleted again leaves the empty list AWS gives (as
    tests/test_domain.py does)."""
    for p in placed:
        if p.kind != "rest":
            continue
        gw = lab.client(p.account, "apigateway", p.region)
        api = gw.create_rest_api(name=f"gone-{p.name}")["id"]
        gw.create_base_path_mapping(domainName=p.name, restApiId=api, basePath="gone")
        gw.delete_base_path_mapping(domainName=p.name, basePath="gone")


def _median(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added to every call")
    parser.add_argument("--domains", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=None, help="the scan's pool size")
    parser.add_argument("--serve", type=float, default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.serve is not None:
        _serve(opts.serve)
        return
    collect.lookup = lambda name, timeout: None  # type: ignore[attr-defined]
    server, endpoint, proxy_url = _aws_elsewhere(opts.delay)
    try:
        lab = FleetLab(endpoint)
        placed = lab.fleet(opts.domains, (GOOD,), REGIONS)
        _moto_empty_mappings(lab, placed)
        one = placed[0]
        now = datetime.now(UTC).replace(microsecond=0)
        with tempfile.TemporaryDirectory() as tmp:
            _env(proxy_url, Path(tmp), lab._creds[GOOD])
            domain = _median(lambda: run_domain_command(one.name, at=now, now=now,
                                                        region=one.region, timeout=120), opts.runs)
            _env(proxy_url, Path(tmp))
            report = run_scan_command(at=now, now=now, regions=",".join(REGIONS),
                                      role_arns=[role_arn(GOOD)], timeout=120)
            rows = report.payload["scan"].rows
            cpu = os.times()
            scan = _median(lambda: run_scan_command(at=now, now=now, regions=",".join(REGIONS),
                                                    role_arns=[role_arn(GOOD)], timeout=120,
                                                    parallel=opts.parallel),
                           opts.runs)
            after = os.times()
            scan_cpu = (after.user - cpu.user + after.system - cpu.system) / opts.runs
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    print(f"latency per call: {opts.delay * 1000:.0f} ms; runs: {opts.runs} (median)")
    print(f"domain {one.name} ({one.region}): {domain:.3f} s")
    print(f"scan: {len(rows)} domains over {len(REGIONS)} regions: {scan:.3f} s")
    print(f"scan: this process's own CPU per run {scan_cpu:.3f} s (the rest of the wall time is "
          "waiting: for AWS, here moto, one interpreter serving every call)")
    print(f"ratio scan / domain: {scan / domain:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
