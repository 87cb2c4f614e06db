"""What a template or plan says about API Gateway custom domains: plain, typed data, the same
whichever tool wrote it, so that one set of rules judges Terraform, CloudFormation, SAM and CDK.

A property is a `Value`: what it resolves to statically, or, when it cannot be resolved before
deployment (a `!GetAtt`, a parameter without a default, a value Terraform knows only after
apply), the expression that sets it and the resources it references.

Each field that names something says what, for `--redact` (`report/redact.py`): a `file`, a
resource `address` (a Terraform address or a CloudFormation logical id), a CDK `construct` path,
a `host`, an S3 `uri`, an `arn`, a `version` id, a `stage`, an `api` id, an `api-name`, a
`base-path`, a `bucket`, a `key`, a `drift` value (a version id where the truststore version
differs); `plain` values (an endpoint type, a log format) name no one. A `Value`'s kind is that
of its `value`: its `expr` is always an expression and its `refs` addresses."""

from __future__ import annotations

from dataclasses import dataclass, field

#: the tools a template can come from
TOOLS = ("terraform", "cloudformation", "sam", "cdk")


def names(kind: str) -> dict[str, str]:
    """The metadata of a dataclass field whose strings (or `Value`) name a `kind` of thing, for
    `--redact`: `field(metadata=names("host"))`."""
    return {"redact": kind}


@dataclass(frozen=True)
class Value:
    """A property as the template sets it: `value` when it resolves statically, else None and
    `expr` says what sets it; `refs` are the addresses (Terraform) or logical ids
    (CloudFormation) of the resources of the same template it references."""

    value: str | bool | None
    expr: str = field(default="", metadata=names("expression"))
    refs: tuple[str, ...] = field(default=(), metadata=names("address"))

    @property
    def known(self) -> bool:
        """Whether the value resolved statically."""
        return self.value is not None

    def text(self) -> str:
        """The value, or the expression that sets it."""
        if self.value is not None:
            return str(self.value).lower() if isinstance(self.value, bool) else self.value
        return self.expr or "(unresolved)"


@dataclass(frozen=True)
class Where:
    """Where a resource is: its file, its line (CloudFormation and SAM; None for JSON plans),
    its address (Terraform) or logical id (CloudFormation), and a CDK construct path."""

    file: str = field(metadata=names("file"))
    address: str = field(metadata=names("address"))
    line: int | None = None
    cdk_path: str | None = field(default=None, metadata=names("construct"))

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        cdk = f", {self.cdk_path}" if self.cdk_path else ""
        return f"{at} ({self.address}{cdk})"


@dataclass(frozen=True)
class Replacement:
    """A plan's change to a domain that deletes and re-creates it (Terraform
    `resource_changes[].change.actions` holds both `delete` and `create`)."""

    actions: tuple[str, ...]
    #: the attributes that force it (`replace_paths`), as `mutual_tls_authentication[0].truststore_uri`
    paths: tuple[str, ...]
    reason: str | None = None
    before_uri: str | None = field(default=None, metadata=names("uri"))
    after_uri: str | None = field(default=None, metadata=names("uri"))


@dataclass(frozen=True)
class IacDomain:
    """An API Gateway custom domain resource (REST `AWS::ApiGateway::DomainName` /
    `aws_api_gateway_domain_name`, HTTP `AWS::ApiGatewayV2::DomainName` /
    `aws_apigatewayv2_domain_name`, or the `Domain` of a SAM API)."""

    where: Where
    tool: str
    resource_type: str
    api_type: str  # rest | http
    domain_name: Value | None = field(metadata=names("host"))
    endpoint_type: Value | None = field(metadata=names("plain"))
    security_policy: Value | None = field(metadata=names("plain"))
    certificate_arn: Value | None = field(metadata=names("arn"))
    ownership_certificate_arn: Value | None = field(metadata=names("arn"))
    #: whether mutual TLS is configured (a MutualTlsAuthentication / mutual_tls_authentication)
    mtls: bool
    truststore_uri: Value | None = field(default=None, metadata=names("uri"))
    truststore_version: Value | None = field(default=None, metadata=names("version"))
    #: `imported`, `private` (a private CA) or `amazon` when the certificate is a resource of
    #: the same template or plan; None when that cannot be told statically
    certificate_kind: str | None = None
    #: the certificate resource the domain's certificate property references
    certificate_resource: str | None = field(default=None, metadata=names("address"))
    #: SAM: the serverless API whose `Domain` property this is
    sam_api: str | None = field(default=None, metadata=names("address"))
    #: Terraform plans: the change planned for the domain (`create`, `update`, ...)
    actions: tuple[str, ...] = ()
    replacement: Replacement | None = None
    #: whether the file is JSON (CloudFormation snippets are then given as JSON)
    json_source: bool = False


