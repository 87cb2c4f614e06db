"""Sanity tests for the test-support PKI factory: each helper makes what it claims."""

from __future__ import annotations

import base64
import itertools
import re
import subprocess
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import pki_factory as pf

needs_openssl = pytest.mark.skipif(not pf.openssl_available(), reason="openssl CLI not on PATH")
ATTIME = str(int(pf.NOW.timestamp()))
PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def openssl(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the openssl CLI in ``cwd``; assert success unless ``check`` is False."""
    proc = subprocess.run(
        ["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def verify_signature(cert: x509.Certificate, public_key: CertificatePublicKeyTypes) -> None:
    """Check ``cert``'s signature with ``public_key`` (works for SHA-1/MD5 too, unlike
    ``verify_directly_issued_by``). Raises InvalidSignature when it does not verify."""
    algorithm = cert.signature_hash_algorithm
    data, signature = cert.tbs_certificate_bytes, cert.signature
    if isinstance(public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        public_key.verify(signature, data)
        return
    assert algorithm is not None
    if isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(algorithm))
    elif isinstance(public_key, dsa.DSAPublicKey):
        public_key.verify(signature, data, algorithm)
    else:  # pragma: no cover
        raise AssertionError(type(public_key))


def ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> x509.Extension[x509.ExtensionType]:
    """The extension of type ``cls`` (raises ExtensionNotFound)."""
    return cert.extensions.get_extension_for_class(cls)


def has_ext(cert: x509.Certificate, cls: type[x509.ExtensionType]) -> bool:
    try:
        ext(cert, cls)
    except x509.ExtensionNotFound:
        return False
    return True


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """(label, decoded body) of every PEM block in ``data``."""
    return [(m[1].decode(), base64.b64decode(m[2])) for m in PEM_BLOCK.finditer(data)]


# ------------------------------------------------------------------------------------------
# PKI basics
# ------------------------------------------------------------------------------------------


def test_now_is_fixed_utc() -> None:
    assert pf.NOW.isoformat() == "2026-11-29T12:00:00+00:00"
    assert pf.NOW.utcoffset() == timedelta(0)


def test_three_level_chain_defaults() -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root)
    leaf = pki.leaf(ica)

    assert root.cert.subject == root.cert.issuer
    assert ica.cert.issuer == root.cert.subject
    assert leaf.cert.issuer == ica.cert.subject
    assert leaf.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ("client.example.com")
    root.cert.verify_directly_issued_by(root.cert)
    ica.cert.verify_directly_issued_by(root.cert)
    leaf.cert.verify_directly_issued_by(ica.cert)

    for ca in (root, ica):
        bc = ext(ca.cert, x509.BasicConstraints)
        assert bc.critical and bc.value == x509.BasicConstraints(ca=True, path_length=None)
        ku = ext(ca.cert, x509.KeyUsage).value
        assert isinstance(ku, x509.KeyUsage)
        assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature
        assert not has_ext(ca.cert, x509.ExtendedKeyUsage)
        assert not has_ext(ca.cert, x509.SubjectAlternativeName)

    assert ext(leaf.cert, x509.BasicConstraints).value == x509.BasicConstraints(ca=False, path_length=None)
    ku = ext(leaf.cert, x509.KeyUsage).value
    assert isinstance(ku, x509.KeyUsage)
    assert ku.digital_signature and ku.key_encipherment and not ku.key_cert_sign
    assert list(ext(leaf.cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]  # type: ignore[call-overload]
    san = ext(leaf.cert, x509.SubjectAlternativeName).value
    assert isinstance(san, x509.SubjectAlternativeName)
    assert san.get_values_for_type(x509.DNSName) == ["client.example.com"]

    # AKI of each child is the SKI of its issuer; the root's AKI is its own SKI.
    for child, parent in ((root, root), (ica, root), (leaf, ica)):
        aki = ext(child.cert, x509.AuthorityKeyIdentifier).value
        ski = ext(parent.cert, x509.SubjectKeyIdentifier).value
        assert isinstance(aki, x509.AuthorityKeyIdentifier)
        assert isinstance(ski, x509.SubjectKeyIdentifier)
        assert aki.key_identifier == ski.digest

    # keys are distinct within one PKI and belong to their certificates
    assert (
        len(
            {
                r.key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                for r in (root, ica, leaf)
            }
        )
        == 3
    )
    assert leaf.cert.public_key() == leaf.key.public_key()
    assert leaf.signed_by is ica.key and root.signed_by is root.key


@needs_openssl
def test_openssl_verifies_three_level_chain(tmp_path: Path) -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root)
    leaf = pki.leaf(ica)
    (tmp_path / "root.pem").write_bytes(root.pem)
    (tmp_path / "ica.pem").write_bytes(ica.pem)
    (tmp_path / "leaf.pem").write_bytes(leaf.pem)
    proc = openssl(
        tmp_path, "verify", "-attime", ATTIME, "-purpose", "sslclient",
        "-CAfile", "root.pem", "-untrusted", "ica.pem", "leaf.pem",
    )  # fmt: skip
    assert "leaf.pem: OK" in proc.stdout
    # without the intermediate the chain cannot be built
    assert (
        openssl(
            tmp_path, "verify", "-attime", ATTIME, "-CAfile", "root.pem", "leaf.pem", check=False
        ).returncode
        != 0
    )


def test_key_pool_reuse_and_offset() -> None:
    assert pf.PKI().root().key is pf.PKI().root().key
    assert pf.PKI(key_offset=7).root().key is not pf.PKI().root().key
    assert pf.pool_key("p256", 3) is pf.pool_key("p256", 3)
    with pytest.raises(ValueError, match="unknown key kind"):
        pf.pool_key("rsa512")


def test_issued_serialisations() -> None:
    leaf = pf.PKI().self_signed_leaf()
    assert leaf.pem.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert x509.load_der_x509_certificate(leaf.der) == leaf.cert
    assert leaf.key_pem().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    encrypted = leaf.key_pem(b"s3cret")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    loaded = serialization.load_pem_private_key(encrypted, b"s3cret")
    assert loaded.public_key() == leaf.key.public_key()
    assert serialization.load_der_private_key(leaf.key_der(), None).public_key() == (leaf.key.public_key())


_KEY_TYPES: dict[str, type] = {
    "rsa1024": rsa.RSAPrivateKey,
    "rsa2048": rsa.RSAPrivateKey,
    "rsa3072": rsa.RSAPrivateKey,
    "rsa4096": rsa.RSAPrivateKey,
    "p256": ec.EllipticCurvePrivateKey,
    "p384": ec.EllipticCurvePrivateKey,
    "p521": ec.EllipticCurvePrivateKey,
    "secp256k1": ec.EllipticCurvePrivateKey,
    "ed25519": ed25519.Ed25519PrivateKey,
    "ed448": ed448.Ed448PrivateKey,
    "dsa2048": dsa.DSAPrivateKey,
}


@pytest.mark.parametrize("kind", pf.KEY_KINDS)
def test_every_key_kind(kind: str) -> None:
    pki = pf.PKI()
    root = pki.root(key=kind)
    assert isinstance(root.key, _KEY_TYPES[kind])
    verify_signature(root.cert, root.cert.public_key())
    if kind.startswith("rsa"):
        assert isinstance(root.key, rsa.RSAPrivateKey)
        assert root.key.key_size == int(kind[3:])
    if kind in ("ed25519", "ed448"):
        assert root.cert.signature_hash_algorithm is None
    # an end-entity with this (same, to save key generation) key under an ECDSA root
    leaf = pki.leaf(pki.root("P-256 Root", key="p256"), key_obj=root.key)
    assert isinstance(leaf.key, _KEY_TYPES[kind])
    ku = ext(leaf.cert, x509.KeyUsage).value
    assert isinstance(ku, x509.KeyUsage)
    assert ku.key_encipherment == kind.startswith("rsa")


@pytest.mark.parametrize(
    ("issuer_key", "hash_name"),
    [
        ("rsa2048", "sha256"),
        ("rsa2048", "sha384"),
        ("rsa2048", "sha512"),
        ("rsa2048", "sha224"),
        ("rsa2048", "sha1"),
        ("rsa2048", "md5"),
        ("p256", "sha1"),
        ("p384", "sha384"),
        ("dsa2048", "sha1"),
        ("dsa2048", "sha256"),
    ],
)
def test_signature_hashes(issuer_key: str, hash_name: str) -> None:
    pki = pf.PKI()
    root = pki.root(key=issuer_key, hash=hash_name)
    leaf = pki.leaf(root, hash=hash_name)
    for issued, signer in ((root, root), (leaf, root)):
        algorithm = issued.cert.signature_hash_algorithm
        assert algorithm is not None and algorithm.name == hash_name
        verify_signature(issued.cert, signer.cert.public_key())
    # re-signed certificates keep every extension
    assert ext(leaf.cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.CLIENT_AUTH]
    )


def test_hash_rules() -> None:
    pki = pf.PKI()
    ed_root = pki.root(key="ed25519", hash="sha1")  # ignored for EdDSA
    assert ed_root.cert.signature_hash_algorithm is None
    with pytest.raises(ValueError, match="MD5"):
        pki.root(key="p256", hash="md5")
    with pytest.raises(ValueError, match="unknown hash"):
        pki.root(hash="sha3_256")


@needs_openssl
def test_openssl_reads_sha1_chain(tmp_path: Path) -> None:
    pki = pf.PKI()
    root = pki.root(hash="sha1")
    leaf = pki.leaf(root, hash="sha1")
    ec_root = pki.root("EC Root", key="p256", hash="sha1")
    ec_leaf = pki.leaf(ec_root, key="p256", hash="sha1")
    for name, issued in (("root", root), ("leaf", leaf), ("ecroot", ec_root), ("ecleaf", ec_leaf)):
        (tmp_path / f"{name}.pem").write_bytes(issued.pem)
    text = openssl(tmp_path, "x509", "-in", "leaf.pem", "-noout", "-text").stdout
    assert "sha1WithRSAEncryption" in text
    assert "ecdsa-with-SHA1" in openssl(tmp_path, "x509", "-in", "ecleaf.pem", "-noout", "-text").stdout
    for ca, ee in (("root.pem", "leaf.pem"), ("ecroot.pem", "ecleaf.pem")):
        openssl(tmp_path, "verify", "-auth_level", "0", "-attime", ATTIME, "-CAfile", ca, ee)


def test_sign_with_openssl_fallback() -> None:
    if not pf.openssl_available():
        pytest.skip("openssl CLI not on PATH")
    data = b"to be signed"
    rsa_key = pf.pool_key("rsa2048", 0)
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    signature = pf.sign_with_openssl(rsa_key, data, "sha1")
    rsa_key.public_key().verify(signature, data, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    ec_key = pf.pool_key("p256", 0)
    assert isinstance(ec_key, ec.EllipticCurvePrivateKey)
    ec_key.public_key().verify(pf.sign_with_openssl(ec_key, data, "sha256"), data, ec.ECDSA(hashes.SHA256()))


# ------------------------------------------------------------------------------------------
# options
# ------------------------------------------------------------------------------------------


def test_validity_windows() -> None:
    pki = pf.PKI()
    now = pf.NOW
    root = pki.root()
    assert root.cert.not_valid_before_utc == now - timedelta(days=30)
    assert root.cert.not_valid_after_utc == now + timedelta(days=3650)
    leaf = pki.leaf(root)
    assert leaf.cert.not_valid_after_utc == now + timedelta(days=365)
    assert pki.intermediate(root).cert.not_valid_after_utc == now + timedelta(days=365)

    expired = pki.leaf(root, expired=True).cert
    assert expired.not_valid_before_utc < expired.not_valid_after_utc < now
    future = pki.leaf(root, not_yet_valid=True).cert
    assert now < future.not_valid_before_utc < future.not_valid_after_utc
    assert pki.leaf(root, days_valid=5).cert.not_valid_after_utc == now + timedelta(days=5)

    nb, na = now - timedelta(days=2), now + timedelta(hours=1)
    explicit = pki.leaf(root, not_before=nb, not_after=na).cert
    assert (explicit.not_valid_before_utc, explicit.not_valid_after_utc) == (nb, na)
    # a GeneralizedTime date (year >= 2050) is fine too
    far = pki.root(not_after=now.replace(year=2060)).cert
    assert far.not_valid_after_utc.year == 2060

    other = pf.PKI(now=now - timedelta(days=1000)).root().cert
    assert other.not_valid_before_utc == now - timedelta(days=1030)
    with pytest.raises(ValueError, match="mutually exclusive"):
        pki.leaf(root, expired=True, not_yet_valid=True)


def test_constraint_options() -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root, path_len=0)
    assert ext(ica.cert, x509.BasicConstraints).value == x509.BasicConstraints(True, 0)

    no_bc = pki.intermediate(root, basic_constraints=False)
    assert not has_ext(no_bc.cert, x509.BasicConstraints)

    ca_leaf = pki.leaf(root, "leaf-but-ca.example.com", ca=True)
    assert ext(ca_leaf.cert, x509.BasicConstraints).value == x509.BasicConstraints(True, None)
    ku = ext(ca_leaf.cert, x509.KeyUsage).value
    assert isinstance(ku, x509.KeyUsage) and ku.key_cert_sign
    assert not has_ext(ca_leaf.cert, x509.ExtendedKeyUsage)
    assert not has_ext(ca_leaf.cert, x509.SubjectAlternativeName)

    non_ca_intermediate = pki.intermediate(root, ca=False)
    assert ext(non_ca_intermediate.cert, x509.BasicConstraints).value.ca is False  # type: ignore[attr-defined]

    no_ku = pki.leaf(root, key_usage=None)
    assert not has_ext(no_ku.cert, x509.KeyUsage)
    custom = ext(pki.leaf(root, key_usage=("keyAgreement", "nonRepudiation")).cert, x509.KeyUsage)
    assert isinstance(custom.value, x509.KeyUsage)
    assert custom.value.key_agreement and custom.value.content_commitment
    assert not custom.value.digital_signature
    with pytest.raises(ValueError, match="unknown key usage"):
        pki.leaf(root, key_usage=("signEverything",))

    server = pki.leaf(root, eku=("serverAuth", "codeSigning"))
    assert list(ext(server.cert, x509.ExtendedKeyUsage).value) == [  # type: ignore[call-overload]
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CODE_SIGNING,
    ]
    assert not has_ext(pki.leaf(root, eku=None).cert, x509.ExtendedKeyUsage)
    ca_eku = pki.intermediate(root, eku=("anyExtendedKeyUsage",))
    assert list(ext(ca_eku.cert, x509.ExtendedKeyUsage).value) == [  # type: ignore[call-overload]
        ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
    ]


def test_san_options() -> None:
    pki = pf.PKI()
    root = pki.root()
    leaf = pki.leaf(
        root,
        sans=(
            "DNS:api.example.com",
            "DNS:*.example.com",
            "IP:127.0.0.1",
            "IP:::1",
            "email:a@b.c",
            "URI:https://x",
        ),
    )
    san = ext(leaf.cert, x509.SubjectAlternativeName).value
    assert isinstance(san, x509.SubjectAlternativeName)
    assert san.get_values_for_type(x509.DNSName) == ["api.example.com", "*.example.com"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    assert san.get_values_for_type(x509.RFC822Name) == ["a@b.c"]
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["https://x"]

    assert not has_ext(pki.leaf(root, sans=()).cert, x509.SubjectAlternativeName)
    assert not has_ext(pki.leaf(root, "Test Client").cert, x509.SubjectAlternativeName)
    ip_leaf = ext(pki.leaf(root, "10.0.0.1").cert, x509.SubjectAlternativeName).value
    assert isinstance(ip_leaf, x509.SubjectAlternativeName)
    assert [str(ip) for ip in ip_leaf.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    with pytest.raises(ValueError, match="SAN"):
        pki.leaf(root, sans=("nonsense",))


def test_name_serial_and_key_identifier_options() -> None:
    pki = pf.PKI()
    root = pki.root()
    subject = pf.dn("odd.example.com", o="Example Corp", ou="Ops", c="US")
    leaf = pki.leaf(root, subject=subject, serial=12345)
    assert leaf.cert.subject == subject
    assert leaf.cert.serial_number == 12345
    assert leaf.cert.subject.rfc4514_string() == "CN=odd.example.com,OU=Ops,O=Example Corp,C=US"
    san = ext(leaf.cert, x509.SubjectAlternativeName).value  # default SAN from subject's CN
    assert isinstance(san, x509.SubjectAlternativeName)
    assert san.get_values_for_type(x509.DNSName) == ["odd.example.com"]
    no_cn = pki.leaf(root, subject=x509.Name([]))
    assert not has_ext(no_cn.cert, x509.SubjectAlternativeName) and len(no_cn.cert.subject) == 0

    # issuer NAME points elsewhere, signature still by root
    renamed = pki.leaf(root, issuer_name=pf.dn("Somebody Else"))
    assert renamed.cert.issuer == pf.dn("Somebody Else")
    verify_signature(renamed.cert, root.cert.public_key())

    bare = pki.leaf(root, ski=False, aki=False)
    assert not has_ext(bare.cert, x509.SubjectKeyIdentifier)
    assert not has_ext(bare.cert, x509.AuthorityKeyIdentifier)
    wrong = pki.leaf(root, aki_override=b"\x01" * 20)
    aki = ext(wrong.cert, x509.AuthorityKeyIdentifier).value
    assert isinstance(aki, x509.AuthorityKeyIdentifier) and aki.key_identifier == b"\x01" * 20

    # an issuer without SKI: AKI computed from its public key
    no_ski_root = pki.root("No SKI Root", ski=False)
    child = pki.leaf(no_ski_root)
    aki = ext(child.cert, x509.AuthorityKeyIdentifier).value
    assert aki == x509.AuthorityKeyIdentifier.from_issuer_public_key(
        no_ski_root.cert.public_key()  # type: ignore[arg-type]
    )
    with pytest.raises(TypeError, match="unknown certificate options"):
        pki.leaf(root, colour="blue")  # type: ignore[call-arg]


@pytest.mark.parametrize("serial", [0, -5, -128])
def test_non_positive_serial_option(serial: int) -> None:
    pki = pf.PKI()
    root = pki.root()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        leaf = pki.leaf(root, serial=serial)
        assert leaf.cert.serial_number == serial
    verify_signature(leaf.cert, root.cert.public_key())


def test_wrong_signer_and_key_reuse() -> None:
    pki = pf.PKI()
    root = pki.root()
    impostor = pki.root("Impostor Root")
    bad = pki.leaf(root, signer=impostor)
    assert bad.cert.issuer == root.cert.subject
    aki = ext(bad.cert, x509.AuthorityKeyIdentifier).value
    assert aki == ext(pki.leaf(root).cert, x509.AuthorityKeyIdentifier).value
    with pytest.raises(InvalidSignature):
        verify_signature(bad.cert, root.cert.public_key())
    verify_signature(bad.cert, impostor.cert.public_key())
    assert bad.signed_by is impostor.key

    rekeyed = pki.root("Test Root")  # same name, new key
    assert rekeyed.cert.subject == root.cert.subject
    assert rekeyed.cert.public_key() != root.cert.public_key()
    same_key = pki.root("Test Root", key_obj=root.key)
    assert same_key.cert.public_key() == root.cert.public_key()
    pki.leaf(root).cert.verify_directly_issued_by(same_key.cert)


def test_self_signed_leaf_and_chain() -> None:
    pki = pf.PKI()
    ss = pki.self_signed_leaf("me.example.com")
    assert ss.cert.subject == ss.cert.issuer
    assert ext(ss.cert, x509.BasicConstraints).value.ca is False  # type: ignore[attr-defined]
    assert list(ext(ss.cert, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]  # type: ignore[call-overload]
    verify_signature(ss.cert, ss.cert.public_key())

    chain = pki.chain(6, prefix="Deep")
    assert len(chain) == 6
    assert chain[0].cert.subject == pf.dn("Deep Root")
    assert chain[-1].cert.subject == pf.dn("Deep Intermediate 5")
    for parent, child in itertools.pairwise(chain):
        child.cert.verify_directly_issued_by(parent.cert)
    assert len(pki.chain(1)) == 1
    with pytest.raises(ValueError, match="depth"):
        pki.chain(0)


@needs_openssl
def test_openssl_verifies_depth_six_chain(tmp_path: Path) -> None:
    pki = pf.PKI()
    chain = pki.chain(6)
    leaf = pki.leaf(chain[-1])
    (tmp_path / "root.pem").write_bytes(chain[0].pem)
    (tmp_path / "untrusted.pem").write_bytes(pf.pem_bundle(chain[1:]))
    (tmp_path / "leaf.pem").write_bytes(leaf.pem)
    openssl(
        tmp_path, "verify", "-attime", ATTIME,
        "-CAfile", "root.pem", "-untrusted", "untrusted.pem", "leaf.pem",
    )  # fmt: skip


# ------------------------------------------------------------------------------------------
# version 1
# ------------------------------------------------------------------------------------------


def test_v1_root_and_leaf() -> None:
    root = pf.v1_root()
    assert root.cert.version == x509.Version.v1
    assert len(root.cert.extensions) == 0
    verify_signature(root.cert, root.cert.public_key())
    leaf = pf.v1_issued_leaf(root)
    assert leaf.cert.version == x509.Version.v3
    assert leaf.key is not root.key
    leaf.cert.verify_directly_issued_by(root.cert)
    v1_leaf = pf.v1_issued_leaf(root, v1=True)
    assert v1_leaf.cert.version == x509.Version.v1
    assert pf.PKI().v1_root(hash="sha1").cert.version == x509.Version.v1


@needs_openssl
def test_openssl_sees_v1(tmp_path: Path) -> None:
    root = pf.v1_root()
    leaf = pf.v1_issued_leaf(root)
    (tmp_path / "root.pem").write_bytes(root.pem)
    (tmp_path / "leaf.pem").write_bytes(leaf.pem)
    text = openssl(tmp_path, "x509", "-in", "root.pem", "-noout", "-text").stdout
    assert "Version: 1 (0x0)" in text
    assert "X509v3 extensions" not in text
    openssl(tmp_path, "verify", "-attime", ATTIME, "-CAfile", "root.pem", "leaf.pem")


# ------------------------------------------------------------------------------------------
# bytes helpers
# ------------------------------------------------------------------------------------------


def test_pem_bundle_variants() -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root)
    leaf = pki.leaf(ica)
    ders = [leaf.der, ica.der, root.der]

    plain = pf.pem_bundle([leaf, ica, root])
    assert [der for _, der in pem_blocks(plain)] == ders
    assert plain.count(b"-----BEGIN CERTIFICATE-----") == 3
    assert len(x509.load_pem_x509_certificates(plain)) == 3

    crlf = pf.pem_bundle([leaf, ica], crlf=True)
    assert b"\r\n" in crlf and b"\n" not in crlf.replace(b"\r\n", b"")

    bom = pf.pem_bundle([leaf], bom=True)
    assert bom.startswith(b"\xef\xbb\xbf-----BEGIN CERTIFICATE-----")

    labelled = pf.pem_bundle([leaf], label="X509 CERTIFICATE")
    assert pem_blocks(labelled) == [("X509 CERTIFICATE", leaf.der)]

    messy = pf.pem_bundle([leaf, ica.der, root.pem], garbage=True, headers=True)
    assert [der for _, der in pem_blocks(messy)] == ders
    assert not messy.startswith(b"-----")
    assert messy.count(b"Bag Attributes\n    localKeyID:") == 3
    assert b"subject=/CN=client.example.com\nissuer=/CN=Test Intermediate\n" in messy
    assert b"subject=CN = client.example.com\n" in messy
    assert b"\n\n" in messy

    headers_only = pf.pem_bundle([leaf], headers=True)
    assert headers_only.startswith(b"Bag Attributes\n")

    everything = pf.pem_bundle([leaf, root], crlf=True, bom=True, garbage=True, headers=True)
    assert [der for _, der in pem_blocks(everything)] == [leaf.der, root.der]


@needs_openssl
def test_trusted_certificate_pem(tmp_path: Path) -> None:
    root = pf.PKI().root()
    trusted = pf.trusted_certificate_pem(root)
    ((label, body),) = pem_blocks(trusted)
    assert label == "TRUSTED CERTIFICATE"
    assert body.startswith(root.der) and len(body) > len(root.der)  # X509_AUX trailer
    (tmp_path / "t.pem").write_bytes(trusted)
    text = openssl(tmp_path, "x509", "-in", "t.pem", "-noout", "-text", "-trustout").stdout
    assert "TLS Web Client Authentication" in text
    # mixing it into a bundle keeps it verbatim
    bundle = pf.pem_bundle([trusted, root])
    assert [lbl for lbl, _ in pem_blocks(bundle)] == ["TRUSTED CERTIFICATE", "CERTIFICATE"]


def test_p7b_pem_and_der() -> None:
    pki = pf.PKI()
    root = pki.root()
    leaf = pki.leaf(root)
    sorted_der = pf.p7b([leaf, root], pem=False, sort=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # canonical DER: no BER fallback warning
        loaded = pkcs7.load_der_pkcs7_certificates(sorted_der)
    assert {c.serial_number for c in loaded} == {leaf.cert.serial_number, root.cert.serial_number}
    assert pem_blocks(pf.p7b([leaf], pem=True)) == [("PKCS7", pf.p7b([leaf], pem=False))]
    # the default keeps the order given
    for order in ([leaf, root], [root, leaf]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            got = pkcs7.load_pem_pkcs7_certificates(pf.p7b(order, pem=True))
        assert got == [c.cert for c in order]


@needs_openssl
def test_p7b_matches_openssl_crl2pkcs7(tmp_path: Path) -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root)
    leaf = pki.leaf(ica)
    (tmp_path / "bundle.pem").write_bytes(pf.pem_bundle([leaf, ica, root]))
    openssl(
        tmp_path, "crl2pkcs7", "-nocrl", "-certfile", "bundle.pem",
        "-outform", "DER", "-out", "out.p7b",
    )  # fmt: skip
    assert (tmp_path / "out.p7b").read_bytes() == pf.p7b([leaf, ica, root], pem=False)


@needs_openssl
def test_p7b_ber_indefinite(tmp_path: Path) -> None:
    pki = pf.PKI()
    root = pki.root()
    ica = pki.intermediate(root)
    leaf = pki.leaf(ica)
    ber = pf.p7b_ber_indefinite([leaf, ica, root])
    assert ber.startswith(b"\x30\x80\x06\x09") and ber.endswith(b"\x00\x00")
    assert ber != pf.p7b([leaf, ica, root], pem=False)
    with pytest.raises(ValueError, match="indefinite"):
        pf._read_tlv(ber)  # strict DER reading refuses it
    for der in (leaf.der, ica.der, root.der):
        assert der in ber  # the certificates themselves stay DER
    with pytest.warns(UserWarning, match="BER"):  # cryptography copes, but complains
        assert pkcs7.load_der_pkcs7_certificates(ber) == [leaf.cert, ica.cert, root.cert]
    (tmp_path / "ber.p7b").write_bytes(ber)
    out = openssl(tmp_path, "pkcs7", "-inform", "DER", "-in", "ber.p7b", "-print_certs").stdout
    assert [der for _, der in pem_blocks(out.encode())] == [leaf.der, ica.der, root.der]


def test_p12_roundtrip() -> None:
    pki = pf.PKI()
    root = pki.root()
    leaf = pki.leaf(root)
    data = pf.p12(leaf, password=b"pw", extra=[root])
    key, cert, extra = pkcs12.load_key_and_certificates(data, b"pw")
    assert cert == leaf.cert and extra == [root.cert]
    assert key is not None and key.public_key() == leaf.key.public_key()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong")

    open_p12 = pf.p12(leaf, password=None)
    key, cert, extra = pkcs12.load_key_and_certificates(open_p12, None)
    assert cert == leaf.cert and extra == []

    legacy = pf.p12(leaf, password=b"pw", extra=[root], legacy=True)
    key, cert, extra = pkcs12.load_key_and_certificates(legacy, b"pw")
    assert cert == leaf.cert and extra == [root.cert]
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(legacy, b"wrong")
    with pytest.raises(ValueError, match="password"):
        pf.p12(leaf, password=None, legacy=True)


def test_csr_crl_and_keys() -> None:
    csr_data = pf.csr_pem(sans=("DNS:csr.example.com",))
    assert csr_data.startswith(b"-----BEGIN CERTIFICATE REQUEST-----")
    csr = x509.load_pem_x509_csr(csr_data)
    assert csr.is_signature_valid

    pki = pf.PKI()
    root = pki.root()
    leaf = pki.leaf(root)
    crl = x509.load_pem_x509_crl(pf.crl_pem(root, revoked=[leaf, 42]))
    assert crl.is_signature_valid(root.cert.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(leaf.cert.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(42) is not None
    assert crl.issuer == root.cert.subject

    assert pf.private_key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pf.private_key_pem(traditional=True).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert pf.private_key_pem("p256", traditional=True).startswith(b"-----BEGIN EC PRIVATE KEY-----")
    for blob in (pf.private_key_pem("ed25519"), pf.private_key_pem("rsa2048", True)):
        serialization.load_pem_private_key(blob, None)

    enc = pf.encrypted_key_pem(b"pw")
    assert enc.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    serialization.load_pem_private_key(enc, b"pw")
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(enc, b"nope")
    legacy_enc = pf.encrypted_key_pem(b"pw", traditional=True)
    assert b"Proc-Type: 4,ENCRYPTED" in legacy_enc
    serialization.load_pem_private_key(legacy_enc, b"pw")


@pytest.mark.parametrize("issuer_key", ["rsa2048", "p256", "ed25519"])
def test_duplicate_extension(issuer_key: str) -> None:
    pki = pf.PKI()
    root = pki.root(key=issuer_key)
    leaf = pki.leaf(root)
    der = pf.with_duplicate_extension(leaf)
    cert = x509.load_der_x509_certificate(der)
    with pytest.raises(x509.DuplicateExtension) as info:
        _ = cert.extensions
    assert info.value.oid == x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER
    assert cert.subject == leaf.cert.subject
    verify_signature(cert, root.cert.public_key())

    eku_twice = x509.load_der_x509_certificate(
        pf.with_duplicate_extension(leaf, x509.oid.ExtensionOID.EXTENDED_KEY_USAGE)
    )
    with pytest.raises(x509.DuplicateExtension):
        _ = eku_twice.extensions


@pytest.mark.parametrize("hash_name", ["sha256", "sha1"])
def test_non_utf8_subject(hash_name: str) -> None:
    pki = pf.PKI()
    root = pki.root(hash=hash_name)
    ica = pki.intermediate(root, hash=hash_name)
    leaf = pki.leaf(ica, hash=hash_name)
    cert = x509.load_der_x509_certificate(pf.with_non_utf8_subject(leaf))
    with pytest.raises(ValueError):
        _ = cert.subject
    assert b"\x0c\x02\xff\xfe" in cert.tbs_certificate_bytes  # UTF8String, 2 bytes, invalid
    assert cert.issuer == ica.cert.subject
    assert cert.serial_number == leaf.cert.serial_number
    algorithm = cert.signature_hash_algorithm
    assert algorithm is not None and algorithm.name == hash_name
    ica_public = ica.cert.public_key()
    assert isinstance(ica_public, rsa.RSAPublicKey)
    ica_public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)

    bad_issuer = x509.load_der_x509_certificate(pf.with_non_utf8_subject(leaf, b"ok\xc3\x28", field="issuer"))
    assert bad_issuer.subject == leaf.cert.subject
    with pytest.raises(ValueError):
        _ = bad_issuer.issuer
    with pytest.raises(ValueError, match="UTF-8"):
        pf.with_non_utf8_subject(leaf, b"fine")


@needs_openssl
def test_negative_and_zero_serial_pem() -> None:
    for data, expected in ((pf.negative_serial_pem(), -5), (pf.zero_serial_pem(), 0)):
        assert data.startswith(b"-----BEGIN CERTIFICATE-----")
        with pytest.warns(CryptographyDeprecationWarning, match="serial number"):
            cert = x509.load_pem_x509_certificate(data)
            assert cert.serial_number == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        assert x509.load_pem_x509_certificate(pf.negative_serial_pem(-1)).serial_number == -1


@pytest.mark.parametrize("issuer_key", ["rsa2048", "p256", "ed25519"])
def test_corrupt_signature(issuer_key: str) -> None:
    pki = pf.PKI()
    root = pki.root(key=issuer_key)
    leaf = pki.leaf(root)
    bad = x509.load_der_x509_certificate(pf.corrupt_signature(leaf.der))
    assert bad.tbs_certificate_bytes == leaf.cert.tbs_certificate_bytes
    assert bad.signature != leaf.cert.signature
    with pytest.raises(InvalidSignature):
        verify_signature(bad, root.cert.public_key())
    assert pf.corrupt_signature(leaf) == pf.corrupt_signature(leaf.cert)


def test_truncated_and_bad_base64_pem() -> None:
    leaf = pf.PKI().self_signed_leaf()
    truncated = pf.truncated_pem(leaf)
    assert truncated.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert b"-----END" not in truncated
    assert len(truncated) < len(leaf.pem)
    bad = pf.bad_base64_pem()
    assert bad.startswith(b"-----BEGIN CERTIFICATE-----") and b"-----END CERTIFICATE-----" in bad
    for data in (truncated, bad):
        with pytest.raises(ValueError):
            x509.load_pem_x509_certificate(data)


# ------------------------------------------------------------------------------------------
# DER internals
# ------------------------------------------------------------------------------------------


@settings(database=None)
@given(st.integers(min_value=-(2**160), max_value=2**160))
def test_int_content_is_minimal_twos_complement(n: int) -> None:
    content = pf._int_content(n)
    assert int.from_bytes(content, "big", signed=True) == n
    if len(content) > 1:  # DER: no redundant leading 00/FF octet
        assert not (content[0] == 0x00 and content[1] < 0x80)
        assert not (content[0] == 0xFF and content[1] >= 0x80)


@settings(database=None)
@given(st.binary(max_size=300))
def test_tlv_roundtrip(content: bytes) -> None:
    encoded = pf._tlv(0x04, content)
    assert pf._read_tlv(encoded) == (0x04, content, len(encoded))
