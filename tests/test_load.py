"""Loading certificates from every encoding (`pki/load.py`), the small BER/DER reader
(`pki/der.py`) and the per-certificate summary (`pki/describe.py`)."""

from __future__ import annotations

import base64
import hashlib
import random
import re
import warnings
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from mtls_doctor.model.certificate import BasicConstraints, Container, KeyInfo
from mtls_doctor.pki import der as asn1
from mtls_doctor.pki.describe import describe, fingerprint, key_info, validity_at
from mtls_doctor.pki.load import (
    LoadedCert,
    LoadedFile,
    Pkcs12PasswordError,
    ProblemKind,
    load_certificates,
    parse_certificate,
)
from tests.pki_factory import (
    NOW,
    PKI,
    Issued,
    bad_base64_pem,
    corrupt_signature,
    crl_pem,
    csr_pem,
    dn,
    encrypted_key_pem,
    negative_serial_pem,
    openssl_available,
    p7b,
    p7b_ber_indefinite,
    p12,
    pem_bundle,
    private_key_pem,
    truncated_pem,
    trusted_certificate_pem,
    v1_root,
    with_duplicate_extension,
    with_non_utf8_subject,
    zero_serial_pem,
)

# cryptography 50 warns when it falls back to BER for PKCS#7 and when it reads a non-positive serial
# (the factory itself loads such certificates). Whether the loader lets these warnings escape is
# tested explicitly, with every warning recorded, near the end of this file.
pytestmark = [
    pytest.mark.filterwarnings("ignore:PKCS#7 certificates could not be parsed:UserWarning"),
    pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning"),
]

needs_openssl = pytest.mark.skipif(not openssl_available(), reason="openssl CLI not on PATH")
FINGERPRINT = re.compile(r"^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$")


# ------------------------------------------------------------------------------------------
# fixtures and helpers
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root(pki: PKI) -> Issued:
    return pki.root("Load Test Root")


@pytest.fixture(scope="module")
def ica(pki: PKI, root: Issued) -> Issued:
    return pki.intermediate(root, "Load Test Intermediate", key="p256")


@pytest.fixture(scope="module")
def leaf(pki: PKI, ica: Issued) -> Issued:
    return pki.leaf(ica, "client.example.com", key="p256")


def subjects(loaded: LoadedFile) -> list[str]:
    return [c.cert.subject.rfc4514_string() for c in loaded.certificates if c.cert is not None]


def begin_lines(data: bytes) -> list[int]:
    """1-based line numbers of the BEGIN lines, counted the way an editor does."""
    return [n for n, line in enumerate(data.splitlines(), start=1) if line.startswith(b"-----BEGIN")]


def pem_body(pem: bytes) -> list[str]:
    """The base64 lines of a PEM block."""
    return [ln for ln in pem.decode().splitlines() if ln and not ln.startswith("-----")]


def only(loaded: LoadedFile) -> LoadedCert:
    assert len(loaded.certificates) == 1, loaded
    return loaded.certificates[0]


def summary_of(issued: Issued):
    return describe(only(load_certificates(issued.der, "cert.der")), NOW)


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _whole(data: bytes, tlv: asn1.Tlv) -> bytes:
    assert tlv.length is not None
    return data[tlv.start : tlv.content_start + tlv.length]


def with_serial_content(der: bytes, content: bytes) -> bytes:
    """The certificate with its serial INTEGER content replaced (signature left stale)."""
    top = asn1.read_tlv(der)
    tbs, alg, sig = asn1.children(der, top)
    fields = [_whole(der, f) for f in asn1.children(der, tbs)]
    fields[1 if fields[0][0] == 0xA0 else 0] = _tlv(0x02, content)
    return _tlv(0x30, _tlv(0x30, b"".join(fields)) + _whole(der, alg) + _whole(der, sig))


# ------------------------------------------------------------------------------------------
# PEM
# ------------------------------------------------------------------------------------------


def test_single_pem_block(leaf: Issued) -> None:
    loaded = load_certificates(leaf.pem, "leaf.pem")
    assert loaded.container is Container.PEM
    c = only(loaded)
    assert c.ok
    assert c.der == leaf.der
    assert c.position.line == 1
    assert c.position.index == 0
    assert c.label == "CERTIFICATE"
    assert loaded.problems == ()
    assert loaded.good == loaded.certificates


def test_many_blocks_with_text_before_and_between(root: Issued, ica: Issued, leaf: Issued) -> None:
    data = (
        b"Bag Attributes\n    localKeyID: 01 02 03\nsubject=/CN=Load Test Root\n\n"
        + root.pem
        + b"\nsome prose between blocks\n\n"
        + ica.pem
        + b"Bag Attributes: <No Attributes>\n"
        + leaf.pem
        + b"trailing text\n"
    )
    loaded = load_certificates(data, "bundle.pem")
    assert loaded.container is Container.PEM
    assert subjects(loaded) == ["CN=Load Test Root", "CN=Load Test Intermediate", "CN=client.example.com"]
    root_lines = len(root.pem.splitlines())
    ica_lines = len(ica.pem.splitlines())
    expected = [5, 5 + root_lines + 3, 5 + root_lines + 3 + ica_lines + 1]
    assert [c.position.line for c in loaded.certificates] == expected
    assert expected == begin_lines(data)
    assert [c.position.index for c in loaded.certificates] == [0, 1, 2]
    assert loaded.problems == ()


