"""The plans a domain's diagnosis calls for: a corrected truststore uploaded as a new version and
pinned, the newest version pinned (stale / unpinned), each mapped API's default execute-api
endpoint turned off and its stages redeployed, each routed stage's access log turned on with a
format that carries the client certificate. Reads AWS only for what a plan needs (the bucket's
encryption, the newest version's bytes, the account's CloudWatch Logs role)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mtls_doctor.apply import calls
from mtls_doctor.apply.bundle import compare, correct
from mtls_doctor.apply.plan import (
    KINDS,
    NEW_VERSION,
    Call,
    FixPlan,
    Plan,
    Preflight,
    Rollback,
    finding_key,
)
from mtls_doctor.apply.preflight import KnownClient, client_results, lint_result
from mtls_doctor.aws.calls import Aws
from mtls_doctor.aws.findings import Ctx, s3_uri
from mtls_doctor.aws.findings_served import _log_group, recommended_log_format
from mtls_doctor.aws.writes import bucket_encryption, cloudwatch_role, read_version
from mtls_doctor.commands.domain import truststore_name
from mtls_doctor.model.domain import DomainFacts, TruststoreObject
from mtls_doctor.model.finding import Finding, Severity
from mtls_doctor.pki.load import LoadedFile, load_certificates

#: the findings a pin of the newest version clears
PIN_IDS = ("DOMAIN_TRUSTSTORE_STALE", "DOMAIN_TRUSTSTORE_UNPINNED")
LOG_IDS = ("DOMAIN_ACCESS_LOGS_MISSING", "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE")


@dataclass(frozen=True)
class Inputs:
    """What the user gave beyond the domain: CA files to add, known clients, which kinds of
    plan to make, the evaluation instant."""

    at: datetime
    warn_days: int = 30
    add_ca: tuple[LoadedFile, ...] = ()
    clients: tuple[KnownClient, ...] = ()
    kinds: tuple[str, ...] = KINDS


class _Unread(Exception):
    """A version a plan needs could not be read."""


@dataclass
class _Build:
    facts: DomainFacts
    findings: Sequence[Finding]
    inputs: Inputs
    aws: Aws | None

    @property
    def region(self) -> str | None:
        return self.facts.region

    def keys(self, ids: Sequence[str]) -> tuple[str, ...]:
        return tuple(finding_key(f.id, f.evidence) for f in self.findings if f.id in ids)

    def encryption(self, bucket: str) -> tuple[dict[str, object], Preflight]:
        if self.aws is None:
            return {}, Preflight("bucket encryption", "unknown",
                                 "not read (the facts come from a snapshot)")
        enc, attempt = bucket_encryption(self.aws, self.region, bucket)
        if enc is None:
            return {}, Preflight("bucket encryption", "unknown",
                                 f"could not read it: {attempt.describe()}")
        return dict(enc.params), Preflight("bucket encryption", "pass",
                                           f"the upload carries it: {enc.text}")

    def previous_pin(self, ts: TruststoreObject, why: str) -> tuple[Call, str]:
        """The call that puts the domain back on the version it uses now, and a note."""
        configured = ts.configured_version
        if configured:
            return calls.pin(self.facts, configured, why), ""
        if not calls.is_rest(self.facts):
            return (calls.pin(self.facts, None, why),
                    "The domain named no version: rolling back names none again.")
        return (calls.pin(self.facts, ts.latest_version, why),
                f"The domain named no version: rolling back pins {ts.latest_version}, the "
                "latest when this plan was made (what an update without a version read).")

    # --- a corrected truststore ----------------------------------------------------------------
    def newest(self, ts: TruststoreObject) -> LoadedFile | None:
        """The content of the key's newest version when the domain uses an older one (what the
        user uploaded last, which a correction must start from), else None; raises `_Unread`
        when it could not be read."""
        latest = ts.latest_version
        if not ts.configured_version or not latest or latest == ts.configured_version \
                or ts.latest_delete_marker:
            return None
        name = s3_uri(ts.bucket, ts.key, latest)
        if self.aws is None:
            raise _Unread(f"{name} was not read (the facts come from a snapshot)")
        data, attempt = read_version(self.aws, self.region, ts.bucket, ts.key, latest)
        if data is None:
            raise _Unread(f"could not read {name}: {attempt.describe()}")
        return load_certificates(data, name, pkcs12_problems=True)

    def truststore(self) -> Plan | None:
        f = self.facts
        ts = f.truststore_object
        if f.mtls is None or ts is None or ts.content is None:
            return None
        live = load_certificates(ts.content, truststore_name(ts), pkcs12_problems=True)
        fixed = correct(live, self.inputs.add_ca, self.inputs.at)
        if not fixed.diff.added and not fixed.diff.removed:
            return None  # the version in use needs no correction
        try:
            newest = self.newest(ts)
        except _Unread:
            # a correction of the version in use would drop what the newest adds; the pin of
            # the newest (its own plan) says what could not be read
            return None
        if newest is not None:
            # a stale domain: the correction starts from the newest version, never from the
            # older one in use (uploading that would leave out what was uploaded since)
            fixed = correct(newest, self.inputs.add_ca, self.inputs.at)
            if not fixed.diff.added and not fixed.diff.removed:
                return None  # the newest needs none: pinning it is the plan
        new = load_certificates(fixed.pem, "the corrected bundle")
        # the entries the correction drops, and what the domain stops trusting: the findings
        # about the version in use it clears
        removed = {r.sha256_fingerprint for r in (
            *fixed.diff.removed, *compare(live, new, self.inputs.at).removed)}
        addresses = tuple(
            finding_key(x.id, x.evidence) for x in self.findings
            if x.evidence.get("sha256_fingerprint") in removed) + self.keys(PIN_IDS)
        enc, enc_check = self.encryption(ts.bucket)
        versioned = ts.versioning == "Enabled"
        checks = [Preflight("bucket versioning", "pass" if versioned else "fail",
                            "Enabled: the upload gets a version id to pin" if versioned else
                            f"{ts.versioning}: an upload would get no version id to pin; turn "
                            "versioning on first"),
                  enc_check, lint_result(new, self.inputs.at, self.inputs.warn_days),
                  *client_results(self.inputs.clients, live, new, self.inputs.at)]
        digest = hashlib.sha256(fixed.pem).hexdigest()
        back, note = self.previous_pin(ts, "put the domain back on the version it used")
        put = calls.upload(self.region, ts.bucket, ts.key, fixed.pem, digest, enc,
                           "upload the corrected bundle as a new version")
        update = calls.pin(f, NEW_VERSION, "pin the new version on the domain",
                           undo=(back,))
        base = (f"The correction starts from the newest version, {ts.latest_version} (the "
                f"diff is against it): the domain still uses {ts.configured_version}, and "
                "correcting that one would leave out what was uploaded since.",) \
            if newest is not None else ()
        return Plan(
            "truststore", "truststore",
            f"upload a corrected truststore to {s3_uri(ts.bucket, ts.key)} and pin it",
            addresses, (put, update), tuple(checks),
            Rollback({"truststore_uri": f.mtls.truststore_uri,
                      "truststore_version": ts.configured_version,
                      "latest_version": ts.latest_version}, (back, *put.undo), note),
            diff=fixed.diff,
            notes=(*base, "After the upload, mtls-doctor waits until S3 serves the new version "
                   "(HeadObject), and after the update until the domain is AVAILABLE "
                   "(GetDomainName), then reads its truststoreWarnings."))

    # --- the newest version pinned ----------------------------------------------------------------
    def pin_latest(self) -> Plan | None:
        f = self.facts
        ts = f.truststore_object
        addresses = self.keys(PIN_IDS)
        if f.mtls is None or ts is None or not addresses or not ts.latest_version:
            return None
        latest = ts.latest_version
        live = load_certificates(ts.content, truststore_name(ts), pkcs12_problems=True) \
            if ts.content is not None else None
        checks: list[Preflight] = []
        target: LoadedFile | None = None
        name = s3_uri(ts.bucket, ts.key, latest)
        if ts.configured_version is None:
            target = live  # an unpinned domain's content was read at the latest version
        elif self.aws is None:
            checks.append(Preflight("read the newest version", "unknown",
                                    "not read (the facts come from a snapshot)"))
        else:
            data, attempt = read_version(self.aws, self.region, ts.bucket, ts.key, latest)
            if data is None:
                checks.append(Preflight("read the newest version", "unknown",
                                        f"could not read {name}: {attempt.describe()}"))
            else:
                target = load_certificates(data, name, pkcs12_problems=True)
        diff = None
        if target is not None:
            checks.append(lint_result(target, self.inputs.at, self.inputs.warn_days))
            checks += client_results(self.inputs.clients, live, target, self.inputs.at)
            if live is not None and ts.configured_version is not None:
                diff = compare(live, target, self.inputs.at)
        back, note = self.previous_pin(ts, "put the domain back on the version it used")
        update = calls.pin(f, latest, f"pin version {latest} on the domain", undo=(back,))
        return Plan(
            "pin", "pin", f"pin truststore version {latest} (the newest) on {f.name}",
            addresses, (update,), tuple(checks),
            Rollback({"truststore_uri": f.mtls.truststore_uri,
                      "truststore_version": ts.configured_version}, (back,), note),
            diff=diff)

    # --- the default execute-api endpoints --------------------------------------------------------
    def execute_api(self) -> list[Plan]:
        out = []
        for x in self.findings:
            if x.id != "DOMAIN_EXECUTE_API_ENABLED":
                continue
            api_id = str(x.evidence.get("api_id") or "")
            api_type = str(x.evidence.get("api_type") or "rest")
            rest = api_type == "rest"
            stages = sorted({str(s) for group in ("mappings", "routing_rules")
                             for m in x.evidence.get(group) or () if (s := m.get("stage"))})
            auto = {s.stage for s in self.facts.stages if s.api_id == api_id and s.auto_deploy}
            deploy = [s for s in stages if rest or s not in auto]
            redeploy = tuple(calls.deploy(rest, api_id, s, self.region,
                                          f"redeploy stage {s} so that it takes effect")
                             for s in deploy)
            enable = calls.execute_api(rest, api_id, False, self.region,
                                       "turn the default endpoint back on")
            off = calls.execute_api(rest, api_id, True, self.region,
                                    "turn the default endpoint off", undo=(enable, *redeploy))
            checks = [Preflight("callers of the default endpoint", "warn",
                                f"{x.evidence.get('execute_api_endpoint')} answers 403 from now "
                                "on: clients must come in through the custom domain")]
            if rest and not stages:
                checks.append(Preflight("stages to redeploy", "unknown",
                                        "no routed stage is known: the change would not take "
                                        "effect until a redeployment"))
            out.append(Plan(
                f"execute-api:{api_id}", "execute-api",
                f"turn off the default execute-api endpoint of {api_id}"
                + (f" and redeploy {', '.join(deploy)}" if deploy else ""),
                (finding_key(x.id, x.evidence),), (off, *redeploy), tuple(checks),
                Rollback({"api_id": api_id, "disable_execute_api_endpoint": False},
                         (enable, *redeploy))))
        return out

    # --- access logs ---------------------------------------------------------------------------------
    def access_logs(self) -> list[Plan]:
        out = []
        account = Ctx(self.facts, self.inputs.at, 0).account
        role: tuple[str | None, str] | None = None
        for x in self.findings:
            if x.id not in LOG_IDS:
                continue
            ev = x.evidence
            api_id, stage = str(ev.get("api_id") or ""), str(ev.get("stage") or "")
            api_type = str(ev.get("api_type") or "rest")
            rest = api_type == "rest"
            before_dest = ev.get("access_log_destination") or None
            before_fmt = ev.get("access_log_format") or None
            fmt = recommended_log_format(api_type)
            checks: list[Preflight] = []
            plan_calls: list[Call] = []
            destination = before_dest
            if destination is None:
                group = _log_group(api_id, stage)
                destination = f"arn:aws:logs:{self.region}:{account}:log-group:{group}"
                if not account.isdigit():
                    checks.append(Preflight("account id", "unknown",
                                            "the account id is not known: the log group's ARN "
                                            "cannot be written"))
                plan_calls.append(calls.log_group(group, self.region,
                                                  "create the log group for the stage"))
            if rest:
                if role is None:
                    role = self.role()
                arn, why = role
                checks.append(Preflight("account's CloudWatch Logs role",
                                        "pass" if arn else ("fail" if arn == "" else "unknown"),
                                        why))
            undo = calls.access_log(rest, api_id, stage, before_dest, before_fmt, self.region,
                                    "put the stage's access log settings back")
            plan_calls.append(calls.access_log(rest, api_id, stage, destination, fmt,
                                               self.region, "log the stage's requests with the "
                                               "client certificate and the error message",
                                               undo=(undo,)))
            out.append(Plan(
                f"access-log:{api_id}/{stage}", "access-log",
                f"log access of stage {stage} of {api_id} with the client certificate",
                (finding_key(x.id, ev),), tuple(plan_calls), tuple(checks),
                Rollback({"api_id": api_id, "stage": stage, "destination": before_dest,
                          "format": before_fmt}, (undo,),
                         "A log group this plan creates stays: it may hold logs by then."
                         if before_dest is None else "")))
        return out

    def role(self) -> tuple[str | None, str]:
        """(the role ARN, "" when none is set, None when unknown; what was seen)."""
        if self.aws is None:
            return None, "not read (the facts come from a snapshot)"
        arn, attempt = cloudwatch_role(self.aws, self.region)
        if arn is None:
            return None, f"could not read it: {attempt.describe()}"
        if not arn:
            return "", ("none is set in this region: REST APIs cannot write logs until one "
                        "is (aws apigateway update-account)")
        return arn, f"set: {arn}"


def build_plans(facts: DomainFacts, findings: Sequence[Finding], inputs: Inputs,
                aws: Aws | None) -> FixPlan:
    """Every plan the findings call for, of the kinds asked for, and the findings no plan
    fixes."""
    b = _Build(facts, findings, inputs, aws)
    plans: list[Plan] = []
    if "truststore" in inputs.kinds:
        plan = b.truststore()
        if plan is not None:
            plans.append(plan)
    if "pin" in inputs.kinds and not plans:
        plan = b.pin_latest()
        if plan is not None:
            plans.append(plan)
    if "execute-api" in inputs.kinds:
        plans += b.execute_api()
    if "access-log" in inputs.kinds:
        plans += b.access_logs()
    addressed = {k for p in plans for k in p.addresses}
    not_planned = tuple(dict.fromkeys(
        x.id for x in findings if x.severity is not Severity.INFO
        and finding_key(x.id, x.evidence) not in addressed))
    return FixPlan(facts.name, facts.region, facts.api_type, tuple(plans), not_planned)
