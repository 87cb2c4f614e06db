"""A finding of the report's view (`report.view.FindingView`) drawn for the TUI: the detail pane
(severity, id, title, where, the words, the evidence rows, the fix) and, on the finding screen,
the certificates it is about: the served certificate beside the configured one, the chain
centred on the finding's certificate, that certificate's rows.

The view decides every word, order and value; this module only lays them out. The view holds
plain strings: each goes through `render.clean` into a `Text` (never markup), here or in
`tui.sections`, which draws the view's facts and tables for every screen.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from mtls_doctor.model.finding import Fix
from mtls_doctor.report.parts import Facts, Row, Table
from mtls_doctor.report.view import FindingView
from mtls_doctor.tui import render
from mtls_doctor.tui.chain import tree_renderable
from mtls_doctor.tui.sections import facts_renderable, table_renderable
from mtls_doctor.tui.shown import (
    FILE_CHAINS,
    SERVED_CHAIN,
    TRUSTSTORE_CHAINS,
    VERDICT_PATH,
    Shown,
)


def fix_renderable(fix: Fix, *, title: str = "Fix", commands: bool = True) -> Group:
    """A fix: summary, numbered steps, commands to copy (with `commands`; else the caller lists
    them, as the `CommandList` widget does). A command is never wrapped: one line, cut at the
    pane's edge rather than broken (copying a broken URL breaks it)."""
    parts: list[RenderableType] = [Text.assemble((f"{title}: ", "bold green"), render.clean(fix.summary))]
    for i, step in enumerate(fix.steps, 1):
        parts.append(Text(f"  {i}. {render.clean(step)}"))
    if fix.commands:
        parts.append(Text("Commands", style="bold"))
    for cmd in fix.commands if commands else ():
        parts.append(Text.assemble(("  $ ", "dim"), (render.clean(cmd), "cyan"), no_wrap=True,
                                   overflow="ellipsis"))
    return Group(*parts)


def walkthrough_hint(f: FindingView) -> Text:
    """The line that says a finding has a walkthrough, and how to open it (empty without)."""
    if not f.walkthrough:
        return Text("")
    return Text.assemble(("walkthrough ", "dim"), (render.clean(f.walkthrough), "bold"),
                         (" — press w to walk it", "dim"))


def _where(f: FindingView) -> list[Row]:
    """What the finding is about and where: subject, location, the certificate of the report
    it names, the checks that count it."""
    rows = [Row("subject", f.subject), Row("where", f.location),
            Row("certificate", f.certificate_label + " (c: every certificate)"
                if f.certificate_label else ""),
            Row("checks", ", ".join(f.checks))]
    return [r for r in rows if r.value]


def finding_detail(f: FindingView, *, commands: bool = True) -> Group:
    """The detail pane / finding screen: severity and id, title, where, detail, evidence, fix
    steps and (with `commands`) the fix's commands and the walkthrough hint; without, the
    caller shows those (the `FindingPane` widget: commands in a `CommandList`)."""
    parts: list[RenderableType] = [
        Text.assemble((f.severity.upper(), render.SEVERITY_STYLE[f.severity]), " ",
                      (f.id, "bold")),
        Text(render.clean(f.title), style="bold"),
        Text(""),
    ]
    where = _where(f)
    if where:
        parts += [facts_renderable(Facts("", tuple(where))), Text("")]
    parts += [Text(render.clean(f.detail)), Text("")]
    if f.evidence:
        parts += [facts_renderable(Facts("Evidence", f.evidence)), Text("")]
    if f.fix is not None:
        parts.append(fix_renderable(f.fix, commands=commands))
        if commands:
            parts.append(Text(""))
    if f.walkthrough and commands:
        parts.append(walkthrough_hint(f))
    return Group(*parts)


def _table(table: Table, title: str) -> RenderableType:
    return table_renderable(Table(title, table.columns, table.rows, table.kind))


def finding_extras(f: FindingView, shown: Shown | None) -> list[RenderableType]:
    """What the finding screen adds to the detail: for SERVER_* findings the served certificate
    beside the configured one and the served chain; for CLIENT_* findings the path API Gateway
    would build; for a finding about a truststore's (or a file's) certificate the chains,
    centred on it; and that certificate's rows."""
    if shown is None:
        return []
    out: list[RenderableType] = []

    def add(item: RenderableType) -> None:
        out.extend((Text(""), item))

    if f.id.startswith("SERVER_"):
        table = shown.served_vs_configured()
        if table is not None:
            add(_table(table, "Served vs configured certificate"))
        served = shown.trees(SERVED_CHAIN)
        if served:
            add(tree_renderable("Served chain (root at the top)", served))
    path = shown.trees(VERDICT_PATH) if f.id.startswith("CLIENT_") else ()
    if path:
        add(tree_renderable("Path API Gateway would build (root at the top)", path))
    elif f.id.startswith(("TRUSTSTORE_", "CLIENT_", "CERT_")) \
            or f.certificate.startswith(("cert-truststore-", "cert-file-")):
        chains = shown.trees(TRUSTSTORE_CHAINS) or shown.trees(FILE_CHAINS)
        if chains:
            add(tree_renderable("Certificate chains (root at the top)", chains, f.certificate))
    cert = shown.certificate(f.certificate) if f.certificate else None
    if cert is not None:
        add(facts_renderable(Facts(f"{f.certificate_label}: {cert.subject}", cert.rows)))
    return out
