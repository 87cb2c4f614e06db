"""Run every collector at once and merge what they found into one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    timeout: float = 10.0
    region: str | None = None
    profile: str | None = None
    no_aws: bool = False
    aws_snapshot: str | None = None
    warn_days: int = 30


@dataclass(frozen=True)
class Attempt:
    """One collector's run: `ok`, `failed` (with the one-line reason) or `skipped`."""

    name: str
    status: str
    seconds: float
    summary: str = ""


Progress = Callable[[Attempt], None]


def _timed(name: str, fn: Callable[[], Report], progress: Progress | None
           ) -> tuple[Report | None, Attempt]:
    start = time.perf_counter()
    report: Report | None = None
    try:
        report = fn()
    except InputError as exc:
        attempt = Attempt(name, "failed", round(time.perf_counter() - start, 3), str(exc))
    else:
        attempt = Attempt(name, "ok", round(time.perf_counter() - start, 3),
                          f"{len(report.findings)} finding(s)")
    if progress is not None:
        progress(attempt)
    return report, attempt


def _domain_name(host: str) -> str:
    from mtls_doctor.probe.target import parse_target

    return parse_target(host).host


def run_diagnosis(o: DiagnoseOptions, progress: Progress | None = None) -> Report:
    """Probe, domain, truststore and verdict concurrently; each may fail without the others."""
    from mtls_doctor.commands.domain import collect_or_load, domain_report
    from mtls_doctor.commands.probe import run_probe_command
    from mtls_doctor.commands.truststore import run_truststore

    facts_box: list[DomainFacts] = []

    def probe() -> Report:
        return run_probe_command(o.host, at=o.at, now=o.now, connect=o.connect, cert=o.cert,
                                 key=o.key, chain=o.chain, password=o.password,
                                 password_env=o.password_env, path=o.path, timeout=o.timeout)

    def domain() -> Report:
        facts = collect_or_load(_domain_name(o.host), region=o.region, profile=o.profile,
                                timeout=o.timeout, snapshot=o.aws_snapshot)
        facts_box.append(facts)
        return domain_report(facts, at=o.at, now=o.now, warn_days=o.warn_days)

    def truststore() -> Report:
        assert o.truststore is not None
        return run_truststore(o.truststore, at=o.at, now=o.now, warn_days=o.warn_days,
                              password=o.password, profile=o.profile, region=o.region)

    attempts: list[Attempt] = []
    reports: dict[str, Report] = {}
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="mtls-doctor-diagnose") as pool:
        jobs: dict[str, Future[tuple[Report | None, Attempt]]] = {
            "probe": pool.submit(_timed, "probe", probe, progress)}
        if not o.no_aws:
            jobs["domain"] = pool.submit(_timed, "domain", domain, progress)
        if o.truststore:
            jobs["truststore"] = pool.submit(_timed, "truststore", truststore, progress)
        for name, job in jobs.items():
            report, attempt = job.result()
            attempts.append(attempt)
            if report is not None:
                reports[name] = report
    facts = facts_box[0] if facts_box else None
    if o.cert:
        # the verdict needs a truststore: --truststore, else the version the domain uses
        report, attempt = _timed("verify-client", lambda: _verdict(o, facts), progress)
        attempts.append(attempt)
        if report is not None:
            reports["verify-client"] = report
    return _merge(o, reports, attempts, facts)


def _verdict(o: DiagnoseOptions, facts: DomainFacts | None) -> Report:
    from mtls_doctor.commands.common import load_client, load_input
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
        name = f"s3://{ts.bucket}/{ts.key}" + (f"?versionId={ts.configured_version}"
                                               if ts.configured_version else "")
        ts_file = load_certificates(ts.content or b"", name)
        target = UploadTarget(ts.bucket, ts.key, ts.configured_version, facts.name, facts.region,
                              facts.api_type or "rest")
    else:
        raise InputError("no truststore to check the client against: give --truststore, or let "
                         "mtls-doctor read the domain's from AWS")
    return verdict_report(client, ts_file, chain, at=o.at, now=o.now, warn_days=o.warn_days,
                          target=target)


def _merge(o: DiagnoseOptions, reports: dict[str, Report], attempts: list[Attempt],
           facts: DomainFacts | None) -> Report:
    checks: list[Check] = []
    findings: list[Finding] = []
    payload: dict[str, Any] = {}
    for a in attempts:
        status = {"ok": CheckStatus.PASS, "failed": CheckStatus.UNKNOWN}.get(a.status, CheckStatus.SKIP)
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
