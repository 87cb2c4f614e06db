"""Command line: parse arguments, run one command, print its report, exit with its code.

Exit codes (the contract): 0 no error finding, 1 at least one error finding, 2 could not run
(bad arguments, unreadable input), 3 internal error.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

from mtls_doctor import __version__
from mtls_doctor.errors import InputError
from mtls_doctor.safe import check_output, safe_text, write_report

if TYPE_CHECKING:  # the modules of the command run are imported by `run`, not for --help
    from mtls_doctor.deadline import Deadline
    from mtls_doctor.diagnose.run import DiagnoseOptions
    from mtls_doctor.model.report import Report

PROG = "mtls-doctor"
FORMATS = ("text", "json", "markdown", "html")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {safe_text(message)} (see {self.prog} --help)\n")
        raise SystemExit(2)


def parse_instant(text: str) -> datetime:
    """`--at`: an ISO 8601 date or date-time; without a zone it is UTC."""
    raw = text.strip()
    try:
        dt = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 instant (e.g. 2027-01-31 or 2027-01-31T12:00:00Z)"
        ) from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _non_negative(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def _live(p: argparse.ArgumentParser) -> None:
    """The options of a live connection (probe, diagnose)."""
    p.add_argument("--connect", metavar="ADDR[:PORT]",
                   help="open the TCP connection to ADDR while HOST stays the SNI and Host")
    p.add_argument("--cert", metavar="FILE", help="client certificate (PEM, DER or PKCS#12)")
    p.add_argument("--key", metavar="FILE", help="the client certificate's private key")
    p.add_argument("--chain", metavar="FILE", help="intermediates to send with the certificate")
    p.add_argument("--path", metavar="/p", help="HTTP path to request (/, or the path of a URL)")
    _timeout(p)


def _timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=_seconds, default=30.0, metavar="SECONDS",
                   help="the whole command's deadline, every step and retry included (30)")


def _aws(p: argparse.ArgumentParser, *, by_name: bool = False) -> None:
    """--region and --profile; `by_name`: a command about a custom domain, whose region may
    come from its name's CNAME (d-xxxx.execute-api.REGION.amazonaws.com)."""
    g = p.add_argument_group("AWS")
    g.add_argument("--region", metavar="R", help="AWS region (else from the name's DNS, then the "
                   "profile)" if by_name else "AWS region (else the profile's)")
    g.add_argument("--profile", metavar="P", help="AWS profile (else boto3's usual chain)")