def test_factory_bundle_with_garbage_and_bag_attributes(root: Issued, ica: Issued, leaf: Issued) -> None:
    data = pem_bundle([root, ica, leaf], garbage=True, headers=True)
    loaded = load_certificates(data, "messy.pem")
    assert len(loaded.good) == 3
    assert [c.position.line for c in loaded.certificates] == begin_lines(data)
    assert begin_lines(data)[0] > 1  # text came first
    assert [c.der for c in loaded.certificates] == [root.der, ica.der, leaf.der]


def test_crlf_and_utf8_bom(root: Issued, leaf: Issued) -> None:
    data = pem_bundle([root, leaf], crlf=True, bom=True, garbage=True)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    loaded = load_certificates(data, "crlf.pem")
    assert loaded.container is Container.PEM
    assert [c.der for c in loaded.good] == [root.der, leaf.der]
    assert [c.position.line for c in loaded.certificates] == begin_lines(data[3:])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(root: Issued, leaf: Issued, encoding: str) -> None:
    text = pem_bundle([root, leaf]).decode()
    data = text.encode(encoding) if encoding == "utf-16" else ("\ufeff" + text).encode(encoding)
    assert data[:2] in (b"\xff\xfe", b"\xfe\xff")
    loaded = load_certificates(data, "utf16.pem")
    assert loaded.container is Container.PEM
    assert [c.der for c in loaded.good] == [root.der, leaf.der]
    assert [c.position.line for c in loaded.certificates] == [1, 1 + len(root.pem.splitlines())]


def test_x509_certificate_label(leaf: Issued) -> None:
    loaded = load_certificates(pem_bundle([leaf], label="X509 CERTIFICATE"), "x509.pem")
    c = only(loaded)
    assert c.ok and c.der == leaf.der
    assert c.label == "X509 CERTIFICATE"


@needs_openssl
def test_openssl_trusted_certificate(root: Issued, leaf: Issued) -> None:
    trusted = trusted_certificate_pem(root, trust=("clientAuth", "serverAuth"), alias="my root")
    raw = base64.b64decode("".join(pem_body(trusted)))
    assert len(raw) > len(root.der)  # the X509_AUX trailer is really there
    loaded = load_certificates(leaf.pem + trusted, "trusted.pem")
    assert [c.label for c in loaded.certificates] == ["CERTIFICATE", "TRUSTED CERTIFICATE"]
    assert loaded.certificates[1].ok
    assert loaded.certificates[1].der == root.der  # trailing aux dropped
    assert loaded.certificates[1].position.line == len(leaf.pem.splitlines()) + 1
    assert loaded.problems == ()


def test_block_pasted_on_one_line(root: Issued, leaf: Issued) -> None:
    one_line = b" ".join(leaf.pem.split(b"\n")).strip()
    assert one_line.count(b"\n") == 0
    data = root.pem + b"pasted:\n" + one_line + b"\n"
    loaded = load_certificates(data, "pasted.pem")
    assert [c.der for c in loaded.good] == [root.der, leaf.der]
    assert loaded.certificates[1].position.line == len(root.pem.splitlines()) + 2


def test_rfc1421_headers_before_base64(leaf: Issued) -> None:
    lines = leaf.pem.decode().splitlines()
    data = "\n".join([lines[0], "Comment: exported by hand", "", *lines[1:]]).encode() + b"\n"
    assert only(load_certificates(data, "headers.pem")).der == leaf.der


# ------------------------------------------------------------------------------------------
# DER, base64, PKCS#7, PKCS#12
# ------------------------------------------------------------------------------------------


def test_single_der(leaf: Issued) -> None:
    loaded = load_certificates(leaf.der, "leaf.der")
    assert loaded.container is Container.DER
    c = only(loaded)
    assert c.ok and c.der == leaf.der
    assert c.position.line is None
    assert c.position.describe() == "leaf.der, certificate #1"


def test_two_der_certificates_concatenated(root: Issued, leaf: Issued) -> None:
    loaded = load_certificates(leaf.der + root.der, "two.der")
    assert loaded.container is Container.DER
    assert [c.der for c in loaded.certificates] == [leaf.der, root.der]
    assert [c.position.index for c in loaded.certificates] == [0, 1]
    assert all(c.ok for c in loaded.certificates)
    assert loaded.problems == ()


def test_der_followed_by_junk(root: Issued, leaf: Issued) -> None:
    loaded = load_certificates(leaf.der + root.der[:100], "junk.der")
    assert [c.der for c in loaded.certificates] == [leaf.der]
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.MALFORMED
    assert "100 bytes after the last certificate" in problem.detail


