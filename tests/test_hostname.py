"""Host-name matching against subjectAltName (`pki/hostname.py`), RFC 6125 as browsers do it."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509

from mtls_doctor.pki.hostname import HostnameError, match_hostname, normalise_host
from tests.pki_factory import PKI, Issued


@pytest.fixture(scope="module")
def ca(pki: PKI) -> Issued:
    return pki.root("Hostname Test Root", key="p256")


@pytest.fixture(scope="module")
def make(pki: PKI, ca: Issued):
    """`make("DNS:a.example.com", ..., cn=...)` -> a leaf certificate with exactly those SANs."""
    cache: dict[tuple[str, tuple[str, ...]], x509.Certificate] = {}

    def _make(*sans: str, cn: str = "leaf.example.com") -> x509.Certificate:
        key = (cn, sans)
        if key not in cache:
            cache[key] = pki.leaf(ca, cn, key="p256", sans=sans).cert
        return cache[key]

    return _make


# ------------------------------------------------------------------------------------------
# DNS names
# ------------------------------------------------------------------------------------------


def test_exact_match(make) -> None:
    m = match_hostname(make("DNS:api.example.com"), "api.example.com")
    assert m.matches is True
    assert m.matched_by == "DNS:api.example.com"
    assert m.host == "api.example.com"
    assert "exact" in m.reason


def test_other_name_does_not_match(make) -> None:
    m = match_hostname(make("DNS:api.example.com"), "web.example.com")
    assert m.matches is False
    assert m.matched_by is None
    assert "web.example.com is not among" in m.reason
    assert "DNS:api.example.com" in m.reason


@pytest.mark.parametrize("host", ["API.Example.COM", "api.EXAMPLE.com", "Api.Example.Com."])
def test_case_insensitive_host(make, host: str) -> None:
    m = match_hostname(make("DNS:api.example.com"), host)
    assert m.matches is True
    assert m.host == host  # the result keeps what the user typed


def test_case_insensitive_san(make) -> None:
    m = match_hostname(make("DNS:API.EXAMPLE.COM"), "api.example.com")
    assert m.matches is True
    assert m.matched_by == "DNS:API.EXAMPLE.COM"  # the SAN entry as written


def test_trailing_dot(make) -> None:
    assert match_hostname(make("DNS:api.example.com"), "api.example.com.").matches is True
    assert match_hostname(make("DNS:api.example.com."), "api.example.com").matches is True


def test_wildcard_matches_one_label(make) -> None:
    cert = make("DNS:*.example.com")
    m = match_hostname(cert, "api.example.com")
    assert m.matches is True
    assert m.matched_by == "DNS:*.example.com"
    assert "wildcard" in m.reason


def test_wildcard_does_not_match_bare_parent(make) -> None:
    m = match_hostname(make("DNS:*.example.com"), "example.com")
    assert m.matches is False
    assert m.matched_by is None
    assert "bare name" in m.reason


def test_wildcard_does_not_match_two_labels(make) -> None:
    m = match_hostname(make("DNS:*.example.com"), "a.b.example.com")
    assert m.matches is False
    assert "exactly one label" in m.reason
    assert "2 labels" in m.reason


def test_wildcard_other_domain(make) -> None:
    m = match_hostname(make("DNS:*.example.com"), "api.example.org")
    assert m.matches is False
    assert "api.example.org is not among" in m.reason
    assert "one label" not in m.reason


@pytest.mark.parametrize("pattern", ["f*.example.com", "*foo.example.com", "api.*.example.com"])
def test_partial_wildcard_not_honoured(make, pattern: str) -> None:
    host = {"f*.example.com": "foo.example.com", "*foo.example.com": "barfoo.example.com",
            "api.*.example.com": "api.x.example.com"}[pattern]
    m = match_hostname(make(f"DNS:{pattern}"), host)
    assert m.matches is False
    assert "whole left-most label" in m.reason


def test_wildcard_needs_two_labels_after_it(make) -> None:
    m = match_hostname(make("DNS:*.com"), "example.com")
    assert m.matches is False
    assert "at least two labels" in m.reason


def test_first_matching_san_wins(make) -> None:
    cert = make("DNS:web.example.com", "DNS:*.example.com", "DNS:api.example.com")
    m = match_hostname(cert, "api.example.com")
    assert m.matches is True
    assert m.matched_by == "DNS:*.example.com"
    assert match_hostname(cert, "web.example.com").matched_by == "DNS:web.example.com"


def test_near_miss_reasons_are_all_listed(make) -> None:
    cert = make("DNS:*.example.com", "DNS:*.b.example.com.", "DNS:other.example.net")
    m = match_hostname(cert, "x.y.b.example.com")
    assert m.matches is False
    assert m.reason.count("exactly one label") == 2
    assert "DNS:other.example.net" in m.reason


# ------------------------------------------------------------------------------------------
# CN is ignored
# ------------------------------------------------------------------------------------------


def test_cn_only_certificate_does_not_match(make) -> None:
    cert = make(cn="cnonly.example.com")
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    m = match_hostname(cert, "cnonly.example.com")
    assert m.matches is False
    assert m.matched_by is None
    assert "subjectAltName" in m.reason
    assert "CN=cnonly.example.com" in m.reason
    assert "ignored" in m.reason


def test_only_email_san_counts_as_no_san(make) -> None:
    m = match_hostname(make("email:ops@example.com", cn="mail.example.com"), "mail.example.com")
    assert m.matches is False
    assert "no DNS or IP subjectAltName" in m.reason


def test_cn_is_ignored_when_sans_present(make) -> None:
    m = match_hostname(make("DNS:api.example.com", cn="cn.example.com"), "cn.example.com")
    assert m.matches is False


# ------------------------------------------------------------------------------------------
# IP addresses
# ------------------------------------------------------------------------------------------


def test_ip_san_matches_ip_host(make) -> None:
    m = match_hostname(make("IP:10.0.0.1", "DNS:api.example.com"), "10.0.0.1")
    assert m.matches is True
    assert m.matched_by == "IP:10.0.0.1"


def test_ip_san_other_address(make) -> None:
    m = match_hostname(make("IP:10.0.0.1"), "10.0.0.2")
    assert m.matches is False
    assert "IP:10.0.0.1" in m.reason


def test_ip_host_does_not_match_dns_san_with_same_text(make) -> None:
    m = match_hostname(make("DNS:10.0.0.1"), "10.0.0.1")
    assert m.matches is False
    assert m.matched_by is None
    assert "only IP SANs count" in m.reason
    assert "no IP SANs" in m.reason


def test_dns_host_does_not_match_ip_san(make) -> None:
    m = match_hostname(make("IP:10.0.0.1"), "api.example.com")
    assert m.matches is False
    assert "no DNS SANs" in m.reason


@pytest.mark.parametrize("host", ["[2001:db8::1]", "2001:db8::1", "2001:DB8:0:0::1", "[2001:0db8::0001]"])
def test_ipv6(make, host: str) -> None:
    m = match_hostname(make("IP:2001:db8::1"), host)
    assert m.matches is True
    assert m.matched_by == "IP:2001:db8::1"


def test_ipv6_other_address(make) -> None:
    assert match_hostname(make("IP:2001:db8::1"), "[2001:db8::2]").matches is False


def test_ipv4_host_does_not_match_ipv6_san(make) -> None:
    assert match_hostname(make("IP:::ffff:10.0.0.1"), "10.0.0.1").matches is False


# ------------------------------------------------------------------------------------------
# IDNA
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["bücher.example.com", "BÜCHER.example.com", "xn--bcher-kva.example.com"])
def test_idna_host_matches_a_label_san(make, host: str) -> None:
    m = match_hostname(make("DNS:xn--bcher-kva.example.com"), host)
    assert m.matches is True
    assert m.matched_by == "DNS:xn--bcher-kva.example.com"


def test_idna_host_under_wildcard(make) -> None:
    m = match_hostname(make("DNS:*.example.com"), "bücher.example.com")
    assert m.matches is True
    assert m.matched_by == "DNS:*.example.com"


def test_idna_reason_uses_a_label(make) -> None:
    m = match_hostname(make("DNS:api.example.com"), "bücher.example.com")
    assert m.matches is False
    assert "xn--bcher-kva.example.com is not among" in m.reason


def test_idna2008_eszett(make) -> None:
    m = match_hostname(make("DNS:xn--strae-oqa.example.com"), "straße.example.com")
    assert m.matches is True


# ------------------------------------------------------------------------------------------
# normalise_host and bad input
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("API.Example.COM.", "api.example.com"),
        ("  api.example.com  ", "api.example.com"),
        ("bücher.example.com", "xn--bcher-kva.example.com"),
        ("10.0.0.1", ipaddress.IPv4Address("10.0.0.1")),
        ("[::1]", ipaddress.IPv6Address("::1")),
        ("2001:DB8::1", ipaddress.IPv6Address("2001:db8::1")),
    ],
)
def test_normalise_host(host: str, expected: object) -> None:
    assert normalise_host(host) == expected


@pytest.mark.parametrize(
    "host",
    [
        "",
        "   ",
        ".",
        "a b.example.com",
        "https://api.example.com",
        "api.example.com/path",
        "user@example.com",
        "api.example.com:443",
        "a..b.example.com",
        "x" * 64 + ".example.com",
        "[not-an-ip]:1",
    ],
)
def test_invalid_host_raises(make, host: str) -> None:
    with pytest.raises(HostnameError) as excinfo:
        normalise_host(host)
    assert repr(host) in str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)
    with pytest.raises(HostnameError):
        match_hostname(make("DNS:api.example.com"), host)