def _seconds(text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < n <= 300:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 300 seconds")
    return n


def _common(p: argparse.ArgumentParser, *, validity: bool = True, warn_days: bool = True,
            password: bool = True, formats: Sequence[str] = FORMATS) -> None:
    out = p.add_argument_group("output")
    out.add_argument("--format", choices=formats, default=None, help="output format (text)")
    out.add_argument("-o", "--output", metavar="FILE",
                     help="write the report to FILE (never one of the inputs, never through a "
                          "symbolic link: refused, exit 2)")
    out.add_argument("--no-color", action="store_true", help="no ANSI colours in text output")
    out.add_argument("--redact", action="store_true",
                     help="replace every identifying value (hosts, IPs, e-mails, names, SAN "
                          "values, accounts, ARNs, S3, API Gateway ids, files, request ids) "
                          "with a stable placeholder (every format)")
    if validity:
        p.add_argument("--at", type=parse_instant, metavar="ISO8601",
                       help="evaluate validity at this instant instead of now")
    if validity and warn_days:
        p.add_argument("--warn-days", type=_non_negative, default=30, metavar="N",
                       help="'expires soon' horizon in days (30)")
    if password:
        p.add_argument("--key-password-env", metavar="VAR",
                       help="read the key / PKCS#12 password from environment variable VAR")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every command; with `command`, of that command only (all that a
    run of it reads: the other commands' options cost start-up and are never looked at)."""
    parser = _Parser(
        prog=PROG,
        description="Find out why AWS API Gateway mutual TLS refuses a client, and how to fix it.",
        epilog="Exit codes: 0 no error finding and every check decided, 1 an error finding or a "
               "check that could not be decided, 2 could not run, 3 internal error, 130 "
               "quit mid-run.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    for name, add in _COMMANDS:
        if command is None or name == command:
            add(sub)
    return parser


def _inspect_parser(sub: Any) -> None:
    """The `inspect` subparser."""
    p = sub.add_parser("inspect", help="decode every certificate in a file",
                       description="Decode every certificate in FILE (PEM, DER, PKCS#7, PKCS#12), "
                                   "like openssl x509 -text for each, and check a host name.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--host", metavar="NAME", help="check whether the certificate covers NAME")
    _common(p, warn_days=False)


def _truststore_parser(sub: Any) -> None:
    """The `truststore` subparser."""
    p = sub.add_parser("truststore", help="lint a truststore against API Gateway's rules",
                       description="Decode a truststore bundle, show the chains it forms and "
                                   "check every API Gateway rule.")
    p.add_argument("source", metavar="SOURCE",
                   help="the bundle: a file, - for standard input, or s3://bucket/key[?versionId=V]")
    _aws(p)
    _common(p)


def _verify_client_parser(sub: Any) -> None:
    """The `verify-client` subparser."""
    p = sub.add_parser("verify-client", help="would API Gateway accept this client certificate",
                       description="Predict API Gateway's verdict on a client certificate: the "
                                   "path is built from the truststore alone.")
    p.add_argument("--cert", required=True, metavar="FILE",
                   help="client certificate (PEM, DER or PKCS#12)")
    p.add_argument("--truststore", required=True, metavar="SOURCE", help="the truststore bundle")
    p.add_argument("--key", metavar="FILE", help="the client's private key, to check it matches")
    p.add_argument("--chain", metavar="FILE", help="intermediates the client sends")
    p.add_argument("--revocation", action="store_true",
                   help="also fetch the certificate's CRL (CRL distribution points) and ask its "
                        "OCSP responder (authority information access), within --timeout, and "
                        "say whether its CA revoked it; API Gateway itself never checks "
                        "revocation. Judged as of now, whatever --at says")
    _timeout(p)
    _aws(p)
    _common(p)


def _domain_parser(sub: Any) -> None:
    """The `domain` subparser."""
    p = sub.add_parser("domain", help="the custom domain's mTLS state in AWS (REST and HTTP APIs)",
                       description="Read the custom domain from API Gateway (REST and HTTP), ACM "
                                   "and S3 with boto3 (read-only), and explain what is wrong.")
    p.add_argument("name", metavar="NAME", help="the custom domain name")
    p.add_argument("--save", metavar="FILE", help="also write the AWS facts to FILE (JSON)")
    p.add_argument("--aws-snapshot", metavar="FILE",
                   help="use the facts saved with --save instead of calling AWS")
    _timeout(p)
    _aws(p, by_name=True)
    _common(p, password=False)


def _scan_parser(sub: Any) -> None:
    """The `scan` subparser."""
    p = sub.add_parser("scan", help="every custom domain of the chosen accounts and regions, "
                                    "one row each, with an expiry calendar and a CI gate",
                       description="Find every custom domain (REST and HTTP APIs, private ones "
                                   "included) with GetDomainNames in each region and account, "
                                   "and diagnose each as `domain` does, concurrently, within "
                                   "--timeout. An account or region that cannot be read is a "
                                   "finding of that account or region; the scan goes on.")
    g = p.add_argument_group("accounts and regions")
    g.add_argument("--regions", metavar="all|R1,R2",
                   help="every region API Gateway is offered in (all; opt-in regions that are "
                        "not enabled are skipped), or these (else the profile's region)")
    g.add_argument("--role-arn", action="append", metavar="ARN",
                   help="scan the account of this role, assumed with STS (repeatable)")
    g.add_argument("--external-id", metavar="ID",
                   help="the external id the roles require (sts:ExternalId); never printed")
    g.add_argument("--organization-role", metavar="NAME",
                   help="scan every active account of the AWS Organization, assuming the role "
                        "NAME in each")
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="exit 1 on an error finding (and a check that could not be decided), "
                        "or also on a warning (error)")
    p.add_argument("--save", metavar="FILE",
                   help="also write the whole scan's AWS facts to FILE (JSON, one file)")
    p.add_argument("--aws-snapshot", metavar="FILE",
                   help="replay a scan saved with --save instead of calling AWS")
    p.add_argument("--no-tui", action="store_true",
                   help="print the report instead of opening the fleet view at a terminal")
    _timeout(p)
    _aws(p)
    _common(p, password=False, formats=(*FORMATS, "junit"))


def _traffic_parser(sub: Any) -> None:
    """The `traffic` subparser."""
    p = sub.add_parser("traffic", help="who calls the custom domain, who is refused and why, and "
                                       "who a truststore change would break (access logs)",
                       description="Read the access logs (CloudWatch Logs) of every stage the "
                                   "custom domain sends requests to, with each stage's own log "
                                   "format: requests and refusals per stage, refusal reasons, "
                                   "every client certificate seen with its predicted verdict, "
                                   "the expiry radar, and with --truststore a rotation "
                                   "rehearsal against a candidate bundle.")
    p.add_argument("name", metavar="NAME", help="the custom domain name")
    p.add_argument("--since", default="24h", metavar="DURATION",
                   help="the window to read, back from now: 30m, 24h, 7d, 2w (24h)")
    p.add_argument("--max-events", type=_non_negative, default=100_000, metavar="N",
                   help="read at most N log events in all (100000)")
    p.add_argument("--truststore", metavar="CANDIDATE",
                   help="rehearse a rotation: judge every certificate seen against this bundle "
                        "(a file or s3://bucket/key[?versionId=V]) before it is uploaded")
    _timeout(p)
    _aws(p, by_name=True)
    _common(p, password=False)


def _iac_parser(sub: Any) -> None:
    """The `iac` subparser."""
    p = sub.add_parser("iac", help="find the mTLS mistakes of custom domains in Terraform, "
                                   "CloudFormation/SAM and CDK before they deploy",
                       description="Read a Terraform plan or state (terraform show -json), a "
                                   "CloudFormation or SAM template (YAML or JSON, intrinsic "
                                   "functions resolved where they can be), a CDK-synthesized "
                                   "template, or a folder of them (cdk.out, a repository): "
                                   "every API Gateway custom domain with the APIs, stages and "
                                   "mappings that reference it, its mutual TLS mistakes with "
                                   "the file and line and the change to make, and with "
                                   "--compare the drift from the live domain.")
    p.add_argument("iac_path", metavar="PATH",
                   help="a plan/state JSON, a template, or a folder to walk for them")
    p.add_argument("--compare", action="store_true",
                   help="also read each domain whose name resolves from AWS (as `domain` "
                        "does) and report the drift: the template's truststore version, the "
                        "domain's, and S3's latest")
    _timeout(p)
    _aws(p)
    _common(p, validity=False, password=False, formats=(*FORMATS, "junit"))


def _diagnose_parser(sub: Any) -> None:
    """The `diagnose` subparser."""
    p = sub.add_parser("diagnose", help="the full diagnosis of one custom domain (also: HOST alone)",
                       description="Probe the host, read the custom domain from AWS, lint its "
                                   "truststore and check the client certificate, all at once, "
                                   "and explain every finding.")
    p.add_argument("host", metavar="HOST[:PORT]", nargs="?",
                   help="the custom domain name (port 443; omit at a terminal for the start form)")
    _live(p)
    p.add_argument("--truststore", metavar="SOURCE",
                   help="check against this truststore (else the version the domain uses)")
    p.add_argument("--no-aws", action="store_true", help="skip every AWS call")
    p.add_argument("--aws-snapshot", metavar="FILE",
                   help="use AWS facts saved with `domain --save` instead of calling AWS")
    p.add_argument("--no-tui", action="store_true",
                   help="print the report instead of opening the TUI at a terminal")
    _aws(p, by_name=True)
    _common(p)


def _demo_parser(sub: Any) -> None:
    """The `demo` subparser."""
    p = sub.add_parser("demo", help="the full diagnosis on a built-in local lab (no AWS needed)",
                       description="Start a small lab on loopback that reproduces the usual "
                                   "API Gateway mTLS faults, and diagnose it.")
    p.add_argument("--no-tui", action="store_true",
                   help="print the report instead of opening the TUI at a terminal")
    _common(p, validity=False, password=False)


def _explain_parser(sub: Any) -> None:
    """The `explain` subparser."""
    p = sub.add_parser("explain", help="recognise a pasted error / status / finding id and walk "
                                       "its decision tree",
                       description="Recognise what the text says and walk the matching "
                                   "walkthrough to its fix. It reads what curl, openssl "
                                   "s_client, Python, Java, Go, Node.js and .NET print (a TLS "
                                   "alert the server sent, the client refusing the server's "
                                   "certificate, curl failing to load its own certificate or "
                                   "key), nginx's 400 pages, API Gateway's 403 bodies, "
                                   "x-amzn-ErrorType headers and access-log reasons, the AWS "
                                   "CLI's create/update-domain-name errors, a domain status "
                                   "and any finding id.")
    p.add_argument("text", metavar="TEXT", nargs="*", help="the text (quote it), or - for stdin")
    p.add_argument("--walkthrough", metavar="ID", help="walk this walkthrough, whatever the text")
    p.add_argument("--answer", action="append", metavar="NODE=ANSWER",
                   help="answer a question the text does not decide (repeatable)")
    _common(p, validity=False, password=False)


def _probe_parser(sub: Any) -> None:
    """The `probe` subparser."""
    p = sub.add_parser("probe", help="live TLS inspection of a host, s_client-style, explained",
                       description="Connect like openssl s_client, present the client certificate "
                                   "if given, send one HTTP GET, and explain what happened.")
    p.add_argument("host", metavar="HOST[:PORT]", help="host name (SNI and Host header), port 443")
    _live(p)
    _common(p, validity=False)


def _fix_parser(sub: Any) -> None:
    """`fix NAME`: plan (dry run), `--apply` or `--rollback` the fixes AWS calls can make."""
    p = sub.add_parser("fix", help="plan the fixes AWS calls can make for the custom domain; "
                                   "--apply carries them out",
                       description="Plan the fixes that AWS API calls can carry out for the "
                                   "custom domain (a corrected truststore uploaded and pinned, "
                                   "the newest version pinned, default execute-api endpoints "
                                   "turned off, access logs that carry the client "
                                   "certificate): the calls with their exact parameters, the "
                                   "bundle diff, the pre-flight and the rollback. A dry run "
                                   "unless --apply; nothing is written to AWS without it.")
    p.add_argument("name", metavar="NAME", help="the custom domain name")
    p.add_argument("--apply", action="store_true",
                   help="carry the plans out (asks you to type the domain name)")
    p.add_argument("--yes", action="store_true",
                   help="do not ask (CI); also rolls back at once when a call fails")
    p.add_argument("--force", action="store_true",
                   help="apply even when a pre-flight check fails or is unknown")
    p.add_argument("--rollback", metavar="RUN_ID",
                   help="undo the calls of a journalled --apply run")
    p.add_argument("--add-ca", action="append", default=[], metavar="FILE",
                   help="a CA certificate file to add to the corrected truststore (repeatable)")
    p.add_argument("--clients", metavar="DIR",
                   help="client certificates (.pem/.crt/.cer/.der) a new truststore must "
                        "still accept")
    p.add_argument("--plan", action="append", default=[], metavar="KIND",
                   choices=("truststore", "pin", "execute-api", "access-log"),
                   help="only plans of this kind (repeatable): truststore, pin, execute-api, "
                        "access-log")
    p.add_argument("--aws-snapshot", metavar="FILE",
                   help="plan from facts saved with `domain --save` (dry run only)")
    _timeout(p)
    _aws(p, by_name=True)
    _common(p, password=False)


#: every command in the order --help lists them, with the function adding its subparser
_COMMANDS: tuple[tuple[str, Callable[[Any], None]], ...] = (
    ("inspect", _inspect_parser),
    ("truststore", _truststore_parser),
    ("verify-client", _verify_client_parser),
    ("domain", _domain_parser),
    ("scan", _scan_parser),
    ("fix", _fix_parser),
    ("traffic", _traffic_parser),
    ("iac", _iac_parser),
    ("diagnose", _diagnose_parser),
    ("demo", _demo_parser),
    ("explain", _explain_parser),
    ("probe", _probe_parser),
)


def _ask(prompt: str) -> str | None:
    """A question on stderr, the answer from the terminal (None at end of input)."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line if line else None


def _run_fix(args: argparse.Namespace, at: datetime, now: datetime) -> Report:
    """`fix`: asks and shows the plan only at a terminal; progress on a terminal's stderr."""
    from mtls_doctor.apply.plan import KINDS
    from mtls_doctor.commands.fix import FixOptions, run_fix
    from mtls_doctor.report import render

    def show(report: Report) -> None:
        sys.stderr.write(render(report, "text"))

    def progress(text: str) -> None:
        sys.stderr.write(f"  {safe_text(text)}\n")

    opts = FixOptions(args.name, at, now, region=args.region, profile=args.profile,
                      timeout=args.timeout, warn_days=args.warn_days, add_ca=tuple(args.add_ca),
                      clients=args.clients, kinds=tuple(args.plan) or KINDS, apply=args.apply,
                      yes=args.yes, force=args.force, rollback=args.rollback,
                      snapshot=args.aws_snapshot)
    tty = sys.stdin.isatty()
    return run_fix(opts, ask=_ask if tty else None, show=show if tty else None,
                   progress=progress if sys.stderr.isatty() else None)


def _password(args: argparse.Namespace) -> bytes | None:
    var = getattr(args, "key_password_env", None)
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        raise InputError(f"--key-password-env {var}: environment variable {var} is not set")
    return value.encode("utf-8")


def run(args: argparse.Namespace) -> Report:
    """Run the parsed command and return its report."""
    now = datetime.now(UTC).replace(microsecond=0)
    at = getattr(args, "at", None) or now
    if args.command == "inspect":
        from mtls_doctor.commands.inspect import run_inspect

        return run_inspect(args.file, at=at, now=now, host=args.host, password=_password(args))
    if args.command == "truststore":
        from mtls_doctor.commands.truststore import run_truststore

        return run_truststore(args.source, at=at, now=now, warn_days=args.warn_days,
                              password=_password(args), profile=args.profile, region=args.region)
    if args.command == "verify-client":
        from mtls_doctor.commands.verify_client import run_verify_client

        return run_verify_client(args.cert, args.truststore, at=at, now=now, key=args.key,
                                 chain=args.chain, password=_password(args),
                                 warn_days=args.warn_days, profile=args.profile,
                                 region=args.region, revocation=args.revocation,
                                 deadline=_deadline(args) if args.revocation else None)
    if args.command == "demo":
        from mtls_doctor.diagnose.demo import run_demo

        return run_demo(at=at, now=now, progress=_progress(args))
    if args.command == "explain":
        from mtls_doctor.commands.explain import parse_answers, run_explain

        text = " ".join(args.text)
        if text == "-":
            text = sys.stdin.read(1 << 20)
        return run_explain(text, now=now, answers=parse_answers(args.answer),
                           walkthrough=args.walkthrough)
    if args.command == "diagnose":
        from mtls_doctor.diagnose.run import run_diagnosis

        return run_diagnosis(_diagnose_options(args, at, now), _progress(args))
    if args.command == "domain":
        from mtls_doctor.commands.domain import run_domain_command

        return run_domain_command(args.name, at=at, now=now, region=args.region,
                                  profile=args.profile, deadline=_deadline(args),
                                  warn_days=args.warn_days, save=args.save,
                                  snapshot=args.aws_snapshot)
    if args.command == "scan":
        return _scan(args, at, now, _deadline(args))
    if args.command == "fix":
        return _run_fix(args, at, now)
    if args.command == "traffic":
        from mtls_doctor.commands.traffic import run_traffic

        return run_traffic(args.name, now=now, at=at, since=args.since, max_events=args.max_events,
                           truststore=args.truststore, warn_days=args.warn_days,
                           region=args.region, profile=args.profile, deadline=_deadline(args))
    if args.command == "iac":
        from mtls_doctor.commands.iac import run_iac

        return run_iac(args.iac_path, now=now, compare=args.compare, region=args.region,
                       profile=args.profile, deadline=_deadline(args))
    if args.command == "probe":
        from mtls_doctor.commands.probe import run_probe_command

        return run_probe_command(args.host, at=at, now=now, connect=args.connect, cert=args.cert,
                                 key=args.key, chain=args.chain, password=_password(args),
                                 password_env=args.key_password_env, path=args.path,
                                 timeout=args.timeout)
    raise InputError(f"unknown command {args.command!r}")


def _deadline(args: argparse.Namespace) -> Deadline:
    """The whole command's deadline, started when parsing is done."""
    from mtls_doctor.deadline import Deadline

    return Deadline(args.timeout)


def _check_profile(args: argparse.Namespace) -> None:
    """An unknown `--profile` is bad input (exit 2), said before anything runs."""
    profile = getattr(args, "profile", None)
    if profile and not getattr(args, "no_aws", False):
        from mtls_doctor.aws.calls import check_profile

        check_profile(profile)


def _diagnose_options(args: argparse.Namespace, at: datetime, now: datetime) -> DiagnoseOptions:
    from mtls_doctor.diagnose.run import DiagnoseOptions

    return DiagnoseOptions(
        host=args.host, at=at, now=now, connect=args.connect, cert=args.cert, key=args.key,
        chain=args.chain, password=_password(args), password_env=args.key_password_env,
        truststore=args.truststore, path=args.path, timeout=args.timeout,
        region=args.region, profile=args.profile, no_aws=args.no_aws,
        aws_snapshot=args.aws_snapshot, warn_days=args.warn_days)


def _wants_tui(args: argparse.Namespace) -> bool:
    """`diagnose`, `demo`, a bare HOST and `scan` open the TUI at a terminal, unless a report
    was asked for (`--format`, `-o`, `--redact`) or refused (`--no-tui`)."""
    return (args.command in ("diagnose", "demo", "scan") and not args.no_tui
            and args.format is None and not args.output and not args.redact
            and sys.stdin.isatty() and sys.stdout.isatty())


def _scan(args: argparse.Namespace, at: datetime, now: datetime, deadline: Deadline,
          progress: Any = None) -> Report:
    """`scan` as its options ask, headless or in the fleet view (`progress`: the view's)."""
    from mtls_doctor.commands.scan import run_scan_command

    return run_scan_command(at=at, now=now, regions=args.regions, role_arns=args.role_arn,
                            external_id=args.external_id,
                            organization_role=args.organization_role, profile=args.profile,
                            region=args.region, warn_days=args.warn_days,
                            fail_on=args.fail_on, save=args.save, snapshot=args.aws_snapshot,
                            deadline=deadline, progress=progress)


def _run_fleet_tui(args: argparse.Namespace) -> int:
    """`scan` at a terminal: the fleet view, the scan running in its thread."""
    from mtls_doctor.commands.scan import check_scan_options
    from mtls_doctor.tui import run_fleet_tui

    check_scan_options(regions=args.regions, role_arns=args.role_arn,
                       organization_role=args.organization_role, snapshot=args.aws_snapshot,
                       region=args.region, profile=args.profile)

    def scan(deadline: Deadline, progress: Any) -> Report:
        now = datetime.now(UTC).replace(microsecond=0)
        return _scan(args, args.at or now, now, deadline, progress)

    what = f"replay of {args.aws_snapshot}" if args.aws_snapshot else "scan"
    return run_fleet_tui(scan, timeout=args.timeout, inputs=_inputs(args) + _outputs(args),
                         what=what)


def _run_tui(args: argparse.Namespace) -> int:
    from mtls_doctor.tui import run_tui

    if args.command == "scan":
        return _run_fleet_tui(args)
    if args.command == "demo":
        return run_tui(demo=True)
    if args.host:
        from mtls_doctor.probe.target import parse_target

        parse_target(args.host, args.connect)  # bad input is exit 2 before the TUI opens
    now = datetime.now(UTC).replace(microsecond=0)
    return run_tui(_diagnose_options(args, args.at or now, now) if args.host else None)


def _emit(report: Report, args: argparse.Namespace) -> None:
    from mtls_doctor.report import render

    if getattr(args, "redact", False):
        from mtls_doctor.report.redact import redact_report

        report = redact_report(report, files=_inputs(args))
    color = (args.format == "text" and not args.output and not args.no_color
             and "NO_COLOR" not in os.environ and sys.stdout.isatty())
    if args.format == "junit":
        from mtls_doctor.report.junit import render_junit

        text = render_junit(report)
    else:
        text = render(report, args.format, color=color)
    if args.output:
        try:
            write_report(args.output, text, _inputs(args), outputs=_outputs(args))
        except OSError as exc:
            raise InputError(f"cannot write {safe_text(args.output)}: "
                             f"{safe_text(exc.strerror or exc)}") from None
        sys.stderr.write(f"{PROG}: report written to {safe_text(args.output)}\n")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _crash(exc: BaseException) -> int:
    """Exit 3: the traceback to a file, one safe line on stderr. Nothing here may fail on what
    the command was given (a file name with undecodable bytes, a control character)."""
    where = "a crash report could not be written"
    with contextlib.suppress(Exception):  # the one line below is all that is owed now
        import tempfile
        import traceback

        fd, path = tempfile.mkstemp(prefix="mtls-doctor-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(f"{PROG} {__version__}, Python {sys.version}\n{' '.join(sys.argv)}\n\n")
            traceback.print_exception(exc, file=fh)
        where = f"details written to {path}"
    with contextlib.suppress(Exception):  # stderr itself is gone: the exit code still says it
        sys.stderr.write(f"{PROG}: internal error ({safe_text(type(exc).__name__)}), a bug: "
                         f"{safe_text(where)}; please report it\n")
    return 3


def _inputs(args: argparse.Namespace) -> list[str]:
    """The files the command reads (a report must never replace one)."""
    names = ("file", "source", "cert", "key", "chain", "truststore", "aws_snapshot",
             "iac_path")
    return [v for v in (getattr(args, n, None) for n in names) if isinstance(v, str)]


def _outputs(args: argparse.Namespace) -> list[str]:
    """The other files the command writes (`domain --save`)."""
    save = getattr(args, "save", None)
    return [save] if isinstance(save, str) else []


def _check_output(args: argparse.Namespace) -> None:
    """Refuse `-o` onto one of the inputs (the report would replace the certificate or key
    file), onto a symbolic link, or onto the `--save` file, before anything runs."""
    if args.output is not None:
        check_output(args.output, _inputs(args), outputs=_outputs(args))


def _progress(args: argparse.Namespace) -> Any:
    """One line per finished collector on stderr, for a person at a terminal."""
    if args.format != "text" or not sys.stderr.isatty():
        return None

    def show(attempt: Any) -> None:
        mark = {"ok": "✓", "failed": "✗"}.get(attempt.status, "-")
        sys.stderr.write(f"  {mark} {safe_text(attempt.name):<14} {attempt.seconds:6.2f} s  "
                         f"{safe_text(attempt.summary)}\n")

    return show


def _with_default_command(argv: Sequence[str]) -> list[str]:
    """`mtls-doctor HOST ...` means `mtls-doctor diagnose HOST ...`."""
    args = list(argv)
    if args and not args[0].startswith("-") and args[0] not in {n for n, _ in _COMMANDS}:
        return ["diagnose", *args]
    return args


@functools.cache
def _freeze_at_exit() -> None:
    """At exit, freeze what is alive: the interpreter's last collection would walk every
    object still alive (botocore's service models, the certificates) to free memory the
    process is giving back anyway, about 0.1 s of a `domain` run. Frozen objects are not
    walked; the report was written and flushed before, and files are closed by the code that
    opened them, not by the collector. Registered once a process."""
    atexit.register(gc.freeze)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """The cyclic garbage collector runs seldom while one command runs: it would scan the
    young objects every 700 allocations, a few dozen times over a bundle's hundreds of
    certificates (2-3% of the run), and finds next to nothing (reports hold no cycles)."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    _freeze_at_exit()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mtls-doctor` command; returns the exit code."""
    report: Report | None = None
    try:
        words = _with_default_command(sys.argv[1:] if argv is None else argv)
        # a command's run needs its own subparser only (--help, --version: every one)
        args = build_parser(words[0] if words and not words[0].startswith("-") else None
                            ).parse_args(words)
        _check_output(args)
        _check_profile(args)
        if _wants_tui(args):
            return _run_tui(args)
        if args.command == "diagnose" and not args.host:
            raise InputError("diagnose needs HOST (at a terminal, without HOST, the TUI asks for it)")
        if args.format is None:
            args.format = "text"
        with _few_collections():
            report = run(args)
            _emit(report, args)
        return report.exit_code
    except InputError as exc:
        sys.stderr.write(f"{PROG}: {safe_text(exc)}\n")
        return 2
    except BrokenPipeError:
        # the reader went away (`| head`): stop quietly, but keep the verdict in the exit code
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return report.exit_code if report is not None else 0
    except OSError as exc:
        if report is None:
            return _crash(exc)
        sys.stderr.write(f"{PROG}: cannot write the report: {safe_text(exc.strerror or exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:  # noqa: BLE001 - the contract's exit code 3
        return _crash(exc)
