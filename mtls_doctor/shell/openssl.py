"""`openssl` commands: s_client, x509, pkey, storeutl, pkcs7, pkcs12, req. File names are option
values (`-in FILE`), which openssl never reads as options."""

from __future__ import annotations

from mtls_doctor.model.certificate import Container
from mtls_doctor.shell.core import Command, Pipeline, Shell, cmd, path


def openssl(*args: str, stdin: str | None = None, stderr: str | None = None) -> Command:
    """`openssl ARGS`."""
    return cmd("openssl", *args, stdin=stdin, stderr=stderr)


def s_client(connect: str, servername: str | None, *, showcerts: bool = False,
             cert: str | None = None, key: str | None = None, p12: bool = False,
             password_env: str | None = None, quiet: bool = False) -> Command:
    """`openssl s_client -connect ADDR -servername NAME ... </dev/null`: one handshake, then
    end (stdin is /dev/null); `quiet` sends its chatter on stderr to /dev/null."""
    args = ["s_client", "-connect", connect]
    if servername:
        args += ["-servername", servername]
    if showcerts:
        args.append("-showcerts")
    if cert:
        args += ["-cert", cert]
        if p12:
            args += ["-certform", "P12"]
        elif key:
            args += ["-key", key]
        if password_env:
            args += ["-pass", f"env:{password_env}"]
    return openssl(*args, stdin="/dev/null", stderr="/dev/null" if quiet else None)


def x509(*args: str, infile: str | None = None) -> Command:
    """`openssl x509 [-in FILE] ARGS`."""
    return openssl("x509", *(("-in", infile) if infile is not None else ()), *args)


def served_certificate(connect: str, servername: str | None, *fields: str) -> Pipeline:
    """The served certificate's fields: `openssl s_client ... | openssl x509 -noout FIELDS`."""
    return s_client(connect, servername, quiet=True) | x509("-noout", *fields)


def list_certs(source: str) -> Command:
    """Decode every certificate of a PEM bundle (`openssl x509` reads only the first)."""
    return openssl("storeutl", "-noout", "-text", "-certs", source)


def cert_pubkey_digest(cert: str) -> Pipeline:
    """The digest of a certificate's public key (compare with `key_pubkey_digest`)."""
    return x509("-noout", "-pubkey", infile=cert) | openssl("sha256")


def key_pubkey_digest(key: str) -> Pipeline:
    """The digest of a private key's public half."""
    return openssl("pkey", "-in", key, "-pubout") | openssl("sha256")


def certs_only(source: str, container: Container, out: str) -> Shell:
    """Rewrite a file of any container as a clean PEM bundle of its certificates only."""
    if container is Container.PKCS12:
        return openssl("pkcs12", "-in", source, "-nokeys", "-out", out)
    if container is Container.PKCS7_DER:
        return openssl("pkcs7", "-inform", "DER", "-in", source, "-print_certs", "-out", out)
    if container is Container.PKCS7_PEM:
        return openssl("pkcs7", "-in", source, "-print_certs", "-out", out)
    if container is Container.DER:
        return x509("-inform", "DER", "-out", out, infile=source)
    if container is Container.BASE64:
        return cmd("base64", "-d", path(source)) | x509("-inform", "DER", "-out", out)
    return (openssl("crl2pkcs7", "-nocrl", "-certfile", source)
            | openssl("pkcs7", "-print_certs", "-out", out))


def new_key_and_csr(key: str, csr: str, subject: str, *, ec: bool = False) -> Command:
    """A new private key and a CSR for it."""
    new = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if ec
           else ["-newkey", "rsa:2048"])
    return openssl("req", "-new", *new, "-nodes", "-keyout", key, "-out", csr, "-subj", subject)
