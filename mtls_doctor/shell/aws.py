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
from typing import Any
from urllib.parse import quote

from mtls_doctor.model.frozen import frozen
from mtls_doctor.shell.core import Arg, Command, path

#: the version id S3 gives a new upload, until the user reads it (`put_object` prints it)
NEW_VERSION = "<new-version-id>"
#: seconds between two UpdateDomainName requests of one account: API Gateway allows 1 request
#: every 30 seconds per account ("Amazon API Gateway quotas"); a sequence of updates, and any
#: future `apply`, waits this long between them
UPDATE_DOMAIN_NAME_INTERVAL = 30


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


#: the characters a URI path carries as themselves (RFC 3986 `pchar` and `/`)
_URI_SAFE = "/!$&'()*+,;=:@-._~"


def s3_uri(bucket: str, key: str) -> str:
    """`s3://bucket/key`, the key's other characters (space, `%`, `?`, `#`, non-ASCII)
    percent-encoded, so that the URI names exactly that key."""
    return f"s3://{bucket}/{quote(key, safe=_URI_SAFE)}"


# --- API Gateway custom domains -------------------------------------------------------------------

@frozen
class Domain:
    """A custom domain name as commands address it: its name and region, which API describes it
    (`rest`: apigateway; `http`/`websocket`: apigatewayv2), for apigatewayv2 updates (which
    send the whole configuration) its certificate and ownership verification certificate, and a
    private domain's id."""

    name: str
    region: str | None = None
    api_type: str | None = "rest"
    certificate_arn: str | None = None
    ownership_arn: str | None = None
    #: a private custom domain's id: every apigateway call on it needs `--domain-name-id`
    domain_name_id: str | None = None

    @property
    def rest(self) -> bool:
        """True for a REST API domain (apigateway)."""
        return self.api_type not in ("http", "websocket")

    @property
    def service(self) -> str:
        """`apigateway` or `apigatewayv2`."""
        return "apigateway" if self.rest else "apigatewayv2"

    @property
    def private(self) -> tuple[str, ...]:
        """`--domain-name-id ID` for a private domain (apigateway only), else nothing."""
        return opt("--domain-name-id", self.domain_name_id) if self.rest else ()


