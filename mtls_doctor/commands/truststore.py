"""`mtls-doctor truststore SOURCE`: decode a bundle and lint it against API Gateway's rules."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import load_input, source_info
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.report import Report
from mtls_doctor.pki.load import LoadedFile
from mtls_doctor.pki.truststore import lint_truststore


def run_truststore(spec: str, *, at: datetime, now: datetime, warn_days: int = 30,
                   password: bytes | None = None, profile: str | None = None,
                   region: str | None = None) -> Report:
    """Lint one truststore source (a file, `-`, or `s3://bucket/key[?versionId=V]`)."""
    loaded = load_input(spec, "truststore", password, profile=profile, region=region)
    return truststore_report(loaded, at=at, now=now, warn_days=warn_days)


def truststore_report(loaded: LoadedFile, *, at: datetime, now: datetime,
                      warn_days: int = 30) -> Report:
    """The lint of a truststore already read."""
    lint = lint_truststore(loaded, at, warn_days)
    return Report(
        command="truststore",
        generated_at=now,
        checks=derive_checks(checks_of("truststore"), lint.findings),
        findings=lint.findings,
        payload={"source": source_info(loaded, at), "certificates": lint.certificates},
    )
