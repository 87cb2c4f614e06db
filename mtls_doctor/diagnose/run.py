"""Run every collector at once and merge what they found into one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from mtls_doctor.deadline import Deadline
from mtls_doctor.diagnose.rules import (
    dedupe,
    explain_unrequested,
    predicted_vs_live,
    served_vs_configured,
)
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Check, CheckStatus, Finding
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict

T = TypeVar("T")


@dataclass(frozen=True)
class DiagnoseOptions:
    """Everything `diagnose` was asked (file names and names only: no key material)."""

    host: str
    at: datetime
    now: datetime
    connect: str | None = None
    cert: str | None = None
    key: str | None = None
    chain: str | None = None
    password: bytes | None = None
    password_env: str | None = None
    truststore: str | None = None
    path: str | None = None
    timeout: float = 30.0
    region: str | None = None
    profile: str | None = None
    no_aws: bool = False
    aws_snapshot: str | None = None
    warn_days: int = 30


@dataclass(frozen=True)
class Attempt:
    """One collector's run: `ok`; `unknown` (it ran, but some facts could not be collected);
    `failed` (it could not run; `summary` is the one-line reason); `cancelled`; `skipped`."""

    name: str
    status: str
    seconds: float
    summary: str = ""


Progress = Callable[[Attempt], None]


def _timed(name: str, fn: Callable[[], T], report_of: Callable[[Any], Report],
           deadline: Deadline, progress: Progress | None) -> tuple[T | None, Attempt]:
    """Run one collector; its attempt says how it went (a report with unknown checks is
    `unknown`, never `ok`)."""
    start = time.perf_counter()
    result: T | None = None
    try:
        result = fn()
    except InputError as exc:
        attempt = Attempt(name, "failed", round(time.perf_counter() - start, 3), str(exc))
    else:
        report = report_of(result)
        undecided = sum(c.status is CheckStatus.UNKNOWN for c in report.checks)
        status = "ok" if not undecided else "cancelled" if deadline.cancelled else "unknown"
        summary = f"{len(report.findings)} finding(s)" + (
            f", {undecided} check(s) undecided" if undecided else "")
        attempt = Attempt(name, status, round(time.perf_counter() - start, 3), summary)
    if progress is not None:
        progress(attempt)
    return result, attempt


def _domain_name(host: str) -> str:
    from mtls_doctor.probe.target import parse_target

    return parse_target(host).host


def check_inputs(o: DiagnoseOptions) -> None:
    """What can be known before anything runs: a missing file, a certificate without its key
    (the probe cannot present it) is bad input (exit 2), not a collector that failed."""
    from mtls_doctor.commands.common import load_client
    from mtls_doctor.source import read_source

    _domain_name(o.host)  # a HOST that cannot be a host name stops here
    if o.key and not o.cert:
        raise InputError("--key needs --cert")
    if o.cert:
        load_client(o.cert, o.key, o.password, key_required=True)
    if o.chain:
        read_source(o.chain, "chain file")
    if o.truststore and not o.truststore.lower().startswith("s3://"):
        read_source(o.truststore, "truststore")
    if o.aws_snapshot and not o.no_aws:
        read_source(o.aws_snapshot, "AWS snapshot")


def run_diagnosis(o: DiagnoseOptions, progress: Progress | None = None, *,
                  deadline: Deadline | None = None) -> Report:
    """Probe, domain, truststore and verdict concurrently, all within one deadline (`--timeout`,
    or `deadline`, which the TUI cancels when the user quits); each collector may fail without
    the others. Bad input (a missing file, a certificate without its key) raises InputError
    before anything runs."""
    from mtls_doctor.commands.domain import collect_or_load, domain_report
    from mtls_doctor.commands.probe import run_probe_command
    from mtls_doctor.commands.truststore import run_truststore

    deadline = deadline or Deadline(o.timeout)
    check_inputs(o)

    def probe() -> Report:
        return run_probe_command(o.host, at=o.at, now=o.now, connect=o.connect, cert=o.cert,
                                 key=o.key, chain=o.chain, password=o.password,
                                 password_env=o.password_env, path=o.path, deadline=deadline)

    def domain() -> tuple[DomainFacts, Report]:
        facts = collect_or_load(_domain_name(o.host), region=o.region, profile=o.profile,
                                deadline=deadline, snapshot=o.aws_snapshot)
        return facts, domain_report(facts, at=o.at, now=o.now, warn_days=o.warn_days)

    def truststore() -> Report:
        assert o.truststore is not None
        return run_truststore(o.truststore, at=o.at, now=o.now, warn_days=o.warn_days,
                              password=o.password, profile=o.profile, region=o.region)

    def same(r: Report) -> Report:
        return r

    def second(pair: tuple[DomainFacts, Report]) -> Report:
        return pair[1]

    attempts: list[Attempt] = []
    reports: dict[str, Report] = {}
    facts: DomainFacts | None = None
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="mtls-doctor-diagnose") as pool:
        probe_f = pool.submit(_timed, "probe", probe, same, deadline, progress)
        domain_f = None if o.no_aws else pool.submit(_timed, "domain", domain, second, deadline,
                                                     progress)
        ts_f = pool.submit(_timed, "truststore", truststore, same, deadline, progress) \
            if o.truststore else None
        report, attempt = probe_f.result()
        attempts.append(attempt)
        if report is not None:
            reports["probe"] = report
        if domain_f is not None:
            pair, attempt = domain_f.result()
            attempts.append(attempt)
            if pair is not None:
                facts, reports["domain"] = pair
        else:
            attempts.append(Attempt("domain", "skipped", 0.0, "--no-aws"))
        if ts_f is not None:
            report, attempt = ts_f.result()
            attempts.append(attempt)
            if report is not None:
                reports["truststore"] = report
    if o.cert and o.no_aws and not o.truststore:
        attempts.append(Attempt("verify-client", "skipped", 0.0,
                                "no truststore to check against: give --truststore"))
    elif o.cert:
        # the verdict needs a truststore: --truststore, else the version the domain uses
        report, attempt = _timed("verify-client", lambda: _verdict(o, facts), same, deadline,
                                 progress)
        attempts.append(attempt)
        if report is not None:
            reports["verify-client"] = report
    return _merge(o, reports, attempts, facts)

def _verdict(o: DiagnoseOptions, facts: DomainFacts | None) -> Report:
    from mtls_doctor.commands.common import load_client, load_input
    from mtls_doctor.commands.domain import truststore_name
    from mtls_doctor.commands.verify_client import verdict_report
    from mtls_doctor.pki.fixes import UploadTarget
    from mtls_doctor.pki.load import load_certificates

    client = load_client(o.cert or "", o.key, o.password, key_required=False)
    target: UploadTarget | None = None
    chain = load_input(o.chain, "chain file", o.password) if o.chain else None
    if o.truststore:
        ts_file = load_input(o.truststore, "truststore", o.password, profile=o.profile,
                             region=o.region)
    elif facts is not None and facts.truststore_object and facts.truststore_object.content:
        ts = facts.truststore_object
        ts_file = load_certificates(ts.content or b"", truststore_name(ts))
        target = UploadTarget(ts.bucket, ts.key, ts.configured_version, facts.name, facts.region,
                              facts.api_type or "rest")
    else:
        read = (facts.evidence.get("truststore_object") or facts.evidence.get("domain")
                if facts is not None else None)
        why = f" ({read.describe()})" if read is not None and not read.answered else ""
        raise InputError("no truststore to check the client against: the domain's could not be "
                         f"read{why}; give --truststore")
    return verdict_report(client, ts_file, chain, at=o.at, now=o.now, warn_days=o.warn_days,
                          target=target)


def _merge(o: DiagnoseOptions, reports: dict[str, Report], attempts: list[Attempt],
           facts: DomainFacts | None) -> Report:
    checks: list[Check] = []
    findings: list[Finding] = []
    payload: dict[str, Any] = {}
    for a in attempts:
        status = CheckStatus.PASS if a.status == "ok" else \
            CheckStatus.SKIP if a.status == "skipped" else CheckStatus.UNKNOWN
        checks.append(Check(f"collect.{a.name}", f"{a.name} collected", status,
                            f"{a.summary} ({a.seconds:.2f} s)"))
    for name in ("probe", "domain", "truststore", "verify-client"):
        r = reports.get(name)
        if r is None:
            continue
        checks.extend(r.checks)
        findings.extend(r.findings)
        for key, value in r.payload.items():
            if key == "truststore" and "truststore" in payload:
                continue  # the domain's (or --truststore's) bundle is shown once
            payload.setdefault(key, value)
    probe_result = reports["probe"].payload.get("probe") if "probe" in reports else None
    verdict = reports["verify-client"].payload.get("verdict") if "verify-client" in reports \
        else None
    if isinstance(probe_result, ProbeResult) and facts is not None and facts.found:
        findings.extend(served_vs_configured(probe_result, facts))
    findings = explain_unrequested(findings, facts)
    findings = predicted_vs_live(findings, verdict if isinstance(verdict, Verdict) else None,
                                 probe_result if isinstance(probe_result, ProbeResult) else None)
    payload["attempts"] = attempts
    return Report(command="diagnose", generated_at=o.now, checks=tuple(checks),
                  findings=tuple(dedupe(findings)), payload=payload)
