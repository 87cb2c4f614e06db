"""`HOST[:PORT]` and `--connect ADDR[:PORT]` as the user types them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from mtls_doctor.errors import InputError


@dataclass(frozen=True)
class Target:
    """Where to connect and what to call the server: `host` is the SNI name and Host header,
    `connect_host`/`connect_port` the TCP destination (the same unless --connect is given)."""

    host: str
    port: int
    connect_host: str
    connect_port: int

    @property
    def sni(self) -> str | None:
        """The name to send as SNI; none for an IP address (RFC 6066)."""
        return None if is_ip(self.host) else self.host

    @property
    def host_header(self) -> str:
        """The HTTP Host header value."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 443 else f"{host}:{self.port}"


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def split_host_port(text: str, default_port: int, what: str) -> tuple[str, int]:
    """`host`, `host:443`, `[::1]:8443`, `::1` into (host, port)."""
    raw = text.strip()
    if raw.startswith(("https://", "http://")):
        raw = raw.split("://", 1)[1].split("/", 1)[0]
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
    return host.rstrip(".").lower() if not is_ip(host) else host, port


def parse_target(host_port: str, connect: str | None = None) -> Target:
    """The probe's target from HOST[:PORT] and an optional --connect ADDR[:PORT]."""
    host, port = split_host_port(host_port, 443, "HOST")
    if connect is None:
        return Target(host, port, host, port)
    addr, addr_port = split_host_port(connect, port, "--connect")
    return Target(host, port, addr, addr_port)
