"""`domain_findings`: every DOMAIN_* and AWS_* id produced by its fault, none on a healthy domain,
and fixes whose commands carry the domain's real name, region, bucket, key, versions and ARNs."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from mtls_doctor.aws.findings import covers, domain_findings, match_warning
from mtls_doctor.model.catalog import CATALOG, RESERVED
from mtls_doctor.model.certificate import CertSummary
from mtls_doctor.model.domain import (
    AcmCertificate,
    Authorizers,
    DomainFacts,
    Mapping,
    Mtls,
    RoutingRule,
    Stage,
    TruststoreObject,
)
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.load import load_certificates
from mtls_doctor.report.json import to_primitive
from tests.pki_factory import NOW, PKI, dn, pem_bundle

NAME = "api.example.com"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
CERT_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/11111111-2222-3333-4444-555555555555"
OWN_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/99999999-8888-7777-6666-555555555555"
OTHER_ARN = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
REGIONAL = "d-abc123xyz.execute-api.eu-west-1.amazonaws.com"
ZONE = "ZLY8HYME6SFDD"
BUCKET = "mtls-truststores"
KEY = "prod/truststore.pem"
URI = f"s3://{BUCKET}/{KEY}"
V_OLD = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"
V_NEW = "Zq9.xH1aE7vFq2kW8yTn0ReUoLp3sMd4"
API_ID = "a1b2c3d4e5"
OTHER_DOMAIN_ARN = f"arn:aws:apigateway:{REGION}::/domainnames/partner.example.com"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:access"
ADDRS = ("52.0.0.1", "52.0.0.2")


def acm(arn: str = CERT_ARN, **changes) -> AcmCertificate:
    """An ACM-issued, ISSUED certificate for NAME, valid 200 more days."""
    cert = AcmCertificate(arn=arn, status="ISSUED", type="AMAZON_ISSUED", subject=f"CN={NAME}",
                          issuer="Amazon", domain_name=NAME, sans=(NAME,),
                          not_before=NOW - timedelta(days=165), not_after=NOW + timedelta(days=200),
                          key_algorithm="RSA-2048")
    return replace(cert, **changes)


def ts(**changes) -> TruststoreObject:
    """The healthy truststore object: versioning on, the latest version in use, content read."""
    obj = TruststoreObject(BUCKET, KEY, "Enabled", V_OLD, V_OLD, NOW - timedelta(days=40),
                           NOW - timedelta(days=40), b"-----BEGIN CERTIFICATE-----...")
    return replace(obj, **changes)


_STATUS = {"access_denied": Status.DENIED, "endpoint": Status.UNREACHABLE}


def AwsFailure(call: str, action: str, code: str, message: str, kind: str,
               region: str | None = None) -> Attempt:
    """A failed call as the collector records it (`kind`: a Status value, or an old name)."""
    return Attempt(call, _STATUS.get(kind) or Status(kind), f"{code}: {message}", action, code,
                   region)


#: the fact each call collects (the domain certificate's and the ownership one's are told apart
#: by the ARN in the message)
_FACTS = {"s3.GetObject": "truststore_object", "s3.GetBucketVersioning": "truststore_versions",
          "s3.ListObjectVersions": "truststore_versions", "acm.ListCertificates": "issuer_conflicts",
          "apigateway.GetBasePathMappings": "mappings", "apigateway.GetRestApi": "mapped_apis",
          "apigateway.GetDomainName": "domain", "apigatewayv2.GetDomainName": "domain"}
_ALL_FACTS = ("domain", "certificate", "ownership_certificate", "issuer_conflicts",
              "truststore_object", "truststore_versions", "mappings", "mapped_apis",
              "routing_rules", "stages", "authorizers", "dns")


def evidence_of(failures: tuple[Attempt, ...]) -> dict[str, Attempt]:
    """Every fact collected, but those the failed (or not-found) calls were to collect."""
    evidence = {f: Attempt(f, Status.OK) for f in _ALL_FACTS}
    for a in failures:
        fact = _FACTS.get(a.call)
        if a.call == "acm.DescribeCertificate":
            fact = "ownership_certificate" if OWN_ARN in a.reason else "certificate"
        if fact is not None:
            evidence[fact] = a
    return evidence


def lookup_failed(*failures: Attempt) -> DomainFacts:
    """The domain could not be looked up at all."""
    return DomainFacts(NAME, REGION, "option", found=None, attempts=failures,
                       evidence={"domain": failures[0]})


def healthy(failures: tuple[Attempt, ...] = (), **changes) -> DomainFacts:
    facts = DomainFacts(
        name=NAME, region=REGION, region_source="option", found=True, api_type="rest",
        endpoint_type="REGIONAL", status="AVAILABLE", status_message=None,
        security_policy="TLS_1_2", certificate_arn=CERT_ARN,
        ownership_verification_certificate_arn=None, regional_domain_name=REGIONAL,
        hosted_zone_id=ZONE, mtls=Mtls(URI, V_OLD, ()),
        mappings=(Mapping(API_ID, "prod", "(none)", True, "orders", "rest"),), mappings_read=True,
        certificates={CERT_ARN: acm()}, issuer_conflicts=(),
        truststore_object=ts(),
        dns_addresses=ADDRS, dns_canonical=REGIONAL, regional_addresses=ADDRS,
        attempts=failures, account_id=ACCOUNT, evidence=evidence_of(failures))
    return replace(facts, **changes)


@pytest.fixture(scope="module")
def truststore() -> list[CertSummary]:
    """Partner Root CA, Partner Root CA 2 (another root whose name starts the same), and an
    issuing CA under the first root, decoded as the collector would decode the S3 object."""
    pki = PKI(key_offset=40)
    root = pki.root("Partner Root CA", subject=dn("Partner Root CA", o="Example Partners", c="US"))
    root2 = pki.root("Partner Root CA 2", subject=dn("Partner Root CA 2", o="Example Partners", c="US"))
    ica = pki.intermediate(root, "Partner Issuing CA",
                           subject=dn("Partner Issuing CA", o="Example Partners", c="US"))
    loaded = load_certificates(pem_bundle([root, root2, ica]), f"{URI}?versionId={V_OLD}")
    return [describe(lc, NOW) for lc in loaded.certificates]


def run(facts: DomainFacts, truststore: list[CertSummary] | None = None,
        warn_days: int = 30) -> list[Finding]:
    return domain_findings(facts, truststore or [], at=NOW, warn_days=warn_days)


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


def where(finding: Finding) -> str:
    assert finding.location is not None
    return finding.location


def one(findings: list[Finding], finding_id: str) -> Finding:
    found = [f for f in findings if f.id == finding_id]
    assert len(found) == 1, ids(findings)
    return found[0]


def fix_of(finding: Finding) -> Fix:
    assert finding.fix is not None
    return finding.fix


def commands(finding: Finding) -> str:
    assert finding.fix is not None
    return "\n".join(finding.fix.commands)


def patch(path: str, value: str, op: str = "replace") -> str:
    """`--patch-operations` with one operation, as the commands write it: one quoted JSON word."""
    return shlex.quote(json.dumps([{"op": op, "path": path, "value": value}], separators=(",", ":")))


def as_json(value: object) -> str:
    """A structured CLI parameter as the commands write it: one quoted JSON word."""
    return shlex.quote(json.dumps(value, separators=(",", ":")))


# --- the healthy domain -----------------------------------------------------------------------------

def test_healthy_domain_has_no_finding(truststore):
    assert run(healthy(), truststore) == []


def test_healthy_http_domain_has_no_finding(truststore):
    facts = healthy(api_type="http",
                    mappings=(Mapping(API_ID, "$default", "(none)", True, "orders", "http"),))
    assert run(facts, truststore) == []


def test_unknown_values_are_not_faults():
    """A fact the collector could not read (None, 'unknown') never becomes a domain finding."""
    facts = healthy(status=None, security_policy=None, endpoint_type=None, certificates={},
                    mappings=(Mapping(API_ID, "prod", "(none)", None),), dns_addresses=(),
                    truststore_object=ts(versioning="unknown",
                                              latest_version=None))
    assert run(facts) == []


# --- one fault, one id ------------------------------------------------------------------------------

Fault = Callable[[], DomainFacts]
FAULTS: dict[str, Fault] = {
    "DOMAIN_NOT_FOUND": lambda: DomainFacts(NAME, REGION, "dns", found=False),
    "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT": lambda: healthy(
        status="PENDING_CERTIFICATE_REIMPORT", certificates={CERT_ARN: acm(type="IMPORTED")},
        ownership_verification_certificate_arn=OWN_ARN),
    "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION": lambda: healthy(
        status="PENDING_OWNERSHIP_VERIFICATION", ownership_verification_certificate_arn=OWN_ARN),
    "DOMAIN_STATUS_FAILED": lambda: healthy(status="FAILED", status_message="certificate invalid"),
    "DOMAIN_STATUS_UPDATING": lambda: healthy(status="UPDATING"),
    "DOMAIN_STATUS_PENDING": lambda: healthy(status="PENDING"),
    "DOMAIN_MTLS_DISABLED": lambda: healthy(mtls=None, truststore_object=None),
    "DOMAIN_NOT_REGIONAL": lambda: healthy(endpoint_type="EDGE"),
    "DOMAIN_SECURITY_POLICY_INCOMPATIBLE": lambda: healthy(security_policy="TLS_1_0"),
    "DOMAIN_TRUSTSTORE_WARNING": lambda: healthy(
        mtls=Mtls(URI, V_OLD, ("Certificate CN=Partner Issuing CA, O=Example Partners, C=US "
                               "has expired",))),
    "DOMAIN_TRUSTSTORE_STALE": lambda: healthy(truststore_object=TruststoreObject(
        BUCKET, KEY, "Enabled", V_NEW, V_OLD, NOW - timedelta(days=1), NOW - timedelta(days=40),
        b"pem")),
    "DOMAIN_TRUSTSTORE_UNREADABLE": lambda: healthy(
        truststore_object=ts(content=None),
        failures=(AwsFailure("s3.GetObject", "s3:GetObjectVersion", "NoSuchVersion",
                             "The specified version does not exist.", "not_found"),)),
    "DOMAIN_TRUSTSTORE_VERSIONING_OFF": lambda: healthy(
        truststore_object=ts(versioning="Suspended")),
    "DOMAIN_OWNERSHIP_CERT_MISSING": lambda: healthy(certificates={CERT_ARN: acm(type="IMPORTED")}),
    "DOMAIN_OWNERSHIP_CERT_INVALID": lambda: healthy(
        certificates={CERT_ARN: acm(type="IMPORTED"), OWN_ARN: acm(OWN_ARN, status="EXPIRED")},
        ownership_verification_certificate_arn=OWN_ARN),
    "DOMAIN_CERT_NOT_ISSUED": lambda: healthy(
        certificates={CERT_ARN: acm(status="PENDING_VALIDATION")}),
    "DOMAIN_CERT_EXPIRES_SOON": lambda: healthy(
        certificates={CERT_ARN: acm(not_after=NOW + timedelta(days=10))}),
    "DOMAIN_ISSUER_CONFLICT": lambda: healthy(issuer_conflicts=(
        acm(OTHER_ARN, type="IMPORTED", issuer="DigiCert Inc"),)),
    "DOMAIN_EXECUTE_API_ENABLED": lambda: healthy(
        mappings=(Mapping(API_ID, "prod", "(none)", False, "orders"),)),
    "DOMAIN_NO_MAPPINGS": lambda: healthy(mappings=()),
    "DOMAIN_DNS_ELSEWHERE": lambda: healthy(dns_canonical="d111111abcdef8.cloudfront.net",
                                            dns_addresses=("13.32.0.1",)),
    "AWS_NO_CREDENTIALS": lambda: healthy(failures=(AwsFailure(
        "acm.DescribeCertificate", "acm:DescribeCertificate", "NoCredentialsError",
        "Unable to locate credentials", "no_credentials"),)),
    "AWS_ACCESS_DENIED": lambda: healthy(failures=(AwsFailure(
        "acm.ListCertificates", "acm:ListCertificates", "AccessDeniedException",
        "not authorized to perform: acm:ListCertificates", "access_denied"),)),
    "AWS_THROTTLED": lambda: healthy(failures=(AwsFailure(
        "apigateway.GetBasePathMappings", "apigateway:GET", "TooManyRequestsException",
        "Too Many Requests", "throttled"),)),
    "AWS_ERROR": lambda: healthy(failures=(AwsFailure(
        "s3.ListObjectVersions", "s3:ListBucketVersions", "InternalError",
        "We encountered an internal error", "error"),)),
    "AWS_UNREACHABLE": lambda: healthy(failures=(AwsFailure(
        "acm.ListCertificates", "acm:ListCertificates", "Timeout",
        "no answer before the --timeout of 3 s ran out", "timed_out"),)),
    "AWS_REGION_NOT_ENABLED": lambda: healthy(attempts=(AwsFailure(
        "apigateway.GetDomainName", "apigateway:GET", "UnrecognizedClientException",
        "The security token included in the request is invalid.", "region_not_enabled",
        "me-south-1"),)),
    "DOMAIN_TRUSTSTORE_UNPINNED": lambda: healthy(mtls=Mtls(URI, None, ()),
                                                  truststore_object=ts(configured_version=None)),
    "DOMAIN_STRICT_ACCESS_MODE": lambda: healthy(endpoint_access_mode="STRICT"),
    "DOMAIN_OWNERSHIP_CERT_IN_USE": lambda: healthy(
        ownership_verification_certificate_arn=OWN_ARN,
        certificates={CERT_ARN: acm(), OWN_ARN: acm(OWN_ARN, in_use_by=(OTHER_DOMAIN_ARN,))}),
    "DOMAIN_ACCESS_LOGS_MISSING": lambda: healthy(stages=(Stage(API_ID, "rest", "prod"),)),
    "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE": lambda: healthy(stages=(Stage(
        API_ID, "rest", "prod", True, LOG_GROUP, "$context.requestId $context.status"),)),
    "DOMAIN_REVOCATION_NOT_CHECKED": lambda: healthy(authorizers=(Authorizers(
        API_ID, "rest", False, ("TOKEN: jwt-check",)),)),
}


def test_the_fault_table_covers_every_aws_id():
    aws_ids = {i for i in CATALOG if i.startswith(("DOMAIN_", "AWS_"))} - RESERVED
    assert set(FAULTS) == aws_ids


@pytest.mark.parametrize("finding_id", sorted(FAULTS))
def test_fault_produces_its_id(finding_id, truststore):
    findings = run(FAULTS[finding_id](), truststore)
    assert finding_id in ids(findings), ids(findings)
    for f in findings:
        assert f.severity == CATALOG[f.id].severity
        assert f.walkthrough == CATALOG[f.id].walkthrough
        assert f.location and f.fix is not None and f.fix.summary and f.fix.commands, f
        json.dumps(to_primitive(f))  # evidence is JSON-ready


@pytest.mark.parametrize("finding_id", sorted(FAULTS))
def test_fault_produces_nothing_unrelated(finding_id, truststore):
    """Each fault alone: its id and the ones it implies, nothing else."""
    implied = {
        "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT": {"DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT"},
        "DOMAIN_OWNERSHIP_CERT_INVALID": {"DOMAIN_OWNERSHIP_CERT_INVALID"},
    }.get(finding_id, {finding_id})
    assert set(ids(run(FAULTS[finding_id](), truststore))) == implied


# --- not found and failed lookups -------------------------------------------------------------------

def test_not_found_names_the_region_searched_and_nothing_else():
    facts = DomainFacts(NAME, "us-east-2", "option", found=False, account_id=ACCOUNT,
                        mtls=Mtls(URI, None), mappings_read=True)
    (f,) = run(facts)
    assert f.id == "DOMAIN_NOT_FOUND"
    assert "us-east-2" in f.detail and "given with --region" in f.detail
    assert ACCOUNT in f.detail
    assert f.location == f"custom domain {NAME} (us-east-2)"
    assert "aws apigateway get-domain-names --region us-east-2" in commands(f)
    assert "aws apigatewayv2 get-domain-names --region us-east-2" in commands(f)
    assert f.evidence["region_source"] == "option"


def test_not_found_from_profile_region_says_the_others_were_scanned():
    (f,) = run(DomainFacts(NAME, "ap-south-1", "profile", found=False))
    assert "ap-south-1" in f.detail and "other regions" in f.detail


def test_not_found_without_region():
    (f,) = run(DomainFacts(NAME, None, "profile", found=False))
    assert "no region" in f.detail and f.location == f"custom domain {NAME}"


def test_no_credentials_is_not_a_missing_domain():
    facts = lookup_failed(
        AwsFailure("apigateway.GetDomainName", "apigateway:GET", "NoCredentialsError",
                   "Unable to locate credentials", "no_credentials"),
        AwsFailure("apigatewayv2.GetDomainName", "apigateway:GET", "NoCredentialsError",
                   "Unable to locate credentials", "no_credentials"))
    assert ids(run(facts)) == ["AWS_NO_CREDENTIALS"]


def test_denied_lookup_is_not_a_missing_domain():
    facts = lookup_failed(
        AwsFailure("apigateway.GetDomainName", "apigateway:GET", "AccessDeniedException",
                   "denied", "access_denied"))
    (f,) = run(facts)
    assert f.id == "AWS_ACCESS_DENIED" and f.evidence["action"] == "apigateway:GET"


def test_access_denied_once_per_action_and_errors_per_call():
    denied = [AwsFailure(call, action, "AccessDenied", "nope", "access_denied") for call, action in (
        ("apigateway.GetBasePathMappings", "apigateway:GET"),
        ("apigateway.GetRestApi", "apigateway:GET"),
        ("acm.DescribeCertificate", "acm:DescribeCertificate"),
        ("s3.GetBucketVersioning", "s3:GetBucketVersioning"))]
    errors = [AwsFailure("acm.ListCertificates", "acm:ListCertificates", "EndpointConnectionError",
                         "Could not connect", "endpoint"),
              AwsFailure("s3.ListObjectVersions", "s3:ListBucketVersions", "InternalError",
                         "We encountered an internal error", "error"),
              AwsFailure("acm.DescribeCertificate", "acm:DescribeCertificate",
                         "ResourceNotFoundException", "gone", "not_found")]
    found = run(healthy(failures=(*denied, *errors)))
    assert ids(found) == ["AWS_ACCESS_DENIED"] * 3 + ["AWS_UNREACHABLE", "AWS_ERROR"]
    actions = [f.evidence["action"] for f in found if f.id == "AWS_ACCESS_DENIED"]
    assert actions == ["apigateway:GET", "acm:DescribeCertificate", "s3:GetBucketVersioning"]
    get = next(f for f in found if f.evidence.get("action") == "apigateway:GET")
    assert get.evidence["calls"] == ["apigateway.GetBasePathMappings", "apigateway.GetRestApi"]
    assert "apigateway:GET" in get.title and "apigateway:GET" in commands(get)
    assert f"arn:aws:iam::{ACCOUNT}:role/" in commands(get)
    assert [f.evidence["call"] for f in found if f.id in ("AWS_UNREACHABLE", "AWS_ERROR")] == [
        "acm.ListCertificates", "s3.ListObjectVersions"]


def test_failures_do_not_stop_the_other_rules():
    facts = healthy(status="UPDATING", failures=(AwsFailure(
        "apigateway.GetRestApi", "apigateway:GET", "AccessDeniedException", "no", "access_denied"),))
    assert ids(run(facts)) == ["DOMAIN_STATUS_UPDATING", "AWS_ACCESS_DENIED"]


# --- status -----------------------------------------------------------------------------------------

def test_pending_certificate_reimport_explains_and_reimports_into_the_arn():
    facts = healthy(status="PENDING_CERTIFICATE_REIMPORT",
                    status_message="certificate does not cover the domain",
                    certificates={CERT_ARN: acm(type="IMPORTED", sans=("www.example.com",),
                                                domain_name="www.example.com",
                                                subject="CN=www.example.com")},
                    ownership_verification_certificate_arn=OWN_ARN)
    f = one(run(facts), "DOMAIN_STATUS_PENDING_CERTIFICATE_REIMPORT")
    assert "certificate does not cover the domain" in f.detail
    assert "SANs" in f.detail and "www.example.com, not api.example.com" in f.detail
    assert f.evidence["certificate_covers_domain"] is False
    cmds = commands(f)
    assert f"aws acm import-certificate --certificate-arn {CERT_ARN}" in cmds
    assert f"aws acm describe-certificate --certificate-arn {CERT_ARN}" in cmds
    assert f"--region {REGION}" in cmds
    assert f.subject == "CN=www.example.com"


def test_pending_ownership_verification_locks_updates_and_replaces_the_arn():
    own = acm(OWN_ARN, status="EXPIRED", not_after=NOW - timedelta(days=3),
              renewal_status="FAILED", renewal_reason="DOMAIN_VALIDATION_DENIED")
    facts = healthy(status="PENDING_OWNERSHIP_VERIFICATION",
                    certificates={CERT_ARN: acm(type="IMPORTED"), OWN_ARN: own},
                    ownership_verification_certificate_arn=OWN_ARN)
    found = run(facts)
    f = one(found, "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION")
    assert "expired" in f.detail and "renew" in f.detail and "locked" in f.detail
    assert "DOMAIN_VALIDATION_DENIED" in f.detail
    cmds = commands(f)
    assert f"aws acm describe-certificate --certificate-arn {OWN_ARN}" in cmds
    assert f"aws acm request-certificate --domain-name {NAME} --validation-method DNS --region {REGION}" \
        in cmds
    assert (f"aws apigateway update-domain-name --domain-name {NAME} --patch-operations "
            + patch("/ownershipVerificationCertificateArn", "<new-ownership-certificate-arn>")
            + f" --region {REGION}") in cmds
    assert "DOMAIN_OWNERSHIP_CERT_INVALID" in ids(found)


def test_ownership_fix_uses_a_valid_candidate_from_the_facts():
    good = acm(OTHER_ARN, sans=("*.example.com",), domain_name="*.example.com")
    facts = healthy(status="PENDING_OWNERSHIP_VERIFICATION", ownership_verification_certificate_arn=OWN_ARN,
                    certificates={CERT_ARN: acm(type="IMPORTED"), OWN_ARN: acm(OWN_ARN, status="EXPIRED"),
                                  OTHER_ARN: good})
    f = one(run(facts), "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION")
    assert (f"--patch-operations {patch('/ownershipVerificationCertificateArn', OTHER_ARN)}"
            in commands(f))


def test_status_http_api_uses_apigatewayv2():
    facts = healthy(api_type="http", status="PENDING_OWNERSHIP_VERIFICATION",
                    ownership_verification_certificate_arn=OWN_ARN,
                    mappings=(Mapping(API_ID, "$default", "(none)", True, None, "http"),))
    f = one(run(facts), "DOMAIN_STATUS_PENDING_OWNERSHIP_VERIFICATION")
    cmds = commands(f)
    assert f"aws apigatewayv2 update-domain-name --domain-name {NAME} --domain-name-configurations" in cmds
    assert as_json([{"CertificateArn": CERT_ARN, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2",
                     "OwnershipVerificationCertificateArn": "<new-ownership-certificate-arn>"}]) in cmds
    assert "aws apigateway " not in cmds


@pytest.mark.parametrize("status", ["UPDATING", "PENDING", "FAILED"])
def test_other_statuses_carry_the_message(status):
    f = one(run(healthy(status=status, status_message="working on it")), f"DOMAIN_STATUS_{status}")
    assert "working on it" in f.detail and f.evidence["status"] == status
    assert f"--domain-name {NAME}" in commands(f) and f"--region {REGION}" in commands(f)


# --- mTLS, endpoint, policy -------------------------------------------------------------------------

def test_mtls_disabled_sets_a_truststore_uri():
    f = one(run(healthy(mtls=None, truststore_object=None)), "DOMAIN_MTLS_DISABLED")
    assert (f"aws apigateway update-domain-name --domain-name {NAME} --patch-operations "
            + patch("/mutualTlsAuthentication/truststoreUri", "s3://<bucket>/<key>")
            + f" --region {REGION}") in commands(f)


def test_empty_truststore_uri_counts_as_disabled():
    assert ids(run(healthy(mtls=Mtls("", None), truststore_object=None))) == ["DOMAIN_MTLS_DISABLED"]


def test_mtls_disabled_names_the_blockers():
    facts = healthy(mtls=None, truststore_object=None, security_policy="TLS_1_0")
    f = one(run(facts), "DOMAIN_MTLS_DISABLED")
    assert "TLS_1_0" in f.detail
    assert patch("/securityPolicy", "TLS_1_2") in commands(f)


@pytest.mark.parametrize("endpoint", ["EDGE", "PRIVATE"])
def test_not_regional(endpoint):
    f = one(run(healthy(endpoint_type=endpoint)), "DOMAIN_NOT_REGIONAL")
    assert endpoint in f.title and f"--domain-name {NAME}" in commands(f)
    assert f"--region {REGION}" in commands(f)


@pytest.mark.parametrize("policy", ["TLS_1_0", "SecurityPolicy_TLS13_1_3_2025_09"])
def test_security_policy_incompatible(policy):
    f = one(run(healthy(security_policy=policy)), "DOMAIN_SECURITY_POLICY_INCOMPATIBLE")
    assert policy in f.title
    assert (f"aws apigateway update-domain-name --domain-name {NAME} --patch-operations "
            f"{patch('/securityPolicy', 'TLS_1_2')} --region {REGION}") in commands(f)


# --- truststore warnings ----------------------------------------------------------------------------

@pytest.mark.parametrize(("warning", "index"), [
    ("Certificate CN=Partner Issuing CA,O=Example Partners,C=US has expired", 2),
    ("Certificate CN=Partner Issuing CA, O=Example Partners, C=US has expired", 2),
    ("certificate c=us, o=example partners, cn=partner issuing ca is not valid", 2),
    ("Certificate /C=US/O=Example Partners/CN=Partner Issuing CA: unsupported", 2),
    ("Invalid certificate chain: CN = Partner Root CA, O = Example Partners, C = US", 0),
    ("Invalid certificate chain: CN=Partner Root CA 2, O=Example Partners", 1),
    ("Certificate CN=Partner Root CA has an unsupported signature algorithm", 0),
    ("Certificate Partner Root CA 2 has expired", 1),
])
def test_warning_is_tied_to_the_entry_it_names(truststore, warning, index):
    entry, how, _ = match_warning(warning, truststore, NOW)
    assert entry is not None and entry.index == index, (how, entry)


def test_warning_finding_evidence_and_fix(truststore):
    warning = "Certificate CN=Partner Issuing CA, O=Example Partners, C=US has expired"
    found = run(healthy(mtls=Mtls(URI, V_OLD, (warning, "Something about CN=Nobody"))), truststore)
    assert ids(found) == ["DOMAIN_TRUSTSTORE_WARNING"] * 2
    f, unmatched = found
    assert f.subject == "CN=Partner Issuing CA,O=Example Partners,C=US"
    assert f.evidence["warning"] == warning and f.evidence["index"] == 2
    assert f.location == f.evidence["location"] == truststore[2].location
    assert "#3" in where(f)
    cmds = commands(f)
    assert f"aws s3api get-object --bucket {BUCKET} --key {KEY} --version-id {V_OLD} truststore.pem" in cmds
    assert (f"aws s3api put-object --bucket {BUCKET} --key {KEY} --body truststore.pem "
            "--query VersionId --output text") in cmds
    assert ("--patch-operations "
            + patch("/mutualTlsAuthentication/truststoreVersion", "<new-version-id>")) in cmds
    assert unmatched.evidence["index"] is None and unmatched.evidence["subject"] is None
    assert unmatched.subject is None
    assert unmatched.location == f"{URI}?versionId={V_OLD}"


def test_warning_without_a_readable_truststore():
    (f,) = run(healthy(mtls=Mtls(URI, V_OLD, ("Certificate CN=X has expired",))))
    assert f.evidence["index"] is None and "could not be read" in f.detail


def test_same_subject_prefers_the_expired_copy():
    pki = PKI(key_offset=60)
    old = pki.root("Renewed Root", expired=True)
    new = pki.root("Renewed Root")
    loaded = load_certificates(pem_bundle([new, old]), "truststore.pem")
    ts = [describe(lc, NOW) for lc in loaded.certificates]
    entry, _, others = match_warning("Certificate CN=Renewed Root has expired", ts, NOW)
    assert entry is not None and entry.index == 1 and others == [0]


# --- the truststore object --------------------------------------------------------------------------

def test_stale_truststore_rest_command():
    f = one(run(FAULTS["DOMAIN_TRUSTSTORE_STALE"]()), "DOMAIN_TRUSTSTORE_STALE")
    assert (f"aws apigateway update-domain-name --domain-name {NAME} --patch-operations "
            f"{patch('/mutualTlsAuthentication/truststoreVersion', V_NEW)} "
            f"--region {REGION}") in commands(f)
    assert f"mtls-doctor truststore 's3://{BUCKET}/{KEY}?versionId={V_NEW}'" in commands(f)
    assert f.evidence["latest_version"] == V_NEW and f.evidence["configured_version"] == V_OLD
    assert f.location == f"s3://{BUCKET}/{KEY}?versionId={V_OLD}"


def test_stale_truststore_http_command():
    facts = replace(FAULTS["DOMAIN_TRUSTSTORE_STALE"](), api_type="http")
    f = one(run(facts), "DOMAIN_TRUSTSTORE_STALE")
    config = as_json([{"CertificateArn": CERT_ARN, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}])
    mtls = as_json({"TruststoreUri": URI, "TruststoreVersion": V_NEW})
    assert (f"aws apigatewayv2 update-domain-name --domain-name {NAME} --domain-name-configurations "
            f"{config} --mutual-tls-authentication {mtls} --region {REGION}") in commands(f)


def test_not_stale_when_the_configured_version_is_newer():
    facts = healthy(truststore_object=TruststoreObject(
        BUCKET, KEY, "Enabled", V_NEW, V_OLD, NOW - timedelta(days=40), NOW - timedelta(days=1),
        b"pem"))
    assert run(facts) == []


@pytest.mark.parametrize(("code", "said"), [("NoSuchKey", "NoSuchKey"),
                                           ("NoSuchVersion", "NoSuchVersion")])
def test_unreadable_says_why(code, said):
    facts = healthy(truststore_object=ts(content=None),
                    failures=(AwsFailure("s3.GetObject", "s3:GetObjectVersion", code, "msg",
                                         "not_found"),))
    found = run(facts)
    f = one(found, "DOMAIN_TRUSTSTORE_UNREADABLE")
    assert said in f.detail and f.evidence["code"] == code
    assert f"aws s3api head-object --bucket {BUCKET} --key {KEY} --version-id {V_OLD}" in commands(f)
    assert ids(found) == ["DOMAIN_TRUSTSTORE_UNREADABLE"]


@pytest.mark.parametrize(("message", "action"), [
    ("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
     "s3:GetObjectVersion on resource", "s3:GetObjectVersion"),
    ("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Decrypt on "
     "resource: arn:aws:kms:eu-west-1:123456789012:key/1", "kms:Decrypt"),
])
def test_the_callers_denial_is_not_an_unreadable_truststore(message, action):
    from mtls_doctor.aws.calls import denied_action

    denial = AwsFailure("s3.GetObject", denied_action(message, "s3:GetObjectVersion"),
                        "AccessDenied", message, "access_denied")
    found = run(healthy(truststore_object=ts(content=None), failures=(denial,)))
    assert ids(found) == ["AWS_ACCESS_DENIED"]
    assert found[0].evidence["action"] == action
    if action == "kms:Decrypt":
        fix = found[0].fix
        assert fix is not None
        assert "KMS" in found[0].detail and "s3:GetObjectVersion" not in fix.summary


def test_unreadable_without_truststore_object_uses_the_uri():
    facts = healthy(truststore_object=None, failures=(
        AwsFailure("s3.GetObject", "s3:GetObject", "NoSuchBucket", "no bucket", "not_found"),))
    f = one(run(facts), "DOMAIN_TRUSTSTORE_UNREADABLE")
    assert BUCKET in f.detail and f.location == f"{URI}?versionId={V_OLD}"


def test_content_missing_without_an_answer_is_no_verdict():
    facts = healthy(truststore_object=ts(content=None))
    assert ids(run(facts)) == []


def test_versioning_off_command():
    f = one(run(FAULTS["DOMAIN_TRUSTSTORE_VERSIONING_OFF"]()), "DOMAIN_TRUSTSTORE_VERSIONING_OFF")
    assert (f"aws s3api put-bucket-versioning --bucket {BUCKET} "
            "--versioning-configuration Status=Enabled") in commands(f)
    assert ids(run(healthy(truststore_object=ts(versioning="Never")))) == [
        "DOMAIN_TRUSTSTORE_VERSIONING_OFF"]


# --- certificates -----------------------------------------------------------------------------------

def test_cert_expires_soon_respects_warn_days():
    facts = healthy(certificates={CERT_ARN: acm(not_after=NOW + timedelta(days=45))})
    assert run(facts) == []
    f = one(run(facts, warn_days=60), "DOMAIN_CERT_EXPIRES_SOON")
    assert f.evidence["days_left"] == 45 and f.subject == f"CN={NAME}"
    assert f"aws acm describe-certificate --certificate-arn {CERT_ARN}" in commands(f)
    assert CERT_ARN in where(f)


def test_imported_cert_expiring_is_reimported():
    facts = healthy(certificates={CERT_ARN: acm(type="IMPORTED", not_after=NOW + timedelta(days=5))},
                    ownership_verification_certificate_arn=OWN_ARN)
    f = one(run(facts), "DOMAIN_CERT_EXPIRES_SOON")
    assert f"aws acm import-certificate --certificate-arn {CERT_ARN}" in commands(f)


def test_cert_not_issued():
    f = one(run(FAULTS["DOMAIN_CERT_NOT_ISSUED"]()), "DOMAIN_CERT_NOT_ISSUED")
    assert "PENDING_VALIDATION" in f.title
    assert f"--certificate-arn {CERT_ARN}" in commands(f) and f"--region {REGION}" in commands(f)


@pytest.mark.parametrize("kind", ["IMPORTED", "PRIVATE"])
def test_ownership_cert_missing(kind):
    f = one(run(healthy(certificates={CERT_ARN: acm(type=kind)})), "DOMAIN_OWNERSHIP_CERT_MISSING")
    cmds = commands(f)
    assert f"aws acm request-certificate --domain-name {NAME}" in cmds
    assert f"--domain-name {NAME} --patch-operations" in cmds
    assert '"path":"/ownershipVerificationCertificateArn"' in cmds


def test_ownership_cert_not_needed_without_mtls():
    facts = healthy(mtls=None, truststore_object=None, certificates={CERT_ARN: acm(type="IMPORTED")})
    assert ids(run(facts)) == ["DOMAIN_MTLS_DISABLED"]


@pytest.mark.parametrize(("changes", "problem"), [
    ({"status": "PENDING_VALIDATION"}, "not ISSUED"),
    ({"not_after": NOW - timedelta(days=1)}, "expired"),
    ({"type": "IMPORTED"}, "not AMAZON_ISSUED"),
    ({"domain_name": "www.example.com", "sans": ("www.example.com",)}, "do not cover"),
    ({"domain_name": "*.api.example.com", "sans": ("*.api.example.com",)}, "do not cover"),
    ({"domain_name": "*.com", "sans": ("*.com",)}, "do not cover"),
])
def test_ownership_cert_invalid(changes, problem):
    facts = healthy(certificates={CERT_ARN: acm(type="IMPORTED"), OWN_ARN: acm(OWN_ARN, **changes)},
                    ownership_verification_certificate_arn=OWN_ARN)
    f = one(run(facts), "DOMAIN_OWNERSHIP_CERT_INVALID")
    assert problem in f.detail and OWN_ARN in where(f)
    assert f"aws acm describe-certificate --certificate-arn {OWN_ARN}" in commands(f)


def test_ownership_cert_valid_wildcard():
    facts = healthy(certificates={CERT_ARN: acm(type="IMPORTED"),
                                  OWN_ARN: acm(OWN_ARN, domain_name="*.example.com",
                                               sans=("*.example.com",))},
                    ownership_verification_certificate_arn=OWN_ARN)
    assert run(facts) == []


def test_ownership_cert_deleted():
    facts = healthy(certificates={CERT_ARN: acm(type="IMPORTED")},
                    ownership_verification_certificate_arn=OWN_ARN,
                    failures=(AwsFailure("acm.DescribeCertificate", "acm:DescribeCertificate",
                                         "ResourceNotFoundException",
                                         f"Could not find certificate with arn {OWN_ARN}", "not_found"),))
    f = one(run(facts), "DOMAIN_OWNERSHIP_CERT_INVALID")
    assert "no certificate" in f.detail


def test_covers():
    assert covers(["*.example.com"], "API.example.com.")
    assert not covers(["*.example.com"], "example.com")
    assert not covers(["*.example.com"], "a.b.example.com")
    assert covers(["www.example.com", "api.example.com"], "api.example.com")


def test_issuer_conflict_names_both_issuers_and_arns():
    f = one(run(FAULTS["DOMAIN_ISSUER_CONFLICT"]()), "DOMAIN_ISSUER_CONFLICT")
    assert CERT_ARN in f.detail and OTHER_ARN in f.detail
    assert "Amazon" in f.detail and "DigiCert Inc" in f.detail
    assert (f"The certificate subject CN={NAME} conflicts with an existing certificate from a "
            "different issuer.") in f.detail
    assert f.evidence["certificate"] == {"arn": CERT_ARN, "issuer": "Amazon"}
    assert f.evidence["conflicts"][0]["issuer"] == "DigiCert Inc"
    assert f"aws acm describe-certificate --certificate-arn {OTHER_ARN}" in commands(f)
    assert f.subject == f"CN={NAME}"


# --- mappings and DNS -------------------------------------------------------------------------------

def test_execute_api_enabled_rest_commands():
    maps = (Mapping(API_ID, "prod", "(none)", False, "orders"),
            Mapping(API_ID, "beta", "beta", False, "orders"),
            Mapping("zz99yy88xx", "v1", "other", False, None))
    found = run(healthy(mappings=maps))
    assert ids(found) == ["DOMAIN_EXECUTE_API_ENABLED"] * 2
    cmds = commands(found[0])
    assert (f"aws apigateway update-rest-api --rest-api-id {API_ID} --patch-operations "
            f"{patch('/disableExecuteApiEndpoint', 'True')} --region {REGION}") in cmds
    assert f"aws apigateway create-deployment --rest-api-id {API_ID} --stage-name prod" in cmds
    assert f"aws apigateway create-deployment --rest-api-id {API_ID} --stage-name beta" in cmds
    assert f"https://{API_ID}.execute-api.{REGION}.amazonaws.com" in found[0].detail
    assert found[1].evidence["api_id"] == "zz99yy88xx"


def test_execute_api_enabled_http_command():
    facts = healthy(api_type="http", mappings=(Mapping(API_ID, "$default", "(none)", False, None, "http"),))
    f = one(run(facts), "DOMAIN_EXECUTE_API_ENABLED")
    assert (f"aws apigatewayv2 update-api --api-id {API_ID} --disable-execute-api-endpoint "
            f"--region {REGION}") in commands(f)
    assert "--stage-name '$default'" in commands(f)


def test_no_mappings_only_when_read():
    assert ids(run(healthy(mappings=()))) == ["DOMAIN_NO_MAPPINGS"]
    assert run(healthy(mappings=(), mappings_read=False)) == []
    f = one(run(healthy(mappings=(), api_type="http")), "DOMAIN_NO_MAPPINGS")
    assert f"aws apigatewayv2 create-api-mapping --domain-name {NAME}" in commands(f)


def test_dns_alias_with_overlapping_addresses_is_fine():
    assert run(healthy(dns_canonical=NAME, dns_addresses=("52.0.0.2",))) == []


def test_dns_alias_without_regional_addresses_is_unknown():
    assert run(healthy(dns_canonical=NAME, dns_addresses=("1.2.3.4",), regional_addresses=())) == []


def test_dns_elsewhere_evidence_and_fix():
    f = one(run(FAULTS["DOMAIN_DNS_ELSEWHERE"]()), "DOMAIN_DNS_ELSEWHERE")
    assert f.evidence["dns_canonical"] == "d111111abcdef8.cloudfront.net"
    assert f.evidence["dns_addresses"] == ["13.32.0.1"]
    assert "cloudfront.net" in f.detail and REGIONAL in f.detail
    cmds = commands(f)
    assert f'"HostedZoneId":"{ZONE}","DNSName":"{REGIONAL}"' in cmds
    assert f'"Name":"{NAME}","Type":"A"' in cmds
    assert f"dig +short {NAME}" in cmds


def test_dns_elsewhere_when_addresses_differ():
    facts = healthy(dns_canonical=NAME, dns_addresses=("203.0.113.7",))
    assert ids(run(facts)) == ["DOMAIN_DNS_ELSEWHERE"]


def test_every_finding_locates_the_domain():
    for fault in FAULTS.values():
        for f in run(fault()):
            assert NAME in where(f) or where(f).startswith(f"s3://{BUCKET}/"), f


# --- private custom domains ---------------------------------------------------------------------------

PRIVATE_ID = "abcd1234ef"


def test_private_domain_commands_carry_its_id():
    facts = healthy(endpoint_type="PRIVATE", domain_name_id=PRIVATE_ID, mtls=None,
                    truststore_object=None, regional_domain_name=None, dns_addresses=())
    found = run(facts)
    assert ids(found) == ["DOMAIN_MTLS_DISABLED", "DOMAIN_NOT_REGIONAL"]
    private = one(found, "DOMAIN_NOT_REGIONAL")
    assert private.evidence["domain_name_id"] == PRIVATE_ID
    assert (f"aws apigateway get-domain-name --domain-name {NAME} --domain-name-id {PRIVATE_ID}"
            in commands(private))
    # the REGIONAL domain to create instead is a new public one: no private id there
    assert "create-domain-name" in commands(private)
    assert "--domain-name-id" not in commands(private).split("create-domain-name", 1)[1]
    off = one(found, "DOMAIN_MTLS_DISABLED")
    assert "PRIVATE" in off.detail
    assert "update-domain-name" not in commands(off)  # a private domain never carries mTLS


# --- routing mode and routing rules -----------------------------------------------------------------

RULE = RoutingRule("r1abc", 100, API_ID, "prod", ("orders",), ("x-version: v2*",), False, "orders")


@pytest.mark.parametrize(("mode", "maps", "rules", "expected"), [
    ("ROUTING_RULE_ONLY", (), (), True),
    ("ROUTING_RULE_ONLY", (), (RULE,), False),
    # API Gateway ignores the mappings under ROUTING_RULE_ONLY: they do not count
    ("ROUTING_RULE_ONLY", (Mapping(API_ID, "prod", "(none)", True),), (), True),
    ("ROUTING_RULE_THEN_BASE_PATH_MAPPING", (), (RULE,), False),
    ("ROUTING_RULE_THEN_BASE_PATH_MAPPING", (Mapping(API_ID, "prod", "(none)", True),), (), False),
    ("ROUTING_RULE_THEN_BASE_PATH_MAPPING", (), (), True),
    ("BASE_PATH_MAPPING_ONLY", (), (RULE,), True),  # rules do not count in this mode
])
def test_routing_rules_count_as_mappings(mode, maps, rules, expected):
    facts = healthy(routing_mode=mode, mappings=maps, routing_rules=rules,
                    routing_rules_read=mode.startswith("ROUTING_RULE"),
                    mappings_read=mode != "ROUTING_RULE_ONLY")
    found = [f for f in run(facts) if f.id == "DOMAIN_NO_MAPPINGS"]
    assert bool(found) == expected, ids(run(facts))
    if found and mode == "ROUTING_RULE_ONLY":
        assert "create-routing-rule" in commands(found[0])
        assert "no routing rule" in found[0].title


def test_no_routing_rule_claim_when_the_rules_were_not_read():
    facts = healthy(routing_mode="ROUTING_RULE_ONLY", mappings=(), mappings_read=False,
                    routing_rules=(), routing_rules_read=False)
    assert "DOMAIN_NO_MAPPINGS" not in ids(run(facts))


def test_execute_api_through_a_routing_rule_names_the_rule():
    facts = healthy(routing_mode="ROUTING_RULE_ONLY", mappings=(), mappings_read=False,
                    routing_rules=(RULE,), routing_rules_read=True)
    f = one(run(facts), "DOMAIN_EXECUTE_API_ENABLED")
    assert f.evidence["routing_rules"] == [{"rule_id": "r1abc", "priority": 100, "stage": "prod",
                                            "base_paths": ["orders"],
                                            "headers": ["x-version: v2*"]}]
    assert f.evidence["mappings"] == []
    assert "routing rule r1abc priority 100 (base path /orders, x-version: v2*)" in f.detail
    assert "routing rule r1abc" in where(f)
    assert f"update-rest-api --rest-api-id {API_ID}" in commands(f)


@pytest.mark.parametrize(("mode", "served_by"), [
    ("ROUTING_RULE_ONLY", "rule"), ("BASE_PATH_MAPPING_ONLY", "mapping"),
    ("ROUTING_RULE_THEN_BASE_PATH_MAPPING", "both")])
def test_only_what_the_routing_mode_uses_is_checked(mode, served_by):
    open_map = Mapping("mmmmmmmmmm", "prod", "v1", False, "mapped")
    facts = healthy(routing_mode=mode, mappings=(open_map,), routing_rules=(RULE,),
                    routing_rules_read=True)
    exposed = {f.evidence["api_id"] for f in run(facts) if f.id == "DOMAIN_EXECUTE_API_ENABLED"}
    assert exposed == {"rule": {API_ID}, "mapping": {"mmmmmmmmmm"},
                       "both": {API_ID, "mmmmmmmmmm"}}[served_by]


def test_strict_access_mode_says_what_clients_must_send():
    f = one(run(FAULTS["DOMAIN_STRICT_ACCESS_MODE"]()), "DOMAIN_STRICT_ACCESS_MODE")
    assert f.severity.value == "info"
    assert "SNI" in f.detail and "Host" in f.detail and "421" in f.detail
    cmds = commands(f)
    assert f"--connect-to {NAME}:443:{REGIONAL}:443" in cmds
    assert f"-connect {REGIONAL}:443 -servername {NAME}" in cmds
    assert run(healthy(endpoint_access_mode="BASIC")) == []


def test_websocket_domain_is_no_http_api():
    facts = healthy(api_type="websocket", mappings=(
        Mapping(API_ID, "prod", "(none)", False, "chat", "websocket"),))
    f = one(run(facts), "DOMAIN_EXECUTE_API_ENABLED")
    assert f.detail.startswith("WebSocket API chat")
    assert "HTTP API" not in f.detail
    assert f"aws apigatewayv2 update-api --api-id {API_ID}" in commands(f)
    assert "curl" not in commands(f)  # a WebSocket endpoint is no https:// URL to curl
    g = one(run(healthy(api_type="websocket", mtls=None, truststore_object=None)),
            "DOMAIN_MTLS_DISABLED")
    assert "aws apigatewayv2 update-domain-name" in commands(g)


# --- the ownership verification certificate elsewhere, issuer conflicts ------------------------------

def test_ownership_certificate_in_use_by_another_domain():
    f = one(run(FAULTS["DOMAIN_OWNERSHIP_CERT_IN_USE"]()), "DOMAIN_OWNERSHIP_CERT_IN_USE")
    assert f.severity.value == "error"
    assert f.evidence["other_domains"] == ["partner.example.com"]
    assert OTHER_DOMAIN_ARN in f.detail
    assert "ownershipVerificationCertificateArn" in commands(f)


@pytest.mark.parametrize("user", [
    f"arn:aws:apigateway:{REGION}::/domainnames/{NAME}",
    f"arn:aws:apigateway:{REGION}:{ACCOUNT}:/domainnames/{NAME}+abcd1234ef",
    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/x/1"])
def test_ownership_certificate_used_by_this_domain_or_no_domain_is_fine(user):
    facts = healthy(ownership_verification_certificate_arn=OWN_ARN,
                    certificates={CERT_ARN: acm(), OWN_ARN: acm(OWN_ARN, in_use_by=(user,))})
    assert run(facts) == []


def test_issuer_conflict_says_where_it_searched_and_how_to_look_further():
    f = one(run(FAULTS["DOMAIN_ISSUER_CONFLICT"]()), "DOMAIN_ISSUER_CONFLICT")
    assert f"searched ACM in this account and {REGION} only" in f.detail
    assert f.evidence["searched"] == {"account": ACCOUNT, "region": REGION}
    assert "aws acm list-certificates --includes" in commands(f)
    assert "--region '<other-region>'" in commands(f)
    assert any("other regions" in s for s in fix_of(f).steps)


# --- the UpdateDomainName quota ---------------------------------------------------------------------

def test_two_updates_wait_for_the_quota():
    f = one(run(healthy(mtls=None, truststore_object=None, security_policy="TLS_1_0")),
            "DOMAIN_MTLS_DISABLED")
    cmds = list(fix_of(f).commands)
    updates = [i for i, c in enumerate(cmds) if " update-domain-name " in c]
    assert len(updates) == 2
    [step] = [s for s in fix_of(f).steps if "1 request every 30 seconds per account" in s]
    assert "update the domain 2 times" in step and "wait 30 seconds" in step


def test_one_update_does_not_wait():
    f = one(run(healthy(mtls=None, truststore_object=None)), "DOMAIN_MTLS_DISABLED")
    assert not any("30 seconds" in s for s in fix_of(f).steps)


# --- HTTP API stages ----------------------------------------------------------------------------------

def test_execute_api_curl_of_a_default_stage_has_no_stage_path():
    facts = healthy(api_type="http", mappings=(
        Mapping(API_ID, "$default", "(none)", False, None, "http"),))
    cmds = commands(one(run(facts), "DOMAIN_EXECUTE_API_ENABLED"))
    endpoint = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com"
    assert f"{endpoint}/\n" in cmds + "\n" and "$default/" not in cmds


@pytest.mark.parametrize(("auto", "deploys"), [(True, False), (False, True), (None, True)])
def test_auto_deployed_stage_gets_no_create_deployment(auto, deploys):
    facts = healthy(api_type="http", mappings=(Mapping(API_ID, "prod", "v1", False, None, "http"),),
                    stages=(Stage(API_ID, "http", "prod", True, LOG_GROUP, GOOD_FORMAT, auto),))
    f = one(run(facts), "DOMAIN_EXECUTE_API_ENABLED")
    assert ("create-deployment" in commands(f)) == deploys
    assert f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/prod/" in commands(f)
    if auto:
        assert any("deploy automatically" in s for s in fix_of(f).steps)


# --- access logs --------------------------------------------------------------------------------------

GOOD_FORMAT = ('{"requestId":"$context.requestId","error":"$context.error.message",'
               '"cert":"$context.identity.clientCert.subjectDN"}')


@pytest.mark.parametrize("api_type", ["rest", "http"])
def test_the_recommended_format_writes_what_traffic_judges_from(api_type):
    """Following domain's (and fix's) access log advice must not lead to traffic's
    TRAFFIC_CERTS_NOT_JUDGED: the format writes every variable traffic needs."""
    from mtls_doctor.aws.findings_served import recommended_log_format
    from mtls_doctor.traffic.findings import NEEDED

    fmt = recommended_log_format(api_type)
    assert [var for var in NEEDED.values() if var not in fmt] == []


def test_access_log_missing_gives_the_exact_update_stage_command():
    f = one(run(FAULTS["DOMAIN_ACCESS_LOGS_MISSING"]()), "DOMAIN_ACCESS_LOGS_MISSING")
    fmt = f.evidence["recommended_format"]
    assert "$context.identity.clientCert.subjectDN" in fmt and "$context.error.message" in fmt
    json.loads(fmt)  # one JSON object per request
    group = f"/aws/apigateway/{API_ID}/prod/access"
    destination = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}"
    cmds = commands(f)
    assert f"aws logs create-log-group --log-group-name {group}" in cmds
    assert (f"aws apigateway update-stage --rest-api-id {API_ID} --stage-name prod "
            "--patch-operations " + as_json([
                {"op": "replace", "path": "/accessLogSettings/destinationArn",
                 "value": destination},
                {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])) in cmds
    assert "aws apigateway get-account" in cmds  # REST logs need the account's role
    assert f.evidence["stage"] == "prod" and "prod" in where(f)


def test_access_log_of_an_http_stage():
    facts = healthy(api_type="http", mappings=(Mapping(API_ID, "$default", "(none)", True, None,
                                                       "http"),),
                    stages=(Stage(API_ID, "http", "$default", True, None, None, True),))
    f = one(run(facts), "DOMAIN_ACCESS_LOGS_MISSING")
    assert "HTTP APIs have no execution logs" in f.detail
    cmds = commands(f)
    assert "/aws/apigateway/a1b2c3d4e5/_default/access" in cmds  # no `$` in a log group name
    assert f"aws apigatewayv2 update-stage --api-id {API_ID} --stage-name '$default'" in cmds
    assert "--access-log-settings" in cmds and "get-account" not in cmds


def test_incomplete_format_keeps_the_destination():
    f = one(run(FAULTS["DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE"]()),
            "DOMAIN_ACCESS_LOG_FORMAT_INCOMPLETE")
    assert f.evidence["missing"] == ["$context.identity.clientCert.", "$context.error.message"]
    assert "$context.identity.clientCert.*" in f.title
    assert LOG_GROUP in commands(f) and "create-log-group" not in commands(f)


def test_complete_format_and_unrouted_stages_are_fine():
    assert run(healthy(stages=(Stage(API_ID, "rest", "prod", True, LOG_GROUP, GOOD_FORMAT),))) == []
    # a stage nothing routes to, and one the API says does not exist, are not judged
    assert run(healthy(stages=(Stage(API_ID, "rest", "beta"),
                               Stage(API_ID, "rest", "prod", found=False)))) == []


# --- revocation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("authz", "expected"), [
    (Authorizers(API_ID, "rest", False, ("TOKEN: jwt-check",)), "TOKEN authorizer"),
    (Authorizers(API_ID, "rest", False, ()), "it has none"),
    (Authorizers(API_ID, "rest", True, ("REQUEST: revocation",)), None),
    (Authorizers(API_ID, "http", False, ("JWT", "NONE"), ("GET /orders",), 1), "no route"),
    (Authorizers(API_ID, "http", True, ("CUSTOM", "NONE"), ("GET /health",), 1),
     "1 route(s) without a Lambda authorizer (GET /health)"),
    (Authorizers(API_ID, "http", True, ("CUSTOM",), (), 0), None),
])
def test_revocation_not_checked(authz, expected):
    facts = healthy(authorizers=(authz,))
    found = [f for f in run(facts) if f.id == "DOMAIN_REVOCATION_NOT_CHECKED"]
    if expected is None:
        assert found == []
        return
    [f] = found
    assert f.severity.value == "info"
    assert expected in f.detail
    assert "never whether it was revoked" in f.detail
    cmds = commands(f)
    assert "create-authorizer" in cmds and "REQUEST" in cmds
    assert ("aws apigateway update-method" if authz.api_type == "rest"
            else "aws apigatewayv2 update-route") in cmds


def test_revocation_is_not_judged_without_mtls():
    facts = healthy(mtls=None, truststore_object=None,
                    authorizers=(Authorizers(API_ID, "rest", False, ()),))
    assert "DOMAIN_REVOCATION_NOT_CHECKED" not in ids(run(facts))


# --- S3 versions: delete markers, suspended versioning, encoded keys ---------------------------------

MARKER = "mRk3r.DeleteMarker.xYz"


def test_delete_marker_at_latest_is_unreadable_for_an_unpinned_domain():
    facts = healthy(mtls=Mtls(URI, None, ()),
                    truststore_object=ts(configured_version=None, latest_version=None,
                                         content=None, latest_delete_marker=MARKER),
                    failures=(AwsFailure("s3.GetObject", "s3:GetObject", "NoSuchKey",
                                         "The specified key does not exist.", "not_found"),))
    found = run(facts)
    assert ids(found) == ["DOMAIN_TRUSTSTORE_UNREADABLE"]  # not also "unpinned": nothing to read
    f = found[0]
    assert "delete marker" in f.detail and MARKER in f.detail
    cmds = commands(f)
    assert (f"aws s3api delete-object --bucket {BUCKET} --key {KEY} --version-id {MARKER}"
            in cmds)
    assert "truststoreVersion" not in cmds  # unpinned: the URI is applied again, nothing pinned
    assert patch("/mutualTlsAuthentication/truststoreUri", URI) in cmds


def test_delete_marker_under_a_pinned_version_is_no_finding():
    facts = healthy(truststore_object=ts(latest_version=None, latest_delete_marker=MARKER))
    assert run(facts) == []


def test_suspended_versioning_turns_versioning_on_before_a_pin():
    facts = healthy(truststore_object=TruststoreObject(
        BUCKET, KEY, "Suspended", V_NEW, V_OLD, NOW - timedelta(days=1), NOW - timedelta(days=40),
        b"pem"))
    found = run(facts)
    stale = one(found, "DOMAIN_TRUSTSTORE_STALE")
    cmds = list(fix_of(stale).commands)
    enable = (f"aws s3api put-bucket-versioning --bucket {BUCKET} "
              "--versioning-configuration Status=Enabled")
    pin = next(i for i, c in enumerate(cmds) if "truststoreVersion" in c)
    assert enable in cmds and cmds.index(enable) < pin
    assert any("can be set only while it is Enabled" in s for s in fix_of(stale).steps)
    assert patch("/mutualTlsAuthentication/truststoreUri", URI) in cmds[-1]  # the alternative
    assert not any("30 seconds" in s for s in fix_of(stale).steps)  # no second update, a choice
    off = one(found, "DOMAIN_TRUSTSTORE_VERSIONING_OFF")
    assert "truststoreVersion" not in commands(off)
    assert any("To keep it off" in s for s in fix_of(off).steps)


def test_enabled_versioning_pins_as_before():
    f = one(run(FAULTS["DOMAIN_TRUSTSTORE_STALE"]()), "DOMAIN_TRUSTSTORE_STALE")
    assert "put-bucket-versioning" not in commands(f)


@pytest.mark.parametrize(("uri", "key"), [
    (f"s3://{BUCKET}/prod/trust%20store.pem", "prod/trust store.pem"),
    (f"s3://{BUCKET}/prod/100%25.pem", "prod/100%.pem"),
    (f"s3://{BUCKET}/prod/caf%C3%A9.pem", "prod/café.pem"),
    (URI, KEY),
])
def test_percent_encoded_keys_are_decoded(uri, key):
    from mtls_doctor.aws.findings import s3_uri
    from mtls_doctor.aws.uris import split_s3_uri

    assert split_s3_uri(uri) == (BUCKET, key)
    assert s3_uri(BUCKET, key) == uri  # and written back the same way
