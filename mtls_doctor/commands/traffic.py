"""`mtls-doctor traffic NAME`: who really calls the custom domain, who gets refused and why, and
who a truststore change would break, read from the access logs of every stage it sends requests
to (CloudWatch Logs), within one deadline."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from mtls_doctor.commands.common import load_input
from mtls_doctor.commands.domain import truststore_name
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.domain import DomainFacts, Stage
from mtls_doctor.model.evidence import Attempt, Status, ok, skipped
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.pki.load import LoadedFile, load_certificates
from mtls_doctor.traffic import logformat as v
from mtls_doctor.traffic.aggregate import Tally
from mtls_doctor.traffic.build import Window, build_traffic
from mtls_doctor.traffic.findings import Context, traffic_findings
from mtls_doctor.traffic.judge import Judge
from mtls_doctor.traffic.logformat import LogFormat
from mtls_doctor.traffic.model import StageTraffic, Traffic

#: the events read at most, unless --max-events says otherwise
DEFAULT_MAX_EVENTS = 100_000
#: the domain's own findings a traffic report repeats: what stops it reading, or judging
DOMAIN_IDS = frozenset({"DOMAIN_NOT_FOUND", "DOMAIN_MTLS_DISABLED", "DOMAIN_ACCESS_LOGS_MISSING",
                        "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE", "DOMAIN_TRUSTSTORE_UNREADABLE",
                        "DOMAIN_TRUSTSTORE_UNPINNED"})
_SINCE = re.compile(r"^\s*(\d{1,6})\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "": 3600}


def parse_since(text: str) -> timedelta:
    """`--since`: `90m`, `24h`, `7d`, `2w` (a bare number is hours); at most 90 days."""
    m = _SINCE.match(text)
    if m is None:
        raise InputError(f"--since {text}: give a duration such as 30m, 24h, 7d or 2w")
    seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if not 0 < seconds <= 90 * 86400:
        raise InputError(f"--since {text}: must be more than 0 and at most 90 days")
    return timedelta(seconds=seconds)


def _short(field: str) -> str:
    return field.rsplit(".", 1)[-1]


def stage_info(s: Stage) -> tuple[StageTraffic, LogFormat | None]:
    """What a stage's settings say about its access logging, and the parser of its format."""
    from mtls_doctor.aws.logs import log_group_of

    base = StageTraffic(s.api_id, s.api_type, s.stage, "unknown")
    if not s.found:
        return replace(base, logging="unknown", read="not_found",
                       read_detail="the API has no such stage"), None
    if not s.access_log_destination:
        return replace(base, logging="off"), None
    fmt_text = s.access_log_format or ""
    group = log_group_of(s.access_log_destination)
    fmt = LogFormat.compile(fmt_text) if fmt_text else None
    info = replace(base, logging="cloudwatch" if group is not None else "not_cloudwatch",
                   log_group_arn=s.access_log_destination, log_format=s.access_log_format,
                   format_kind=fmt.kind if fmt else None,
                   cert_fields=tuple(_short(x) for x in v.CERT_VARIABLES
                                     if fmt is not None and fmt.has(x)),
                   logs_error_message=fmt is not None and (fmt.has(v.MESSAGE)
                                                           or fmt.has(v.MESSAGE_STRING)))
    return info, fmt


def _today(facts: DomainFacts) -> LoadedFile | None:
    ts = facts.truststore_object
    if ts is None or ts.content is None:
        return None
    return load_certificates(ts.content, truststore_name(ts), pkcs12_problems=True)


def _read_logs(facts: DomainFacts, infos: list[tuple[StageTraffic, LogFormat | None]],
               tally: Tally, start: datetime, end: datetime, max_events: int,
               profile: str | None, deadline: Deadline
               ) -> tuple[list[StageTraffic], list[Attempt]]:
    """Read each distinct log group once (stages that share one are counted under the first),
    within the deadline and `max_events` in all."""
    from mtls_doctor.aws.calls import Aws
    from mtls_doctor.aws.logs import log_group_of, read_events

    aws = Aws(profile, deadline)
    out: list[StageTraffic] = []
    owner: dict[str, int] = {}
    left = max_events
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    for info, fmt in infos:
        group = log_group_of(info.log_group_arn) if info.logging == "cloudwatch" else None
        if group is None or fmt is None:
            out.append(info)
            continue
        key = f"{group.region or facts.region}:{group.name}"
        if key in owner:
            first = out[owner[key]]
            out[owner[key]] = replace(first, shared_with=(*first.shared_with, info.label))
            out.append(replace(info, read="shared", read_detail=f"counted under {first.label}"))
            continue
        owner[key] = len(out)
        group = replace(group, region=group.region or facts.region)
        label = info.label

        def sink(message: str, stamp: int, label: str = label, fmt: LogFormat = fmt) -> None:
            tally.add(label, fmt, message, stamp)

        got = read_events(aws, group, start_ms, end_ms, left, sink)
        left -= got.events
        if got.capped:
            read, detail = "capped", f"up to {_iso_ms(got.last_timestamp)}"
        elif got.complete:
            read, detail = "ok", f"{got.pages} page(s)"
        else:
            read, detail = got.attempt.status.value, got.attempt.describe()
        out.append(replace(info, read=read, read_detail=detail))
    return out, list(aws.attempts)


def _iso_ms(ms: int | None) -> str:
    from mtls_doctor.traffic.aggregate import when

    return "the start" if ms is None else f"{when(ms):%Y-%m-%d %H:%M:%S} UTC"


