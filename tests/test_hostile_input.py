"""Hostile material and input limits (the contract's "Bounded work" and exit code 2).

Each hole a security review found has a test here: an RSA-PSS certificate without parameters
(a finding, never a crash, in inspect, truststore, verify-client, probe and diagnose), 16 MiB of
broken or repeated PEM blocks (bounded time, memory and report size; identical problems counted,
not each printed), PKCS#12 files asking for billions of iterations (refused before OpenSSL runs),
FIFOs, devices, sockets and directories given as inputs (refused before anything blocks), deeply
nested snapshot JSON (exit 2), and HOST / --connect values holding control characters.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from mtls_doctor.aws.snapshot import load_snapshot, loads
from mtls_doctor.errors import InputError
from mtls_doctor.pki import der as asn1
from mtls_doctor.pki.load import (
    KEEP_SAME,
    MAX_CERTIFICATES,
    MAX_PKCS12_ITERATIONS,
    MAX_PROBLEMS,
    Pkcs12RefusedError,
    ProblemKind,
    check_pkcs12_iterations,
    load_certificates,
)
from mtls_doctor.pki.truststore import FINDINGS_PER_ID, fold_findings, lint_truststore
from mtls_doctor.probe.target import parse_target, split_host_port
from mtls_doctor.source import MAX_BYTES, read_file, read_source
from tests import servers, test_domain
from tests.conftest import Run, run_process
from tests.pki_factory import (
    NOW,
    PKI,
    Issued,
    _children,
    _tlv,
    pem_bundle,
    pem_encode,
    pool_key,
)
from tests.servers import ServerPKI, openssl_server

server_pki = servers.server_pki  # the session fixture, visible to this module
moto_endpoint = test_domain.moto_endpoint  # moto's server on loopback, and boto3 pointed at it
aws = test_domain.aws

CLI = Callable[..., Run]
TIMER = shutil.which("time", path="/usr/bin:/bin")
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None,
                                   reason="the openssl command line is not installed")


def one_line_error(err: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


# -- small DER tools (tests only) ------------------------------------------------------------


def _rewrite(data: bytes, change: Callable[[int, bytes], bytes | None]) -> bytes:
    """Re-encode DER `data`, letting `change(tag, content)` replace any element's content (None:
    keep it); constructed elements and OCTET STRINGs holding DER are rewritten inside too."""
    out = []
    for tag, content in _children(data):
        new = change(tag, content)
        if new is None and tag & 0x20:
            new = _rewrite(content, change)
        elif new is None and tag == 0x04:
            try:
                new = _rewrite(content, change) if content[:1] == b"\x30" else None
            except ValueError:  # not DER after all
                new = None
        out.append(_tlv(tag, content if new is None else new))
    return b"".join(out)


def with_iterations(p12_der: bytes, old: int, new: int, *, nth: int | None = None) -> bytes:
    """`p12_der` with the INTEGER `old` (every one, or only the `nth`) set to `new`."""
    seen = [0]

    def change(tag: int, content: bytes) -> bytes | None:
        if tag != 0x02 or int.from_bytes(content, "big", signed=True) != old:
            return None
        seen[0] += 1
        if nth is not None and seen[0] != nth:
            return None
        return new.to_bytes((new.bit_length() + 8) // 8, "big", signed=True)

    out = _rewrite(p12_der, change)
    assert seen[0], f"no INTEGER {old} in the file"
    return out


_PSS = bytes.fromhex("06092a864886f70d01010a")


def without_pss_parameters(der: bytes) -> bytes:
    """The certificate with both RSASSA-PSS AlgorithmIdentifiers stripped of their parameters
    (what RFC 4055 3.1 forbids in a signature's AlgorithmIdentifier)."""
    return _rewrite(der, lambda tag, content: _PSS if tag == 0x30 and content.startswith(_PSS)
                    else None)


@pytest.fixture(scope="module")
def pss_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed RSA-PSS server certificate made by the openssl command line (with its
    parameters), the same certificate without them, and the key."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    d = tmp_path_factory.mktemp("pss")
    key = pool_key("rsa2048", 77)
    (d / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    subprocess.run(["openssl", "req", "-x509", "-key", "key.pem", "-out", "pss.pem",
                    "-subj", "/CN=api.example.test", "-addext",
                    "subjectAltName=DNS:api.example.test", "-days", "30", "-sha256",
                    "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"],
                   cwd=d, check=True, capture_output=True)
    der = x509.load_pem_x509_certificate((d / "pss.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER)
    bare = without_pss_parameters(der)
    assert bare != der and bare.count(_PSS) == 2
    (d / "pss-bare.pem").write_bytes(pem_encode(bare))
    return {"pss": d / "pss.pem", "bare": d / "pss-bare.pem", "key": d / "key.pem"}


# -- RSA-PSS without parameters: a finding, never a crash ------------------------------------


def _nonstandard_pss(run: Run) -> list[dict[str, Any]]:
    return [f for f in run.findings("CERT_NONSTANDARD") if "RSASSA-PSS" in f["detail"]]


@needs_openssl
def test_pss_with_parameters_is_a_plain_certificate(cli: CLI, pss_files: dict[str, Path]) -> None:
    run = cli("inspect", str(pss_files["pss"]), at=False)
    assert run.rc == 0, run.err
    [c] = run.doc["certificates"]
    assert c["signature_hash"] == "sha256" and c["signature_algorithm"] == "rsassaPss"
    assert not _nonstandard_pss(run)


@needs_openssl
@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_pss_without_parameters_inspect(cli: CLI, pss_files: dict[str, Path], fmt: str) -> None:
    """CERT_NONSTANDARD (it parses: every field of it reads, in OpenSSL too; it breaks RFC 4055
    3.1, which RFC 5280 relies on for RSASSA-PSS), in every format."""
    run = cli("inspect", str(pss_files["bare"]), "--format", fmt, json_out=False, at=False)
    assert run.rc in (0, 1), run.err
    assert "CERT_NONSTANDARD" in run.out and "RFC 4055" in run.out
    if fmt == "json":
        doc = json.loads(run.out)
        [f] = [f for f in doc["findings"] if f["id"] == "CERT_NONSTANDARD"]
        assert f["severity"] == "warning" and "no verifier can check" in f["detail"]
        [c] = doc["certificates"]
        assert c["signature_algorithm"] == "rsassaPss (no parameters)"
        assert c["signature_hash"] is None


@needs_openssl
def test_pss_without_parameters_truststore(cli: CLI, pss_files: dict[str, Path]) -> None:
    run = cli("truststore", str(pss_files["bare"]), at=False)
    assert run.rc == 1, run.err
    assert _nonstandard_pss(run)
    # its signature cannot be checked: API Gateway's algorithm rule fails too
    [weak] = run.findings("TRUSTSTORE_WEAK_SIGNATURE_HASH")
    assert "rsassaPss (no parameters)" in weak["detail"]


@needs_openssl
def test_pss_without_parameters_verify_client(cli: CLI, pss_files: dict[str, Path]) -> None:
    bare, good = str(pss_files["bare"]), str(pss_files["pss"])
    run = cli("verify-client", "--cert", bare, "--truststore", bare, at=False)
    assert run.rc == 1, run.err
    [f] = run.findings("CLIENT_REJECTED")
    assert "rsassaPss (no parameters)" in f["detail"]
    run = cli("verify-client", "--cert", good, "--truststore", bare, at=False)
    assert run.rc == 1 and run.findings("CLIENT_REJECTED"), run.err
    run = cli("verify-client", "--cert", bare, "--truststore", good, at=False)
    assert run.rc == 1 and run.findings("CLIENT_REJECTED"), run.err


def _served(doc: dict[str, Any]) -> list[dict[str, Any]]:
    chain = doc.get("probe", {}).get("served_chain") or doc.get("served_chain")
    assert chain, list(doc)
    return list(chain)


@needs_openssl
def test_pss_without_parameters_served_by_a_server(cli: CLI, pss_files: dict[str, Path],
                                                   server_pki: ServerPKI) -> None:
    """Served by openssl s_server: probe and diagnose report, never crash (exit 3 before)."""
    with openssl_server(server_pki, client_auth="none", tls="1.3", cert=pss_files["bare"],
                        key=pss_files["key"]) as server:
        host = f"api.example.test:{server.port}"
        probe = cli("probe", host, "--connect", server.address(), "--timeout", "5")
        diag = cli("diagnose", host, "--connect", server.address(), "--no-aws",
                   "--timeout", "5")
    assert probe.rc == 1, probe.err
    [served] = _served(probe.doc)
    assert served["signature_algorithm"] == "rsassaPss (no parameters)"
    assert any("RFC 4055" in n for n in served["nonstandard"])
    assert diag.rc == 1, diag.err


# -- 16 MiB of hostile PEM: bounded time, memory and report ----------------------------------


BROKEN = b"-----BEGIN CERTIFICATE-----\nMIIBroken!!\n-----END CERTIFICATE-----\n"


def test_identical_broken_blocks_are_counted_not_each_kept() -> None:
    loaded = load_certificates(BROKEN * 1000, "broken.pem")
    assert len(loaded.certificates) == KEEP_SAME
    assert [c.position.line for c in loaded.certificates] == [1, 4, 7]
    [counted] = [p for p in loaded.problems if p.certificate_blocks]
    assert counted.count == 1000 - KEEP_SAME
    assert counted.line == 10 and counted.lines[:2] == (10, 13)


def test_identical_broken_blocks_are_one_finding_with_a_count() -> None:
    lint = lint_truststore(load_certificates(BROKEN * 1000, "broken.pem"), NOW)
    [f] = [f for f in lint.findings if f.id == "CERT_MALFORMED"]
    assert f.evidence["count"] == 1000
    assert "1,000 certificate blocks" in f.title
    assert "#1 (line 1), #2 (line 4), #3 (line 7), line 10, line 13 and 995 more" in f.detail


def test_copies_of_one_certificate_are_one_duplicate_finding(pki: PKI) -> None:
    root = pki.root("Copied Root")
    lint = lint_truststore(load_certificates(root.pem * 40, "copies.pem"), NOW)
    [dup] = [f for f in lint.findings if f.id == "TRUSTSTORE_DUPLICATE"]
    assert dup.evidence["count"] == 39 and "appears 40 times" in dup.title
    # the rules of the certificate itself apply once, not once per copy
    assert [f.id for f in lint.findings] == ["TRUSTSTORE_DUPLICATE"]
    assert {c.issuer_index for c in lint.certificates} == {None}


def test_certificates_beyond_the_limit_are_counted_not_read(pki: PKI) -> None:
    data = pki.root("Many Root").pem * (MAX_CERTIFICATES + 7)
    loaded = load_certificates(data, "many.pem")
    assert len(loaded.certificates) == MAX_CERTIFICATES
    [unread] = [p for p in loaded.problems if p.kind is ProblemKind.NOT_READ]
    assert unread.count == 7
    lint = lint_truststore(loaded, NOW)
    [f] = [f for f in lint.findings if f.evidence.get("limit") == MAX_CERTIFICATES]
    assert f.id == "CERT_MALFORMED" and "7 further certificate block(s)" in f.detail


def test_many_different_problems_are_counted_by_kind() -> None:
    data = b"".join(f"-----BEGIN X{i}-----\nAAAA\n-----END X{i}-----\n".encode()
                    for i in range(MAX_PROBLEMS + 50))
    loaded = load_certificates(data, "labels.pem")
    kept = [p for p in loaded.problems if p.count == 1]
    assert len(kept) == MAX_PROBLEMS
    [rest] = [p for p in loaded.problems if p.count > 1]
    assert rest.count == 50 and rest.kind is ProblemKind.NOT_A_CERTIFICATE


def test_the_same_pem_quirk_is_one_finding(pki: PKI) -> None:
    root = pki.root("Quirk Root")
    block = root.pem.replace(b"-----BEGIN CERTIFICATE-----\n",
                             b"-----BEGIN CERTIFICATE-----\nProc-Type: 4\n\n")
    loaded = load_certificates(block * 30, "quirks.pem")
    assert len(loaded.certificates) == 30 and all(c.ok for c in loaded.certificates)
    lint = lint_truststore(loaded, NOW)
    [f] = [f for f in lint.findings if f.id == "TRUSTSTORE_PEM_ENCODING"]
    assert f.evidence["count"] == 30 and "(30 times)" in f.detail


def test_findings_of_one_id_are_folded_after_a_few(pki: PKI) -> None:
    # distinct expired roots: each is its own finding up to FINDINGS_PER_ID, then one counts
    roots = [pki.root(f"Old Root {i}", key="p256", expired=True) for i in range(40)]
    lint = lint_truststore(load_certificates(pem_bundle(roots), "old.pem"), NOW)
    expired = [f for f in lint.findings if f.id == "TRUSTSTORE_EXPIRED"]
    assert len(expired) == FINDINGS_PER_ID + 1
    assert expired[-1].evidence["count"] == 40 - FINDINGS_PER_ID
    assert expired[-1].severity.value == "error"
    assert len(fold_findings(expired)) == len(expired)


def test_a_pem_file_of_one_huge_line_or_only_line_breaks_is_linear() -> None:
    start = time.perf_counter()
    load_certificates(BROKEN.replace(b"\n", b" ") * 20_000, "one-line.pem")
    load_certificates(b"-----BEGIN CERTIFICATE-----\n" + b"\n" * 2_000_000, "breaks.pem")
    body = b"-----BEGIN CERTIFICATE-----\n" + b"a:\n" * 500_000 + b"-----END CERTIFICATE-----\n"
    load_certificates(body, "headers.pem")
    assert time.perf_counter() - start < 10


def _sixteen_mib(unit: bytes) -> bytes:
    return unit * ((MAX_BYTES - 1) // len(unit))


@pytest.mark.skipif(TIMER is None, reason="/usr/bin/time is not installed")
@pytest.mark.timeout(240)
@pytest.mark.parametrize("command", ["truststore", "inspect"])
def test_sixteen_mib_of_broken_blocks_is_bounded(tmp_path: Path, command: str) -> None:
    """The reported hole: 26 s, 3.2 GB and 370 MB of text. Now within 30 s, 1 GiB and 10 MB."""
    path = tmp_path / "hostile.pem"
    path.write_bytes(_sixteen_mib(BROKEN))
    usage = tmp_path / "usage"
    start = time.perf_counter()
    proc = subprocess.run([TIMER or "time", "-f", "%M", "-o", str(usage), sys.executable, "-m",
                           "mtls_doctor", command, str(path)],
                          capture_output=True, timeout=120, check=False)
    seconds = time.perf_counter() - start
    peak_kib = int(usage.read_text().split()[-1])
    assert proc.returncode == 1, proc.stderr
    assert seconds < 30
    assert peak_kib * 1024 < 1024 ** 3
    assert len(proc.stdout) < 10_000_000
    assert b"254,200" in proc.stdout or command == "inspect"


def test_over_sixteen_mib_is_refused_exactly_at_the_limit(cli: CLI, tmp_path: Path,
                                                          pki: PKI) -> None:
    path = tmp_path / "big.pem"
    pem = pki.root("Limit Root").pem
    path.write_bytes(pem + b"\n" * (MAX_BYTES - len(pem)))
    assert cli("inspect", str(path)).rc == 0  # 16 MiB exactly: read
    with open(path, "ab") as fh:
        fh.write(b"\n")
    run = cli("inspect", str(path), json_out=False)
    assert run.rc == 2 and run.out == ""
    one_line_error(run.err)
    assert "16 MiB" in run.err


def test_standard_input_is_allowed_and_bounded(pki: PKI) -> None:
    pem = pki.root("Stdin Root").pem
    ok = subprocess.run([sys.executable, "-m", "mtls_doctor", "inspect", "-"], input=pem,
                        capture_output=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stderr
    big = subprocess.run([sys.executable, "-m", "mtls_doctor", "inspect", "-"],
                         input=b"\n" * (MAX_BYTES + 1), capture_output=True, timeout=60,
                         check=False)
    assert big.returncode == 2 and b"larger than 16 MiB" in big.stderr
    one_line_error(big.stderr.decode())


# -- PKCS#12 iteration counts: refused before OpenSSL runs -----------------------------------


MARK = 50_001  # the key-derivation count the test files are made with (the MAC's is 2048)


def _p12(leaf: Issued, ca: Issued, pbes: pkcs12.PBES, mac: hashes.HashAlgorithm) -> bytes:
    enc = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(MARK)
           .key_cert_algorithm(pbes).hmac_hash(mac).build(b"pw"))
    return pkcs12.serialize_key_and_certificates(b"client", leaf.key, leaf.cert,
                                                 [ca.cert], enc)


@pytest.fixture(scope="module")
def p12_files() -> dict[str, bytes]:
    pki = PKI(key_offset=700)
    ca = pki.root("P12 Root")
    leaf = pki.leaf(ca, "p12.example.com")
    return {
        "pbes2": _p12(leaf, ca, pkcs12.PBES.PBESv2SHA256AndAES256CBC, hashes.SHA256()),
        "pbe": _p12(leaf, ca, pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC,
                    hashes.SHA1()),  # noqa: S303 - legacy PKCS#12 is the point
    }


@pytest.fixture
def no_openssl_pkcs12(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the file reaches OpenSSL's PKCS#12 parser."""
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the file was handed to OpenSSL")

    monkeypatch.setattr(pkcs12, "load_pkcs12", refuse)


def test_iteration_counts_are_read_from_the_der(p12_files: dict[str, bytes]) -> None:
    counts = dict(asn1.pkcs12_iterations(p12_files["pbes2"]))
    assert counts == {"the MAC": 2048, "the encrypted certificates (PBKDF2)": MARK,
                      "the encrypted private key (PBKDF2)": MARK}
    counts = dict(asn1.pkcs12_iterations(p12_files["pbe"]))
    assert counts["the encrypted certificates (PKCS#12 PBE)"] == MARK
    assert counts["the encrypted private key (PKCS#12 PBE)"] == MARK


@pytest.mark.parametrize(
    ("which", "old", "nth", "what"),
    [
        ("pbes2", 2048, None, "the MAC"),
        ("pbes2", MARK, 1, "the encrypted certificates (PBKDF2)"),
        ("pbes2", MARK, 2, "the encrypted private key (PBKDF2)"),
        ("pbe", MARK, 1, "the encrypted certificates (PKCS#12 PBE)"),
        ("pbe", MARK, 2, "the encrypted private key (PKCS#12 PBE)"),
    ],
)
@pytest.mark.parametrize("count", [2**31 - 1, 2**31, MAX_PKCS12_ITERATIONS + 1, 0, -5])
def test_too_many_iterations_are_refused_in_under_a_second(
        p12_files: dict[str, bytes], no_openssl_pkcs12: None, which: str, old: int,
        nth: int | None, what: str, count: int) -> None:
    data = with_iterations(p12_files[which], old, count, nth=nth)
    start = time.perf_counter()
    with pytest.raises(Pkcs12RefusedError) as excinfo:
        load_certificates(data, "evil.p12", password=b"pw")
    assert time.perf_counter() - start < 1
    text = str(excinfo.value)
    assert "evil.p12" in text and what in text and "\n" not in text
    assert f"{count:,}" in text


def test_the_limit_itself_is_allowed(p12_files: dict[str, bytes]) -> None:
    check_pkcs12_iterations(with_iterations(p12_files["pbes2"], 2048, MAX_PKCS12_ITERATIONS),
                            "limit.p12")


def test_real_pkcs12_files_still_open(p12_files: dict[str, bytes]) -> None:
    for data in p12_files.values():
        loaded = load_certificates(data, "ok.p12", password=b"pw")
        assert len(loaded.good) == 2 and loaded.pkcs12_key is not None


def test_pkcs12_refused_on_the_command_line(cli: CLI, write: Callable[[str, bytes], str],
                                            p12_files: dict[str, bytes],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("evil.p12", with_iterations(p12_files["pbes2"], 2048, 2**31 - 1))
    monkeypatch.setenv("P12PW", "pw")
    for args in (("inspect", path), ("truststore", path),
                 ("verify-client", "--cert", path, "--truststore", path)):
        start = time.perf_counter()
        run = cli(*args, "--key-password-env", "P12PW", json_out=False)
        assert time.perf_counter() - start < 5
        assert run.rc == 2 and run.out == "", args
        one_line_error(run.err)
        assert "2,147,483,647" in run.err


def test_pkcs12_refused_as_a_finding_when_linting(p12_files: dict[str, bytes],
                                                  no_openssl_pkcs12: None) -> None:
    """A truststore read from AWS is linted, not refused: the file cannot be what API Gateway
    reads anyway (TRUSTSTORE_NOT_PEM), and the refusal is a finding."""
    data = with_iterations(p12_files["pbes2"], 2048, 2**31 - 1)
    loaded = load_certificates(data, "s3://b/k", pkcs12_problems=True)
    lint = lint_truststore(loaded, NOW)
    ids = [f.id for f in lint.findings]
    assert "TRUSTSTORE_NOT_PEM" in ids
    [f] = [f for f in lint.findings if f.id == "CERT_MALFORMED"]
    assert "2,147,483,647" in f.detail


def test_unreadable_pkcs12_structure_is_refused(p12_files: dict[str, bytes],
                                                no_openssl_pkcs12: None) -> None:
    data = bytearray(p12_files["pbes2"])
    tail = data.rindex(bytes.fromhex("0202") + (2048).to_bytes(2, "big"))
    data[tail + 1] = 0x7F  # the MAC's INTEGER now claims to run past the end
    with pytest.raises(Pkcs12RefusedError, match="cannot be checked"):
        load_certificates(bytes(data), "cut.p12", password=b"pw")


# -- FIFOs, devices, sockets, directories ----------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe.pem"
    os.mkfifo(path)
    yield path


def test_fifo_without_writer_is_refused_at_once(fifo: Path) -> None:
    start = time.perf_counter()
    proc = run_process(["inspect", str(fifo)], timeout=20)
    assert time.perf_counter() - start < 15
    assert proc.returncode == 2 and proc.stdout == ""
    one_line_error(proc.stderr)
    assert "FIFO" in proc.stderr


@pytest.mark.parametrize("what", ["fifo", "device", "socket", "directory"])
def test_non_regular_inputs_are_refused(what: str, fifo: Path, tmp_path: Path) -> None:
    if what == "fifo":
        path = str(fifo)
    elif what == "device":
        path = "/dev/zero"
    elif what == "directory":
        path = str(tmp_path)
    else:
        path = str(tmp_path / "s.sock")
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(path)
    with pytest.raises(InputError) as excinfo:
        read_source(path, "truststore")
    assert "\n" not in str(excinfo.value)
    assert {"fifo": "FIFO", "device": "device", "socket": "socket",
            "directory": "directory"}[what] in str(excinfo.value)
    if what == "socket":
        sock.close()


def test_a_fifo_swapped_in_after_the_check_does_not_block(fifo: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    """The belt: os.stat says "regular file" (the path was swapped after the check), the open
    does not block (O_NONBLOCK) and fstat refuses what was opened."""
    regular = tmp_path / "regular.pem"
    regular.write_bytes(b"x")
    real_stat = os.stat

    def fake_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        return real_stat(regular) if str(path) == str(fifo) else real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", fake_stat)
    start = time.perf_counter()
    with pytest.raises(InputError, match="FIFO"):
        read_file(str(fifo))
    assert time.perf_counter() - start < 2
    assert stat.S_ISFIFO(real_stat(fifo).st_mode)


def test_fifo_as_cert_and_snapshot_on_the_command_line(cli: CLI, fifo: Path) -> None:
    for args in (("verify-client", "--cert", str(fifo), "--truststore", str(fifo)),
                 ("domain", "a.example.com", "--aws-snapshot", str(fifo))):
        run = cli(*args, json_out=False, at=False)
        assert run.rc == 2, args
        one_line_error(run.err)


# -- deeply nested snapshot JSON -------------------------------------------------------------


def _nested(depth: int) -> str:
    return ('{"format": "mtls-doctor/aws-snapshot/v1", "domain": ' + "[" * depth + "]" * depth
            + "}")


def test_deeply_nested_snapshot_is_input_error() -> None:
    with pytest.raises(InputError, match="nested"):
        loads(_nested(100_000), "deep.json")


def test_deeply_nested_snapshot_on_the_command_line(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(_nested(100_000))
    run = cli("domain", "a.example.com", "--aws-snapshot", str(path), json_out=False, at=False)
    assert run.rc == 2 and run.out == ""
    one_line_error(run.err)
    assert "nested" in run.err
    with pytest.raises(InputError, match="nested"):
        load_snapshot(str(path))


# -- HOST, --connect: no control characters, spaces or other non-host characters -------------


BAD_HOSTS = [
    "api.example.com\r\nX-Injected: 1", "api.example.com\n", "api\x1b[31m.example.com",
    "api.example.com\x00", "a\tb.example.com", "api example.com", "api.\u202eexample.com",
    "ex\u200bample.com", "api.example.com\u2028", "\x85api.example.com", "a*b.example.com",
    "[fe80::1%\x1b]", "[fe80::1%eth0;x]", "https://api.example.com/p\r\nX: y",
    b"api\xff.example.com".decode("utf-8", "surrogateescape"),
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_host_with_odd_characters_is_refused(host: str) -> None:
    with pytest.raises(InputError) as excinfo:
        parse_target(host)
    text = str(excinfo.value)
    assert "\n" not in text and "\r" not in text and "\x1b" not in text and "\u202e" not in text
    with pytest.raises(InputError):
        parse_target("api.example.com", host)  # as --connect


@pytest.mark.parametrize("host", ["api.example.com", "API.Example.COM.", "bücher.example",
                                  "_acme.example.com", "[::1]:8443", "[fe80::1%eth0]",
                                  "https://api.example.com:8443/p?q=1", "127.0.0.1"])
def test_ordinary_hosts_still_parse(host: str) -> None:
    split_host_port(host, 443, "HOST")


@pytest.mark.parametrize("command", ["probe", "diagnose"])
def test_host_with_crlf_is_exit_2_before_anything_is_sent(cli: CLI, command: str) -> None:
    run = cli(command, "api.example.com\r\nX-Injected: 1", "--no-aws", json_out=False, at=False)
    assert run.rc == 2 and run.out == ""
    one_line_error(run.err)
    assert "\r" not in run.err


def test_connect_with_control_characters_is_exit_2(cli: CLI) -> None:
    run = cli("probe", "api.example.com", "--connect", "127.0.0.1\x1b[2J", json_out=False,
              at=False)
    assert run.rc == 2
    one_line_error(run.err)
    assert "\x1b" not in run.err


def test_base64_inside_pem_is_bounded() -> None:
    """One BEGIN CERTIFICATE block holding 12 MiB of base64: one finding, quickly."""
    blob = base64.encodebytes(b"\x30\x84\x00\xbf\xff\xf0" + bytes(range(256)) * 49_000)
    start = time.perf_counter()
    loaded = load_certificates(b"-----BEGIN CERTIFICATE-----\n" + blob
                               + b"-----END CERTIFICATE-----\n", "blob.pem")
    assert time.perf_counter() - start < 10
    [c] = loaded.certificates
    assert c.error is not None


# -- shapes of certificates that make path building or reports explode -----------------------


def _ec_chain(names: Callable[[int], tuple[str, str]], count: int, *,
              keys: int = 8) -> bytes:
    """`count` small EC CA certificates; certificate i is named `names(i)` (subject, issuer)
    and signed by key (i + 1) % keys, so that i+1 signs i where the names chain."""
    from datetime import timedelta

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    pool = [ec.generate_private_key(ec.SECP256R1()) for _ in range(keys)]

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    out = []
    for i in range(count):
        subject, issuer = names(i)
        cert = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                .public_key(pool[i % keys].public_key()).serial_number(i + 1)
                .not_valid_before(NOW - timedelta(days=1))
                .not_valid_after(NOW + timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(pool[(i + 1) % keys], hashes.SHA256()))
        out.append(pem_encode(cert.public_bytes(serialization.Encoding.DER)))
    return b"".join(out)


@pytest.fixture(scope="module")
def deep_chain() -> bytes:
    return _ec_chain(lambda i: (f"CA {i}", f"CA {i + 1}"), 300)


def test_deep_issuer_trees_are_drawn_in_pieces(deep_chain: bytes) -> None:
    from mtls_doctor.pki.truststore import TREE_DEPTH

    lint = lint_truststore(load_certificates(deep_chain, "deep.pem"), NOW)
    by_index = {c.index: c for c in lint.certificates}
    for c in lint.certificates:  # no issuer tree deeper than TREE_DEPTH
        depth, at = 0, c
        while at.issuer_index is not None:
            at, depth = by_index[at.issuer_index], depth + 1
        assert depth < TREE_DEPTH
    [f] = [f for f in lint.findings if f.id == "TRUSTSTORE_CHAIN_TOO_LONG"
           and "depth_limit" in f.evidence]
    assert f.evidence["cuts"] == 4


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_deep_chain_in_every_format(cli: CLI, write: Callable[[str, bytes], str],
                                    deep_chain: bytes, fmt: str) -> None:
    """Reports draw issuer trees by recursion: 300 levels crashed the HTML one (exit 3)."""
    run = cli("truststore", write("deep.pem", deep_chain), "--format", fmt, json_out=False)
    assert run.rc == 1, run.err


def test_names_shared_by_hundreds_of_certificates_keep_path_building_bounded() -> None:
    from mtls_doctor.pki.truststore import PATH_BUDGET

    # "A" issued by "B", "B" by "A": every certificate branches into 64 paths
    data = _ec_chain(lambda i: ("A", "B") if i % 2 else ("B", "A"), 400)
    start = time.perf_counter()
    lint = lint_truststore(load_certificates(data, "same.pem"), NOW)
    assert time.perf_counter() - start < 20
    narrowed = [f for f in lint.findings if f.evidence.get("path_budget") == PATH_BUDGET]
    assert narrowed and narrowed[0].id == "TRUSTSTORE_DUPLICATE"
    crowded = [f for f in lint.findings if "certificates share the subject" in f.title]
    assert {f.evidence["count"] for f in crowded} == {200}


def test_thousands_of_sans_are_listed_up_to_a_limit(pki: PKI) -> None:
    from mtls_doctor.pki.describe import MAX_LISTED, describe

    leaf = pki.leaf(pki.root("SAN Root", key="p256"), "many.example.com", key="p256",
                    sans=tuple(f"DNS:h{i}.example.com" for i in range(MAX_LISTED + 10)))
    loaded = load_certificates(leaf.pem, "many.pem")
    s = describe(loaded.certificates[0], NOW)
    assert len(s.sans) == MAX_LISTED + 1 and s.sans[-1] == "... and 10 more"


# -- encrypted keys, key blocks, indefinite lengths ------------------------------------------


@needs_openssl
def test_encrypted_key_asking_for_too_many_iterations_is_refused(tmp_path: Path) -> None:
    from mtls_doctor.pki.keys import load_private_key

    key = pool_key("p256", 5)
    (tmp_path / "k.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    subprocess.run(["openssl", "pkcs8", "-topk8", "-in", "k.pem", "-v2", "aes256", "-iter",
                    "54321", "-passout", "pass:pw", "-outform", "DER", "-out", "k.der"],
                   cwd=tmp_path, check=True, capture_output=True)
    der = (tmp_path / "k.der").read_bytes()
    assert load_private_key(der, "k.der", b"pw") is not None
    assert load_private_key(pem_encode(der, "ENCRYPTED PRIVATE KEY"), "k.pem", b"pw") is not None
    evil = with_iterations(der, 54321, 2**31 - 1)
    for data in (evil, pem_encode(evil, "ENCRYPTED PRIVATE KEY")):
        start = time.perf_counter()
        with pytest.raises(InputError, match="2,147,483,647 iterations"):
            load_private_key(data, "evil.key", b"pw")
        assert time.perf_counter() - start < 1


def test_finding_a_key_block_is_linear() -> None:
    from mtls_doctor.pki.keys import find_key_block

    start = time.perf_counter()
    assert find_key_block(b"-----BEGIN PRIVATE KEY-----\n" * 400_000) is None
    block = b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----"
    assert find_key_block(b"-----BEGIN PRIVATE KEY-----\n" * 400_000 + block + b"\n") == block
    assert time.perf_counter() - start < 5


def test_indefinite_lengths_are_followed_through_a_bounded_number_of_elements() -> None:
    raw = b"\x30\x80" + b"\x05\x00" * (asn1.MAX_BER_ELEMENTS + 10) + b"\x00\x00"
    with pytest.raises(asn1.DerError, match="elements"):
        asn1.element_end(raw)
    with pytest.raises(asn1.DerError, match="elements"):
        asn1.ber_to_der(raw)
    small = b"\x30\x80" + b"\x05\x00" * 100 + b"\x00\x00"
    assert asn1.element_end(small) == len(small)
    start = time.perf_counter()
    load_certificates(base64.encodebytes(b"\x30\x80" + b"\x05\x00" * 4_000_000), "indef.b64")
    assert time.perf_counter() - start < 10


def test_an_s3_object_over_sixteen_mib_is_refused(cli: CLI, aws: test_domain.Moto) -> None:
    aws.bucket()
    aws.client("s3").put_object(Bucket=test_domain.BUCKET, Key="big.pem",
                                Body=b"\n" * (MAX_BYTES + 1))
    run = cli("truststore", f"s3://{test_domain.BUCKET}/big.pem", json_out=False)
    assert run.rc == 2 and run.out == ""
    one_line_error(run.err)
    assert "16.0 MiB" in run.err and "limit 16 MiB" in run.err
