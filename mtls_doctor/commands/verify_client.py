"""`mtls-doctor verify-client`: would API Gateway accept this client certificate?"""

from __future__ import annotations

from datetime import datetime

from mtls_doctor.commands.common import ClientInput, load_client, load_input, source_info
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import ok, skipped
from mtls_doctor.model.report import Report
from mtls_doctor.pki.client import ClientFiles, ClientResult, verify_client
from mtls_doctor.pki.fixes import UploadTarget
from mtls_doctor.pki.load import LoadedFile


def run_verify_client(cert: str, truststore: str, *, at: datetime, now: datetime,
                      key: str | None = None, chain: str | None = None,
                      password: bytes | None = None, warn_days: int = 30,
                      profile: str | None = None, region: str | None = None) -> Report:
    """The verdict for `cert` against `truststore`, with the key check when a key is at hand."""
    client = load_client(cert, key, password, key_required=False)
    ts_file = load_input(truststore, "truststore", password, profile=profile, region=region)
    chain_file = load_input(chain, "chain file", password) if chain else None
    return verdict_report(client, ts_file, chain_file, at=at, now=now, warn_days=warn_days)


def verdict_report(client: ClientInput, ts_file: LoadedFile, chain_file: LoadedFile | None, *,
                   at: datetime, now: datetime, warn_days: int = 30,
                   target: UploadTarget | None = None) -> Report:
    """The verify-client report from files already read."""
    files = ClientFiles(client.file, chain_file, client.key, client.key_source)
    result = verify_client(files, ts_file, at, warn_days, target)
    return client_report(result, ts_file, has_key=client.key is not None, at=at, now=now)


def client_report(result: ClientResult, ts_file: LoadedFile, *, has_key: bool, at: datetime,
                  now: datetime) -> Report:
    """The verdict's findings, checks and payload (diagnose passes the domain's truststore)."""
    evidence = {"key": ok("key") if has_key else skipped("key", "no private key given (--key)")}
    return Report(
        command="verify-client",
        generated_at=now,
        checks=derive_checks(checks_of("client"), result.findings, evidence),
        findings=result.findings,
        payload={
            "verdict": result.verdict,
            "client_certificate": result.leaf,
            "sent_chain": result.sent,
            "truststore": {"source": source_info(ts_file, at), "certificates": result.truststore},
        },
    )
