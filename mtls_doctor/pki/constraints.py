"""RFC 5280 checks beyond chaining: name constraints (4.2.1.10) and critical extensions a
validator does not understand (4.2: "MUST reject")."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from mtls_doctor.pki.describe import find_extension, general_name_text, oid_name
from mtls_doctor.pki.signature import name_key

#: the extensions a path validator processes, so that they may be critical: OpenSSL's list
#: (`X509_supported_extension`), which mtls-doctor *assumes* API Gateway's validation shares.
#: Any other critical extension (authority or subject key identifier, authority information
#: access, issuer alternative name, an unknown one, ...) must make the certificate be rejected
#: (RFC 5280 4.2), and OpenSSL says "unhandled critical extension".
PROCESSED_EXTENSIONS: dict[str, str] = {
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.33": "policyMappings",
    "2.5.29.36": "policyConstraints",
    "2.5.29.37": "extendedKeyUsage",
    "2.5.29.54": "inhibitAnyPolicy",
    "1.3.6.1.5.5.7.1.7": "sbgp-ipAddrBlock",
    "1.3.6.1.5.5.7.1.8": "sbgp-autonomousSysNum",
    "1.3.6.1.5.5.7.1.14": "proxyCertInfo",
    "1.3.6.1.5.5.7.48.1.5": "ocspNoCheck",
    "2.16.840.1.113730.1.1": "netscapeCertType",
}


def duplicate_extension(cert: x509.Certificate) -> str | None:
    """The extension a certificate carries twice (named, with its OID), or None. cryptography
    then reads no extension at all, so without this check the certificate would look as if it
    had none (no basicConstraints, no SANs under a name constraint)."""
    try:
        _ = cert.extensions
    except x509.DuplicateExtension as exc:
        name = oid_name(exc.oid)
        return exc.oid.dotted_string if name == exc.oid.dotted_string else \
            f"{name} ({exc.oid.dotted_string})"
    except Exception:  # noqa: BLE001 - unreadable extensions are reported as malformed elsewhere
        return None
    return None


def unknown_critical_extensions(cert: x509.Certificate) -> list[str]:
    """The critical extensions a path validator does not process (named, with their OID):
    a certificate carrying one must be rejected."""
    try:
        extensions = list(cert.extensions)
    except Exception:  # noqa: BLE001 - unreadable extensions are reported as malformed elsewhere
        return []
    out = []
    for e in extensions:
        oid = e.oid.dotted_string
        if e.critical and oid not in PROCESSED_EXTENSIONS:
            name = oid_name(e.oid)
            out.append(oid if name == oid else f"{name} ({oid})")
    return out


def _dns_within(name: str, base: str) -> bool:
    name, base = name.lower().rstrip("."), base.lower().rstrip(".")
    if name.startswith("*."):
        name = "x" + name[1:]  # a wildcard stands for some label below the suffix
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _email_within(mail: str, base: str) -> bool:
    mail, base = mail.lower(), base.lower()
    if "@" in base:
        return mail == base
    host = mail.rsplit("@", 1)[-1]
    return host.endswith(base) if base.startswith(".") else host == base


def _dirname_within(name: x509.Name, base: x509.Name) -> bool:
    key, prefix = name_key(name), name_key(base)
    return key[: len(prefix)] == prefix


def _matches(gn: x509.GeneralName, subtree: x509.GeneralName) -> bool | None:
    """Does `gn` fall in `subtree`? None when the two are of different types."""
    if isinstance(gn, x509.DNSName) and isinstance(subtree, x509.DNSName):
        return _dns_within(gn.value, subtree.value)
    if isinstance(gn, x509.RFC822Name) and isinstance(subtree, x509.RFC822Name):
        return _email_within(gn.value, subtree.value)
    if isinstance(gn, x509.IPAddress) and isinstance(subtree, x509.IPAddress):
        net = subtree.value
        return isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network) and \
            gn.value in net
    if isinstance(gn, x509.DirectoryName) and isinstance(subtree, x509.DirectoryName):
        return _dirname_within(gn.value, subtree.value)
    if isinstance(gn, x509.UniformResourceIdentifier) and \
            isinstance(subtree, x509.UniformResourceIdentifier):
        return _uri_within(gn.value, subtree.value)
    return None


def _uri_within(uri: str, base: str) -> bool:
    """RFC 5280 4.2.1.10: a URI constraint applies to the host part of the name: `host.example`
    is that host only, `.example` any host below it. A URI with no host is outside."""
    try:
        host = (urlsplit(uri).hostname or "").lower().rstrip(".")
    except ValueError:  # a malformed authority (bad port, unbalanced brackets)
        return False
    if not host:
        return False
    base = base.lower().rstrip(".")
    if base.startswith("."):
        return host.endswith(base)
    return host == base


#: name forms a name constraint can carry that no validator here processes: a critical
#: constraint on one of them refuses a certificate that has a name of that form (RFC 5280
#: 4.2.1.10: "MUST either process the constraint or reject the certificate")
_UNPROCESSED_FORMS = (x509.OtherName, x509.RegisteredID)


def _names_of(cert: x509.Certificate) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    ext = find_extension(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if ext is not None and isinstance(ext.value, x509.SubjectAlternativeName):
        names.extend(ext.value)
    if len(cert.subject.rdns):
        names.append(x509.DirectoryName(cert.subject))
    for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
        if isinstance(attr.value, str):
            names.append(x509.RFC822Name(attr.value))
    return names


#: names x constraints compared at most, as OpenSSL (NAME_CHECK_MAX); beyond, the certificate
#: is refused rather than checked for minutes
MAX_NAME_CHECKS = 1 << 20
#: violations (and permitted names in each) spelled out; the rest are counted
MAX_SHOWN = 5


def _some(texts: list[str]) -> str:
    shown = ", ".join(texts[:MAX_SHOWN])
    return shown + (f" and {len(texts) - MAX_SHOWN} more" if len(texts) > MAX_SHOWN else "")


def name_constraint_violations(ca: x509.Certificate, cert: x509.Certificate) -> list[str]:
    """Names of `cert` that `ca`'s nameConstraints forbid, explained (bounded: a certificate
    whose names times the CA's constraints exceed MAX_NAME_CHECKS is refused as OpenSSL does,
    and at most MAX_SHOWN violations are spelled out)."""
    ext = find_extension(ca, ExtensionOID.NAME_CONSTRAINTS)
    if ext is None or not isinstance(ext.value, x509.NameConstraints):
        return []
    permitted = list(ext.value.permitted_subtrees or [])
    excluded = list(ext.value.excluded_subtrees or [])
    names = _names_of(cert)
    if ext.critical:
        for form in _UNPROCESSED_FORMS:
            if any(isinstance(s, form) for s in (*permitted, *excluded)) and \
                    any(isinstance(n, form) for n in names):
                return [f"its {form.__name__} names fall under a critical name constraint on "
                        f"{form.__name__} names, which validators do not process (OpenSSL: "
                        "unsupported name constraint type), so it must be refused"]
    if len(names) * (len(permitted) + len(excluded)) > MAX_NAME_CHECKS:
        return [f"{len(names)} names against {len(permitted) + len(excluded)} name constraints "
                f"are more than the {MAX_NAME_CHECKS:,} comparisons a validator makes "
                "(OpenSSL refuses such a certificate too)"]
    out = []
    for gn in names:
        same_type = [p for p in permitted if _matches(gn, p) is not None]
        if same_type and not any(_matches(gn, p) for p in same_type):
            allowed = _some([general_name_text(p) for p in same_type])
            out.append(f"{general_name_text(gn)} is outside the permitted names ({allowed})")
        for e in excluded:
            if _matches(gn, e):
                out.append(f"{general_name_text(gn)} falls in the excluded names ({general_name_text(e)})")
                break
    if len(out) > MAX_SHOWN:
        out = [*out[:MAX_SHOWN], f"{len(out) - MAX_SHOWN} more names are forbidden too"]
    return out
