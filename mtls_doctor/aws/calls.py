"""boto3 clients and one wrapper for every AWS call: standard retries, timeouts, and failures
turned into data (`AwsFailure`) so that an AccessDenied on one call never stops the others."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
import botocore.exceptions
from botocore.config import Config

from mtls_doctor.model.domain import AwsFailure

T = TypeVar("T")

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
           "UnauthorizedException", "Forbidden"}
_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
                "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                "RequestExpired"}
_NOT_FOUND = {"NotFoundException", "NoSuchKey", "NoSuchVersion", "NoSuchBucket",
              "ResourceNotFoundException", "404"}
_THROTTLED = {"Throttling", "ThrottlingException", "TooManyRequestsException",
              "RequestLimitExceeded", "SlowDown"}


def classify(call: str, action: str, exc: Exception) -> AwsFailure:
    """An exception from botocore as data."""
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.NoRegionError
                  | botocore.exceptions.PartialCredentialsError):
        kind = "no_credentials" if not isinstance(exc, botocore.exceptions.NoRegionError) else "error"
        return AwsFailure(call, action, type(exc).__name__, str(exc), kind)
    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "")) or str(
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        message = str(err.get("Message", "")) or str(exc)
        if code in _DENIED:
            kind = "access_denied"
        elif code in _CREDENTIALS:
            kind = "no_credentials"
        elif code in _NOT_FOUND:
            kind = "not_found"
        elif code in _THROTTLED:
            kind = "throttled"
        else:
            kind = "error"
        return AwsFailure(call, action, code, message, kind)
    if isinstance(exc, botocore.exceptions.EndpointConnectionError
                  | botocore.exceptions.ConnectTimeoutError | botocore.exceptions.ReadTimeoutError):
        return AwsFailure(call, action, type(exc).__name__, str(exc), "endpoint")
    return AwsFailure(call, action, type(exc).__name__, str(exc)[:300], "error")


class Aws:
    """Clients per (service, region) on one boto3 session, and the failures seen so far."""

    def __init__(self, profile: str | None, timeout: float) -> None:
        self.session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        self.config = Config(retries={"mode": "standard", "max_attempts": 4},
                             connect_timeout=timeout, read_timeout=timeout,
                             max_pool_connections=32)
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._client_locks: dict[tuple[str, str | None], threading.Lock] = {}
        self._lock = threading.Lock()
        self._session_lock = threading.Lock()
        self.failures: list[AwsFailure] = []

    @property
    def default_region(self) -> str | None:
        """The profile's or the environment's region."""
        region = self.session.region_name
        return str(region) if region else None

    def client(self, service: str, region: str | None) -> Any:
        """A client (created once, one lock per client so that different services are built in
        parallel; botocore clients are thread-safe, session.client is not)."""
        key = (service, region)
        with self._lock:
            lock = self._client_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._clients:
                with self._session_lock:
                    self._clients[key] = self.session.client(service, region_name=region,
                                                             config=self.config)
            return self._clients[key]

    def attempt(self, service: str, region: str | None, operation: str, action: str,
                fn: Callable[[Any], T], *, quiet: tuple[str, ...] = ()
                ) -> tuple[T | None, AwsFailure | None]:
        """Run `fn(client)`: (result, None), or (None, failure) with the failure recorded unless
        its kind is in `quiet`. `operation` names the API call, `action` the IAM action."""
        try:
            return fn(self.client(service, region)), None
        except Exception as exc:  # noqa: BLE001 - every failure of a call is a finding, not a crash
            failure = classify(f"{service}.{operation}", action, exc)
            if failure.kind not in quiet:
                with self._lock:
                    self.failures.append(failure)
            return None, failure

    def call(self, service: str, region: str | None, operation: str, action: str,
             fn: Callable[[Any], T], *, quiet: tuple[str, ...] = ()) -> T | None:
        """`attempt`, keeping only the result (None on failure)."""
        return self.attempt(service, region, operation, action, fn, quiet=quiet)[0]

    def regions(self, service: str) -> list[str]:
        """Every region the service is offered in (from botocore's endpoint data, no call)."""
        return list(self.session.get_available_regions(service))
