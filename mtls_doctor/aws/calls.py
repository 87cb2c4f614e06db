"""botocore clients and one wrapper for every AWS call: every call is an `Attempt` (ok or why not),
bounded by the command's one deadline, so that an AccessDenied, a throttle or a hang on one call
never stops the others and never reads as an answer about the domain."""

from __future__ import annotations

import json
import os
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.model.evidence import Attempt, Status

# botocore's HTTP layer imports urllib3.contrib.pyopenssl (so pyOpenSSL and most of
# cryptography: a third of botocore's import time) only to take back urllib3's own SSLContext,
# which is what it falls back to when that import fails; nothing here injects pyOpenSSL into
# urllib3, so both are the same class. The import fails while botocore is imported, and only then.
_PYOPENSSL = "urllib3.contrib.pyopenssl"
_BLOCKED = _PYOPENSSL not in sys.modules
if _BLOCKED:
    sys.modules[_PYOPENSSL] = None  # type: ignore[assignment]
try:
    import botocore
    import botocore.exceptions
    import botocore.loaders
    import botocore.parsers
    import botocore.session
    from botocore.config import Config
finally:
    if _BLOCKED:
        del sys.modules[_PYOPENSSL]

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


class _Services(Sequence[str]):
    """The services botocore has a `type_name` model for (`Loader.list_available_services`),
    listed only when iterated: whether one service is among them is answered from that
    service's own directory."""

    def __init__(self, loader: Loader, type_name: str) -> None:
        self._loader = loader
        self._type = type_name

    def __contains__(self, name: object) -> bool:
        try:
            return bool(self._loader.list_api_versions(name, self._type))
        except botocore.exceptions.DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        return list(botocore.loaders.Loader.list_available_services(self._loader, self._type))

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __getitem__(self, index: Any) -> Any:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())


class Loader(botocore.loaders.Loader):  # type: ignore[misc]  # botocore has no types
    """botocore's data loader, shared by the threads of a run and cheap on a cold start.

    botocore keeps each file it loads, but not under a lock: threads that build clients at once
    (a scan builds some twenty) each read and parse the same files before the first has kept
    them. Here a load holds the loader's lock, so that the others wait for it and find it kept.
    And each service model botocore loads first checks the service against the list of all
    services that have that kind of model, which walks some 420 directories per kind (about
    10 ms); here that check looks in the one service's directory (`_Services`)."""

    def __init__(self, extra_search_paths: list[str] | None = None) -> None:
        super().__init__(extra_search_paths=extra_search_paths)
        self._load_lock = threading.RLock()

    def list_available_services(self, type_name: str) -> Sequence[str]:
        return _Services(self, type_name)

    def load_service_model(self, service_name: str, type_name: str,
                           api_version: str | None = None) -> Any:
        with self._load_lock:
            return super().load_service_model(service_name, type_name, api_version)

    def load_data_with_path(self, name: str) -> Any:
        with self._load_lock:
            return super().load_data_with_path(name)


def _loader(path: str | None) -> Loader:
    """A `Loader` on the search path of AWS_DATA_PATH (`path`), as `create_loader` makes it."""
    if path is None:
        return Loader()
    return Loader([os.path.expanduser(os.path.expandvars(p)) for p in path.split(os.pathsep)])


#: botocore's data loaders, one per AWS_DATA_PATH for the whole process: every session (the
#: caller's, each role a scan assumes, each run of the TUI) reads and parses the endpoint and
#: service model files once, not once each
_LOADERS: dict[str | None, Loader] = {}
_LOADERS_LOCK = threading.Lock()


