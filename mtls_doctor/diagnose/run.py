"""Run every collector at once and merge what they found into one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mtls_doctor.deadline import Deadline
from mtls_doctor.diagnose.rules import (
    dedupe,
    explain_unrequested,
    name_truststore,
    predicted_vs_live,
    served_vs_configured,
)
from mtls_doctor.errors import InputError
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Check, CheckStatus, Finding
from mtls_doctor.model.probe import ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import Verdict

if TYPE_CHECKING:  # the collectors load when a diagnosis runs, not when the TUI starts
    from mtls_doctor.commands.common import ClientInput
    from mtls_doctor.commands.probe import ProbeRun
    from mtls_doctor.pki.client import ClientResult
    from mtls_doctor.pki.fixes import UploadTarget
    from mtls_doctor.pki.load import LoadedFile
    from mtls_doctor.probe.run import StepProgress

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
class CollectorRun:
    """One collector's run: `ok`; `unknown` (it ran, but some facts could not be collected);
    `failed` (it could not run; `summary` is the one-line reason); `cancelled`; `skipped`."""

    name: str
    status: str
    seconds: float
    summary: str = ""


Progress = Callable[[CollectorRun], None]


@dataclass(frozen=True)
class Inputs:
    """The user's files, read before anything runs (a missing or unreadable one is exit 2)."""

    client: ClientInput | None = None
    chain: LoadedFile | None = None
    #: --truststore when it is a local file; an `s3://` one is read by its collector
    truststore: LoadedFile | None = None
    #: --aws-snapshot, read and checked (it replaces the AWS calls)
    snapshot: DomainFacts | None = None


@dataclass
class Collected:
    """What the collectors brought back, typed: each is None when its collector did not run
    or failed (its attempt says why)."""

    probe: ProbeRun | None = None
    domain: DomainFacts | None = None
    truststore: LoadedFile | None = None
    attempts: list[CollectorRun] = field(default_factory=list)


def _timed(name: str, fn: Callable[[], T], report_of: Callable[[Any], Report],
           deadline: Deadline, progress: Progress | None) -> tuple[T | None, Report | None,
                                                                  CollectorRun]:
    """Run one collector and the rules of its facts; its attempt says how it went (a report
    with undecided checks is `unknown`, never `ok`)."""
    start = time.perf_counter()
    try:
        result = fn()
    except InputError as exc:
        attempt = CollectorRun(name, "failed", round(time.perf_counter() - start, 3), str(exc))
        if progress is not None:
            progress(attempt)
        return None, None, attempt
    report = report_of(result)
    undecided = sum(c.status is CheckStatus.UNKNOWN for c in report.checks)
    status = "ok" if not undecided else "cancelled" if deadline.cancelled else "unknown"
    summary = f"{len(report.findings)} finding(s)" + (
        f", {undecided} check(s) undecided" if undecided else "")
    attempt = CollectorRun(name, status, round(time.perf_counter() - start, 3), summary)
    if progress is not None:
        progress(attempt)
    return result, report, attempt


def _domain_name(host: str) -> str:
    from mtls_doctor.probe.target import parse_target

    return parse_target(host).host


def _is_ip(host: str) -> bool:
    from mtls_doctor.probe.target import is_ip

    return is_ip(host)


def _domain_wanted(o: DiagnoseOptions) -> bool:
    """Whether the domain is read from AWS: not with --no-aws, and not for an IP address
    (which is no custom domain name)."""
    return not o.no_aws and not _is_ip(_domain_name(o.host))


def expected_collectors(o: DiagnoseOptions) -> list[str]:
    """The collectors `run_diagnosis` runs for `o`, in its order (a live view lists them before
    any has reported). A HOST that does not parse lists only the probe: the run stops at it."""
    try:
        domain = _domain_wanted(o)
    except InputError:
        return ["probe"]
    names = ["probe"]
    if domain:
        names.append("domain")
    if o.truststore:
        names.append("truststore")
    if o.cert and (domain or o.truststore):
        names.append("verify-client")
    return names


def check_inputs(o: DiagnoseOptions) -> Inputs:
    """Read what can be read before anything runs: a missing file, a certificate without its
    key (the probe cannot present it) is bad input (exit 2), not a collector that failed."""
    from mtls_doctor.commands.common import load_client, load_input
    from mtls_doctor.commands.domain import replay
    from mtls_doctor.probe.target import parse_target

    parse_target(o.host, o.connect)  # a HOST or --connect no host has stops here
    if o.key and not o.cert:
        raise InputError("--key needs --cert")
    client = load_client(o.cert, o.key, o.password, key_required=True) if o.cert else None
    chain = load_input(o.chain, "chain file", o.password) if o.chain else None
    truststore = None
    if o.truststore and not o.truststore.lower().startswith("s3://"):
        truststore = load_input(o.truststore, "truststore", o.password)
    snapshot = replay(o.aws_snapshot, _domain_name(o.host)) \
        if o.aws_snapshot and not o.no_aws else None
    return Inputs(client, chain, truststore, snapshot)


