"""The scan's own findings: an account that could not be reached, an account/region whose
domains could not be listed, a domain the deadline left unread. Each is an AWS_* finding of that
account or region (the same ids as `domain`'s failed calls), so the rest of the scan goes on and
nothing is reported as "no domains" or as passed."""

from __future__ import annotations

from mtls_doctor.fleet.model import AccountResult, Discovered, RegionResult
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.shell.aws import aws, caller_identity, enabled_regions, opt, simulate_principal_policy
from mtls_doctor.shell.core import render_all

_IDS = {Status.DENIED: "AWS_ACCESS_DENIED", Status.NO_CREDENTIALS: "AWS_NO_CREDENTIALS",
        Status.THROTTLED: "AWS_THROTTLED", Status.UNREACHABLE: "AWS_UNREACHABLE",
        Status.TIMED_OUT: "AWS_UNREACHABLE", Status.CANCELLED: "AWS_UNREACHABLE",
        Status.REGION_NOT_ENABLED: "AWS_REGION_NOT_ENABLED"}

_ADVICE = {
    Status.THROTTLED: "AWS throttled the call, after adaptive retries: run the scan again later, "
                      "with fewer regions at once, or with a longer --timeout.",
    Status.UNREACHABLE: "The endpoint could not be reached: check the region, AWS_ENDPOINT_URL, "
                        "proxies and the network.",
    Status.TIMED_OUT: "No answer before the deadline: run again with a longer --timeout.",
    Status.CANCELLED: "The run was cancelled before the answer came.",
    Status.MALFORMED: "AWS answered with something that is not the documented answer (a proxy "
                      "or an endpoint that is not AWS?).",
    Status.ERROR: "See the message; run again, or report it if it persists.",
}


def finding_id(attempt: Attempt) -> str:
    """The AWS_* id of a failed call."""
    return _IDS.get(attempt.status, "AWS_ERROR")


def account_finding(account: AccountResult) -> Finding:
    """The account could not be reached: its domains are unknown."""
    a = account.attempt
    where = f"account {account.label}" + (f" (role {account.role_arn})" if account.role_arn else "")
    detail = (f"{a.call} failed: {a.status.value.replace('_', ' ')}"
              + (f" ({a.reason})" if a.reason else "")
              + ". Nothing was read in this account: its custom domains are unknown (not "
              "absent); the other accounts were scanned.")
    if account.role_arn and a.status is Status.DENIED:
        summary = (f"Let the caller assume {account.role_arn}: the role's trust policy must name "
                   "the caller (and the external id, when one is given), and the caller's own "
                   "policy must allow sts:AssumeRole on it.")
        steps: tuple[str, ...] = ("Read the role's trust policy in the target account (get-role).",
                 "Check that --external-id matches the role's sts:ExternalId condition.")
        role_name = account.role_arn.rsplit(":role/", 1)[-1].rsplit("/", 1)[-1]
        commands = render_all((
            caller_identity(),
            aws("iam", "get-role", *opt("--role-name", role_name),
                query="Role.AssumeRolePolicyDocument"),
            simulate_principal_policy("<caller-arn>", "sts:AssumeRole")))
    elif account.role_arn:
        summary = _ADVICE.get(a.status, _ADVICE[Status.ERROR])
        steps = ()
        commands = render_all((aws("sts", "assume-role", *opt("--role-arn", account.role_arn),
                                   *opt("--role-session-name", "mtls-doctor-scan")),))
    else:
        summary = ("Configure credentials (--profile, AWS_PROFILE, SSO login, environment "
                   "variables)." if a.status is Status.NO_CREDENTIALS
                   else _ADVICE.get(a.status, _ADVICE[Status.ERROR]))
        steps = ()
        commands = render_all((caller_identity(),))
    return make_finding(
        finding_id(a), f"account {account.label} could not be scanned ({a.call}: "
        f"{a.status.value.replace('_', ' ')})", detail, location=where,
        evidence={"account": account.label, "role_arn": account.role_arn, "call": a.call,
                  "action": a.action, "code": a.code, "message": a.reason},
        fix=Fix(summary, steps, commands))


def region_findings(region: RegionResult) -> list[Finding]:
    """One finding per listing of the account/region that did not answer."""
    out = []
    for a in region.attempts:
        if not a.failed:
            continue
        where = f"account {region.account}, region {region.region}"
        if a.status is Status.REGION_NOT_ENABLED:
            out.append(make_finding(
                "AWS_REGION_NOT_ENABLED", f"{region.region} is not enabled for account "
                f"{region.account}", f"{a.call}: {a.reason}. An opt-in region the account has not "
                "enabled holds no custom domains; it was skipped.", location=where,
                evidence={"account": region.account, "region": region.region, "call": a.call},
                fix=Fix("Nothing to do, unless the account should use the region.", (),
                        render_all((enabled_regions(),)))))
            continue
        detail = (f"{a.call} ({a.action}) in {region.region} did not answer: "
                  f"{a.status.value.replace('_', ' ')}" + (f" ({a.reason})" if a.reason else "")
                  + ". The custom domains of this account in this region are unknown (not "
                  "absent); the other regions were scanned.")
        if a.status is Status.DENIED:
            fix = Fix("Grant apigateway:GET on the domain names to the identity the scan uses in "
                      "this account.", (), render_all((
                          caller_identity(),
                          simulate_principal_policy("<principal-arn>", a.action or
                                                    "apigateway:GET"))))
        else:
            fix = Fix(_ADVICE.get(a.status, _ADVICE[Status.ERROR]), (), ())
        out.append(make_finding(
            finding_id(a), f"could not list the custom domains of account {region.account} in "
            f"{region.region} ({a.status.value.replace('_', ' ')})", detail, location=where,
            evidence={"account": region.account, "region": region.region, "call": a.call,
                      "action": a.action, "code": a.code, "message": a.reason},
            fix=fix))
    return out


def unread_finding(where: Discovered, seconds: float) -> Finding:
    """A domain that was listed but not read in full before the deadline."""
    return make_finding(
        "AWS_UNREACHABLE", f"{where.name} was not read before the deadline",
        f"The custom domain {where.name} was listed in {where.region} but its diagnosis did not "
        f"finish before the --timeout of {seconds:g} s: every check of it is unknown.",
        location=f"account {where.account}, region {where.region}, custom domain {where.name}",
        evidence={"account": where.account, "region": where.region, "domain": where.name},
        fix=Fix("Run the scan again with a longer --timeout, or fewer regions or accounts.",
                (), ()))


def organization_finding(attempt: Attempt) -> Finding:
    """The organization's accounts could not be listed."""
    return make_finding(
        finding_id(attempt), f"could not list the organization's accounts ({attempt.call}: "
        f"{attempt.status.value.replace('_', ' ')})",
        f"{attempt.call} failed" + (f": {attempt.reason}" if attempt.reason else "") + ". No "
        "account of the organization was scanned: run from the management account or a "
        "delegated administrator, or name the roles with --role-arn.",
        location="the AWS Organization",
        evidence={"call": attempt.call, "action": attempt.action, "code": attempt.code,
                  "message": attempt.reason},
        fix=Fix("Allow organizations:ListAccounts to the caller, or pass --role-arn for each "
                "account.", (), render_all((caller_identity(),
                                            aws("organizations", "list-accounts")))))
