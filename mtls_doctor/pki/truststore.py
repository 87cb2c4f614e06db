"""Lint a truststore bundle against API Gateway's rules.

Source: API Gateway developer guide, "Configuring your truststore" and "Troubleshooting
certificate warnings": one PEM file holding the whole chain from each issuing CA up to a root;
X.509 syntax, signature integrity, validity and name/key chaining are checked; chain length at
most four; SHA-256+, RSA-2048+, ECDSA P-256/P-384.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import CertSummary, Container
from mtls_doctor.model.finding import Finding, Fix, Severity
from mtls_doctor.model.verdict import VerdictReason
from mtls_doctor.pki.chain import Issue, Node, Path, SignatureCache, find_paths
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.fixes import (
    UploadTarget,
    ca_issuers_urls,
    certs_only_command,
    clean_copy_name,
    list_certs_command,
    q,
    with_upload,
)
from mtls_doctor.pki.load import LoadedFile, ProblemKind
from mtls_doctor.pki.policy import PolicyIssue, algorithm_violations, may_issue

_POLICY_FINDING = {
    PolicyIssue.WEAK_HASH: "TRUSTSTORE_WEAK_SIGNATURE_HASH",
    PolicyIssue.WEAK_RSA: "TRUSTSTORE_WEAK_RSA_KEY",
    PolicyIssue.UNSUPPORTED_KEY: "TRUSTSTORE_UNSUPPORTED_KEY",
}


@dataclass(frozen=True)
class TruststoreLint:
    """The decoded bundle (each certificate with `issuer_index` set) and its findings."""

    certificates: tuple[CertSummary, ...]
    findings: tuple[Finding, ...]


def nodes_of(
    loaded: LoadedFile, at: datetime, *, trusted: bool, label: str = ""
) -> tuple[list[CertSummary], list[Node]]:
    """Describe every certificate of a file; the usable ones also become path nodes."""
    summaries, nodes = [], []
    for lc in loaded.certificates:
        s = describe(lc, at)
        summaries.append(s)
        if lc.ok and lc.cert is not None:
            nodes.append(Node(s, lc.cert, trusted=trusted, label=label, position=lc.position))
    return summaries, nodes


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _evidence(s: CertSummary, **extra: object) -> dict[str, object]:
    return {"index": s.index, "line": s.line, "sha256_fingerprint": s.sha256_fingerprint, **extra}


class _Linter:
    """Applies the rules; `truststore=False` lints a plain certificate file (for `inspect`):
    then fixes do not end in "upload the truststore" and only file-level rules apply."""

    def __init__(self, loaded: LoadedFile, at: datetime, warn_days: int, *,
                 truststore: bool = True, target: UploadTarget | None = None) -> None:
        self.loaded = loaded
        # commands work on a local copy: the file itself, or the S3 object downloaded first
        self.src = "truststore.pem" if target is not None else loaded.source
        self.target = target
        self.at = at
        self.warn_days = warn_days
        self.truststore = truststore
        self.findings: list[Finding] = []

    def fix(self, summary: str, steps: tuple[str, ...] = (), commands: tuple[str, ...] = (), *,
            publish: str | None = None) -> Fix:
        """A fix; for a truststore it ends with publishing the corrected bundle (`publish`, the
        source itself unless the fix writes a clean copy under another name)."""
        if self.truststore:
            return with_upload(summary, steps, commands, publish or self.src, self.target)
        return Fix(summary, steps, commands)

    def clean_copy_fix(self, summary: str, *steps: str) -> Fix:
        """Rewrite the file as certificates only, and publish that copy, never the original."""
        container = self.loaded.container
        return self.fix(summary, steps, (certs_only_command(self.src, container),),
                        publish=clean_copy_name(self.src))

    def add(self, finding_id: str, s: CertSummary | None, title: str, detail: str, fix: Fix,
            severity: Severity | None = None, where: str | None = None,
            **evidence: object) -> None:
        self.findings.append(make_finding(
            finding_id, title, detail,
            subject=s.subject if s else None,
            location=s.location if s else (where or self.src),
            evidence=_evidence(s, **evidence) if s else evidence,
            fix=fix, severity=severity,
        ))

    def replace_fix(self, s: CertSummary, summary: str, *extra_steps: str) -> Fix:
        if not self.truststore:
            return Fix(summary, extra_steps, (list_certs_command(self.src),))
        steps = (
            f"Get a replacement for {s.subject} from its CA (or remove it if no client "
            "certificate depends on it), and put it in place of certificate "
            f"#{s.index + 1} of {self.src}.",
            *extra_steps,
        )
        return self.fix(summary, steps, (list_certs_command(self.src),))

    # --- the file as a whole -------------------------------------------------------------
    def file_rules(self) -> None:
        loaded, src = self.loaded, self.src
        container = loaded.container
        if self.truststore and container not in (Container.PEM, Container.EMPTY, Container.UNKNOWN):
            self.add("TRUSTSTORE_NOT_PEM", None, f"{src} is {container}, not a PEM bundle",
                     f"API Gateway reads the truststore as one PEM text file of "
                     f"'-----BEGIN CERTIFICATE-----' blocks; {src} is {container}.",
                     self.clean_copy_fix("Convert it to a PEM bundle of certificates only.",
                                         "Convert the file and check the result."),
                     container=str(container))
        if self.truststore and container is Container.PEM:
            for line, quirk in loaded.pem_quirks:
                where = f"{src}, line {line}" if line else src
                utf16 = "UTF-16" in quirk
                convert = (f"iconv -f UTF-16 -t ASCII {q(src)} > {q(clean_copy_name(src))}" if utf16
                           else certs_only_command(src, container))
                self.add("TRUSTSTORE_PEM_ENCODING", None, f"{src}: not plain PEM",
                         f"{_cap(quirk)}. mtls-doctor reads it, but API Gateway expects plain "
                         "ASCII PEM with '-----BEGIN CERTIFICATE-----' blocks on lines of their "
                         "own, and may skip or refuse what differs (assumed: AWS does not say).",
                         self.fix("Rewrite the bundle as plain PEM.", (), (convert,),
                                  publish=clean_copy_name(src)),
                         where=where, line=line, quirk=quirk)
        for p in loaded.problems:
            where = p.location(src)
            if p.kind is ProblemKind.PRIVATE_KEY:
                if self.truststore:
                    self.add("CERT_PRIVATE_KEY_PRESENT", None, f"{src} contains a private key",
                             f"{_cap(p.detail)}. A truststore holds only CA certificates; a "
                             "key in it is leaked to everyone who can read the bucket.",
                             self.clean_copy_fix(
                                 "Remove the key from the file and treat the key as exposed.",
                                 "Write a copy with the certificates only (never upload the "
                                 "original).",
                                 "Rotate the key if this file was ever uploaded or shared."),
                             where=where, line=p.line, label=p.label)
                else:
                    self.add("CERT_PRIVATE_KEY_PRESENT", None, f"{src} also holds a private key",
                             f"{_cap(p.detail)}. Never upload this file as a truststore.",
                             self.fix("Keep certificates and keys in separate files.", (),
                                      (certs_only_command(src, container),)),
                             severity=Severity.INFO, where=where, line=p.line, label=p.label)
            elif p.kind is ProblemKind.NOT_A_CERTIFICATE:
                # beside certificates (EC PARAMETERS from `openssl ecparam`, a CSR) such a block
                # matters only in a truststore; a file of nothing else is the wrong file
                aside = not self.truststore and bool(loaded.certificates)
                self.add("CERT_NOT_A_CERTIFICATE", None, f"{where}: not a certificate",
                         f"{_cap(p.detail)}. API Gateway expects only certificates.",
                         self.clean_copy_fix("Remove the block from the file.",
                                             "Write a copy with the certificates only."),
                         severity=Severity.INFO if aside else None,
                         where=where, line=p.line, label=p.label)
            else:
                self.add("CERT_MALFORMED", None, f"{where}: cannot be read",
                         f"{_cap(p.detail)}.",
                         self.fix("Replace the damaged part with a good copy of the certificate.",
                                  (), (list_certs_command(src),)),
                         where=where, line=p.line, label=p.label)
        if not loaded.certificates and not self.truststore:
            if container is Container.EMPTY:
                self.add("CERT_MALFORMED", None, f"{src} is empty", f"{src} holds no data at all.",
                         self.fix("Check that the right file was given."))
        elif not loaded.certificates:
            self.add("TRUSTSTORE_EMPTY", None, f"{src} holds no certificate",
                     f"No certificate could be found in {src}" +
                     (" (the file is empty)." if container is Container.EMPTY else "."),
                     self.fix("Build the bundle from the CA certificates your clients chain to.",
                              ("Concatenate the issuing CA and every CA above it, up to the root.",),
                              (f"cat issuing-ca.pem intermediate-ca.pem root-ca.pem > {q(src)}",)))

    # --- each certificate on its own -----------------------------------------------------
    def syntax_rules(self, summaries: Sequence[CertSummary]) -> None:
        for s in summaries:
            if s.malformed:
                self.add("CERT_MALFORMED", s, f"certificate #{s.index + 1} is not valid X.509",
                         f"{_cap(s.malformed)}. API Gateway checks X.509 syntax and "
                         "reports it as a truststore warning.",
                         self.replace_fix(s, "Replace it with a good copy from its CA."))
            for note in s.nonstandard:
                self.add("CERT_NONSTANDARD", s, f"{s.subject}: breaks RFC 5280",
                         f"{_cap(note)}.",
                         self.replace_fix(s, "Ask the CA for a standards-compliant certificate."),
                         note=note)

    def cert_rules(self, summaries: Sequence[CertSummary]) -> None:
        seen: dict[str, CertSummary] = {}
        for s in summaries:
            if s.malformed:
                continue
            first = seen.setdefault(s.sha256_fingerprint, s)
            if first is not s:
                self.add("TRUSTSTORE_DUPLICATE", s, f"{s.subject} appears twice",
                         f"It is the same certificate as #{first.index + 1} "
                         f"(line {first.line}).",
                         self.fix("Remove the second copy."),
                         first_index=first.index)
            self.validity_rules(s)
            for v in algorithm_violations(s):
                self.add(_POLICY_FINDING[v.issue], s, f"{s.subject}: {v.detail.split(';')[0]}",
                         f"It is {v.detail}.",
                         self.replace_fix(s, "Replace it with a CA certificate that uses SHA-256+ "
                                          "and RSA-2048+, ECDSA P-256 or P-384 (many CAs publish "
                                          "a SHA-256 re-issue of the same root)."),
                         rule=str(v.issue))

    def validity_rules(self, s: CertSummary) -> None:
        v = s.validity
        if v is None:
            return
        if v.status == "expired":
            self.add("TRUSTSTORE_EXPIRED", s, f"{s.subject} expired {-v.days_left} days ago",
                     f"It expired on {s.not_after:%Y-%m-%d}; client certificates that "
                     "chain through it are rejected.",
                     self.replace_fix(s, "Replace it with the CA's renewed certificate."),
                     not_after=s.not_after)
        elif v.status == "not_yet_valid":
            self.add("TRUSTSTORE_NOT_YET_VALID", s, f"{s.subject} is not valid yet",
                     f"It is valid only from {s.not_before:%Y-%m-%d %H:%M} UTC.",
                     self.replace_fix(s, "Check the CA's clock or wait; keep the current CA "
                                      "certificate beside it until then."),
                     not_before=s.not_before)
        elif v.days_left <= self.warn_days:
            self.add("TRUSTSTORE_EXPIRES_SOON", s, f"{s.subject} expires in {v.days_left} days",
                     f"It expires on {s.not_after:%Y-%m-%d}. API Gateway does not warn "
                     "about certificates that expire after the domain was updated.",
                     self.replace_fix(s, "Add the CA's renewed certificate before this one expires."),
                     not_after=s.not_after, days_left=v.days_left)

    # --- chains ------------------------------------------------------------------------------
    def chain_rules(self, nodes: Sequence[Node]) -> list[Path | None]:
        cache = SignatureCache()
        best: list[Path | None] = []
        reported: set[tuple[str, str, str]] = set()
        issuing: dict[str, list[Node]] = {}
        for node in nodes:
            # a CA in the bundle stands above future clients; a leaf in it (a self-signed
            # client, say) is an end entity and does not count as a CA on its own path
            paths = find_paths(node, nodes, cache, start_is_ca=may_issue(node.summary) is None)
            path = paths[0] if paths else None
            best.append(path)
            if path is None:
                continue
            if len(path.nodes) > 1:
                issuing.setdefault(path.nodes[1].key, []).append(node)
            for issue in path.issues:
                self.chain_issue(issue, path, reported)
        for node in nodes:
            s = node.summary
            why = may_issue(s)
            if why is None or s.malformed:
                continue
            children = issuing.get(node.key, [])
            if children:
                continue  # reported on the path as an issuer that may not issue
            self.add("TRUSTSTORE_NOT_CA", s, f"{s.subject} is not a CA certificate",
                     f"{_cap(why)}. It cannot issue client certificates, so it only helps "
                     "clients that present exactly this certificate.",
                     self.fix("Remove it unless clients present this very (self-signed) "
                              "certificate.", (), (list_certs_command(self.src),)),
                     reason=why)
        return best

    def chain_issue(self, issue: Issue, path: Path, reported: set[tuple[str, str, str]]) -> None:
        s = issue.node.summary
        key = (issue.reason.value, issue.node.key, issue.other.key if issue.other else "")
        if issue.reason in (VerdictReason.EXPIRED, VerdictReason.NOT_YET_VALID,
                            VerdictReason.WEAK_SIGNATURE_HASH, VerdictReason.WEAK_KEY,
                            VerdictReason.UNSUPPORTED_KEY, VerdictReason.OTHER) or key in reported:
            # per-certificate rules report these once; OTHER (a signature that cannot be checked)
            # always comes with the unsupported key or hash that causes it
            return
        reported.add(key)
        start = path.nodes[0].summary
        if issue.reason is VerdictReason.ISSUER_NOT_IN_TRUSTSTORE:
            urls = ca_issuers_urls(issue.node.cert)
            cmds = [list_certs_command(self.src)]
            steps = [f"Add the certificate of {s.issuer} (the CA that issued {s.subject}) to "
                     f"{self.src}, and every CA above it up to a self-signed root."]
            if urls:
                steps.append(f"The certificate names where its issuer can be downloaded: {urls[0]}")
                cmds = [f"curl -fsSL -o issuer.crt {q(urls[0])}",
                        "openssl x509 -in issuer.crt -inform DER -out issuer.pem "
                        "|| openssl x509 -in issuer.crt -out issuer.pem",
                        f"cat issuer.pem >> {q(self.src)}"]
            self.add("TRUSTSTORE_MISSING_ISSUER", s, f"issuer of {s.subject} is missing",
                     f"{_cap(issue.detail)}: its chain does not reach a self-signed root inside the "
                     "bundle, and API Gateway builds chains from the truststore alone.",
                     self.fix("Add the missing CA certificate(s) to the bundle.", tuple(steps),
                              tuple(cmds)),
                     missing_issuer=s.issuer, authority_key_id=s.aki, ca_issuers=urls)
        elif issue.reason is VerdictReason.BAD_SIGNATURE:
            other = issue.other.summary if issue.other else None
            self.add("TRUSTSTORE_BAD_SIGNATURE", s, f"{s.subject}: signature does not verify",
                     f"{_cap(issue.detail)}.",
                     self.replace_fix(s, "Replace the certificate (or its issuer) with the CA's "
                                      "current, unmodified copy.",
                                      "Compare fingerprints with the copy the CA publishes."),
                     issuer_index=other.index if other else None)
        elif issue.reason is VerdictReason.CHAIN_TOO_LONG:
            self.add("TRUSTSTORE_CHAIN_TOO_LONG", start, f"{start.subject}: chain longer than four",
                     f"{_cap(issue.detail)}.",
                     self.fix("Issue client certificates from a CA at most three levels below "
                              "the root, and drop the deeper CA from the bundle.", (),
                              (list_certs_command(self.src),)),
                     depth=len(path.nodes))
        elif issue.reason is VerdictReason.ISSUER_NOT_CA:
            below = issue.other.summary if issue.other else start
            if issue.path_len_exceeded:
                # the certificate whose own path breaks the constraint is the one too deep
                self.add("TRUSTSTORE_PATH_LEN_EXCEEDED", start,
                         f"{start.subject}: too deep under {s.subject}",
                         f"{_cap(issue.detail)}; client certificates issued under "
                         f"{start.subject} fail validation.",
                         self.fix("Issue from a CA higher up, or have the CA re-issued with a "
                                  "larger pathLenConstraint.", (), (list_certs_command(self.src),)),
                         constraining_ca=s.subject, path_len=s.basic_constraints.path_len)
            else:
                self.add("TRUSTSTORE_NOT_CA", s, f"{s.subject} is not a CA but issues {below.subject}",
                         f"{_cap(issue.detail)}; the chain through it cannot validate.",
                         self.replace_fix(s, "Replace it with the real CA certificate of that name."),
                         severity=Severity.ERROR, issues_index=below.index)


def lint_truststore(loaded: LoadedFile, at: datetime, warn_days: int = 30,
                    target: UploadTarget | None = None) -> TruststoreLint:
    """Decode the bundle, link each certificate to its issuer, and apply every rule. With
    `target` (the S3 object and domain it serves), fixes name the real bucket and domain."""
    summaries, nodes = nodes_of(loaded, at, trusted=True)
    linter = _Linter(loaded, at, warn_days, target=target)
    linter.file_rules()
    linter.syntax_rules(summaries)
    linter.cert_rules(summaries)
    paths = linter.chain_rules(nodes)
    by_key = {n.key: n.summary.index for n in nodes}
    path_of = {n.summary.index: p for n, p in zip(nodes, paths, strict=True)}
    linked = []
    for s in summaries:
        p = path_of.get(s.index)
        parent = by_key.get(p.nodes[1].key) if p and len(p.nodes) > 1 else None
        linked.append(dataclasses.replace(s, issuer_index=parent))
    return TruststoreLint(tuple(linked), tuple(linter.findings))


def lint_file(loaded: LoadedFile, at: datetime) -> tuple[list[CertSummary], list[Finding]]:
    """Describe a plain certificate file and report what is unreadable or non-standard in it."""
    summaries, _ = nodes_of(loaded, at, trusted=False)
    linter = _Linter(loaded, at, 0, truststore=False)
    linter.file_rules()
    linter.syntax_rules(summaries)
    return summaries, linter.findings