def run_diagnosis(o: DiagnoseOptions, progress: Progress | None = None, *,
                  deadline: Deadline | None = None,
                  probe_progress: StepProgress | None = None) -> Report:
    """The collectors (probe, domain, an `s3://` truststore) at once, all within one deadline
    (`--timeout`, or `deadline`, which the TUI cancels when the user quits); each may fail
    without the others. Then the client's verdict against --truststore or the version the
    domain uses, and the rules that need several facts. Bad input (a missing file, a
    certificate without its key) raises InputError before anything runs.

    `progress` is told each collector's end (`CollectorRun`); `probe_progress` each of the
    probe's steps as it starts and ends (`ProbeStep`: a live view), from the collectors'
    threads."""
    from mtls_doctor.commands.common import load_input
    from mtls_doctor.commands.domain import collect_or_load, domain_report
    from mtls_doctor.commands.probe import collect_probe, probe_report
    from mtls_doctor.commands.truststore import truststore_report
    from mtls_doctor.commands.verify_client import client_report
    from mtls_doctor.pki.client import ClientFiles, verify_client

    deadline = deadline or Deadline(o.timeout)
    inputs = check_inputs(o)
    name = _domain_name(o.host)
    # an IP address is no custom domain name: nothing to read from AWS
    domain_wanted = _domain_wanted(o)
    got = Collected()
    reports: dict[str, Report] = {}

    def probe() -> ProbeRun:
        return collect_probe(o.host, at=o.at, deadline=deadline, connect=o.connect, cert=o.cert,
                             key=o.key, client=inputs.client, chain=inputs.chain,
                             password_env=o.password_env if o.password else None, path=o.path,
                             progress=probe_progress)

    def domain() -> DomainFacts:
        return collect_or_load(name, region=o.region, profile=o.profile,
                               deadline=deadline, snapshot=inputs.snapshot)

    def truststore() -> LoadedFile:
        assert o.truststore is not None
        return inputs.truststore or load_input(o.truststore, "truststore", o.password,
                                               profile=o.profile, region=o.region)

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="mtls-doctor-diagnose") as pool:
        probe_f = pool.submit(_timed, "probe", probe, lambda r: probe_report(r, o.now),
                              deadline, progress)
        domain_f = None if not domain_wanted else pool.submit(
            _timed, "domain", domain,
            lambda f: domain_report(f, at=o.at, now=o.now, warn_days=o.warn_days),
            deadline, progress)
        ts_f = pool.submit(_timed, "truststore", truststore,
                           lambda ts: truststore_report(ts, at=o.at, now=o.now,
                                                        warn_days=o.warn_days),
                           deadline, progress) if o.truststore else None
        got.probe, report, attempt = probe_f.result()
        _keep(got, reports, "probe", report, attempt)
        if domain_f is not None:
            got.domain, report, attempt = domain_f.result()
            _keep(got, reports, "domain", report, attempt)
        else:
            got.attempts.append(CollectorRun(
                "domain", "skipped", 0.0, "--no-aws" if o.no_aws else
                "HOST is an IP address: give the custom domain's name (and --connect ADDR)"))
        if ts_f is not None:
            got.truststore, report, attempt = ts_f.result()
            _keep(got, reports, "truststore", report, attempt)
    if inputs.client is not None and not domain_wanted and not o.truststore:
        got.attempts.append(CollectorRun("verify-client", "skipped", 0.0,
                                         "no truststore to check against: give --truststore"))
    verdict: Verdict | None = None
    if inputs.client is not None and (domain_wanted or o.truststore):
        client = inputs.client

        def judge() -> tuple[ClientResult, LoadedFile]:
            ts_file, target = _verdict_truststore(o, inputs, got)
            files = ClientFiles(client.file, inputs.chain, client.key, client.key_source)
            return verify_client(files, ts_file, o.at, o.warn_days, target), ts_file

        def report_of(judged: tuple[ClientResult, LoadedFile]) -> Report:
            return client_report(judged[0], judged[1], has_key=True, at=o.at, now=o.now)

        judged, report, attempt = _timed("verify-client", judge, report_of, deadline, progress)
        _keep(got, reports, "verify-client", report, attempt)
        verdict = judged[0].verdict if judged is not None else None
    return _merge(o, reports, got, verdict)