@dataclass(frozen=True)
class IacApi:
    """A REST or HTTP API of the template, and whether its default execute-api endpoint is
    turned off."""

    where: Where
    api_type: str
    name: Value | None = field(metadata=names("api-name"))
    disable_execute_api_endpoint: Value | None = field(metadata=names("plain"))
    resource_type: str = ""
    #: the API's id where a state already knows it (links a mapping's literal `api_id`)
    ident: str | None = field(default=None, metadata=names("api"))


@dataclass(frozen=True)
class IacStage:
    """A stage (or a deployment that creates one) and its access logging."""

    where: Where
    api_type: str
    #: the API resource it belongs to (address or logical id), when the template says
    api: str | None = field(metadata=names("address"))
    stage_name: Value | None = field(metadata=names("stage"))
    log_destination: Value | None = field(metadata=names("arn"))
    log_format: Value | None = field(metadata=names("plain"))
    resource_type: str = ""
    #: the property path of the access log setting, for the snippet (`AccessLogSetting`, ...)
    log_property: str = ""


@dataclass(frozen=True)
class IacMapping:
    """A base path mapping (REST) or API mapping (HTTP): the domain it is on, the API and
    stage it sends requests to, each as the resource referenced or the value given."""

    where: Where
    api_type: str
    domain: str | None = field(metadata=names("address"))
    domain_name: Value | None = field(metadata=names("host"))
    api: str | None = field(metadata=names("address"))
    api_id: Value | None = field(metadata=names("api"))
    stage: Value | None = field(metadata=names("stage"))
    stage_resource: str | None = field(default=None, metadata=names("address"))
    base_path: Value | None = field(default=None, metadata=names("base-path"))


@dataclass(frozen=True)
class IacObject:
    """An S3 object the template or plan uploads (`aws_s3_object`): a truststore when a
    domain's truststore URI names it."""

    where: Where
    bucket: Value | None = field(metadata=names("bucket"))
    key: Value | None = field(metadata=names("key"))
    version_id: Value | None = field(metadata=names("version"))
    actions: tuple[str, ...] = ()
    resource_type: str = ""


@dataclass(frozen=True)
class IacCertificate:
    """An ACM certificate resource of the template: how it is issued (`imported`, `private`,
    `amazon`)."""

    where: Where
    kind: str


@dataclass(frozen=True)
class Unresolved:
    """A property that could not be resolved statically, and why."""

    where: Where
    prop: str
    expr: str = field(metadata=names("expression"))


@dataclass(frozen=True)
class IacTemplate:
    """One file: what kind it is and every resource of interest in it."""

    file: str = field(metadata=names("file"))
    kind: str  # terraform-plan | terraform-state | cloudformation | sam | cdk
    tool: str
    resources: int
    domains: tuple[IacDomain, ...] = ()
    apis: tuple[IacApi, ...] = ()
    stages: tuple[IacStage, ...] = ()
    mappings: tuple[IacMapping, ...] = ()
    objects: tuple[IacObject, ...] = ()
    certificates: tuple[IacCertificate, ...] = ()


@dataclass(frozen=True)
class Drift:
    """One property whose template value differs from the live domain's (`--compare`); for
    the truststore version, also S3's latest version."""

    domain: str = field(metadata=names("host"))
    where: Where
    prop: str
    #: the values compared: version ids for the truststore version, else ARNs, URIs or words
    template: str | None = field(metadata=names("drift"))
    live: str | None = field(metadata=names("drift"))
    latest: str | None = field(default=None, metadata=names("drift"))


@dataclass(frozen=True)
class LiveCertificate:
    """The certificate of a template domain as the live domain and ACM describe it: its ARN and
    how it was issued (`imported`, `private`, `amazon`), or None and `why` it is not known."""

    arn: str | None = field(metadata=names("arn"))
    kind: str | None
    why: str = ""
    acm_type: str | None = None


@dataclass(frozen=True)
class IacPayload:
    """The `iac` payload: the path read, every template understood, the files passed over
    (not templates) or unreadable, what could not be resolved, and the drift found."""

    path: str = field(metadata=names("file"))
    templates: tuple[IacTemplate, ...]
    skipped: tuple[str, ...] = field(default=(), metadata=names("file"))
    unreadable: tuple[str, ...] = field(default=(), metadata=names("file"))
    unresolved: tuple[Unresolved, ...] = ()
    compared: bool = False
    drift: tuple[Drift, ...] = field(default_factory=tuple)
