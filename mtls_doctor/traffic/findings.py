"""The findings of `traffic`: refusals by reason, certificates refused today, who a candidate
truststore would break, the expiry radar, certificates that could not be judged, and the parts of
the window that could not be read. Every fix is built from argv lists (`shell/`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.shell import aws as awscli
from mtls_doctor.shell import render
from mtls_doctor.shell.doctor import doctor
from mtls_doctor.traffic import logformat as v
from mtls_doctor.traffic.model import RefusalGroup, SeenCertificate, StageTraffic, Traffic

#: findings of one kind, at most (the payload lists every one)
MAX_PER_KIND = 25
#: what a format needs for the traffic report: the certificate itself and why a request failed
NEEDED = {"clientCertPem": v.PEM, "subjectDN": v.SUBJECT, "issuerDN": v.ISSUER,
          "serialNumber": v.SERIAL, "notAfter": v.NOT_AFTER, "errorMessage": v.MESSAGE,
          "status": v.STATUS}


@dataclass(frozen=True)
class Context:
    """What the fixes need: the domain, region, window, the options to re-run with, and where
    each stage logs."""

    traffic: Traffic
    start_ms: int
    candidate: str | None
    profile: str | None


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _term(text: str) -> str:
    """A CloudWatch Logs filter pattern matching `text` as a phrase."""
    return '"' + text.replace('"', " ").replace("\\", " ")[:200] + '"'


def _search(c: Context, stage: StageTraffic | None, term: str | None) -> list[str]:
    """`aws logs filter-log-events` for the lines that hold `term`, in each log group."""
    stages = [stage] if stage is not None else list(c.traffic.stages)
    out = []
    for s in stages:
        if s.log_group_arn is None or s.logging != "cloudwatch":
            continue
        group = s.log_group_arn.split(":", 6)[6].removesuffix(":*")
        out.append(render(awscli.aws(
            "logs", "filter-log-events", *awscli.opt("--log-group-name", group),
            "--start-time", str(c.start_ms), *(awscli.opt("--filter-pattern", _term(term))
                                                if term else ()),
            "--max-items", "20", region=c.traffic.region)))
    return out[:4]


def _rerun(c: Context, *extra: str) -> str:
    t = c.traffic
    opts = ["--since", t.since, *(("--region", t.region) if t.region else ()),
            *(("--truststore", c.candidate) if c.candidate else ()), *extra]
    return render(doctor("traffic", t.domain_name, *opts))


def _stage_of(c: Context, labels: Sequence[str]) -> StageTraffic | None:
    for s in c.traffic.stages:
        if s.label in labels:
            return s
    return None


def _requests_of(c: Context, cert: SeenCertificate) -> list[str]:
    """The commands that find the certificate's requests (by its serial) in its stage's log
    group."""
    return _search(c, _stage_of(c, cert.stages), cert.serial_number)


def _verify(c: Context, cert: SeenCertificate, truststore: str) -> tuple[str, ...]:
    """Find one of the certificate's requests, then judge the certificate saved from it
    (client.pem) against `truststore` with verify-client."""
    return (*_requests_of(c, cert), render(doctor("verify-client", None, "--cert", "client.pem",
                                                  "--truststore", truststore)))


def _who(cert: SeenCertificate) -> str:
    serial = f", serial {cert.serial_number}" if cert.serial_number else ""
    return f"{cert.subject} (issuer {cert.issuer or 'not logged'}{serial})"


def _refusal(c: Context, g: RefusalGroup) -> Finding:
    why = g.message or "no $context.error.message logged"
    kind = f" ({g.response_type})" if g.response_type else ""
    explains = (f" mtls-doctor reads it as {g.finding}." if g.finding else
                " mtls-doctor does not recognise this reason.")
    clients = [x for x in c.traffic.clients if x.ref in g.certificates[:5]]
    names = "; ".join(_who(x) for x in clients) or "no certificate named in the log"
    commands = [*_search(c, _stage_of(c, g.stages), g.message)]
    if g.message:
        commands.append(render(doctor("explain", g.message)))
    f = make_finding(
        "TRAFFIC_REFUSALS", f"{g.requests} request(s) refused with {g.status}: {why}{kind}",
        f"In the window, {g.requests} request(s) ({_pct(g.share)} of all) on "
        f"{', '.join(g.stages)} got {g.status} with the reason \"{why}\".{explains} "
        f"Certificates refused this way: {names}.",
        evidence={"status": g.status, "message": g.message, "response_type": g.response_type,
                  "requests": g.requests, "share": g.share, "explained_by": g.finding,
                  "certificates": list(g.certificates)},
        fix=Fix("Read the refused requests and walk the reason's walkthrough"
                + (f" ({g.walkthrough})" if g.walkthrough else "") + ".",
                ("Find the refused requests in the log group (first command).",
                 "Walk the explanation of the logged reason (explain)."), tuple(commands)))
    return replace(f, walkthrough=g.walkthrough or f.walkthrough)


def _rejected(c: Context, cert: SeenCertificate) -> Finding:
    assert cert.verdict is not None
    v_ = cert.verdict
    return make_finding(
        "TRAFFIC_CLIENT_REJECTED",
        f"a client certificate seen in traffic is refused by today's truststore: {v_.reason.value}",
        f"{_who(cert)} made {cert.requests} request(s) ({_pct(cert.share)}), {cert.refused} "
        f"refused, between {cert.first_seen:%Y-%m-%d %H:%M} and {cert.last_seen:%Y-%m-%d %H:%M} "
        f"UTC. Against {c.traffic.truststore} API Gateway would refuse it: {v_.detail}",
        subject=cert.subject,
        evidence={"reason": v_.reason.value, "path": list(v_.path), "requests": cert.requests,
                  "refused": cert.refused, "sha256_fingerprint": cert.sha256_fingerprint},
        fix=Fix("Save the certificate from a logged request (clientCertPem) as client.pem and "
                "see why with verify-client; then renew it with its owner or fix the truststore.",
                ("Find one of its requests in the log group and save its clientCertPem value as "
                 "client.pem.", "Run verify-client on it for the fix that applies."),
                _verify(c, cert, c.traffic.truststore or "truststore.pem")))


def _breaks(c: Context, cert: SeenCertificate) -> Finding:
    assert cert.candidate_verdict is not None and c.candidate is not None
    v_ = cert.candidate_verdict
    today = "accepted by today's truststore" if cert.verdict is not None else \
        "seen accepted in the window"
    return make_finding(
        "TRAFFIC_ROTATION_BREAKS_CLIENT",
        f"the candidate truststore would refuse a client in use: {v_.reason.value}",
        f"{_who(cert)} is {today} and made {cert.requests} request(s) ({_pct(cert.share)} of "
        f"the window's traffic), last at {cert.last_seen:%Y-%m-%d %H:%M} UTC. Against "
        f"{c.candidate} API Gateway would refuse it: {v_.detail}",
        subject=cert.subject,
        evidence={"reason": v_.reason.value, "path": list(v_.path), "requests": cert.requests,
                  "share": cert.share, "sha256_fingerprint": cert.sha256_fingerprint},
        fix=Fix("Do not publish the candidate yet: add the CA chain this client needs to it (or "
                "move the client to a CA the candidate trusts first), then rehearse again.",
                ("Save the client's certificate from a logged request (clientCertPem) as "
                 "client.pem and see what the candidate lacks.",
                 "Edit the candidate bundle, then run the rehearsal again before uploading."),
                (*_verify(c, cert, c.candidate), _rerun(c))))


def _expiring(c: Context, cert: SeenCertificate) -> Finding:
    assert cert.not_after is not None and cert.days_left is not None
    when = (f"expires in {cert.days_left} day(s)" if cert.days_left >= 0
            else f"expired {-cert.days_left} day(s) ago")
    source = "" if cert.from_pem else " (as the log's validity.notAfter says)"
    return make_finding(
        "TRAFFIC_CLIENT_EXPIRES_SOON", f"a client certificate in use {when}",
        f"{_who(cert)} {when}{source}: valid until {cert.not_after:%Y-%m-%d %H:%M} UTC. It made "
        f"{cert.requests} request(s) ({_pct(cert.share)} of the window), last at "
        f"{cert.last_seen:%Y-%m-%d %H:%M} UTC; once it expires, API Gateway refuses them all.",
        subject=cert.subject,
        evidence={"days_left": cert.days_left, "not_after": cert.not_after,
                  "requests": cert.requests, "share": cert.share},
        fix=Fix("Ask the certificate's owner to renew it (same CA, new validity) and to deploy "
                "it before the date.", ("Find its requests to see who sends it.",),
                tuple(_requests_of(c, cert))))


def _format_with_pem(s: StageTraffic) -> str | None:
    """The stage's format with the certificate's PEM added (None: nothing to add to)."""
    fmt = s.log_format
    if not fmt or v.PEM in fmt:
        return None
    if s.format_kind == "json":
        try:
            doc = json.loads(fmt.replace(v.PEM, ""))
        except ValueError:
            return None
        if not isinstance(doc, dict):
            return None
        return fmt.rstrip().removesuffix("}").rstrip() + f', "clientCertPem": "{v.PEM}" }}'
    return f'{fmt.rstrip()} "{v.PEM}"'


def _not_judged(c: Context, unjudged: Sequence[SeenCertificate]) -> Finding:
    first = unjudged[0]
    names = "; ".join(f"{_who(x)}: {x.not_judged}" for x in unjudged[:10])
    more = f" (and {len(unjudged) - 10} more)" if len(unjudged) > 10 else ""
    commands: list[str] = []
    for s in c.traffic.stages:
        new = _format_with_pem(s)
        if new is not None and s.log_group_arn:
            commands.append(render(awscli.set_access_log(s.api_type == "rest", s.api_id,
                                                         s.stage, s.log_group_arn, new,
                                                         c.traffic.region)))
    commands.append(_rerun(c))
    share = sum(x.share for x in unjudged)
    return make_finding(
        "TRAFFIC_CERTS_NOT_JUDGED",
        f"{len(unjudged)} client certificate(s) seen could not be judged",
        f"No verdict could be predicted for {len(unjudged)} certificate(s) carrying "
        f"{_pct(share)} of the window's requests: {names}{more}. They are neither passed nor "
        "failed.",
        subject=first.subject,
        evidence={"certificates": [x.ref for x in unjudged], "share": round(share, 4)},
        fix=Fix("Log the client certificate itself ($context.identity.clientCert.clientCertPem) "
                "in the stage's access log format; the next window can be judged.", (),
                tuple(commands)))


def _stage_findings(c: Context, s: StageTraffic) -> list[Finding]:
    out: list[Finding] = []
    if s.logging == "not_cloudwatch":
        out.append(make_finding(
            "TRAFFIC_LOGS_UNREADABLE", f"stage {s.label} logs where CloudWatch Logs cannot read",
            f"Its access logs go to {s.log_group_arn}, which is not a CloudWatch Logs log group "
            "(Kinesis Data Firehose?): mtls-doctor cannot read who called it.",
            location=s.label, evidence={"destination": s.log_group_arn},
            fix=Fix("Read the traffic where the stream delivers it, or send the stage's access "
                    "logs to a CloudWatch Logs log group.", (),
                    (render(awscli.get_stage(s.api_type == "rest", s.api_id, s.stage,
                                             c.traffic.region)),))))
    elif s.read == "not_found":
        out.append(make_finding(
            "TRAFFIC_LOGS_UNREADABLE", f"the log group of stage {s.label} does not exist",
            f"The stage logs to {s.log_group_arn}, but CloudWatch Logs has no such log group: "
            "API Gateway cannot write its access logs there.",
            location=s.label, evidence={"destination": s.log_group_arn},
            fix=Fix("Create the log group (API Gateway writes to it from then on).", (),
                    (render(awscli.create_log_group(
                        (s.log_group_arn or "").split(":", 6)[-1].removesuffix(":*"),
                        c.traffic.region)),))))
    if s.unparsed:
        out.append(make_finding(
            "TRAFFIC_LOG_LINES_UNPARSED",
            f"{s.unparsed} of {s.events} log line(s) of stage {s.label} do not fit its format",
            f"The stage's access log format ({s.format_kind}) does not describe {s.unparsed} "
            "line(s): written with another format before a change, or a value that holds the "
            "text that follows it in the format. They are not counted.",
            location=s.label, evidence={"unparsed": s.unparsed, "events": s.events},
            fix=Fix("Compare the format with a few lines; put values that may hold spaces or "
                    "separators (DNs, messages, dates) in quotes, or use a JSON format.", (),
                    (render(awscli.get_stage(s.api_type == "rest", s.api_id, s.stage,
                                             c.traffic.region)),
                     *_search(c, s, None)[:1]))))
    if s.read == "capped":
        out.append(make_finding(
            "TRAFFIC_WINDOW_PARTIAL",
            f"stage {s.label}: reading stopped at --max-events {c.traffic.max_events}",
            f"{s.events} event(s) were read ({s.read_detail}); the rest of the window was not, "
            "so every count is a lower bound and a client seen only later is missing.",
            location=s.label, evidence={"events": s.events, "max_events": c.traffic.max_events},
            fix=Fix("Read a shorter window, or allow more events (and time).", (),
                    (_rerun(c, "--max-events", str(c.traffic.max_events * 4), "--timeout",
                            "300"),))))
    return out


def traffic_findings(c: Context) -> list[Finding]:
    """Every finding of the payload, at most `MAX_PER_KIND` of each kind per list."""
    t = c.traffic
    out: list[Finding] = []
    for s in t.stages:
        out += _stage_findings(c, s)
    refusals = [g for g in t.refusals if g.mtls or g.status in ("401", "403")]
    out += [_refusal(c, g) for g in refusals[:MAX_PER_KIND]]
    clients: Mapping[str, SeenCertificate] = {x.ref: x for x in t.clients}
    rejected = [x for x in t.clients if x.verdict is not None and not x.verdict.accepted]
    out += [_rejected(c, x) for x in rejected[:MAX_PER_KIND]]
    if t.rehearsal is not None:
        out += [_breaks(c, clients[k]) for k in t.rehearsal.breaks[:MAX_PER_KIND]]
    soon = [clients[k] for k in t.expiring]
    # an expired certificate that was judged is already a refusal by today's truststore
    soon = [x for x in soon if x.days_left is not None
            and (x.days_left >= 0 or x.verdict is None)]
    out += [_expiring(c, x) for x in soon[:MAX_PER_KIND]]
    unjudged = [x for x in t.clients if x.verdict is None and x.not_judged]
    if unjudged:
        out.append(_not_judged(c, unjudged))
    return out
