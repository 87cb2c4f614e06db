"""Predicted verdicts for the certificates seen in traffic: the same verdict as `verify-client`
(`pki.client.verify_client`), computed once per distinct certificate and truststore (cached by
the certificate's SHA-256 fingerprint), so that judging a window costs as many verdicts as it has
partners, not requests."""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.model.verdict import Verdict
from mtls_doctor.pki.client import ClientFiles, verify_client
from mtls_doctor.pki.load import LoadedFile
from mtls_doctor.traffic.certs import Decoded

#: the most certificates judged against one truststore (those with the most requests first)
MAX_JUDGED = 1_000


class Judge:
    """Verdicts against one truststore, cached per certificate fingerprint."""

    def __init__(self, truststore: LoadedFile, at: datetime) -> None:
        self.truststore = truststore
        self.at = at
        self._cache: dict[str, Verdict] = {}

    @property
    def judged(self) -> int:
        """How many distinct certificates were judged."""
        return len(self._cache)

    def verdict(self, cert: Decoded) -> Verdict:
        """API Gateway's predicted verdict on `cert` (computed on first use)."""
        key = cert.summary.sha256_fingerprint
        got = self._cache.get(key)
        if got is None:
            got = verify_client(ClientFiles(cert.file), self.truststore, self.at).verdict
            self._cache[key] = got
        return got


def not_judged_reason(from_pem: bool, has_pem_field: bool) -> str:
    """Why a certificate seen in the log has no predicted verdict."""
    if from_pem:
        return ""
    if not has_pem_field:
        return ("the log format does not write $context.identity.clientCert.clientCertPem, so "
                "only the certificate's names are known: a verdict needs the certificate itself")
    return ("its lines carry no PEM that decodes as a certificate (`-`, cut, or malformed), so "
            "only the names the log gives are known")
