"""Every shell command the product prints is built here: as an argv list, never as a string.

One module per program family returns `Command`s (an argv plus optional redirections) or
`Pipeline`s of them: `aws`, `openssl`, `curl`, `doctor` (mtls-doctor itself) and `tools` (dig,
nslookup, cat, awk, iconv, printf, grep). `render` turns one into a line of POSIX sh in which
every argument, file name and placeholder (`<new-version-id>`) is one quoted literal; it is the
only place that writes shell syntax. `template` reads the walkthrough trees' command templates
into the same structures.

    from mtls_doctor.shell import aws, render
    render(aws.get_domain_name(aws.Domain("api.example.com", "eu-west-1")))
    # aws apigateway get-domain-name --domain-name api.example.com --region eu-west-1
"""

from __future__ import annotations

from mtls_doctor.shell.core import (
    Arg,
    Command,
    Env,
    Pipeline,
    Shell,
    Word,
    cmd,
    path,
    quote,
    render,
    render_all,
)

__all__ = ["Arg", "Command", "Env", "Pipeline", "Shell", "Word", "cmd", "path", "quote", "render",
           "render_all"]
