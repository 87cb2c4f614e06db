"""The `plan` payload of `fix` as sections of the report view (text, Markdown, HTML and, later,
the TUI draw them): one section per plan (what it fixes, the calls, the bundle diff, the
pre-flight, the rollback), the outcome of `--apply` / `--rollback`, and the findings no plan
fixes. Plain strings: each renderer makes outside text safe at its output boundary."""

from __future__ import annotations

import json
from typing import Any

from mtls_doctor.apply.plan import Call, FixPlan, Outcome, Plan
from mtls_doctor.report.parts import Facts, Row, Section, Table, TableRow, anchor_id

_TONE = {"pass": "ok", "ok": "ok", "warn": "warn", "fail": "bad", "failed": "bad",
         "unknown": "bad", "skipped": ""}
_MARK = {"pass": "pass", "warn": "warn", "fail": "FAIL", "unknown": "unknown (?)"}


def params_text(params: Any) -> str:
    """A call's parameters as one line of JSON (key order kept)."""
    return json.dumps(params, ensure_ascii=False, separators=(", ", ": "), default=str)


def _calls_table(title: str, calls: tuple[Call, ...]) -> Table:
    rows = tuple(TableRow((str(i), c.name, c.region or "", params_text(c.params), c.why))
                 for i, c in enumerate(calls, 1))
    return Table(title, ("#", "call", "region", "parameters", "why"), rows)


def plan_section(plan: Plan) -> Section:
    """One plan: what it fixes, the calls, the diff, the pre-flight, the rollback."""
    parts: list[Facts | Table] = [
        Facts("Fixes", tuple(Row("finding", k) for k in plan.addresses)
              or (Row("finding", "(none named: an addition asked for)"),)),
        _calls_table("AWS calls, in order", plan.calls)]
    if plan.diff is not None:
        d = plan.diff
        rows = [TableRow(("added", c.subject, c.sha256_fingerprint, c.reason), "ok")
                for c in d.added]
        rows += [TableRow(("removed", c.subject, c.sha256_fingerprint, c.reason), "warn")
                 for c in d.removed]
        title = (f"Bundle diff ({d.before or 'before'} -> {d.after or 'after'}): "
                 f"{len(d.added)} added, {len(d.removed)} removed, {d.kept} kept"
                 + (", reordered roots first" if d.reordered else ""))
        parts.append(Table(title, ("change", "subject", "SHA-256", "why"), tuple(rows)))
    parts.append(Facts("Pre-flight", tuple(
        Row(p.name, f"{_MARK.get(p.status, p.status)}: {p.detail}", _TONE.get(p.status, ""))
        for p in plan.preflight) or (Row("pre-flight", "nothing to check", "ok"),)))
    r = plan.rollback
    previous = tuple(Row(str(k), "(none)" if v is None else str(v))
                     for k, v in r.previous.items())
    parts.append(Facts("Rollback: the settings this plan replaces", previous))
    parts.append(_calls_table("Rollback calls", r.calls))
    notes = (*plan.notes, *((r.note,) if r.note else ()))
    if notes:
        parts.append(Facts("Notes", tuple(Row("note", n) for n in notes)))
    ready = plan.ready
    return Section(anchor_id("plan", plan.id), f"Plan {plan.id}: {plan.title}", tuple(parts),
                   lead="pre-flight passes" if ready else "pre-flight fails: --apply refuses "
                   "it unless --force", lead_tone="ok" if ready else "bad")


def outcome_section(o: Outcome) -> Section:
    """What `--apply` or `--rollback` did."""
    parts: list[Facts | Table] = [Table("Calls made", ("plan", "call", "result", "detail"), tuple(
        TableRow((s.plan, s.call, s.status, s.detail), _TONE.get(s.status, ""))
        for s in o.steps))]
    if o.truststore_warnings:
        parts.append(Facts("truststoreWarnings API Gateway returned", tuple(
            Row("warning", w, "warn") for w in o.truststore_warnings)))
    if o.gone or o.still:
        parts.append(Facts("Re-check", (*(Row("gone", k, "ok") for k in o.gone),
                                        *(Row("still there", k, "bad") for k in o.still))))
    if o.rolled_back:
        parts.append(Table("Rolled back", ("plan", "call", "result", "detail"), tuple(
            TableRow((s.plan, s.call, s.status, s.detail), _TONE.get(s.status, ""))
            for s in o.rolled_back)))
    rows = [Row("run", o.run_id)]
    if o.journal:
        rows.append(Row("journal", o.journal))
    if o.rollback_command:
        rows.append(Row("to roll back", o.rollback_command))
    parts.append(Facts("Journal", tuple(rows)))
    return Section("fix-outcome", "Outcome", tuple(parts), lead=o.message,
                   lead_tone="ok" if o.ok else "bad")


def fix_sections(fix: FixPlan) -> list[Section]:
    """Every section of a `fix` report."""
    out: list[Section] = []
    if fix.outcome is not None:
        out.append(outcome_section(fix.outcome))
    overview = tuple(Row(p.id, p.title + ("" if p.ready else " (pre-flight fails)"),
                         "ok" if p.ready else "bad") for p in fix.plans)
    parts: list[Facts] = [Facts("Plans", overview or (
        Row("plans", "none: no finding of this domain is one mtls-doctor can fix with AWS "
            "calls", ""),))]
    if fix.not_planned:
        parts.append(Facts("Findings no plan fixes (see their fix in `mtls-doctor domain`)",
                           tuple(Row("finding", i) for i in fix.not_planned)))
    mode = ("--apply ran: see the outcome above" if fix.applied
            else "dry run: nothing was changed; --apply carries it out")
    out.append(Section("fix-plans", f"Fix plans for {fix.domain}", tuple(parts), lead=mode,
                       lead_tone="" if not fix.applied else "ok"))
    out += [plan_section(p) for p in fix.plans]
    return out
