"""Pre-flight: what must hold before a truststore is put in front of clients. The new bundle
is linted against API Gateway's rules, and every known client certificate (`--clients DIR`)
is judged against the bundle in use and the new one: a client that is accepted today and would
be refused tomorrow stops the plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mtls_doctor.apply.plan import Preflight
from mtls_doctor.errors import InputError
from mtls_doctor.model.finding import Severity
from mtls_doctor.pki.client import ClientFiles, verify_client
from mtls_doctor.pki.describe import basic_constraints
from mtls_doctor.pki.load import LoadedFile, load_certificates
from mtls_doctor.pki.truststore import lint_truststore
from mtls_doctor.safe import safe_names
from mtls_doctor.source import read_source

#: file names in `--clients DIR` read as client certificates
CLIENT_SUFFIXES = (".pem", ".crt", ".cer", ".der")
#: at most this many client files are judged
MAX_CLIENTS = 200


@dataclass(frozen=True)
class KnownClient:
    """A client certificate file of `--clients DIR`."""

    name: str
    file: LoadedFile


def load_clients(directory: str | None) -> tuple[KnownClient, ...]:
    """The client certificates in `directory` (each .pem/.crt/.cer/.der file, sorted by name);
    a directory that cannot be read is bad input (exit 2)."""
    if directory is None:
        return ()
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"--clients {directory}: not a directory")
    out: list[KnownClient] = []
    for path in sorted(p for p in root.iterdir() if p.suffix.lower() in CLIENT_SUFFIXES):
        if len(out) >= MAX_CLIENTS or not path.is_file():
            continue
        src = read_source(str(path), "client certificate")
        out.append(KnownClient(path.name, load_certificates(src.data, src.name)))
    return tuple(out)


def lint_result(bundle: LoadedFile, at: datetime, warn_days: int) -> Preflight:
    """The lint of the bundle that would go live: `fail` with any error finding, `warn` with
    warnings only."""
    lint = lint_truststore(bundle, at, warn_days)
    errors = sorted({f.id for f in lint.findings if f.severity is Severity.ERROR})
    warnings = sorted({f.id for f in lint.findings if f.severity is Severity.WARNING})
    n = len(lint.certificates)
    if errors:
        return Preflight("lint of the new bundle", "fail",
                         f"{n} certificate(s); API Gateway's rules fail: {safe_names(errors)}"
                         + (f"; warnings: {safe_names(warnings)}" if warnings else ""))
    if not lint.certificates:
        return Preflight("lint of the new bundle", "fail", "the bundle holds no certificate")
    if warnings:
        return Preflight("lint of the new bundle", "warn",
                         f"{n} certificate(s), no error; warnings: {safe_names(warnings)}")
    return Preflight("lint of the new bundle", "pass",
                     f"{n} certificate(s); every API Gateway rule passes")


def client_results(clients: Sequence[KnownClient], before: LoadedFile | None,
                   after: LoadedFile, at: datetime) -> list[Preflight]:
    """Each known client judged against the bundle in use (`before`, None when it could not be
    read) and the new one: `fail` for a client the change would lock out."""
    out = []
    for c in clients:
        first = c.file.certificates[0].cert if c.file.certificates else None
        if first is not None and basic_constraints(first).ca:
            # a CA bundle beside the clients (the truststore itself, often): no client to judge
            out.append(Preflight(f"client {c.name}", "warn", "not judged: its first "
                                 "certificate is a CA's (basicConstraints CA:TRUE), not a "
                                 "client's"))
            continue
        new = verify_client(ClientFiles(c.file), after, at).verdict
        old = verify_client(ClientFiles(c.file), before, at).verdict if before else None
        name = f"client {c.name}"
        if new.accepted:
            was = "" if old is None else (" (accepted today too)" if old.accepted
                                          else f" (refused today: {old.reason.value})")
            out.append(Preflight(name, "pass", f"accepted by the new bundle{was}"))
        elif old is not None and old.accepted:
            out.append(Preflight(name, "fail", "accepted today, refused by the new bundle: "
                                 f"{new.reason.value}: {new.detail}"))
        else:
            was = "" if old is None else " (refused today too)"
            out.append(Preflight(name, "warn", f"refused by the new bundle{was}: "
                                 f"{new.reason.value}: {new.detail}"))
    return out
