"""HTTP(S) fetches of revocation data (a CRL, an OCSP answer) under the command's one deadline.

Only `http` and `https` URLs are fetched, by GET or by POST; a redirect may lead only to another
`http(s)` URL (at most `MAX_REDIRECTS`); the answer must be `200` and no larger than the cap the
caller gives (a CRL: `MAX_CRL`). The whole fetch, name resolution included, runs in a daemon
thread that the caller waits for in slices of `POLL` seconds, so it ends by the deadline even
against a server that accepts and never answers, or one that trickles its bytes; a fetch still
running then is abandoned (its socket timeout, set from the time that was left, ends it soon
after). Every outcome is an `Attempt` (`ok`, `timed_out`, `unreachable`, `error`, `cancelled`)
with a one-line reason, never an exception.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import field
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from mtls_doctor import __version__
from mtls_doctor.deadline import Deadline
from mtls_doctor.model.evidence import Attempt, Status
from mtls_doctor.model.frozen import frozen

#: the largest CRL read (bytes); a bigger one is refused, not read
MAX_CRL = 10 * 1024 * 1024
#: the largest OCSP answer read (bytes): one answer is a few kilobytes
MAX_OCSP = 1024 * 1024
#: redirects followed, each to an http(s) URL only
MAX_REDIRECTS = 3
#: the longest the caller's wait blocks before it looks at the deadline again (seconds)
POLL = 0.2
_CHUNK = 65536
_SCHEMES = ("http", "https")


@frozen
class Fetched:
    """One fetch: what was asked (`url`), how it went (`attempt`), and the body of a `200`
    answer (None otherwise)."""

    url: str
    attempt: Attempt
    body: bytes | None = field(default=None, repr=False)
    content_type: str = ""

    @property
    def ok(self) -> bool:
        """True when a body arrived."""
        return self.body is not None


def not_fetchable(url: str) -> str | None:
    """Why `url` is not fetched (not http or https, no host), or None when it is."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in _SCHEMES:
        return f"only http and https URLs are fetched, not {parts.scheme or 'a relative'} URL"
    if not parts.hostname:
        return "the URL names no host"
    return None


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, to http(s) URLs only."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                       headers: http.client.HTTPMessage) -> Any:
        """Refuse a redirect to anything but http(s) before following it."""
        target = headers.get("location") or headers.get("uri")
        why = not_fetchable(urljoin(req.full_url, target)) if target else None
        if why is not None:
            raise urllib.error.HTTPError(req.full_url, code, f"redirect to {target} refused: "
                                         f"{why}", headers, fp)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        why = not_fetchable(newurl)
        if why is not None:
            raise urllib.error.HTTPError(req.full_url, code, f"redirect refused: {why}",
                                         headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http and https only (no file:, ftp: or data: handler), proxies from the environment as
    curl reads them, server certificates verified."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(),
                    urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(context=ssl.create_default_context()),
                    urllib.request.HTTPDefaultErrorHandler(), _Redirects(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _out_of_time(call: str, url: str, deadline: Deadline, what: str) -> Attempt:
    if deadline.cancelled:
        return Attempt(call, Status.CANCELLED, f"the run was cancelled while {what} {url}")
    return Attempt(call, Status.TIMED_OUT, f"{url}: {what} did not end within the "
                   f"{deadline.seconds:g} s deadline set by --timeout")


def _failure(call: str, url: str, exc: BaseException) -> Attempt:
    """An exception of urllib, http.client or the socket as an attempt record."""
    if isinstance(exc, urllib.error.HTTPError):
        return Attempt(call, Status.ERROR, f"{url} answered HTTP {exc.code} {exc.reason}".rstrip())
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return Attempt(call, Status.TIMED_OUT, f"{url} did not answer in time")
    if isinstance(reason, ConnectionRefusedError):
        return Attempt(call, Status.UNREACHABLE, f"{url}: connection refused")
    if isinstance(reason, socket.gaierror):
        return Attempt(call, Status.UNREACHABLE, f"{url}: the host name does not resolve "
                       f"({reason.strerror or reason})")
    if isinstance(reason, ssl.SSLError):
        return Attempt(call, Status.ERROR, f"{url}: TLS failed ({reason.reason or reason})")
    if isinstance(reason, ConnectionError | OSError):
        text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        return Attempt(call, Status.UNREACHABLE, f"{url}: {text}")
    return Attempt(call, Status.ERROR, f"{url}: {reason or type(exc).__name__}")


def _fetch(url: str, deadline: Deadline, call: str, max_bytes: int, body: bytes | None,
           headers: dict[str, str]) -> Fetched:
    # only http(s) reaches here (`not_fetchable`), and the opener has no other handler
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST" if body is not None else "GET",
        headers={"User-Agent": f"mtls-doctor/{__version__}", **headers})
    try:
        with _opener().open(request, timeout=max(deadline.left(), 0.01)) as resp:
            final = resp.geturl()
            if resp.status != 200:
                return Fetched(url, Attempt(call, Status.ERROR, f"{url} answered HTTP "
                                            f"{resp.status} {resp.reason}".rstrip()))
            length = resp.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                return Fetched(url, Attempt(call, Status.ERROR, f"{url}: the answer is "
                                            f"{int(length)} bytes, over the {max_bytes} byte cap"))
            data = bytearray()
            while True:
                if deadline.left() <= 0:
                    return Fetched(url, _out_of_time(call, url, deadline, "reading"))
                chunk = resp.read(min(_CHUNK, max_bytes + 1 - len(data)))
                if not chunk:
                    break
                data += chunk
                if len(data) > max_bytes:
                    return Fetched(url, Attempt(call, Status.ERROR, f"{url}: the answer is over "
                                                f"the {max_bytes} byte cap"))
            via = f" (redirected to {final})" if final != url else ""
            return Fetched(url, Attempt(call, Status.OK, f"{len(data)} bytes from {url}{via}"),
                           bytes(data), resp.headers.get_content_type())
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        return Fetched(url, _failure(call, url, exc))


def fetch(url: str, deadline: Deadline, *, call: str, max_bytes: int,
          body: bytes | None = None, headers: dict[str, str] | None = None) -> Fetched:
    """GET `url` (POST `body` when given) within what is left of `deadline`; `call` names the
    attempt (`crl.fetch`, `ocsp.query`). Ends by the deadline whatever the server does."""
    why = not_fetchable(url)
    if why is not None:
        return Fetched(url, Attempt(call, Status.ERROR, f"{url}: {why}"))
    if deadline.left() <= 0:
        return Fetched(url, _out_of_time(call, url, deadline, "fetching"))
    box: list[Fetched] = []

    def work() -> None:
        box.append(_fetch(url, deadline, call, max_bytes, body, dict(headers or {})))

    thread = threading.Thread(target=work, name="mtls-doctor-fetch", daemon=True)
    thread.start()
    while thread.is_alive():
        left = deadline.left()
        if left <= 0:
            break
        thread.join(min(left, POLL))
    if box:
        return box[0]
    return Fetched(url, _out_of_time(call, url, deadline, "fetching"))
