"""`mtls-doctor domain NAME`: the custom domain's whole mTLS state in AWS, explained."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.domain import DomainFacts, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.report import Report

if TYPE_CHECKING:
    from mtls_doctor.model.certificate import CertSummary
    from mtls_doctor.model.finding import Finding

#: what the report of a domain needs beyond the collection (certificate decoding and linting,
#: the rules): loaded while the first AWS calls are in flight (`load_report_modules`)
REPORT_MODULES = ("mtls_doctor.aws.findings", "mtls_doctor.commands.common",
                  "mtls_doctor.pki.fixes", "mtls_doctor.pki.load", "mtls_doctor.pki.truststore")


def load_report_modules() -> None:
    """Import REPORT_MODULES (in the thread that later uses them: while it would only wait)."""
    for name in REPORT_MODULES:
        importlib.import_module(name)


def check_evidence(facts: DomainFacts, linted: bool) -> dict[str, Attempt]:
    """The facts the checks of `domain` need: what the collector recorded, plus what follows
    from the answers themselves (a status the API did not report, content that was linted)."""
    ev = dict(facts.evidence)
    domain = ev.get("domain") or Attempt("domain", Status.CANCELLED, "never looked up")
    ev["domain"] = domain
    if facts.found:
        ev["view"] = ok("domain view")
        ev["status"] = (ok("domain status") if facts.status is not None
                        else skipped("status", "the API reported no status"))
    elif domain.status is Status.NOT_FOUND:
        for fact in ("view", "status", "truststore_content"):
            ev[fact] = skipped(fact, "the custom domain does not exist")
    else:
        for fact in ("view", "status", "truststore_content"):
            ev[fact] = domain
    read = ev.get("truststore_object")
    if "truststore_content" not in ev:
        if linted:
            ev["truststore_content"] = ok("truststore content")
        elif read is not None and read.status is Status.NOT_FOUND:
            ev["truststore_content"] = skipped("truststore_content", "the object does not exist")
        elif read is not None and not read.answered:
            ev["truststore_content"] = read if read.failed else skipped(
                "truststore_content", read.reason)
        else:
            ev["truststore_content"] = Attempt("truststore_content", Status.CANCELLED,
                                               "the truststore's content was not read")
    # the AWS calls themselves: answered, or the finding that says which did not
    ev["aws"] = ok("aws") if facts.attempts or domain.failed else \
        skipped("aws", "no AWS call recorded (replayed from a snapshot?)")
    return ev


def truststore_of(facts: DomainFacts, at: datetime, warn_days: int
                  ) -> tuple[dict[str, Any] | None, tuple[CertSummary, ...], tuple[Finding, ...]]:
    """Decode and lint the configured truststore version, when it could be read."""
    from mtls_doctor.commands.common import source_info
    from mtls_doctor.pki.fixes import UploadTarget
    from mtls_doctor.pki.load import load_certificates
    from mtls_doctor.pki.truststore import lint_truststore

    ts = facts.truststore_object
    if ts is None or ts.content is None:
        return None, (), ()
    # a hostile PKCS#12 object in S3 is a finding about the truststore, not bad input
    loaded = load_certificates(ts.content, truststore_name(ts), pkcs12_problems=True)
    target = UploadTarget.of(facts)
    lint = lint_truststore(loaded, at, warn_days, target)
    return ({"source": source_info(loaded, at), "certificates": lint.certificates},
            lint.certificates, lint.findings)


def truststore_name(ts: TruststoreObject) -> str:
    """The truststore version that was read, as an `s3://` source; an unpinned domain's is the
    latest, which may not be the one API Gateway uses."""
    from mtls_doctor.aws.findings import s3_uri

    if ts.configured_version:
        return s3_uri(ts.bucket, ts.key, ts.configured_version)
    latest = f"?versionId={ts.latest_version}" if ts.latest_version else ""
    return f"s3://{ts.bucket}/{ts.key}{latest} (the latest; the live one may differ: unpinned)"


def replay(snapshot: str, name: str) -> DomainFacts:
    """The facts of a snapshot file (`--aws-snapshot`), which must be of the domain `name`: a
    missing, malformed or other domain's snapshot is bad input (exit 2)."""
    from mtls_doctor.aws.snapshot import load_snapshot

    facts = load_snapshot(snapshot)
    if facts.name != name.strip().rstrip(".").lower():
        raise InputError(f"{snapshot} holds the domain {facts.name}, not {name}")
    return facts


def collect_or_load(name: str, *, region: str | None, profile: str | None,
                    deadline: Deadline, snapshot: str | DomainFacts | None,
                    meanwhile: Callable[[], object] | None = None) -> DomainFacts:
    """Facts from AWS, or from a snapshot (a file, or one already read with `replay`);
    `meanwhile` runs while the first AWS calls are in flight (`collect_domain`)."""
    if isinstance(snapshot, DomainFacts):
        return snapshot
    if snapshot is not None:
        return replay(snapshot, name)
    from mtls_doctor.aws.collect import collect_domain

    return collect_domain(name, region=region, profile=profile, deadline=deadline,
                          meanwhile=meanwhile)


def run_domain_command(name: str, *, at: datetime, now: datetime, region: str | None = None,
                       profile: str | None = None, timeout: float = 30.0, warn_days: int = 30,
                       save: str | None = None, snapshot: str | None = None,
                       deadline: Deadline | None = None) -> Report:
    """Read (or replay) the domain and explain it, within `deadline` (or `timeout` seconds)."""
    from mtls_doctor.aws.snapshot import dumps

    facts = collect_or_load(name, region=region, profile=profile,
                            deadline=deadline or Deadline(timeout), snapshot=snapshot,
                            meanwhile=load_report_modules)
    if save is not None:
        try:
            Path(save).write_text(dumps(facts), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {save}: {exc.strerror}") from None
    return domain_report(facts, at=at, now=now, warn_days=warn_days)


def domain_report(facts: DomainFacts, *, at: datetime, now: datetime,
                  warn_days: int = 30) -> Report:
    """The domain report from facts already collected (diagnose reuses it)."""
    from mtls_doctor.aws.findings import domain_findings, pins_need_versioning

    truststore, certificates, lint_findings = truststore_of(facts, at, warn_days)
    findings = [*domain_findings(facts, certificates, at=at, warn_days=warn_days),
                *pins_need_versioning(facts, lint_findings)]
    payload: dict[str, Any] = {"domain": facts}
    if truststore is not None:
        payload["truststore"] = truststore
    evidence = check_evidence(facts, truststore is not None)
    return Report(command="domain", generated_at=now,
                  checks=derive_checks(checks_of("domain"), findings, evidence),
                  findings=tuple(findings), payload=payload)
