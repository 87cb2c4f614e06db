"""`aws` (AWS CLI v2) commands: API Gateway (REST `apigateway` and HTTP `apigatewayv2`), ACM,
S3, Route 53, STS, IAM. Every builder returns a `Command`; structured parameters (patch
operations, domain name configurations, mutual TLS settings, change batches) are one JSON
argument made with `json.dumps`, so that a value holding `,` or `=` cannot change their meaning
the way it would in the CLI's shorthand syntax.

`Domain` is the custom domain as these commands address it; `set_truststore_version` is the one
way to point a domain (REST or HTTP) at a truststore object version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mtls_doctor.shell.core import Arg, Command, path

#: the version id S3 gives a new upload, until the user reads it (`put_object` prints it)
NEW_VERSION = "<new-version-id>"


def opt(flag: str, value: str | None) -> tuple[str, ...]:
    """`--flag value`; nothing for None; `--flag=value` when the value starts with `-`, which
    the CLI's parser would otherwise take for an option."""
    if value is None:
        return ()
    return (f"{flag}={value}",) if value.startswith("-") else (flag, value)


def to_json(value: Any) -> str:
    """A structured parameter as one compact JSON argument (ASCII: `\\u` escapes)."""
    return json.dumps(value, separators=(",", ":"))


def aws(service: str, operation: str, *args: Arg, region: str | None = None,
        query: str | None = None, output: str | None = None) -> Command:
    """`aws SERVICE OPERATION ARGS [--query Q] [--output O] [--region R]`."""
    return Command(("aws", service, operation, *args, *opt("--query", query),
                    *opt("--output", output), *opt("--region", region)))


def arn_region(arn: str | None) -> str | None:
    """`arn:aws:acm:us-east-1:123:certificate/x` -> `us-east-1`."""
    parts = (arn or "").split(":")
    if len(parts) > 5 and parts[0] == "arn" and parts[3]:
        return parts[3]
    return None


def s3_uri(bucket: str, key: str) -> str:
    """`s3://bucket/key`."""
    return f"s3://{bucket}/{key}"


# --- API Gateway custom domains -------------------------------------------------------------------

@dataclass(frozen=True)
class Domain:
    """A custom domain name as commands address it: its name and region, which API describes it
    (`rest`: apigateway; `http`/`websocket`: apigatewayv2), and, for apigatewayv2 updates (which
    send the whole configuration), its certificate and ownership verification certificate."""

    name: str
    region: str | None = None
    api_type: str | None = "rest"
    certificate_arn: str | None = None
    ownership_arn: str | None = None

    @property
    def rest(self) -> bool:
        """True for a REST API domain (apigateway)."""
        return self.api_type not in ("http", "websocket")

    @property
    def service(self) -> str:
        """`apigateway` or `apigatewayv2`."""
        return "apigateway" if self.rest else "apigatewayv2"


def get_domain_name(d: Domain, query: str | None = None) -> Command:
    """Describe the domain (optionally just `query` of it)."""
    return aws(d.service, "get-domain-name", *opt("--domain-name", d.name), query=query,
               region=d.region)


def status_query(d: Domain) -> Command:
    """The domain's status, for waiting on an update."""
    return get_domain_name(d, "domainNameStatus" if d.rest
                           else "DomainNameConfigurations[0].DomainNameStatus")


def mtls_query(d: Domain, field: str | None = None) -> Command:
    """The domain's mutual TLS settings (or one field: `truststoreWarnings`, ...)."""
    base = "mutualTlsAuthentication" if d.rest else "MutualTlsAuthentication"
    if field:
        field = field if d.rest else field[:1].upper() + field[1:]
        return get_domain_name(d, f"{base}.{field}")
    return get_domain_name(d, base)


def patch_op(op: str, path: str, value: str | None = None) -> dict[str, str]:
    """One JSON Patch operation for `--patch-operations`."""
    out = {"op": op, "path": path}
    if value is not None:
        out["value"] = value
    return out


def update_domain_patch(d: Domain, *ops: Mapping[str, str]) -> Command:
    """`aws apigateway update-domain-name --patch-operations JSON` (REST API domains)."""
    return aws("apigateway", "update-domain-name", *opt("--domain-name", d.name),
               "--patch-operations", to_json(list(ops)), region=d.region)