@pytest.mark.parametrize("wrap", [0, 64, 76])
def test_base64_without_armour(root: Issued, leaf: Issued, wrap: int) -> None:
    text = base64.b64encode(leaf.der).decode()
    if wrap:
        text = "\n".join(text[i : i + wrap] for i in range(0, len(text), wrap))
    loaded = load_certificates(text.encode() + b"\n", "pasted.txt")
    assert loaded.container is Container.BASE64
    c = only(loaded)
    assert c.ok and c.der == leaf.der
    assert c.position.container is Container.BASE64


def test_base64_of_two_der_certificates(root: Issued, leaf: Issued) -> None:
    loaded = load_certificates(base64.b64encode(leaf.der + root.der), "two.b64")
    assert loaded.container is Container.BASE64
    assert [c.der for c in loaded.certificates] == [leaf.der, root.der]


def test_pkcs7_pem_keeps_order(root: Issued, ica: Issued, leaf: Issued) -> None:
    loaded = load_certificates(p7b([leaf, ica, root], pem=True), "chain.p7b")
    assert loaded.container is Container.PKCS7_PEM
    assert subjects(loaded) == ["CN=client.example.com", "CN=Load Test Intermediate", "CN=Load Test Root"]
    assert all(c.ok and c.label == "PKCS7" for c in loaded.certificates)
    assert loaded.certificates[2].position.describe() == (
        "chain.p7b, certificate #3 (in the PKCS#7 (PEM) structure)")


@pytest.mark.parametrize("order", ["given", "reversed"])
def test_pkcs7_der_keeps_order(root: Issued, ica: Issued, leaf: Issued, order: str) -> None:
    certs = [leaf, ica, root] if order == "given" else [root, ica, leaf]
    loaded = load_certificates(p7b(certs, pem=False), "chain.p7b")
    assert loaded.container is Container.PKCS7_DER
    assert [c.der for c in loaded.certificates] == [c.der for c in certs]
    assert loaded.problems == ()


def test_pkcs7_ber_indefinite_length(root: Issued, ica: Issued, leaf: Issued) -> None:
    data = p7b_ber_indefinite([leaf, ica, root])
    assert data[:2] == b"\x30\x80"
    loaded = load_certificates(data, "java.p7b")
    assert loaded.container is Container.PKCS7_DER
    assert [c.der for c in loaded.certificates] == [leaf.der, ica.der, root.der]
    assert loaded.problems == ()


def test_pkcs7_pem_and_certificate_in_one_file_is_pem(root: Issued, leaf: Issued) -> None:
    loaded = load_certificates(p7b([leaf], pem=True) + root.pem, "mixed.pem")
    assert loaded.container is Container.PEM
    assert [c.der for c in loaded.certificates] == [leaf.der, root.der]


def test_pkcs12_with_password(ica: Issued, leaf: Issued) -> None:
    data = p12(leaf, password=b"s3cret-pass", extra=[ica])
    loaded = load_certificates(data, "client.p12", password=b"s3cret-pass")
    assert loaded.container is Container.PKCS12
    assert [c.der for c in loaded.certificates] == [leaf.der, ica.der]
    assert all(c.label == "PKCS12" for c in loaded.certificates)
    assert loaded.pkcs12_key is not None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert loaded.pkcs12_key.public_key().public_bytes(*spki) == leaf.key.public_key().public_bytes(*spki)
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.PRIVATE_KEY
    key_der = leaf.key_der()
    shown = repr(loaded) + problem.detail
    for secret in (base64.b64encode(key_der).decode()[:40], key_der.hex()[:40], "s3cret-pass"):
        assert secret not in shown


def test_pkcs12_without_password_file_needs_no_password(leaf: Issued) -> None:
    loaded = load_certificates(p12(leaf, password=None), "open.p12")
    assert loaded.container is Container.PKCS12
    assert [c.der for c in loaded.certificates] == [leaf.der]
    assert loaded.pkcs12_key is not None


@needs_openssl
def test_pkcs12_legacy_openssl(ica: Issued, leaf: Issued) -> None:
    data = p12(leaf, password=b"pw", extra=[ica], legacy=True)
    loaded = load_certificates(data, "legacy.p12", password=b"pw")
    assert loaded.container is Container.PKCS12
    assert {c.der for c in loaded.certificates} == {leaf.der, ica.der}


def test_pkcs12_password_missing(leaf: Issued) -> None:
    with pytest.raises(Pkcs12PasswordError) as excinfo:
        load_certificates(p12(leaf, password=b"s3cret-pass"), "client.p12")
    text = str(excinfo.value)
    assert "--key-password-env" in text
    assert "client.p12" in text
    assert "s3cret-pass" not in text


def test_pkcs12_wrong_password(leaf: Issued) -> None:
    with pytest.raises(Pkcs12PasswordError) as excinfo:
        load_certificates(p12(leaf, password=b"s3cret-pass"), "client.p12", password=b"guess-1234")
    text = str(excinfo.value)
    assert "wrong password" in text
    assert "client.p12" in text
    assert "guess-1234" not in text and "s3cret-pass" not in text


