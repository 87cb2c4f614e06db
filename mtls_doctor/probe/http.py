"""The one HTTP/1.1 request the probe sends, and reading the answer. Pure: bytes in, facts out."""

from __future__ import annotations

import re

from mtls_doctor import __version__
from mtls_doctor.model.probe import HttpAnswer

#: the headers that tell API Gateway's answers apart (shown in the text report)
API_HEADERS = ("x-amzn-errortype", "x-amzn-requestid", "x-amz-apigw-id", "server")
#: the headers a report lists first
INTERESTING = (*API_HEADERS, "content-type", "content-length", "date")
BODY_BYTES = 512
#: stop reading after this much: the probe wants the status, the headers and the body's start
MAX_RESPONSE = 16384


def build_request(host_header: str, path: str) -> bytes:
    """`GET path HTTP/1.1` with Host, a User-Agent and `Connection: close` (`path` is already
    percent-encoded, see `target.request_path`)."""
    return (f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\n"
            f"User-Agent: mtls-doctor/{__version__}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            ).encode("ascii", errors="replace")


def headers_complete(data: bytes) -> bool:
    """True once the blank line after the headers has arrived."""
    return b"\r\n\r\n" in data or b"\n\n" in data


_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})(?: |\r?\n)")


def skip_interim(data: bytes) -> bytes:
    """Drop `100 Continue`-style interim responses (1xx but 101) in front of the real one."""
    while True:
        m = _STATUS.match(data)
        if not m or not (100 <= int(m.group(1)) < 200) or m.group(1) == b"101":
            return data
        for sep in (b"\r\n\r\n", b"\n\n"):
            if sep in data:
                data = data.split(sep, 1)[1]
                break
        else:
            return b""  # the interim response is not complete yet


def response_complete(data: bytes) -> bool:
    """True when the headers and as much body as the probe wants (or Content-Length) are in."""
    data = skip_interim(data)
    if not headers_complete(data):
        return len(data) >= MAX_RESPONSE
    head, _, body = data.replace(b"\r\n", b"\n").partition(b"\n\n")
    for line in head.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= min(int(value.strip()), BODY_BYTES)
    return len(body) >= BODY_BYTES


def parse_response(data: bytes) -> HttpAnswer | None:
    """Status, headers (lower-case names) and the start of the body; None if not HTTP or cut
    off before the end of the headers."""
    data = skip_interim(data)
    if not _STATUS.match(data) or not headers_complete(data):
        return None
    text = data.decode("latin-1")
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    parts = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    ordered = {k: headers[k] for k in INTERESTING if k in headers}
    ordered.update({k: v for k, v in headers.items() if k not in ordered})
    shown = body[:BODY_BYTES]
    return HttpAnswer(int(parts[1]), parts[2] if len(parts) > 2 else "", ordered,
                      shown.encode("latin-1").decode("utf-8", errors="replace"))
