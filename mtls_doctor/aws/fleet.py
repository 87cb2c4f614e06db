"""The AWS calls of a fleet scan (boto3 stays under aws/): one `Aws` per account (the caller's
profile, or an assumed role's session) with adaptive retries, and one view of it per domain
that shares its session and clients (so one client-side rate limiter per account, region and
service paces every domain) while keeping its own record of attempts (so each domain's facts
hold only its own calls)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.config import Config

from mtls_doctor.aws.calls import Aws, new_session, wait_for
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.evidence import Attempt, Status

T = TypeVar("T")

#: the session name an assumed role carries in CloudTrail
SESSION_NAME = "mtls-doctor-scan"


class FleetAws(Aws):
    """`Aws` with botocore's adaptive retry mode (client-side rate limiting that backs off when
    AWS throttles) and per-domain views (`view`)."""

    def _config(self, attempts: int) -> Config:
        base = super()._config(attempts)
        return base.merge(Config(retries={"mode": "adaptive", "total_max_attempts": attempts}))

    @classmethod
    def assumed(cls, credentials: dict[str, Any], region: str | None,
                deadline: Deadline) -> FleetAws:
        """An account reached through sts:AssumeRole (`credentials` as STS answers them)."""
        session = new_session()
        session.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                credentials.get("SessionToken"))
        if region:
            session.set_config_variable("region", region)
        return cls(None, deadline, session)

    def view(self) -> FleetAws:
        """The same session, clients and deadline, with its own record of attempts and calls
        in flight: every other list, dict or lock of `Aws` starts afresh in the view, so that
        ending one domain's calls (`settle`) never touches another's."""
        twin = copy.copy(self)
        for name, value in vars(self).items():
            if name in _SHARED:
                continue
            if isinstance(value, list | dict | set):
                setattr(twin, name, type(value)())
            elif isinstance(value, _LOCK):
                setattr(twin, name, threading.Lock())
        return twin


#: what the views of one account share with it: the session, its lock and the clients
_SHARED = frozenset({"session", "deadline", "_session_lock", "_clients", "_client_locks",
                     "_credentials_found"})
_LOCK = type(threading.Lock())


@dataclass(frozen=True)
class Listed:
    """One custom domain as its region's GetDomainNames listings gave it (the fleet scan): each
    API's item (None: that API's listing does not hold it) and how each listing went. An item
    has GetDomainName's shape (botocore's models: both answer the DomainName structure), so a
    domain listed is read from its item, not asked for again; an API whose listing failed is
    asked (`aws.collect`)."""

    rest: dict[str, Any] | None
    http: dict[str, Any] | None
    rest_attempt: Attempt
    http_attempt: Attempt


class Listings:
    """The listings of one account that every domain in a region would make alike (ACM's
    certificates, the region's APIs, a truststore bucket's versioning and its truststores'
    versions), made once per scan and given to each domain that asks.

    The first domain to ask makes the call through its own `Aws` view (so its record holds
    the attempt); every other domain waits for that answer and records the same attempt as its
    own. A listing that failed is that failed attempt for every domain that needed it, never
    an empty list, and is not asked again (one attempt, with botocore's retries, per scan)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str, str, str], Future[tuple[Any, Attempt]]] = {}
        self._keys: dict[tuple[str, str], set[str]] = {}

    def expect_truststores(self, region: str, where: Iterable[tuple[str, str]]) -> None:
        """The (bucket, key) of the truststores of a region's domains, told before any of them
        is read: their versions are then listed once per bucket (`truststore_keys`)."""
        with self._lock:
            for bucket, key in where:
                self._keys.setdefault((region, bucket), set()).add(key)

    def truststore_keys(self, region: str, bucket: str) -> tuple[str, ...]:
        """The keys of the region's truststores in `bucket`, sorted (empty: none was told)."""
        with self._lock:
            return tuple(sorted(self._keys.get((region, bucket), ())))

    def get(self, aws: Aws, service: str, region: str, operation: str, action: str,
            call: Callable[[], tuple[T | None, Attempt]], tag: str = "", *,
            record: bool = True) -> tuple[T | None, Attempt]:
        """`call()` (an `aws.attempt` of `service`.`operation` in `region`) made once: its
        answer and attempt, recorded in `aws` whichever domain made it. `tag` tells apart the
        calls of one operation that ask about different things (a bucket). Not to `record`:
        `call` is an `aws.quietly`, and the caller records the attempt if it uses the answer."""
        key = (service, region, operation, tag)
        with self._lock:
            future = self._calls.get(key)
            mine = future is None
            if future is None:
                future = self._calls[key] = Future()
        if mine:
            try:
                got = call()
            except BaseException as exc:  # never leave the other domains waiting
                future.set_exception(exc)
                raise
            future.set_result(got)
            return got
        # in flight in this domain's record too, so that a deadline names it here as well
        mark = aws.expect(f"{service}.{operation}", action, region) if record else None

        def keep(attempt: Attempt) -> Attempt:
            return aws.arrived(mark, attempt) if mark is not None else attempt

        try:
            answer, attempt = wait_for(future, aws.deadline)
        except TimeoutError:  # the call that makes it is bound by the deadline too
            cancelled = aws.deadline.cancelled
            return None, keep(Attempt(
                f"{service}.{operation}", Status.CANCELLED if cancelled else Status.TIMED_OUT,
                "the run was cancelled" if cancelled else "no answer before the --timeout of "
                f"{aws.deadline.seconds:g} s ran out", action, "" if cancelled else "Timeout",
                region))
        kept = keep(attempt)  # cut short by `settle` meanwhile: that record stands
        return (answer if kept.status is attempt.status else None), kept
