"""Turn what a probe saw into findings, each with a fix and the equivalent openssl and curl
commands filled in with the real host, port and files. Pure: no sockets here."""

from __future__ import annotations

import re

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.finding import Finding, Fix
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.probe import ErrorKind, Outcome, ProbeResult
from mtls_doctor.probe.alerts import GENERIC_MEANING, MEANING
from mtls_doctor.probe.target import Target, hostport
from mtls_doctor.shell import aws, curl, doctor, openssl, render, render_all, tools

_OLD_TLS = {"TLSv1", "TLSv1.1", "SSLv3"}


@frozen
class ProbeInputs:
    """What the user asked for: names used to fill in commands (never key material)."""

    target: Target
    path: str = "/"
    cert: str | None = None
    key: str | None = None
    pkcs12: bool = False
    password_env: str | None = None


def verify_client_command(p: ProbeInputs, truststore: str | None = None) -> str:
    """`mtls-doctor verify-client` for the client certificate the probe presented, against
    `truststore` (a file or an `s3://` source); the probe alone does not know the domain's
    truststore, so without one it names a placeholder the diagnosis fills in."""
    return render(doctor.verify_client(p.cert or "<client-cert.pem>",
                                       truststore or "<truststore.pem>",
                                       key=None if p.pkcs12 else p.key))


def s_client_command(p: ProbeInputs) -> str:
    """The `openssl s_client` line that shows the same handshake."""
    t = p.target
    return render(openssl.s_client(hostport(t.connect_host, t.connect_port), t.sni,
                                   showcerts=True, cert=p.cert, key=p.key, p12=p.pkcs12,
                                   password_env=p.password_env))


def curl_command(p: ProbeInputs) -> str:
    """The `curl` line that sends the same request."""
    t = p.target
    connect_to = (f"{hostport(t.host, t.port)}:{hostport(t.connect_host, t.connect_port)}"
                  if t.redirected else None)
    return render(curl.request(f"https://{t.host_header}{p.path}", connect_to=connect_to,
                               cert=p.cert, key=p.key, p12=p.pkcs12,
                               password_env=p.password_env))


def _connect(p: ProbeInputs) -> str | None:
    t = p.target
    return hostport(t.connect_host, t.connect_port) if t.redirected else None


def _replay(p: ProbeInputs) -> tuple[str, ...]:
    return (s_client_command(p), curl_command(p))


def _fix(summary: str, p: ProbeInputs, steps: tuple[str, ...] = (),
         commands: tuple[str, ...] = ()) -> Fix:
    """A fix whose commands replay the probe with openssl and curl, then `commands`."""
    return Fix(summary, steps, (*_replay(p), *commands))


