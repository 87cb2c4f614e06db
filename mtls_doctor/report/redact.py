"""`--redact`: consistent pseudonyms for AWS account ids, ARNs, S3 bucket names and host names.

The mapping is collected from the report's JSON document (the one source every renderer reads)
and then applied to every string of it, dictionary keys included, so a name is replaced wherever
it appears: in its own field, inside a finding's detail, a fix command or a file location. The
same input always maps to the same output within one report:

- account ids (12 digits) -> `111111111111`, `222222222222`, ...
- ARNs -> partition, service and region kept; the account faked; the resource id after the last
  `/` or `:` replaced (`certificate/resource-1`), by its host or bucket pseudonym when it is one
- S3 buckets (`s3://` URIs, `bucket` fields, S3 ARNs) -> `bucket-1`, ...
- host names (probe target and SNI, `--host`, SANs, host-like CNs, domain names, regional and
  canonical names, execute-api / CloudFront names) -> `host-1.example`, ...; `*.X` becomes
  `*.` + pseudonym(X), and a name one label below a wildcard's base stays below it
  (`api.example.com` under `*.example.com` -> `host-2.host-1.example`) so that wildcard matches
  still read true after redaction.

`redact(doc)` works on the JSON document; `redact_report(report)` applies the same mapping to the
report model itself, for the text renderer (and every other renderer reads `document()` of it).
IP addresses, API ids and certificate serials / fingerprints are kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

from mtls_doctor.model.report import Report

#: values of these keys are hex identifiers of certificates; never rewritten
_KEEP = frozenset({"serial", "ski", "aki", "sha256_fingerprint", "fingerprints", "schema",
                   "tool_version", "generated_at"})
#: keys whose string values name a host
_HOST_KEYS = frozenset({"host", "sni", "regional_domain_name", "dns_canonical", "domain_name"})

_RESOURCE_CHARS = r"[^\s'\"<>,;()\[\]{}`|]"
_ARN = (r"\barn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
        rf"(?P<account>\d{{12}})?:(?P<resource>{_RESOURCE_CHARS}*[^\s'\"<>,;()\[\]{{}}`|.])")
_S3 = r"\bs3://(?P<bucket>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
_ACCOUNT = r"(?<![0-9A-Za-z])(?P<account_id>\d{12})(?![0-9A-Za-z])"
_ARN_RE = re.compile(_ARN)
_S3_RE = re.compile(_S3)
#: AWS-generated host names that identify an API or a distribution wherever they appear
_AWS_HOST_RE = re.compile(r"(?<![A-Za-z0-9_-])((?:[A-Za-z0-9-]+\.execute-api\.[a-z0-9-]+"
                          r"\.amazonaws\.com(?:\.cn)?)|(?:[a-z0-9]+\.cloudfront\.net))"
                          r"(?![A-Za-z0-9_-])", re.IGNORECASE)
_CN_RE = re.compile(r"(?:^|[,+])\s*CN=((?:\\.|[^,+\\])+)")
_HOSTNAME_RE = re.compile(
    r"^(?:\*\.)?(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+"
    r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_BOUNDARY_BEFORE = r"(?<![A-Za-z0-9_-])"
_BOUNDARY_AFTER = r"(?![A-Za-z0-9_-])"


def host_like(text: str) -> str | None:
    """`text` as a lower-case host name (a trailing dot dropped), or None when it is not one:
    at least two labels, the last starting with a letter (so IP addresses are not)."""
    name = text.strip().rstrip(".").lower()
    return name if _HOSTNAME_RE.match(name) else None


def _strings(obj: Any, key: str | None = None) -> Iterator[tuple[str | None, str]]:
    """Every (key, string) of a JSON value, dictionary keys included, in document order."""
    if isinstance(obj, str):
        yield key, obj
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            if isinstance(k, str):
                yield None, k
            yield from _strings(v, k if isinstance(k, str) else key)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _strings(v, key)


def _fake_account(n: int) -> str:
    return str(n) * 12 if n < 10 else f"{n:012d}"


class Redactor:
    """One report's pseudonyms, and the functions that apply them."""

    def __init__(self, hosts: list[str], buckets: list[str]) -> None:
        self.hosts: dict[str, str] = {}
        self.buckets: dict[str, str] = {}
        self.accounts: dict[str, str] = {}
        self.resources: dict[str, str] = {}
        self._bucket_count = 0
        self._assign_hosts(hosts)
        for b in buckets:
            self._bucket(b)
        alternatives = [_ARN, _S3]
        if self.hosts:
            names = "|".join(re.escape(h) for h in sorted(self.hosts, key=len, reverse=True))
            alternatives.append(f"{_BOUNDARY_BEFORE}(?P<host>(?i:{names})){_BOUNDARY_AFTER}")
        if self.buckets:
            names = "|".join(re.escape(b) for b in sorted(self.buckets, key=len, reverse=True))
            alternatives.append(rf"(?<![A-Za-z0-9_.-])(?P<bucket_name>{names})(?![A-Za-z0-9_.-])")
        alternatives.append(_ACCOUNT)
        self._pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))

    # -- building the mapping --------------------------------------------------------------

    @classmethod
    def for_document(cls, doc: Mapping[str, Any]) -> Redactor:
        """The pseudonyms for one JSON document, numbered in the order names first appear."""
        hosts: dict[str, None] = {}
        buckets: dict[str, None] = {}

        def add_host(text: str) -> None:
            name = host_like(text)
            if name is not None:
                hosts.setdefault(name)

        def visit(obj: Any, path: tuple[str, ...]) -> None:
            if isinstance(obj, Mapping):
                for k, v in obj.items():
                    key = str(k)
                    if isinstance(v, str):
                        if key in _HOST_KEYS or (key == "name" and path[-1:] == ("domain",)):
                            add_host(v)
                        elif key == "bucket":
                            buckets.setdefault(v)
                    elif key == "sans" and isinstance(v, list | tuple):
                        for san in v:
                            if isinstance(san, str):
                                kind, sep, value = san.partition(":")
                                if not sep:
                                    add_host(san)
                                elif kind.upper() == "DNS":
                                    add_host(value)
                    visit(v, (*path, key))
            elif isinstance(obj, list | tuple):
                for v in obj:
                    visit(v, path)

        visit(doc, ())
        for key, text in _strings(doc):
            if key in _KEEP:
                continue
            for m in _S3_RE.finditer(text):
                buckets.setdefault(m.group("bucket"))
            for m in _ARN_RE.finditer(text):
                if m.group("service") == "s3":
                    bucket = m.group("resource").split("/", 1)[0]
                    if bucket:
                        buckets.setdefault(bucket)
            for m in _AWS_HOST_RE.finditer(text):
                add_host(m.group(1))
            for m in _CN_RE.finditer(text):
                add_host(m.group(1).replace("\\", ""))
        redactor = cls(list(hosts), list(buckets))
        # a dry run numbers accounts and resource ids in document order
        for key, text in _strings(doc):
            if key not in _KEEP:
                redactor.text(text)
        return redactor

    def _assign_hosts(self, names: list[str]) -> None:
        bases = {n[2:] for n in names if n.startswith("*.")}
        counter = iter(range(1, 1_000_000))

        def assign(name: str) -> str:
            if name not in self.hosts:
                parent = name.split(".", 1)[1] if "." in name else ""
                if parent in bases:
                    base = assign(parent)  # the parent is numbered first
                    self.hosts[name] = f"host-{next(counter)}.{base}"
                else:
                    self.hosts[name] = f"host-{next(counter)}.example"
            return self.hosts[name]

        for name in names:
            # a wildcard is rewritten through its base: `*.` is kept by the substitution itself
            assign(name[2:] if name.startswith("*.") else name)

    def _bucket(self, name: str) -> str:
        if name not in self.buckets:
            host = self.hosts.get(name.lower())
            # a bucket named like a host keeps the host's pseudonym: one name, one pseudonym
            if host is None:
                self._bucket_count += 1
            self.buckets[name] = host or f"bucket-{self._bucket_count}"
        return self.buckets[name]

    def _account(self, account: str) -> str:
        if account not in self.accounts:
            self.accounts[account] = _fake_account(len(self.accounts) + 1)
        return self.accounts[account]

    def _resource(self, ident: str) -> str:
        host = self.hosts.get(ident.lower())
        if host is not None:
            return host
        if ident in self.buckets:
            return self.buckets[ident]
        if ident not in self.resources:
            self.resources[ident] = f"resource-{len(self.resources) + 1}"
        return self.resources[ident]

    # -- applying it ---------------------------------------------------------------------

    def _arn(self, m: re.Match[str]) -> str:
        account = self._account(m.group("account")) if m.group("account") else ""
        resource = m.group("resource")
        if m.group("service") == "s3":
            bucket, sep, rest = resource.partition("/")
            new = (self._bucket(bucket) if bucket else "") + sep + self.text(rest)
        else:
            cut = max(resource.rfind("/"), resource.rfind(":")) + 1
            prefix, ident = resource[:cut], resource[cut:]
            new = self.text(prefix) + (self._resource(ident) if ident else "")
        return f"arn:{m.group('partition')}:{m.group('service')}:{m.group('region')}:{account}:{new}"

    def _replace(self, m: re.Match[str]) -> str:
        if m.group("partition") is not None:
            return self._arn(m)
        if m.group("bucket") is not None:
            return "s3://" + self._bucket(m.group("bucket"))
        groups = m.groupdict()
        if groups.get("host") is not None:
            return self.hosts[m.group("host").lower()]
        if groups.get("bucket_name") is not None:
            return self._bucket(m.group("bucket_name"))
        return self._account(m.group("account_id"))

    def text(self, text: str) -> str:
        """One string with every sensitive name replaced."""
        return self._pattern.sub(self._replace, text)

    def document(self, doc: Any, key: str | None = None) -> Any:
        """A JSON value with every string (and dictionary key) redacted."""
        if isinstance(doc, str):
            return doc if key in _KEEP else self.text(doc)
        if isinstance(doc, Mapping):
            return {(self.text(k) if isinstance(k, str) else k): self.document(v, str(k))
                    for k, v in doc.items()}
        if isinstance(doc, list | tuple):
            return [self.document(v, key) for v in doc]
        return doc

    def model(self, obj: Any, key: str | None = None) -> Any:
        """A report model value (frozen dataclasses, enums, mappings, tuples) with every string
        redacted and its types kept."""
        if isinstance(obj, Enum):
            return obj  # str-enums are our own vocabulary, and must stay enum members
        if isinstance(obj, str):
            return obj if key in _KEEP else self.text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self.model(getattr(obj, f.name), f.name)
                       for f in dataclasses.fields(obj) if f.init}
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, Mapping):
            return {(self.text(k) if isinstance(k, str) else k): self.model(v, str(k))
                    for k, v in obj.items()}
        if isinstance(obj, tuple):
            return tuple(self.model(v, key) for v in obj)
        if isinstance(obj, list):
            return [self.model(v, key) for v in obj]
        if isinstance(obj, set | frozenset):
            return type(obj)(self.model(v, key) for v in obj)
        return obj


def redact(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document with account ids, ARNs, bucket and host names replaced consistently."""
    result: dict[str, Any] = Redactor.for_document(doc).document(doc)
    return result


def redact_report(report: Report) -> Report:
    """The report with the mapping `redact(document(report))` uses applied to every string, so
    every renderer (text included) shows the same pseudonyms."""
    from mtls_doctor.report.json import document

    redacted: Report = Redactor.for_document(document(report)).model(report)
    return redacted
