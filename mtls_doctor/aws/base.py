"""What every part of the AWS reading shares: the calls (`Aws`), the domain name, the record of
each fact the checks need (`evidence`), and a wait bounded by the command's deadline."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TypeVar

from mtls_doctor.aws.calls import Aws, wait_for
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.evidence import Attempt, Status

T = TypeVar("T")


@dataclass
class Collector:
    """One reading of one custom domain: the calls made so far and the facts they collected."""

    aws: Aws
    name: str
    evidence: dict[str, Attempt] = field(default_factory=dict)
    account_id: str | None = None

    @property
    def deadline(self) -> Deadline:
        """The command's one deadline."""
        return self.aws.deadline

    def wait(self, future: Future[T], fact: str) -> T | None:
        """The future's result, or None with `fact` recorded as cut short by the deadline."""
        try:
            return wait_for(future, self.deadline)
        except TimeoutError:
            status = Status.CANCELLED if self.deadline.cancelled else Status.TIMED_OUT
            self.evidence.setdefault(fact, Attempt(
                fact, status, f"not finished before the --timeout of {self.deadline.seconds:g} s"))
            return None
