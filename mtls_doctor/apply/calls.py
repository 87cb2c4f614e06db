"""The AWS calls of the plans, with their exact parameters, for REST (apigateway) and HTTP /
WebSocket (apigatewayv2) domains and APIs. Builders only: nothing here calls AWS."""

from __future__ import annotations

from typing import Any

from mtls_doctor.apply.plan import NEW_VERSION, Call
from mtls_doctor.model.domain import DomainFacts

_PIN = "/mutualTlsAuthentication/truststoreVersion"


def is_rest(facts: DomainFacts) -> bool:
    """Whether the REST API (apigateway) describes the domain."""
    return facts.api_type not in ("http", "websocket")


def pin(facts: DomainFacts, version: str | None, why: str,
        undo: tuple[Call, ...] = ()) -> Call:
    """UpdateDomainName: the domain's truststore set to `version` (None: no version named, which
    only apigatewayv2 can say; API Gateway then reads the latest)."""
    mtls = facts.mtls
    uri = mtls.truststore_uri if mtls else ""
    if is_rest(facts):
        params: dict[str, Any] = {"domainName": facts.name}
        if facts.domain_name_id:
            params["domainNameId"] = facts.domain_name_id
        params["patchOperations"] = [{"op": "replace", "path": _PIN, "value": version or ""}]
        return Call("apigateway", "UpdateDomainName", facts.region, params, why, undo=undo)
    config: dict[str, Any] = {"CertificateArn": facts.certificate_arn or "",
                              "EndpointType": facts.endpoint_type or "REGIONAL",
                              "SecurityPolicy": facts.security_policy or "TLS_1_2"}
    if facts.ownership_verification_certificate_arn:
        config["OwnershipVerificationCertificateArn"] = \
            facts.ownership_verification_certificate_arn
    tls: dict[str, Any] = {"TruststoreUri": uri}
    if version:
        tls["TruststoreVersion"] = version
    return Call("apigatewayv2", "UpdateDomainName", facts.region,
                {"DomainName": facts.name, "DomainNameConfigurations": [config],
                 "MutualTlsAuthentication": tls}, why, undo=undo)


def upload(region: str | None, bucket: str, key: str, body: bytes, digest: str,
           encryption: dict[str, Any], why: str) -> Call:
    """PutObject of the new bundle, encrypted as the bucket says; undone by deleting the very
    version it made."""
    params = {"Bucket": bucket, "Key": key,
              "Body": f"<the corrected bundle: {len(body)} bytes, sha256 {digest}>",
              "ContentType": "application/x-pem-file", **encryption}
    undo = Call("s3", "DeleteObject", region,
                {"Bucket": bucket, "Key": key, "VersionId": NEW_VERSION},
                "delete the version this fix uploaded")
    return Call("s3", "PutObject", region, params, why, body=body, undo=(undo,))


def deploy(rest: bool, api_id: str, stage: str, region: str | None, why: str) -> Call:
    """CreateDeployment of one stage."""
    if rest:
        return Call("apigateway", "CreateDeployment", region,
                    {"restApiId": api_id, "stageName": stage}, why)
    return Call("apigatewayv2", "CreateDeployment", region,
                {"ApiId": api_id, "StageName": stage}, why)


def execute_api(rest: bool, api_id: str, disabled: bool, region: str | None, why: str,
                undo: tuple[Call, ...] = ()) -> Call:
    """The API's default execute-api endpoint turned off (`disabled`) or on."""
    if rest:
        return Call("apigateway", "UpdateRestApi", region,
                    {"restApiId": api_id, "patchOperations": [
                        {"op": "replace", "path": "/disableExecuteApiEndpoint",
                         "value": "True" if disabled else "False"}]}, why, undo=undo)
    return Call("apigatewayv2", "UpdateApi", region,
                {"ApiId": api_id, "DisableExecuteApiEndpoint": disabled}, why, undo=undo)


def access_log(rest: bool, api_id: str, stage: str, destination: str | None,
               log_format: str | None, region: str | None, why: str,
               undo: tuple[Call, ...] = ()) -> Call:
    """UpdateStage: the stage's access log settings set (`destination` None: removed)."""
    if rest:
        if destination is None:
            ops = [{"op": "remove", "path": "/accessLogSettings"}]
        else:
            ops = [{"op": "replace", "path": "/accessLogSettings/destinationArn",
                    "value": destination},
                   {"op": "replace", "path": "/accessLogSettings/format",
                    "value": log_format or ""}]
        return Call("apigateway", "UpdateStage", region,
                    {"restApiId": api_id, "stageName": stage, "patchOperations": ops}, why,
                    undo=undo)
    if destination is None:
        return Call("apigatewayv2", "DeleteAccessLogSettings", region,
                    {"ApiId": api_id, "StageName": stage}, why, undo=undo)
    return Call("apigatewayv2", "UpdateStage", region,
                {"ApiId": api_id, "StageName": stage,
                 "AccessLogSettings": {"DestinationArn": destination,
                                       "Format": log_format or ""}}, why, undo=undo)


def log_group(name: str, region: str | None, why: str) -> Call:
    """CreateLogGroup (left in place by a rollback: it may hold logs by then)."""
    return Call("logs", "CreateLogGroup", region, {"logGroupName": name}, why)