# ------------------------------------------------------------------------------------------
# bad input never raises
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t ", b"\xef\xbb\xbf\n", b"\x00\x00"],
                         ids=["empty", "whitespace", "bom", "nul"])
def test_empty_input(data: bytes) -> None:
    loaded = load_certificates(data, "empty.pem")
    assert loaded.container is Container.EMPTY
    assert loaded.certificates == ()
    assert loaded.problems == ()


def test_random_bytes() -> None:
    data = b"\x01" + random.Random(1234).randbytes(511)
    loaded = load_certificates(data, "random.bin")
    assert loaded.container is Container.UNKNOWN
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.MALFORMED
    assert "neither PEM" in problem.detail


def test_garbage_that_starts_like_der() -> None:
    loaded = load_certificates(b"\x30\x03\x01\x02\x03", "odd.der")
    assert loaded.container is Container.DER
    c = only(loaded)
    assert c.cert is None and not c.ok
    assert c.error is not None and "not a valid X.509 certificate" in c.error


def test_plain_text_is_unknown() -> None:
    loaded = load_certificates(b"hello, this is not a certificate!\n", "notes.txt")
    assert loaded.container is Container.UNKNOWN
    assert [p.kind for p in loaded.problems] == [ProblemKind.MALFORMED]


def test_truncated_pem(root: Issued, leaf: Issued) -> None:
    data = root.pem + truncated_pem(leaf)
    loaded = load_certificates(data, "cut.pem")
    assert len(loaded.certificates) == 2
    good, cut = loaded.certificates
    assert good.ok and good.der == root.der
    assert cut.cert is None and cut.der == b""
    assert cut.error is not None and "no matching END" in cut.error
    assert cut.position.line == len(root.pem.splitlines()) + 1
    assert loaded.good == (good,)


def test_bad_base64_pem() -> None:
    c = only(load_certificates(bad_base64_pem(), "bad.pem"))
    assert c.cert is None
    assert c.error is not None and "corrupt" in c.error
    assert c.position.line == 1


def test_empty_pem_body() -> None:
    c = only(load_certificates(b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "e.pem"))
    assert c.error == "empty base64 body"


def test_mismatched_end_line(leaf: Issued) -> None:
    data = leaf.pem.replace(b"END CERTIFICATE", b"END X509 CRL")
    loaded = load_certificates(data, "mismatch.pem")
    assert [p.kind for p in loaded.problems] == [ProblemKind.MALFORMED]
    assert "closed by END X509 CRL" in loaded.problems[0].detail
    assert only(loaded).cert is None


@pytest.mark.parametrize("traditional", [False, True])
def test_pem_private_key_is_reported_not_shown(leaf: Issued, traditional: bool) -> None:
    key = private_key_pem("rsa2048", traditional=traditional)
    loaded = load_certificates(leaf.pem + key, "combined.pem")
    assert [c.der for c in loaded.certificates] == [leaf.der]
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.PRIVATE_KEY
    assert problem.label == ("RSA PRIVATE KEY" if traditional else "PRIVATE KEY")
    assert problem.line == len(leaf.pem.splitlines()) + 1
    shown = repr(loaded) + " ".join(p.detail for p in loaded.problems)
    for line in pem_body(key):
        assert line not in shown
    assert "".join(pem_body(key))[:32] not in shown


@pytest.mark.parametrize("traditional", [False, True])
def test_encrypted_pem_private_key(traditional: bool) -> None:
    key = encrypted_key_pem(b"pw", traditional=traditional)
    loaded = load_certificates(key, "key.pem")
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.PRIVATE_KEY
    assert problem.label == ("RSA PRIVATE KEY" if traditional else "ENCRYPTED PRIVATE KEY")
    assert "not shown" in problem.detail


def test_csr_pem() -> None:
    loaded = load_certificates(csr_pem(), "req.pem")
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.NOT_A_CERTIFICATE
    assert "CSR" in problem.detail
    assert problem.label == "CERTIFICATE REQUEST"
    assert problem.line == 1


def test_crl_pem(root: Issued) -> None:
    loaded = load_certificates(b"# revocations\n" + crl_pem(root), "list.crl")
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.NOT_A_CERTIFICATE
    assert "CRL" in problem.detail
    assert problem.line == 2


def test_csr_der() -> None:
    der = x509.load_pem_x509_csr(csr_pem()).public_bytes(serialization.Encoding.DER)
    loaded = load_certificates(der, "req.der")
    assert loaded.container is Container.DER
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.NOT_A_CERTIFICATE
    assert "CSR" in problem.detail


def test_crl_der(root: Issued) -> None:
    der = x509.load_pem_x509_crl(crl_pem(root)).public_bytes(serialization.Encoding.DER)
    (problem,) = load_certificates(der, "list.crl").problems
    assert problem.kind is ProblemKind.NOT_A_CERTIFICATE
    assert "CRL" in problem.detail


def test_der_private_key(leaf: Issued) -> None:
    key_der = leaf.key_der()
    loaded = load_certificates(key_der, "key.der")
    assert loaded.certificates == ()
    (problem,) = loaded.problems
    assert problem.kind is ProblemKind.PRIVATE_KEY
    assert "not shown" in problem.detail
    assert key_der.hex()[:40] not in repr(loaded)


