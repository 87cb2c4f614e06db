"""`aws.calls` below the collectors: the botocore data loader every session shares, and what
every call says it is (its User-Agent)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.loaders
import pytest
from botocore.awsrequest import AWSResponse

from mtls_doctor import __version__
from mtls_doctor.aws import calls
from mtls_doctor.deadline import Deadline
from tests.test_domain import clean_aws_env

TYPES = ("service-2", "paginators-1", "endpoint-rule-set-1", "waiters-2")


@pytest.mark.parametrize("type_name", TYPES)
def test_the_loader_knows_the_services_botocore_knows(type_name: str) -> None:
    ours = calls.Loader().list_available_services(type_name)
    theirs = botocore.loaders.Loader().list_available_services(type_name)
    assert list(ours) == theirs and len(ours) == len(theirs)
    for name in ("acm", "apigateway", "apigatewayv2", "s3", "sts", "logs", "organizations"):
        assert (name in ours) == (name in theirs)
    assert "no-such-service" not in ours
    assert "_retry" not in ours  # a data file, not a service


def test_an_unknown_service_is_still_refused_by_name() -> None:
    session = calls.new_session()
    with pytest.raises(botocore.exceptions.UnknownServiceError, match="no-such-service"):
        session.create_client("no-such-service", region_name="us-east-1")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """A fresh process-wide loader whose file reads are counted by path."""
    monkeypatch.setattr(calls, "_LOADERS", {})
    reads: Counter[str] = Counter()
    load_file = botocore.loaders.JSONFileLoader.load_file

    def counting(self: Any, file_path: str) -> Any:
        found = load_file(self, file_path)
        if found is not None:
            reads[file_path] += 1
        return found

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counting)
    yield reads


def test_clients_built_at_once_read_each_file_once(counted: Counter[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan builds some twenty clients at once in its threads: each model and endpoint file
    is read and parsed by one of them, the others wait for it (botocore's own cache is not
    locked, so each thread used to parse the S3 model on its own)."""
    clean_aws_env(monkeypatch, tmp_path, "http://127.0.0.1:9")
    sessions = [calls.new_session() for _ in range(2)]
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def build(n: int) -> None:
        start.wait()
        try:
            session = sessions[n % 2]
            for service in ("s3", "acm", "apigatewayv2"):
                session.create_client(service, region_name=f"eu-west-{1 + n % 3}")
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=build, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert any("s3" in path for path in counted)
    assert {path: n for path, n in counted.items() if n > 1} == {}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def test_every_call_says_it_is_mtls_doctor(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudTrail's userAgent of each call names the tool (and the app id the user set, made
    safe for a header), so that whoever reads the trail knows what read the account."""
    clean_aws_env(monkeypatch, tmp_path, "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_SDK_UA_APP_ID", "team\r\nX-Injected: 1")
    aws = calls.Aws(None, Deadline(10))
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.headers["User-Agent"].decode()
                    if isinstance(request.headers["User-Agent"], bytes)
                    else request.headers["User-Agent"])
        return AWSResponse(request.url, 200, {}, _Body(b'{"CertificateSummaryList": []}'))

    client = aws.client("acm", "us-east-1")
    client.meta.events.register("before-send.*", answer)
    got, attempt = aws.attempt("acm", "us-east-1", "ListCertificates", "acm:ListCertificates",
                               lambda c: c.list_certificates())
    assert attempt.status.value == "ok" and got is not None
    assert len(sent) == 1
    agent = sent[0]
    assert agent.startswith(f"mtls-doctor/{__version__} Botocore/")
    assert "\r" not in agent and "\n" not in agent and ": " not in agent
    assert agent.endswith("app/team--X-Injected--1")
    # and the clients botocore builds for itself (a profile's role, SSO) say it too
    own = calls.new_session().create_client("sts", region_name="us-east-1")
    assert own.meta.config.user_agent.startswith(f"mtls-doctor/{__version__} ")