def _evidence(facts: DomainFacts, stages: list[StageTraffic], attempts: list[Attempt],
              traffic: Traffic, today: LoadedFile | None, candidate: str | None
              ) -> dict[str, Attempt]:
    ev: dict[str, Attempt] = {}
    domain = facts.evidence.get("domain") or Attempt("domain", Status.CANCELLED, "never looked up")
    ev["domain"] = domain
    ev["aws"] = ok("aws") if facts.attempts or attempts else skipped("aws", "no AWS call made")
    if not facts.found:
        why = domain if domain.failed else skipped("traffic", "the custom domain does not exist")
        for fact in ("stages", "log_events", "truststore_content", "certificates"):
            ev[fact] = why
    else:
        ev["stages"] = facts.evidence.get("stages") or (
            skipped("stages", "no stage is mapped") if not facts.stages else ok("stages"))
        failed = next((a for a in attempts if a.failed), None)
        readable = [s for s in stages if s.logging == "cloudwatch" and s.read != "shared"]
        if failed is not None:
            ev["log_events"] = failed
        elif not readable:
            ev["log_events"] = Attempt("logs", Status.ERROR, "no stage the domain sends requests "
                                       "to writes access logs CloudWatch Logs can read")
        else:
            ev["log_events"] = ok("logs", facts.region)
        ts_ev = facts.evidence.get("truststore_object")
        if today is not None:
            ev["truststore_content"] = ok("truststore content")
        elif facts.mtls is None:
            ev["truststore_content"] = skipped("truststore_content", "mutual TLS is off")
        else:
            ev["truststore_content"] = ts_ev if ts_ev is not None and ts_ev.failed else Attempt(
                "truststore_content", Status.ERROR, "the truststore version the domain uses "
                "could not be read")
        ev["certificates"] = _cert_evidence(stages, traffic)
        ev["cert_validity"] = _validity_evidence(stages)
    # the rehearsal needs the candidate, the window and every certificate seen in full
    blocking = next((ev[f] for f in ("log_events", "certificates") if f in ev and ev[f].failed),
                    None)
    ev["candidate"] = (skipped("candidate", "no --truststore CANDIDATE given")
                       if not candidate else blocking or ok("candidate"))
    return ev


def _cert_evidence(stages: list[StageTraffic], traffic: Traffic) -> Attempt:
    """Whether the log gave every certificate seen in full (the PEM a verdict needs)."""
    read = [s for s in stages if s.logging == "cloudwatch" and s.read not in ("shared",)]
    if read and not any(s.cert_fields for s in read):
        return Attempt("traffic.certificates", Status.ERROR, "no stage's access log format "
                       "writes $context.identity.clientCert.*: who called is not in the log")
    unjudged = [c for c in traffic.clients if c.not_judged]
    if unjudged:
        return Attempt("traffic.certificates", Status.ERROR, f"{len(unjudged)} certificate(s) "
                       "seen without a PEM that decodes: not judged")
    return ok("certificates")


def _validity_evidence(stages: list[StageTraffic]) -> Attempt:
    """Whether the log says when the certificates seen expire (their PEM, or notAfter)."""
    read = [s for s in stages if s.logging == "cloudwatch" and s.read != "shared"]
    if read and not any({"clientCertPem", "notAfter"} & set(s.cert_fields) for s in read):
        return Attempt("traffic.validity", Status.ERROR, "no stage's access log format writes "
                       "the client certificate's PEM or validity.notAfter")
    return ok("validity")


def run_traffic(name: str, *, now: datetime, at: datetime | None = None, since: str = "24h",
                max_events: int = DEFAULT_MAX_EVENTS, truststore: str | None = None,
                warn_days: int = 30, region: str | None = None, profile: str | None = None,
                timeout: float = 30.0, deadline: Deadline | None = None) -> Report:
    """Read the window's access logs of the domain's stages and report on its traffic; the
    window ends now, verdicts and expiry are judged at `at` (now by default)."""
    from mtls_doctor.aws.collect import collect_domain
    from mtls_doctor.aws.findings import domain_findings

    window_len = parse_since(since)
    if max_events < 1:
        raise InputError("--max-events must be 1 or more")
    candidate: LoadedFile | None = None
    if truststore is not None:  # bad input is exit 2 before anything is read
        candidate = load_input(truststore, "truststore", None, profile=profile, region=region)
    deadline = deadline or Deadline(timeout)
    facts = collect_domain(name, region=region, profile=profile, deadline=deadline)
    start, end = now - window_len, now
    infos = [stage_info(s) for s in facts.stages]
    at = at or now
    tally = Tally(at)
    stages, attempts = _read_logs(facts, infos, tally, start, end, max_events, profile,
                                  deadline) if facts.found else ([i for i, _ in infos], [])
    today_file = _today(facts)
    today = Judge(today_file, at) if today_file is not None else None
    judge = Judge(candidate, at) if candidate is not None else None
    window = Window(facts.name, facts.region, since.strip(), start, end, max_events, warn_days)
    traffic = build_traffic(window, tally, stages, at=at, today=today, candidate=judge,
                            truststore=today_file.source if today_file else None,
                            candidate_name=candidate.source if candidate else None)
    everything = replace(facts, attempts=(*facts.attempts, *attempts))
    domain_side = [f for f in domain_findings(everything, (), at=at, warn_days=warn_days)
                   if f.id in DOMAIN_IDS or f.id.startswith("AWS_")]
    context = Context(traffic, int(start.timestamp() * 1000),
                      candidate.source if candidate else None, profile)
    findings: list[Finding] = [*domain_side, *traffic_findings(context)]
    evidence = _evidence(facts, stages, attempts, traffic, today_file,
                         candidate.source if candidate else None)
    payload: dict[str, Any] = {"traffic": traffic}
    return Report(command="traffic", generated_at=now,
                  checks=derive_checks(checks_of("traffic"), findings, evidence),
                  findings=tuple(findings), payload=payload)
