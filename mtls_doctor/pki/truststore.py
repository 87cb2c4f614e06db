"""Lint a truststore bundle against API Gateway's rules.

Source: API Gateway developer guide, "Configuring your truststore" and "Troubleshooting
certificate warnings": one PEM file holding the whole chain from each issuing CA up to a root;
X.509 syntax, signature integrity, validity and name/key chaining are checked; chain length at
most four; SHA-256+, RSA-2048+, ECDSA P-256/P-384.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mtls_doctor.model.catalog import make_finding
from mtls_doctor.model.certificate import CertSummary, Container
from mtls_doctor.model.finding import Finding, Fix, Severity
from mtls_doctor.model.frozen import frozen
from mtls_doctor.model.verdict import VerdictReason
from mtls_doctor.pki.chain import MAX_DEPTH, Issue, Node, Path, SignatureCache, find_paths
from mtls_doctor.pki.describe import describe
from mtls_doctor.pki.fixes import (
    UploadTarget,
    ca_issuers_urls,
    certs_only_command,
    clean_copy_name,
    list_certs_command,
    with_upload,
)
from mtls_doctor.pki.load import MAX_CERTIFICATES, LoadedFile, Problem, ProblemKind
from mtls_doctor.pki.policy import MAX_CA_CERTS, PolicyIssue, algorithm_violations
from mtls_doctor.pki.signature import NameKey, SignatureCheck, check_signatures, name_key

#: findings of one id shown one by one; further ones are folded into one finding that counts
#: them (a hostile bundle of thousands of certificates must not give a report of megabytes)
FINDINGS_PER_ID = 25
#: places listed in a finding that stands for many
PLACES_SHOWN = 5
#: certificates of one subject name followed as issuers (re-keyed and cross-signed CAs make a
#: few; a hostile bundle of thousands sharing two names would make path building explode)
ISSUERS_PER_NAME = 8
#: issuer trees are at most this deep in a report: a longer chain is drawn in pieces
TREE_DEPTH = 64
#: paths built for the whole bundle before path building follows one certificate per name
#: (a real bundle needs one or two per certificate; a hostile one of certificates sharing
#: names in loops makes every certificate branch into the 64 paths `find_paths` stops at)
PATH_BUDGET = 4_000

_POLICY_FINDING = {
    PolicyIssue.WEAK_HASH: "TRUSTSTORE_WEAK_SIGNATURE_HASH",
    PolicyIssue.WEAK_RSA: "TRUSTSTORE_WEAK_RSA_KEY",
    PolicyIssue.UNSUPPORTED_KEY: "TRUSTSTORE_UNSUPPORTED_KEY",
}


@frozen
class TruststoreLint:
    """The decoded bundle (each certificate with `issuer_index` set) and its findings."""

    certificates: tuple[CertSummary, ...]
    findings: tuple[Finding, ...]


def nodes_of(
    loaded: LoadedFile, at: datetime, *, trusted: bool, label: str = ""
) -> tuple[list[CertSummary], list[Node]]:
    """Describe every certificate of a file; the usable ones also become path nodes. The
    self-signed ones are told apart first, their signatures checked at once."""
    usable = [lc.cert for lc in loaded.certificates if lc.ok and lc.cert is not None]
    names = {id(c): (name_key(c.subject), name_key(c.issuer)) for c in usable}
    # the self-issued ones, each once (a certificate repeated in the file is parsed once)
    issued = list({id(c): c for c in usable if names[id(c)][0] == names[id(c)][1]}.values())
    own = dict(zip(map(id, issued), check_signatures([(c, c) for c in issued]), strict=True))
    summaries, nodes = [], []
    for lc in loaded.certificates:
        check = own.get(id(lc.cert))
        s = describe(lc, at, self_signed=check is not None and check[0] is SignatureCheck.OK)
        summaries.append(s)
        if lc.ok and lc.cert is not None:
            nodes.append(Node(s, lc.cert, trusted=trusted, label=label, position=lc.position,
                              self_check=check, names=names[id(lc.cert)]))
    return summaries, nodes


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _evidence(s: CertSummary, **extra: object) -> dict[str, object]:
    return {"index": s.index, "line": s.line, "sha256_fingerprint": s.sha256_fingerprint, **extra}


def _place(s: CertSummary) -> str:
    """`#4 (line 40)`: a certificate in a list of places."""
    return f"#{s.index + 1}" + (f" (line {s.line})" if s.line is not None else "")


def _places(shown: Sequence[str], total: int) -> str:
    """`#1 (line 1), #2 (line 4) and 1,203 more`."""
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more > 0 else "")


def _same_detail(text: str) -> str:
    """A problem's text without where it was, so that the same problem groups."""
    return re.sub(r"\bline \d+", "line N", text)


