"""Run a fleet scan: accounts, then each account/region's listing, then each domain's diagnosis
(`aws.collect.collect_domain` + `commands.domain.domain_report`, the very code path of `domain`),
all through one bounded pool and within the command's one deadline. Listing a region and
diagnosing its domains overlap: a domain is read as soon as its region has answered, and
diagnosed as soon as it is read, while the other domains' calls are still in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
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
#: told how the scan goes, from its threads (the TUI's progress line): ("listings", n) once the
#: accounts are known, n account/region listings to make; ("listed", n) a listing answered with
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


def _accounts(base: FleetAws, options: ScanOptions, facts: ScanFacts
              ) -> list[tuple[AccountResult, FleetAws | None]]:
    if options.role_arns:
        return acc.assume_all(base, [(arn, None) for arn in options.role_arns],
                              options.external_id, "role")
    if options.organization_role:
        roles, facts.organization = acc.organization(base, options.organization_role)
        return acc.assume_all(base, roles, options.external_id, "organization")
    return [acc.caller(base)]


def collect_scan(options: ScanOptions, deadline: Deadline,
                 progress: Progress | None = None, judge: Judge | None = None) -> ScanFacts:
    """Find every custom domain of the accounts and regions, and read each in full (telling
    `progress` how it goes); with `judge`, diagnose each in the thread that read it, as soon
    as it is read (its diagnosis is CPU work that then overlaps the others' waits for AWS)."""
    from mtls_doctor.aws.collect import collect_domain, listed_truststore

    facts = ScanFacts(timeout=deadline.seconds)
    base = FleetAws(options.profile, deadline)
    reached = _accounts(base, options, facts)
    facts.accounts = [a for a, _ in reached]
    regions: Sequence[str] = options.regions or base.regions("apigateway")
    pool = _Pool(options.parallel)
    tell = progress or (lambda event, n: None)
    tell("listings", len(regions) * sum(aws is not None for _, aws in reached))

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

    def list_then_read(account: AccountResult, aws: FleetAws, region: str, shared: Listings
                       ) -> tuple[RegionResult, list[tuple[Discovered, Future[DomainFacts]]]]:
        found, result = discover(aws, account, region)
        tell("listed", len(found))
        # the region's truststores, before any is read: their versions are listed per bucket
        shared.expect_truststores(region, filter(None, (listed_truststore(listed)
                                                        for _, listed in found)))
        return result, [(where, pool.submit(read, where, listed, aws, shared))
                        for where, listed in found]

    # one set of account-wide listings per account (ACM's certificates, the region's APIs):
    # asked once, whatever the number of its domains
    shared = {id(aws): Listings() for _, aws in reached if aws is not None}
    listings = [(account, region, pool.submit(list_then_read, account, aws, region,
                                              shared[id(aws)]))
                for account, aws in reached if aws is not None for region in regions]
    reads: list[tuple[Discovered, Future[DomainFacts]]] = []
    for account, region, listing in listings:
        try:
            result, started = wait_for(listing, deadline)
        except TimeoutError:
            why = Attempt("apigateway.GetDomainNames", _cut(deadline), "not finished before "
                          f"the --timeout of {deadline.seconds:g} s", "apigateway:GET",
                          region=region)
            facts.regions.append(RegionResult(account.label, account.account_id, region, (why,)))
            continue
        facts.regions.append(result)
        reads.extend(started)
    for where, future in reads:
        try:
            facts.domains.append((where, wait_for(future, deadline)))
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