def body_summary(body: str, limit: int = 60) -> str:
    """The start of an HTTP body on one line: the <title> of HTML, else its text."""
    title = re.search(r"<title>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
    text = title.group(1) if title else re.sub(r"<[^>]*>", " ", body)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_finding(r: ProbeResult, p: ProbeInputs) -> Finding | None:
    err = r.error
    if err is None:
        return None
    t = p.target
    where = hostport(t.connect_host, t.connect_port)
    evidence = {"kind": err.kind.value, "step": err.step, "message": err.message}
    if err.kind is ErrorKind.DNS:
        return make_finding("PROBE_DNS_FAILED", f"{t.connect_host} does not resolve", err.message,
                            location=t.connect_host, evidence=evidence,
                            fix=Fix("Check the name, or the DNS record that should point at the "
                                    "custom domain's regional domain name (d-xxxx.execute-api...).",
                                    (), render_all((tools.dig_short(t.connect_host),
                                                    tools.nslookup(t.connect_host)))))
    if err.kind is ErrorKind.REFUSED:
        return make_finding("PROBE_CONNECTION_REFUSED", f"{where} refused the connection",
                            err.message, location=where, evidence=evidence,
                            fix=_fix("Check the port, and that the name points at the right "
                                     "endpoint (API Gateway listens on 443).", p))
    if err.kind is ErrorKind.TIMEOUT:
        return make_finding("PROBE_TIMEOUT", f"{where}: no answer during the {err.step}",
                            err.message, location=where, evidence=evidence,
                            fix=_fix("Check firewalls, security groups and proxies between here and "
                                     "the endpoint, or raise --timeout.", p))
    if err.kind is ErrorKind.NOT_TLS:
        return make_finding("PROBE_NOT_TLS", f"{where} does not speak TLS", err.message,
                            location=where, evidence=evidence,
                            fix=_fix("The port answers in plain text (HTTP?): use the TLS port, "
                                     "usually 443.", p))
    if err.kind is ErrorKind.RESET:
        after = ""
        if err.step != "handshake" and r.client_certificate.presented:
            after = (" The handshake had finished with the client certificate presented: a server "
                     "may refuse a certificate this way, without an alert.")
        return make_finding("PROBE_CONNECTION_RESET", f"{where} dropped the connection during the "
                            f"{err.step}", err.message + "." + after, location=where,
                            evidence=evidence,
                            fix=_fix("A proxy, a load balancer or the server closed the connection: "
                                     "check SNI, TLS versions and whatever stands in front of the "
                                     "server.", p))
    return None


def _mtls_findings(r: ProbeResult, p: ProbeInputs) -> list[Finding]:
    out: list[Finding] = []
    cc, auth = r.client_certificate, r.client_auth
    err = r.error
    handshake_done = r.tls_version is not None and (err is None or err.step != "handshake")
    if auth.requested is False and handshake_done:
        out.append(make_finding(
            "MTLS_NOT_REQUESTED", f"{p.target.host} never asks for a client certificate",
            "The server completed the handshake without a CertificateRequest, so mutual TLS is "
            "not enforced here: the name may point somewhere else than the custom domain (DNS, "
            "the default execute-api endpoint, an edge or private endpoint), or mTLS is off.",
            location=r.address, evidence={"tls_version": r.tls_version},
            fix=_fix("Point the name at the custom domain's regional domain name and check that "
                     "the domain has a truststore.", p,
                     ("Read the domain's regional domain name and truststore, and where the name "
                      "resolves.",),
                     render_all((aws.get_domain_name(aws.Domain(p.target.host)),
                                 tools.dig_short(p.target.host))))))
    if auth.requested and not cc.presented and p.cert is None:
        how = {True: "requires one: without it the connection fails",
               False: "asks for one but lets the connection through without it",
               None: "asks for one"}[auth.required]
        out.append(make_finding(
            "MTLS_NO_CLIENT_CERT_GIVEN", "the server asks for a client certificate; none was given",
            f"The server {how}. It names {len(auth.acceptable_ca_names)} acceptable CA(s)"
            + (f": {', '.join(auth.acceptable_ca_names[:4])}" if auth.acceptable_ca_names else "")
            + ". Pass --cert/--key to test a real client.",
            location=r.address,
            evidence={"required": auth.required, "acceptable_ca_names": list(auth.acceptable_ca_names)},
            fix=Fix("Probe again with the client's certificate and key.", (),
                    (render(doctor.probe(hostport(p.target.host, p.target.port),
                                         connect=_connect(p), cert="<client-cert.pem>",
                                         key="<client-key.pem>")),))))
    if cc.presented and cc.outcome is Outcome.REJECTED:
        meaning = MEANING.get(cc.alert or "", "")
        named = cc.issuer in auth.acceptable_ca_names if cc.issuer else None
        ca_hint = ""
        if named is False and auth.acceptable_ca_names:
            ca_hint = (f" The client certificate's issuer {cc.issuer} is not among the CA names the "
                       f"server accepts ({', '.join(auth.acceptable_ca_names[:4])}).")
        how = f"with the TLS alert {cc.alert}" if cc.alert else (
            f"with HTTP {r.http.status} '{body_summary(r.http.body)}'" if r.http else "")
        out.append(make_finding(
            "MTLS_CLIENT_CERT_REJECTED", f"the server refused the client certificate {how}".strip(),
            (f"{meaning[:1].upper()}{meaning[1:]}." if meaning else "The server refused it.")
            + ca_hint,
            subject=cc.subject, location=r.address,
            evidence={"alert": cc.alert, "issuer": cc.issuer,
                      "issuer_in_acceptable_ca_names": named,
                      "step": err.step if err else None},
            fix=_fix("Check the client against the truststore the server uses.", p,
                     ("Predict API Gateway's verdict and see why with mtls-doctor verify-client, "
                      "against the truststore the domain uses.",),
                     (verify_client_command(p),))))
    return out


def _server_findings(r: ProbeResult, p: ProbeInputs) -> list[Finding]:
    out: list[Finding] = []
    host = p.target.host
    leaf = r.served_chain[0] if r.served_chain else None
    if r.tls_version in _OLD_TLS:
        out.append(make_finding(
            "SERVER_TLS_BELOW_1_2", f"the server negotiated {r.tls_version}",
            "TLS 1.0 and 1.1 are obsolete (RFC 8996); API Gateway's TLS_1_2 policy never offers them, "
            "so this endpoint is not the custom domain or has the wrong security policy.",
            location=r.address, evidence={"tls_version": r.tls_version},
            fix=_fix("Use the TLS_1_2 security policy on a REGIONAL custom domain.", p)))
    if leaf is not None and r.hostname_match is not None and not r.hostname_match.matches:
        out.append(make_finding(
            "SERVER_HOSTNAME_MISMATCH", f"the served certificate does not cover {host}",
            f"{leaf.subject}: {r.hostname_match.reason}.", subject=leaf.subject,
            location="served chain, certificate #1",
            evidence={"host": host, "sans": list(leaf.sans)},
            fix=_fix("Serve a certificate that names the host (or a wildcard one label above it); "
                     "for API Gateway, the custom domain's ACM certificate.", p)))
    if leaf is not None and leaf.validity is not None and leaf.validity.status == "expired":
        out.append(make_finding(
            "SERVER_CERT_EXPIRED", f"the served certificate expired {-leaf.validity.days_left} days ago",
            f"{leaf.subject} was valid until {leaf.not_after:%Y-%m-%d %H:%M} UTC.",
            subject=leaf.subject, location="served chain, certificate #1",
            evidence={"not_after": leaf.not_after},
            fix=_fix("Renew the server certificate (ACM renews AMAZON_ISSUED ones; imported ones "
                     "must be re-imported).", p)))
    chain = r.chain
    if chain is not None and (not chain.ordered or not chain.complete):
        out.append(make_finding(
            "SERVER_CHAIN_INCOMPLETE", "the served chain is incomplete or out of order",
            chain.detail[:1].upper() + chain.detail[1:] + ".", location="served chain",
            evidence={"ordered": chain.ordered, "complete": chain.complete,
                      "served": [c.subject for c in r.served_chain]},
            fix=_fix("Serve the leaf followed by each intermediate up to (not necessarily "
                     "including) the root.", p)))
    elif chain is not None and chain.trusted is False:
        out.append(make_finding(
            "SERVER_CERT_UNTRUSTED", "the served chain is not trusted by the local trust store",
            chain.detail[:1].upper() + chain.detail[1:] + ".", location="served chain",
            evidence={"served": [c.subject for c in r.served_chain]},
            fix=_fix("Serve a certificate from a public CA (ACM), or give clients the private "
                     "CA.", p)))
    return out


def _http_findings(r: ProbeResult, p: ProbeInputs) -> list[Finding]:
    http = r.http
    if http is None or http.status != 403 or r.client_certificate.outcome is Outcome.REJECTED:
        return []
    body = http.body.lower()
    errortype = http.headers.get("x-amzn-errortype", "")
    if "missing authentication token" in body:
        why = ("API Gateway answered 'Missing Authentication Token': usually no route or base "
               "path mapping matches this path, or IAM authorization is on")
    elif "explicit deny" in body or "not authorized" in body:
        why = "an authorizer or a resource policy denied the request"
    elif not r.client_auth.requested:
        why = ("the server never asked for a client certificate, so this 403 comes from "
               "authorization (an authorizer, a resource policy, IAM), not from mTLS")
    elif r.client_certificate.presented:
        why = ("either API Gateway refused the client certificate after the handshake, or an "
               "authorizer or resource policy refused the request; the access log's "
               "$context.identity.clientCert fields and errorMessage tell which")
    else:
        why = "no client certificate was sent; an mTLS domain refuses such requests"
    return [make_finding(
        "HTTP_FORBIDDEN", f"HTTP 403 for GET {p.path}",
        f"The request got 403: {why}.", location=r.address,
        evidence={"status": 403, "x-amzn-errortype": errortype or None,
                  "x-amzn-requestid": http.headers.get("x-amzn-requestid"),
                  "body": http.body[:200]},
        fix=_fix("Check the authorizer, resource policy and base path mappings for this path.", p,
                 ("List the base path mappings of the domain.",),
                 (render(aws.get_base_path_mappings(aws.Domain(p.target.host))),)))]


def probe_findings(r: ProbeResult, p: ProbeInputs) -> list[Finding]:
    """Every finding the probe's facts support."""
    out = []
    err = _error_finding(r, p)
    if err is not None:
        out.append(err)
    handshake_alert = (r.error is not None and r.error.kind is ErrorKind.TLS_ALERT)
    explained = r.client_certificate.outcome is Outcome.REJECTED or (
        r.client_certificate.outcome is Outcome.NOT_PRESENTED and r.client_auth.required)
    if r.error is not None and r.error.kind in (ErrorKind.TLS_ALERT, ErrorKind.TLS_ERROR) \
            and not explained:
        name = r.error.alert or "error"
        out.append(make_finding(
            "PROBE_HANDSHAKE_FAILED",
            f"the TLS exchange failed ({name})" if handshake_alert else "the TLS exchange failed",
            f"{r.error.message} (during the {r.error.step}). "
            + (MEANING.get(r.error.alert or "", "") if r.client_auth.requested
               else GENERIC_MEANING.get(r.error.alert or "", "")),
            location=r.address, evidence={"alert": r.error.alert, "message": r.error.message},
            fix=_fix("Compare with openssl s_client; check SNI, TLS versions and ciphers.", p)))
    if r.tls_version is not None or r.served_chain:
        out += _server_findings(r, p)
        out += _mtls_findings(r, p)
        out += _http_findings(r, p)
    return out
