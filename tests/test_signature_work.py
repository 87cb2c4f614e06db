"""Signatures are the costly part of a truststore's lint and of a client verdict: each one is
verified once, however many paths a certificate is on and whoever described it first
(`describe` verifies a self-signed root's own signature; path building reuses that answer).
Counted, not timed: the time lives in benchmarks/bench_truststore.py."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.hashes import SHA256

from mtls_doctor.pki import chain, signature
from mtls_doctor.pki.client import ClientFiles, verify_client
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.pki.truststore import lint_truststore
from tests.pki_factory import PKI, Issued, corrupt_signature, pem_bundle, pem_encode

AT = datetime.now(UTC)
Checks = Counter[tuple[bytes, bytes]]


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> Checks:
    """Every signature check made, counted by (certificate, issuer) fingerprints."""
    seen: Checks = Counter()
    real = signature.check_signature

    def counting(cert: x509.Certificate,
                 issuer: x509.Certificate) -> tuple[signature.SignatureCheck, str]:
        seen[(cert.fingerprint(SHA256()), issuer.fingerprint(SHA256()))] += 1
        return real(cert, issuer)

    for module in (signature, chain):  # is_self_signed looks it up in signature, paths in chain
        monkeypatch.setattr(module, "check_signature", counting)
    return seen


def _chains(pki: PKI, count: int) -> list[list[Issued]]:
    """`count` root -> intermediate -> issuing chains of EC P-256 certificates."""
    out = []
    for i in range(count):
        root = pki.root(f"Work Root {i}", key="p256")
        ica = pki.intermediate(root, f"Work Intermediate {i}", key="p256")
        out.append([root, ica, pki.intermediate(ica, f"Work Issuing {i}", key="p256")])
    return out


def test_truststore_lint_verifies_each_signature_once(verified: Checks) -> None:
    chains = _chains(PKI(key_offset=900), 4)
    certs = [c for ch in chains for c in ch]
    loaded = load_certificates(pem_bundle(certs), "bundle.pem")
    lint = lint_truststore(loaded, AT)
    assert [c.issuer_index for c in lint.certificates] == [None, 0, 1, None, 3, 4, None, 6, 7,
                                                           None, 9, 10]
    assert len(verified) == len(certs)  # one link per certificate: its issuer, or itself
    assert set(verified.values()) == {1}, verified


def test_client_verdict_verifies_each_signature_once(verified: Checks) -> None:
    pki = PKI(key_offset=910)
    chains = _chains(pki, 3)
    client = pki.leaf(chains[1][2], key="p256")
    bundle = load_certificates(pem_bundle([c for ch in chains for c in ch]), "bundle.pem")
    result = verify_client(ClientFiles(load_certificates(client.pem, "client.pem")), bundle, AT)
    assert result.verdict.accepted, result.verdict
    assert len(result.truststore) == 9
    # the three roots described (self-signed?) and the client's path up to its root
    assert sum(verified.values()) == 3 + 3, verified
    assert set(verified.values()) == {1}, verified


def test_certificates_sharing_a_name_are_each_checked_once(verified: Checks) -> None:
    """A re-keyed CA: two roots and two intermediates of one name each, so that every
    certificate has two candidate issuers; each pair is still checked at most once."""
    pki = PKI(key_offset=920)
    roots = [pki.root("Rekeyed Root", key="p256") for _ in range(2)]
    icas = [pki.intermediate(r, "Rekeyed Intermediate", key="p256") for r in roots]
    lint_truststore(load_certificates(pem_bundle([*roots, *icas]), "bundle.pem"), AT)
    assert set(verified.values()) == {1}, verified


def test_checks_made_in_threads_are_each_made_once_and_kept_apart(
        verified: Checks, monkeypatch: pytest.MonkeyPatch) -> None:
    """With threads (forced here whatever the machine's cores), a bundle's signatures are
    still checked once each, and each answer lands on its own certificate: a root whose
    signature was corrupted and an intermediate signed by the wrong key are the ones reported."""
    monkeypatch.setattr(signature, "PARALLEL_FROM", 2)
    monkeypatch.setattr(signature, "_cores", lambda: 4)
    pki = PKI(key_offset=930)
    chains = _chains(pki, 5)
    rogue = pki.root("Work Root 3", key="p256")  # the name of chain 3's root, another key
    forged = pki.intermediate(rogue, "Work Intermediate 3b", key="p256")
    ders = [c.der for ch in chains for c in ch] + [forged.der]
    ders[3] = corrupt_signature(ders[3])  # chain 1's root
    bundle = b"".join(pem_encode(d) for d in ders)
    lint = lint_truststore(load_certificates(bundle, "bundle.pem"), AT)
    assert set(verified.values()) == {1}, verified
    assert len(verified) == len(ders)
    assert [c.self_signed for c in lint.certificates] == \
        [i % 3 == 0 and i != 3 for i in range(15)] + [False]
    bad = sorted((f.id, f.evidence.get("index")) for f in lint.findings
                 if f.id == "TRUSTSTORE_BAD_SIGNATURE")
    assert bad == [("TRUSTSTORE_BAD_SIGNATURE", 3), ("TRUSTSTORE_BAD_SIGNATURE", 15)], lint.findings
