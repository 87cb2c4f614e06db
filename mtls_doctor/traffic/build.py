"""From what was counted to the `traffic` payload: stages, refusals mapped to the finding and
walkthrough that explain them, every certificate seen with today's and the candidate's verdict,
the expiry radar and the rotation rehearsal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from mtls_doctor.model.verdict import Verdict
from mtls_doctor.traffic.aggregate import CertTally, ReasonTally, Tally, when
from mtls_doctor.traffic.judge import MAX_JUDGED, Judge, not_judged_reason
from mtls_doctor.traffic.model import (
    RefusalGroup,
    Rehearsal,
    SeenCertificate,
    StageTraffic,
    StatusCount,
    Traffic,
)

#: the findings that say API Gateway refused the client certificate itself
_MTLS_FINDINGS = frozenset({"CLIENT_REJECTED", "MTLS_CLIENT_CERT_REJECTED",
                            "PROBE_HANDSHAKE_FAILED"})


@lru_cache(maxsize=512)
def explain_reason(message: str | None, response_type: str | None) -> tuple[str | None, str | None]:
    """(finding id, walkthrough) of a logged refusal reason, as `explain` recognises it."""
    from mtls_doctor.walkthroughs.recognise import recognise

    text = " ".join(x for x in (message, response_type) if x)
    if not text:
        return None, None
    matches = recognise(text[:2000])
    if not matches:
        return None, None
    return matches[0].finding, matches[0].walkthrough


@dataclass(frozen=True)
class Window:
    """What the traffic report is about: the domain, the window and its bounds."""

    domain: str
    region: str | None
    since: str
    start: datetime
    end: datetime
    max_events: int
    warn_days: int


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def _stage(info: StageTraffic, tally: Tally) -> StageTraffic:
    t = tally.stages.get(info.label)
    if t is None:
        return info
    statuses = tuple(StatusCount(s, n) for s, n in sorted(t.by_status.items()))
    return replace(info, events=t.events, unparsed=t.unparsed, requests=t.requests,
                   refused=t.refused, by_status=statuses)


def _refusals(tally: Tally, total: int) -> list[RefusalGroup]:
    items: list[tuple[tuple[str, str | None, str | None], ReasonTally]] = list(
        tally.reasons.items())
    if tally.other_reasons.requests:
        items.append((("-", "(more distinct reasons than are listed)", None),
                      tally.other_reasons))
    out = []
    for (status, message, response_type), r in items:
        finding, walkthrough = explain_reason(message, response_type)
        out.append(RefusalGroup(
            status, message, response_type, r.requests, _share(r.requests, total),
            tuple(sorted(r.stages)), tuple(k for k, _ in r.certificates.most_common(20)),
            finding, walkthrough, finding in _MTLS_FINDINGS))
    out.sort(key=lambda g: (-g.requests, g.status, g.message or ""))
    return out


def _verdict(judge: Judge | None, cert: CertTally, rank: int) -> Verdict | None:
    if judge is None or cert.decoded is None or rank >= MAX_JUDGED:
        return None
    return judge.verdict(cert.decoded)


def _seen(cert: CertTally, rank: int, total: int, at: datetime, today: Judge | None,
          candidate: Judge | None, has_pem_field: bool) -> SeenCertificate:
    d, n = cert.decoded, cert.named
    subject: str
    issuer: str | None
    serial: str | None
    fingerprint: str | None
    if d is not None:
        s = d.summary
        subject, issuer, serial = s.subject, s.issuer, s.serial
        not_before, not_after, fingerprint = s.not_before, s.not_after, s.sha256_fingerprint
    else:
        assert n is not None
        subject, issuer, serial = n.subject, n.issuer, n.serial
        not_before, not_after, fingerprint = n.not_before, n.not_after, None
    days_left = (not_after - at).days if not_after is not None else None
    why = not_judged_reason(d is not None, has_pem_field)
    if d is not None and rank >= MAX_JUDGED:
        why = f"only the {MAX_JUDGED} certificates with the most requests are judged"
    return SeenCertificate(
        cert.key, d is not None, subject, issuer, serial, not_before, not_after, fingerprint,
        cert.requests, cert.refused, _share(cert.requests, total), when(cert.first_ms),
        when(cert.last_ms), tuple(sorted(cert.stages)), days_left,
        _verdict(today, cert, rank), _verdict(candidate, cert, rank), why)


def _rehearsal(candidate: str, clients: Sequence[SeenCertificate], total: int) -> Rehearsal:
    breaks, still, fixed, unjudged = [], [], [], []
    refused_requests = breaks_requests = 0
    for c in clients:
        if c.candidate_verdict is None:
            unjudged.append(c.ref)
            continue
        # accepted today: by today's verdict, or, that unknown, by what the log shows
        today = c.verdict.accepted if c.verdict is not None else c.refused < c.requests
        if not c.candidate_verdict.accepted:
            refused_requests += c.requests
            if today:
                breaks.append(c.ref)
                breaks_requests += c.requests
            else:
                still.append(c.ref)
        elif not today:
            fixed.append(c.ref)
    return Rehearsal(candidate, tuple(breaks), tuple(still), tuple(fixed), tuple(unjudged),
                     _share(refused_requests, total), _share(breaks_requests, total))


def build_traffic(window: Window, tally: Tally, stages: Sequence[StageTraffic], *,
                  at: datetime, today: Judge | None, candidate: Judge | None,
                  truststore: str | None, candidate_name: str | None) -> Traffic:
    """The payload from the tally and the judges (None: that truststore could not be read)."""
    stage_views = tuple(_stage(s, tally) for s in stages)
    total = sum(s.requests for s in stage_views)
    refused = sum(s.refused for s in stage_views)
    has_pem_field = any("clientCertPem" in s.cert_fields for s in stage_views)
    ranked = sorted(tally.certs.values(), key=lambda c: (-c.requests, c.key))
    clients = tuple(_seen(c, i, total, at, today, candidate, has_pem_field)
                    for i, c in enumerate(ranked))
    expiring = tuple(c.ref for c in clients
                     if c.days_left is not None and c.days_left <= window.warn_days)
    rehearsal = (_rehearsal(candidate_name, clients, total)
                 if candidate is not None and candidate_name is not None else None)
    return Traffic(
        window.domain, window.region, window.since, window.start, window.end, window.max_events,
        sum(s.events for s in stage_views), total, refused, stage_views,
        tuple(_refusals(tally, total)), clients, expiring, window.warn_days, truststore,
        rehearsal, tally.untracked, tally.without_certificate)
