"""The start form's fields checked and turned into `DiagnoseOptions`. Pure: no textual (it only
looks whether the named files exist)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from mtls_doctor.diagnose.run import DiagnoseOptions
from mtls_doctor.errors import InputError
from mtls_doctor.probe.target import hostport, split_host_port

#: the form's fields, in order: (name, label, placeholder)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("host", "Host", "api.example.com (required)"),
    ("port", "Port", "443"),
    ("connect", "--connect", "ADDR[:PORT]: connect there, keep Host as SNI"),
    ("cert", "Client certificate", "client.pem"),
    ("key", "Client key", "client.key"),
    ("truststore", "Truststore", "truststore.pem or s3://bucket/key"),
    ("region", "AWS region", "eu-west-1 (default: found from DNS or profile)"),
    ("profile", "AWS profile", "default"),
)

FILE_FIELDS = ("cert", "key", "truststore")


def _port(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        return None
    return int(text)


def validate(values: Mapping[str, str]) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the form can run."""
    errors: dict[str, str] = {}
    v = {k: values.get(k, "").strip() for k, _, _ in FIELDS}
    port = 443
    if v["port"]:
        checked = _port(v["port"])
        if checked is None:
            errors["port"] = "a port is a number from 1 to 65535"
        else:
            port = checked
    if not v["host"]:
        errors["host"] = "the host to diagnose is required"
    else:
        try:
            split_host_port(v["host"], port, "host")
        except InputError as exc:
            errors["host"] = str(exc)
    if v["connect"]:
        try:
            split_host_port(v["connect"], port, "--connect")
        except InputError as exc:
            errors["connect"] = str(exc)
    for name in FILE_FIELDS:
        value = v[name]
        if not value or (name == "truststore" and value.lower().startswith("s3://")):
            continue
        path = Path(value).expanduser()
        if not path.exists():
            errors[name] = f"no such file: {value}"
        elif not path.is_file():
            errors[name] = f"not a file: {value}"
    if v["key"] and not v["cert"] and "key" not in errors:
        errors["key"] = "a key needs its client certificate"
    return errors


def build_options(values: Mapping[str, str], now: datetime) -> DiagnoseOptions:
    """The options the form describes (call `validate` first: this raises InputError)."""
    v = {k: values.get(k, "").strip() for k, _, _ in FIELDS}
    errors = validate(v)
    if errors:
        raise InputError("; ".join(f"{k}: {e}" for k, e in errors.items()))
    port = _port(v["port"]) if v["port"] else None
    host, parsed_port, path = split_host_port(v["host"], port or 443, "host")
    target = hostport(host, port or parsed_port)

    def opt(name: str) -> str | None:
        value = v[name]
        if name in FILE_FIELDS and value and not value.lower().startswith("s3://"):
            return str(Path(value).expanduser())
        return value or None

    return DiagnoseOptions(host=target, at=now, now=now, connect=opt("connect"), cert=opt("cert"),
                           key=opt("key"), truststore=opt("truststore"), path=path,
                           region=opt("region"), profile=opt("profile"))
