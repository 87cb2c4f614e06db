"""The code stays clean: ruff and mypy run as part of the test suite, so CI and README's one
test command cover them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("tool", ["ruff", "mypy"])
def test_tool_is_clean(tool: str) -> None:
    if tool == "ruff":
        cmd = [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)]
    else:
        cmd = [sys.executable, "-m", "mypy", "--no-incremental"]
    if importlib.util.find_spec(tool) is None:  # the venv's tools need not be on the PATH
        pytest.fail(f"{tool} is not installed: pip install -e '.[test]'")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_core_does_not_load_tui_or_aws() -> None:
    """Importing the headless core and running a command must not pull in textual or boto3
    (they are slow to import and belong to tui/ and aws/ only)."""
    code = (
        "import sys, mtls_doctor.pki.truststore, mtls_doctor.pki.client, mtls_doctor.cli, "
        "mtls_doctor.report.text, mtls_doctor.report.json, mtls_doctor.commands.truststore, "
        "mtls_doctor.commands.inspect, mtls_doctor.commands.verify_client\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'textual', 'boto3', 'botocore', 'rich', 'OpenSSL'})\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == "", f"heavy modules loaded by the core: {out}"


def test_ci_runs_readme_test_command() -> None:
    """.ci/run runs exactly the test command README gives a newcomer."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```")
    first_block = blocks[1]
    commands = [ln for ln in first_block.splitlines() if ln and not ln.startswith(("#", "sh"))]
    assert len(commands) == 2, commands
    assert "mtls-doctor" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