def test_encrypted_der_private_key(leaf: Issued) -> None:
    der = leaf.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.BestAvailableEncryption(b"pw"))
    (problem,) = load_certificates(der, "key.der").problems
    assert problem.kind is ProblemKind.PRIVATE_KEY
    assert "encrypted" in problem.detail


def test_non_utf8_subject(ica: Issued, leaf: Issued) -> None:
    loaded = load_certificates(with_non_utf8_subject(leaf), "bad-name.der")
    c = only(loaded)
    assert c.cert is not None
    assert not c.ok
    assert c.error is not None and "does not decode" in c.error
    assert loaded.good == ()
    s = describe(c, NOW)
    assert s.subject == "CN=\\xff\\xfe"
    assert s.issuer == "CN=Load Test Intermediate"
    assert s.malformed == c.error
    assert s.sans == () and s.ski is None and s.key_usage is None
    assert s.self_signed is False
    assert s.key.type == "EC"


def test_non_utf8_issuer(leaf: Issued) -> None:
    c = only(load_certificates(with_non_utf8_subject(leaf, b"ab\xc3", field="issuer"), "x.der"))
    assert c.error is not None and "does not decode" in c.error
    s = describe(c, NOW)
    assert s.subject == "CN=client.example.com"
    assert s.issuer == "CN=ab\\xc3"


def test_duplicate_extension(leaf: Issued) -> None:
    c = only(load_certificates(with_duplicate_extension(leaf), "dup.der"))
    assert c.ok
    assert any("appears twice" in n and "subjectKeyIdentifier" in n for n in c.notes)
    s = describe(c, NOW)
    assert any("appears twice" in n for n in s.nonstandard)
    assert s.malformed is None


@pytest.mark.parametrize(("serial", "text"), [(0, "00"), (-5, "-05")])
def test_non_positive_serial(pki: PKI, serial: int, text: str) -> None:
    issued = pki.root(f"Serial {serial}", key="p256", serial=serial)
    c = only(load_certificates(issued.der, "serial.der"))
    assert c.ok
    assert any("serial" in n and "zero or negative" in n for n in c.notes)
    s = describe(c, NOW)
    assert s.serial == text
    assert any("serial" in n for n in s.nonstandard)


@needs_openssl
@pytest.mark.parametrize("make", [zero_serial_pem, negative_serial_pem], ids=["zero", "negative"])
def test_openssl_non_positive_serial(make) -> None:
    c = only(load_certificates(make(), "serial.pem"))
    assert c.ok
    assert any("serial" in n for n in c.notes)


def test_serial_longer_than_20_octets(pki: PKI) -> None:
    issued = pki.root("Long Serial", key="p256")
    long_serial = with_serial_content(issued.der, b"\x00\x80" + b"\x11" * 19)
    c = only(load_certificates(long_serial, "long.der"))
    assert c.cert is not None and c.cert.serial_number.bit_length() == 160
    assert any("longer than 20 octets" in n for n in c.notes)
    twenty = with_serial_content(issued.der, b"\x7f" + b"\x11" * 19)
    assert only(load_certificates(twenty, "ok.der")).notes == ()


def test_corrupt_signature_still_loads(pki: PKI) -> None:
    issued = pki.root("Corrupt Root", key="p256")
    intact = summary_of(issued)
    c = only(load_certificates(corrupt_signature(issued), "corrupt.der"))
    assert c.ok
    assert c.cert is not None and c.cert.subject == issued.cert.subject
    assert intact.self_signed is True
    assert describe(c, NOW).self_signed is False  # the broken signature no longer verifies


def test_parse_certificate_on_garbage() -> None:
    cert, error, notes = parse_certificate(b"\x30\x03\x02\x01\x01")
    assert cert is None
    assert error is not None and error.startswith("not a valid X.509 certificate")
    assert notes == ()


def test_parse_certificate_on_good_der(leaf: Issued) -> None:
    cert, error, notes = parse_certificate(leaf.der)
    assert cert == leaf.cert
    assert error is None and notes == ()


# ------------------------------------------------------------------------------------------
# describe
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected", "sig_hash"),
    [
        ("rsa2048", KeyInfo("RSA", 2048, None), "sha256"),
        ("p256", KeyInfo("EC", 256, "secp256r1"), "sha256"),
        ("p384", KeyInfo("EC", 384, "secp384r1"), "sha256"),
        ("ed25519", KeyInfo("Ed25519", 256, None), None),
        ("ed448", KeyInfo("Ed448", 456, None), None),
        ("dsa2048", KeyInfo("DSA", 2048, None), "sha256"),
    ],
)
def test_key_info_and_signature_hash(pki: PKI, kind: str, expected: KeyInfo, sig_hash: str | None) -> None:
    issued = pki.root(f"{kind} root", key=kind)
    assert key_info(issued.cert) == expected
    s = summary_of(issued)
    assert s.key == expected
    assert s.signature_hash == sig_hash
    assert s.self_signed is True


