"""Run a fleet scan: accounts, then each account/region's listing, then each domain's diagnosis
(`aws.collect.collect_domain` + `commands.domain.domain_report`, the very code path of `domain`),
all through one bounded pool and within the command's one deadline. Listing a region and
diagnosing its domains overlap: a domain is read as soon as its region has answered, and
diagnosed as soon as it is read, while the other domains' calls are still in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from mtls_doctor.aws.calls import spawn, wait_for
from mtls_doctor.aws.fleet import FleetAws, Listed, Listings
from mtls_doctor.deadline import Deadline
from mtls_doctor.fleet import accounts as acc
from mtls_doctor.fleet.discovery import discover
from mtls_doctor.fleet.model import AccountResult, Discovered, RegionResult
from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import Attempt

T = TypeVar("T")

#: domains (and listings) read at once: enough to hide the latency of many regions, few enough
#: that adaptive retries can pace an account that is being throttled
MAX_PARALLEL = 16
#: told how the scan goes, from its threads (the TUI's progress line): ("listings", n) as each
#: account is reached, n more account/region listings to make; ("listed", n) a listing answered with
#: n domains; ("read", 1) a domain was read (or its reading ended in failure)
Progress = Callable[[str, int], None]
#: a domain's report from its facts (`commands.domain.domain_report` with the scan's dates)
Judge = Callable[[DomainFacts], Any]


@dataclass(frozen=True)
class ScanOptions:
    """What to scan: accounts (`role_arns`, or `organization_role`, else the caller's own) and
    regions (None: every region API Gateway is offered in)."""

    regions: tuple[str, ...] | None
    role_arns: tuple[str, ...] = ()
    external_id: str | None = field(default=None, repr=False)
    organization_role: str | None = None
    profile: str | None = None
    parallel: int = MAX_PARALLEL


@dataclass
class ScanFacts:
    """Everything a scan collected (or replayed from a scan snapshot)."""

    accounts: list[AccountResult] = field(default_factory=list)
    regions: list[RegionResult] = field(default_factory=list)
    #: each listed domain with its facts, or None when the deadline left it unread
    domains: list[tuple[Discovered, DomainFacts | None]] = field(default_factory=list)
    #: the organization's ListAccounts, when --organization-role was given
    organization: Attempt | None = None
    #: the --timeout the scan ran under (a domain it left unread says so)
    timeout: float = 0.0
    #: the reports of the domains diagnosed as soon as they were read (`collect_scan`'s
    #: `judge`); `diagnose` makes the others'. Never saved: a snapshot holds facts only.
    reports: dict[Discovered, Any] = field(default_factory=dict, repr=False, compare=False)


class _Pool:
    """At most `size` jobs at once, each in a daemon thread (a job still running at the
    deadline is left behind and never holds the process open)."""

    def __init__(self, size: int) -> None:
        self._gate = threading.BoundedSemaphore(max(1, size))

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        def run() -> T:
            with self._gate:
                return fn(*args)
        return spawn(run)


#: the domains a region's listing found, each with its reading
_Reads = list[tuple[Discovered, Future[DomainFacts]]]
#: a region's listing, then the readings it started
_RegionJob = Future[tuple[RegionResult, _Reads]]
#: seconds past the deadline a read or listing is still waited for: each is bound by the
#: deadline itself and ends a moment after it, naming what it was waiting for (the contract
#: allows the command 2 s past its --timeout)
GRACE = 1.0


def _accounts(base: FleetAws, options: ScanOptions, facts: ScanFacts
              ) -> list[tuple[str | None, str | None,
                              Callable[[], tuple[AccountResult, FleetAws | None]]]]:
    """How to reach each account (role ARN and the organization's name for the account, or
    None for the caller's own): run at once, each in its own thread, so that one that hangs
    holds up no other."""
    if options.role_arns:
        roles: Sequence[tuple[str, str | None]] = [(arn, None) for arn in options.role_arns]
        source = "role"
    elif options.organization_role:
        roles, facts.organization = acc.organization(base, options.organization_role)
        source = "organization"
    else:
        return [(None, None, lambda: acc.caller(base))]
    return [(arn, name, partial(acc.assume, base, arn, options.external_id, source, name))
            for arn, name in roles]


def _settled(future: Future[T], deadline: Deadline, grace: list[float]) -> T:
    """`future`'s result within the deadline and, for one bound by it too, the short `grace`
    after it (a one-element list: the end of the grace, set when first needed); TimeoutError
    after that, or at once when the run was cancelled."""
    try:
        return wait_for(future, deadline)
    except TimeoutError:
        if deadline.cancelled:
            raise
        if not grace:
            grace.append(time.monotonic() + GRACE)
        return future.result(timeout=max(0.0, grace[0] - time.monotonic()))


def collect_scan(options: ScanOptions, deadline: Deadline,
                 progress: Progress | None = None, judge: Judge | None = None) -> ScanFacts:
    """Find every custom domain of the accounts and regions, and read each in full (telling
    `progress` how it goes); with `judge`, diagnose each in the thread that read it, as soon
    as it is read (its diagnosis is CPU work that then overlaps the others' waits for AWS).
    Each account's listings start as soon as that account is reached."""
    from mtls_doctor.aws.collect import collect_domain, listed_truststore

    facts = ScanFacts(timeout=deadline.seconds)
    base = FleetAws(options.profile, deadline)
    ways = _accounts(base, options, facts)
    regions: Sequence[str] = options.regions or base.regions("apigateway")
    pool = _Pool(options.parallel)
    tell = progress or (lambda event, n: None)

    #: each domain's facts as soon as they are read, before its diagnosis: a domain read
    #: just before the deadline is reported with them, diagnosed at the end
    collected: dict[Discovered, DomainFacts] = {}

    def read(where: Discovered, listed: Listed, aws: FleetAws, shared: Listings
             ) -> DomainFacts:
        try:
            got = collected[where] = collect_domain(where.name, region=where.region,
                                                    profile=None, aws=aws.view(),
                                                    listings=shared, listed=listed)
        finally:
            tell("read", 1)
        if judge is not None:
            facts.reports[where] = judge(got)
        return got

    #: each region's listing and the readings it started, as soon as it has them: a listing
    #: that ends after the scan stopped waiting for it is still reported as it went
    listed_by: dict[tuple[str, str], tuple[RegionResult, _Reads]] = {}

    def list_then_read(account: AccountResult, aws: FleetAws, region: str, shared: Listings
                       ) -> tuple[RegionResult, _Reads]:
        found, result = discover(aws, account, region)
        # the region's truststores, before any is read: their versions are listed per bucket
        shared.expect_truststores(region, filter(None, (listed_truststore(listed)
                                                        for _, listed in found)))
        done = listed_by[(account.label, region)] = (result, [
            (where, pool.submit(read, where, listed, aws, shared)) for where, listed in found])
        tell("listed", len(found))
        return done

    def reach(way: Callable[[], tuple[AccountResult, FleetAws | None]]
              ) -> tuple[AccountResult, list[tuple[str, _RegionJob]]]:
        account, aws = way()
        if aws is None:
            return account, []
        tell("listings", len(regions))
        # one set of account-wide listings per account (ACM's certificates, the region's
        # APIs): asked once, whatever the number of its domains
        shared = Listings()
        return account, [(region, pool.submit(list_then_read, account, aws, region, shared))
                         for region in regions]

    reaching = [(arn, name, spawn(reach, way)) for arn, name, way in ways]
    grace: list[float] = []
    listings: list[tuple[AccountResult, str, _RegionJob]] = []
    for arn, name, job in reaching:
        try:
            account, started = _settled(job, deadline, grace)
        except TimeoutError:  # reached neither in time nor in the grace after it
            late = f"not finished before the --timeout of {deadline.seconds:g} s"
            if arn is None:  # the caller's own account
                why = Attempt("sts.GetCallerIdentity", _cut(deadline), late,
                              "sts:GetCallerIdentity", "Timeout")
                facts.accounts.append(AccountResult("(caller)", None, "caller", why))
                continue
            why = Attempt("sts.AssumeRole", _cut(deadline), late, "sts:AssumeRole", "Timeout")
            label = acc.role_account(arn)
            source = "role" if options.role_arns else "organization"
            facts.accounts.append(AccountResult(label or arn, label, source, why, arn, name))
            continue
        facts.accounts.append(account)
        listings.extend((account, region, listing) for region, listing in started)
    reads: _Reads = []
    for account, region, listing in listings:
        try:
            result, started_reads = _settled(listing, deadline, grace)
        except TimeoutError:
            if (account.label, region) in listed_by:  # listed; only the telling was late
                result, started_reads = listed_by[(account.label, region)]
            else:  # neither API's listing reached the scan: both are unknown
                late = f"not finished before the --timeout of {deadline.seconds:g} s"
                unlisted = tuple(Attempt(f"{api}.GetDomainNames", _cut(deadline), late,
                                         "apigateway:GET", region=region)
                                 for api in ("apigateway", "apigatewayv2"))
                facts.regions.append(RegionResult(account.label, account.account_id, region,
                                                  unlisted))
                continue
        facts.regions.append(result)
        reads.extend(started_reads)
    for where, future in reads:
        try:
            facts.domains.append((where, _settled(future, deadline, grace)))
        except TimeoutError:
            facts.domains.append((where, collected.get(where)))
    return facts


def _cut(deadline: Deadline) -> Any:
    from mtls_doctor.model.evidence import Status

    return Status.CANCELLED if deadline.cancelled else Status.TIMED_OUT


def diagnose(facts: ScanFacts, *, at: datetime, now: datetime, warn_days: int
             ) -> list[tuple[Discovered, DomainFacts | None, Any]]:
    """Each domain's report, by `domain`'s own rules (`commands.domain.domain_report`): the
    one made as it was read (with the same `at`, `now` and `warn_days`: `run_scan_command`
    gives both), else made now (a replayed scan; a domain whose diagnosis the deadline
    overtook)."""
    from mtls_doctor.commands.domain import domain_report

    def report(where: Discovered, f: DomainFacts | None) -> Any:
        if f is None:
            return None
        made = facts.reports.get(where)
        return made if made is not None else domain_report(f, at=at, now=now,
                                                           warn_days=warn_days)

    return [(where, f, report(where, f)) for where, f in facts.domains]
