"""`curl` commands. curl takes a URL anywhere on its line: one that comes from outside (a
certificate's caIssuers) goes after `--url`, so that it can never be read as an option."""

from __future__ import annotations

from mtls_doctor.shell.core import Arg, Command, Env, Word, cmd


def request(url: str, *, connect_to: str | None = None, cert: str | None = None,
            key: str | None = None, p12: bool = False, password_env: str | None = None,
            cacert: str | None = None) -> Command:
    """`curl -v` of one URL, presenting the client certificate; a password comes from the
    environment variable `password_env` (`"${VAR}"`: the shell expands it, it is never
    printed)."""
    args: list[Arg] = ["-v"]
    if connect_to:
        args += ["--connect-to", connect_to]
    if cacert:
        args += ["--cacert", cacert]
    secret = Env(password_env) if password_env and Env.valid(password_env) else None
    if cert and p12:
        args += ["--cert-type", "P12", "--cert", Word((cert, ":", secret)) if secret else cert]
    elif cert:
        args += ["--cert", cert, "--key", key or cert]
        if secret:
            args += ["--pass", Word((secret,))]
    return cmd("curl", *args, url)


def status_code(url: str) -> Command:
    """Only the HTTP status of a request: `curl -sS -o /dev/null -w '%{http_code}\\n' URL`."""
    return cmd("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}\\n", url)


def download(url: str, out: str) -> Command:
    """Fetch a URL to a file, failing on an HTTP error."""
    return cmd("curl", "-fsSL", "-o", out, "--url", url)
