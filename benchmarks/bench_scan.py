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
the Python process is the same for both and would only flatter the ratio), each run with
botocore's data to load as in a process of its own, the two run in turns, median of --runs:

  * one `domain` run (run_domain_command) of one of the 40, with its region given;
  * one `scan` of the account (run_scan_command --regions R1,R2,R3,R4 --role-arn ARN).

Target from issue 13: the scan at most 3x the one `domain` run. Both ways of measuring are
printed. As a user runs them, each command is a process of its own, start-up included. In one
process the ratio has a floor that no client can go below: moto serves every call of the
scan from one interpreter, and the CPU it spends on them (printed, read from /proc) is already
close to 3x the whole in-process `domain` run. This script prints; it asserts nothing.

Run from the repository root: python benchmarks/bench_scan.py [--runs N] [--delay S] [--domains N]
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.*: the fleet lab and the proxy

from mtls_doctor.aws import calls, collect  # noqa: E402
from mtls_doctor.commands.domain import run_domain_command  # noqa: E402
from mtls_doctor.commands.scan import run_scan_command  # noqa: E402
from mtls_doctor.model.report import Report  # noqa: E402
from tests.fleet_lab import GOOD, REGIONS, FleetLab, SlowProxy, role_arn  # noqa: E402


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


def _cold() -> None:
    """What each run would meet in a process of its own: botocore's data (endpoints, service
    models) not loaded yet (`aws.calls` keeps one loader per process, which every later run in
    this one would otherwise find filled), and no garbage of the runs before it to collect."""
    calls._LOADERS.clear()
    gc.collect()


def _cpu_of(pid: int) -> float:
    """Seconds of CPU a process has used so far (Linux: /proc/PID/stat; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Seconds of wall time and of this process's CPU time of one cold run of `fn`."""
    _cold()
    cpu = os.times()
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    after = os.times()
    return wall, after.user - cpu.user + after.system - cpu.system


#: the command line (`python -m mtls_doctor`), with DNS answering nothing at once, as in the
#: in-process runs: the lab's names (*.fleet.test) resolve nowhere, and a resolver that drops
#: queries sent in a burst (this one drops some of 16 at once) would stall a run by its 5 s
#: retry, the scan's 40 lookups far more often than the one of `domain`. The AWS calls are what
#: is compared.
NO_DNS = ("import runpy, socket\n"
          "def no_dns(name):\n    raise socket.gaierror(socket.EAI_NONAME, 'not in the lab')\n"
          "socket.gethostbyname_ex = no_dns\n"
          "runpy.run_module('mtls_doctor', run_name='__main__', alter_sys=True)")
CLI = (sys.executable, "-c", NO_DNS)
#: the options both commands are given (JSON: nothing drawn for a terminal)
COMMON = ("--format", "json", "--timeout", "120")


def _child_env() -> dict[str, str]:
    """This process's environment as `_env` left it, byte-code caches allowed (as after
    `pip install`; some machines turn them off with PYTHONDONTWRITEBYTECODE)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _processes(domain: list[str], domain_env: dict[str, str], scan: list[str],
               scan_env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """Seconds of each whole process, `domain` then `scan`, `runs` times in turns, after one
    checked run of each (exit 0 or 1: it ran; the scan listed every domain)."""
    def once(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300, check=False)
        took = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd[3:6])} exited {proc.returncode}: "
                             f"{proc.stderr.strip()[-300:]}")
        return took, proc.stdout

    once(domain, domain_env)
    if len(json.loads(once(scan, scan_env)[1])["scan"]["rows"]) == 0:
        raise SystemExit("the scan as a process found no domain")
    return [(once(domain, domain_env)[0], once(scan, scan_env)[0]) for _ in range(runs)]


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
        one = placed[0]
        now = datetime.now(UTC).replace(microsecond=0)
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)

            def domain_run() -> None:
                _env(proxy_url, home, lab._creds[GOOD])
                run_domain_command(one.name, at=now, now=now, region=one.region, timeout=120)

            def scan_run() -> Report:
                _env(proxy_url, home)
                return run_scan_command(at=now, now=now, regions=",".join(REGIONS),
                                        role_arns=[role_arn(GOOD)], timeout=120,
                                        parallel=opts.parallel)

            domain_run()  # warm: moto's first answers, byte code, page cache
            rows = scan_run().payload["scan"].rows
            # the set-up's objects (the lab's clients, certificates) are not the measured code's:
            # a process of its own would not have them for its collections to look through
            gc.collect()
            gc.freeze()
            pairs: list[tuple[float, float]] = []
            cpus: list[float] = []
            aws_cpus: list[float] = []  # moto's and the proxy's, serving the scan
            for _ in range(opts.runs):  # in turns, so that the machine's load falls on both
                took, _ = _timed(domain_run)
                served = _cpu_of(server.pid)
                scanned, cpu = _timed(scan_run)
                aws_cpus.append(_cpu_of(server.pid) - served)
                pairs.append((took, scanned))
                cpus.append(cpu)
            domain = statistics.median(d for d, _ in pairs)
            scan = statistics.median(s for _, s in pairs)
            ratio = statistics.median(s / d for d, s in pairs)
            scan_cpu = statistics.median(cpus)
            aws_cpu = statistics.median(aws_cpus)
            _env(proxy_url, home, lab._creds[GOOD])
            domain_env = _child_env()
            _env(proxy_url, home)
            scan_env = _child_env()
            processes = _processes(
                [*CLI, "domain", one.name, "--region", one.region, *COMMON], domain_env,
                [*CLI, "scan", "--regions", ",".join(REGIONS), "--role-arn", role_arn(GOOD),
                 *COMMON], scan_env, opts.runs)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)
    print(f"latency per call: {opts.delay * 1000:.0f} ms; runs: {opts.runs} in turns (median); "
          "botocore's data loaded afresh by each run, as in a process of its own")
    print(f"domain {one.name} ({one.region}): {domain:.3f} s")
    print(f"scan: {len(rows)} domains over {len(REGIONS)} regions: {scan:.3f} s")
    print(f"scan: this process's own CPU per run {scan_cpu:.3f} s (the rest of the wall time is "
          "waiting: for AWS, here moto, one interpreter serving every call)")
    print(f"ratio scan / domain in one process: {ratio:.2f}x, the median of the runs' ratios "
          "(target <= 3x; below, its floor in this lab)")
    if aws_cpu:
        print(f"  the AWS side (moto and the proxy, one process) spent {aws_cpu:.3f} s of CPU "
              f"serving the scan: {aws_cpu / domain:.2f}x the domain run before any latency "
              "or any work of this process; no client of this lab scans faster than that")
    print("as a user runs them: each command a process of its own (python -m mtls_doctor, "
          "start-up included; DNS answers nothing), in turns:")
    print(f"  domain: {statistics.median(d for d, _ in processes):.3f} s, scan: "
          f"{statistics.median(s for _, s in processes):.3f} s, ratio "
          f"{statistics.median(s / d for d, s in processes):.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
