"""What the commands share: reading inputs (files, `-`, `s3://`) and the client's certificate and key."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mtls_doctor.errors import InputError
from mtls_doctor.model.frozen import frozen
from mtls_doctor.pki.load import LoadedFile, ProblemKind, load_certificates
from mtls_doctor.source import SourceData, read_source

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


def read_input(spec: str, what: str, *, profile: str | None = None,
               region: str | None = None) -> SourceData:
    """The bytes of a file, `-` or `s3://bucket/key[?versionId=V]` (read with boto3)."""
    if spec.lower().startswith("s3://"):
        from mtls_doctor.aws.s3source import read_s3  # boto3 loads only for s3:// inputs

        return read_s3(spec, what, profile, region)
    return read_source(spec, what)


def load_input(spec: str, what: str, password: bytes | None, *, profile: str | None = None,
               region: str | None = None) -> LoadedFile:
    """Read a file or `s3://` source and decode every certificate in it."""
    src = read_input(spec, what, profile=profile, region=region)
    return load_certificates(src.data, src.name, password=password)


def source_info(loaded: LoadedFile, at: datetime) -> dict[str, Any]:
    """The `source` object of a payload: which file, what encoding, evaluated when."""
    return {"name": loaded.source, "container": str(loaded.container), "at": at}


@frozen
class ClientInput:
    """The client's certificate file and, when one is at hand, its private key (never shown)."""

    file: LoadedFile
    data: bytes = field(repr=False)
    key: PrivateKeyTypes | None = field(default=None, repr=False)
    key_source: str | None = None


def load_client(cert: str, key: str | None, password: bytes | None, *,
                key_required: bool) -> ClientInput:
    """Read --cert and its key: --key, else the key of a PKCS#12, else a key block beside the
    certificate. Without `key_required`, a key that does not open only skips the key check."""
    from mtls_doctor.pki.keys import find_key_block, load_private_key  # not for truststores

    src = read_source(cert, "client certificate")
    loaded = load_certificates(src.data, src.name, password=password)
    if not loaded.certificates and any(p.kind is ProblemKind.PRIVATE_KEY for p in loaded.problems):
        raise InputError(f"--cert {cert} holds a private key, not a certificate "
                         "(--cert and --key swapped?)")
    if key is not None:
        key_src = read_source(key, "key file")
        return ClientInput(loaded, src.data, load_private_key(key_src.data, key_src.name, password),
                           key)
    if loaded.pkcs12_key is not None:
        return ClientInput(loaded, src.data, loaded.pkcs12_key, cert)
    if find_key_block(src.data) is not None:
        try:
            return ClientInput(loaded, src.data, load_private_key(src.data, src.name, password),
                               cert)
        except InputError:
            if key_required:
                raise
    elif key_required:
        raise InputError(f"{cert}: give the client's private key with --key FILE")
    return ClientInput(loaded, src.data)
