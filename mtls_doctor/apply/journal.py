"""The journal: every call `fix --apply` (or `--rollback`) sent to AWS, one JSON line each, in
`$XDG_STATE_HOME/mtls-doctor/journal.jsonl` (`~/.local/state/mtls-doctor/journal.jsonl` by
default), so that what was changed is never a mystery. No secrets: an upload's body is kept as
its length and SHA-256, never its bytes; parameters are the call's own (names, ids, versions)."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mtls_doctor.apply.plan import Call
from mtls_doctor.errors import InputError
from mtls_doctor.report.json import iso

#: the largest journal read back (`--rollback`)
MAX_JOURNAL = 64 * 1024 * 1024


def journal_path() -> Path:
    """Where the journal lives (the XDG base directory specification's state directory)."""
    base = os.environ.get("XDG_STATE_HOME") or ""
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "mtls-doctor" / "journal.jsonl"


def new_run_id() -> str:
    """An id for one `--apply` run: its time and a random part (`20261129T190000Z-1a2b3c`)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def call_record(call: Call) -> dict[str, Any]:
    """A call as the journal keeps it: service, operation, region, parameters (an upload's
    body described, never included), and its undo calls."""
    return {"service": call.service, "operation": call.operation, "region": call.region,
            "params": dict(call.params), "undo": [call_record(u) for u in call.undo]}


def call_of(record: Mapping[str, Any]) -> Call:
    """A call back from its journal record."""
    return Call(str(record["service"]), str(record["operation"]),
                record.get("region") if isinstance(record.get("region"), str) else None,
                dict(record.get("params") or {}), "from the journal",
                undo=tuple(call_of(u) for u in record.get("undo") or ()))


def append(entry: Mapping[str, Any], path: Path | None = None) -> Path:
    """Add one line (created with mode 0600 in a 0700 directory when new)."""
    path = path or journal_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    line = json.dumps({"at": iso(datetime.now(UTC)), "unix": time.time(), **entry},
                      ensure_ascii=True, sort_keys=True, default=str)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    return path


def entries(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Every line of the journal that parses (oldest first)."""
    path = path or journal_path()
    if not path.exists():
        return
    if path.stat().st_size > MAX_JOURNAL:
        raise InputError(f"{path}: the journal is over {MAX_JOURNAL} bytes; move it aside")
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if isinstance(doc, dict):
                yield doc


def run_entries(run_id: str, path: Path | None = None) -> list[dict[str, Any]]:
    """The journal's lines of one run."""
    return [e for e in entries(path) if e.get("run") == run_id]


def last_domain_update(path: Path | None = None) -> float | None:
    """When (Unix time) the journal last saw an UpdateDomainName sent, for pacing."""
    last = None
    for e in entries(path):
        call = e.get("call") or {}
        if isinstance(call, Mapping) and call.get("operation") == "UpdateDomainName" \
                and isinstance(e.get("unix"), int | float):
            last = float(e["unix"])
    return last
