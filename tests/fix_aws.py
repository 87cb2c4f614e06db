"""What `fix --apply` needs from AWS that moto 5 does not model: apigatewayv2 UpdateDomainName.

`ApplyProxy` is the loopback proxy of tests/aws_faults.py (faults, recorded answers, the log of
every request) that also stands in for UpdateDomainName of HTTP API domains: the request's
`mutualTlsAuthentication` and `domainNameConfigurations` are written into moto's own domain
(moto's server mode runs in this process), and the answer is moto's view of the domain after
the update, checked against botocore's model. GetDomainName then answers from moto, as AWS would
after an update. Faults added with `fail()` come first: a failing update changes nothing.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from tests.aws_faults import FaultProxy, Rule, Seen, json_answer, shape_errors

ACCOUNT = "123456789012"  # moto's default account


def moto_domain(name: str, region: str) -> Any:
    """moto's apigatewayv2 domain object (in-process)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[ACCOUNT][region].domain_names[name]


@dataclass
class ApplyProxy(FaultProxy):
    """The fault proxy, answering apigatewayv2 UpdateDomainName for the domain `name`."""

    name: str = ""
    region: str = "us-east-1"
    updates: list[dict[str, Any]] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)

    @property
    def _fixed(self) -> str | None:
        return getattr(self._local, "operation", None)

    @_fixed.setter
    def _fixed(self, operation: str) -> None:
        self._local.operation = operation

    def _rule_for(self, service: str, operation: str, region: str | None,
                  query: dict[str, str] | None = None, body: bytes = b"") -> Rule | None:
        operation = self._fixed = _s3_operation(service, operation, query or {}, body)
        rule = super()._rule_for(service, operation, region, query, body)
        if rule is not None or (service, operation) != ("apigatewayv2", "UpdateDomainName"):
            return rule
        doc = json.loads(body or b"{}")
        self.updates.append(doc)
        domain = moto_domain(self.name, region or self.region)
        if "mutualTlsAuthentication" in doc:
            domain.mutual_tls_authentication = dict(doc["mutualTlsAuthentication"])
        if doc.get("domainNameConfigurations"):
            old = (domain.domain_name_configurations or [{}])[0]
            domain.domain_name_configurations = [{**old, **doc["domainNameConfigurations"][0]}]
        answer = {k: v for k, v in domain.to_json().items() if v not in ({}, None)}
        errors = shape_errors("apigatewayv2", "UpdateDomainName", answer)
        assert not errors, errors
        return Rule(service, operation, "recorded", answer=json_answer(service, answer))

    def _record(self, seen: Seen) -> None:
        if self._fixed and seen.service == "s3" and seen.operation != self._fixed:
            seen = replace(seen, operation=self._fixed)
        super()._record(seen)


def _s3_operation(service: str, operation: str, query: dict[str, str], body: bytes) -> str:
    """The S3 operation of a request that the proxy's path matching cannot tell from another
    with the same method and path: PutObject from CopyObject (a PUT with a body is an upload;
    only CopyObject's header, which the proxy does not read, says otherwise), DeleteObject from
    AbortMultipartUpload (which carries an uploadId)."""
    if service != "s3":
        return operation
    if operation == "CopyObject" and body:
        return "PutObject"
    if operation == "AbortMultipartUpload" and "uploadId" not in query:
        return "DeleteObject"
    return operation
