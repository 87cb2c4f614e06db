"""The `traffic` payload as report view sections (`report.parts`), for the view model to draw in
text, Markdown, HTML and the TUI: the window, requests per stage and status, refusals by reason,
every client certificate seen with its verdicts, the expiry radar and the rotation rehearsal.
Plain strings only; each renderer makes outside text safe."""

from __future__ import annotations

from mtls_doctor.report.certs import colon_hex
from mtls_doctor.report.parts import Facts, Row, Section, Table, TableRow
from mtls_doctor.traffic.model import SeenCertificate, Traffic


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _verdict(c: SeenCertificate, candidate: bool = False) -> tuple[str, str]:
    v = c.candidate_verdict if candidate else c.verdict
    if v is None:
        return ("not judged" if c.not_judged or not candidate else "—"), ""
    return ("accepted", "ok") if v.accepted else (f"refused: {v.reason.value}", "bad")


def traffic_sections(t: Traffic) -> list[Section]:
    """The sections of a traffic report, in reading order."""
    lead = (f"{t.requests} request(s), {t.refused} refused, {len(t.clients)} client "
            f"certificate(s) in the last {t.since}")
    window = Facts("Window", (
        Row("domain", t.domain_name), Row("from", f"{t.window_start:%Y-%m-%d %H:%M} UTC"),
        Row("to", f"{t.window_end:%Y-%m-%d %H:%M} UTC"),
        Row("events read", f"{t.events} (at most {t.max_events})"),
        Row("today's truststore", t.truststore or "could not be read", "" if t.truststore
            else "warn"),
        *((Row("without a certificate", str(t.requests_without_certificate)),)
          if t.requests_without_certificate else ())))
    stages = Table("Stages", ("stage", "logging", "read", "requests", "refused", "statuses"), tuple(
        TableRow((s.label, s.logging + (f" ({s.format_kind})" if s.format_kind else ""),
                  s.read_detail or s.read or "—", str(s.requests), str(s.refused),
                  ", ".join(f"{x.status}×{x.requests}" for x in s.by_status)),
                 "bad" if s.logging != "cloudwatch" or s.read not in ("ok", "shared") else "")
        for s in t.stages))
    refusals = Table("Refusals by reason", ("requests", "share", "status", "reason",
                                            "explained by"), tuple(
        TableRow((str(g.requests), _pct(g.share), g.status,
                  (g.message or "no message logged")
                  + (f" ({g.response_type})" if g.response_type else ""),
                  " / ".join(x for x in (g.finding, g.walkthrough) if x) or "—"),
                 "bad" if g.mtls else "warn")
        for g in t.refusals))
    clients = Table("Client certificates seen", (
        "subject", "issuer", "serial", "not after", "requests", "refused", "first seen",
        "last seen", "today", *(("candidate",) if t.rehearsal else ())), tuple(
        TableRow((c.subject, c.issuer or "—", colon_hex(c.serial_number) if c.serial_number else "—",
                  f"{c.not_after:%Y-%m-%d}" if c.not_after else "—", str(c.requests),
                  str(c.refused), f"{c.first_seen:%Y-%m-%d %H:%M}",
                  f"{c.last_seen:%Y-%m-%d %H:%M}", _verdict(c)[0],
                  *((_verdict(c, True)[0],) if t.rehearsal else ())),
                 _verdict(c, bool(t.rehearsal))[1] or _verdict(c)[1])
        for c in t.clients))
    by_ref = {c.ref: c for c in t.clients}
    radar = Table(f"Expiring within {t.warn_days} days", ("subject", "not after", "days left",
                                                          "requests"), tuple(
        TableRow((by_ref[k].subject, f"{by_ref[k].not_after:%Y-%m-%d}",
                  str(by_ref[k].days_left), str(by_ref[k].requests)), "warn")
        for k in t.expiring))
    sections = [Section("traffic", "Traffic", (window, stages, refusals, clients, radar), lead,
                        "bad" if t.refused else "")]
    r = t.rehearsal
    if r is not None:
        rows = [Row("candidate", r.candidate),
                Row("would break", f"{len(r.breaks)} certificate(s), {_pct(r.breaks_share)} of "
                                   "the requests", "bad" if r.breaks else "ok"),
                Row("refused by the candidate", f"{_pct(r.refused_share)} of the requests"),
                Row("still refused", str(len(r.still_refused))),
                Row("fixed by the candidate", str(len(r.fixed))),
                Row("not judged", str(len(r.not_judged)), "warn" if r.not_judged else "")]
        breaks = Table("Clients the candidate would refuse", ("subject", "requests", "share",
                                                              "reason"), tuple(
            TableRow((c.subject, str(c.requests), _pct(c.share), _verdict(c, True)[0]), "bad")
            for c in (by_ref[k] for k in r.breaks)))
        sections.append(Section("traffic-rehearsal", "Rotation rehearsal",
                                (Facts("", tuple(rows)), breaks),
                                f"{len(r.breaks)} client(s) in use would be refused",
                                "bad" if r.breaks else "ok"))
    return sections
