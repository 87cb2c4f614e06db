"""Private keys: load one to compare it with a certificate. Key material never leaves here:
no function returns or formats key bytes, and error messages never quote the file."""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from mtls_doctor.errors import InputError

_KEY_BLOCK = re.compile(rb"-----BEGIN ((?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY)-----.*?-----END \1-----",
                        re.DOTALL)


def find_key_block(data: bytes) -> bytes | None:
    """The first PEM private key block in `data`, if any."""
    m = _KEY_BLOCK.search(data.replace(b"\r\n", b"\n"))
    return m.group(0) if m else None


def load_private_key(data: bytes, source: str, password: bytes | None) -> PrivateKeyTypes:
    """Load a PEM or DER private key; a wrong or missing password stops the command."""
    block = find_key_block(data)
    loader = serialization.load_der_private_key if block is None else serialization.load_pem_private_key
    raw = data if block is None else block

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