def update_domain_http(d: Domain, *, certificate: str | None = None,
                       security_policy: str = "TLS_1_2", ownership: str | None = None,
                       mtls: Mapping[str, str] | None = None) -> Command:
    """`aws apigatewayv2 update-domain-name`: the whole configuration goes in each time (the
    certificate, REGIONAL, the security policy, the ownership certificate), plus `mtls`."""
    config = {"CertificateArn": certificate or d.certificate_arn or "<certificate-arn>",
              "EndpointType": "REGIONAL", "SecurityPolicy": security_policy}
    owner = ownership or d.ownership_arn
    if owner:
        config["OwnershipVerificationCertificateArn"] = owner
    args: list[str] = [*opt("--domain-name", d.name), "--domain-name-configurations",
                       to_json([config])]
    if mtls is not None:
        args += ["--mutual-tls-authentication", to_json(dict(mtls))]
    return aws("apigatewayv2", "update-domain-name", *args, region=d.region)


def set_truststore_version(d: Domain, bucket: str, key: str, version: str) -> Command:
    """Point the domain at one version of its truststore object (`NEW_VERSION` after an
    upload): the one builder for REST and HTTP API domains."""
    if d.rest:
        return update_domain_patch(
            d, patch_op("replace", "/mutualTlsAuthentication/truststoreVersion", version))
    return update_domain_http(d, mtls={"TruststoreUri": s3_uri(bucket, key),
                                       "TruststoreVersion": version})


def set_truststore_uri(d: Domain, uri: str) -> Command:
    """Turn mutual TLS on with the truststore at `uri`."""
    if d.rest:
        return update_domain_patch(d, patch_op("replace", "/mutualTlsAuthentication/truststoreUri",
                                               uri))
    return update_domain_http(d, mtls={"TruststoreUri": uri})


def set_security_policy(d: Domain, policy: str = "TLS_1_2") -> Command:
    """Switch the domain to a security policy (mutual TLS needs TLS_1_2)."""
    if d.rest:
        return update_domain_patch(d, patch_op("replace", "/securityPolicy", policy))
    return update_domain_http(d, security_policy=policy)


def set_ownership(d: Domain, arn: str) -> Command:
    """Set ownershipVerificationCertificateArn."""
    if d.rest:
        return update_domain_patch(d, patch_op("replace", "/ownershipVerificationCertificateArn",
                                               arn))
    return update_domain_http(d, ownership=arn)


def set_certificate(d: Domain, arn: str) -> Command:
    """Serve another (regional) certificate."""
    if d.rest:
        return update_domain_patch(d, patch_op("replace", "/regionalCertificateArn", arn))
    return update_domain_http(d, certificate=arn)


def create_regional_domain(d: Domain, certificate_arn: str, truststore_uri: str) -> Command:
    """A new REGIONAL, TLS_1_2 REST API domain with mutual TLS."""
    return aws("apigateway", "create-domain-name", *opt("--domain-name", d.name),
               *opt("--regional-certificate-arn", certificate_arn),
               "--endpoint-configuration", "types=REGIONAL",
               "--security-policy", "TLS_1_2",
               "--mutual-tls-authentication", to_json({"truststoreUri": truststore_uri}),
               region=d.region)


def get_domain_names(rest: bool, region: str | None) -> Command:
    """The names of every custom domain of the region, in one API."""
    if rest:
        return Command(("aws", "apigateway", "get-domain-names", *opt("--region", region),
                        "--query", "items[].domainName"))
    return Command(("aws", "apigatewayv2", "get-domain-names", *opt("--region", region),
                    "--query", "Items[].DomainName"))


def get_base_path_mappings(d: Domain) -> Command:
    """The domain's base path mappings (REST) or API mappings (HTTP)."""
    if d.rest:
        return aws("apigateway", "get-base-path-mappings", *opt("--domain-name", d.name),
                   region=d.region)
    return aws("apigatewayv2", "get-api-mappings", *opt("--domain-name", d.name), region=d.region)


def create_mapping(d: Domain, api_id: str, stage: str) -> Command:
    """Map an API's stage on the domain (base path mapping / API mapping)."""
    if d.rest:
        return aws("apigateway", "create-base-path-mapping", *opt("--domain-name", d.name),
                   *opt("--rest-api-id", api_id), *opt("--stage", stage), region=d.region)
    return aws("apigatewayv2", "create-api-mapping", *opt("--domain-name", d.name),
               *opt("--api-id", api_id), *opt("--stage", stage), region=d.region)


def disable_execute_api(rest: bool, api_id: str, region: str | None) -> Command:
    """Turn off the API's default execute-api endpoint."""
    if rest:
        return aws("apigateway", "update-rest-api", *opt("--rest-api-id", api_id),
                   "--patch-operations",
                   to_json([patch_op("replace", "/disableExecuteApiEndpoint", "True")]),
                   region=region)
    return aws("apigatewayv2", "update-api", *opt("--api-id", api_id),
               "--disable-execute-api-endpoint", region=region)


