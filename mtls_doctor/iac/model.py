"""What a template or plan says about API Gateway custom domains: plain, typed data, the same
whichever tool wrote it, so that one set of rules judges Terraform, CloudFormation, SAM and CDK.

A property is a `Value`: what it resolves to statically, or, when it cannot be resolved before
deployment (a `!GetAtt`, a parameter without a default, a value Terraform knows only after
apply), the expression that sets it and the resources it references."""

from __future__ import annotations

from dataclasses import dataclass, field

#: the tools a template can come from
TOOLS = ("terraform", "cloudformation", "sam", "cdk")


@dataclass(frozen=True)
class Value:
    """A property as the template sets it: `value` when it resolves statically, else None and
    `expr` says what sets it; `refs` are the addresses (Terraform) or logical ids
    (CloudFormation) of the resources of the same template it references."""

    value: str | bool | None
    expr: str = ""
    refs: tuple[str, ...] = ()

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

    file: str
    address: str
    line: int | None = None
    cdk_path: str | None = None

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
    before_uri: str | None = None
    after_uri: str | None = None


@dataclass(frozen=True)
class IacDomain:
    """An API Gateway custom domain resource (REST `AWS::ApiGateway::DomainName` /
    `aws_api_gateway_domain_name`, HTTP `AWS::ApiGatewayV2::DomainName` /
    `aws_apigatewayv2_domain_name`, or the `Domain` of a SAM API)."""

    where: Where
    tool: str
    resource_type: str
    api_type: str  # rest | http
    domain_name: Value | None
    endpoint_type: Value | None
    security_policy: Value | None
    certificate_arn: Value | None
    ownership_certificate_arn: Value | None
    #: whether mutual TLS is configured (a MutualTlsAuthentication / mutual_tls_authentication)
    mtls: bool
    truststore_uri: Value | None = None
    truststore_version: Value | None = None
    #: `imported`, `private` (a private CA) or `amazon` when the certificate is a resource of
    #: the same template or plan; None when that cannot be told statically
    certificate_kind: str | None = None
    #: the certificate resource the domain's certificate property references
    certificate_resource: str | None = None
    #: SAM: the serverless API whose `Domain` property this is
    sam_api: str | None = None
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
    name: Value | None
    disable_execute_api_endpoint: Value | None
    resource_type: str = ""
    #: the API's id where a state already knows it (links a mapping's literal `api_id`)
    ident: str | None = None


@dataclass(frozen=True)
class IacStage:
    """A stage (or a deployment that creates one) and its access logging."""

    where: Where
    api_type: str
    #: the API resource it belongs to (address or logical id), when the template says
    api: str | None
    stage_name: Value | None
    log_destination: Value | None
    log_format: Value | None
    resource_type: str = ""
    #: the property path of the access log setting, for the snippet (`AccessLogSetting`, ...)
    log_property: str = ""


@dataclass(frozen=True)
class IacMapping:
    """A base path mapping (REST) or API mapping (HTTP): the domain it is on, the API and
    stage it sends requests to, each as the resource referenced or the value given."""

    where: Where
    api_type: str
    domain: str | None
    domain_name: Value | None
    api: str | None
    api_id: Value | None
    stage: Value | None
    stage_resource: str | None = None
    base_path: Value | None = None


@dataclass(frozen=True)
class IacObject:
    """An S3 object the template or plan uploads (`aws_s3_object`): a truststore when a
    domain's truststore URI names it."""

    where: Where
    bucket: Value | None
    key: Value | None
    version_id: Value | None
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
    expr: str


@dataclass(frozen=True)
class IacTemplate:
    """One file: what kind it is and every resource of interest in it."""

    file: str
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

    domain: str
    where: Where
    prop: str
    template: str | None
    live: str | None
    latest: str | None = None


@dataclass(frozen=True)
class LiveCertificate:
    """The certificate of a template domain as the live domain and ACM describe it: its ARN and
    how it was issued (`imported`, `private`, `amazon`), or None and `why` it is not known."""

    arn: str | None
    kind: str | None
    why: str = ""
    acm_type: str | None = None


@dataclass(frozen=True)
class IacPayload:
    """The `iac` payload: the path read, every template understood, the files passed over
    (not templates) or unreadable, what could not be resolved, and the drift found."""

    path: str
    templates: tuple[IacTemplate, ...]
    skipped: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()
    unresolved: tuple[Unresolved, ...] = ()
    compared: bool = False
    drift: tuple[Drift, ...] = field(default_factory=tuple)