def _keep(got: Collected, reports: dict[str, Report], name: str, report: Report | None,
          attempt: CollectorRun) -> None:
    got.attempts.append(attempt)
    if report is not None:
        reports[name] = report

def _verdict_truststore(o: DiagnoseOptions, inputs: Inputs, got: Collected
                        ) -> tuple[LoadedFile, UploadTarget | None]:
    """The truststore the verdict is judged against: --truststore, else the version the domain
    uses (with where it is published, so that fixes name the real bucket and domain)."""
    from mtls_doctor.commands.domain import truststore_name
    from mtls_doctor.pki.fixes import UploadTarget
    from mtls_doctor.pki.load import load_certificates

    if o.truststore:
        if got.truststore is None:
            raise InputError(f"--truststore {o.truststore} could not be read (see collect.truststore)")
        return got.truststore, None
    facts = got.domain
    if facts is not None and facts.truststore_object and facts.truststore_object.content:
        ts = facts.truststore_object
        target = UploadTarget.of(facts)
        return load_certificates(ts.content or b"", truststore_name(ts)), target
    read = (facts.evidence.get("truststore_object") or facts.evidence.get("domain")
            if facts is not None else None)
    why = f" ({read.describe()})" if read is not None and not read.answered else ""
    raise InputError("no truststore to check the client against: the domain's could not be "
                     f"read{why}; give --truststore")


def _merge(o: DiagnoseOptions, reports: dict[str, Report], got: Collected,
           verdict: Verdict | None) -> Report:
    checks: list[Check] = []
    findings: list[Finding] = []
    payload: dict[str, Any] = {}
    for a in got.attempts:
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
    probe = got.probe.result if got.probe is not None else None
    facts = got.domain
    cross: list[Finding] = []
    if probe is not None and facts is not None and facts.found:
        cross = served_vs_configured(probe, facts)
    checks.extend(derive_checks(checks_of("diagnose"), cross, cross_evidence(probe, facts)))
    findings = explain_unrequested([*findings, *cross], facts)
    findings = predicted_vs_live(findings, verdict, probe)
    findings = name_truststore(findings, got.probe.inputs if got.probe is not None else None,
                               _truststore_source(o, facts))
    payload["attempts"] = got.attempts
    return Report(command="diagnose", generated_at=o.now, checks=tuple(checks),
                  findings=tuple(dedupe(findings)), payload=payload)


def _truststore_source(o: DiagnoseOptions, facts: DomainFacts | None) -> str | None:
    """The truststore the client is judged against, as `--truststore` reads it: the option,
    else the version the domain uses (its latest, when it pins none); None when neither."""
    if o.truststore:
        return o.truststore
    ts = facts.truststore_object if facts is not None else None
    if ts is None:
        return None
    from mtls_doctor.aws.findings import s3_uri

    return s3_uri(ts.bucket, ts.key, ts.configured_version)


def cross_evidence(probe: ProbeResult | None, facts: DomainFacts | None) -> dict[str, Attempt]:
    """The facts the cross-collector checks need: the served chain, and the certificate the
    domain is configured with (as ACM describes it)."""
    if probe is None:
        served = Attempt("served_chain", Status.CANCELLED, "the probe did not run")
    elif probe.served_chain:
        served = Attempt("served_chain", Status.OK)
    else:
        served = Attempt("served_chain", Status.CANCELLED, "the server sent no certificate"
                          + (f" ({probe.error.message})" if probe.error else ""))
    if facts is None:
        configured = Attempt("configured_certificate", Status.SKIPPED, "no AWS facts (--no-aws)")
    elif not facts.found:
        configured = facts.evidence.get("domain") or Attempt(
            "configured_certificate", Status.SKIPPED, "the custom domain does not exist")
        if configured.answered:
            configured = Attempt("configured_certificate", Status.SKIPPED,
                                  "the custom domain does not exist")
    elif facts.certificates.get(facts.certificate_arn or "") is not None:
        configured = Attempt("configured_certificate", Status.OK)
    else:
        configured = facts.evidence.get("certificate") or Attempt(
            "configured_certificate", Status.SKIPPED, "no certificate configured")
        if configured.answered:
            configured = Attempt("configured_certificate", Status.SKIPPED,
                                  "ACM has no such certificate")
    return {"served_chain": served, "configured_certificate": configured}
