"""What the `iac` tests against the live domain share (tests/test_iac.py, tests/test_iac_report.py):
the CloudFormation template of an HTTP API custom domain with mutual TLS, and a live domain in
moto whose pinned truststore version is not S3's latest (the fixtures of tests/test_domain.py)."""

from __future__ import annotations

from pathlib import Path

from tests import test_domain
from tests.test_domain import NAME, REGION, Moto

#: a certificate ARN the template names (not in ACM: how it was issued is not known)
TEMPLATE_CERT = f"arn:aws:acm:{REGION}:123456789012:certificate/x"
#: the ownership verification certificate the drift template names
OWNERSHIP_CERT = f"arn:aws:acm:{REGION}:123456789012:certificate/o"


def http_template(path: Path, *, cert_arn: str = TEMPLATE_CERT,
                  ownership: str | None = OWNERSHIP_CERT, version: str | None = None) -> str:
    """Write to `path` the template of the HTTP API custom domain NAME (regional, TLS_1_2,
    truststore test_domain.URI) with `cert_arn`, the ownership verification certificate and
    the pinned truststore version when given; the path, as text."""
    owner = f"\n          OwnershipVerificationCertificateArn: {ownership}" if ownership else ""
    pinned = f"\n        TruststoreVersion: {version}" if version is not None else ""
    path.write_text(f"""\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Domain:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: {NAME}
      DomainNameConfigurations:
        - CertificateArn: {cert_arn}
          EndpointType: REGIONAL
          SecurityPolicy: TLS_1_2{owner}
      MutualTlsAuthentication:
        TruststoreUri: {test_domain.URI}{pinned}
""")
    return str(path)


def drift_template(tmp_path: Path, version: str) -> str:
    """The HTTP domain's template (http.yaml under `tmp_path`) pinned to `version`, with an
    ownership verification certificate."""
    return http_template(tmp_path / "http.yaml", version=version)


def behind_latest(aws: Moto) -> tuple[str, str]:
    """A live HTTP domain (an ACM-issued certificate) pinned to the first of two truststore
    versions: (its version, S3's latest)."""
    cert = aws.request_cert()
    aws.bucket()
    first = aws.put(b"first bundle")
    latest = aws.put(b"second bundle")
    assert first and latest
    aws.http_domain(cert, version=first)
    return first, latest
