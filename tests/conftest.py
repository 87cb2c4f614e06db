"""Shared fixtures: a test PKI at a fixed instant, and the CLI run in-process or as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mtls_doctor.cli import main
from tests.pki_factory import NOW, PKI

AT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Run:
    """The outcome of one CLI run."""

    rc: int
    out: str
    err: str
    doc: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> list[str]:
        """Finding ids of a JSON run, in order."""
        return [f["id"] for f in self.doc.get("findings", [])]

    def findings(self, finding_id: str) -> list[dict[str, Any]]:
        """Findings with this id."""
        return [f for f in self.doc.get("findings", []) if f["id"] == finding_id]


@pytest.fixture(autouse=True)
def no_real_aws(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test may reach AWS or the instance metadata service (only loopback is allowed): real
    credentials and profiles are hidden, and botocore's IMDS lookup is off. Tests that talk to
    moto set their own endpoint and fake keys."""
    empty = tmp_path_factory.getbasetemp() / "empty-aws-config"
    empty.touch()
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))


@pytest.fixture(scope="session")
def pki() -> PKI:
    return PKI()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes], str]:
    """Write bytes to tmp_path/name and return the path as a string."""

    def _write(name: str, data: bytes) -> str:
        p = tmp_path / name
        p.write_bytes(data)
        return str(p)

    return _write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run `mtls-doctor ARGS` in-process; with json=True add `--format json` and parse it.
    `--at` is fixed to the PKI's instant unless given."""

    def _run(*args: str, json_out: bool = True, at: bool = True) -> Run:
        argv = list(args)
        if json_out:
            argv += ["--format", "json"]
        if at and "--at" not in argv and argv and argv[0] in ("inspect", "truststore", "verify-client"):
            argv += ["--at", AT]
        rc = main(argv)
        cap = capsys.readouterr()
        doc = json.loads(cap.out) if json_out and rc in (0, 1) and cap.out.strip() else {}
        return Run(rc, cap.out, cap.err, doc)

    return _run


def run_process(args: Sequence[str], *, env: dict[str, str] | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `python -m mtls_doctor ARGS` as a real process."""
    return subprocess.run([sys.executable, "-m", "mtls_doctor", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)
