"""A small lab on loopback that reproduces the faults people meet most with API Gateway mTLS:

- the server presents its FQDN certificate while the custom domain is configured with the
  wildcard one (the guide's migration case);
- the truststore holds a partner's issuing CA without the root above it, and a SHA-1 root;
- the client certificate comes from that partner CA, which the live server does not trust;
- the domain (an AWS snapshot built here) reports a truststore warning, uses a stale truststore
  version and leaves the default execute-api endpoint open.

Everything is generated at start (keys and certificates in a temporary folder) and removed at
the end; the server is a Python `ssl` server on 127.0.0.1 that asks for a client certificate.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mtls_doctor.aws.snapshot import dumps
from mtls_doctor.model.domain import AcmCertificate, DomainFacts, Mapping, Mtls, TruststoreObject

HOST = "api.demo.mtls-doctor.test"
WILDCARD = "*.demo.mtls-doctor.test"
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/5d8e1c2a-demo-4f0b-9a51-000000000001"


@dataclass(frozen=True)
class Lab:
    """Where the lab's server listens and the files the diagnosis uses."""

    port: int
    client_cert: Path
    client_key: Path
    snapshot: Path


class Issued:
    """A certificate and its key."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.cert, self.key = cert, key

    def pem(self) -> bytes:
        """The certificate as PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM."""
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


def issue(cn: str, issuer: Issued | None, *, ca: bool, not_before: datetime,
          not_after: datetime, sans: tuple[str, ...] = (), client: bool = False,
          key: ec.EllipticCurvePrivateKey | None = None, serial: int | None = None,
          organization: str = "mtls-doctor demo", deterministic: bool = False) -> Issued:
    """An EC P-256 certificate for `cn` as the lab uses them: a CA (keyCertSign, cRLSign) or a
    leaf for server or client authentication, signed by `issuer` (self-signed without one). A
    new key and a random serial unless given; `deterministic` signs with RFC 6979 (a fixed
    report for tests)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder()
         .subject_name(name)
         .issuer_name(issuer.cert.subject if issuer else name)
         .public_key(key.public_key())
         .serial_number(serial if serial is not None else x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    if issuer is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer.key.public_key()), critical=False)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]),
                            critical=False)
    b = b.add_extension(x509.KeyUsage(
        digital_signature=not ca, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False), critical=True)
    if not ca:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        b = b.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    cert = b.sign(issuer.key if issuer else key, hashes.SHA256(),
                  ecdsa_deterministic=deterministic)
    return Issued(cert, key)


def _issue(cn: str, issuer: Issued | None, *, ca: bool, sans: tuple[str, ...] = (),
           client: bool = False, now: datetime) -> Issued:
    return issue(cn, issuer, ca=ca, sans=sans, client=client,
                 not_before=now - timedelta(days=30),
                 not_after=now + timedelta(days=3650 if ca else 365))


def _serve(ctx: ssl.SSLContext, listener: socket.socket, stop: threading.Event) -> None:
    """Answer each connection like API Gateway answers a refused client: 403 Forbidden."""
    listener.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        conn.settimeout(5)
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except (OSError, ssl.SSLError):
            # refused (the alert is sent): read what the client still sends before closing, so
            # that it meets the alert on its first read rather than a reset on its write
            with contextlib.suppress(OSError, ValueError):
                raw = socket.socket(fileno=tls.detach())
                raw.settimeout(1)
                while raw.recv(4096):
                    pass
                raw.close()
            continue
        with contextlib.suppress(OSError, ssl.SSLError), tls:
            tls.recv(4096)
            body = b'{"message":"Forbidden"}'
            tls.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                        b"x-amzn-ErrorType: ForbiddenException\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                        b"Connection: close\r\n\r\n" + body)


@contextlib.contextmanager
def running_lab() -> Iterator[Lab]:
    """Generate the PKI, start the server, write the snapshot; remove everything afterwards."""
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="mtls-doctor-demo-") as tmp:
        d = Path(tmp)
        root = _issue("Demo Root CA", None, ca=True, now=now)
        issuing = _issue("Demo Issuing CA", root, ca=True, now=now)
        fqdn = _issue(HOST, issuing, ca=False, sans=(HOST,), now=now)
        wildcard = _issue(WILDCARD, issuing, ca=False, sans=(WILDCARD,), now=now)
        partner_root = _issue("Partner Root CA", None, ca=True, now=now)
        partner = _issue("Partner Issuing CA", partner_root, ca=True, now=now)
        client = _issue("sensor-17.partner.example", partner, ca=False,
                        sans=("sensor-17.partner.example",), client=True, now=now)
        legacy = resources.files("mtls_doctor.demo").joinpath("data/legacy-sha1-root.pem")
        # the truststore API Gateway reads: the partner's issuing CA without its root, and a
        # SHA-1 root; the live server trusts only the company's own CA
        truststore = root.pem() + partner.pem() + legacy.read_bytes()
        (d / "server.pem").write_bytes(fqdn.pem() + issuing.pem())
        (d / "server.key").write_bytes(fqdn.key_pem())
        (d / "ca.pem").write_bytes(root.pem() + issuing.pem())
        (d / "client.pem").write_bytes(client.pem())
        (d / "client.key").write_bytes(client.key_pem())
        serial = ":".join(f"{b:02x}" for b in wildcard.cert.serial_number.to_bytes(20, "big"))
        acm = AcmCertificate(ARN, "ISSUED", "AMAZON_ISSUED",
                             wildcard.cert.subject.rfc4514_string(),
                             issuing.cert.subject.rfc4514_string(), WILDCARD, (WILDCARD,),
                             now - timedelta(days=30), now + timedelta(days=365), serial=serial)
        facts = DomainFacts(
            name=HOST, region="eu-west-1", region_source="snapshot", found=True,
            api_type="rest", endpoint_type="REGIONAL", status="AVAILABLE",
            security_policy="TLS_1_2", certificate_arn=ARN,
            regional_domain_name="d-demo0000.execute-api.eu-west-1.amazonaws.com",
            mtls=Mtls("s3://demo-truststores/prod/truststore.pem", "v1-demo",
                      ("Certificate CN=Demo Legacy Root CA (SHA-1) uses an insecure signature "
                       "algorithm",)),
            mappings=(Mapping("a1b2c3d4e5", "prod", "(none)", False, "orders-api", "rest"),),
            mappings_read=True, certificates={ARN: acm},
            truststore_object=TruststoreObject("demo-truststores", "prod/truststore.pem",
                                               "Enabled", "v2-demo", "v1-demo",
                                               content=truststore))
        (d / "aws-snapshot.json").write_text(dumps(facts), encoding="utf-8")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d / "server.pem", d / "server.key")
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(d / "ca.pem")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        stop = threading.Event()
        thread = threading.Thread(target=_serve, args=(ctx, listener, stop),
                                  name="mtls-doctor-demo", daemon=True)
        thread.start()
        try:
            yield Lab(listener.getsockname()[1], d / "client.pem", d / "client.key",
                      d / "aws-snapshot.json")
        finally:
            stop.set()
            listener.close()
            thread.join(5)
