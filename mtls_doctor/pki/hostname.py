"""Does a certificate cover a host name? RFC 6125 as browsers apply it.

- Only subjectAltName counts: a certificate without DNS/IP SANs matches nothing, whatever its CN.
- A wildcard is the whole left-most label (`*.example.com`), matches exactly one label, never the
  bare parent, and needs at least two labels after it.
- IP addresses match only IP SANs; DNS names only DNS SANs.
- Case does not matter; a trailing dot does not matter; Unicode names compare as IDNA 2008
  A-labels (UTS #46 mapping, non-transitional: `straße` stays `xn--strae-oqa`).
"""

from __future__ import annotations

import ipaddress
import re

import idna
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from mtls_doctor.model.certificate import HostnameMatch
from mtls_doctor.pki.describe import find_extension

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")


class HostnameError(ValueError):
    """The text given is not a host name or IP address."""


def normalise_host(host: str) -> str | ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The host as a lower-case A-label name, or as an IP address."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    text = text.rstrip(".")
    if not text or any(c in text for c in " /:@*"):
        raise HostnameError(f"{host!r} is not a host name")
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise HostnameError(f"{host!r} is not a valid host name ({exc})") from None
    if len(text) > 253 or not all(_LABEL.fullmatch(label) for label in text.split(".")):
        raise HostnameError(f"{host!r} is not a valid host name (empty, too long or bad label)")
    return text.lower()


def _dns_to_ascii(name: str) -> str | None:
    """A SAN entry as lower-case A-labels (IDNA 2008 with UTS #46 mapping, as browsers do)."""
    name = name.rstrip(".")
    if name.isascii():
        return name.lower()
    try:
        labels = name.split(".")
        wildcard = labels[0] == "*"
        encoded = idna.encode(".".join(labels[1:] if wildcard else labels), uts46=True)
        return ("*." if wildcard else "") + encoded.decode("ascii")
    except idna.IDNAError:
        return None


def _wildcard_match(pattern: str, host: str) -> tuple[bool, str | None]:
    """Match one DNS SAN pattern against a normalised host; (matched, why-not if a near miss)."""
    if "*" not in pattern:
        return pattern == host, None
    p_labels, h_labels = pattern.split("."), host.split(".")
    if p_labels[0] != "*" or "*" in ".".join(p_labels[1:]):
        return False, f"{pattern}: wildcards are honoured only as the whole left-most label"
    if len(p_labels) < 3:
        return False, f"{pattern}: a wildcard needs at least two labels after it"
    suffix = ".".join(p_labels[1:])
    if host == suffix:
        return False, f"{pattern} does not cover the bare name {host}"
    if host.endswith("." + suffix):
        depth = len(h_labels) - len(p_labels) + 1
        if depth == 1:
            return True, None
        return False, (f"{pattern} covers exactly one label in place of '*'; {host} has "
                       f"{depth} labels there")
    return False, None


def name_covers(pattern: str, host: str) -> bool:
    """Whether one DNS name (as a certificate or ACM lists it, wildcards included) covers `host`,
    by the same RFC 6125 rules as `match_hostname`."""
    try:
        target = normalise_host(host)
    except HostnameError:
        return False
    ascii_pattern = _dns_to_ascii(pattern)
    if not isinstance(target, str) or ascii_pattern is None:
        return False
    return _wildcard_match(ascii_pattern, target)[0]


def match_hostname(cert: x509.Certificate, host: str) -> HostnameMatch:
    """Check `host` against the SANs; the reason says why it does or does not match."""
    target = normalise_host(host)
    ext = find_extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    san = ext.value if ext and isinstance(ext.value, x509.SubjectAlternativeName) else None
    dns_names = san.get_values_for_type(x509.DNSName) if san else []
    ips = san.get_values_for_type(x509.IPAddress) if san else []
    if not dns_names and not ips:
        cns = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        cn_note = f" (its CN={cns[0]!s} is ignored by TLS clients)" if cns else ""
        return HostnameMatch(host, False, None,
                             f"the certificate has no DNS or IP subjectAltName{cn_note}")
    if not isinstance(target, str):
        for ip in ips:
            if ip == target:
                return HostnameMatch(host, True, f"IP:{ip}", f"IP SAN {ip} matches")
        listed = ", ".join(f"IP:{i}" for i in ips) or "no IP SANs"
        return HostnameMatch(host, False, None,
                             f"{target} is an IP address and only IP SANs count ({listed})")
    near_misses: list[str] = []
    for raw in dns_names:
        pattern = _dns_to_ascii(raw)
        if pattern is None:
            continue
        ok, why = _wildcard_match(pattern, target)
        if ok:
            kind = "wildcard" if "*" in pattern else "exact"
            return HostnameMatch(host, True, f"DNS:{raw}", f"{kind} match on DNS:{raw}")
        if why:
            near_misses.append(why)
    names = ", ".join(f"DNS:{n}" for n in dns_names) or "no DNS SANs"
    reason = f"{target} is not among the certificate's names ({names})"
    if near_misses:
        reason += "; " + "; ".join(near_misses)
    return HostnameMatch(host, False, None, reason)