def fold_findings(findings: Sequence[Finding], per_id: int = FINDINGS_PER_ID) -> list[Finding]:
    """Keep the first `per_id` findings of each id; the rest of an id become one finding that
    counts them and names the first few places (same id, the most severe of their severities,
    the first one's fix)."""
    by_id: dict[str, list[Finding]] = {}
    for f in findings:
        by_id.setdefault(f.id, []).append(f)
    out: list[Finding] = []
    folded_ids: set[str] = set()
    for f in findings:
        group = by_id[f.id]
        if len(group) <= per_id + 1:
            out.append(f)
            continue
        if f.id in folded_ids:
            continue
        folded_ids.add(f.id)
        out.extend(group[:per_id])
        rest = group[per_id:]
        rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        severity = min((g.severity for g in rest), key=rank.__getitem__)
        places = [g.location or g.title for g in rest[:PLACES_SHOWN]]
        subjects = sorted({g.subject for g in rest if g.subject})
        out.append(dataclasses.replace(
            rest[0], severity=severity,
            title=f"{len(rest):,} more {f.id} findings like the {per_id} above",
            detail=(f"The same rule fails {len(group):,} times in all; the first {per_id} are "
                    f"listed one by one, these {len(rest):,} are counted: "
                    f"{_places(places, len(rest))}. The first of them: {rest[0].detail}"),
            subject=None, location=rest[0].location,
            evidence={"count": len(rest), "titles": [g.title for g in rest[:PLACES_SHOWN]],
                      "locations": places, "subjects": subjects[:PLACES_SHOWN]}))
    return out


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
            # the same quirk on many lines is one finding that counts them
            quirks: dict[str, list[int | None]] = {}
            for line, quirk in loaded.pem_quirks:
                quirks.setdefault(quirk, []).append(line)
            more = {quirk: (count, lines) for quirk, count, lines in loaded.more_quirks}
            for quirk in more:
                quirks.setdefault(quirk, [])  # only counted (too many different problems)
            for quirk, seen in quirks.items():
                extra, extra_lines = more.get(quirk, (0, ()))
                lines = [n for n in (*seen, *extra_lines) if n is not None]
                total = len(seen) + extra
                line = seen[0] if seen else (lines[0] if lines else None)
                if total == 1:
                    where = f"{src}, line {line}" if line else src
                else:
                    where = f"{src}, lines {_places([str(n) for n in lines[:PLACES_SHOWN]], total)}"
                utf16 = "UTF-16" in quirk
                if utf16:
                    from mtls_doctor.shell import render, tools

                    convert = render(tools.utf16_to_ascii(src, clean_copy_name(src)))
                else:
                    convert = certs_only_command(src, container)
                self.add("TRUSTSTORE_PEM_ENCODING", None, f"{src}: not plain PEM",
                         f"{_cap(quirk)}" + (f" ({total:,} times)" if total > 1 else "") +
                         ". mtls-doctor reads it, but API Gateway expects plain "
                         "ASCII PEM with '-----BEGIN CERTIFICATE-----' blocks on lines of their "
                         "own, and may skip or refuse what differs (assumed: AWS does not say).",
                         self.fix("Rewrite the bundle as plain PEM.", (), (convert,),
                                  publish=clean_copy_name(src)),
                         where=where, line=line, quirk=quirk,
                         **({"count": total, "lines": lines[:PLACES_SHOWN]} if total > 1
                            else dict[str, Any]()))
        for p in loaded.problems:
            if p.certificate_blocks:
                continue  # counted certificate blocks: reported with the kept ones (syntax_rules)
            where = p.location(src)
            counted: dict[str, Any] = ({"count": p.count, "lines": list(p.lines)} if p.count > 1
                                       else {})
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
                             where=where, line=p.line, label=p.label, **counted)
                else:
                    self.add("CERT_PRIVATE_KEY_PRESENT", None, f"{src} also holds a private key",
                             f"{_cap(p.detail)}. Never upload this file as a truststore.",
                             self.fix("Keep certificates and keys in separate files.", (),
                                      (certs_only_command(src, container),)),
                             severity=Severity.INFO, where=where, line=p.line, label=p.label,
                             **counted)
            elif p.kind is ProblemKind.NOT_A_CERTIFICATE:
                # beside certificates (EC PARAMETERS from `openssl ecparam`, a CSR) such a block
                # matters only in a truststore; a file of nothing else is the wrong file
                aside = not self.truststore and bool(loaded.certificates)
                self.add("CERT_NOT_A_CERTIFICATE", None, f"{where}: not a certificate",
                         f"{_cap(p.detail)}. API Gateway expects only certificates.",
                         self.clean_copy_fix("Remove the block from the file.",
                                             "Write a copy with the certificates only."),
                         severity=Severity.INFO if aside else None,
                         where=where, line=p.line, label=p.label, **counted)
            elif p.kind is ProblemKind.NOT_READ:
                self.add("CERT_MALFORMED", None,
                         f"{src}: more certificates than mtls-doctor reads",
                         f"{p.count:,} further certificate block(s) were counted but not decoded: "
                         f"mtls-doctor reads the first {MAX_CERTIFICATES:,} certificates of a "
                         "file, so that any input is handled in bounded time and memory (a "
                         "bundle of every public root CA holds about 150): is it the right file? "
                         "The checks cover only the certificates read.",
                         self.fix("Give the file that holds only the certificates meant.", (),
                                  (list_certs_command(src),)),
                         where=where, line=p.line, count=p.count, limit=MAX_CERTIFICATES)
            else:
                self.add("CERT_MALFORMED", None, f"{where}: cannot be read",
                         f"{_cap(p.detail)}" + (f" ({p.count:,} times)." if p.count > 1 else "."),
                         self.fix("Replace the damaged part with a good copy of the certificate.",
                                  (), (list_certs_command(src),)),
                         where=where, line=p.line, label=p.label, **counted)
        if not loaded.certificates and not self.truststore:
            if container is Container.EMPTY:
                self.add("CERT_MALFORMED", None, f"{src} is empty", f"{src} holds no data at all.",
                         self.fix("Check that the right file was given."))
        elif not loaded.certificates:
            from mtls_doctor.shell import render, tools

            self.add("TRUSTSTORE_EMPTY", None, f"{src} holds no certificate",
                     f"No certificate could be found in {src}" +
                     (" (the file is empty)." if container is Container.EMPTY else "."),
                     self.fix("Build the bundle from the CA certificates your clients chain to.",
                              ("Concatenate the issuing CA and every CA above it, up to the root.",),
                              (render(tools.concat(("issuing-ca.pem", "intermediate-ca.pem",
                                                    "root-ca.pem"), src)),)))

    # --- each certificate on its own -----------------------------------------------------
    def syntax_rules(self, summaries: Sequence[CertSummary]) -> None:
        # the same parse error in many blocks is one finding that counts them, together with
        # the blocks the loader only counted
        malformed: dict[str, list[CertSummary]] = {}
        for s in summaries:
            if s.malformed:
                malformed.setdefault(_same_detail(s.malformed), []).append(s)
        counted = {_same_detail(p.detail): p for p in self.loaded.problems if p.certificate_blocks}
        for key, group in malformed.items():
            self.malformed_rule(group, counted.pop(key, None))
        for p in counted.values():  # counted blocks whose kept ones are not in this file's list
            self.add("CERT_MALFORMED", None, f"{p.count:,} certificate blocks are not valid X.509",
                     f"{_cap(p.detail)}.", self.fix("Replace the damaged blocks with good copies.",
                                                    (), (list_certs_command(self.src),)),
                     where=p.location(self.src), count=p.count, lines=list(p.lines))
        seen: set[str] = set()
        for s in summaries:
            if not s.malformed and s.sha256_fingerprint in seen:
                continue  # a copy: its notes are the first copy's
            seen.add(s.sha256_fingerprint)
            for note in s.nonstandard:
                self.add("CERT_NONSTANDARD", s, f"{s.subject}: breaks RFC 5280",
                         f"{_cap(note)}.",
                         self.replace_fix(s, "Ask the CA for a standards-compliant certificate."),
                         note=note)

    def malformed_rule(self, group: Sequence[CertSummary], counted: Problem | None) -> None:
        """CERT_MALFORMED for certificates with the same parse error (and the blocks with it
        that the loader counted): one finding for all of them."""
        s = group[0]
        extra = counted.count if counted is not None else 0
        total = len(group) + extra
        if total == 1:
            self.add("CERT_MALFORMED", s, f"certificate #{s.index + 1} is not valid X.509",
                     f"{_cap(s.malformed or '')}. API Gateway checks X.509 syntax and "
                     "reports it as a truststore warning.",
                     self.replace_fix(s, "Replace it with a good copy from its CA."))
            return
        places = [_place(g) for g in group[:PLACES_SHOWN]]
        if counted is not None:
            places += [f"line {n}" for n in counted.lines[: PLACES_SHOWN - len(places)]]
        lines = [g.line for g in group if g.line is not None]
        lines += list(counted.lines if counted is not None else ())
        self.add("CERT_MALFORMED", s, f"{total:,} certificate blocks are not valid X.509",
                 f"{_cap(_same_detail(s.malformed or ''))}, in {total:,} certificate blocks: "
                 f"{_places(places, total)}. API Gateway checks X.509 syntax and reports it as a "
                 "truststore warning.",
                 self.replace_fix(s, "Replace them with good copies from their CAs."),
                 count=total, indexes=[g.index for g in group[:PLACES_SHOWN]],
                 lines=lines[:PLACES_SHOWN])

    def duplicate_rule(self, group: Sequence[CertSummary]) -> None:
        """TRUSTSTORE_DUPLICATE: one finding for all the copies of one certificate."""
        first, s = group[0], group[1]
        if len(group) == 2:
            self.add("TRUSTSTORE_DUPLICATE", s, f"{s.subject} appears twice",
                     f"It is the same certificate as #{first.index + 1} (line {first.line}).",
                     self.fix("Remove the second copy."),
                     first_index=first.index)
            return
        places = [_place(g) for g in group[1:PLACES_SHOWN + 1]]
        self.add("TRUSTSTORE_DUPLICATE", s, f"{s.subject} appears {len(group):,} times",
                 f"{len(group) - 1:,} copies of certificate #{first.index + 1} (line {first.line}): "
                 f"{_places(places, len(group) - 1)}.",
                 self.fix("Keep one copy and remove the others."),
                 first_index=first.index, count=len(group) - 1,
                 indexes=[g.index for g in group[1:PLACES_SHOWN + 1]])

    def cert_rules(self, summaries: Sequence[CertSummary]) -> None:
        copies: dict[str, list[CertSummary]] = {}
        for s in summaries:
            if not s.malformed:
                copies.setdefault(s.sha256_fingerprint, []).append(s)
        for s in summaries:
            if s.malformed:
                continue
            group = copies[s.sha256_fingerprint]
            if group[0] is not s:
                if s is group[1]:
                    self.duplicate_rule(group)
                continue  # a copy: the first one's rules apply
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
        """The best path of every certificate (a copy shares the first copy's), with the
        problems on it reported once."""
        cache = SignatureCache()
        unique = list({n.key: n for n in reversed(nodes)}.values())[::-1]  # first copies
        by_subject: dict[NameKey, list[Node]] = {}
        for n in unique:
            by_subject.setdefault(n.subject_key, []).append(n)
        # the one link every certificate's path starts with when a single CA bears its issuer's
        # name (and its own signature does not end the path): checked at once, up front
        cache.prefill([(n, named[0]) for n in unique if not n.self_issued
                       and len(named := by_subject.get(n.issuer_key, [])) == 1
                       and named[0].key != n.key])
        best_of: dict[str, Path | None] = {}
        crowded: dict[NameKey, int] = {}
        reported: set[tuple[str, str, str]] = set()
        issuing: dict[str, list[Node]] = {}
        built = narrowed = 0
        for node in unique:
            # past PATH_BUDGET paths, one certificate per name is followed: a path per start
            per_name = ISSUERS_PER_NAME if built < PATH_BUDGET else 1
            narrowed += per_name == 1
            # a CA in the bundle stands above future clients; a leaf in it (a self-signed
            # client, say) is an end entity and does not count as a CA on its own path
            paths = find_paths(node, _reachable(node, by_subject, crowded, per_name), cache,
                               start_is_ca=node.why_not_ca is None)
            built += len(paths)
            path = paths[0] if paths else None
            best_of[node.key] = path
            if path is None:
                continue
            if len(path.nodes) > 1:
                issuing.setdefault(path.nodes[1].key, []).append(node)
            for issue in path.issues:
                self.chain_issue(issue, path, reported)
        for node in unique:
            s = node.summary
            why = node.why_not_ca
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
        if narrowed:
            shared = sorted((ns for ns in by_subject.values() if len(ns) > 1), key=len,
                            reverse=True)
            names = [f"{ns[0].summary.subject} ({len(ns):,})" for ns in shared[:PLACES_SHOWN]]
            s = shared[0][0].summary if shared else unique[0].summary
            self.add("TRUSTSTORE_DUPLICATE", s, "certificates share subject names",
                     f"Certificates of the bundle share subject names ({_places(names, len(shared))}"
                     f"), so that paths branch at every such name: after {PATH_BUDGET:,} paths "
                     f"mtls-doctor followed one certificate per name (the one whose subject key "
                     f"identifier matches) for the last {narrowed:,} certificates. A re-keyed or "
                     "cross-signed CA shares its name with a few; this many is almost surely a "
                     "mistake.",
                     self.fix("Keep the certificates that clients chain to, and remove the "
                              "others.", (), (list_certs_command(self.src),)),
                     narrowed=narrowed, path_budget=PATH_BUDGET)
        for name, count in crowded.items():
            s = by_subject[name][0].summary
            self.add("TRUSTSTORE_DUPLICATE", s, f"{count:,} certificates share the subject {s.subject}",
                     f"{count:,} CA certificates of the bundle are named {s.subject}: more than "
                     f"the {ISSUERS_PER_NAME} that mtls-doctor follows when it builds a path "
                     "through that name (those whose subject key identifier matches the "
                     "issued certificate's authority key identifier first). A re-keyed or "
                     "cross-signed CA has a few; this many is almost surely a mistake.",
                     self.fix("Keep the certificates of that name that clients chain to, and "
                              "remove the others.", (), (list_certs_command(self.src),)),
                     count=count, limit=ISSUERS_PER_NAME)
        return [best_of[n.key] for n in nodes]

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
            web = [u for u in urls if u.lower().startswith(("http://", "https://"))]
            if urls:
                steps.append(f"The certificate names where its issuer can be downloaded: {urls[0]}")
            if web:
                from mtls_doctor.shell import curl, openssl, render_all, tools

                # openssl 3 reads the DER (or PEM) the URL serves and writes PEM
                cmds = list(render_all((curl.download(web[0], "issuer.crt"),
                                        openssl.x509("-out", "issuer.pem", infile="issuer.crt"),
                                        tools.concat(("issuer.pem",), self.src, append=True))))
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


