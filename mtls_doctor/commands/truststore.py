"""`mtls-doctor truststore SOURCE`: decode a bundle and lint it against API Gateway's rules."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import load_input, source_info
from mtls_doctor.model.checks import check, derive_checks
from mtls_doctor.model.report import Report
from mtls_doctor.pki.truststore import lint_truststore

CHECKS = (
    check("truststore.format", "one PEM file of certificates only",
          "TRUSTSTORE_NOT_PEM", "TRUSTSTORE_EMPTY", "CERT_PRIVATE_KEY_PRESENT",
          "CERT_NOT_A_CERTIFICATE", "TRUSTSTORE_PEM_ENCODING"),
    check("truststore.syntax", "X.509 syntax", "CERT_MALFORMED", "CERT_NONSTANDARD",
          "TRUSTSTORE_DUPLICATE"),
    check("truststore.signatures", "signature integrity", "TRUSTSTORE_BAD_SIGNATURE"),
    check("truststore.chains", "every chain reaches a root in the bundle",
          "TRUSTSTORE_MISSING_ISSUER", "TRUSTSTORE_NOT_CA", "TRUSTSTORE_PATH_LEN_EXCEEDED"),
    check("truststore.chain_length", "at most four CAs on a path", "TRUSTSTORE_CHAIN_TOO_LONG"),
    check("truststore.validity", "validity", "TRUSTSTORE_EXPIRED", "TRUSTSTORE_NOT_YET_VALID",
          "TRUSTSTORE_EXPIRES_SOON"),
    check("truststore.algorithms", "SHA-256+, RSA-2048+, ECDSA P-256/P-384",
          "TRUSTSTORE_WEAK_SIGNATURE_HASH", "TRUSTSTORE_WEAK_RSA_KEY",
          "TRUSTSTORE_UNSUPPORTED_KEY"),
)


def run_truststore(spec: str, *, at: datetime, now: datetime, warn_days: int = 30,
                   password: bytes | None = None, profile: str | None = None,
                   region: str | None = None) -> Report:
    """Lint one truststore source (a file, `-`, or `s3://bucket/key[?versionId=V]`)."""
    loaded = load_input(spec, "truststore", password, profile=profile, region=region)
    lint = lint_truststore(loaded, at, warn_days)
    return Report(
        command="truststore",
        generated_at=now,
        checks=derive_checks(CHECKS, lint.findings),
        findings=lint.findings,
        payload={"source": source_info(loaded, at), "certificates": lint.certificates},
    )
