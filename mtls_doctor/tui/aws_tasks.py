"""What the dashboard's `t` (traffic) and `a` (fix) keys ask of AWS, off the event loop: which
custom domain the report on screen was diagnosed against (or why there is none: the demo lab,
`--no-aws`, `--aws-snapshot`, an IP address), its traffic (`commands.traffic.run_traffic`), the
fix plans for a finding (a dry run: `apply.build.build_plans` only reads), and, once the fix
screen has the person's typed consent, the carry-out (`commands.fix.apply_plans`) or the
rollback of a journalled run (`commands.fix.run_fix` with `rollback`).

Every function here blocks (network calls within a deadline): the app calls them from its own
threads and hands their results back to the event loop as messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report

if TYPE_CHECKING:
    from mtls_doctor.apply.execute import Pacing
    from mtls_doctor.apply.plan import FixPlan, Outcome
    from mtls_doctor.commands.fix import FixOptions
    from mtls_doctor.diagnose.run import DiagnoseOptions

#: a progress line from a carry-out or a rollback
Progress = Callable[[str], None]


@dataclass(frozen=True)
class AwsTarget:
    """The custom domain a run diagnosed in AWS, and how to reach it again (the run's region,
    profile, deadline's length and warning window; `at`: the fixed instant the run was asked
    to judge at, None for now)."""

    name: str
    region: str | None
    profile: str | None
    timeout: float
    warn_days: int
    at: datetime | None = None
    #: the domain as the report on screen describes it (None: not read)
    facts: DomainFacts | None = None
    #: the fix's waits (the UpdateDomainName quota, polls; None: `fix`'s own); tests shrink
    #: them
    pacing: Pacing | None = None

    def instants(self) -> tuple[datetime, datetime]:
        """The instant judged at and now (the fixed instant, if the run was given one)."""
        now = datetime.now(UTC).replace(microsecond=0)
        return (self.at or now), now


def aws_target(options: DiagnoseOptions | None, demo: bool,
               report: Report | None) -> AwsTarget | str:
    """The custom domain in AWS that the run (`options`, or the demo lab) diagnoses, or why
    there is none, as one sentence: AWS is off (the demo lab, --no-aws, --aws-snapshot, an IP
    address, no options at all)."""
    from mtls_doctor.probe.target import is_ip, parse_target

    if demo:
        return "the demo lab runs on loopback: it has no custom domain in AWS"
    if options is None:
        return "no custom domain in AWS was diagnosed here"
    if options.no_aws:
        return "AWS is off (--no-aws)"
    if options.aws_snapshot:
        return "AWS is read from --aws-snapshot, not from AWS itself"
    try:
        host = parse_target(options.host).host
    except InputError as exc:
        return str(exc)
    if is_ip(host):
        return f"{host} is an IP address, not an API Gateway custom domain name"
    facts = report.payload.get("domain") if report is not None else None
    facts = facts if isinstance(facts, DomainFacts) else None
    region = options.region or (facts.region if facts is not None else None)
    at = options.at if options.at != options.now else None
    return AwsTarget(facts.name if facts is not None and facts.name else host, region,
                     options.profile, options.timeout, options.warn_days, at, facts)


def read_traffic(target: AwsTarget, deadline: Deadline) -> Report:
    """The `traffic` report of the domain (the last 24 hours of its stages' access logs)."""
    from mtls_doctor.commands.traffic import run_traffic

    at, now = target.instants()
    return run_traffic(target.name, now=now, at=at, warn_days=target.warn_days,
                       region=target.region, profile=target.profile, timeout=target.timeout,
                       deadline=deadline)


def build_fix(target: AwsTarget, facts: DomainFacts, findings: list[Finding],
              deadline: Deadline) -> FixPlan:
    """Every plan `fix` would make for the domain's findings: a dry run (the pre-flight reads
    S3; nothing is written)."""
    from mtls_doctor.apply.build import Inputs, build_plans
    from mtls_doctor.aws.calls import Aws

    at, _ = target.instants()
    return build_plans(facts, findings, Inputs(at, target.warn_days),
                       Aws(target.profile, deadline))


def fix_options(target: AwsTarget, domain: str, region: str | None) -> FixOptions:
    """`fix`'s options for `domain` in `region`, with what the run was given."""
    from mtls_doctor.commands.fix import FixOptions

    at, now = target.instants()
    opts = FixOptions(domain, at, now, region=region, profile=target.profile,
                      timeout=target.timeout, warn_days=target.warn_days)
    return opts if target.pacing is None else replace(opts, pacing=target.pacing)


def carry_out(target: AwsTarget, fix: FixPlan, facts: DomainFacts, findings: list[Finding],
              progress: Progress) -> Outcome:
    """Carry `fix` out (the person typed the domain name on the fix screen): every call in
    order, journalled, then the re-check. A failure stops the run; nothing is rolled back."""
    from mtls_doctor.aws.calls import Aws
    from mtls_doctor.commands.fix import apply_plans

    opts = fix_options(target, fix.domain, fix.region)
    report = apply_plans(opts, fix, facts, findings, Aws(target.profile, Deadline(opts.timeout)),
                         progress=progress)
    return _outcome(report)


def roll_back(target: AwsTarget, domain: str, region: str | None, run_id: str,
              progress: Progress) -> Outcome:
    """Undo the journalled run `run_id` of `domain` (the person typed `yes` on the fix
    screen): the undo calls of each call that succeeded, newest first."""
    from mtls_doctor.commands.fix import run_fix

    opts = replace(fix_options(target, domain, region), rollback=run_id, yes=True)
    return _outcome(run_fix(opts, progress=progress))


def _outcome(report: Report) -> Outcome:
    from mtls_doctor.apply.plan import FixPlan

    plan = report.payload.get("plan")
    if not isinstance(plan, FixPlan) or plan.outcome is None:
        raise InputError("the fix reported no outcome")
    return plan.outcome
