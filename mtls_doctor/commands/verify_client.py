"""`mtls-doctor verify-client`: would API Gateway accept this client certificate?"""

from __future__ import annotations

import contextlib
from datetime import datetime

from mtls_doctor.commands.common import check, derive_checks, load_input, source_info
from mtls_doctor.errors import InputError
from mtls_doctor.model.report import Report
from mtls_doctor.pki.client import ClientFiles, verify_client
from mtls_doctor.pki.keys import find_key_block, load_private_key
from mtls_doctor.pki.load import ProblemKind, load_certificates
from mtls_doctor.source import read_source

CHECKS = (
    check("client.verdict", "API Gateway accepts the certificate", "CLIENT_REJECTED"),
    check("client.chain", "the truststore alone completes the path", "CLIENT_CHAIN_IGNORED"),
    check("client.key", "the private key belongs to the certificate", "CLIENT_KEY_MISMATCH"),
    check("client.usage", "marked for TLS client authentication", "CLIENT_NO_CLIENT_AUTH_EKU"),
    check("client.validity", "not about to expire", "CLIENT_EXPIRES_SOON"),
)


def run_verify_client(cert: str, truststore: str, *, at: datetime, now: datetime,
                      key: str | None = None, chain: str | None = None,
                      password: bytes | None = None, warn_days: int = 30,
                      profile: str | None = None, region: str | None = None) -> Report:
    """The verdict for `cert` against `truststore`, with the key check when a key is at hand."""
    cert_src = read_source(cert, "client certificate")
    cert_file = load_certificates(cert_src.data, cert_src.name, password=password)
    if not cert_file.certificates and any(p.kind is ProblemKind.PRIVATE_KEY
                                          for p in cert_file.problems):
        raise InputError(f"--cert {cert} holds a private key, not a certificate "
                         "(--cert and --key swapped?)")
    ts_file = load_input(truststore, "truststore", password, profile=profile, region=region)
    chain_file = load_input(chain, "chain file", password) if chain else None
    private_key, key_source = None, None
    if key is not None:
        key_src = read_source(key, "key file")
        private_key, key_source = load_private_key(key_src.data, key_src.name, password), key
    elif cert_file.pkcs12_key is not None:
        private_key, key_source = cert_file.pkcs12_key, cert
    elif find_key_block(cert_src.data) is not None:
        # a key next to the certificate is checked when it opens; an encrypted one without its
        # password only skips the key check, it does not stop the verdict
        with contextlib.suppress(InputError):
            private_key = load_private_key(cert_src.data, cert_src.name, password)
            key_source = cert
    files = ClientFiles(cert_file, chain_file, private_key, key_source)
    result = verify_client(files, ts_file, at, warn_days)
    skipped = () if private_key is not None else ("client.key",)
    return Report(
        command="verify-client",
        generated_at=now,
        checks=derive_checks(CHECKS, result.findings, skipped),
        findings=result.findings,
        payload={
            "verdict": result.verdict,
            "client_certificate": result.leaf,
            "sent_chain": result.sent,
            "truststore": {"source": source_info(ts_file, at), "certificates": result.truststore},
        },
    )
