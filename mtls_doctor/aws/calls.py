"""boto3 clients and one wrapper for every AWS call: every call is an `Attempt` (ok or why not),
bounded by the command's one deadline, so that an AccessDenied, a throttle or a hang on one call
never stops the others and never reads as an answer about the domain."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import boto3
import botocore.exceptions
import botocore.parsers
from botocore.config import Config

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.evidence import Attempt, Status

T = TypeVar("T")

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "UnauthorizedException", "Forbidden", "403", "AllAccessDisabled",
           "KMS.AccessDeniedException", "KMSAccessDeniedException"}
_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
                "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                "RequestExpired", "InvalidToken", "TokenRefreshRequired"}
_NOT_FOUND = {"NotFoundException", "NoSuchKey", "NoSuchVersion", "NoSuchBucket",
              "ResourceNotFoundException", "404", "NotFound"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException",
              "RequestLimitExceeded", "SlowDown", "ThrottledException",
              "ProvisionedThroughputExceededException", "RequestThrottled",
              "RequestThrottledException", "LimitExceededException"}
#: the codes an opt-in region that is not enabled for the account answers with
REGION_DISABLED_CODES = {"UnrecognizedClientException", "InvalidClientTokenId"}
_ACTION_IN_MESSAGE = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")
#: attempts per call (the first and two retries): a throttle must not eat the whole deadline
MAX_ATTEMPTS = 3


def denied_action(message: str, action: str) -> str:
    """The IAM action a denial names (`... not authorized to perform: kms:Decrypt ...`), else the
    action the call needs."""
    m = _ACTION_IN_MESSAGE.search(message or "")
    if m:
        return m.group(1)
    if "kms" in (message or "").lower() and ("decrypt" in message.lower() or "key" in message.lower()):
        return "kms:Decrypt"
    return action


def classify(call: str, action: str, exc: BaseException, region: str | None = None) -> Attempt:
    """An exception from botocore as an attempt that did not answer (or answered not-found)."""
    if isinstance(exc, botocore.exceptions.NoCredentialsError
                  | botocore.exceptions.PartialCredentialsError):
        return Attempt(call, Status.NO_CREDENTIALS, str(exc), action, type(exc).__name__, region)
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return Attempt(call, Status.ERROR, "no region: give --region or set AWS_REGION", action,
                       "NoRegionError", region)
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        http = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(err.get("Code", "")) or str(http or "")
        message = " ".join(str(err.get("Message", "") or exc).split())[:500]
        if code in _DENIED:
            return Attempt(call, Status.DENIED, f"{code}: {message}",
                           denied_action(message, action), code, region)
        if code in _CREDENTIALS:
            status = Status.NO_CREDENTIALS
        elif code in _NOT_FOUND:
            status = Status.NOT_FOUND
        elif code in _THROTTLED or http == 429:
            status = Status.THROTTLED
        else:
            status = Status.ERROR
        return Attempt(call, status, f"{code}: {message}", action, code, region)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError
                  | botocore.exceptions.ConnectTimeoutError
                  | botocore.exceptions.ProxyConnectionError):
        return Attempt(call, Status.UNREACHABLE, str(exc), action, type(exc).__name__, region)
    if isinstance(exc, botocore.exceptions.ReadTimeoutError | TimeoutError):
        return Attempt(call, Status.TIMED_OUT, str(exc) or "no answer in time", action,
                       type(exc).__name__, region)
    if isinstance(exc, botocore.parsers.ResponseParserError | Malformed):
        return Attempt(call, Status.MALFORMED, " ".join(str(exc).split())[:300], action,
                       type(exc).__name__, region)
    return Attempt(call, Status.ERROR, " ".join(str(exc).split())[:300], action,
                   type(exc).__name__, region)


class Malformed(Exception):
    """An answer that lacks what the service model says it always has."""


def require(answer: Any, *keys: str) -> dict[str, Any]:
    """`answer` when it is an object holding every key, else `Malformed`."""
    if not isinstance(answer, dict):
        raise Malformed(f"the answer is a {type(answer).__name__}, not an object")
    missing = [k for k in keys if k not in answer]
    if missing:
        raise Malformed(f"the answer lacks {', '.join(missing)}")
    return answer


def check_profile(profile: str | None) -> None:
    """An unknown `--profile` is bad input (exit 2), found before anything runs."""
    if not profile:
        return
    try:
        boto3.Session(profile_name=profile)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"--profile {profile}: no such AWS profile in the config or "
                         "credentials files") from None


_JSON_PROTOCOLS = {"json", "rest-json"}
#: what the calls of this thread were last answered while botocore retried them
_seen = threading.local()


def _check_answer(http_response: Any, model: Any, **_: Any) -> None:
    """after-call: a 2xx answer of a JSON API whose body is not JSON is malformed (botocore
    parses it to an empty answer, which would read as "nothing there")."""
    if model.service_model.protocol not in _JSON_PROTOCOLS or http_response.status_code >= 300:
        return
    body = http_response.content or b""
    if not body.strip():
        return
    try:
        doc = json.loads(body)
    except ValueError:
        raise Malformed("the answer is not JSON") from None
    if not isinstance(doc, dict):
        raise Malformed("the answer is not a JSON object")


def _note_retry(response: Any = None, caught_exception: Any = None, **_: Any) -> None:
    """needs-retry: keep the last answer of a call botocore is about to retry, so that a call
    still retrying when the deadline comes is reported by what AWS said, not as silence."""
    box = getattr(_seen, "box", None)
    if box is None:
        return
    if caught_exception is not None:
        box["exc"] = caught_exception
    elif response is not None:
        http, parsed = response
        err = parsed.get("Error") if isinstance(parsed, dict) else None
        if err:
            box["error"] = ({"Error": err, "ResponseMetadata": {
                "HTTPStatusCode": getattr(http, "status_code", None)}})


def spawn(fn: Callable[..., T], *args: Any) -> Future[T]:
    """Run `fn` in a daemon thread: a call that hangs past the deadline is left behind and
    never holds the process open (an executor's threads are joined at exit)."""
    future: Future[T] = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
            future.set_exception(exc)

    threading.Thread(target=work, name="mtls-doctor-aws", daemon=True).start()
    return future


def wait_for(future: Future[T], deadline: Deadline) -> T:
    """The future's result, waiting no longer than the deadline (and seeing a cancellation
    within a fifth of a second); TimeoutError when the deadline comes first."""
    while True:
        try:
            return future.result(timeout=min(0.2, deadline.left()))
        except TimeoutError:
            if deadline.left() <= 0:
                raise


class Aws:
    """Clients per (service, region) on one boto3 session, every attempt so far, and the
    command's deadline, which bounds each call's socket timeouts and every wait."""

    def __init__(self, profile: str | None, deadline: Deadline) -> None:
        try:
            self.session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        except botocore.exceptions.ProfileNotFound:
            raise InputError(f"--profile {profile}: no such AWS profile") from None
        self.deadline = deadline
        self._clients: dict[tuple[str, str | None, int], Any] = {}
        self._client_locks: dict[tuple[str, str | None, int], threading.Lock] = {}
        self._lock = threading.Lock()
        self._session_lock = threading.Lock()
        self.attempts: list[Attempt] = []
        #: calls started and not yet ended, and those `settle` ended for them
        self._inflight: dict[object, tuple[str, str, str | None, dict[str, Any]]] = {}
        self._settled: dict[object, Attempt] = {}

    @property
    def default_region(self) -> str | None:
        """The profile's or the environment's region."""
        region = self.session.region_name
        return str(region) if region else None

    def has_credentials(self) -> bool:
        """Whether boto3's chain finds any credentials (no call is made for static ones)."""
        with self._session_lock:
            return self.session.get_credentials() is not None

    def _config(self, attempts: int) -> Config:
        left = max(1.0, self.deadline.left())
        return Config(retries={"mode": "standard", "total_max_attempts": attempts},
                      connect_timeout=min(5.0, left), read_timeout=left,
                      max_pool_connections=32)

    def client(self, service: str, region: str | None, attempts: int = MAX_ATTEMPTS) -> Any:
        """A client (created once, one lock per client so that different services are built in
        parallel; botocore clients are thread-safe, session.client is not)."""
        key = (service, region, attempts)
        with self._lock:
            lock = self._client_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._clients:
                with self._session_lock:
                    client = self.session.client(service, region_name=region,
                                                 config=self._config(attempts))
                client.meta.events.register("after-call.*", _check_answer)
                client.meta.events.register("needs-retry.*", _note_retry)
                self._clients[key] = client
            return self._clients[key]

    def record(self, attempt: Attempt) -> Attempt:
        """Keep `attempt` in the record of every call."""
        with self._lock:
            self.attempts.append(attempt)
        return attempt

    def attempt(self, service: str, region: str | None, operation: str, action: str,
                fn: Callable[[Any], T], *, attempts: int = MAX_ATTEMPTS,
                unrecognised: Attempt | None = None) -> tuple[T | None, Attempt]:
        """Run `fn(client)` within the deadline: (result, ok attempt), or (None, the attempt
        that says why not). `operation` names the API call, `action` the IAM action;
        `unrecognised` is what credentials the region does not recognise mean (the scan's
        opt-in regions)."""
        call = f"{service}.{operation}"
        box: dict[str, Any] = {}
        if self.deadline.left() <= 0:  # not even started: timed out (or cancelled) as it is
            return None, self.record(self._cut_short(call, action, region, box))

        def run() -> T:
            _seen.box = box
            try:
                return fn(self.client(service, region, attempts))
            finally:
                _seen.box = None

        key = object()
        with self._lock:
            self._inflight[key] = (call, action, region, box)
        future = spawn(run)
        try:
            result = wait_for(future, self.deadline)
        except TimeoutError:
            return None, self._done(key, self._cut_short(call, action, region, box))
        except Exception as exc:  # noqa: BLE001 - every failure of a call is data, not a crash
            failed = classify(call, action, exc, region)
            if unrecognised is not None and failed.code in REGION_DISABLED_CODES:
                failed = unrecognised
            return None, self._done(key, failed)
        got = self._done(key, Attempt(call, Status.OK, "", action, "", region))
        return (result if got.status is Status.OK else None), got

    def _done(self, key: object, attempt: Attempt) -> Attempt:
        """Record how a call ended, unless `settle` already recorded it as cut short (then
        that record stands: the report was made with it)."""
        with self._lock:
            settled = self._settled.pop(key, None)
            if settled is not None:
                return settled
            self._inflight.pop(key, None)
            self.attempts.append(attempt)
        return attempt

    def settle(self) -> None:
        """Record every call still in flight as cut short by the deadline (by what AWS last
        answered while it was retried, else as a timeout): a report made now names each call
        that did not answer, never leaves one out."""
        with self._lock:
            pending = list(self._inflight.items())
            self._inflight.clear()
        for key, (call, action, region, box) in pending:
            attempt = self._cut_short(call, action, region, box)
            with self._lock:
                self._settled[key] = attempt
                self.attempts.append(attempt)

    def _cut_short(self, call: str, action: str, region: str | None,
                   box: dict[str, Any]) -> Attempt:
        """A call the deadline ended: by what AWS last answered when it was being retried
        (throttled, a 500, a refused connection), else as a timeout."""
        if self.deadline.cancelled:
            return Attempt(call, Status.CANCELLED, "the run was cancelled", action, "", region)
        last: BaseException | None = box.get("exc")
        if "error" in box:
            last = botocore.exceptions.ClientError(box["error"], call.partition(".")[2])
        if last is not None:
            seen = classify(call, action, last, region)
            return Attempt(call, seen.status, f"{seen.reason}; still so, after retries, when the "
                           f"--timeout of {self.deadline.seconds:g} s ran out", seen.action,
                           seen.code, region)
        return Attempt(call, Status.TIMED_OUT, f"no answer before the --timeout of "
                       f"{self.deadline.seconds:g} s ran out", action, "Timeout", region)

    def regions(self, service: str) -> list[str]:
        """Every region the service is offered in (from botocore's endpoint data, no call)."""
        return list(self.session.get_available_regions(service))
