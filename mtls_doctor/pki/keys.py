"""Private keys: load one to compare it with a certificate. Key material never leaves here:
no function returns or formats key bytes, and error messages never quote the file."""

from __future__ import annotations

import base64
import binascii
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from mtls_doctor.errors import InputError
from mtls_doctor.pki import der as asn1

_KEY_BEGIN = re.compile(rb"-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----")
#: the most key-derivation iterations an encrypted key may ask for (as for PKCS#12 files)
MAX_KEY_ITERATIONS = 10_000_000


def find_key_block(data: bytes) -> bytes | None:
    """The first PEM private key block in `data` (one with its END line), if any. Linear in the
    size of `data`, whatever it holds (a regular expression spanning BEGIN to END is quadratic
    over thousands of BEGIN lines without an END)."""
    data = data.replace(b"\r\n", b"\n")
    unended: set[bytes] = set()
    for m in _KEY_BEGIN.finditer(data):
        label = m.group(1)
        if label in unended:
            continue  # no END of this label after an earlier BEGIN: none after this one either
        end_line = b"-----END " + label + b"-----"
        end = data.find(end_line, m.end())
        if end < 0:
            unended.add(label)
            continue
        return data[m.start() : end + len(end_line)]
    return None


def check_key_iterations(data: bytes, block: bytes | None, source: str) -> None:
    """Refuse (exit 2) an encrypted PKCS#8 key asking for more key-derivation iterations than
    `MAX_KEY_ITERATIONS`, before OpenSSL runs them (2**31-1 PBKDF2 rounds take minutes)."""
    if block is not None:
        if not block.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"):
            return  # legacy PEM encryption derives its key with one MD5 round
        body = block[block.index(b"-----", 5) + 5 : block.rindex(b"-----END")]
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            return  # not base64: the loader says the key is unreadable
    else:
        der = data
    try:
        counts = asn1.pkcs8_iterations(der)
    except (asn1.DerError, IndexError, ValueError):
        return  # not an EncryptedPrivateKeyInfo that can be read: OpenSSL refuses it at once
    for what, count in counts:
        if count > MAX_KEY_ITERATIONS or count < 1:
            shown = f"{count:,}" if abs(count) < 10**30 else f"a {count.bit_length()}-bit number of"
            raise InputError(f"{source}: the key asks for {shown} iterations for {what}; "
                             f"mtls-doctor opens none asking for more than "
                             f"{MAX_KEY_ITERATIONS:,}: re-encrypt it with 'openssl pkey -in "
                             "KEY -aes256 -out NEW-KEY'")


def load_private_key(data: bytes, source: str, password: bytes | None) -> PrivateKeyTypes:
    """Load a PEM or DER private key; a wrong or missing password stops the command."""
    block = find_key_block(data)
    loader = serialization.load_der_private_key if block is None else serialization.load_pem_private_key
    raw = data if block is None else block
    check_key_iterations(data, block, source)

    def load(raw: bytes, password: bytes | None) -> PrivateKeyTypes:
        # RSA validation (prime checks) costs ~30 ms, more than the whole TLS handshake; the key
        # is only compared with a certificate and handed to OpenSSL, which signs with it and
        # fails the handshake if it is broken
        return loader(raw, password, unsafe_skip_rsa_key_validation=True)

    try:
        return load(raw, password)
    except TypeError as exc:
        if "not encrypted" in str(exc):
            return load(raw, None)
        raise InputError(
            f"{source}: the private key is encrypted; put its password in an environment "
            "variable and pass the variable's name with --key-password-env VAR"
        ) from None
    except ValueError as exc:
        if password is not None and ("password" in str(exc).lower() or "decrypt" in str(exc).lower()):
            raise InputError(f"{source}: cannot decrypt the private key (wrong password?)") from None
        raise InputError(f"{source}: no readable private key found (PEM or DER)") from None
    except Exception:  # noqa: BLE001 - cryptography raises several types; never echo the data
        raise InputError(f"{source}: no readable private key found (PEM or DER)") from None


def _spki(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_matches(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    """True when `key` is the private half of the certificate's public key."""
    try:
        return _spki(cert.public_key()) == _spki(key.public_key())
    except Exception:  # noqa: BLE001 - unsupported key types cannot match
        return False
