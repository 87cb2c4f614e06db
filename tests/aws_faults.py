"""A fault-injecting HTTP proxy on loopback in front of moto's server mode.

moto 5 cannot say "AccessDenied", "throttled", "500" or "never answers" for the calls the `domain`
command makes (its IAM mode even rejects API Gateway's signatures), so the tests put this proxy
between boto3 and moto: every request is forwarded byte for byte, except those that match a rule,
which get the answer AWS gives for that fault instead. Each request is identified from what boto3
sends (the SigV4 credential scope names service and region; the path, `X-Amz-Target` or the form
`Action` names the operation, matched against botocore's own service models) and logged.

    proxy = FaultProxy(moto_endpoint).start()
    proxy.fail("apigatewayv2", "GetDomainName", "denied", region="us-east-1", times=None)
    ...
    proxy.seen(service="apigatewayv2")  # what boto3 asked, and which fault it got
    proxy.stop()

Faults (`FAULTS`), each answered in the service's own protocol with an error code and body shape
checked against botocore's service model (see `test_fault_bodies_fit_botocore_models`):

- ``denied``: the caller's IAM policy lacks the action (apigateway/apigatewayv2: 403
  AccessDeniedException `{"message": ...}` naming apigateway:GET; acm: 400
  `{"__type": "AccessDeniedException", "Message": ...}`, the member as ACM's model spells it;
  s3: 403 AccessDenied "Access Denied", S3's message that names no action).
  STS GetCallerIdentity cannot be denied, so STS has no ``denied``.
- ``kms_denied`` (s3 only): 403 AccessDenied whose message says the caller "is not authorized to
  perform: kms:Decrypt on resource: arn:aws:kms:...", as S3 answers GetObject of an SSE-KMS object.
- ``throttled``: apigateway/apigatewayv2 429 TooManyRequestsException; acm 400
  ThrottlingException; s3 503 SlowDown; sts 400 Throttling.
- ``internal``: 500 InternalFailure (s3: InternalError).
- ``junk``: 200 with a body that is neither JSON nor XML.
- ``hang``: the request is read and never answered; the socket is held until `stop()`.
- ``not_enabled``: what an opt-in region that the account has not enabled answers: 403
  UnrecognizedClientException "The security token included in the request is invalid." (acm:
  400; sts: 403 InvalidClientTokenId). S3 has no such answer here.

Recorded answers (`answer()`), for what moto cannot hold (routing rules, a private domain's
`domainNameId`, `endpointAccessMode`, ACM's `InUseBy`, REST `mutualTlsAuthentication`): the body
is JSON in the exact wire shape of botocore's service model, and `answer()` refuses one that does
not fit it (`shape_errors`: every member exists under its wire name, types and enums fit), so the
tests never teach the code a shape AWS does not produce. The bodies the tests start from are kept
in tests/data/aws/ (`recorded()`), each checked by `test_recorded_responses_fit_botocore_models`.

    proxy.answer("apigatewayv2", "ListRoutingRules", {"routingRules": [...]},
                  query={"nextToken": None})  # only the request without a nextToken

Only loopback is used: the proxy listens on 127.0.0.1 and forwards to the moto endpoint given.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from mtls_doctor.aws import collect
from tests.test_domain import Dns, Moto, _reset, clean_aws_env, moto_endpoint

DATA = Path(__file__).resolve().parent / "data" / "aws"

__all__ = ["FAULTS", "FaultProxy", "FaultyAws", "Seen", "faulty_aws", "identify", "moto_endpoint",
           "recorded", "shape_errors"]

#: every fault a rule can apply
FAULTS = ("denied", "kms_denied", "throttled", "internal", "junk", "hang", "not_enabled")

ACCOUNT = "123456789012"
CALLER = f"arn:aws:iam::{ACCOUNT}:user/ci"
KMS_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
JUNK = b"upstream connect error or disconnect/reset before headers. reset reason: overflow"
NOT_ENABLED_MESSAGE = "The security token included in the request is invalid."

#: botocore service name -> protocol of the answers the proxy invents
PROTOCOLS = {"apigateway": "rest-json", "apigatewayv2": "rest-json", "acm": "json",
             "s3": "rest-xml", "sts": "query"}
#: IAM action in the denial message, per (service, operation); the default is service:Operation
_ACTIONS = {"apigateway": "apigateway:GET", "apigatewayv2": "apigateway:GET"}

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")


# --- which request is it ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    path: re.Pattern[str]
    query: tuple[tuple[str, str], ...]  # required keys, with the value they must have ("" = any)
    literal: int  # characters of the template that are not placeholders (more = more specific)


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.cache
def _routes(service: str) -> tuple[_Route, ...]:
    """Every operation of a REST-protocol service as (method, path regex, required query)."""
    model = _model(service)
    routes = []
    for name in model.operation_names:
        http_spec = model.operation_model(name).http
        path, _, query = str(http_spec.get("requestUri", "/")).partition("?")
        pattern, literal, pos = "", 0, 0
        for m in re.finditer(r"\{([^}]+)\}", path):
            pattern += re.escape(path[pos:m.start()])
            literal += m.start() - pos
            pattern += ".+" if m.group(1).endswith("+") else "[^/]+"
            pos = m.end()
        pattern += re.escape(path[pos:])
        literal += len(path) - pos
        required = tuple((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "x-id")
        routes.append(_Route(name, str(http_spec.get("method", "GET")),
                             re.compile(f"^{pattern}/?$"), required, literal))
    return tuple(routes)


def _rest_operation(service: str, method: str, path: str, query: dict[str, str]) -> str | None:
    best: tuple[int, int] | None = None
    found = None
    for route in _routes(service):
        if route.method != method or not route.path.match(path):
            continue
        if any(k not in query or (v and query[k] != v) for k, v in route.query):
            continue
        score = (len(route.query), route.literal)
        if best is None or score > best:
            best, found = score, route.operation
    return found


def identify(method: str, target: str, headers: Any, body: bytes) -> tuple[str, str, str | None]:
    """(service, operation, region) of a request boto3 sent: the service and region from the SigV4
    credential scope (`apigateway` signs both the REST and the HTTP APIs' calls; `/v2/` paths are
    `apigatewayv2`), the operation from the path and query (REST-JSON / REST-XML), the
    `X-Amz-Target` header (JSON) or the `Action` parameter (query). Unknown parts are "?"."""
    url = urlsplit(target)
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    scope = (_CREDENTIAL.search(str(headers.get("Authorization") or ""))
             or _CREDENTIAL.search("Credential=" + query.get("X-Amz-Credential", "")))
    region, service = (scope.group(1), scope.group(2)) if scope else (None, "?")
    if service == "apigateway" and url.path.startswith("/v2/"):
        service = "apigatewayv2"
    operation: str | None = None
    try:
        protocol = _model(service).protocol if service != "?" else None
    except Exception:  # noqa: BLE001 - a service botocore does not know: keep the raw request
        protocol = None
    if protocol in ("rest-json", "rest-xml"):
        operation = _rest_operation(service, method, url.path, query)
        if operation is None and service == "s3":  # virtual-hosted style: the bucket is the host
            operation = _rest_operation(service, method, "/bucket" + url.path, query)
    elif protocol == "json":
        operation = str(headers.get("X-Amz-Target", "")).rpartition(".")[2] or None
    elif protocol == "query":
        form = dict(parse_qsl(body.decode("utf-8", "replace"))) if body else {}
        operation = form.get("Action") or query.get("Action")
    return service, operation or f"? {method} {url.path}", region


# --- the answers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _denial(service: str, operation: str, region: str | None, action: str | None) -> str:
    action = action or _ACTIONS.get(service, f"{service}:{operation}")
    where = {"apigateway": f"arn:aws:apigateway:{region}::/domainnames",
             "apigatewayv2": f"arn:aws:apigateway:{region}::/domainnames",
             "acm": f"arn:aws:acm:{region}:{ACCOUNT}:certificate/*"}.get(service, "*")
    return (f"User: {CALLER} is not authorized to perform: {action} on resource: {where} "
            f"because no identity-based policy allows the {action} action")


def answer_for(fault: str, service: str, operation: str, region: str | None,
               message: str | None = None) -> Answer:
    """The response AWS sends for `fault` on this call, in the service's protocol."""
    protocol = PROTOCOLS.get(service)
    if protocol is None:
        raise ValueError(f"no fault answers for the service {service!r}")
    request_id = str(uuid.uuid4())
    if fault == "junk":
        kind = {"rest-xml": "application/xml", "query": "text/xml"}.get(protocol, "application/json")
        return Answer(200, (("Content-Type", kind), ("x-amzn-RequestId", request_id)), JUNK)
    if fault == "kms_denied" and service != "s3":
        raise ValueError("kms_denied is an S3 answer (GetObject of an SSE-KMS object)")
    if fault == "denied" and service == "sts":
        raise ValueError("STS GetCallerIdentity is never denied; there is no such answer")
    if fault == "not_enabled" and service == "s3":
        raise ValueError("S3 has no not_enabled answer here")
    if protocol == "rest-json":
        status, code, text = {
            "denied": (403, "AccessDeniedException", _denial(service, operation, region, None)),
            "throttled": (429, "TooManyRequestsException", "Too Many Requests"),
            "internal": (500, "InternalFailure", "Internal server error"),
            "not_enabled": (403, "UnrecognizedClientException", NOT_ENABLED_MESSAGE),
        }[fault]
        body = json.dumps({"message": message or text}).encode()
        return Answer(status, (("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                               ("x-amzn-RequestId", request_id)), body)
    if protocol == "json":
        status, code, text = {
            "denied": (400, "AccessDeniedException", _denial(service, operation, region, None)),
            "throttled": (400, "ThrottlingException", "Rate exceeded"),
            "internal": (500, "InternalFailure",
                         "The request processing has failed because of an unknown error, "
                         "exception or failure."),
            "not_enabled": (400, "UnrecognizedClientException", NOT_ENABLED_MESSAGE),
        }[fault]
        # ACM's AccessDeniedException names its member "Message"; its other errors "message"
        key = "Message" if code == "AccessDeniedException" else "message"
        body = json.dumps({"__type": code, key: message or text}).encode()
        return Answer(status, (("Content-Type", "application/x-amz-json-1.1"),
                               ("x-amzn-RequestId", request_id)), body)
    if protocol == "rest-xml":
        kms = f"arn:aws:kms:{region or 'us-east-1'}:{ACCOUNT}:key/{KMS_KEY}"
        status, code, text = {
            "denied": (403, "AccessDenied", "Access Denied"),
            "kms_denied": (403, "AccessDenied",
                           f"User: {CALLER} is not authorized to perform: kms:Decrypt on resource: "
                           f"{kms} because no identity-based policy allows the kms:Decrypt action"),
            "throttled": (503, "SlowDown", "Please reduce your request rate."),
            "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
        }[fault]
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{_xml(message or text)}</Message><RequestId>{request_id[:16]}</RequestId>"
                f"<HostId>{uuid.uuid4().hex}</HostId></Error>").encode()
        return Answer(status, (("Content-Type", "application/xml"),
                               ("x-amz-request-id", request_id[:16])), body)
    status, code, text, sender = {
        "throttled": (400, "Throttling", "Rate exceeded", "Sender"),
        "internal": (500, "InternalFailure", "An internal error occurred.", "Receiver"),
        "not_enabled": (403, "InvalidClientTokenId", NOT_ENABLED_MESSAGE, "Sender"),
    }[fault]
    body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>{sender}</Type><Code>{code}</Code><Message>{_xml(message or text)}"
            f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
    return Answer(status, (("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)), body)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- recorded answers ------------------------------------------------------------------------------

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,), "blob": (str,), "boolean": (bool,), "integer": (int,), "long": (int,),
    "float": (int, float), "double": (int, float), "timestamp": (str, int, float)}


def shape_errors(service: str, operation: str, body: Any) -> list[str]:
    """How `body` (a JSON answer as sent on the wire) does not fit the output shape botocore's
    model gives `service`.`operation`: unknown members (by wire name), wrong types, values
    outside an enum, missing required members. Empty when it fits."""
    shape = _model(service).operation_model(operation).output_shape
    errors: list[str] = []
    if shape is None:
        return ["the operation has no output"]
    _walk(shape, body, operation, errors, top=True)
    return errors


def _walk(shape: Any, value: Any, where: str, errors: list[str], top: bool = False) -> None:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            errors.append(f"{where}: a {type(value).__name__}, not an object")
            return
        members = {}
        for name, member in shape.members.items():
            if top and member.serialization.get("location"):
                continue  # headers and the status code are not in the body
            members[member.serialization.get("name", name)] = (name, member)
        for key, item in value.items():
            if key not in members:
                errors.append(f"{where}.{key}: no such member")
                continue
            _walk(members[key][1], item, f"{where}.{key}", errors)
        for name in getattr(shape, "required_members", ()) or ():
            member = shape.members[name]
            if not (top and member.serialization.get("location")) and \
                    member.serialization.get("name", name) not in value:
                errors.append(f"{where}: lacks the required {name}")
    elif kind == "list":
        if not isinstance(value, list):
            errors.append(f"{where}: a {type(value).__name__}, not a list")
            return
        for i, item in enumerate(value):
            _walk(shape.member, item, f"{where}[{i}]", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            errors.append(f"{where}: a {type(value).__name__}, not a map")
            return
        for key, item in value.items():
            _walk(shape.value, item, f"{where}[{key}]", errors)
    else:
        types = _SCALARS.get(kind, (object,))
        if not isinstance(value, types) or (kind != "boolean" and isinstance(value, bool)):
            errors.append(f"{where}: {value!r} is not a {kind}")
        elif kind == "string" and getattr(shape, "enum", None) and value not in shape.enum:
            errors.append(f"{where}: {value!r} is not one of {', '.join(shape.enum)}")


def recorded(file: str, /, **values: Any) -> dict[str, Any]:
    """The recorded answer tests/data/aws/FILE.json (`{"service", "operation", "body"}`), with
    each `${key}` replaced by values[key]: inside a JSON string as its text, or, for a value that
    is not a string, the whole `"${key}"` string by the JSON value (a number, a list)."""
    text = (DATA / f"{file}.json").read_text(encoding="utf-8")
    for key, value in values.items():
        if not isinstance(value, str):
            text = text.replace(f'"${{{key}}}"', json.dumps(value))
        text = text.replace("${" + key + "}", json.dumps(str(value))[1:-1])
    doc: dict[str, Any] = json.loads(text)
    return doc


def json_answer(service: str, body: dict[str, Any], status: int = 200) -> Answer:
    """A recorded answer in the service's JSON protocol."""
    kind = "application/x-amz-json-1.1" if PROTOCOLS.get(service) == "json" else "application/json"
    return Answer(status, (("Content-Type", kind), ("x-amzn-RequestId", str(uuid.uuid4()))),
                  json.dumps(body).encode())


# --- rules and the log ------------------------------------------------------------------------------

@dataclass
class Rule:
    """Answer `fault` to `service`.`operation` (in `region`, or any), `times` times (or always)."""

    service: str
    operation: str
    fault: str
    region: str | None = None
    times: int | None = None
    message: str | None = None
    used: int = 0
    #: a recorded answer (`fault` is then "recorded")
    answer: Answer | None = None
    #: query parameters the request must carry with these values (None: must not carry it)
    query: dict[str, str | None] | None = None
    #: text the request body must contain (JSON protocols: e.g. a CertificateArn)
    contains: str | None = None

    def matches(self, service: str, operation: str, region: str | None,
                query: dict[str, str] | None = None, body: bytes = b"") -> bool:
        if not (self.service == service and self.operation == operation
                and (self.region is None or self.region == region)
                and (self.times is None or self.used < self.times)):
            return False
        got = query or {}
        if self.query and any(got.get(k) != v for k, v in self.query.items()):
            return False
        return self.contains is None or self.contains.encode() in body


@dataclass(frozen=True)
class Seen:
    """One request the proxy received."""

    service: str
    operation: str
    region: str | None
    fault: str | None  # the fault answered ("recorded": a recorded answer), None: moto answered
    at: float  # time.monotonic() when it arrived
    method: str = ""
    path: str = ""

    @property
    def call(self) -> str:
        return f"{self.service}.{self.operation}"


# --- the server ---------------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive client connection never blocks stop()
    block_on_close = False
    #: connections waiting to be accepted (socketserver's default is 5): a scan opens dozens at
    #: once, and a connection the listen queue drops is retried by the client's kernel a second
    #: later, a stall no AWS endpoint causes
    request_queue_size = 128

    def __init__(self, proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):  # a client gone away is normal; anything else is kept
            self.proxy.errors.append(repr(exc))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle kept-alive connection is let go after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def setup(self) -> None:
        super().setup()
        # an answer goes out in two writes (head, body): with Nagle's algorithm the body waits
        # for the client's delayed ACK of the head, some 40 ms a call that AWS does not add
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.proxy._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.proxy._track(self.connection, add=False)

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raw = b""
            while True:  # keep the framing: the body is forwarded as it came
                line = self.rfile.readline()
                raw += line
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline()
                        raw += trailer
                        if trailer in (b"\r\n", b"\n", b""):
                            return raw
                raw += self.rfile.read(size + 2)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._body()
        service, operation, region = identify(self.command, self.path, self.headers, body)
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        rule = proxy._rule_for(service, operation, region, query, body)
        fault = rule.fault if rule else None
        proxy._record(Seen(service, operation, region, fault, time.monotonic(), self.command,
                           self.path))
        if rule is None:
            self._forward(body)
        elif rule.fault == "hang":
            self.close_connection = True
            proxy._hold()
        elif rule.answer is not None:
            self._answer(rule.answer)
        else:
            self._answer(answer_for(rule.fault, service, operation, region, rule.message))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle

    def _answer(self, answer: Answer) -> None:
        self.send_response_only(answer.status)
        for key, value in answer.headers:
            self.send_header(key, value)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        self.wfile.flush()

    def _forward(self, body: bytes) -> None:
        upstream = urlsplit(self.server.proxy.upstream)
        conn = http.client.HTTPConnection(upstream.hostname or "127.0.0.1", upstream.port,
                                          timeout=60)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for key, value in self.headers.items():
                conn.putheader(key, value)
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            headers = resp.getheaders()
            status, reason = resp.status, resp.reason
        finally:
            conn.close()
        self.send_response_only(status, reason)
        length = None
        for key, value in headers:
            low = key.lower()
            if low in ("transfer-encoding", "connection", "keep-alive"):
                continue
            if low == "content-length":
                length = value
            self.send_header(key, value)
        if length is None and self.command != "HEAD" and status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(data)
        self.wfile.flush()


@dataclass
class FaultProxy:
    """The proxy: `start()`, rules with `fail()`, the log with `seen()`, then `stop()`."""

    upstream: str
    _rules: list[Rule] = field(default_factory=list)
    _log: list[Seen] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    _open: set[socket.socket] = field(default_factory=set)
    _held: int = 0
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="aws-fault-proxy", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Release every held (hanging) request, close every client connection, stop serving."""
        self._release.set()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        with self._lock:
            open_now = list(self._open)
        for sock in open_now:  # wake the handlers that wait for a kept-alive client's next request
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # rules -----------------------------------------------------------------------------------------
    def fail(self, service: str, operation: str, fault: str, region: str | None = None,
             times: int | None = None, *, message: str | None = None,
             query: dict[str, str | None] | None = None) -> Rule:
        """Answer `fault` to `service`.`operation` (botocore's names: "apigatewayv2",
        "GetDomainName") in `region` (or every region), the first `times` times (or always),
        when the request carries `query` (a None value: the parameter absent). `message`
        replaces the fault's default error message. The first matching rule wins."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        if fault != "hang":
            answer_for(fault, service, operation, region)  # refuses a fault the service cannot give
        rule = Rule(service, operation, fault, region, times, message, query=query)
        with self._lock:
            self._rules.append(rule)
        return rule

    def answer(self, service: str, operation: str, body: dict[str, Any], *,
               region: str | None = None, times: int | None = None,
               query: dict[str, str | None] | None = None, contains: str | None = None,
               status: int = 200) -> Rule:
        """Answer `service`.`operation` with the recorded `body` (JSON protocols only), when
        the request carries `query` (a None value: the parameter absent) and its body contains
        `contains`. A body that does not fit botocore's model of the answer is refused."""
        if PROTOCOLS.get(service) not in ("json", "rest-json"):
            raise ValueError(f"recorded answers are JSON; {service} is not")
        errors = shape_errors(service, operation, body)
        if errors:
            raise ValueError(f"{service}.{operation}: the recorded answer does not fit "
                             f"botocore's model: {'; '.join(errors)}")
        rule = Rule(service, operation, "recorded", region, times, None, 0,
                    json_answer(service, body, status), query, contains)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget every rule and the log (the proxy keeps running)."""
        with self._lock:
            self._rules.clear()
            self._log.clear()

    def _rule_for(self, service: str, operation: str, region: str | None,
                  query: dict[str, str] | None = None, body: bytes = b"") -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(service, operation, region, query, body):
                    rule.used += 1
                    return rule
        return None

    # the log ---------------------------------------------------------------------------------------
    def _record(self, seen: Seen) -> None:
        with self._lock:
            self._log.append(seen)

    def seen(self, service: str | None = None, operation: str | None = None,
             region: str | None = None, *, faulted: bool | None = None) -> list[Seen]:
        """The requests received so far, oldest first, filtered as asked."""
        with self._lock:
            log = list(self._log)
        return [s for s in log if (service is None or s.service == service)
                and (operation is None or s.operation == operation)
                and (region is None or s.region == region)
                and (faulted is None or (s.fault not in (None, "recorded")) == faulted)]

    # held sockets ------------------------------------------------------------------------------------
    @property
    def held(self) -> int:
        """How many requests are being held unanswered right now (the `hang` fault)."""
        with self._lock:
            return self._held

    def _hold(self) -> None:
        with self._lock:
            self._held += 1
        try:
            self._release.wait()
        finally:
            with self._lock:
                self._held -= 1

    def _track(self, sock: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._open.add(sock)
            else:
                self._open.discard(sock)


# --- the fixture ------------------------------------------------------------------------------------

@dataclass
class FaultyAws(Moto):
    """`Moto`'s set-up helpers (on moto itself: set-up calls are never faulted), the DNS table,
    and the proxy that boto3 in the code under test talks to (AWS_ENDPOINT_URL)."""

    proxy: FaultProxy


@contextlib.contextmanager
def behind_proxy(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch,
                 tmp_path: Path) -> Iterator[FaultyAws]:
    """A reset moto behind a fresh fault proxy (AWS_ENDPOINT_URL names it; a clean AWS
    environment, DNS answered from a new table); the proxy stops on leaving."""
    _reset(moto_endpoint)
    proxy = FaultProxy(moto_endpoint).start()
    try:
        clean_aws_env(monkeypatch, tmp_path, proxy.url)
        dns = Dns()
        monkeypatch.setattr(collect, "lookup", dns.lookup)
        yield FaultyAws(moto_endpoint, dns, proxy)
    finally:
        proxy.stop()


@pytest.fixture
def faulty_aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch,
               tmp_path: Path) -> Iterator[FaultyAws]:
    """A reset moto behind a fresh fault proxy; AWS_ENDPOINT_URL names the proxy."""
    with behind_proxy(moto_endpoint, monkeypatch, tmp_path) as aws:
        yield aws
