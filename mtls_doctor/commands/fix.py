"""`mtls-doctor fix NAME`: the fixes AWS API calls can carry out for the custom domain, as plans.
A dry run by default (nothing is written); `--apply` asks for the domain name to be typed (or
`--yes`), refuses a plan whose pre-flight fails (unless `--force`), carries the plans out,
journals every call, re-checks the findings and, on a failure, rolls back what it did (asked at
a terminal, at once with `--yes`); `--rollback RUN_ID` undoes a journalled run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mtls_doctor.apply import journal
from mtls_doctor.apply.build import Inputs, build_plans
from mtls_doctor.apply.execute import Pacing, Run
from mtls_doctor.apply.plan import KINDS, Call, FixPlan, Outcome, StepResult, finding_key
from mtls_doctor.apply.preflight import load_clients
from mtls_doctor.commands.common import load_input
from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.shell import render
from mtls_doctor.shell.doctor import doctor

if TYPE_CHECKING:
    from mtls_doctor.aws.calls import Aws

#: asks the user a question and returns the line typed (None: no one to ask)
Ask = Callable[[str], str | None]


@dataclass(frozen=True)
class FixOptions:
    """Everything `fix` was given."""

    name: str
    at: datetime
    now: datetime
    region: str | None = None
    profile: str | None = None
    timeout: float = 30.0
    warn_days: int = 30
    add_ca: tuple[str, ...] = ()
    clients: str | None = None
    kinds: tuple[str, ...] = KINDS
    apply: bool = False
    yes: bool = False
    force: bool = False
    rollback: str | None = None
    snapshot: str | None = None
    pacing: Pacing = field(default_factory=Pacing)
    journal: Path | None = None


@dataclass
class _Io:
    """How `fix` talks to the person: show the plan before asking, ask, report progress."""

    ask: Ask | None = None
    show: Callable[[Report], None] | None = None
    progress: Callable[[str], None] | None = None


def _aws(opts: FixOptions, deadline: Deadline) -> Aws:
    from mtls_doctor.aws.calls import Aws

    return Aws(opts.profile, deadline)


def diagnose(opts: FixOptions, deadline: Deadline
             ) -> tuple[DomainFacts, list[Finding], Aws | None]:
    """The domain's facts and findings (as `domain` reports them), and the calls' session."""
    from mtls_doctor.commands.domain import collect_or_load, domain_report

    aws = None
    if opts.snapshot is None:
        from mtls_doctor.aws.collect import collect_domain

        aws = _aws(opts, deadline)
        facts = collect_domain(opts.name, region=opts.region, profile=opts.profile, aws=aws)
    else:
        facts = collect_or_load(opts.name, region=opts.region, profile=opts.profile,
                                deadline=deadline, snapshot=opts.snapshot)
    report = domain_report(facts, at=opts.at, now=opts.now, warn_days=opts.warn_days)
    return facts, list(report.findings), aws


def _aws_failures(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.id.startswith("AWS_")]


def _report(opts: FixOptions, fix: FixPlan, findings: list[Finding], status: int) -> Report:
    return Report(command="fix", generated_at=opts.now, findings=tuple(findings),
                  payload={"plan": fix}, status=status)


def run_fix(opts: FixOptions, *, ask: Ask | None = None,
            show: Callable[[Report], None] | None = None,
            progress: Callable[[str], None] | None = None) -> Report:
    """Plan (and with `--apply` carry out, or with `--rollback` undo) the fixes of one domain."""
    io = _Io(ask, show, progress)
    if (opts.apply or opts.rollback) and opts.snapshot is not None:
        raise InputError("--apply and --rollback act on AWS itself, not on --aws-snapshot")
    if (opts.apply or opts.rollback) and not opts.yes and ask is None:
        raise InputError("--apply and --rollback ask you to type the domain name, and standard "
                         "input is not a terminal: pass --yes to go on without asking")
    add_ca = tuple(load_input(f, "CA file", None, profile=opts.profile, region=opts.region)
                   for f in opts.add_ca)
    clients = load_clients(opts.clients)
    deadline = Deadline(opts.timeout)
    if opts.rollback is not None:
        return _rollback(opts, io, deadline)
    facts, findings, aws = diagnose(opts, deadline)
    fix = build_plans(facts, findings, Inputs(opts.at, opts.warn_days, add_ca, clients,
                                              opts.kinds), aws)
    addressed = {k for p in fix.plans for k in p.addresses}
    shown = [f for f in findings if finding_key(f.id, f.evidence) in addressed]
    failures = _aws_failures(findings)
    unread = not facts.found or bool(failures)
    dry = _report(opts, fix, [*shown, *failures], 1 if unread or not fix.ready else 0)
    if not opts.apply:
        return dry
    if not fix.plans:
        return _refused(opts, fix, dry, "nothing to apply: no plan was made")
    if not fix.ready and not opts.force:
        return _refused(opts, fix, dry, "refused: a pre-flight check fails or is unknown "
                        "(see each plan); --force applies anyway")
    if not opts.yes:
        if io.show is not None:
            io.show(dry)
        typed = io.ask(f"Type the domain name ({facts.name}) to apply these "
                       f"{len(fix.plans)} plan(s): ") if io.ask else None
        if (typed or "").strip().rstrip(".").lower() != facts.name:
            return _refused(opts, fix, dry, "not applied: the name typed is not the domain's")
    return _apply(opts, io, fix, facts, findings, aws)


def _refused(opts: FixOptions, fix: FixPlan, dry: Report, why: str) -> Report:
    outcome = Outcome("", (), False, message=why)
    return replace(dry, payload={"plan": replace(fix, outcome=outcome)}, status=1)


def _apply(opts: FixOptions, io: _Io, fix: FixPlan, facts: DomainFacts,
           before: list[Finding], aws: Aws | None) -> Report:
    if aws is None:
        raise InputError("--apply acts on AWS itself, not on --aws-snapshot")
    run = Run(aws, facts.name, facts.region,
              "rest" if facts.api_type not in ("http", "websocket") else "http",
              facts.domain_name_id, journal.new_run_id(), opts.pacing, opts.journal,
              progress=io.progress)
    ok = run.carry_out(fix)
    steps = tuple(run.steps)
    rolled: tuple[StepResult, ...] = ()
    back = render(doctor("fix", facts.name, "--rollback", run.run_id,
                         *(("--region", facts.region) if facts.region else ())))
    message = "applied: every call answered"
    undone = False
    if not ok:
        message = "stopped at the first failure"
        wanted = opts.yes or (io.ask is not None and (io.ask(
            "A call failed. Roll back what was done? Type yes: ") or "").strip() == "yes")
        if run.done and wanted:
            mark = len(run.steps)
            undone = run.undo(list(run.done))
            rolled = tuple(run.steps[mark:])
            message += ("; rolled back what was done" if undone
                        else "; the rollback failed in part (see below)")
        elif run.done:
            message += f"; nothing was rolled back: {back}"
    gone: tuple[str, ...] = ()
    still: tuple[str, ...] = ()
    after = before
    proved = True
    if ok:
        found, after = _recheck(opts, facts)
        keys = {finding_key(f.id, f.evidence) for f in after}
        wanted_keys = [k for p in fix.plans for k in p.addresses]
        if not found or _aws_failures(after):
            # a fact the re-check could not read is unknown: nothing is claimed gone
            proved = False
            message += "; the re-check could not read everything (see the AWS findings), so " \
                       "it claims no finding gone"
        else:
            gone = tuple(k for k in wanted_keys if k not in keys)
        still = tuple(k for k in wanted_keys if k in keys)
        if still:
            message += f"; the re-check still finds {len(still)} of the fixed findings"
        elif gone:
            message += f"; the re-check finds all {len(gone)} fixed finding(s) gone"
    outcome = Outcome(run.run_id, steps, ok and proved and not still, run.warnings, gone, still, rolled,
                      back if run.done and not undone else "",
                      str(opts.journal or journal.journal_path()), message)
    addressed = {k for p in fix.plans for k in p.addresses}
    shown = [f for f in after if finding_key(f.id, f.evidence) in addressed]
    return _report(opts, replace(fix, applied=True, outcome=outcome),
                   [*shown, *_aws_failures(after)], 0 if outcome.ok else 1)


def _recheck(opts: FixOptions, facts: DomainFacts) -> tuple[bool, list[Finding]]:
    """The domain read again (a fresh session, its own deadline): whether it was found, and
    its findings."""
    again, findings, _ = diagnose(replace(opts, region=facts.region), Deadline(opts.timeout))
    return bool(again.found), findings


def _rollback(opts: FixOptions, io: _Io, deadline: Deadline) -> Report:
    """Undo a journalled run: the undo calls of each call that succeeded, newest first."""
    run_id = str(opts.rollback)
    lines = journal.run_entries(run_id, opts.journal)
    done = [(str(e.get("plan", "")), journal.call_of(e["call"])) for e in lines
            if e.get("status") == "ok" and not e.get("rollback_of")
            and isinstance(e.get("call"), dict)]
    name = opts.name.strip().rstrip(".").lower()
    if not lines:
        raise InputError(f"--rollback {run_id}: no such run in {opts.journal or journal.journal_path()}")
    if any(str(e.get("domain")) != name for e in lines):
        raise InputError(f"--rollback {run_id}: that run changed another domain")
    earlier = [e for e in journal.entries(opts.journal) if e.get("rollback_of") == run_id]
    fix = FixPlan(name, opts.region, None, ())
    if earlier and not opts.force:
        return _refused(opts, fix, _report(opts, fix, [], 1),
                        "refused: this run was rolled back already (--force to do it again)")
    if not opts.yes:
        typed = io.ask(f"Type the domain name ({name}) to roll back run {run_id}: ") \
            if io.ask else None
        if (typed or "").strip().rstrip(".").lower() != name:
            return _refused(opts, fix, _report(opts, fix, [], 1),
                            "not rolled back: the name typed is not the domain's")
    region = next((c.region for _, c in done if c.region), opts.region)
    api = next(("http" if c.service == "apigatewayv2" else "rest" for _, c in done
                if c.operation == "UpdateDomainName"), "rest")
    run = Run(_aws(opts, deadline), name, region, api, None,
              journal.new_run_id(), opts.pacing, opts.journal, rollback_of=run_id,
              progress=io.progress)
    ok = run.undo(done)
    undo_calls: list[Call] = [u for _, c in done for u in c.undo]
    outcome = Outcome(run.run_id, (), ok, run.warnings, rolled_back=tuple(run.steps),
                      journal=str(opts.journal or journal.journal_path()),
                      message=(f"rolled back run {run_id}: {len(undo_calls)} call(s)" if ok
                               else f"the rollback of run {run_id} failed in part"))
    return _report(opts, replace(fix, applied=True, outcome=outcome), [], 0 if ok else 1)


def apply_plans(opts: FixOptions, fix: FixPlan, facts: DomainFacts, findings: list[Finding],
                aws: Aws, *, progress: Callable[[str], None] | None = None) -> Report:
    """Carry `fix` out once the person consented elsewhere (the TUI's fix screen, where the
    domain name was typed): every call in order, journalled, then the re-check of the findings
    the plans address. A failure stops the run and rolls nothing back: the outcome names the
    journalled run (`outcome.run_id`, `outcome.rollback_command`) so the caller can offer the
    rollback (`run_fix` with `rollback=run_id, yes=True`). `opts.yes` is not read."""
    return _apply(replace(opts, yes=False), _Io(progress=progress), fix, facts, findings, aws)