@pytest.mark.parametrize(
    ("hash_name", "algorithm"),
    [("sha256", "sha256WithRSAEncryption"), ("sha1", "sha1WithRSAEncryption"),
     ("sha384", "sha384WithRSAEncryption")],
)
def test_signature_hash_names(pki: PKI, root: Issued, hash_name: str, algorithm: str) -> None:
    s = summary_of(pki.leaf(root, f"{hash_name}.example.com", key="p256", hash=hash_name))
    assert s.signature_hash == hash_name
    assert s.signature_algorithm == algorithm


def test_ed25519_signature_has_no_hash(pki: PKI) -> None:
    ed_root = pki.root("Ed Root", key="ed25519")
    s = summary_of(pki.leaf(ed_root, "ed.example.com", key="p256"))
    assert s.signature_hash is None
    assert s.signature_algorithm == "ed25519"
    assert s.key.type == "EC"  # the leaf's own key


def test_leaf_summary(pki: PKI, ica: Issued) -> None:
    issued = pki.leaf(ica, "api.example.com", key="p256",
                      sans=("DNS:api.example.com", "IP:10.0.0.1", "IP:2001:db8::1",
                            "email:ops@example.com", "URI:https://example.com/x"))
    s = summary_of(issued)
    assert s.subject == "CN=api.example.com"
    assert s.issuer == "CN=Load Test Intermediate"
    assert s.sans == ("DNS:api.example.com", "IP:10.0.0.1", "IP:2001:db8::1",
                      "email:ops@example.com", "URI:https://example.com/x")
    assert s.basic_constraints == BasicConstraints(True, False, None, True)
    assert s.is_ca is False
    assert s.key_usage == ("digitalSignature",)
    assert s.extended_key_usage == ("clientAuth",)
    assert s.version == 3
    assert s.self_signed is False
    assert s.nonstandard == () and s.malformed is None
    assert int(s.serial, 16) == issued.cert.serial_number and len(s.serial) % 2 == 0
    assert s.not_after == NOW + timedelta(days=365)


def test_rsa_leaf_key_usage_and_eku(pki: PKI, root: Issued) -> None:
    s = summary_of(pki.leaf(root, "rsa.example.com", eku=("clientAuth", "serverAuth")))
    assert s.key_usage == ("digitalSignature", "keyEncipherment")
    assert s.extended_key_usage == ("clientAuth", "serverAuth")


def test_ca_summary(root: Issued, ica: Issued, pki: PKI) -> None:
    s = summary_of(root)
    assert s.is_ca is True
    assert s.basic_constraints == BasicConstraints(True, True, None, True)
    assert s.key_usage == ("keyCertSign", "cRLSign")
    assert s.extended_key_usage is None
    assert s.sans == ()
    assert s.self_signed is True
    constrained = summary_of(pki.intermediate(root, "Path Zero", key="p256", path_len=0))
    assert constrained.basic_constraints == BasicConstraints(True, True, 0, True)
    assert constrained.self_signed is False


def test_absent_extensions(pki: PKI, root: Issued) -> None:
    s = summary_of(pki.leaf(root, "bare.example.com", key="p256", basic_constraints=False,
                            key_usage=None, eku=None, sans=(), ski=False, aki=False))
    assert s.basic_constraints == BasicConstraints(False, False, None, False)
    assert s.key_usage is None and s.extended_key_usage is None
    assert s.sans == () and s.ski is None and s.aki is None


def test_ca_with_non_critical_basic_constraints(pki: PKI) -> None:
    issued = pki.root("Soft Root", key="p256", basic_constraints=False,
                      extra_extensions=[(x509.BasicConstraints(ca=True, path_length=None), False)])
    s = summary_of(issued)
    assert s.basic_constraints == BasicConstraints(True, True, None, False)
    assert any("not marked critical" in n for n in s.nonstandard)


def test_ski_and_aki_hex(root: Issued, ica: Issued) -> None:
    s = summary_of(ica)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root.key.public_key()).digest.hex()
    own_ski = x509.SubjectKeyIdentifier.from_public_key(ica.key.public_key()).digest.hex()
    assert s.aki == root_ski
    assert s.ski == own_ski
    assert re.fullmatch(r"[0-9a-f]{40}", own_ski)
    assert summary_of(root).ski == root_ski


def test_fingerprint_format(leaf: Issued) -> None:
    fp = fingerprint(leaf.der)
    assert len(fp) == 95
    assert FINGERPRINT.match(fp)
    assert fp.replace(":", "").lower() == hashlib.sha256(leaf.der).hexdigest()
    assert fp == ":".join(f"{b:02X}" for b in leaf.cert.fingerprint(hashes.SHA256()))
    assert summary_of(leaf).sha256_fingerprint == fp


def test_self_signed_leaf(pki: PKI) -> None:
    s = summary_of(pki.self_signed_leaf("self.example.com", key="p256"))
    assert s.self_signed is True and s.is_ca is False


