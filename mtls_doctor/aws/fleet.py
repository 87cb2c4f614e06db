"""The AWS calls of a fleet scan (boto3 stays under aws/): one `Aws` per account (the caller's
profile, or an assumed role's session) with adaptive retries, and one view of it per domain
that shares its session and clients (so one client-side rate limiter per account, region and
service paces every domain) while keeping its own record of attempts (so each domain's facts
hold only its own calls)."""

from __future__ import annotations

import copy
import threading
from typing import Any

import boto3
from botocore.config import Config

from mtls_doctor.aws.calls import Aws
from mtls_doctor.deadline import Deadline

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
        aws = cls(None, deadline)
        aws.session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials.get("SessionToken"), region_name=region)
        return aws

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
_SHARED = frozenset({"session", "deadline", "_session_lock", "_clients", "_client_locks"})
_LOCK = type(threading.Lock())
