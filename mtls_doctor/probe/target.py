"""`HOST[:PORT]` (or a URL) and `--connect ADDR[:PORT]` as the user types them."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import quote

import idna

from mtls_doctor.errors import InputError
from mtls_doctor.model.frozen import frozen

_URL = re.compile(r"^https?://", re.IGNORECASE)
#: what a host name holds once in A-labels (RFC 952/1123 letters, digits, hyphens; underscores
#: appear in real DNS names and curl accepts them)
_ASCII_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
#: what an IPv6 zone id (`fe80::1%eth0`) may hold: an interface name or number
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _shown(text: str) -> str:
    """`text` for an error line: quoted, every control, format or separator character escaped
    (the line must not carry what it refuses)."""
    out = []
    for c in text[:200]:
        if unicodedata.category(c)[0] in "CZ" and c != " ":
            out.append(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "'" + "".join(out) + ("..." if len(text) > 200 else "") + "'"


def refuse_odd_characters(text: str, what: str) -> None:
    """Stop (exit 2) on a host text holding a control character (CR, LF, ESC, DEL, C1), a
    format character (bidi controls, zero-width characters, BOM), a space or another separator
    (U+2028): no host name holds one, and sent as SNI or a Host header they split or disguise
    the request."""
    for i, c in enumerate(text):
        category = unicodedata.category(c)
        if category[0] in "CZ":
            kind = ("a space" if c == " " else "a line or paragraph separator"
                    if category in ("Zl", "Zp") else "a space character" if category == "Zs"
                    else "an invisible formatting character" if category == "Cf"
                    else "a control character" if category == "Cc"
                    else "a byte that is not UTF-8" if category == "Cs"
                    else "an unassigned or private-use character")
            raise InputError(f"{what}: {_shown(text)} holds {kind} (U+{ord(c):04X}) at position "
                             f"{i + 1}; a host name holds only letters, digits, '-' and '.'")


def hostport(host: str, port: int) -> str:
    """`host:port`, with an IPv6 address in brackets (`[::1]:443`) as URLs and curl want."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@frozen
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
            raise InputError(f"{what}: {_shown(host)} is not a valid host name ({exc})") from None
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in name.split(".")):
        raise InputError(f"{what}: {_shown(host)} is not a valid host name (a label is empty or "
                         "longer than 63 characters)")
    if not _ASCII_NAME.fullmatch(name):
        bad = next((c for c in name if not (c.isascii() and (c.isalnum() or c in "-_."))), "")
        raise InputError(f"{what}: {_shown(host)} is not a valid host name ({bad!r} is not a "
                         "letter, digit, '-' or '.')")
    return name


def split_host_port(text: str, default_port: int, what: str) -> tuple[str, int, str | None]:
    """`host`, `host:443`, `[::1]:8443`, `::1`, `https://host:8443/p?q` into (host, port, path).
    Text with a control, formatting or space character anywhere stops the command (exit 2)."""
    refuse_odd_characters(text, what)
    raw = text
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
            raise InputError(f"{what}: cannot read {_shown(text)} as HOST[:PORT]")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    port = default_port
    if port_text:
        if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
            raise InputError(f"{what}: {_shown(port_text)} is not a port number (1-65535)")
        port = int(port_text)
    if not host or any(c in host for c in " /@"):
        raise InputError(f"{what}: {_shown(host)} is not a host name or address")
    if is_ip(host):
        zone = host.partition("%")[2]
        if zone and not _ZONE.fullmatch(zone):
            raise InputError(f"{what}: {_shown(host)}: the IPv6 zone after '%' is not an "
                             "interface name")
        return host, port, path
    return _a_label(host, what), port, path


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
