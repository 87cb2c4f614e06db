"""A fix plan is data: the AWS calls with their exact parameters, the bundle diff, the pre-flight
results and the rollback. Nothing here calls AWS; `execute` carries a plan out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: stands for the version id S3 gives the uploaded bundle; filled in when the upload answers
NEW_VERSION = "<new-version-id>"
#: the kinds of plan, in the order they are carried out
KINDS = ("truststore", "pin", "execute-api", "access-log")
#: operations that change nothing (the pre-flight's and the poll's reads)
READ_PREFIXES = ("Get", "List", "Describe", "Head")


def is_read(operation: str) -> bool:
    """Whether an API operation only reads (Get*, List*, Describe*, Head*)."""
    return operation.startswith(READ_PREFIXES)


@dataclass(frozen=True)
class Call:
    """One AWS API call: service and operation as botocore names them, the region, and the exact
    parameters (boto3's names; `NEW_VERSION` where the uploaded version's id goes). `body` is
    the bytes of an upload (public certificates; `params["Body"]` describes it), `undo` the
    calls that put back what this one changed, once it succeeded."""

    service: str
    operation: str
    region: str | None
    params: Mapping[str, Any]
    why: str
    body: bytes | None = field(default=None, repr=False, metadata={"report": False})
    undo: tuple[Call, ...] = ()

    @property
    def method(self) -> str:
        """The boto3 client method (`UpdateDomainName` -> `update_domain_name`)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation).lower()

    @property
    def name(self) -> str:
        """`apigateway.UpdateDomainName`."""
        return f"{self.service}.{self.operation}"

    @property
    def writes(self) -> bool:
        """Whether the call changes something in AWS."""
        return not is_read(self.operation)


@dataclass(frozen=True)
class CertRef:
    """A certificate of a bundle diff, by subject and SHA-256 fingerprint, and why it is added
    or removed (the lint's finding id, or the file given with `--add-ca`)."""

    subject: str
    sha256_fingerprint: str
    reason: str = ""


@dataclass(frozen=True)
class BundleDiff:
    """What changes in the truststore: certificates added and removed, how many are kept, and
    whether the new bundle puts them in another order (roots first)."""

    added: tuple[CertRef, ...] = ()
    removed: tuple[CertRef, ...] = ()
    kept: int = 0
    reordered: bool = False
    #: the bundles compared (`s3://...?versionId=...`, `the corrected bundle`)
    before: str = ""
    after: str = ""


@dataclass(frozen=True)
class Preflight:
    """One pre-flight result: `pass`, `warn` (applies, but look), `fail` or `unknown` (a fact
    could not be collected: never a pass); the last two refuse `--apply` without `--force`."""

    name: str
    status: str
    detail: str

    @property
    def blocks(self) -> bool:
        """Whether this result refuses `--apply` (unless `--force`)."""
        return self.status in ("fail", "unknown")


@dataclass(frozen=True)
class Rollback:
    """How to undo the plan: the settings it replaces (the previous truststore version, the
    previous stage settings, ...) and the calls that restore them."""

    previous: Mapping[str, Any]
    calls: tuple[Call, ...]
    note: str = ""


@dataclass(frozen=True)
class Plan:
    """One fix: the findings it addresses (`ID key` strings, see `finding_key`), the calls in
    order, the bundle diff (truststore plans), the pre-flight results and the rollback."""

    id: str
    kind: str
    title: str
    addresses: tuple[str, ...]
    calls: tuple[Call, ...]
    preflight: tuple[Preflight, ...]
    rollback: Rollback
    diff: BundleDiff | None = None
    notes: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether every pre-flight result lets the plan be applied."""
        return not any(p.blocks for p in self.preflight)


@dataclass(frozen=True)
class StepResult:
    """How one call went when the plan was carried out (or rolled back)."""

    plan: str
    call: str
    status: str  # ok | failed | skipped
    detail: str = ""


@dataclass(frozen=True)
class Outcome:
    """What `--apply` (or `--rollback`) did: each call, the truststore warnings API Gateway
    returned, the re-check (findings gone and still there), the rollback if there was one, and
    the journal's run id (for `--rollback RUN_ID`)."""

    run_id: str
    steps: tuple[StepResult, ...]
    ok: bool
    truststore_warnings: tuple[str, ...] = ()
    gone: tuple[str, ...] = ()
    still: tuple[str, ...] = ()
    rolled_back: tuple[StepResult, ...] = ()
    rollback_command: str = ""
    journal: str = ""
    message: str = ""


@dataclass(frozen=True)
class FixPlan:
    """The `plan` payload of `fix`: the domain, each plan, the findings no plan fixes (and
    why), and, after `--apply` or `--rollback`, what happened."""

    domain: str
    region: str | None
    api_type: str | None
    plans: tuple[Plan, ...]
    not_planned: tuple[str, ...] = ()
    applied: bool = False
    outcome: Outcome | None = None

    @property
    def ready(self) -> bool:
        """Whether every plan passes its pre-flight."""
        return all(p.ready for p in self.plans)


def finding_key(finding_id: str, evidence: Mapping[str, Any]) -> str:
    """A finding as a plan addresses it and the re-check looks for it again: its id, and the
    API and stage (or certificate) it is about."""
    parts = [finding_id]
    for name in ("api_id", "stage", "sha256_fingerprint"):
        value = evidence.get(name)
        if isinstance(value, str) and value:
            parts.append(value)
    return " ".join(parts)