def test_validity(pki: PKI, root: Issued) -> None:
    valid = summary_of(pki.leaf(root, "valid.example.com", key="p256"))
    assert valid.validity is not None
    assert (valid.validity.status, valid.validity.days_left) == ("valid", 365)
    assert valid.validity.at == NOW
    expired = summary_of(pki.leaf(root, "expired.example.com", key="p256", expired=True))
    assert expired.validity is not None
    assert (expired.validity.status, expired.validity.days_left) == ("expired", -1)
    future = summary_of(pki.leaf(root, "future.example.com", key="p256", not_yet_valid=True))
    assert future.validity is not None
    assert (future.validity.status, future.validity.days_left) == ("not_yet_valid", 366)


def test_validity_at_boundaries(leaf: Issued) -> None:
    cert = leaf.cert
    na, nb = cert.not_valid_after_utc, cert.not_valid_before_utc
    assert validity_at(cert, na).status == "valid"
    assert validity_at(cert, na).days_left == 0
    assert validity_at(cert, na + timedelta(seconds=1)).status == "expired"
    later = validity_at(cert, na + timedelta(days=10, hours=1))
    assert (later.status, later.days_left) == ("expired", -10)
    assert validity_at(cert, nb - timedelta(seconds=1)).status == "not_yet_valid"
    assert validity_at(cert, nb).status == "valid"
    assert validity_at(cert, na - timedelta(days=2, hours=23)).days_left == 2


def test_v1_certificate(pki: PKI) -> None:
    issued = v1_root("Load V1 Root", pki=pki, key="p256")
    s = summary_of(issued)
    assert s.version == 1
    assert s.basic_constraints.present is False
    assert s.is_ca is False
    assert s.self_signed is True
    assert any("version 1" in n for n in s.nonstandard)


def test_describe_position_and_line(root: Issued, leaf: Issued) -> None:
    loaded = load_certificates(root.pem + leaf.pem, "bundle.pem")
    second = describe(loaded.certificates[1], NOW)
    line = len(root.pem.splitlines()) + 1
    assert second.index == 1
    assert second.line == line
    assert second.location == f"bundle.pem, certificate #2 (line {line})"


def test_describe_unparsed_entry(leaf: Issued) -> None:
    c = only(load_certificates(truncated_pem(leaf), "cut.pem"))
    s = describe(c, NOW)
    assert s.malformed is not None and "no matching END" in s.malformed
    assert s.subject == "(unreadable)" and s.issuer == "(unreadable)"
    assert s.sha256_fingerprint == ""
    assert s.validity is None
    assert s.key == KeyInfo("unknown", None, None)
    assert s.line == 1


def test_describe_unparsable_der() -> None:
    c = only(load_certificates(b"\x30\x03\x01\x02\x03", "odd.der"))
    s = describe(c, NOW)
    assert s.malformed is not None and "not a valid X.509" in s.malformed
    assert FINGERPRINT.match(s.sha256_fingerprint)


# ------------------------------------------------------------------------------------------
# der
# ------------------------------------------------------------------------------------------


def test_ber_to_der_of_ber_pkcs7(root: Issued, ica: Issued, leaf: Issued) -> None:
    certs = [leaf, ica, root]
    ber = p7b_ber_indefinite(certs, sort=True)
    assert asn1.element_end(ber) == len(ber)
    der = asn1.ber_to_der(ber)
    assert der == p7b(certs, pem=False, sort=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = pkcs7.load_der_pkcs7_certificates(der)
    assert {c.public_bytes(serialization.Encoding.DER) for c in loaded} == {c.der for c in certs}


def test_ber_to_der_keeps_unsorted_order(root: Issued, leaf: Issued) -> None:
    assert asn1.ber_to_der(p7b_ber_indefinite([leaf, root])) == p7b([leaf, root], pem=False)


def test_ber_to_der_on_der_is_identity(leaf: Issued) -> None:
    assert asn1.ber_to_der(leaf.der) == leaf.der
    assert asn1.element_end(leaf.der) == len(leaf.der)


@pytest.mark.parametrize(
    ("ber", "der"),
    [
        (b"\x04\x81\x03abc", b"\x04\x03abc"),  # non-minimal length
        (b"\x30\x80\x02\x01\x05\x00\x00", b"\x30\x03\x02\x01\x05"),
        (b"\x30\x80\x30\x80\x04\x00\x00\x00\x00\x00", b"\x30\x04\x30\x02\x04\x00"),
        (b"\x3f\x22\x80\x04\x01\x05\x00\x00", b"\x3f\x22\x03\x04\x01\x05"),  # high tag number
        (b"\x1f\x81\x00\x01\x05", b"\x1f\x81\x00\x01\x05"),
    ],
)
def test_ber_to_der_small(ber: bytes, der: bytes) -> None:
    assert asn1.ber_to_der(ber) == der
    assert asn1.element_end(ber) == len(ber)


def test_element_end_with_offset(root: Issued, leaf: Issued) -> None:
    data = leaf.der + root.der
    assert asn1.element_end(data) == len(leaf.der)
    assert asn1.element_end(data, len(leaf.der)) == len(data)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x30",
        b"\x30\x05\x01",
        b"\x1f",
        b"\x1f\x81",
        b"\x04\x80\x00\x00",  # indefinite length on a primitive
        b"\x30\x85\x01\x02\x03\x04\x05",  # five length octets
        b"\x30\x80\x02\x01\x01",  # no end-of-contents
        b"\x30\x80" * 80,  # nesting too deep
        b"\x1f\xff\xff\xff\xff\xff\x7f\x00",  # tag too large
    ],
)
def test_element_end_and_ber_to_der_raise_der_error(garbage: bytes) -> None:
    with pytest.raises(asn1.DerError) as excinfo:
        asn1.element_end(garbage)
    assert excinfo.type is asn1.DerError
    with pytest.raises(asn1.DerError) as excinfo:
        asn1.ber_to_der(garbage)
    assert excinfo.type is asn1.DerError