def new_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session: the standard chain of credentials and configuration (`profile`, else
    the environment's), on the process's data loader. boto3's session adds only its resource
    layer, which nothing here uses, for the cost of importing it. An unknown profile raises
    ProfileNotFound here, as boto3's session does, not at the first call."""
    from mtls_doctor import __version__

    session = botocore.session.Session(profile=profile)
    # what botocore's own clients say (those that fetch credentials: a profile's role, SSO);
    # this module's clients say `user_agent`
    session.user_agent_name, session.user_agent_version = "mtls-doctor", __version__
    session.get_scoped_config()
    path = session.get_config_variable("data_path")
    with _LOADERS_LOCK:
        loader = _LOADERS.get(path)
        if loader is None:
            loader = _LOADERS[path] = _loader(path)
    session.register_component("data_loader", loader)
    return session


_APP_ID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+.^_`|~-]")


def user_agent(session: botocore.session.Session) -> str:
    """What every call says it is, in CloudTrail's userAgent: mtls-doctor and its version first
    (whoever reads the trail sees which tool read, or changed, the account), then botocore and
    Python, and the app id the user configured (AWS_SDK_UA_APP_ID, `sdk_ua_app_id`). Given to
    botocore as one fixed string (its `user_agent`), which it does not build again from its
    parts twice for every request."""
    import platform

    from mtls_doctor import __version__

    parts = [f"mtls-doctor/{__version__}", f"Botocore/{botocore.__version__}",
             f"Python/{platform.python_version()}"]
    app = session.get_config_variable("user_agent_appid")
    if app:
        parts.append("app/" + _APP_ID_UNSAFE.sub("-", str(app))[:50])
    return " ".join(parts)


def check_profile(profile: str | None) -> None:
    """An unknown `--profile` is bad input (exit 2), found before anything runs."""
    if not profile:
        return
    try:
        new_session(profile)
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


class _Workers:
    """Daemon threads that run `spawn`'s jobs, kept for the next job once one is done (starting
    a thread costs more than most jobs' own work here). A job never waits for a worker: with
    none idle a new one starts, since a job may block as long as the deadline allows and one
    that hangs past it is left behind in its worker. A worker idle for IDLE seconds ends.

    `idle` counts the workers that are between jobs and not yet promised one: `submit` takes a
    promise (or starts a worker) before it queues the job, so every queued job has a worker."""

    IDLE = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = 0

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        self._jobs.put(job)
        if start:
            threading.Thread(target=self._work, name="mtls-doctor-aws", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=self.IDLE)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # no job is promised to the workers waiting: end
                        self._idle -= 1
                        return
                continue  # a job was promised just now: it is on its way
            job()
            with self._lock:
                self._idle += 1


_WORKERS = _Workers()


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

    _WORKERS.submit(work)
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


@dataclass(eq=False)
class Early(Generic[T]):
    """One call started by `Aws.attempt` or `Aws.prefetch`: what it is, what AWS last said
    while botocore retried it (`box`), and its future (None: the deadline had passed, so it
    never started)."""

    call: str
    action: str
    region: str | None
    box: dict[str, Any]
    unrecognised: Attempt | None = None
    future: Future[T] | None = None
    key: object = field(default_factory=object)


class Aws:
    """Clients per (service, region) on one botocore session, every attempt so far, and the
    command's deadline, which bounds each call's socket timeouts and every wait."""

    def __init__(self, profile: str | None, deadline: Deadline,
                 session: botocore.session.Session | None = None) -> None:
        try:
            self.session = session or new_session(profile)
        except botocore.exceptions.ProfileNotFound:
            raise InputError(f"--profile {profile}: no such AWS profile") from None
        self.deadline = deadline
        #: what `has_credentials` found, once it found some (a list: shared by the views of
        #: the fleet scan, like the session it is about)
        self._credentials_found: list[bool] = []
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
        region = self.session.get_config_variable("region")
        return str(region) if region else None

    def has_credentials(self) -> bool:
        """Whether boto3's chain finds any credentials (no call is made for static ones). Once
        found, the answer is kept: every later caller (each domain of a scan) has it at once,
        without waiting for the session, which building a client holds."""
        if self._credentials_found:
            return True
        with self._session_lock:
            found = self.session.get_credentials() is not None
        if found:
            self._credentials_found.append(True)
        return found

    def _config(self, attempts: int) -> Config:
        left = max(1.0, self.deadline.left())
        return Config(retries={"mode": "standard", "total_max_attempts": attempts},
                      connect_timeout=min(5.0, left), read_timeout=left,
                      max_pool_connections=32, user_agent=user_agent(self.session))

    def client(self, service: str, region: str | None, attempts: int = MAX_ATTEMPTS) -> Any:
        """A client (created once, one lock per client so that different services are built in
        parallel; botocore clients are thread-safe, session.client is not)."""
        key = (service, region, attempts)
        with self._lock:
            lock = self._client_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._clients:
                with self._session_lock:
                    client = self.session.create_client(service, region_name=region,
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
        return self._end(self._begin(service, region, operation, action, fn, attempts,
                                     unrecognised, tracked=True))

    def prefetch(self, service: str, region: str | None, operation: str, action: str,
                 fn: Callable[[Any], T], *, attempts: int = MAX_ATTEMPTS) -> Early[T]:
        """Start `fn(client)` before it is known to be needed (a list that needs only the
        domain's name, made while the domain itself is asked for). Nothing is recorded until
        `take` adopts it: a call that is never taken is in no record and decides nothing."""
        return self._begin(service, region, operation, action, fn, attempts, None,
                           tracked=False)

    def quietly(self, service: str, region: str | None, operation: str, action: str,
                fn: Callable[[Any], T], *, attempts: int = MAX_ATTEMPTS
                ) -> tuple[T | None, Attempt]:
        """`attempt`, recorded nowhere: a call made for several domains at once (a scan's
        listing of a bucket), which each domain records only if it uses the answer."""
        return self._end(self._begin(service, region, operation, action, fn, attempts, None,
                                     tracked=False), record=False)

    def expect(self, call: str, action: str, region: str | None) -> object:
        """A call another domain makes for this one too (a scan's shared listing): in flight
        in this record from now on, so that `settle` names it if the deadline comes first.
        `arrived` records how it ended."""
        key = object()
        with self._lock:
            self._inflight[key] = (call, action, region, {})
        return key

    def arrived(self, key: object, attempt: Attempt) -> Attempt:
        """How an expected call ended, recorded (unless `settle` recorded it as cut short: then
        that record stands, and is returned)."""
        return self._done(key, attempt)

    def forget(self, key: object) -> Attempt | None:
        """An expected call whose answer this domain will not use after all: no longer in
        flight here. Returns the record `settle` made of it if the deadline came first (that
        record stands: the report was made with it)."""
        with self._lock:
            self._inflight.pop(key, None)
            return self._settled.pop(key, None)

    def take(self, early: Early[T]) -> tuple[T | None, Attempt]:
        """Adopt a prefetched call: from now on it is one of this command's calls (`settle`
        names it if it is still in flight), and its answer or failure is recorded like any
        `attempt`'s."""
        if early.future is not None:
            with self._lock:
                self._inflight[early.key] = (early.call, early.action, early.region, early.box)
        return self._end(early)

    def _begin(self, service: str, region: str | None, operation: str, action: str,
               fn: Callable[[Any], T], attempts: int, unrecognised: Attempt | None, *,
               tracked: bool) -> Early[T]:
        """Start the call in its own thread (not at all when the deadline has passed); a
        `tracked` one is in flight for `settle` from now on."""
        early: Early[T] = Early(f"{service}.{operation}", action, region, {}, unrecognised)
        if self.deadline.left() <= 0:  # not even started: timed out (or cancelled) as it is
            return early
        box = early.box

        def run() -> T:
            _seen.box = box
            try:
                return fn(self.client(service, region, attempts))
            finally:
                _seen.box = None

        if tracked:
            with self._lock:
                self._inflight[early.key] = (early.call, action, region, box)
        early.future = spawn(run)
        return early

    def _end(self, early: Early[T], record: bool = True) -> tuple[T | None, Attempt]:
        """Wait for a started call within the deadline and record how it ended (unless not
        to `record` it)."""
        call, action, region, box = early.call, early.action, early.region, early.box

        def done(attempt: Attempt) -> Attempt:
            return self._done(early.key, attempt) if record else attempt

        if early.future is None:
            with self._lock:
                self._inflight.pop(early.key, None)
            cut = self._cut_short(call, action, region, box)
            return None, self.record(cut) if record else cut
        try:
            result = wait_for(early.future, self.deadline)
        except TimeoutError:
            return None, done(self._cut_short(call, action, region, box))
        except Exception as exc:  # noqa: BLE001 - every failure of a call is data, not a crash
            failed = classify(call, action, exc, region)
            if early.unrecognised is not None and failed.code in REGION_DISABLED_CODES:
                failed = early.unrecognised
            return None, done(failed)
        got = done(Attempt(call, Status.OK, "", action, "", region))
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
