"""`HOST[:PORT]` (or a URL) and `--connect ADDR[:PORT]` as the user types them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

import idna

from mtls_doctor.errors import InputError

_URL = re.compile(r"^https?://", re.IGNORECASE)


def hostport(host: str, port: int) -> str:
    """`host:port`, with an IPv6 address in brackets (`[::1]:443`) as URLs and curl want."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Target:
    """Where to connect and what to call the server: `host` is the SNI name and Host header
    (A-labels for international names), `connect_host`/`connect_port` the TCP destination (the
    same unless --connect is given), `path` the path a URL named (None: not given)."""

    host: str
    port: int
    connect_host: str
    connect_port: int
    path: str | None = None

    @property
    def sni(self) -> str | None:
        """The name to send as SNI; none for an IP address (RFC 6066)."""
        return None if is_ip(self.host) else self.host

    @property
    def host_header(self) -> str:
        """The HTTP Host header value (port only when not 443)."""
        if self.port == 443:
            return f"[{self.host}]" if ":" in self.host else self.host
        return hostport(self.host, self.port)

    @property
    def redirected(self) -> bool:
        """True when --connect sends the connection somewhere else than HOST:PORT."""
        return (self.connect_host, self.connect_port) != (self.host, self.port)


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _a_label(host: str, what: str) -> str:
    """Lower-case A-labels (IDNA 2008, UTS #46), as curl and browsers send them."""
    if host.isascii():
        name = host.rstrip(".").lower()
    else:
        try:
            name = idna.encode(host.rstrip("."), uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise InputError(f"{what}: {host!r} is not a valid host name ({exc})") from None
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split(".")):
        raise InputError(f"{what}: {host!r} is not a valid host name (a label is empty or "
                         "longer than 63 characters)")
    return name


def split_host_port(text: str, default_port: int, what: str) -> tuple[str, int, str | None]:
    """`host`, `host:443`, `[::1]:8443`, `::1`, `https://host:8443/p?q` into (host, port, path)."""
    raw = text.strip()
    path = None
    if _URL.match(raw):
        raw = raw.split("://", 1)[1]
        raw, slash, rest = raw.partition("/")
        if slash:
            path = "/" + rest
    if not raw:
        raise InputError(f"{what}: empty host")
    host, port_text = raw, ""
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise InputError(f"{what}: cannot read {text!r} as HOST[:PORT]")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise InputError(f"{what}: {port_text!r} is not a port number (1-65535)")
        port = int(port_text)
    if not host or any(c in host for c in " /@"):
        raise InputError(f"{what}: {host!r} is not a host name or address")
    return (host if is_ip(host) else _a_label(host, what)), port, path


def request_path(path: str) -> str:
    """A path to put on the request line: percent-encoded where it must be, never stripped."""
    if not path.startswith("/"):
        path = "/" + path
    return quote(path, safe="/?&=%:@!$'()*+,;~-._")


def parse_target(host_port: str, connect: str | None = None) -> Target:
    """The probe's target from HOST[:PORT] (or a URL) and an optional --connect ADDR[:PORT]."""
    host, port, path = split_host_port(host_port, 443, "HOST")
    if connect is None:
        return Target(host, port, host, port, path)
    addr, addr_port, _ = split_host_port(connect, port, "--connect")
    return Target(host, port, addr, addr_port, path)
