"""The command line as scripts see it: exit codes, one-line errors, the JSON skeleton, secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mtls_doctor import cli as cli_module
from tests.conftest import AT, run_process
from tests.pki_factory import (
    PKI,
    crl_pem,
    csr_pem,
    p7b,
    p12,
    pem_bundle,
    private_key_pem,
)

CERT_KEYS = {"index", "location", "subject", "issuer", "serial", "not_before", "not_after", "is_ca",
             "self_signed", "key", "signature_algorithm", "signature_hash", "sans",
             "sha256_fingerprint", "ski", "aki"}
FINDING_KEYS = {"id", "severity", "title", "detail", "subject", "location", "evidence", "fix",
                "walkthrough"}


@pytest.fixture(scope="module")
def chain():
    pki = PKI(key_offset=400)
    certs = pki.chain(2, prefix="CLI")
    leaf = pki.leaf(certs[-1], "api.example.com", sans=("DNS:api.example.com", "DNS:*.example.com"))
    return [*certs, leaf]


def one_line_error(err: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_json_skeleton_of_every_command(cli, write, chain):
    ts = write("ts.pem", pem_bundle(chain[:2]))
    leaf = write("leaf.pem", chain[2].pem)
    runs = {
        "inspect": cli("inspect", leaf, "--host", "api.example.com"),
        "truststore": cli("truststore", ts),
        "verify-client": cli("verify-client", "--cert", leaf, "--truststore", ts),
    }
    for command, run in runs.items():
        doc = run.doc
        assert doc["schema"] == "mtls-doctor/v1"
        assert doc["command"] == command
        assert doc["tool_version"] == "0.1.0"
        assert doc["generated_at"].endswith("Z")
        assert set(doc["summary"]) == {"errors", "warnings", "info"}
        for c in doc["checks"]:
            assert set(c) == {"id", "title", "status", "detail"}
            assert c["status"] in {"pass", "warn", "fail", "skip", "error"}
        for f in doc["findings"]:
            assert set(f) == FINDING_KEYS
            assert set(f["fix"]) == {"summary", "steps", "commands"}
    for c in runs["inspect"].doc["certificates"] + runs["truststore"].doc["certificates"]:
        assert set(c) >= CERT_KEYS
        # the contract's three keys, grown by one: an EC key given with explicit parameters
        assert set(c["key"]) == {"type", "bits", "curve", "explicit_parameters"}
    m = runs["inspect"].doc["certificates"][0]["hostname_match"]
    assert m == {**m, "host": "api.example.com", "matches": True, "matched_by": "DNS:api.example.com"}
    v = runs["verify-client"].doc["verdict"]
    assert {"accepted", "reason", "path", "detail"} <= set(v)


def test_inspect_host_mismatch_exits_1(cli, write, chain):
    run = cli("inspect", write("leaf.pem", chain[2].pem), "--host", "a.b.example.com")
    assert run.rc == 1
    [f] = run.findings("SERVER_HOSTNAME_MISMATCH")
    assert "one label" in f["detail"]
    run = cli("inspect", write("leaf.pem", chain[2].pem), "--host", "www.example.com")
    assert run.rc == 0
    assert run.doc["certificates"][0]["hostname_match"]["matched_by"] == "DNS:*.example.com"


def test_inspect_every_container(cli, write, chain, monkeypatch):
    monkeypatch.setenv("PFX", "pw")
    inputs = {
        "der.cer": (chain[2].der, [], "DER"),
        "b.p7b": (p7b(chain, pem=False), [], "PKCS#7 (DER)"),
        "b.p7c": (p7b(chain, pem=True), [], "PKCS#7 (PEM)"),
        "c.pfx": (p12(chain[2], password=b"pw", extra=chain[:2]), ["--key-password-env", "PFX"],
                  "PKCS#12"),
    }
    for name, (data, extra, container) in inputs.items():
        run = cli("inspect", write(name, data), *extra)
        assert run.doc["source"]["container"] == container, name
        assert {c["subject"] for c in run.doc["certificates"]} >= {"CN=api.example.com"}


def test_inspect_text_shows_every_field(cli, write, chain):
    run = cli("inspect", write("leaf.pem", chain[2].pem), "--host", "api.example.com",
              json_out=False)
    for label in ("issuer", "serial", "valid", "key", "signature", "SANs", "basic", "key usage",
                  "extended key usage", "SKI / AKI", "SHA-256", "self-signed", "host"):
        assert f"    {label}" in run.out, label
    assert "days left" in run.out and "line 1" in run.out


@pytest.mark.parametrize(
    ("make", "finding_id"),
    [
        (lambda: csr_pem("x.example.com"), "CERT_NOT_A_CERTIFICATE"),
        (lambda: crl_pem(PKI(key_offset=410).root("CRL Root")), "CERT_NOT_A_CERTIFICATE"),
        (lambda: os.urandom(300), "CERT_MALFORMED"),
        (lambda: b"", "CERT_MALFORMED"),
    ],
)
def test_inspect_wrong_content_is_a_finding(cli, write, make, finding_id):
    run = cli("inspect", write("input.pem", make()))
    assert run.rc == 1
    assert finding_id in run.ids()


def test_private_key_given_to_inspect_is_never_echoed(cli, write):
    key = private_key_pem("rsa2048", traditional=True)
    secret_lines = key.decode().splitlines()[1:-1]
    for json_out in (True, False):
        run = cli("inspect", write("key.pem", key), json_out=json_out)
        for line in secret_lines:
            assert line not in run.out + run.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["inspect", "/nonexistent/cert.pem"], "does not exist"),
        (["truststore", "."], "is a directory"),
        (["inspect", "x.pem", "--at", "yesterday"], "ISO 8601"),
        (["truststore", "s3://bucket/key.pem"], "cannot read s3://bucket/key.pem"),
        (["verify-client", "--cert", "a.pem"], "required"),
        (["inspect", "x.pem", "--bogus"], "unrecognized arguments"),
        (["inspect", "x.pem", "--host", "not a host"], "not a host name"),
        (["inspect", "x.pem", "--key-password-env", "MTLS_DOCTOR_UNSET_VAR"], "is not set"),
    ],
)
def test_could_not_run_is_exit_2_and_one_line(cli, write, args, needle, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.pem").write_bytes(PKI(key_offset=420).root("X").pem)
    run = cli(*args, json_out=False, at=False)
    assert run.rc == 2
    one_line_error(run.err)
    assert needle in run.err
    assert run.out == ""


def test_huge_file_is_refused_without_reading_it(cli, tmp_path):
    big = tmp_path / "big.pem"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    run = cli("truststore", str(big), json_out=False)
    assert run.rc == 2
    one_line_error(run.err)
    assert "50.0 MiB" in run.err


def test_pkcs12_wrong_or_missing_password(cli, write, chain, monkeypatch):
    path = write("c.p12", p12(chain[2], password=b"right", extra=[]))
    run = cli("inspect", path, json_out=False)
    assert run.rc == 2 and "--key-password-env" in run.err
    one_line_error(run.err)
    monkeypatch.setenv("P12PW", "wrong-one")
    run = cli("inspect", path, "--key-password-env", "P12PW", json_out=False)
    assert run.rc == 2 and "wrong password" in run.err and "wrong-one" not in run.err


def test_internal_error_is_exit_3_with_details_file(cli, write, chain, monkeypatch):
    def boom(args):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(cli_module, "run", boom)
    run = cli("inspect", write("leaf.pem", chain[2].pem), json_out=False)
    assert run.rc == 3
    one_line_error(run.err)
    path = run.err.split("written to ")[1].split(";")[0]
    assert "simulated bug" in Path(path).read_text()
    Path(path).unlink()


def test_output_file(cli, write, chain, tmp_path):
    out = tmp_path / "report.json"
    run = cli("truststore", write("ts.pem", pem_bundle(chain[:2])), "-o", str(out))
    assert run.rc == 0 and run.out == ""
    assert json.loads(out.read_text())["command"] == "truststore"


def test_real_process_no_traceback_and_exit_codes(tmp_path, chain):
    (tmp_path / "ts.pem").write_bytes(pem_bundle(chain[:2]))
    (tmp_path / "junk.pem").write_bytes(b"\x00\xff" * 100)
    ok = run_process(["truststore", str(tmp_path / "ts.pem"), "--at", AT])
    assert ok.returncode == 0 and "Chains" in ok.stdout and ok.stderr == ""
    bad = run_process(["truststore", str(tmp_path / "junk.pem"), "--format", "json"])
    assert bad.returncode == 1 and json.loads(bad.stdout)["summary"]["errors"] >= 1
    missing = run_process(["inspect", str(tmp_path / "nope.pem")])
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    version = run_process(["--version"])
    assert version.stdout.strip() == "mtls-doctor 0.1.0"


def test_no_color_unless_terminal(cli, write, chain):
    run = cli("truststore", write("ts.pem", pem_bundle(chain[:2])), json_out=False)
    assert "\x1b[" not in run.out


def test_library_warnings_never_reach_stderr(tmp_path):
    """Roots whose authorityKeyIdentifier names serial 0 (Go Daddy and Starfield Class 2 are
    real ones) make cryptography warn while it parses the extension; the tool turns that into
    CERT_NONSTANDARD and prints nothing on stderr."""
    from cryptography import x509

    from tests.pki_factory import dn

    aki = x509.AuthorityKeyIdentifier(key_identifier=b"k" * 20,
                                      authority_cert_issuer=[x509.DirectoryName(dn("GD Root"))],
                                      authority_cert_serial_number=0)
    root = PKI(key_offset=430).root("GD Root", aki=False, extra_extensions=[(aki, False)])
    (tmp_path / "gd.pem").write_bytes(root.pem)
    proc = run_process(["truststore", str(tmp_path / "gd.pem"), "--format", "json"],
                       env={**os.environ, "PYTHONWARNINGS": "default"})
    assert proc.stderr == ""
    assert "CERT_NONSTANDARD" in proc.stdout


def test_terminal_control_characters_in_names_are_escaped(cli, write):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    evil = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         "Evil\x1b[2J\x1b[32mVerdict: ACCEPTED\nforged line")])
    root = PKI(key_offset=440).root("x", subject=evil)
    run = cli("inspect", write("evil.pem", root.pem), json_out=False)
    assert "\x1b" not in run.out
    assert "\\x1b[2J" in run.out
    assert not any(line.startswith("forged line") for line in run.out.splitlines())


def test_stdin_as_input(tmp_path, chain):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mtls_doctor", "truststore", "-", "--format",
                           "json"], input=pem_bundle(chain[:2]), capture_output=True, timeout=60,
                          check=False)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["source"]["name"] == "<stdin>"


def test_output_onto_an_input_is_refused(cli, write, chain):
    path = write("ts.pem", pem_bundle(chain[:2]))
    run = cli("truststore", path, "-o", path, json_out=False)
    assert run.rc == 2 and "also an input" in run.err
    assert Path(path).read_bytes() == pem_bundle(chain[:2])


def test_unwritable_stdout_is_exit_2(tmp_path, chain):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    (tmp_path / "ts.pem").write_bytes(pem_bundle(chain[:2]))
    with open("/dev/full", "w") as full:
        import subprocess
        import sys

        proc = subprocess.run([sys.executable, "-m", "mtls_doctor", "truststore",
                               str(tmp_path / "ts.pem")], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "cannot write" in proc.stderr and "Traceback" not in proc.stderr
