"""What a fleet scan reports: each account and how it was reached, each account/region listing,
one row per domain, and the expiry calendar. Frozen dataclasses; `report/json.py` makes dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mtls_doctor.model.domain import DomainFacts
from mtls_doctor.model.evidence import Attempt
from mtls_doctor.model.report import Report

#: the expiry calendar looks this many days ahead
CALENDAR_DAYS = 90


@dataclass(frozen=True)
class AccountResult:
    """One account of the scan: how it was reached (the caller's own credentials, a role ARN
    given with --role-arn, or a role assumed in an account of the organization) and whether it
    could be. `attempt` is the sts call that decided it."""

    label: str
    account_id: str | None
    source: str  # caller | role | organization
    attempt: Attempt
    role_arn: str | None = None
    name: str | None = None

    @property
    def reached(self) -> bool:
        """Credentials for the account were obtained."""
        return self.attempt.answered


@dataclass(frozen=True)
class RegionResult:
    """The listing of one account's custom domains in one region, both APIs: a failed listing
    means the region's domains are unknown, never that there are none."""

    account: str
    account_id: str | None
    region: str
    attempts: tuple[Attempt, ...]
    domains: int = 0

    @property
    def listed(self) -> bool:
        """Both APIs answered."""
        return all(a.answered for a in self.attempts)


@dataclass(frozen=True)
class Discovered:
    """One custom domain as the listings name it (before it is read in full)."""

    account: str
    account_id: str | None
    region: str
    name: str
    api_types: tuple[str, ...]
    endpoint_type: str | None = None
    domain_name_id: str | None = None


@dataclass(frozen=True)
class FleetRow:
    """One domain of the fleet view. `None` is "not known" (its facts could not be collected),
    never "no"."""

    account: str
    account_id: str | None
    region: str
    name: str
    api_type: str | None
    endpoint_type: str | None
    status: str | None
    mtls: bool | None
    #: current | stale | unpinned | off | unknown
    truststore: str
    truststore_version: str | None
    earliest_ca_expiry: datetime | None
    earliest_ca_subject: str | None
    execute_api_open: bool | None
    truststore_warnings: int | None
    errors: int
    warnings: int
    unknown_checks: int
    #: the domain was read and diagnosed before the deadline
    diagnosed: bool = True
    domain_name_id: str | None = None


@dataclass(frozen=True)
class Expiry:
    """One date of the expiry calendar: a truststore CA, a domain certificate or an ownership
    verification certificate that expires within the horizon (or has expired)."""

    not_after: datetime
    days_left: int
    kind: str  # truststore_ca | domain_certificate | ownership_certificate
    account: str
    region: str
    domain: str
    subject: str | None
    reference: str | None  # the ACM ARN, or where in the truststore


@dataclass(frozen=True)
class ScannedDomain:
    """One domain's full diagnosis: the same report `domain NAME` gives (the TUI opens it)."""

    account: str
    account_id: str | None
    region: str
    name: str
    report: Report
    facts: DomainFacts | None = field(default=None, metadata={"report": False})


@dataclass(frozen=True)
class ScanPayload:
    """The `scan` payload of the JSON document."""

    accounts: tuple[AccountResult, ...]
    regions: tuple[RegionResult, ...]
    rows: tuple[FleetRow, ...]
    calendar: tuple[Expiry, ...]
    calendar_days: int = CALENDAR_DAYS
    fail_on: str = "error"
