"""The start form's fields checked and turned into `DiagnoseOptions`. Pure: no textual (it only
looks whether the named files exist and whether the named environment variable is set).

The form offers what `mtls-doctor diagnose` takes on the command line, one field per option; a
field left empty means the option's default. The key password is never typed into the form: the
form asks for the name of the environment variable that holds it (`--key-password-env VAR`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from mtls_doctor.diagnose.run import DiagnoseOptions
from mtls_doctor.errors import InputError
from mtls_doctor.probe.target import hostport, split_host_port

#: what a field holds: free text, a local file name, or a yes/no flag (a checkbox)
Kind = Literal["text", "file", "flag"]


@dataclass(frozen=True)
class Field:
    """One field of the start form: its name (the `values` key), its label, the placeholder shown
    while it is empty (an example, `e.g. …`, never something that looks like a value), and what
    it holds. `option` is the command-line option it stands for."""

    name: str
    label: str
    placeholder: str
    option: str
    kind: Kind = "text"


#: the form's fields, in order
FIELDS: tuple[Field, ...] = (
    Field("host", "Host", "e.g. api.example.com (required)", "HOST"),
    Field("port", "Port", "e.g. 8443 (443 when empty)", "HOST:PORT"),
    Field("connect", "Connect to", "e.g. 10.0.0.5:443 (Host stays the SNI name)", "--connect"),
    Field("timeout", "Timeout (seconds)", "e.g. 60 (30 when empty)", "--timeout"),
    Field("cert", "Client certificate", "e.g. client.pem or client.p12", "--cert", "file"),
    Field("key", "Client key", "e.g. client.key", "--key", "file"),
    Field("key_password_env", "Key password env", "e.g. CLIENT_KEY_PASS (a variable's name)",
          "--key-password-env"),
    Field("chain", "Client chain", "e.g. intermediates.pem", "--chain", "file"),
    Field("truststore", "Truststore", "e.g. truststore.pem or s3://bucket/key", "--truststore",
          "file"),
    Field("no_aws", "No AWS", "skip every AWS call", "--no-aws", "flag"),
    Field("aws_snapshot", "AWS snapshot", "e.g. domain.json (saved by domain --save)",
          "--aws-snapshot", "file"),
    Field("region", "AWS region", "e.g. eu-west-1 (else from DNS or the profile)", "--region"),
    Field("profile", "AWS profile", "e.g. prod (else boto3's usual chain)", "--profile"),
)
#: the fields that open a group of the form (what is diagnosed, the client, the server side)
GROUP_STARTS = frozenset({"cert", "truststore"})

FIELD_NAMES = tuple(f.name for f in FIELDS)
#: the fields that name local files (a truststore may also be `s3://…`)
FILE_FIELDS = tuple(f.name for f in FIELDS if f.kind == "file")
#: the whole deadline's bounds, as `--timeout` takes it
MAX_TIMEOUT = 300.0
DEFAULT_TIMEOUT = 30.0

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_YES = frozenset({"1", "yes", "true", "on", "y"})

#: the form's values by field name: text, or a bool for a flag
Values = Mapping[str, str | bool]


def _flag(value: str | bool | None) -> bool:
    if isinstance(value, bool):
        return value
    return (value or "").strip().lower() in _YES


def _texts(values: Values) -> dict[str, str]:
    """Every text field's value, stripped ('' when absent)."""
    out: dict[str, str] = {}
    for f in FIELDS:
        value = values.get(f.name, "")
        out[f.name] = "" if f.kind == "flag" or isinstance(value, bool) else str(value).strip()
    return out


def _port(text: str) -> int | None:
    text = text.strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        return None
    return int(text)


def _timeout(text: str) -> float | None:
    """The number of seconds `text` says, when it is one `--timeout` takes (0 < n <= 300)."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        return None
    return seconds


def _is_s3(value: str) -> bool:
    return value.lower().startswith("s3://")


def _password_var_problem(v: Mapping[str, str], env: Mapping[str, str]) -> str | None:
    """What is wrong with the key password's variable name (None: nothing, or none given)."""
    var = v["key_password_env"]
    if not var:
        return None
    if not _ENV_NAME.fullmatch(var):
        return "the name of an environment variable (letters, digits and _), never the password"
    if var not in env:
        return f"environment variable {var} is not set: export it before starting mtls-doctor"
    if not (v["cert"] or v["chain"] or (v["truststore"] and not _is_s3(v["truststore"]))):
        return "it unlocks the client key or a PKCS#12 file: give the client certificate too"
    return None


def validate(values: Values, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the form can run. `environ` is where the
    key password's variable is looked up (the process's environment by default)."""
    env = os.environ if environ is None else environ
    errors: dict[str, str] = {}
    v = _texts(values)
    no_aws = _flag(values.get("no_aws"))
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
        if not value or (name == "truststore" and _is_s3(value)):
            continue
        path = Path(value).expanduser()
        if not path.exists():
            errors[name] = f"no such file: {value}"
        elif not path.is_file():
            errors[name] = f"not a file: {value}"
    for name, what in (("key", "a key"), ("chain", "a chain")):
        if v[name] and not v["cert"] and name not in errors:
            errors[name] = f"{what} needs its client certificate"
    problem = _password_var_problem(v, env)
    if problem is not None:
        errors["key_password_env"] = problem
    if v["timeout"] and _timeout(v["timeout"]) is None:
        errors["timeout"] = (f"a number of seconds, more than 0 and at most {MAX_TIMEOUT:g} "
                             f"({DEFAULT_TIMEOUT:g} when empty)")
    if no_aws and v["aws_snapshot"] and "aws_snapshot" not in errors:
        errors["aws_snapshot"] = "No AWS skips the AWS facts: untick it to use the snapshot"
    return errors


def build_options(values: Values, now: datetime,
                  environ: Mapping[str, str] | None = None) -> DiagnoseOptions:
    """The options the form describes (call `validate` first: this raises InputError). The key
    password is read from the named variable of `environ` (the process's environment by default)
    now, as `--key-password-env` reads it."""
    env = os.environ if environ is None else environ
    errors = validate(values, env)
    if errors:
        raise InputError("; ".join(f"{k}: {e}" for k, e in errors.items()))
    v = _texts(values)
    port = _port(v["port"]) if v["port"] else None
    host, parsed_port, path = split_host_port(v["host"], port or 443, "host")
    target = hostport(host, port or parsed_port)

    def opt(name: str) -> str | None:
        value = v[name]
        if name in FILE_FIELDS and value and not _is_s3(value):
            return str(Path(value).expanduser())
        return value or None

    var = opt("key_password_env")
    timeout = _timeout(v["timeout"]) if v["timeout"] else None
    return DiagnoseOptions(host=target, at=now, now=now, connect=opt("connect"), cert=opt("cert"),
                           key=opt("key"), chain=opt("chain"),
                           password=env[var].encode("utf-8") if var else None, password_env=var,
                           truststore=opt("truststore"), path=path,
                           timeout=timeout or DEFAULT_TIMEOUT, region=opt("region"),
                           profile=opt("profile"), no_aws=_flag(values.get("no_aws")),
                           aws_snapshot=opt("aws_snapshot"))