def get_domain_name(d: Domain, query: str | None = None) -> Command:
    """Describe the domain (optionally just `query` of it)."""
    return aws(d.service, "get-domain-name", *opt("--domain-name", d.name), *d.private,
               query=query, region=d.region)


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
    return aws("apigateway", "update-domain-name", *opt("--domain-name", d.name), *d.private,
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


def updates_domain(line: str) -> bool:
    """Whether a rendered command line is an `update-domain-name` (either API)."""
    words = line.split()
    return len(words) > 2 and words[0] == "aws" and words[2] == "update-domain-name"


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


def get_domain_names(rest: bool, region: str | None, *, private: bool = False) -> Command:
    """The names of every custom domain of the region, in one API (`private`: the REST API's
    listing with each private domain's id, which its other commands need)."""
    if private:
        return Command(("aws", "apigateway", "get-domain-names", "--resource-owner", "SELF",
                        *opt("--region", region), "--query",
                        "items[?domainNameId].[domainName,domainNameId]"))
    if rest:
        return Command(("aws", "apigateway", "get-domain-names", *opt("--region", region),
                        "--query", "items[].domainName"))
    return Command(("aws", "apigatewayv2", "get-domain-names", *opt("--region", region),
                    "--query", "Items[].DomainName"))


def get_base_path_mappings(d: Domain) -> Command:
    """The domain's base path mappings (REST) or API mappings (HTTP)."""
    if d.rest:
        return aws("apigateway", "get-base-path-mappings", *opt("--domain-name", d.name),
                   *d.private, region=d.region)
    return aws("apigatewayv2", "get-api-mappings", *opt("--domain-name", d.name), region=d.region)


def create_mapping(d: Domain, api_id: str, stage: str) -> Command:
    """Map an API's stage on the domain (base path mapping / API mapping)."""
    if d.rest:
        return aws("apigateway", "create-base-path-mapping", *opt("--domain-name", d.name),
                   *d.private, *opt("--rest-api-id", api_id), *opt("--stage", stage),
                   region=d.region)
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


def list_routing_rules(d: Domain, query: str | None = None) -> Command:
    """The domain's routing rules (apigatewayv2 manages them for every domain)."""
    return aws("apigatewayv2", "list-routing-rules", *opt("--domain-name", d.name),
               *opt("--domain-name-id", d.domain_name_id), query=query, region=d.region)


def create_routing_rule(d: Domain, api_id: str, stage: str, base_path: str,
                        priority: int = 100) -> Command:
    """A routing rule that sends requests whose first path segment is `base_path` to a REST
    API's stage."""
    return aws("apigatewayv2", "create-routing-rule", *opt("--domain-name", d.name),
               *opt("--domain-name-id", d.domain_name_id), "--priority", str(priority),
               "--conditions", to_json([{"MatchBasePaths": {"AnyOf": [base_path]}}]),
               "--actions", to_json([{"InvokeApi": {"ApiId": api_id, "Stage": stage}}]),
               region=d.region)


def set_routing_mode(d: Domain, mode: str) -> Command:
    """Switch the domain's routing mode (apigatewayv2's names: API_MAPPING_ONLY, ...)."""
    return aws("apigatewayv2", "update-domain-name", *opt("--domain-name", d.name),
               *opt("--routing-mode", mode), region=d.region)


# --- API stages, authorizers, routes -------------------------------------------------------------

def get_stage(rest: bool, api_id: str, stage: str, region: str | None,
              query: str | None = None) -> Command:
    """One stage of an API (access logging, auto-deploy)."""
    if rest:
        return aws("apigateway", "get-stage", *opt("--rest-api-id", api_id),
                   *opt("--stage-name", stage), query=query, region=region)
    return aws("apigatewayv2", "get-stage", *opt("--api-id", api_id),
               *opt("--stage-name", stage), query=query, region=region)


def set_access_log(rest: bool, api_id: str, stage: str, destination: str, log_format: str,
                   region: str | None) -> Command:
    """Turn on a stage's access logging into `destination` (a log group ARN) with
    `log_format`."""
    if rest:
        return aws("apigateway", "update-stage", *opt("--rest-api-id", api_id),
                   *opt("--stage-name", stage), "--patch-operations", to_json([
                       patch_op("replace", "/accessLogSettings/destinationArn", destination),
                       patch_op("replace", "/accessLogSettings/format", log_format)]),
                   region=region)
    return aws("apigatewayv2", "update-stage", *opt("--api-id", api_id),
               *opt("--stage-name", stage), "--access-log-settings",
               to_json({"DestinationArn": destination, "Format": log_format}), region=region)


def get_cloudwatch_role(region: str | None) -> Command:
    """The role API Gateway writes a REST API's logs with (one per account and region)."""
    return aws("apigateway", "get-account", query="cloudwatchRoleArn", region=region)


def set_cloudwatch_role(role_arn: str, region: str | None) -> Command:
    """Give API Gateway the role it writes REST API logs to CloudWatch Logs with."""
    return aws("apigateway", "update-account", "--patch-operations",
               to_json([patch_op("replace", "/cloudwatchRoleArn", role_arn)]), region=region)


def create_log_group(name: str, region: str | None) -> Command:
    """A CloudWatch Logs log group for access logs."""
    return aws("logs", "create-log-group", *opt("--log-group-name", name), region=region)


def get_authorizers(rest: bool, api_id: str, region: str | None) -> Command:
    """The API's authorizers."""
    if rest:
        return aws("apigateway", "get-authorizers", *opt("--rest-api-id", api_id),
                   query="items[].[name,type]", region=region)
    return aws("apigatewayv2", "get-authorizers", *opt("--api-id", api_id),
               query="Items[].[Name,AuthorizerType]", region=region)


def get_routes(api_id: str, region: str | None) -> Command:
    """An HTTP or WebSocket API's routes and how each is authorized."""
    return aws("apigatewayv2", "get-routes", *opt("--api-id", api_id),
               query="Items[].[RouteKey,AuthorizationType,RouteId]", region=region)


def create_request_authorizer(rest: bool, api_id: str, function_uri: str,
                              region: str | None) -> Command:
    """A Lambda authorizer of the REQUEST type (the one that receives the client certificate),
    with caching off so that every request's certificate is checked."""
    if rest:
        return aws("apigateway", "create-authorizer", *opt("--rest-api-id", api_id),
                   "--name", "mtls-revocation", "--type", "REQUEST",
                   *opt("--authorizer-uri", function_uri),
                   "--authorizer-result-ttl-in-seconds", "0", region=region)
    return aws("apigatewayv2", "create-authorizer", *opt("--api-id", api_id),
               "--name", "mtls-revocation", "--authorizer-type", "REQUEST",
               *opt("--authorizer-uri", function_uri),
               "--authorizer-payload-format-version", "2.0",
               "--identity-source", "$request.header.Host",
               "--authorizer-result-ttl-in-seconds", "0", region=region)


def attach_authorizer(rest: bool, api_id: str, authorizer_id: str, region: str | None) -> Command:
    """Put one method (REST) or route (HTTP, WebSocket) behind the authorizer; the method or
    route is the user's to name."""
    if rest:
        return aws("apigateway", "update-method", *opt("--rest-api-id", api_id),
                   "--resource-id", "<resource-id>", "--http-method", "<http-method>",
                   "--patch-operations", to_json([
                       patch_op("replace", "/authorizationType", "CUSTOM"),
                       patch_op("replace", "/authorizerId", authorizer_id)]), region=region)
    return aws("apigatewayv2", "update-route", *opt("--api-id", api_id),
               "--route-id", "<route-id>", "--authorization-type", "CUSTOM",
               *opt("--authorizer-id", authorizer_id), region=region)


def lambda_authorizer_uri(region: str | None, function_arn: str) -> str:
    """The `authorizerUri` API Gateway invokes a Lambda function by."""
    return (f"arn:aws:apigateway:{region or '<region>'}:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations")


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


#: every key type ACM lists when asked (it lists RSA-2048 certificates only by default)
ACM_KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1",
                 "EC_secp384r1", "EC_secp521r1")


def all_certificates(region: str | None) -> Command:
    """Every ACM certificate of one region (every key type), by domain name."""
    return aws("acm", "list-certificates", "--includes", to_json({"keyTypes": list(ACM_KEY_TYPES)}),
               query="CertificateSummaryList[].[DomainName,CertificateArn,Status,Type]",
               region=region)


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
    """The versions of the object (and of every key that starts like it: filter by `Key`)."""
    return aws("s3api", "list-object-versions", *opt("--bucket", bucket), *opt("--prefix", key),
               query=query)


def delete_object_version(bucket: str, key: str, version: str) -> Command:
    """Remove one version of an object (a delete marker, to bring the version below it back)."""
    return aws("s3api", "delete-object", *opt("--bucket", bucket), *opt("--key", key),
               *opt("--version-id", version))


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