def test_raw_names_match_rfc4514(pki: PKI, root: Issued) -> None:
    issued = pki.leaf(root, "x", key="p256", subject=dn("named.example.com", o="Example Org",
                                                         ou="Ops", c="DE"))
    issuer, subject = asn1.raw_names(issued.cert.tbs_certificate_bytes)
    assert subject == "CN=named.example.com,OU=Ops,O=Example Org,C=DE"
    assert subject == issued.cert.subject.rfc4514_string()
    assert issuer == "CN=Load Test Root"


def test_raw_names_of_non_utf8_subject(leaf: Issued) -> None:
    cert = x509.load_der_x509_certificate(with_non_utf8_subject(leaf))
    assert asn1.raw_names(cert.tbs_certificate_bytes) == ("CN=Load Test Intermediate", "CN=\\xff\\xfe")


def _tbs_with_name(name: bytes) -> bytes:
    return _tlv(0x30, b"\x02\x01\x01" + b"\x30\x00" + name + b"\x30\x00" + name)


def test_raw_names_indefinite_value_raises_der_error() -> None:
    atv = _tlv(0x30, b"\x06\x03\x55\x04\x03" + b"\x2c\x80\x0c\x01\x41\x00\x00")
    tbs = _tbs_with_name(_tlv(0x30, _tlv(0x31, atv)))
    with pytest.raises(asn1.DerError) as excinfo:
        asn1.raw_names(tbs)
    assert excinfo.type is asn1.DerError


def test_raw_names_short_attribute_raises_der_error() -> None:
    atv = _tlv(0x30, b"\x06\x03\x55\x04\x03")
    tbs = _tbs_with_name(_tlv(0x30, _tlv(0x31, atv)))
    with pytest.raises(asn1.DerError) as excinfo:
        asn1.raw_names(tbs)
    assert excinfo.type is asn1.DerError


# ------------------------------------------------------------------------------------------
# bugs found while writing these tests
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    ["Właściciel: ąę\n".encode(), "Owner: Åsa\n".encode(), b"Exported by ops\x85\n", b"page\x0cbreak\n"],
    ids=["polish", "swedish", "cp1252-ellipsis", "form-feed"],
)
def test_line_numbers_after_non_ascii_text(leaf: Issued, prefix: bytes) -> None:
    assert prefix.count(b"\n") == 1
    assert only(load_certificates(prefix + leaf.pem, "bundle.pem")).position.line == 2


def test_pkcs7_load_emits_no_python_warnings(root: Issued, ica: Issued, leaf: Issued) -> None:
    certs = sorted([leaf, ica, root], key=lambda c: c.der, reverse=True)  # surely not DER-sorted
    data = p7b(certs, pem=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_certificates(data, "chain.p7b")
    assert len(loaded.good) == 3
    assert [str(w.message)[:60] for w in caught] == []


@pytest.mark.parametrize("serial", [0, -5])
def test_non_positive_serial_emits_no_python_warnings(pki: PKI, serial: int) -> None:
    """cryptography's deprecation warning becomes a note, not text on stderr."""
    issued = pki.root(f"Warn Serial {serial}", key="p256", serial=serial)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c = only(load_certificates(issued.der, "serial.der"))
        s = describe(c, NOW)
    assert any("zero or negative" in n for n in c.notes)
    assert s.serial == {0: "00", -5: "-05"}[serial]
    assert [str(w.message)[:60] for w in caught] == []


def test_unprotected_pkcs12_with_superfluous_password(leaf: Issued) -> None:
    loaded = load_certificates(p12(leaf, password=None), "open.p12", password=b"pw")
    assert [c.der for c in loaded.certificates] == [leaf.der]


def test_base64_pkcs12_keeps_private_key_problem(leaf: Issued) -> None:
    data = base64.b64encode(p12(leaf, password=b"pw"))
    loaded = load_certificates(data, "client.p12.b64", password=b"pw")
    assert loaded.container is Container.BASE64
    assert [c.der for c in loaded.certificates] == [leaf.der]
    assert [p.kind for p in loaded.problems] == [ProblemKind.PRIVATE_KEY]
    assert loaded.pkcs12_key is not None
