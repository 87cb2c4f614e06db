"""`--redact` hides every identifying value of every kind the contract lists, in every format.

One scenario plants a unique token in every place a value of each kind comes from: the client's
certificate (every subject attribute, SANs of every type, extension URIs), its CA, the file and
directory names of the inputs, an AWS snapshot with every field set, and a live loopback HTTPS
server whose answer carries a Location and request-id headers. Every command runs with
`--redact` in the four formats; no token may survive (case-insensitive), what must be kept is
kept, and one value has one placeholder in every format.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import re
import shlex
import socket
import ssl
import string
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_doctor.aws.snapshot import dumps
from mtls_doctor.cli import main
from mtls_doctor.commands.domain import domain_report
from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import HostnameMatch
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Fix
from mtls_doctor.model.probe import ClientAuth, ClientCertificate, HttpAnswer, Outcome, ProbeResult
from mtls_doctor.model.report import Report
from mtls_doctor.pki.describe import describe, serial_hex
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.probe.findings import ProbeInputs, probe_findings
from mtls_doctor.probe.target import Target
from mtls_doctor.report import render
from mtls_doctor.report.json import document
from mtls_doctor.report.redact import parse_dn, redact_report
from tests.pki_factory import NOW, PKI, Issued, pem_bundle
from tests.servers import LOOPBACK, Server, _serve, _ThreadedListener
from tests.test_probe_edges import _read_request

FORMATS = ("text", "json", "markdown", "html")

# -- the planted tokens ------------------------------------------------------------------------

REGION = "eu-west-1"
ACCOUNT = "731942586021"
DOMAIN = "zqdomain.zqzone.test"
ZONE_APEX = "zqzone.test"
CERT_ID = "zqcertid-0a1b-2c3d"
OWN_ID = "zqownid-4e5f-6a7b"
CERT_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{CERT_ID}"
OWN_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{OWN_ID}"
REGIONAL = "d-zqregional.execute-api.eu-west-1.amazonaws.com"
HOSTED_ZONE = "ZQHOSTEDZONE77"
BUCKET = "zqbucket-truststores"
OBJECT_KEY = "zqprefix/zqobject.pem"
V_CONFIGURED = "zqversionold.Hx7"
V_LATEST = "zqversionlatest.K2p"
API_ID = "zqapiid001"
API_NAME = "zqapiname"
STAGE = "zqstage"
BASE_PATH = "zqbasepath"
ROLE = "zqrolename"
SESSION = "zqsessionname"
LB_NAME = "zqlbname"
DNS_ADDRESS = "203.0.113.71"
REGIONAL_ADDRESS = "203.0.113.72"
STATUS_HOST = "zqstatushost.zqzone.test"
ACM_ORG = "zqacmorg"
ACM_ISSUER = "zqacmissuer"

PERSON_CN = "Zqperson Smith"
CLIENT_O = "zqclientorg"
CLIENT_OU = "zqclientunit"
CLIENT_L = "zqlocality"
CLIENT_ST = "zqstateprov"
SUBJECT_EMAIL = "zqsubjmail@zqmaildomain.test"
SUBJECT_SERIAL = "zqsubjserial"
SAN_DNS = "zqsandns.zqsanzone.test"
SAN_LABEL = "zqsinglelabel"
SAN_IP = "198.51.100.77"
SAN_IP6 = "2001:db8::7e57"
SAN_EMAIL = "zqsanmail@zqmail2.test"
SAN_URI = "https://zqurihost.test/zquripath"
SAN_DIR_CN = "zqdircn"
SAN_DIR_O = "zqdirorg"
SAN_RID = "1.3.6.1.4.1.59999.77"
CRL_URI = "http://zqcrlhost.test/zqcrl.crl"
AIA_URI = "http://zqaiahost.test/zqca.crt"
ROOT_CN = "zqrootcn Root"
ROOT_O = "zqrootorg"
ICA_CN = "zqicacn Issuing"
ICA_OU = "zqicaunit"
SERVER_O = "zqserverorg"
INSPECT_HOST = "zqinspecthost.zqzone.test"

DIR_NAME = "zqdirname"
CLIENT_FILE = "zqclientfile.pem"
KEY_FILE = "zqkeyfile.key"
CHAIN_FILE = "zqchainfile.pem"
TRUST_FILE = "zqtrustfile.pem"
SNAPSHOT_FILE = "zqsnapfile.json"

LOCATION = "https://zqlocation.zqlochost.test/zqlocpath"
REQUEST_ID = "zqrequestid-4242"
APIGW_ID = "zqapigwid0="

#: every token that must not appear in a redacted report, case-insensitive
TOKENS = (
    ACCOUNT, DOMAIN, ZONE_APEX, CERT_ID, OWN_ID, REGIONAL, "zqregional", HOSTED_ZONE, BUCKET,
    OBJECT_KEY, "zqobject", "zqprefix", V_CONFIGURED, V_LATEST, API_ID, API_NAME, STAGE,
    BASE_PATH, ROLE, SESSION, LB_NAME, DNS_ADDRESS, REGIONAL_ADDRESS, STATUS_HOST, ACM_ORG,
    ACM_ISSUER, PERSON_CN, "zqperson", CLIENT_O, CLIENT_OU, CLIENT_L, CLIENT_ST, SUBJECT_EMAIL,
    "zqsubjmail", "zqmaildomain", SUBJECT_SERIAL, SAN_DNS, "zqsanzone", SAN_LABEL, SAN_IP,
    SAN_IP6, SAN_EMAIL, "zqsanmail", "zqmail2", SAN_URI, "zqurihost", "zquripath", SAN_DIR_CN,
    SAN_DIR_O, SAN_RID, "59999", CRL_URI, "zqcrlhost", "zqcrl.crl", AIA_URI, "zqaiahost",
    "zqca.crt", "zqrootcn", ROOT_O, "zqicacn", ICA_OU, SERVER_O, INSPECT_HOST, "zqinspecthost",
    DIR_NAME, CLIENT_FILE, "zqclientfile", KEY_FILE, "zqkeyfile", CHAIN_FILE, "zqchainfile",
    TRUST_FILE, "zqtrustfile", SNAPSHOT_FILE, "zqsnapfile", LOCATION, "zqlocation", "zqlochost",
    "zqlocpath", REQUEST_ID, "zqrequestid", APIGW_ID, "zqapigwid", LOOPBACK,
    # the execute-api host an API id and the region make
    f"{API_ID}.execute-api",
    # the prefix of every token: nothing of ours starts with it
    "zq",
)


# -- the scenario ------------------------------------------------------------------------------


def _name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def _utf8_der(text: str) -> bytes:
    raw = text.encode()
    return bytes([0x0C, len(raw)]) + raw


def client_subject() -> x509.Name:
    return _name((NameOID.COUNTRY_NAME, "DE"), (NameOID.STATE_OR_PROVINCE_NAME, CLIENT_ST),
                 (NameOID.LOCALITY_NAME, CLIENT_L), (NameOID.ORGANIZATION_NAME, CLIENT_O),
                 (NameOID.ORGANIZATIONAL_UNIT_NAME, CLIENT_OU),
                 (NameOID.SERIAL_NUMBER, SUBJECT_SERIAL), (NameOID.EMAIL_ADDRESS, SUBJECT_EMAIL),
                 (NameOID.COMMON_NAME, PERSON_CN))


def client_extensions() -> list[tuple[x509.ExtensionType, bool]]:
    sans = x509.SubjectAlternativeName([
        x509.DNSName(SAN_DNS), x509.DNSName(SAN_LABEL),
        x509.IPAddress(ipaddress.ip_address(SAN_IP)), x509.IPAddress(ipaddress.ip_address(SAN_IP6)),
        x509.RFC822Name(SAN_EMAIL), x509.UniformResourceIdentifier(SAN_URI),
        x509.DirectoryName(_name((NameOID.ORGANIZATION_NAME, SAN_DIR_O),
                                 (NameOID.COMMON_NAME, SAN_DIR_CN))),
        x509.RegisteredID(x509.ObjectIdentifier(SAN_RID)),
        x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), _utf8_der("zqupn@corp")),
    ])
    crl = x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier(CRL_URI)], None, None, None)])
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(AIA_URI))])
    return [(sans, False), (crl, False), (aia, False)]


@dataclass(frozen=True)
class Scenario:
    """The planted files, the snapshot, and the certificates' kept facts."""

    dir: Path
    client: Path
    key: Path
    chain: Path
    truststore: Path
    snapshot: Path
    server_chain: Path
    server_key: Path
    at: str
    #: what the redacted reports must still show: serials and fingerprints of the certificates
    serials: tuple[str, ...]
    fingerprints: tuple[str, ...]
    not_after: str


