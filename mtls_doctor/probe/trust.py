"""The local trust store a normal TLS client would use (OpenSSL's default paths, which honour
SSL_CERT_FILE and SSL_CERT_DIR)."""

from __future__ import annotations

import functools
import os
import ssl

from cryptography import x509

from mtls_doctor.pki.quiet import quiet


@functools.cache
def system_roots() -> tuple[x509.Certificate, ...]:
    """The roots of the default CA file, or of the CA directory when there is no file."""
    paths = ssl.get_default_verify_paths()
    files = []
    for candidate in (os.environ.get("SSL_CERT_FILE"), paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            files.append(candidate)
            break
    if not files:
        directory = os.environ.get("SSL_CERT_DIR") or paths.capath or paths.openssl_capath
        if directory and os.path.isdir(directory):
            files = [os.path.join(directory, f) for f in sorted(os.listdir(directory))
                     if f.endswith((".pem", ".crt"))]
    roots: list[x509.Certificate] = []
    for path in files:
        try:
            with open(path, "rb") as fh, quiet():  # real roots with serial 0 make cryptography warn
                roots.extend(x509.load_pem_x509_certificates(fh.read()))
        except (OSError, ValueError):
            continue
    return tuple(roots)