def _reachable(node: Node, by_subject: dict[NameKey, list[Node]],
               crowded: dict[NameKey, int], per_name: int = ISSUERS_PER_NAME) -> list[Node]:
    """The certificates a path from `node` can reach by name chaining within `MAX_DEPTH`
    links: all that `find_paths` needs to look at (a bundle of thousands of unrelated CAs is not
    scanned for each one). Of the certificates sharing one subject name, at most `per_name`
    are followed, those whose subject key id is the child's authority key id first; a name with
    more than `ISSUERS_PER_NAME` is noted in `crowded` (name -> how many share it)."""
    out: dict[str, Node] = {}
    level = [node]
    seen_names: set[NameKey] = set()
    for _ in range(MAX_DEPTH + 1):
        upper: list[Node] = []
        for child in level:
            name = child.issuer_key
            if name in seen_names:
                continue
            seen_names.add(name)
            named = by_subject.get(name, [])
            if len(named) > ISSUERS_PER_NAME:
                crowded[name] = len(named)
            if len(named) > per_name:
                aki = child.summary.aki
                named = sorted(named, key=lambda n: 0 if aki and n.summary.ski == aki else 1)
            for candidate in named[:per_name]:
                if candidate.key not in out:
                    out[candidate.key] = candidate
                    upper.append(candidate)
        if not upper:
            break
        level = upper
    return list(out.values())


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
    by_key: dict[str, int] = {}
    for n in nodes:
        by_key.setdefault(n.key, n.summary.index)  # a copy's issuer is the first copy
    path_of = {n.summary.index: p for n, p in zip(nodes, paths, strict=True)}
    linked = []
    for s in summaries:
        p = path_of.get(s.index)
        parent = by_key.get(p.nodes[1].key) if p and len(p.nodes) > 1 else None
        linked.append(s if parent == s.issuer_index else dataclasses.replace(s, issuer_index=parent))
    linked, cut = _cut_deep_trees(linked)
    if cut:
        first = linked[cut[0]]
        linter.add("TRUSTSTORE_CHAIN_TOO_LONG", first,
                   f"issuer links more than {TREE_DEPTH} certificates deep",
                   f"Each certificate of a chain more than {TREE_DEPTH} long is issued by the next "
                   f"in the bundle, where API Gateway allows at most {MAX_CA_CERTS} CAs on a path. "
                   f"Reports draw such a chain in pieces of {TREE_DEPTH}: "
                   f"{_places([_place(linked[i]) for i in cut[:PLACES_SHOWN]], len(cut))} start "
                   "a new piece: their issuer_index is null, though their issuer is in the "
                   "bundle.",
                   linter.fix("Remove the CA certificates that no client chains through.", (),
                              (list_certs_command(linter.src),)),
                   depth_limit=TREE_DEPTH, cut_indexes=cut[:PLACES_SHOWN], cuts=len(cut))
    return TruststoreLint(tuple(linked), tuple(fold_findings(linter.findings)))