def build_scenario(base: Path) -> Scenario:
    """Certificates, files and a snapshot holding one token of each kind, valid now (the live
    server checks the client certificate against the real clock)."""
    now = datetime.now(UTC).replace(microsecond=0)
    pki = PKI(now=now, key_offset=700)
    root = pki.root(ROOT_CN, subject=_name((NameOID.COUNTRY_NAME, "US"),
                                           (NameOID.ORGANIZATION_NAME, ROOT_O),
                                           (NameOID.COMMON_NAME, ROOT_CN)))
    ica = pki.intermediate(root, ICA_CN, subject=_name((NameOID.COUNTRY_NAME, "US"),
                                                       (NameOID.ORGANIZATIONAL_UNIT_NAME, ICA_OU),
                                                       (NameOID.COMMON_NAME, ICA_CN)))
    client = pki.leaf(ica, PERSON_CN, subject=client_subject(), sans=(),
                      extra_extensions=client_extensions())
    server = pki.leaf(ica, DOMAIN, subject=_name((NameOID.ORGANIZATION_NAME, SERVER_O),
                                                 (NameOID.COMMON_NAME, DOMAIN)),
                      sans=(f"DNS:{DOMAIN}", f"DNS:*.{ZONE_APEX}"), eku=("serverAuth",))
    directory = base / DIR_NAME
    directory.mkdir(parents=True)

    def put(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        return path

    truststore = put(TRUST_FILE, pem_bundle([root, ica]))
    facts = snapshot_facts(truststore.read_bytes(), now)
    return Scenario(
        dir=directory, client=put(CLIENT_FILE, client.pem), key=put(KEY_FILE, client.key_pem()),
        chain=put(CHAIN_FILE, ica.pem), truststore=truststore,
        snapshot=put(SNAPSHOT_FILE, dumps(facts).encode()),
        server_chain=put("server-chain.pem", server.pem + ica.pem),
        server_key=put("server.key", server.key_pem()),
        at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        serials=tuple(serial_hex(c.cert.serial_number) for c in (root, ica, client)),
        fingerprints=tuple(_fingerprint(c) for c in (root, ica, client)),
        not_after=client.cert.not_valid_after_utc.strftime("%Y-%m-%d"),
    )


def _fingerprint(issued: Issued) -> str:
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{b:02X}" for b in issued.cert.fingerprint(hashes.SHA256()))


def snapshot_facts(truststore: bytes, now: datetime) -> DomainFacts:
    """A custom domain with a token in every field (an execute-api endpoint still enabled, a
    stale truststore version and a denied call, so that findings and fixes name them too)."""
    denied = Attempt(
        "acm.ListCertificates", Status.DENIED,
        f"AccessDenied: User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{SESSION} is not "
        "authorized to perform: acm:ListCertificates on resource: "
        f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{LB_NAME}/"
        "50dc6c495c0c9188", "acm:ListCertificates", "AccessDenied", REGION)
    evidence = {f: Attempt(f, Status.OK) for f in (
        "domain", "certificate", "ownership_certificate", "truststore_object",
        "truststore_versions", "mappings", "mapped_apis", "dns")}
    evidence["issuer_conflicts"] = denied
    acm = AcmCertificate(
        CERT_ARN, "ISSUED", "IMPORTED", f"CN=*.{ZONE_APEX},O={ACM_ORG}", f"CN={ACM_ISSUER}",
        f"*.{ZONE_APEX}", (f"*.{ZONE_APEX}", ZONE_APEX), now - timedelta(days=10),
        now + timedelta(days=300), None, None,
        (f"arn:aws:apigateway:{REGION}::/domainnames/{DOMAIN}",), "RSA-2048")
    own = replace(acm, arn=OWN_ARN, in_use_by=())
    return DomainFacts(
        name=DOMAIN, region=REGION, region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE",
        status_message=f"Ownership of {STATUS_HOST} verified", security_policy="TLS_1_2",
        certificate_arn=CERT_ARN, ownership_verification_certificate_arn=OWN_ARN,
        regional_domain_name=REGIONAL, hosted_zone_id=HOSTED_ZONE,
        mtls=Mtls(f"s3://{BUCKET}/{OBJECT_KEY}", V_CONFIGURED,
                  (f"Certificate in arn:aws:s3:::{BUCKET}/{OBJECT_KEY} expires soon",)),
        mappings=(Mapping(API_ID, STAGE, BASE_PATH, False, API_NAME, "rest"),),
        mappings_read=True, certificates={CERT_ARN: acm, OWN_ARN: own},
        truststore_object=TruststoreObject(BUCKET, OBJECT_KEY, "Enabled", V_LATEST, V_CONFIGURED,
                                           now - timedelta(days=1), now - timedelta(days=40),
                                           content=truststore),
        dns_addresses=(DNS_ADDRESS,), dns_canonical=REGIONAL,
        regional_addresses=(REGIONAL_ADDRESS,), attempts=(denied,), account_id=ACCOUNT,
        evidence=evidence)


def https_answer() -> bytes:
    body = json.dumps({"message": "Forbidden", "requestId": REQUEST_ID}).encode()
    head = (f"HTTP/1.1 403 Forbidden\r\nLocation: {LOCATION}\r\n"
            f"x-amzn-RequestId: {REQUEST_ID}\r\nx-amz-apigw-id: {APIGW_ID}\r\n"
            "x-amzn-ErrorType: ForbiddenException\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


@contextlib.contextmanager
def https_server(scenario: Scenario) -> Iterator[Server]:
    """A tiny HTTPS server on loopback: the domain's certificate, a client certificate asked
    for, and a 403 answer with a Location and API Gateway's request-id headers."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(scenario.server_chain, scenario.server_key)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.load_verify_locations(scenario.truststore)

    def handler(conn: socket.socket, listener: _ThreadedListener) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), \
                ctx.wrap_socket(conn, server_side=True) as s:
            if b"\r\n\r\n" not in _read_request(s):
                return
            s.sendall(https_answer())

    with _serve(handler, "redact-https") as server:
        yield server


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build_scenario(tmp_path_factory.mktemp("redact"))


@pytest.fixture(scope="module")
def server(scenario: Scenario) -> Iterator[Server]:
    with https_server(scenario) as s:
        yield s


def command_lines(s: Scenario, server: Server) -> dict[str, list[str]]:
    """Every command, with the planted inputs."""
    live = [f"{DOMAIN}:{server.port}", "--connect", LOOPBACK, "--timeout", "10",
            "--cert", str(s.client), "--key", str(s.key)]
    return {
        "inspect": ["inspect", str(s.client), "--host", INSPECT_HOST, "--at", s.at],
        "truststore": ["truststore", str(s.truststore), "--at", s.at],
        "verify-client": ["verify-client", "--cert", str(s.client), "--key", str(s.key),
                          "--chain", str(s.chain), "--truststore", str(s.truststore),
                          "--at", s.at],
        "domain": ["domain", DOMAIN, "--aws-snapshot", str(s.snapshot), "--at", s.at],
        "probe": ["probe", *live],
        "diagnose": ["diagnose", *live, "--aws-snapshot", str(s.snapshot), "--no-tui",
                     "--chain", str(s.chain), "--at", s.at],
    }


# -- running every command -----------------------------------------------------------------------


def run_main(args: list[str]) -> tuple[int, str]:
    """`mtls-doctor ARGS` in-process: (exit code, stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    assert rc in (0, 1), (args, rc, err.getvalue())
    return rc, out.getvalue()


@dataclass(frozen=True)
class Outputs:
    """Every command's output in every format, plain and redacted."""

    args: dict[str, list[str]]
    plain: dict[tuple[str, str], str]
    redacted: dict[tuple[str, str], str]

    def doc(self, command: str, *, redacted: bool = True) -> dict[str, Any]:
        out = (self.redacted if redacted else self.plain)[(command, "json")]
        doc: dict[str, Any] = json.loads(out)
        return doc


@pytest.fixture(scope="module")
def outputs(scenario: Scenario, server: Server) -> Outputs:
    plain: dict[tuple[str, str], str] = {}
    redacted: dict[tuple[str, str], str] = {}
    lines = command_lines(scenario, server)
    for command, args in lines.items():
        for fmt in FORMATS:
            plain[(command, fmt)] = run_main([*args, "--format", fmt])[1]
            redacted[(command, fmt)] = run_main([*args, "--format", fmt, "--redact"])[1]
    return Outputs(lines, plain, redacted)


COMMANDS = ("inspect", "truststore", "verify-client", "domain", "probe", "diagnose")
#: planted where no report shows it (the snapshot's own file name; an otherName's value)
NEVER_SHOWN = ("zqsnapfile", "zqupn")


def test_the_scenario_shows_every_token(outputs: Outputs) -> None:
    """Each token is in some plain report: the redacted ones below prove something."""
    blob = "".join(outputs.plain.values()).lower()
    missing = [t for t in TOKENS if t.lower() not in blob and not t.startswith(NEVER_SHOWN)]
    assert missing == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_planted_value_survives(outputs: Outputs, command: str, fmt: str) -> None:
    out = outputs.redacted[(command, fmt)].lower()
    assert out.strip()
    left = [t for t in (*TOKENS, *NEVER_SHOWN) if t.lower() in out]
    assert left == [], f"{command} --format {fmt} --redact shows {left}"


@pytest.mark.parametrize("command", COMMANDS)
def test_what_is_kept(outputs: Outputs, scenario: Scenario, command: str) -> None:
    """Finding and check ids, statuses, serials, fingerprints, dates and algorithms stay."""
    plain, red = outputs.doc(command, redacted=False), outputs.doc(command)
    assert [f["id"] for f in red["findings"]] == [f["id"] for f in plain["findings"]]
    assert [f["severity"] for f in red["findings"]] == [f["severity"] for f in plain["findings"]]
    assert [(c["id"], c["status"]) for c in red["checks"]] == \
        [(c["id"], c["status"]) for c in plain["checks"]]
    assert red["summary"] == plain["summary"]
    certs = [*_certificates(plain)]
    if command in ("inspect", "verify-client", "truststore", "diagnose"):
        assert certs
    kept = [f["id"] for f in plain["findings"]] + [c["id"] for c in plain["checks"]]
    for cert in certs:
        kept += [cert["serial"], cert["sha256_fingerprint"].replace(":", "").lower(),
                 cert["signature_algorithm"], cert["not_after"][:10]]
    for fmt in FORMATS:
        # what the plain report shows in this format, the redacted one shows too (and the
        # JSON document shows all of it)
        shown, out = (_flat(o[(command, fmt)]) for o in (outputs.plain, outputs.redacted))
        for value in kept:
            v = _flat(value)
            assert v in out or (v not in shown and fmt != "json"), (fmt, value)
    for cert in _certificates(red):
        assert cert["serial"] in scenario.serials or command in ("probe", "diagnose")
        assert cert["key"]["type"] == "RSA" and cert["key"]["bits"] == 2048
    if command == "inspect":  # the client certificate, as the factory made it
        for fmt in FORMATS:
            out = outputs.redacted[(command, fmt)]
            assert scenario.fingerprints[2] in out and scenario.not_after in out, fmt
            assert _flat(scenario.serials[2]) in _flat(out), fmt


def _flat(text: str) -> str:
    """Text without colons, blanks and case: `30:0F:...` and `300f...` compare equal."""
    return re.sub(r"[:\s]", "", text).lower()


def _certificates(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every certificate object of a report document."""
    yield from doc.get("certificates", [])
    if doc.get("client_certificate"):
        yield doc["client_certificate"]
    yield from doc.get("sent_chain", [])
    yield from (doc.get("truststore") or {}).get("certificates", [])
    yield from (doc.get("probe") or {}).get("served_chain", [])


def test_one_value_one_placeholder_in_every_format(outputs: Outputs) -> None:
    red = outputs.doc("diagnose")
    domain, probe, client = red["domain"], red["probe"], red["client_certificate"]
    placeholders = {
        "domain": domain["name"], "bucket": domain["truststore_object"]["bucket"],
        "key": domain["truststore_object"]["key"], "api": domain["mappings"][0]["api_id"],
        "stage": domain["mappings"][0]["stage"], "account": domain["account_id"],
        "address": probe["address"].rsplit(":", 1)[0],
        "request": probe["http"]["headers"]["x-amzn-requestid"],
        "location": probe["http"]["headers"]["location"],
        "client file": client["location"].split(",")[0],
        "issuer": client["issuer"],
    }
    assert placeholders == {
        "domain": "host-2.host-1.example", "bucket": "bucket-1", "key": "key-1", "api": "api-1",
        "stage": "stage-1", "account": "111111111111", "address": "ip-1",
        "request": "request-1", "location": placeholders["location"],
        "client file": "/path-1/file-1.pem", "issuer": "CN=name-2,OU=name-3,C=US",
    }
    assert re.fullmatch(r"https://host-\d+\.example/uri-\d+", placeholders["location"])
    # the same pseudonyms in the other formats and in the other commands' reports
    for fmt in ("text", "markdown", "html"):
        out = outputs.redacted[("diagnose", fmt)].replace("\\", "")
        for what, value in placeholders.items():
            if what not in ("location", "key", "issuer") or fmt != "text":
                assert value in out, (fmt, what, value)
    assert outputs.doc("domain")["domain"]["name"] == domain["name"]
    assert outputs.doc("probe")["probe"]["host"] == probe["host"]
    # two runs, the same placeholders (the report apart from its time)
    again = json.loads(run_main([*outputs.args["domain"], "--format", "json", "--redact"])[1])
    first = outputs.doc("domain")
    again.pop("generated_at")
    first.pop("generated_at")
    assert again == first


def _strings_only_differ(plain: Any, red: Any, where: str = "") -> None:
    """The redacted document has the plain one's shape: the same keys (a key that is a value,
    such as an ARN, is replaced in place), the same list lengths, the same numbers, booleans and
    nulls; only strings differ."""
    if isinstance(plain, dict):
        assert isinstance(red, dict) and len(red) == len(plain), where
        for (k, v), (rk, rv) in zip(plain.items(), red.items(), strict=True):
            assert k == rk or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", k), (where, k, rk)
            _strings_only_differ(v, rv, f"{where}.{k}")
    elif isinstance(plain, list):
        assert isinstance(red, list) and len(red) == len(plain), where
        for i, (v, rv) in enumerate(zip(plain, red, strict=True)):
            _strings_only_differ(v, rv, f"{where}[{i}]")
    elif isinstance(plain, str):
        assert isinstance(red, str), where
    else:
        assert red == plain, where


@pytest.mark.parametrize("command", ("inspect", "truststore", "verify-client", "domain"))
def test_redaction_changes_strings_only(outputs: Outputs, command: str) -> None:
    """One walker (`redact_report`, over the typed report) redacts for every format: the
    redacted JSON keeps the plain document's shape, numbers, booleans and nulls."""
    plain, red = outputs.doc(command, redacted=False), outputs.doc(command)
    plain.pop("generated_at")
    red.pop("generated_at")
    _strings_only_differ(plain, red)


def test_wildcard_relation_and_aws_names_stay_readable(outputs: Outputs) -> None:
    red = outputs.doc("domain")
    d = red["domain"]
    acm = d["certificates"][d["certificate_arn"]]
    assert acm["domain_name"].startswith("*.") and d["name"].endswith(acm["domain_name"][1:])
    assert acm["sans"] == [acm["domain_name"], acm["domain_name"][2:]]
    assert re.fullmatch(r"arn:aws:acm:eu-west-1:111111111111:certificate/resource-\d+",
                        d["certificate_arn"])
    assert acm["in_use_by"] == [f"arn:aws:apigateway:eu-west-1::/domainnames/{d['name']}"]
    # the regional name keeps AWS's part, its own id hidden; the API's default endpoint too
    assert re.fullmatch(r"resource-\d+\.execute-api\.eu-west-1\.amazonaws\.com",
                        d["regional_domain_name"])
    api = d["mappings"][0]["api_id"]
    endpoint = next(f["evidence"]["execute_api_endpoint"] for f in red["findings"]
                    if f["id"] == "DOMAIN_EXECUTE_API_ENABLED")
    assert endpoint == f"https://{api}.execute-api.eu-west-1.amazonaws.com"
    messages = [a["reason"] for a in d["attempts"]]
    assert re.search(r"arn:aws:sts::111111111111:assumed-role/resource-\d+/resource-\d+ ",
                     messages[0])
    assert re.search(r"loadbalancer/app/resource-\d+/resource-\d+$", messages[0])
    assert d["hosted_zone_id"] == "zone-1" and d["region"] == REGION


def test_fix_commands_stay_valid_shell(outputs: Outputs) -> None:
    """Placeholders are plain words: each redacted command still parses as the same argv
    with each hidden value swapped for its placeholder."""
    plain, red = outputs.doc("diagnose", redacted=False), outputs.doc("diagnose")
    pairs = [(p, r) for fp, fr in zip(plain["findings"], red["findings"], strict=True)
             if fp["fix"] for p, r in zip(fp["fix"]["commands"], fr["fix"]["commands"],
                                          strict=True)]
    assert pairs
    for p, r in pairs:
        assert len(shlex.split(p)) == len(shlex.split(r)), (p, r)


# -- the redactor on its own ------------------------------------------------------------------------


def _report(detail: str = "", commands: tuple[str, ...] = (), location: str | None = None,
            **payload: Any) -> Report:
    finding = make_finding("CLIENT_REJECTED", "rejected", detail, location=location,
                           fix=Fix("fix it", (), commands) if commands else None)
    return Report("probe", NOW, (), (finding,), payload)


def test_a_value_is_replaced_whole_and_only_whole() -> None:
    probe = ProbeResult(host="api.corp.example", port=443, address="192.0.2.10:443",
                        sni="api.corp.example")
    m = Mapping("abc123", "prod", "orders", False, "orders-api")
    facts = DomainFacts("api.corp.example", REGION, "option", True, mappings=(m,))
    red = redact_report(_report("prod and production; orders-api, orders, ordersx, API.CORP."
                                "EXAMPLE. 192.0.2.10 and 192.0.2.100; OID 1.192.0.2.10.5",
                                probe=probe, domain=facts))
    assert red.findings[0].detail == (
        "stage-1 and production; api-name-1, base-path-1, ordersx, host-1.example. ip-1 and "
        "192.0.2.100; OID 1.192.0.2.10.5")


def test_a_quoted_path_in_a_command_stays_one_quoted_word() -> None:
    path = "/home/o'brien/my certs/client.pem"
    cmd = shlex.join(["openssl", "x509", "-in", path, "-noout"])
    key = "/srv/keys/client.key"
    curl = shlex.join(["curl", "--cert", path, "--key", key, "https://api.corp.example/"])
    red = redact_report(_report(commands=(cmd, curl), location=f"{path}, certificate #1"))
    out = red.findings[0].fix
    assert out is not None
    assert shlex.split(out.commands[0]) == ["openssl", "x509", "-in", "/path-1/file-1.pem",
                                           "-noout"]
    assert shlex.split(out.commands[1])[1:5] == ["--cert", "/path-1/file-1.pem", "--key",
                                                 "/path-2/file-2.key"]
    assert red.findings[0].location == "/path-1/file-1.pem, certificate #1"
    assert "brien" not in str(red) and "srv" not in str(red)


def test_files_the_command_read_are_hidden_even_in_prose() -> None:
    report = _report("compare it with the key in /opt/acme/partner.key")
    assert "acme" in redact_report(report).findings[0].detail  # prose is not searched for paths
    red = redact_report(report, files=["/opt/acme/partner.key"])
    assert red.findings[0].detail == "compare it with the key in /path-1/file-1.key"


def test_distinguished_names_keep_only_the_country() -> None:
    subject = (r"CN=Jane Roe,OU=Payments\, EU,O=Acme \"Corp\",L=Paris,ST=IDF,C=FR,"
               r"1.2.840.113549.1.9.1=jane@acme.example,DC=acme+UID=jroe")
    assert parse_dn(subject) == [
        ("CN", "Jane Roe"), ("OU", r"Payments\, EU"), ("O", r"Acme \"Corp\""), ("L", "Paris"),
        ("ST", "IDF"), ("C", "FR"), ("1.2.840.113549.1.9.1", "jane@acme.example"),
        ("DC", "acme"), ("UID", "jroe")]
    assert parse_dn("not a name") is None
    cc = ClientCertificate(True, Outcome.REJECTED, "unknown_ca", subject, "CN=Acme CA,C=FR")
    probe = ProbeResult("h.example", 443, None, None, client_certificate=cc)
    red = redact_report(_report("the client Jane Roe of Payments, EU (Acme \"Corp\")",
                                probe=probe)).payload["probe"].client_certificate
    assert red.subject == (r"CN=name-1,OU=name-2,O=name-3,L=name-4,ST=name-5,C=FR,"
                           r"1.2.840.113549.1.9.1=user-1@example.invalid,DC=name-6+UID=name-7")
    assert red.issuer == "CN=name-8,C=FR"


def test_a_hostile_report_is_redacted_once_for_every_format() -> None:
    from tests.test_report_export import hostile_probe_report

    report = hostile_probe_report()
    red = redact_report(report)
    assert document(redact_report(report)) == document(red)  # the same pseudonyms again
    for fmt in ("text", "json", "markdown", "html"):
        out = render(red, fmt)
        assert "evil.example.com" not in out and "192.0.2.1" not in out, fmt
        assert "host-1.example" in out, fmt


# -- random values in every field --------------------------------------------------------------------

_CORE = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=3, max_size=10)
#: around a name's core: separators and characters that need escaping somewhere
_DECOR = st.sampled_from(["", " ", "-", "_", ".", ", ", "+", '"', "'", "#", "=", " (x)", " Ltd.",
                          "\\", ";", "<", ">", "&", "|", "*", "`"])
_PLAIN_DECOR = st.sampled_from(["", "-", "_", ".", "0"])
_IPS = st.tuples(st.integers(1, 254), st.integers(1, 254)).map(lambda t: f"198.18.{t[0]}.{t[1]}")
_ACCOUNTS = st.integers(10**11, 10**12 - 1).map(str).filter(lambda a: len(set(a)) > 1)


@dataclass(frozen=True)
class Planted:
    """Random tokens, each with its core (`zq` + letters and digits) that must not survive."""

    cores: tuple[str, ...]
    decor: tuple[str, ...]
    plain: tuple[str, ...]
    ips: tuple[str, ...]
    account: str

    def name(self, i: int) -> str:
        """A decorated value for a distinguished name or free text."""
        return f"{self.decor[2 * i]}zq{self.cores[i]}{self.decor[2 * i + 1]}".strip() or "zq"

    def word(self, i: int) -> str:
        """A plain identifier (buckets, ids, keys, versions)."""
        return f"zq{self.cores[i]}{self.plain[i]}"

    def label(self, i: int) -> str:
        """A host name's label (or an e-mail address's part)."""
        return f"zq{self.cores[i]}"

    @property
    def secrets(self) -> list[str]:
        return [f"zq{c}" for c in self.cores] + list(self.ips) + [self.account]


N_TOKENS = 40


@st.composite
def planted(draw: st.DrawFn) -> Planted:
    cores = draw(st.lists(_CORE, min_size=N_TOKENS, max_size=N_TOKENS, unique=True))
    return Planted(tuple(cores),
                   tuple(draw(st.lists(_DECOR, min_size=2 * N_TOKENS, max_size=2 * N_TOKENS))),
                   tuple(draw(st.lists(_PLAIN_DECOR, min_size=N_TOKENS, max_size=N_TOKENS))),
                   tuple(draw(st.lists(_IPS, min_size=3, max_size=3))), draw(_ACCOUNTS))


def random_report(p: Planted, directory: Path) -> Report:
    """A diagnose-like report whose every identifying field holds a planted value."""
    w, n, h = p.word, p.name, p.label
    zone = f"{h(0)}.test"
    domain = f"{h(1)}.{zone}"
    pki = PKI(key_offset=900)
    ca = pki.root("ca", key="p256", subject=_name((NameOID.COUNTRY_NAME, "US"),
                                                  (NameOID.ORGANIZATION_NAME, n(2)),
                                                  (NameOID.COMMON_NAME, n(3))))
    subject = _name((NameOID.COUNTRY_NAME, "DE"), (NameOID.STATE_OR_PROVINCE_NAME, n(4)),
                    (NameOID.LOCALITY_NAME, n(5)), (NameOID.ORGANIZATION_NAME, n(6)),
                    (NameOID.ORGANIZATIONAL_UNIT_NAME, n(7)), (NameOID.SERIAL_NUMBER, f"zq{p.cores[8]}"),
                    (NameOID.EMAIL_ADDRESS, f"{h(9)}@{h(10)}.test"),
                    (NameOID.COMMON_NAME, n(11)))
    sans = x509.SubjectAlternativeName([
        x509.DNSName(f"{h(12)}.{h(13)}.test"), x509.DNSName(h(14)),
        x509.IPAddress(ipaddress.ip_address(p.ips[0])), x509.RFC822Name(f"{h(15)}@x.test"),
        x509.UniformResourceIdentifier(f"https://{h(16)}.test/{w(17)}"),
        x509.DirectoryName(_name((NameOID.COMMON_NAME, n(18))))])
    leaf = pki.leaf(ca, "leaf", key="p256", subject=subject, sans=(),
                    extra_extensions=[(sans, False)])
    folder = directory / w(19)
    folder.mkdir(parents=True, exist_ok=True)
    cert_path = folder / f"{n(20).replace('/', '')}.pem"
    key_path = folder / f"{w(21)}.key"
    summary = describe(load_certificates(leaf.pem, str(cert_path)).certificates[0], NOW)
    bucket, key = w(22), f"{w(23)}/{w(24)}.pem"
    arn = f"arn:aws:acm:{REGION}:{p.account}:certificate/{w(25)}"
    denied = Attempt("acm.ListCertificates", Status.DENIED,
                     f"User: arn:aws:sts::{p.account}:assumed-role/{w(26)}/{w(27)} is not "
                     f"authorized; see {h(28)}.{zone}", "acm:ListCertificates", "AccessDenied")
    facts = replace(
        snapshot_facts(ca.pem, NOW), name=domain, certificate_arn=arn,
        ownership_verification_certificate_arn=None,
        regional_domain_name=f"d-{h(29)}.execute-api.{REGION}.amazonaws.com",
        hosted_zone_id=w(30).upper(), status_message=f"Pending for {h(28)}.{zone}",
        mtls=Mtls(f"s3://{bucket}/{key}", w(32), (f"Certificate in arn:aws:s3:::{bucket}/{key}",)),
        mappings=(Mapping(w(33), n(34), w(35), False, n(36), "rest"),),
        certificates={arn: AcmCertificate(arn, "ISSUED", "IMPORTED", f"CN=*.{zone},O={n(31)}",
                                          n(37),
                                          f"*.{zone}", (f"*.{zone}", zone))},
        truststore_object=TruststoreObject(bucket, key, "Enabled", w(38), w(32),
                                           content=ca.pem),
        dns_addresses=(p.ips[1],), dns_canonical=None, regional_addresses=(p.ips[2],),
        attempts=(denied,), account_id=p.account)
    domain_part = domain_report(facts, at=NOW, now=NOW)
    result = ProbeResult(
        host=domain, port=443, address=f"{p.ips[1]}:443", sni=domain, tls_version="TLSv1.2",
        served_chain=(summary,), hostname_match=HostnameMatch(domain, False, None, "no"),
        client_auth=ClientAuth(True, True, (summary.issuer,)),
        client_certificate=ClientCertificate(True, Outcome.REJECTED, "unknown_ca",
                                             summary.subject, summary.issuer),
        http=HttpAnswer(403, "Forbidden", {
            "x-amzn-requestid": w(39), "location": f"https://{h(16)}.test/{w(17)}",
            "set-cookie": f"session={w(35)}"}, json.dumps({"requestId": w(39)})))
    inputs = ProbeInputs(Target(domain, 443, p.ips[1], 443), cert=str(cert_path),
                         key=str(key_path))
    findings = (*probe_findings(result, inputs), *domain_part.findings)
    return Report("diagnose", NOW, domain_part.checks, findings, {
        "probe": result, "domain": facts, "truststore": domain_part.payload.get("truststore"),
        "client_certificate": summary})


@given(p=planted())
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_values_in_every_field_never_survive(p: Planted, tmp_path: Path) -> None:
    report = random_report(p, tmp_path)
    plain = render(report, "json").lower()
    shown = [s for s in p.secrets if s.lower() in plain]
    assert len(shown) > 30  # most of them are in the plain report
    red = redact_report(report)
    for fmt in FORMATS:
        out = render(red, fmt).lower()
        left = [s for s in p.secrets if s.lower() in out]
        assert left == [], (fmt, left)
        assert "zq" not in out, fmt
