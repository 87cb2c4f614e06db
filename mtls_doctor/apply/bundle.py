"""The corrected truststore: the live bundle without the entries the lint names (expired, weak,
duplicate, non-CA, unreadable), plus the CA files the user gives, ordered roots first, and
the diff between the two."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_doctor.apply.plan import BundleDiff, CertRef
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.pki.load import LoadedCert, LoadedFile, load_certificates
from mtls_doctor.pki.policy import PolicyIssue, algorithm_violations, may_issue
from mtls_doctor.pki.truststore import lint_truststore

#: the lint's finding id for each algorithm rule
POLICY_FINDING = {PolicyIssue.WEAK_HASH: "TRUSTSTORE_WEAK_SIGNATURE_HASH",
                  PolicyIssue.WEAK_RSA: "TRUSTSTORE_WEAK_RSA_KEY",
                  PolicyIssue.UNSUPPORTED_KEY: "TRUSTSTORE_UNSUPPORTED_KEY"}


@dataclass(frozen=True)
class Entry:
    """One certificate of a bundle with its description."""

    cert: LoadedCert
    summary: CertSummary

    @property
    def ref(self) -> CertRef:
        """The certificate by subject and fingerprint."""
        return CertRef(self.summary.subject, self.summary.sha256_fingerprint)


@dataclass(frozen=True)
class Corrected:
    """The new bundle (PEM bytes), its diff against the old one, and what it was built from."""

    pem: bytes
    diff: BundleDiff
    kept: tuple[Entry, ...]


def entries(loaded: LoadedFile, at: datetime) -> list[Entry]:
    """Every certificate of the file, described and linked to its issuer (the lint's view)."""
    lint = lint_truststore(loaded, at)
    by_index = {s.index: s for s in lint.certificates}
    return [Entry(lc, by_index[i]) for i, lc in enumerate(loaded.certificates) if i in by_index]


def drop_reason(e: Entry, seen: set[str]) -> str | None:
    """The lint's finding id that removes this entry from the bundle, or None to keep it."""
    s = e.summary
    if e.cert.cert is None or s.malformed:
        return "CERT_MALFORMED"
    if s.sha256_fingerprint in seen:
        return "TRUSTSTORE_DUPLICATE"
    if s.validity is not None and s.validity.status == "expired":
        return "TRUSTSTORE_EXPIRED"
    violations = algorithm_violations(s)
    if violations:
        return POLICY_FINDING.get(violations[0].issue, "TRUSTSTORE_WEAK_SIGNATURE_HASH")
    if may_issue(s) is not None:
        return "TRUSTSTORE_NOT_CA"
    return None


def roots_first(items: Sequence[Entry]) -> list[Entry]:
    """Each root, then what it issues (depth first, in bundle order), then whatever reaches no
    root in the bundle, in bundle order."""
    by_index = {e.summary.index: e for e in items}
    children: dict[int, list[Entry]] = {}
    roots: list[Entry] = []
    for e in items:
        parent = e.summary.issuer_index
        if parent is None or parent == e.summary.index or parent not in by_index:
            roots.append(e)
        else:
            children.setdefault(parent, []).append(e)
    out: list[Entry] = []
    done: set[int] = set()

    def walk(e: Entry) -> None:
        if e.summary.index in done:
            return
        done.add(e.summary.index)
        out.append(e)
        for child in children.get(e.summary.index, []):
            walk(child)

    for e in sorted(roots, key=lambda e: (not e.summary.self_signed, e.summary.index)):
        walk(e)
    out += [e for e in items if e.summary.index not in done]  # loops: bundle order
    return out


def to_pem(items: Sequence[Entry]) -> bytes:
    """The entries as one PEM bundle."""
    return b"".join(e.cert.cert.public_bytes(Encoding.PEM) for e in items
                    if e.cert.cert is not None)


def correct(live: LoadedFile, additions: Sequence[LoadedFile], at: datetime) -> Corrected:
    """The live bundle without the entries the lint names, plus the CAs of `additions` (each
    once), ordered roots first."""
    seen: set[str] = set()
    kept: list[Entry] = []
    removed: list[CertRef] = []
    for e in entries(live, at):
        reason = drop_reason(e, seen)
        if e.cert.cert is not None:
            seen.add(e.summary.sha256_fingerprint)
        if reason is None:
            kept.append(e)
        else:
            removed.append(CertRef(e.summary.subject, e.summary.sha256_fingerprint, reason))
    added: list[CertRef] = []
    extra: list[bytes] = []
    for f in additions:
        for e in entries(f, at):
            if e.cert.cert is None or e.summary.sha256_fingerprint in seen:
                continue
            seen.add(e.summary.sha256_fingerprint)
            added.append(CertRef(e.summary.subject, e.summary.sha256_fingerprint,
                                 f"--add-ca {f.source}"))
            extra.append(e.cert.cert.public_bytes(Encoding.PEM))
    combined = load_certificates(to_pem(kept) + b"".join(extra), "the corrected bundle")
    linked = entries(combined, at)
    ordered = roots_first(linked)
    reordered = [e.summary.sha256_fingerprint for e in ordered] != \
        [*(e.summary.sha256_fingerprint for e in kept), *(a.sha256_fingerprint for a in added)]
    diff = BundleDiff(tuple(added), tuple(removed), len(kept), reordered, live.source,
                      "the corrected bundle")
    return Corrected(to_pem(ordered), diff, tuple(ordered))


def compare(before: LoadedFile, after: LoadedFile, at: datetime) -> BundleDiff:
    """The diff between two bundles by fingerprint (pinning another version)."""
    old = {e.summary.sha256_fingerprint: e for e in entries(before, at) if e.cert.cert}
    new = {e.summary.sha256_fingerprint: e for e in entries(after, at) if e.cert.cert}
    return BundleDiff(
        added=tuple(new[k].ref for k in new if k not in old),
        removed=tuple(old[k].ref for k in old if k not in new),
        kept=sum(1 for k in new if k in old), reordered=False,
        before=before.source, after=after.source)
