"""Which accounts a scan reads, and credentials for each: the caller's own account, the roles
given with --role-arn (assumed with STS, with an external id when given), or a role of the same
name assumed in every active account of the AWS Organization (--organization-role). An account
that cannot be reached is a result with the attempt that says why, never the end of the scan."""

from __future__ import annotations

import re
from typing import Any

from mtls_doctor.aws.calls import require
from mtls_doctor.aws.fleet import SESSION_NAME, FleetAws
from mtls_doctor.fleet.model import AccountResult
from mtls_doctor.model.evidence import Attempt, Status

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,512}$")
#: how long assumed credentials last: a scan never needs more (the deadline is at most 300 s)
DURATION = 900


def role_account(arn: str) -> str | None:
    """The account id of a role ARN, None when it is not one."""
    m = _ROLE_ARN.match(arn.strip())
    return m.group(1) if m else None


def valid_role_arn(arn: str) -> bool:
    """A syntactically valid IAM role ARN (`--role-arn`)."""
    return role_account(arn) is not None


def valid_role_name(name: str) -> bool:
    """A syntactically valid IAM role name or path/name (`--organization-role`)."""
    return bool(_ROLE_NAME.match(name))


def _sts_region(base: FleetAws) -> str:
    return base.default_region or "us-east-1"


def caller(base: FleetAws) -> tuple[AccountResult, FleetAws | None]:
    """The caller's own account (sts:GetCallerIdentity needs no permission)."""
    if not base.has_credentials():
        why = base.record(Attempt("credentials", Status.NO_CREDENTIALS,
                                  "boto3 found none (profile, environment, SSO, instance role)",
                                  "", "NoCredentials", base.default_region))
        return AccountResult("(caller)", None, "caller", why), None
    got, attempt = base.attempt("sts", _sts_region(base), "GetCallerIdentity",
                                "sts:GetCallerIdentity",
                                lambda c: require(c.get_caller_identity(), "Account"))
    if got is None:
        return AccountResult("(caller)", None, "caller", attempt), None
    account = str(got["Account"])
    return AccountResult(account, account, "caller", attempt), base


def assume(base: FleetAws, role_arn: str, external_id: str | None, source: str = "role",
           name: str | None = None) -> tuple[AccountResult, FleetAws | None]:
    """Assume `role_arn` with the caller's credentials: the account's own `FleetAws`, or None
    with the attempt that says why not (denied, throttled, ...)."""
    account = role_account(role_arn)
    label = account or role_arn
    extra: dict[str, Any] = {"ExternalId": external_id} if external_id else {}

    def call(c: Any) -> dict[str, Any]:
        answer = require(c.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME,
                                       DurationSeconds=DURATION, **extra), "Credentials")
        return require(answer["Credentials"], "AccessKeyId", "SecretAccessKey")

    if not base.has_credentials():
        why = Attempt("sts.AssumeRole", Status.NO_CREDENTIALS, "boto3 found no credentials to "
                      "assume the role with", "sts:AssumeRole", "NoCredentials")
        return AccountResult(label, account, source, base.record(why), role_arn, name), None
    creds, attempt = base.attempt("sts", _sts_region(base), "AssumeRole", "sts:AssumeRole", call)
    if creds is None:
        return AccountResult(label, account, source, attempt, role_arn, name), None
    aws = FleetAws.assumed(creds, base.default_region, base.deadline)
    return AccountResult(label, account, source, attempt, role_arn, name), aws


def organization(base: FleetAws, role_name: str
                 ) -> tuple[list[tuple[str, str | None]], Attempt]:
    """The role ARN to assume in every ACTIVE account of the caller's organization (the
    caller's own account included: the role is assumed there too), or none and why."""
    def listing(c: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in c.get_paginator("list_accounts").paginate():
            out.extend(require(page, "Accounts")["Accounts"])
        return out

    accounts, attempt = base.attempt("organizations", _sts_region(base), "ListAccounts",
                                     "organizations:ListAccounts", listing)
    if accounts is None:
        return [], attempt
    path = role_name.strip("/")
    roles = []
    for a in accounts:
        account_id = str(a.get("Id", ""))
        if not re.fullmatch(r"\d{12}", account_id) or a.get("Status", "ACTIVE") != "ACTIVE":
            continue
        name = a.get("Name")
        roles.append((f"arn:aws:iam::{account_id}:role/{path}",
                      str(name) if isinstance(name, str) else None))
    return roles, attempt
