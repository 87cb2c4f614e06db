"""`mtls-doctor inspect FILE [--host NAME]`: decode every certificate in a file."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from mtls_doctor.commands.common import load_input, source_info
from mtls_doctor.errors import InputError
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.checks import checks_of, derive_checks
from mtls_doctor.model.evidence import ok, skipped
from mtls_doctor.model.finding import Fix
from mtls_doctor.model.report import Report
from mtls_doctor.pki.hostname import HostnameError, match_hostname, normalise_host
from mtls_doctor.pki.truststore import lint_file
from mtls_doctor.shell import openssl, render


def run_inspect(spec: str, *, at: datetime, now: datetime, host: str | None = None,
                password: bytes | None = None) -> Report:
    """Decode the file; with `host`, say which certificate covers it and by which name."""
    if host is not None:
        try:
            normalise_host(host)  # a bad name stops here, before any work
        except HostnameError as exc:
            raise InputError(f"--host: {exc}") from None
    loaded = load_input(spec, "certificate file", password)
    summaries, findings = lint_file(loaded, at)
    if host is not None:
        matched = []
        for i, (lc, s) in enumerate(zip(loaded.certificates, summaries, strict=True)):
            if lc.ok and lc.cert is not None:
                m = match_hostname(lc.cert, host)
                summaries[i] = dataclasses.replace(s, hostname_match=m)
                matched.append(m.matches)
        first = next((s for s in summaries if s.hostname_match is not None), None)
        if first is not None and not any(matched):
            assert first.hostname_match is not None
            findings.append(make_finding(
                "SERVER_HOSTNAME_MISMATCH", f"no certificate in {loaded.source} covers {host}",
                f"{first.subject}: {first.hostname_match.reason}.",
                subject=first.subject, location=first.location,
                evidence={"host": host, "sans": list(first.sans)},
                fix=Fix("Use (or request) a certificate whose subjectAltName lists the host, or a "
                        "wildcard one label above it.", (),
                        (render(openssl.x509("-noout", "-ext", "subjectAltName", infile=spec)),))))
    evidence = {"host": ok("host") if host is not None else skipped("host", "no --host given")}
    return Report(
        command="inspect",
        generated_at=now,
        checks=derive_checks(checks_of("inspect"), findings, evidence),
        findings=tuple(findings),
        payload={"source": source_info(loaded, at), "certificates": summaries},
    )
