"""The AWS calls `fix` makes: the few reads its plans need (the bucket's encryption, a
truststore version's bytes, the account's CloudWatch Logs role, the domain's status while it
updates) and every write, each through `Aws.attempt` (bounded by the deadline; a failure is an
attempt, never a crash). Writes are sent once (no retry: an upload sent twice is two versions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from mtls_doctor.aws.calls import MAX_ATTEMPTS, Aws, require
from mtls_doctor.model.evidence import Attempt

#: the largest truststore object read (the contract's input limit)
MAX_BYTES = 16 * 1024 * 1024
_NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"
#: the IAM action of each write, where it is not `service:Operation`
_ACTIONS = {
    ("apigateway", "UpdateDomainName"): "apigateway:PATCH",
    ("apigateway", "UpdateRestApi"): "apigateway:PATCH",
    ("apigateway", "UpdateStage"): "apigateway:PATCH",
    ("apigateway", "CreateDeployment"): "apigateway:POST",
    ("apigatewayv2", "UpdateDomainName"): "apigateway:PATCH",
    ("apigatewayv2", "UpdateApi"): "apigateway:PATCH",
    ("apigatewayv2", "UpdateStage"): "apigateway:PATCH",
    ("apigatewayv2", "CreateDeployment"): "apigateway:POST",
    ("apigatewayv2", "DeleteAccessLogSettings"): "apigateway:DELETE",
    ("s3", "DeleteObject"): "s3:DeleteObjectVersion",
}


def action_of(service: str, operation: str) -> str:
    """The IAM action a call needs (`apigateway:PATCH`, `s3:PutObject`)."""
    if service in ("apigateway", "apigatewayv2") and operation.startswith("Get"):
        return "apigateway:GET"
    return _ACTIONS.get((service, operation), f"{service}:{operation}")


def perform(aws: Aws, service: str, region: str | None, operation: str, method: str,
            params: Mapping[str, Any], *, write: bool) -> tuple[dict[str, Any] | None, Attempt]:
    """One call with exactly `params`: (its answer, the attempt). A write is sent once."""
    def call(client: Any) -> dict[str, Any]:
        answer = getattr(client, method)(**params)
        answer = dict(answer) if isinstance(answer, Mapping) else {}
        answer.pop("ResponseMetadata", None)
        return answer

    return aws.attempt(service, region, operation, action_of(service, operation), call,
                       attempts=1 if write else MAX_ATTEMPTS)


@dataclass(frozen=True)
class Encryption:
    """The bucket's default encryption, as PutObject parameters (empty: S3's own default)."""

    params: Mapping[str, Any]
    text: str


def bucket_encryption(aws: Aws, region: str | None, bucket: str
                      ) -> tuple[Encryption | None, Attempt]:
    """GetBucketEncryption: the parameters an upload carries to be encrypted as the bucket
    says (SSE-S3, or SSE-KMS with its key and bucket key)."""
    def read(client: Any) -> Encryption:
        try:
            got = client.get_bucket_encryption(Bucket=bucket)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == _NO_ENCRYPTION:
                return Encryption({}, "no default encryption configured (S3 encrypts with "
                                  "SSE-S3)")
            raise
        rules = got.get("ServerSideEncryptionConfiguration", {}).get("Rules") or [{}]
        default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = default.get("SSEAlgorithm")
        params: dict[str, Any] = {}
        if algorithm:
            params["ServerSideEncryption"] = algorithm
        if default.get("KMSMasterKeyID"):
            params["SSEKMSKeyId"] = default["KMSMasterKeyID"]
        if rules[0].get("BucketKeyEnabled"):
            params["BucketKeyEnabled"] = True
        text = f"{algorithm or 'none'}" + (f" with key {default['KMSMasterKeyID']}"
                                            if default.get("KMSMasterKeyID") else "")
        return Encryption(params, text)

    return aws.attempt("s3", region, "GetBucketEncryption", "s3:GetEncryptionConfiguration",
                       read)


def read_version(aws: Aws, region: str | None, bucket: str, key: str, version: str
                 ) -> tuple[bytes | None, Attempt]:
    """GetObject of one version: its bytes (at most `MAX_BYTES`)."""
    def read(client: Any) -> bytes:
        got = require(client.get_object(Bucket=bucket, Key=key, VersionId=version), "Body")
        data: bytes = got["Body"].read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValueError(f"the object is over {MAX_BYTES} bytes")
        return data

    return aws.attempt("s3", region, "GetObject", "s3:GetObjectVersion", read)


def version_exists(aws: Aws, region: str | None, bucket: str, key: str, version: str
                   ) -> Attempt:
    """HeadObject of one version: whether S3 serves it yet."""
    return aws.attempt("s3", region, "HeadObject", "s3:GetObjectVersion",
                       lambda c: c.head_object(Bucket=bucket, Key=key, VersionId=version))[1]


def cloudwatch_role(aws: Aws, region: str | None) -> tuple[str | None, Attempt]:
    """GetAccount: the role API Gateway writes REST APIs' logs with ("" when none is set)."""
    got, attempt = aws.attempt("apigateway", region, "GetAccount", "apigateway:GET",
                               lambda c: c.get_account())
    return (str(got.get("cloudwatchRoleArn") or "") if got is not None else None), attempt


@dataclass(frozen=True)
class DomainState:
    """What GetDomainName says while an update settles."""

    status: str | None
    truststore_version: str | None
    warnings: tuple[str, ...]


def domain_state(aws: Aws, region: str | None, api_type: str, name: str,
                 domain_name_id: str | None = None) -> tuple[DomainState | None, Attempt]:
    """The domain's status, truststore version and truststore warnings."""
    if api_type == "rest":
        extra = {"domainNameId": domain_name_id} if domain_name_id else {}

        def rest(c: Any) -> DomainState:
            d = require(c.get_domain_name(domainName=name, **extra), "domainName")
            m = d.get("mutualTlsAuthentication") or {}
            return DomainState(d.get("domainNameStatus"), m.get("truststoreVersion"),
                               tuple(m.get("truststoreWarnings") or ()))

        return aws.attempt("apigateway", region, "GetDomainName", "apigateway:GET", rest)

    def http(c: Any) -> DomainState:
        d = require(c.get_domain_name(DomainName=name), "DomainName")
        m = d.get("MutualTlsAuthentication") or {}
        config = (d.get("DomainNameConfigurations") or [{}])[0]
        return DomainState(config.get("DomainNameStatus"), m.get("TruststoreVersion"),
                           tuple(m.get("TruststoreWarnings") or ()))

    return aws.attempt("apigatewayv2", region, "GetDomainName", "apigateway:GET", http)