def create_deployment(rest: bool, api_id: str, stage: str, region: str | None) -> Command:
    """Deploy the API to a stage (a REST API's settings take effect only then)."""
    api = "--rest-api-id" if rest else "--api-id"
    return aws("apigateway" if rest else "apigatewayv2", "create-deployment", *opt(api, api_id),
               *opt("--stage-name", stage), region=region)


# --- ACM --------------------------------------------------------------------------------------------

def acm(operation: str, arn: str, *args: str, region: str | None = None,
        query: str | None = None) -> Command:
    """An ACM call on one certificate, in the region of its ARN (else `region`)."""
    return aws("acm", operation, *opt("--certificate-arn", arn), *args, query=query,
               region=arn_region(arn) or region)


def describe_certificate(arn: str, region: str | None = None, query: str | None = None) -> Command:
    """What ACM says about a certificate."""
    return acm("describe-certificate", arn, region=region, query=query)


def import_certificate(arn: str, region: str | None = None) -> Command:
    """Re-import a certificate under the same ARN (the files are the user's to name)."""
    return acm("import-certificate", arn, "--certificate", "fileb://certificate.pem",
               "--private-key", "fileb://private-key.pem", "--certificate-chain",
               "fileb://chain.pem", region=region)


def request_certificate(name: str, region: str | None) -> Command:
    """A public ACM certificate for the name, validated through DNS."""
    return aws("acm", "request-certificate", *opt("--domain-name", name),
               "--validation-method", "DNS", region=region)


def list_certificates(region: str | None, query: str) -> Command:
    """The region's ACM certificates."""
    return aws("acm", "list-certificates", query=query, region=region)


# --- S3 ---------------------------------------------------------------------------------------------

def get_object(bucket: str, key: str, version: str | None, dest: str,
               region: str | None = None) -> Command:
    """Download one version of an object to `dest`."""
    return aws("s3api", "get-object", *opt("--bucket", bucket), *opt("--key", key),
               *opt("--version-id", version), path(dest), region=region)


def put_object(bucket: str, key: str, body: str, region: str | None = None) -> Command:
    """Upload `body` as a new version of the object; prints the new version id."""
    return aws("s3api", "put-object", *opt("--bucket", bucket), *opt("--key", key),
               *opt("--body", body), query="VersionId", output="text", region=region)


def head_object(bucket: str, key: str, version: str | None = None) -> Command:
    """Whether the object (version) exists."""
    return aws("s3api", "head-object", *opt("--bucket", bucket), *opt("--key", key),
               *opt("--version-id", version))


def list_object_versions(bucket: str, key: str, query: str) -> Command:
    """The versions of the object."""
    return aws("s3api", "list-object-versions", *opt("--bucket", bucket), *opt("--prefix", key),
               query=query)


def put_bucket_versioning(bucket: str) -> Command:
    """Turn versioning on."""
    return aws("s3api", "put-bucket-versioning", *opt("--bucket", bucket),
               "--versioning-configuration", "Status=Enabled")


def get_bucket_versioning(bucket: str) -> Command:
    """The bucket's versioning state."""
    return aws("s3api", "get-bucket-versioning", *opt("--bucket", bucket))


def get_bucket_policy(bucket: str) -> Command:
    """The bucket's policy."""
    return aws("s3api", "get-bucket-policy", *opt("--bucket", bucket), query="Policy",
               output="text")


# --- Route 53, STS, IAM, account ----------------------------------------------------------------

def list_hosted_zones_by_name(name: str) -> Command:
    """The hosted zone that holds `name` (the first at or after it)."""
    return aws("route53", "list-hosted-zones-by-name", *opt("--dns-name", name),
               "--max-items", "1")


def change_record_sets(zone: str, batch: Mapping[str, Any]) -> Command:
    """Apply a change batch to a hosted zone."""
    return aws("route53", "change-resource-record-sets", *opt("--hosted-zone-id", zone),
               "--change-batch", to_json(batch))


def caller_identity() -> Command:
    """Which account and identity the credentials are."""
    return aws("sts", "get-caller-identity")


def configure_sso() -> Command:
    """Set up an SSO profile."""
    return Command(("aws", "configure", "sso"))


def simulate_principal_policy(principal: str, action: str) -> Command:
    """Whether the principal may perform `action`."""
    return aws("iam", "simulate-principal-policy", *opt("--policy-source-arn", principal),
               *opt("--action-names", action))


def enabled_regions() -> Command:
    """The regions enabled for the account."""
    return aws("account", "list-regions", "--region-opt-status-contains", "ENABLED",
               "ENABLED_BY_DEFAULT")
