"""What every part of the AWS reading shares: the calls (`Aws`), the domain name, the record of
each fact the checks need (`evidence`), and a wait bounded by the command's deadline."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mtls_doctor.aws.calls import Aws, Early, wait_for
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
    #: calls started before they were known to be needed (`prefetch`), until one is taken
    early: dict[tuple[str, str, str, str], Early[Any]] = field(default_factory=dict)

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

    def prefetch(self, service: str, region: str, operation: str, action: str,
                 fn: Callable[[Any], Any], tag: str = "") -> None:
        """Start a call that needs only what is already known (the domain's name) before it is
        known to be needed; `call` with the same service, region, operation and `tag` (what
        else tells its request apart) takes it. One never taken is in no record."""
        self.early[service, region, operation, tag] = self.aws.prefetch(
            service, region, operation, action, fn)

    def call(self, service: str, region: str, operation: str, action: str,
             fn: Callable[[Any], T], tag: str = "") -> tuple[T | None, Attempt]:
        """`aws.attempt`, or the same call taken from `prefetch` when it was started early
        (`fn` must then make the very request the prefetched one made: the key says which)."""
        early = self.early.pop((service, region, operation, tag), None)
        if early is not None:
            got: tuple[T | None, Attempt] = self.aws.take(early)
            return got
        return self.aws.attempt(service, region, operation, action, fn)
