"""Carrying plans out: each call sent once, in order, journalled; an upload waited for until S3
serves the new version; a domain update paced to the UpdateDomainName quota and polled until the
domain is AVAILABLE, its truststore warnings read. The first failure stops the run; `rollback`
undoes what succeeded, newest first."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mtls_doctor.apply import journal
from mtls_doctor.apply.plan import NEW_VERSION, Call, FixPlan, StepResult
from mtls_doctor.aws.calls import Aws
from mtls_doctor.aws.writes import domain_state, perform, version_exists
from mtls_doctor.shell.aws import UPDATE_DOMAIN_NAME_INTERVAL

#: domain statuses an update passes through on its way to AVAILABLE (None: not reported yet;
#: never taken for AVAILABLE)
_SETTLING = {"UPDATING", "PENDING", None}


@dataclass(frozen=True)
class Pacing:
    """How long to wait: between two UpdateDomainName calls of the account (API Gateway's quota
    is 1 every 30 s), between polls of the domain's status, and how many times to ask S3 for a
    new version. Tests shrink them."""

    update_interval: float = float(UPDATE_DOMAIN_NAME_INTERVAL)
    poll_interval: float = 2.0
    version_tries: int = 10


@dataclass
class Run:
    """One `--apply` (or `--rollback`) run: the calls, the journal, what has been done."""

    aws: Aws
    domain: str
    region: str | None
    api_type: str
    domain_name_id: str | None
    run_id: str
    pacing: Pacing = field(default_factory=Pacing)
    journal_file: Path | None = None
    rollback_of: str | None = None
    progress: Callable[[str], None] | None = None
    steps: list[StepResult] = field(default_factory=list)
    #: the calls that succeeded (with their plan), every value filled in (their undo too)
    done: list[tuple[str, Call]] = field(default_factory=list)
    warnings: tuple[str, ...] = ()
    new_version: str | None = None
    _last_update: float | None = None

    # --- one call ---------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    def send(self, plan: str, call: Call) -> bool:
        """Send one call (values filled in), journal it, and wait for what it starts."""
        call = fill(call, self.new_version)
        if call.operation == "UpdateDomainName" and not self.pace():
            return self.failed(plan, call, "the --timeout leaves no time to wait for the "
                               "UpdateDomainName quota (1 request every "
                               f"{self.pacing.update_interval:g} s per account)")
        params = dict(call.params)
        if call.body is not None:
            params["Body"] = call.body
        self.say(f"{call.name} ({call.why})")
        answer, attempt = perform(self.aws, call.service, call.region, call.operation,
                                  call.method, params, write=call.writes)
        if call.operation == "UpdateDomainName":
            self._last_update = time.time()
        if answer is None:
            return self.failed(plan, call, attempt.describe())
        detail = ""
        if call.operation == "PutObject":
            version = answer.get("VersionId")
            if not isinstance(version, str) or not version or version == "null":
                call = replace(call, undo=())  # no version id: no version to delete either
                self.record(plan, call, "ok", "uploaded, but S3 gave no version id")
                self.done.append((plan, call))
                self.steps.append(StepResult(plan, call.name, "failed", "S3 gave the upload no "
                                             "version id (versioning off?): nothing to pin"))
                return False
            self.new_version = version
            call = fill(call, version)
            detail = f"version {version}"
        self.record(plan, call, "ok", detail)
        self.done.append((plan, call))
        if call.operation == "PutObject":
            return self.wait_for_version(plan, call)
        if call.operation == "UpdateDomainName":
            return self.wait_until_available(plan)
        return True

    def record(self, plan: str, call: Call, status: str, detail: str) -> None:
        self.steps.append(StepResult(plan, call.name, status, detail))
        entry: dict[str, Any] = {"run": self.run_id, "domain": self.domain, "plan": plan,
                                 "call": journal.call_record(call), "status": status,
                                 "detail": detail}
        if self.rollback_of:
            entry["rollback_of"] = self.rollback_of
        if call.operation == "PutObject" and self.new_version:
            entry["version_id"] = self.new_version
        journal.append(entry, self.journal_file)

    def failed(self, plan: str, call: Call, why: str) -> bool:
        self.record(plan, call, "failed", why)
        return False

    # --- waits ----------------------------------------------------------------------------------
    def pace(self) -> bool:
        """Wait out the UpdateDomainName quota (this run's last update, or the journal's)."""
        last = self._last_update
        if last is None:
            last = journal.last_domain_update(self.journal_file)
        if last is None:
            return True
        wait = last + self.pacing.update_interval - time.time()
        if wait <= 0:
            return True
        if wait > self.aws.deadline.left():
            return False
        self.say(f"waiting {wait:.0f} s for the UpdateDomainName quota")
        return not self.aws.deadline.wait(wait)

    def wait_for_version(self, plan: str, call: Call) -> bool:
        params = call.params
        for _ in range(max(1, self.pacing.version_tries)):
            attempt = version_exists(self.aws, call.region, str(params["Bucket"]),
                                     str(params["Key"]), str(self.new_version))
            if attempt.answered and not attempt.failed and attempt.status.value == "ok":
                self.steps.append(StepResult(plan, "s3.HeadObject", "ok",
                                             f"S3 serves version {self.new_version}"))
                return True
            if self.aws.deadline.wait(self.pacing.poll_interval) or self.aws.deadline.expired:
                break
        self.steps.append(StepResult(plan, "s3.HeadObject", "failed",
                                     f"S3 does not serve version {self.new_version} yet"))
        return False

    def wait_until_available(self, plan: str) -> bool:
        last = "never answered"
        while True:
            state, attempt = domain_state(self.aws, self.region, self.api_type, self.domain,
                                          self.domain_name_id)
            if state is not None:
                last = f"status {state.status or 'not reported'}"
                if state.status == "AVAILABLE":
                    self.warnings = state.warnings
                    self.steps.append(StepResult(plan, f"{attempt.call}", "ok",
                                                 "AVAILABLE" + (f"; truststoreWarnings: "
                                                                f"{len(state.warnings)}"
                                                                if state.warnings else "")))
                    return True
                if state.status not in _SETTLING:
                    break
            else:
                last = attempt.describe()
            if self.aws.deadline.wait(self.pacing.poll_interval) or self.aws.deadline.expired:
                last += " when the --timeout ran out"
                break
        self.steps.append(StepResult(plan, "GetDomainName", "failed",
                                     f"the domain is not AVAILABLE: {last}"))
        return False

    # --- plans and rollback ---------------------------------------------------------------------
    def carry_out(self, fix: FixPlan) -> bool:
        """Every call of every plan, in order; False at the first failure."""
        for plan in fix.plans:
            for call in plan.calls:
                if not self.send(plan.id, call):
                    return False
        return True

    def undo(self, done: Sequence[tuple[str, Call]]) -> bool:
        """The undo calls of what was done, newest first; goes on past a failure (each undo
        that can be made is made) and says whether all went."""
        ok = True
        for plan, call in reversed(done):
            for u in call.undo:
                ok = self.send(plan, u) and ok
        return ok


def fill(call: Call, version: str | None) -> Call:
    """The call with `NEW_VERSION` replaced by the uploaded version's id (its undo too)."""
    if version is None:
        return call
    return replace(call, params=_fill(call.params, version),
                   undo=tuple(fill(u, version) for u in call.undo))


def _fill(value: Any, version: str) -> Any:
    if isinstance(value, str):
        return version if value == NEW_VERSION else value
    if isinstance(value, Mapping):
        return {k: _fill(v, version) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fill(v, version) for v in value]
    return value
