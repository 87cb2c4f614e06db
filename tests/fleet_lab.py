"""A fleet on moto's server mode for `scan`: accounts reached through roles (moto keeps one
backend per account, the account id taken from the role ARN that was assumed), custom domains in
mixed states across regions, and the proxy of tests/aws_faults.py in front, which can refuse
sts:AssumeRole for one account and add latency to every call (`SlowProxy`). Set-up calls go
straight to moto; the code under test talks to the proxy."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from tests.aws_faults import Answer, FaultProxy, Rule, Seen
from tests.pki_factory import PKI, Issued, pem_bundle

REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
GOOD, OTHER, LOCKED = "111111111111", "222222222222", "333333333333"
ROLE = "mtls-scan"
#: every kind of domain the lab makes, in the order they are dealt out
KINDS = ("pinned", "stale", "unpinned", "off", "policy", "rest", "failed", "expiring")


def role_arn(account: str) -> str:
    """The scan role of an account."""
    return f"arn:aws:iam::{account}:role/{ROLE}"


class SlowProxy(FaultProxy):
    """The fault proxy, answering every request `delay` seconds late (a real endpoint's
    latency): the request is held after it is logged, before it is forwarded or answered."""

    delay: float = 0.0

    def _record(self, seen: Seen) -> None:
        super()._record(seen)
        if self.delay:
            time.sleep(self.delay)


def deny_assume_role(proxy: FaultProxy, account: str) -> Rule:
    """STS refuses to let the caller assume the scan role of `account` (what AWS answers when
    the role's trust policy does not name the caller), in STS's own XML."""
    arn = role_arn(account)
    body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            "<Type>Sender</Type><Code>AccessDenied</Code><Message>User: "
            "arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on "
            f"resource: {arn}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
            "</ErrorResponse>").encode()
    rule = Rule("sts", "AssumeRole", "recorded", None, None, None, 0,
                Answer(403, (("Content-Type", "text/xml"),), body), None, account)
    with proxy._lock:
        proxy._rules.append(rule)
    return rule


@dataclass
class Placed:
    """One domain the lab made."""

    account: str
    region: str
    name: str
    kind: str


@dataclass
class FleetLab:
    """Clients on moto itself per account (through an assumed role, as moto isolates accounts)
    and the domains made so far."""

    endpoint: str
    pki: PKI = field(default_factory=lambda: PKI(datetime.now(UTC), key_offset=900))
    placed: list[Placed] = field(default_factory=list)
    _creds: dict[str, dict[str, str]] = field(default_factory=dict)
    _bundles: dict[str, bytes] = field(default_factory=dict)

    def client(self, account: str, service: str, region: str) -> Any:
        if account not in self._creds:
            sts = boto3.client("sts", region_name="us-east-1", endpoint_url=self.endpoint,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            c = sts.assume_role(RoleArn=role_arn(account), RoleSessionName="lab-setup")
            self._creds[account] = {"aws_access_key_id": c["Credentials"]["AccessKeyId"],
                                    "aws_secret_access_key": c["Credentials"]["SecretAccessKey"],
                                    "aws_session_token": c["Credentials"]["SessionToken"]}
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint,
                            **self._creds[account])

    def bundle(self, kind: str) -> bytes:
        """A truststore: a root and an issuing CA (the root expires in 40 days for `expiring`)."""
        if kind not in self._bundles:
            days = 40 if kind == "expiring" else 3650
            root: Issued = self.pki.root(f"Fleet {kind} Root", key="p256", days_valid=days)
            ca = self.pki.intermediate(root, f"Fleet {kind} Issuing CA", key="p256")
            self._bundles[kind] = pem_bundle([root, ca])
        return self._bundles[kind]

    def bucket(self, account: str, region: str) -> str:
        name = f"ts-{account}-{region}"
        s3 = self.client(account, "s3", region)
        extra = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **extra)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def domain(self, account: str, region: str, name: str, kind: str, bucket: str) -> Placed:
        """One custom domain of `kind` (see KINDS)."""
        acm = self.client(account, "acm", region)
        cert = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
        if kind == "rest":
            gw = self.client(account, "apigateway", region)
            gw.create_domain_name(
                domainName=name, regionalCertificateArn=cert, securityPolicy="TLS_1_2",
                endpointConfiguration={"types": ["REGIONAL"]})
            # moto 5 answers GetBasePathMappings with a 500 for a REST domain that never had a
            # mapping (AWS answers an empty list), which botocore retries with back-off: a
            # mapping made and deleted again leaves the empty list AWS gives
            api = gw.create_rest_api(name=f"gone-{name}")["id"]
            gw.create_base_path_mapping(domainName=name, restApiId=api, basePath="gone")
            gw.delete_base_path_mapping(domainName=name, basePath="gone")
        else:
            s3 = self.client(account, "s3", region)
            key = f"{name}/truststore.pem"
            first = s3.put_object(Bucket=bucket, Key=key, Body=self.bundle(kind))["VersionId"]
            if kind == "stale":
                s3.put_object(Bucket=bucket, Key=key, Body=self.bundle(kind) + b"\n")
            config = {"CertificateArn": cert, "EndpointType": "REGIONAL",
                      "SecurityPolicy": "TLS_1_0" if kind == "policy" else "TLS_1_2",
                      "DomainNameStatus": "FAILED" if kind == "failed" else "AVAILABLE",
                      "ApiGatewayDomainName": f"d-{uuid.uuid4().hex[:10]}.execute-api.{region}"
                                              ".amazonaws.com",
                      "HostedZoneId": "Z1UJRXOUMOOFQ8"}
            extra: dict[str, Any] = {}
            if kind != "off":
                mtls = {"TruststoreUri": f"s3://{bucket}/{key}"}
                if kind != "unpinned":
                    mtls["TruststoreVersion"] = first
                extra["MutualTlsAuthentication"] = mtls
            self.client(account, "apigatewayv2", region).create_domain_name(
                DomainName=name, DomainNameConfigurations=[config], **extra)
        placed = Placed(account, region, name, kind)
        self.placed.append(placed)
        return placed

    def fleet(self, count: int, accounts: tuple[str, ...], regions: tuple[str, ...],
              prefix: str = "api") -> list[Placed]:
        """`count` domains dealt over the accounts and regions, kinds in turn."""
        spots = [(a, r) for a in accounts for r in regions]
        buckets = {spot: self.bucket(*spot) for spot in spots}
        out = []
        for i in range(count):
            account, region = spots[i % len(spots)]
            out.append(self.domain(account, region, f"{prefix}{i:02d}.{region}.fleet.test",
                                   KINDS[i % len(KINDS)], buckets[(account, region)]))
        return out


