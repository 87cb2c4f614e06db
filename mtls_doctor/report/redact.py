"""`--redact` (and the TUI export's Redact box): every identifying value of a report replaced by a
stable placeholder of its kind, in every format.

One walk over the report model collects each value with
its kind where it is produced, then every string of the report is rewritten in one pass, so a
value is replaced wherever it appears: in its own field, inside a finding's detail, a fix
command, a location, evidence. The same value (compared without regard to case) always gets the
same placeholder within one report, and the placeholders are numbered in the order the values
first appear, so two runs over the same facts print the same placeholders in every format.

What is hidden, by kind (the contract's "Safe output"), where it comes from, and its placeholder:

- host and domain names (probe host and SNI, `--host`, the domain, its regional and canonical
  names, ACM names, DNS SANs, host-like CNs, URL hosts, names in AWS and server text):
  `host-1.example`
- IP addresses (probe and DNS addresses, IP SANs, addresses in outside text): `ip-1`
- e-mail addresses, whole (emailAddress attributes, e-mail SANs, any text):
  `user-1@example.invalid`
- every distinguished-name attribute value but C (subjects, issuers, the server's CA names,
  directory-name SANs, ACM's subject and issuer): `name-1` (or the host, IP or e-mail one)
- every other SAN value: URIs (`https://host-1.example/uri-1`), registered ids and other names
  (`san-1`)
- account ids (`account_id`, ARNs, 12-digit numbers in AWS messages): `111111111111`, ...
- ARNs: partition, service and region kept, the account and every resource name hidden (resource
  types such as `certificate/` or `assumed-role/` stay):
  `arn:aws:acm:eu-west-1:111111111111:certificate/resource-1`
- S3 bucket names, object keys and version ids, also inside `s3://` URIs and S3 ARNs:
  `bucket-1`, `key-1`, `version-1`
- API ids (also the id in `ID.execute-api.REGION.amazonaws.com`), API names, stages, base paths,
  hosted zone ids: `api-1`, `api-name-1`, `stage-1`, `base-path-1`, `zone-1`
- file paths of the inputs (locations, sources, the files fix commands name), their names and
  directories: `/path-1/file-1.pem`
- HTTP request ids, `Location` and other header values that name hosts or are not known to be
  harmless: `request-1`, `https://host-1.example/uri-1`, `value-1`
- routing rules: their ids and a private domain's id (`resource-1`), their base paths, the
  values their header conditions match (`x-tenant: value-1`); a delete marker's version id;
  authorizer names (`TOKEN: name-1`) and route keys (`GET uri-1`; `$default` stays)
- revocation sources (CRL distribution points, OCSP responders): their URLs, and hosts and URLs
  in what they answered
- a fleet scan (`scan`): each account's id or role ARN, an organization account's name
  (`name-1`), every domain's name in its row, its report and the expiry calendar, the earliest
  truststore CA's subject; the external id is never in a report
- infrastructure as code (`iac`), by what each field of `iac.model` declares it names
  (`iac.model.names`; a `Value`'s `value` takes the kind of the property that holds it): the
  templates' paths, domain names, S3 URIs, ARNs, version ids, stage and API names, base paths;
  resource addresses with their names hidden and the rest kept, so an address and the same
  address with an index keep one placeholder (`module.resource-1.aws_s3_object.resource-2[0]`,
  a logical id `resource-3`, a SAM API's domain `resource-4.Domain`); CDK construct ids
  (`resource-5/resource-6/Resource`); in an expression that does not resolve, the resources,
  parameters and variables it names and the names and paths in its literals
  (`!Join ["",["s3://",{"Ref":"resource-7"},"/key-1"]]`, `var.name-1`). A finding's location
  (`FILE:LINE (ADDRESS, CONSTRUCT PATH)`) names the file as the Files table does.

A wildcard stays readable: `*.example.com` becomes `*.host-1.example` and a name one label below a
name of the report stays below its placeholder (`api.example.com` -> `host-2.host-1.example`), so
wildcard and hostname matches still read true.

Kept: algorithms, key sizes, dates, serials, fingerprints and key ids, OIDs, finding and check
ids, checks' titles (ours), status names, regions, the C attribute, port numbers, and AWS's own
markers (`(none)` base path, `$default` stage, `$context.` variables of an access log format;
Terraform's resource types and attributes, CDK's `Resource`; a logical id or construct id that
is a common word, `Domain`, names no one). A value is replaced as a whole word only (never
inside a longer name), longest value first.

`redact_report(report)` is the one walker: the CLI and the TUI export redact the typed report
once, and every renderer (text, Markdown, HTML, and JSON as `document(redact_report(report))`)
draws the redacted report.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from mtls_doctor.iac.model import Value as IacValue
from mtls_doctor.model.certificate import Container
from mtls_doctor.model.evidence import Status
from mtls_doctor.model.finding import Check, CheckStatus, Severity
from mtls_doctor.model.probe import ErrorKind, Outcome
from mtls_doctor.model.report import Report
from mtls_doctor.model.verdict import VerdictReason


class Kind(StrEnum):
    """What a hidden value is; each kind has its own placeholders."""

    HOST = "host"
    IP = "ip"
    EMAIL = "email"
    NAME = "name"
    SAN = "san"
    URI = "uri"
    ACCOUNT = "account"
    RESOURCE = "resource"
    BUCKET = "bucket"
    KEY = "key"
    VERSION = "version"
    API = "api"
    API_NAME = "api-name"
    STAGE = "stage"
    BASE_PATH = "base-path"
    ZONE = "zone"
    FILE = "file"
    DIR = "dir"
    REQUEST_ID = "request-id"
    HEADER = "header"


_PLACEHOLDER = {
    Kind.IP: "ip-{}", Kind.EMAIL: "user-{}@example.invalid", Kind.NAME: "name-{}",
    Kind.SAN: "san-{}", Kind.URI: "uri-{}", Kind.RESOURCE: "resource-{}",
    Kind.BUCKET: "bucket-{}", Kind.KEY: "key-{}", Kind.VERSION: "version-{}", Kind.API: "api-{}",
    Kind.API_NAME: "api-name-{}", Kind.STAGE: "stage-{}", Kind.BASE_PATH: "base-path-{}",
    Kind.ZONE: "zone-{}", Kind.REQUEST_ID: "request-{}", Kind.HEADER: "value-{}",
}

# -- the shape: which field holds which kind ------------------------------------------------------

#: strings never rewritten: identifiers of certificates, algorithms, dates, ids, our vocabulary
_KEEP = frozenset({
    "schema", "tool_version", "generated_at", "command", "id", "severity", "walkthrough",
    "outcome", "kind", "container", "serial", "served_serial", "configured_serial",
    "sha256_fingerprint", "fingerprints", "ski", "aki", "oid", "signature_algorithm",
    "signature_hash", "key_algorithm", "curve", "key_usage", "extended_key_usage", "not_before",
    "not_after", "at", "latest_modified", "configured_modified", "tls_version", "cipher",
})
_HOST_FIELDS = frozenset({"host", "sni", "regional_domain_name", "dns_canonical", "domain_name",
                          "names", "hostname", "acm_names", "configured"})
_ADDRESS_FIELDS = frozenset({"address", "addresses", "dns_addresses", "regional_addresses",
                             "connect", "connect_host"})
_DN_FIELDS = frozenset({"subject", "issuer", "missing", "served", "acceptable_ca_names",
                        "path", "issuers", "subjects", "earliest_ca_subject"})
#: (owner, field) whose strings are our own words although the field's name says otherwise: a
#: scan row's truststore state (`current`, `stale`, ...), how an account was reached (`role`)
_KEEP_IN = frozenset({("rows", "truststore"), ("accounts", "source")})
#: where a `name` is a custom domain's: DomainFacts (`domain`), a scan's rows and domains
_DOMAIN_NAME_OWNERS = frozenset({"domain", "rows", "domains"})
#: where a string `domain` is a custom domain's name (a scan finding's evidence, the calendar)
_DOMAIN_OWNERS = frozenset({"evidence", "calendar"})
_SAN_FIELDS = frozenset({"sans", "matched_by", "san"})
_URI_FIELDS = frozenset({"truststore_uri", "uri", "execute_api_endpoint", "url", "endpoint",
                         "truststore", "source"})
_SIMPLE_FIELDS: Mapping[str, Kind] = {
    "account_id": Kind.ACCOUNT, "account": Kind.ACCOUNT, "hosted_zone_id": Kind.ZONE,
    "bucket": Kind.BUCKET, "key": Kind.KEY, "prefix": Kind.KEY, "truststore_version": Kind.VERSION,
    "latest_version": Kind.VERSION, "configured_version": Kind.VERSION, "version": Kind.VERSION,
    "version_id": Kind.VERSION, "api_id": Kind.API, "api_name": Kind.API_NAME,
    "stage": Kind.STAGE, "base_path": Kind.BASE_PATH, "email": Kind.EMAIL,
    # routing rules (their base paths too), a private domain's id, a delete marker's version id
    "base_paths": Kind.BASE_PATH, "rule_id": Kind.RESOURCE, "domain_name_id": Kind.RESOURCE,
    "latest_delete_marker": Kind.VERSION,
}
#: an API's authorizers (`TYPE: name`) and its routes without one (`GET /path`, `$default`)
_AUTHORIZER_FIELDS = frozenset({"seen", "authorizers"})
_ROUTE_FIELDS = frozenset({"unprotected", "unprotected_routes"})
#: text that came from outside (AWS, the server, a pasted error): searched for names of every
#: kind, as well as replaced
_OUTSIDE_TEXT = frozenset({"reason", "message", "messages", "status_message",
                           "truststore_warnings", "warning", "body", "renewal_reason", "matched",
                           "recognised"})
_REQUEST_ID_HEADERS = frozenset({
    "x-amzn-requestid", "x-amzn-request-id", "x-amz-request-id", "x-amz-apigw-id", "x-amz-cf-id",
    "x-amz-id-2", "x-request-id", "x-correlation-id", "x-amzn-trace-id", "apigw-requestid",
    "request-id", "x-amz-cf-pop"})
_URL_HEADERS = frozenset({"location", "content-location", "referer", "origin",
                          "access-control-allow-origin", "x-forwarded-host", "host"})
#: header values that name nothing (searched all the same)
_PLAIN_HEADERS = frozenset({
    "content-type", "content-length", "date", "connection", "x-amzn-errortype", "server",
    "transfer-encoding", "cache-control", "vary", "content-encoding", "expires", "pragma",
    "strict-transport-security", "x-content-type-options", "x-frame-options", "accept-ranges",
    "age", "keep-alive", "retry-after", "last-modified", "x-xss-protection", "content-language",
    "x-cache"})

#: words never taken for a value: our own vocabulary and AWS's markers
_VOCABULARY = frozenset(
    {str(m.value).lower() for e in (Status, Severity, CheckStatus, ErrorKind, Outcome,
                                    VerdictReason, Container) for m in e}
    | {"(none)", "$default", "none", "null", "true", "false", "unknown", "(unreadable)",
       "unreadable", "served chain", "stdin", "(stdin)", "<stdin>", "localhost.localdomain",
       "(unresolved)", "known after apply"})
#: AWS resource-type words that stay in an ARN (`certificate/`, `role/`, `restapis/`, ...)
_ARN_WORDS = frozenset({
    "certificate", "role", "assumed-role", "user", "group", "policy", "instance-profile",
    "server-certificate", "federated-user", "mfa", "root", "loadbalancer", "targetgroup",
    "listener", "listener-rule", "app", "net", "gwy", "restapis", "apis", "domainnames",
    "basepathmappings", "apimappings", "stages", "deployments", "resources", "methods",
    "integrations", "authorizers", "vpclinks", "routes", "function", "alias", "secret",
    "parameter", "table", "stream", "accesspoint", "distribution", "hostedzone", "instance",
    "volume", "vpc", "subnet", "security-group", "log-group", "log-stream", "key", "*"})

# -- patterns ----------------------------------------------------------------------------------------

_ARN_RE = re.compile(
    r"\barn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
    r"(?P<account>\d{12})?:(?P<resource>[^\s'\"<>,;()\[\]{}`|]*[^\s'\"<>,;()\[\]{}`|.])")
#: (a closing parenthesis or bracket at the end of a key or version id is the prose's)
_S3_RE = re.compile(r"\bs3://(?P<bucket>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
                    r"(?:/(?P<key>[^\s'\"<>?,;|`]*[^\s'\"<>?,;|`.)\]]))?"
                    r"(?:\?versionId=(?P<version>[^\s'\"<>&,;|`]*[^\s'\"<>&,;|`.)\]]))?",
                    re.IGNORECASE)
_URL_RE = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>`|]*[^\s'\"<>`|.,;:)\]]", re.IGNORECASE)
_EMAIL_RE = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_IPV4_RE = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\w-]|\.\d)")
_IPV6_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?"
                      r"(?:/\d{1,3})?(?![\w:])")
_ACCOUNT_RE = re.compile(r"(?<![\w-])\d{12}(?![\w-])")
_HOST_RE = re.compile(r"(?<![\w.@/-])(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+"
                      r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])(?![\w-]|\.[a-z0-9])", re.IGNORECASE)
_REQUEST_ID_RE = re.compile(r"(?i:request[-_ ]?id|apigw-requestid)\W{0,3}[:=]\s*\"?"
                            r"(?P<id>[A-Za-z0-9][A-Za-z0-9._=/+-]{5,}[A-Za-z0-9=])")
_HOSTNAME_RE = re.compile(
    r"^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_EXECUTE_API_RE = re.compile(r"^(?P<id>[a-z0-9-]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
#: public AWS service names in outside text are no one's: not taken for a host
_AWS_PUBLIC_RE = re.compile(r"(?:^|\.)(?:amazonaws\.com(?:\.cn)?|amazon\.com|aws\.dev|aws)$")
_SAN_RE = re.compile(r"^(?P<type>DNS|IP|IP Address|email|RFC822|URI|DirName|RID|othername|"
                     r"Registered ID|otherName|X400Name|EdiPartyName):(?P<value>.*)$",
                     re.IGNORECASE | re.DOTALL)
_GN_SPLIT_RE = re.compile(r"(?:, |; )(?=(?:[A-Za-z ]+: )?(?:DNS|IP|email|URI|DirName|RID|"
                          r"othername):)")
_GN_LABEL_RE = re.compile(r"^(?:permitted |excluded )?(?:[A-Za-z ]+: )?")
_POSITION_RE = re.compile(r"^(?P<src>.*?), certificate #\d+(?: \(.*\))?$", re.DOTALL)
_HOST_PORT_RE = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^\s/\\:]+)):(?P<port>\d{1,5})$")
_DN_ATTR_RE = re.compile(r"^\s*(?P<attr>[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)\s*=(?P<value>.*)$",
                         re.DOTALL)
_COUNTRY = frozenset({"c", "countryname", "2.5.4.6"})
#: attribute names a distinguished name is written with (RFC 4514, OpenSSL, cryptography)
_DN_ATTRS = frozenset({
    "cn", "commonname", "c", "countryname", "l", "localityname", "st", "s",
    "stateorprovincename", "o", "organizationname", "ou", "organizationalunitname", "street",
    "streetaddress", "dc", "domaincomponent", "uid", "userid", "emailaddress", "email", "e",
    "serialnumber", "sn", "surname", "gn", "givenname", "title", "t", "initials", "pseudonym",
    "generationqualifier", "dnqualifier", "name", "businesscategory", "postalcode",
    "postofficebox", "jurisdictionc", "jurisdictionst", "jurisdictionl",
    "jurisdictioncountryname", "jurisdictionstateorprovincename", "jurisdictionlocalityname",
    "organizationidentifier", "description", "telephonenumber", "x500uniqueidentifier",
    "unstructuredname", "unstructuredaddress", "role", "uniqueidentifier"})
_EMAIL_ATTRS = frozenset({"emailaddress", "email", "e", "1.2.840.113549.1.9.1"})
_FILE_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der", ".key", ".p12", ".pfx", ".p7b",
                            ".p7c", ".csr", ".json", ".txt", ".html", ".md", ".crl", ".bundle",
                            ".yaml", ".yml"})
#: the options that name the user's own files, by program (`-in`, `-out` and `-o` too when
#: the value has a directory: without one it is a scratch file the command itself names)
_FILE_OPTIONS: Mapping[str, frozenset[str]] = {
    "openssl": frozenset({"-cert", "-key", "-CAfile", "-CApath", "-certfile", "-inkey",
                          "-untrusted", "-trusted", "-chainCAfile", "-verifyCAfile",
                          "-cert_chain", "-CRL", "-CAkey", "-signkey"}),
    "curl": frozenset({"--cert", "--key", "--cacert", "--capath", "--crlfile", "-E"}),
    "mtls-doctor": frozenset({"--cert", "--key", "--chain", "--truststore", "--aws-snapshot",
                              "--save"}),
}
_OUTPUT_OPTIONS = frozenset({"-in", "-out", "-o", "--output"})
#: an argument that is a path: from the root, the home or the current directory, or a
#: directory and a certificate-like file name
_PATHISH = re.compile(r"^(?:~?/|\.\.?/)[^\s:'\"<>|;`$]+$|"
                      r"^[^\s:/'\"<>|;`$-][^\s:'\"<>|;`$]*/[^\s:'\"<>|;`$]*\."
                      r"(?:pem|crt|cer|der|key|p12|pfx|p7b|p7c|csr|json|crl)$", re.IGNORECASE)
_SYSTEM_PATHS = ("/dev/", "/etc/", "/usr/", "/proc/", "/sys/", "/bin/", "/sbin/")
_WORD = r"[\w-]"
_WORD_CHAR = re.compile(_WORD)
#: how many first characters of each value the search expression holds
_HEAD = 16

# -- infrastructure as code: addresses, construct paths, expressions ------------------------------

#: a resource address's pieces: names, the dots between them, indexes (`[0]`, `["key"]`)
_ADDRESS_TOKEN_RE = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]"]*)\]|\.|[^.\[\]]+')
#: a Terraform resource type (`aws_s3_object`): the provider's word, kept
_TF_TYPE_RE = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")
_TF_INDEX = r'(?:\[(?:"(?:[^"\\]|\\.)*"|[^\]"\s]*)\])*'
#: a Terraform reference in an expression: `[module.M.]TYPE.NAME[i]`, `data.TYPE.NAME`,
#: `var.NAME`, `local.NAME`, a module's output `module.M.OUTPUT`
_TF_REF_RE = re.compile(
    rf"(?<![\w.$-])(?:(?:module\.[\w-]+{_TF_INDEX}\.)*(?:(?:var|local)\.[\w-]+|"
    rf"(?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[\w-]+{_TF_INDEX})|"
    rf"module\.[\w-]+{_TF_INDEX}(?:\.[\w-]+)?)")
#: a CloudFormation reference in an expression: `!Ref X`, `!GetAtt X.Attr`, `{"Ref": "X"}`,
#: `{"Fn::GetAtt": ["X", ...]}`, `${X}` in a `!Sub` (`${!Literal}` is none)
_CFN_REF_RE = re.compile(r'(?:!Ref\s+|!GetAtt\s+|!ImportValue\s+|"Ref"\s*:\s*"|'
                         r'"Fn::GetAtt"\s*:\s*\[\s*"|\$\{)(?P<name>AWS::\w+|[A-Za-z0-9]+)')
#: a quoted literal of an expression (a key, `"Ref":`, is one too: passed over)
_LITERAL_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?P<key>\s*:)?')
_SUB_VAR_RE = re.compile(r"\$\{[^}]*\}")
#: a finding's location as `iac.model.Where` writes it: `FILE[:LINE] (ADDRESS[, CDK PATH])`
_WHERE_RE = re.compile(r"^(?P<file>.+?)(?::\d+)? \((?P<address>[^(),]+)"
                       r"(?:, (?P<construct>[^()]+))?\)$", re.DOTALL)
#: words a logical id or a construct id may be that the report itself writes: such an id names
#: no one, and replacing the word everywhere would garble the report (`Domain`, `Resource`)
_IAC_WORDS = frozenset({
    "api", "apis", "domain", "domainname", "stage", "deployment", "mapping", "certificate",
    "cert", "bucket", "truststore", "object", "log", "logs", "role", "function", "key",
    "version", "name", "resource", "default", "defaultstage", "this", "main", "custom",
    "template", "stack", "http", "https", "rest", "policy", "endpoint", "record", "zone",
    "alias", "parameter", "output"})


def host_like(text: str) -> str | None:
    """`text` as a lower-case host name (a trailing dot dropped), or None when it is not one:
    at least two labels, the last starting with a letter (so IP addresses are not)."""
    name = text.strip().rstrip(".").lower()
    return name if _HOSTNAME_RE.match(name) else None


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _network(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return "/" in text


def _trivial(value: str) -> bool:
    """Too short or too common to be anyone's name: one character, a few digits, our words,
    API Gateway's `$context.` variables (an access log format's, not an identity)."""
    return (len(value) < 2 or value.lower() in _VOCABULARY
            or (value.isdigit() and len(value) < 4) or not any(c.isalnum() for c in value)
            or value.startswith("$context."))


def _fake_account(n: int) -> str:
    return str(n) * 12 if n < 10 else f"{n:012d}"


def _dn_unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value, flags=re.DOTALL)


def parse_dn(text: str) -> list[tuple[str, str]] | None:
    """A distinguished name's (attribute, value) pairs as written (escapes kept), or None when
    `text` is not `ATTR=value,...` (RFC 4514, or the same with unescaped separators: a `,` or
    `+` not followed by a known attribute belongs to the value before it)."""
    parts: list[tuple[str, str]] = []  # (the separator before it, the text)
    current: list[str] = []
    before = ""
    escaped = False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            current.append(ch)
            escaped = True
        elif ch in ",+":
            parts.append((before, "".join(current)))
            current, before = [], ch
        else:
            current.append(ch)
    parts.append((before, "".join(current)))
    pairs: list[tuple[str, str]] = []
    for sep, part in parts:
        m = _DN_ATTR_RE.match(part)
        if m and (m.group("attr").lower() in _DN_ATTRS or m.group("attr")[0].isdigit()):
            pairs.append((m.group("attr"), m.group("value")))
        elif pairs:
            attr, value = pairs[-1]
            pairs[-1] = (attr, f"{value}{sep}{part}")
        else:
            return None
    return pairs


# -- the values -----------------------------------------------------------------------------------


@dataclass
class _Entry:
    """One hidden value: its kind, how it is written first, and its placeholder."""

    kind: Kind
    value: str
    #: a composite (a path, an ARN, an S3 or other URI): its placeholder made of its parts'
    compose: Callable[[], str] | None = None
    #: False: replaced only as part of a composite (an ARN's last `role` word)
    matched: bool = True
    placeholder: str = ""


class Redactor:
    """One report's values by kind, their placeholders, and the functions that apply them."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._variants: dict[str, str] = {}
        #: values a typed field declares name no one (an expression without a name in it, a
        #: logical id that is a common word): never taken for a value of another field's kind
        self._kept: set[str] = set()
        self._tiers: list[list[Callable[[], object]]] = [[], [], [], []]
        self._pattern: re.Pattern[str] | None = None
        self._long: dict[str, list[str]] = {}
        self._short: set[str] = set()

    # -- building the mapping ------------------------------------------------------------------

    @classmethod
    def for_report(cls, report: Report, files: Iterable[str] = ()) -> Redactor:
        """The placeholders for one report (and for `files`, the paths its command read)."""
        redactor = cls()
        redactor._collect(report.checks, "checks", None)
        redactor._collect(report.findings, "findings", None)
        for key, value in report.payload.items():
            redactor._collect(value, str(key), None)
        return redactor._finish(files)

    def _finish(self, files: Iterable[str]) -> Redactor:
        for tier in self._tiers:
            for job in tier:
                job()
        for path in files:
            self.add_source(path)
        self._assign()
        self._compile()
        return self

    def _later(self, tier: int, job: Callable[[], object]) -> None:
        """Values of fields that declare what they name (tier -1: `names(kind)` of the iac
        model) take their kind first, then values from typed fields (0), before values parsed
        out of composite text (1) and those searched for in free text and commands (2)."""
        self._tiers[tier + 1].append(job)

    def _collect(self, obj: Any, field: str | None, owner: str | None) -> None:
        """Queue every value of `obj` (a dataclass, mapping, sequence or string) by its field."""
        if obj is None or isinstance(obj, Enum | bool | int | float | datetime | bytes):
            return
        if isinstance(obj, str):
            self._collect_text(obj, field, owner)
        elif isinstance(obj, Mapping) or (dataclasses.is_dataclass(obj)
                                          and not isinstance(obj, type)):
            declared = {} if isinstance(obj, Mapping) else _declared(type(obj))
            for key, value in _items(obj):
                if isinstance(obj, Mapping):
                    self._later(2, functools.partial(self.search, key, everything=False))
                kind = declared.get(key) or ("plain" if isinstance(value, IacValue) else None)
                if kind is not None:
                    self._collect_declared(value, kind, obj)
                else:
                    self._collect(value, key, field)
        elif isinstance(obj, list | tuple | set | frozenset):
            for value in obj:
                self._collect(value, field, owner)

    def _collect_declared(self, value: Any, kind: str, owner: Any) -> None:
        """Queue the strings of a field that declares what they name (`names(kind)`): a
        `Value`'s `value` takes the field's kind, its `expr` is an expression and its `refs`
        addresses; a drift's values are version ids where the truststore version differs."""
        if kind == "drift":
            kind = "version" if getattr(owner, "prop", "") == "truststore version" else "plain"
        if isinstance(value, IacValue):
            if isinstance(value.value, str):
                self._collect_declared(value.value, kind, value)
            self._collect_declared(value.expr, "expression", value)
            self._collect_declared(value.refs, "address", value)
        elif isinstance(value, list | tuple | set | frozenset):
            for item in value:
                self._collect_declared(item, kind, owner)
        elif isinstance(value, str) and value.strip():
            refs = tuple(getattr(owner, "refs", ()))
            self._later(-1, functools.partial(self.add_named, kind, value, refs))
            self._later(2, functools.partial(self.search, value, everything=False))

    def _collect_text(self, text: str, field: str | None, owner: str | None) -> None:
        """Queue one string by the kind its field gives it (`owner`: the enclosing field)."""
        if field in _KEEP or (owner, field) in _KEEP_IN or not text.strip():
            return
        f = field or ""
        later = self._later
        if owner == "headers" or f in _REQUEST_ID_HEADERS:
            later(0, lambda: self.add_header(f, text))
        elif f in _HOST_FIELDS or (f == "name" and owner in _DOMAIN_NAME_OWNERS) or (
                f == "domain" and owner in _DOMAIN_OWNERS and host_like(text) is not None):
            later(0, lambda: self.add_host(text))
        elif f == "account" or (f == "label" and owner == "accounts"):
            # a scan's account: its id (a role ARN or `(caller)` when there is none: the ARN is
            # found by the search below, `(caller)` is ours)
            if _ACCOUNT_RE.fullmatch(text.strip()):
                later(0, lambda: self.add(Kind.ACCOUNT, text))
        elif f == "name" and owner == "accounts":  # an organization account's name
            later(0, lambda: self.add(Kind.NAME, text))
        elif f in _ADDRESS_FIELDS:
            later(0, lambda: self.add_address(text))
        elif f in _DN_FIELDS:
            later(0, lambda: self.add_dn(text, whole=f != "path"))
        elif f in _SAN_FIELDS:
            later(0, lambda: self.add_san(text))
        elif f == "value" and owner == "extensions":
            later(1, lambda: self.add_general_names(text))
        elif f in ("location", "issuer_location") or f in _URI_FIELDS or (
                f == "name" and owner == "source"):
            later(1, lambda: self.add_location(text))
        elif f == "headers" and owner == "routing_rules":
            later(0, lambda: self.add_condition(text))
        elif f in _AUTHORIZER_FIELDS:
            later(0, lambda: self.add_authorizer(text))
        elif f in _ROUTE_FIELDS:
            later(0, lambda: self.add_route_key(text))
        elif f in _SIMPLE_FIELDS:
            kind = _SIMPLE_FIELDS[f]
            later(0, lambda: self.add(kind, text))
        elif f == "commands":
            later(2, lambda: self.add_command(text))
        # a revocation source's answer may quote its server (a redirect's URL, a host)
        if f in _OUTSIDE_TEXT or owner == "headers" or (f == "detail" and owner == "answers"):
            later(2, lambda: self.search(text, everything=True))
        else:
            later(2, lambda: self.search(text, everything=False))

    def add(self, kind: Kind, value: str, *variants: str,
            compose: Callable[[], str] | None = None, matched: bool = True) -> str | None:
        """Register one value of `kind` (and other ways it is written); the key of its entry,
        or None when it is too common to hide."""
        value = value.strip()
        if (_trivial(value) or value.lower() in self._kept) and compose is None:
            return None
        key = value.lower()
        key = self._variants.get(key, key)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(kind, value, compose, matched)
        elif matched:
            entry.matched = True
        for written in (value, *variants):
            v = written.strip()
            if v and not _trivial(v):
                self._variants.setdefault(v.lower(), key)
                if len(v.lower()) != len(v):  # lower-casing changes its length: as written too
                    self._variants.setdefault(v, key)
                if "'" in v:  # how a POSIX shell command quotes it
                    self._variants.setdefault(v.replace("'", "'\"'\"'").lower(), key)
        return key

    def placeholder(self, key: str) -> str:
        """The placeholder of an entry (a composite's made of its parts' on first use)."""
        entry = self._entries[key]
        if not entry.placeholder and entry.compose is not None:
            entry.placeholder = entry.compose()
        return entry.placeholder or entry.value

    def add_host(self, text: str) -> str | None:
        """A host or domain name (an IP address goes to `add_ip`; `*.X` hides X)."""
        name = text.strip().rstrip(".")
        if _ip(name) is not None or _network(name):
            return self.add_ip(name)
        if name.startswith("*."):  # the `*.` stays where the base name is replaced
            return self.add_host(name[2:])
        name = name.lstrip(".")  # a name constraint's `.example.com`
        if name == "*" or not name:
            return None
        m = _EXECUTE_API_RE.match(name.lower())
        if m:  # AWS's name for an API or a regional domain: its id hides it
            ident = m.group("id")
            kind = Kind.RESOURCE if ident.startswith("d-") else Kind.API
            key = self.add(kind, ident)
            return key if key is None else self.add(
                Kind.HOST, name, compose=lambda: self.placeholder(key) + name[len(ident):])
        return self.add(Kind.HOST, name)

    def add_ip(self, text: str) -> str | None:
        value = text.strip().strip("[]")
        ip = _ip(value)
        variants = (str(ip), ip.exploded) if ip is not None and "/" not in value else ()
        if "/" in value:
            self.add_ip(value.split("/", 1)[0])
        return self.add(Kind.IP, value, *variants)

    def add_email(self, text: str) -> str | None:
        return self.add(Kind.EMAIL, text)

    def add_address(self, text: str) -> str | None:
        """`host`, `IP`, `host:port`, `[v6]:port`: the port stays."""
        value = text.strip()
        m = _HOST_PORT_RE.match(value)
        if m:
            value = m.group("v6") or m.group("host") or value
        return self.add_host(value)

    def add_value(self, text: str, kind: Kind = Kind.NAME, *variants: str) -> str | None:
        """A name's value: a host, an IP or an e-mail address by its look, else `kind`."""
        value = text.strip()
        if _ip(value) is not None:
            return self.add_ip(value)
        if host_like(value) is not None:
            return self.add_host(value)
        if _EMAIL_RE.fullmatch(value):
            return self.add(Kind.EMAIL, value, *variants)
        return self.add(kind, value, *variants)

    def add_dn(self, text: str, *, whole: bool = True) -> None:
        """Every attribute value of a distinguished name but C (`whole`: text that is not a
        DN is one name, such as ACM's issuer `Amazon`)."""
        pairs = parse_dn(text)
        if pairs is None:
            if whole:
                self.add_value(text)
            return
        for attr, raw in pairs:
            if attr.lower() in _COUNTRY:
                continue
            value = _dn_unescape(raw).strip()
            if attr.lower() in _EMAIL_ATTRS:
                self.add(Kind.EMAIL, value, raw)
            else:
                self.add_value(value, Kind.NAME, raw)

    def add_san(self, text: str) -> None:
        """A SAN as `TYPE:value` (ACM lists bare names) or a `CN=...` match."""
        m = _SAN_RE.match(text.strip())
        if m is None:
            if parse_dn(text) is not None and "=" in text.split(":", 1)[0]:
                self.add_dn(text)
            else:
                self.add_host(text)
            return
        kind, value = m.group("type").lower(), m.group("value")
        if kind == "dns":
            self.add_host(value)
        elif kind in ("ip", "ip address"):
            self.add_ip(value)
        elif kind in ("email", "rfc822"):
            self.add_email(value)
        elif kind == "uri":
            self.add_uri(value)
        elif kind == "dirname":
            self.add_dn(value)
        else:
            self.add(Kind.SAN, value)

    def add_general_names(self, text: str) -> None:
        """An extension's names (AIA, CRL distribution points, name constraints)."""
        for piece in _GN_SPLIT_RE.split(text):
            name = _GN_LABEL_RE.sub("", piece.strip(), count=1)
            if _SAN_RE.match(name):
                self.add_san(name)

    def add_uri(self, text: str) -> str | None:
        """A URI: its host hidden as a host, the rest as one value (`https://host-1.example/uri-1`);
        `s3://` ones as bucket, key and version."""
        value = text.strip()
        if value.lower().startswith("s3://"):
            return self.add_s3(value)
        m = re.match(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?:(?P<user>[^@/?#]*)@)?"
                     r"(?P<host>\[[^\]]*\]|[^/?#:]*)(?P<port>:\d*)?(?P<rest>.*)$", value,
                     re.DOTALL)
        if m is None or not m.group("host"):
            return self.add(Kind.URI, value)
        host = self.add_host(m.group("host"))
        user = self.add(Kind.NAME, m.group("user")) if m.group("user") else None
        rest = m.group("rest")
        path = self.add(Kind.URI, rest) if rest not in ("", "/") else None
        scheme, port = m.group("scheme"), m.group("port") or ""
        v6 = m.group("host").startswith("[")

        def compose() -> str:
            h = self.placeholder(host) if host else m.group("host")
            h = f"[{h}]" if v6 and host else h
            u = f"{self.placeholder(user)}@" if user else ""
            return f"{scheme}://{u}{h}{port}" + (f"/{self.placeholder(path)}" if path else rest)

        return self.add(Kind.URI, value, compose=compose)

    def add_s3(self, text: str) -> str | None:
        """`s3://bucket/key?versionId=V`."""
        m = _S3_RE.fullmatch(text.strip())
        if m is None:
            m = _S3_RE.match(text.strip())
            if m is None:
                return self.add(Kind.URI, text)
        bucket = self._part(Kind.BUCKET, m.group("bucket"))
        key = self._part(Kind.KEY, m.group("key")) if m.group("key") else None
        version = self._part(Kind.VERSION, m.group("version")) if m.group("version") else None

        def compose() -> str:
            out = "s3://" + (self.placeholder(bucket) if bucket else m.group("bucket"))
            if m.group("key"):
                out += "/" + (self.placeholder(key) if key else m.group("key"))
            if m.group("version"):
                out += "?versionId=" + (self.placeholder(version) if version
                                        else m.group("version"))
            return out

        whole = self.add(Kind.URI, m.group(0), compose=compose)
        if m.group(0) != text.strip():
            self.add(Kind.URI, text)  # more after the version: the whole thing is one value
        return whole

    def add_arn(self, m: re.Match[str]) -> str | None:
        """An ARN: partition, service and region kept; the account and every resource name
        hidden (resource-type words such as `certificate` or `role` kept)."""
        account = self.add(Kind.ACCOUNT, m.group("account")) if m.group("account") else None
        service, resource = m.group("service"), m.group("resource")
        parts: list[tuple[str, str | None]] = []  # (text, key of its entry or None: kept)
        if service == "s3":
            bucket, sep, rest = resource.partition("/")
            parts.append((bucket, self._part(Kind.BUCKET, bucket) if bucket else None))
            if sep:
                parts.append((sep, None))
                parts.append((rest, self._part(Kind.KEY, rest) if rest else None))
        else:
            tokens = re.split(r"([/:])", resource)
            # the name at the end is hidden even when it is a type word (`role/app`), unless the
            # ARN stops at a separator (`role/<role-name>`, a placeholder follows)
            last = max((i for i, t in enumerate(tokens) if t not in ("", "/", ":")), default=-1)
            if resource.endswith(("/", ":")):
                last = -1
            for i, token in enumerate(tokens):
                if token in ("", "/", ":"):
                    parts.append((token, None))
                    continue
                known = self._variants.get(token.lower())
                if known is not None:
                    parts.append((token, known))
                elif token.lower() in _ARN_WORDS and i != last:
                    parts.append((token, None))
                elif host_like(token) is not None:
                    parts.append((token, self.add_host(token)))
                else:
                    common = token.lower() in _ARN_WORDS
                    parts.append((token, self._part(Kind.RESOURCE, token, matched=not common)))
        prefix = f"arn:{m.group('partition')}:{service}:{m.group('region')}:"

        def compose() -> str:
            acct = self.placeholder(account) if account else (m.group("account") or "")
            return prefix + acct + ":" + "".join(
                self.placeholder(k) if k else t for t, k in parts)

        return self.add(Kind.RESOURCE, m.group(0), compose=compose)

    def _part(self, kind: Kind, value: str, *, matched: bool = True) -> str:
        """A part of a composite: hidden everywhere, or only there when it is too short or too
        common to be replaced wherever it appears (a one-letter key, an ARN's last `app`)."""
        key = self.add(kind, value, matched=matched) if matched else None
        if key is None:
            key = f"\x00{kind}:{value.lower()}"
            self._entries.setdefault(key, _Entry(kind, value, matched=False))
        return key

    def add_file(self, text: str) -> str | None:
        """A file path: `/path-1/file-1.pem` (the directory and the name hidden, each also
        where it appears alone)."""
        path = text.strip()
        if not path or path in ("-", ".", "/") or path.startswith(_SYSTEM_PATHS):
            return None
        sep = max(path.rfind("/"), path.rfind("\\"))
        directory, name = path[:sep], path[sep + 1:]
        if not name:
            return self.add(Kind.DIR, path.rstrip("/\\"))
        dkey = (self.add(Kind.DIR, directory)
                if directory not in ("", ".", "~") and sep > 0 else None)
        nkey = self.add(Kind.FILE, name)
        if sep < 0:
            return nkey

        def compose() -> str:
            d = self.placeholder(dkey) if dkey else directory
            return d + path[sep] + (self.placeholder(nkey) if nkey else name)

        return self.add(Kind.FILE, path, compose=compose)

    def add_source(self, text: str) -> str | None:
        """Where something was read from: a file path, `s3://`, another URI, `host:port`."""
        value = text.strip()
        if not value or value.lower() in _VOCABULARY:
            return None
        if value.lower().startswith("s3://"):
            return self.add_s3(value)
        if "://" in value:
            return self.add_uri(value)
        if _HOST_PORT_RE.match(value) or _ip(value) is not None:
            return self.add_address(value)
        name = host_like(value)
        if name is not None and "." + name.rsplit(".", 1)[-1] not in _FILE_SUFFIXES:
            return self.add_host(value)
        return self.add_file(value)

    def add_location(self, text: str) -> None:
        """A finding's or certificate's location: `SOURCE, certificate #N (line L)`, a URI,
        `host:port`, a path; the ones naming a domain or the served chain carry no value of
        their own."""
        m = _POSITION_RE.match(text.strip())
        source = m.group("src") if m else text.strip()
        if source.startswith("account "):  # a scan's `account A, region R, custom domain D: ...`
            source = source.split(": ", 1)[1] if ": " in source else ""
        if not source or source.startswith(("served chain", "custom domain", "the ",
                                            "API Gateway")):
            return
        where = _WHERE_RE.match(source)
        if where and where.group("file").strip().lower() in self._variants:
            # a template's resource (`iac.model.Where`): its file as the Files table names it
            self.add_source(where.group("file"))
            self.add_resource(where.group("address"))
            if where.group("construct"):
                self.add_construct(where.group("construct"))
            return
        self.add_source(source)

    # -- infrastructure as code ------------------------------------------------------------------

    def add_named(self, kind: str, text: str, refs: tuple[str, ...] = ()) -> None:
        """A string of a field that declares what it names (`iac.model.names`); `refs`: the
        resources an expression references (the other names in it are parameters)."""
        if kind == "address":
            self.add_resource(text)
        elif kind == "construct":
            self.add_construct(text)
        elif kind == "expression":
            self.add_expression(text, refs)
        elif kind in ("file", "uri"):
            self.add_source(text)
        elif kind == "host":
            self.add_host(text)
        elif kind == "arn":
            if "arn:" not in text:  # ARNs are found by their look
                self.add(Kind.RESOURCE, text)
        elif kind != "plain":
            self.add(Kind(kind), text)

    def add_resource(self, text: str) -> str | None:
        """A resource's address: a Terraform address keeps `module`, `data`, its resource
        type, numeric indexes and attributes, and hides module, resource and variable names and
        string keys (`module.resource-1.aws_s3_object.resource-2[0]`), so an address and the
        same address with an index keep one placeholder; a CloudFormation logical id is hidden
        wherever it appears (`resource-1`, `resource-2.Domain` for a SAM API's domain) unless it
        is a common word (`Domain`), which names no one."""
        address = text.strip()
        if not address or address.lower() in _VOCABULARY:
            return None
        if address.startswith("id="):  # a stage's API given by its id (a Terraform state)
            api = self.add(Kind.API, address[3:])
            if api is None:
                return None
            return self.add(Kind.RESOURCE, address, compose=lambda: "id=" + self.placeholder(api))
        tokens = _ADDRESS_TOKEN_RE.findall(address)
        if "".join(tokens) != address:
            return self.add(Kind.RESOURCE, address)
        names = [t for t in tokens if t != "." and not t.startswith("[")]
        terraform = len(names) >= 2 and (names[0] in ("module", "data", "var", "local")
                                         or _TF_TYPE_RE.match(names[0]) is not None)
        parts = self._terraform_parts(tokens) if terraform else self._logical_parts(tokens)
        hidden = [key for _text, key in parts if key is not None]
        if not hidden:
            self._kept.add(address.lower())
            return None
        if len(parts) == 1:
            return hidden[0]
        return self.add(Kind.RESOURCE, address, compose=lambda: "".join(
            self.placeholder(k) if k else t for t, k in parts))

    def _terraform_parts(self, tokens: list[str]) -> list[tuple[str, str | None]]:
        """A Terraform address's pieces, each with the key of its entry or None (kept)."""
        parts: list[tuple[str, str | None]] = []
        state = "start"
        for piece in tokens:
            if piece == ".":
                parts.append((piece, None))
            elif piece.startswith("["):
                key = piece[1:-1]
                if len(key) > 2 and key.startswith('"'):  # a `for_each` key: a name
                    parts += [('["', None), (key[1:-1], self._part(Kind.RESOURCE, key[1:-1],
                                                                   matched=False)), ('"]', None)]
                else:
                    parts.append((piece, None))
            elif state == "start":
                parts.append((piece, None))
                state = {"module": "module", "var": "variable", "local": "variable",
                         "data": "type"}.get(piece, "name")
            elif state in ("module", "name", "variable"):
                kind = Kind.NAME if state == "variable" else Kind.RESOURCE
                parts.append((piece, self._part(kind, piece, matched=False)))
                state = "start" if state == "module" else "attribute"
            else:  # a data source's type, an attribute
                parts.append((piece, None))
                state = "name" if state == "type" else state
        return parts

    def _logical_parts(self, tokens: list[str]) -> list[tuple[str, str | None]]:
        """A CloudFormation logical id and what follows it (`.Domain`, `.Arn`): the id hidden
        wherever it appears, unless it is a common word."""
        first, rest = tokens[0], tokens[1:]
        if first.lower() in _IAC_WORDS or _trivial(first):
            return [(first, None), *((t, None) for t in rest)]
        return [(first, self._part(Kind.RESOURCE, first)), *((t, None) for t in rest)]

    def add_construct(self, text: str) -> str | None:
        """A CDK construct path (`MtlsStack/PartnerDomain/Resource`): every construct id hidden
        wherever it appears, but CDK's own (`Resource`, `Default`) and common words."""
        parts: list[tuple[str, str | None]] = []
        for piece in re.split(r"(/|--)", text.strip()):
            if piece in ("/", "--") or piece.lower() in _IAC_WORDS or _trivial(piece):
                parts.append((piece, None))
            else:
                parts.append((piece, self._part(Kind.RESOURCE, piece)))
        if all(key is None for _text, key in parts):
            return None
        return self.add(Kind.RESOURCE, text, compose=lambda: "".join(
            self.placeholder(k) if k else t for t, k in parts))

    def add_expression(self, text: str, refs: tuple[str, ...] = ()) -> str | None:
        """What sets a value that does not resolve statically (`!Join [...]`, `!Ref Param`,
        `known after apply (aws_s3_object.ts.version_id, ...)`): the resources it references,
        its parameters and variables, and the names, paths, ARNs and S3 URIs in its literals
        hidden; the expression as a whole gets the placeholder made of theirs, so a parameter's
        name is hidden in it without being taken for a name everywhere."""
        spans: list[tuple[int, int, str]] = []
        kept: list[tuple[int, int, str]] = []  # a reference that names no one (`Domain`)

        def take(start: int, end: int, key: str | None) -> None:
            if start < end and all(end <= s or start >= e for s, e, _k in (*spans, *kept)):
                (spans if key is not None else kept).append((start, end, key or ""))

        for m in _ARN_RE.finditer(text):
            take(m.start(), m.end(), self.add_arn(m))
        for m in _S3_RE.finditer(text):
            take(m.start(), m.end(), self.add_s3(m.group(0)))
        for m in _TF_REF_RE.finditer(text):
            take(m.start(), m.end(), self.add_resource(m.group(0)))
        for m in _CFN_REF_RE.finditer(text):
            name = m.group("name")
            if not name.startswith("AWS::"):
                key = (self.add_resource(name) if name in refs
                       else self._part(Kind.NAME, name, matched=False))
                take(m.start("name"), m.end("name"), key)
        literals = [(m.start(1), m.end(1)) for m in _LITERAL_RE.finditer(text)
                    if m.group("key") is None]
        if text.startswith("!Sub ") and not text[5:].lstrip().startswith("["):
            literals.append((5, len(text)))
        for start, end in literals:
            for s, e, key in self._literal_spans(text, start, end):
                take(s, e, key)
        if not spans:
            self._kept.add(text.strip().lower())
            return None
        spans.sort()

        def compose() -> str:
            out, pos = [], 0
            for start, end, key in spans:
                out += [text[pos:start], self.placeholder(key)]
                pos = end
            return "".join(out) + text[pos:]

        return self.add(Kind.RESOURCE, text, compose=compose)

    def _literal_spans(self, text: str, start: int, end: int) -> list[tuple[int, int, str]]:
        """The names in a literal of an expression (`/partners/truststore.pem`, `api.`), each
        fragment between `${...}` on its own: host names and paths hidden wherever they
        appear, account ids too, any other word only in the expression."""
        out: list[tuple[int, int, str]] = []
        bounds = [start, *(x for m in _SUB_VAR_RE.finditer(text, start, end)
                           for x in (m.start(), m.end())), end]
        for fs, fe in zip(bounds[::2], bounds[1::2], strict=True):
            piece = text[fs:fe]
            scheme = re.match(r"\s*[A-Za-z][A-Za-z0-9+.-]*://", piece)
            lead = scheme.end() if scheme else 0
            core = piece[lead:].strip(" /.:-,;")
            if not core or _trivial(core):
                continue
            at = fs + piece.index(core, lead)
            name = host_like(core)
            if ":" in core:
                for m in _ACCOUNT_RE.finditer(core):
                    key = self.add(Kind.ACCOUNT, m.group(0))
                    if key is not None:
                        out.append((at + m.start(), at + m.end(), key))
                continue
            if name is not None and "." + name.rsplit(".", 1)[-1] not in _FILE_SUFFIXES:
                key = self.add_host(core)
            elif "/" in core or "." in core:
                key = self.add(Kind.KEY, core)
            else:
                key = self._part(Kind.NAME, core, matched=False)
            if key is not None:
                out.append((at, at + len(core), key))
        return out

    def add_header(self, name: str, value: str) -> None:
        """An HTTP header's value by its name: request ids, URLs and hosts, and any value not
        known to be harmless."""
        name = name.lower()
        if name in _REQUEST_ID_HEADERS:
            self.add(Kind.REQUEST_ID, value)
        elif name in _URL_HEADERS:
            for m in _URL_RE.finditer(value):
                self.add_uri(m.group(0))
            if "://" not in value:
                self.add_address(value)
        elif name not in _PLAIN_HEADERS:
            self.add(Kind.HEADER, value)

    def add_condition(self, text: str) -> None:
        """A routing rule's header condition (`header: glob`): the glob hidden, the header's
        name kept."""
        name, sep, glob = text.partition(":")
        if sep and glob.strip():
            self.add(Kind.HEADER, glob.strip())
        elif name.strip():
            self.add(Kind.HEADER, name.strip())

    def add_authorizer(self, text: str) -> None:
        """An authorizer as `TYPE: name`: the name hidden (a bare type, `JWT`, `AWS_IAM`,
        stays)."""
        _type, sep, name = text.partition(": ")
        if sep and name.strip():
            self.add(Kind.NAME, name.strip())

    def add_route_key(self, text: str) -> None:
        """A route key: `METHOD /path` keeps its method, a WebSocket route's name is hidden,
        API Gateway's own (`$default`, `$connect`, `$disconnect`) stay."""
        key = text.strip()
        if not key or key.startswith("$"):
            return
        method, sep, path = key.partition(" ")
        if sep and method.isupper() and path.strip() not in ("", "/"):
            self.add(Kind.URI, path.strip())
        elif not sep:
            self.add(Kind.NAME, key)

    def add_command(self, command: str) -> None:
        """The files a printed command names (`--cert F`, `-in F`, `fileb://F`, a path)."""
        try:
            argv = shlex.split(command, comments=False, posix=True)
        except ValueError:
            return
        program = argv[0] if argv else ""
        options = _FILE_OPTIONS.get(program, frozenset())
        for i, arg in enumerate(argv[1:], start=1):
            previous = argv[i - 1]
            option, eq, inline = arg.partition("=")
            if arg.startswith(("fileb://", "file://")):
                self.add_file(arg.split("://", 1)[1])
            elif previous in options:
                self.add_source(arg)
            elif eq and option in options:
                self.add_source(inline)
            elif (program == "mtls-doctor" and i == 2 and argv[1] in ("inspect", "truststore")
                  and "/" in arg):
                self.add_source(arg)
            elif (previous in _OUTPUT_OPTIONS or _PATHISH.match(arg)) and "/" in arg \
                    and "://" not in arg and arg.lower() not in self._variants:
                self.add_file(arg)

    def search(self, text: str, *, everything: bool) -> None:
        """Names of every kind found by their look: ARNs, `s3://` URIs and e-mail addresses in
        any text; in text from outside (`everything`) also URLs, IP and host names, 12-digit
        account ids, request ids and file names."""
        if "arn:" in text:
            for m in _ARN_RE.finditer(text):
                self.add_arn(m)
        if "s3://" in text.lower():
            for m in _S3_RE.finditer(text):
                self.add_s3(m.group(0))
        if "@" in text:
            for m in _EMAIL_RE.finditer(text):
                self.add_email(m.group(0))
        if not everything:
            return
        if "://" in text:
            for m in _URL_RE.finditer(text):
                host = re.sub(r"^[^:]*://(?:[^@/]*@)?([^/:?#]*).*$", r"\1", m.group(0)).lower()
                if not m.group(0).lower().startswith("s3://") and (
                        _AWS_PUBLIC_RE.search(host) is None or _EXECUTE_API_RE.match(host)):
                    self.add_uri(m.group(0))
        for m in _IPV4_RE.finditer(text):
            if _ip(m.group(0).split("/")[0]) is not None:
                self.add_ip(m.group(0))
        if text.count(":") >= 2:
            for m in _IPV6_RE.finditer(text):
                if _ip(m.group(0).split("/")[0]) is not None:
                    self.add_ip(m.group(0))
        for m in _ACCOUNT_RE.finditer(text):
            self.add(Kind.ACCOUNT, m.group(0))
        for m in _REQUEST_ID_RE.finditer(text):
            self.add(Kind.REQUEST_ID, m.group("id"))
        for m in _HOST_RE.finditer(text):
            name = m.group(0).lower()
            if m.group(0) not in (name, m.group(0).upper()):
                continue  # e-mail domains go with the address; `s3.GetObject` is a call
            if "." + name.rsplit(".", 1)[-1] in _FILE_SUFFIXES:
                self.add_file(m.group(0))
            elif _AWS_PUBLIC_RE.search(name) is None or _EXECUTE_API_RE.match(name):
                self.add_host(name)

    # -- placeholders ------------------------------------------------------------------------

    def _assign(self) -> None:
        counters: dict[Kind, int] = {}
        hosts: dict[str, str] = {}

        def number(kind: Kind) -> int:
            counters[kind] = counters.get(kind, 0) + 1
            return counters[kind]

        def host(key: str) -> str:
            if key not in hosts:
                parent = key.split(".", 1)[1] if "." in key else ""
                under = self._entries.get(parent)
                if under is not None and under.kind is Kind.HOST and under.compose is None:
                    base = host(parent)  # the parent is numbered first
                    hosts[key] = f"host-{number(Kind.HOST)}.{base}"
                else:
                    hosts[key] = f"host-{number(Kind.HOST)}.example"
            return hosts[key]

        for key, entry in self._entries.items():
            if entry.compose is not None:
                continue
            if entry.kind is Kind.HOST:
                entry.placeholder = host(key)
            elif entry.kind is Kind.ACCOUNT:
                entry.placeholder = _fake_account(number(Kind.ACCOUNT))
            elif entry.kind is Kind.FILE:
                suffix = "." + entry.value.rsplit(".", 1)[-1].lower() if "." in entry.value else ""
                n = number(Kind.FILE)
                entry.placeholder = f"file-{n}{suffix if suffix in _FILE_SUFFIXES else ''}"
            elif entry.kind is Kind.DIR:
                lead = "/" if entry.value.startswith(("/", "\\")) else ""
                entry.placeholder = f"{lead}path-{number(Kind.DIR)}"
            else:
                entry.placeholder = _PLACEHOLDER[entry.kind].format(number(entry.kind))
        for key in self._entries:
            self.placeholder(key)

    def _compile(self) -> None:
        """One regular expression finds where a value may start: a trie of every value's first
        `_HEAD` characters (so its size and depth stay bounded however many and however long
        the values are); `text` then checks the whole values that start so, longest first."""
        words = {v for v, key in self._variants.items() if self._entries[key].matched}
        self._long = {}
        for w in words:
            if len(w) > _HEAD:
                self._long.setdefault(w[:_HEAD], []).append(w)
        for candidates in self._long.values():
            candidates.sort(key=len, reverse=True)
        self._short = {w for w in words if len(w) <= _HEAD}
        heads = self._short | set(self._long)
        self._pattern = (re.compile(f"(?<!{_WORD})(?:{_trie(heads)})", re.IGNORECASE)
                         if heads else None)

    # -- applying it -----------------------------------------------------------------------------

    def _value_at(self, text: str, lowered: str | None, i: int, head: str) -> tuple[int, str] | None:
        """(the end, the placeholder) of the longest value that starts at `i` as a whole word,
        or None."""
        low = head.lower()
        candidates = [*self._long.get(low, ()), *self._long.get(head, ())] \
            if len(head) >= _HEAD else []
        candidates += [low[:k] for k in range(len(low), 0, -1) if low[:k] in self._short]
        for word in candidates:
            end = i + len(word)
            if lowered is not None:
                same = lowered.startswith(word, i)
            else:
                seg = text[i:end]
                same = seg.lower() == word or seg == word
            if not same or (end < len(text) and _WORD_CHAR.match(text, end)):
                continue
            entry = self._entries[self._variants[word]]
            if entry.kind is Kind.IP and (re.match(r"\.\d", text[end:end + 2])
                                          or re.fullmatch(r"\d\.", text[max(0, i - 2):i])):
                continue  # inside a longer dotted number (an OID)
            return end, entry.placeholder
        return None

    def text(self, text: str) -> str:
        """One string with every hidden value replaced: whole words only, the longest value
        at each place, in one pass (a placeholder is never looked at again)."""
        if self._pattern is None or not text:
            return text
        lowered: str | None = text.lower()
        if len(lowered or "") != len(text):
            lowered = None
        out: list[str] = []
        pos = at = 0
        while True:
            m = self._pattern.search(text, at)
            if m is None:
                break
            found = self._value_at(text, lowered, m.start(), m.group(0))
            if found is None:
                at = m.start() + 1
                continue
            out += [text[pos:m.start()], found[1]]
            pos = at = found[0]
        out.append(text[pos:])
        return "".join(out)

    def _key(self, key: Any) -> Any:
        """A mapping's key: our field names and header names stay, values (ARNs) do not."""
        if isinstance(key, str) and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key):
            return self.text(key)
        return key

    def model(self, obj: Any, key: str | None = None) -> Any:
        """A report model value (frozen dataclasses, enums, mappings, tuples) with every string
        redacted and its types kept."""
        if isinstance(obj, Enum):
            return obj  # str-enums are our own vocabulary, and must stay enum members
        if isinstance(obj, str):
            return obj if key in _KEEP else self.text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            # a check's title is ours (model/checks.py): a stage named `live` must not turn
            # "the templates match the live domains" into "... the stage-1 domains"
            changes = {f.name: self.model(getattr(obj, f.name), f.name)
                       for f in dataclasses.fields(obj)
                       if f.init and not (f.name == "title" and isinstance(obj, Check))}
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, Mapping):
            return {self._key(k): self.model(v, str(k)) for k, v in obj.items()}
        if isinstance(obj, tuple):
            return tuple(self.model(v, key) for v in obj)
        if isinstance(obj, list):
            return [self.model(v, key) for v in obj]
        if isinstance(obj, set | frozenset):
            return type(obj)(self.model(v, key) for v in obj)
        return obj

    def report(self, report: Report) -> Report:
        """The report with every string redacted (types, enums and dates kept)."""
        redacted: Report = self.model(report)
        return redacted

    @property
    def placeholders(self) -> dict[str, str]:
        """Each hidden value (as first written) and its placeholder."""
        return {e.value: e.placeholder for k, e in self._entries.items()
                if not k.startswith("\x00")}