def _cut_deep_trees(certs: list[CertSummary]) -> tuple[list[CertSummary], list[int]]:
    """Break issuer links every `TREE_DEPTH` levels: a hostile bundle can chain hundreds of
    CAs, and reports draw issuer trees by recursion. Returns the certificates and the
    positions (in `certs`) of those whose link was cut."""
    pos = {c.index: i for i, c in enumerate(certs)}
    depth: dict[int, int] = {}
    for start in range(len(certs)):
        trail: list[int] = []
        at: int | None = start
        while at is not None and at not in depth and at not in trail:
            trail.append(at)
            parent = certs[at].issuer_index
            at = pos.get(parent) if parent is not None and parent != certs[at].index else None
        base = depth[at] if at is not None and at in depth else -1
        if at is not None and at in trail:  # a loop: drawn flat, not as a tree
            base = -1
        for i in reversed(trail):
            base += 1
            depth[i] = base
    cut = sorted(i for i, d in depth.items() if d and d % TREE_DEPTH == 0)
    for i in cut:
        certs[i] = dataclasses.replace(certs[i], issuer_index=None)
    return certs, cut


def lint_file(loaded: LoadedFile, at: datetime) -> tuple[list[CertSummary], list[Finding]]:
    """Describe a plain certificate file and report what is unreadable or non-standard in it."""
    summaries, _ = nodes_of(loaded, at, trusted=False)
    linter = _Linter(loaded, at, 0, truststore=False)
    linter.file_rules()
    linter.syntax_rules(summaries)
    return summaries, fold_findings(linter.findings)