@functools.cache
def _declared(cls: type) -> dict[str, str]:
    """The fields of a dataclass that declare what they name (`iac.model.names`), by name."""
    return {f.name: f.metadata["redact"] for f in dataclasses.fields(cls)
            if "redact" in f.metadata}


def _items(obj: Any) -> Iterator[tuple[str, Any]]:
    """A dataclass's reported fields or a mapping's items, as (name, value)."""
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield str(k), v
    else:
        for f in dataclasses.fields(obj):
            if f.metadata.get("report", True):
                yield f.name, getattr(obj, f.name)


def _trie(words: Iterable[str]) -> str:
    """One regular expression matching any of `words`, longest first, built as a trie so that
    its cost does not grow with the number of words."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict[str, Any]) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            child, run = node[ch], ch
            while len(child) == 1 and "" not in child:  # a chain with no choice: one literal
                (nxt, child), = child.items()
                run += nxt
            branches.append(re.escape(run) + emit(child))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return emit(root)


def redact_report(report: Report, files: Iterable[str] = ()) -> Report:
    """The report with every identifying value replaced consistently, so that every renderer
    (text, JSON, Markdown, HTML) shows the same placeholders; `files` are paths the command read
    (hidden wherever they appear, even where the report does not say they are files)."""
    return Redactor.for_report(report, files).report(report)
