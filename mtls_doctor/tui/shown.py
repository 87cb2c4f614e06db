"""A report as the TUI shows it: the report, its view (`report.view.build`) built once, and the
findings in the view's order beside the typed findings they draw.

`Shown.of(report)` is called once per report, in the diagnosis thread (or once when a report
is handed in), never per keypress: every pane and screen draws from the same view, so the
TUI prints the findings in the order and with the words the text, Markdown and HTML reports
use. The parts a finding's screen shows (the served vs configured table, the chains) are taken
from the view's sections, as the other renderers draw them. No textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.report.view import (
    CertView,
    FindingView,
    Node,
    ReportView,
    Table,
    Tree,
    build,
    ordered_findings,
)

#: the sections (their anchors) a finding's screen takes its parts from
SERVED_VS_CONFIGURED = "served-vs-configured"
TRUSTSTORE_CHAINS = "truststore"
FILE_CHAINS = "certificates"
VERDICT_PATH = "verdict"
SERVED_CHAIN = "probe"


@dataclass(frozen=True)
class Shown:
    """A report, its view and its typed findings in the view's order (`findings[i]` is the
    finding `view.findings[i]` draws)."""

    report: Report
    view: ReportView
    findings: tuple[Finding, ...]

    @classmethod
    def of(cls, report: Report) -> Shown:
        """Build the view of `report` (once: call it off the event loop for a big report)."""
        view = build(report)
        for cert in view.certificates:  # rows are made when first read (`LazyRows`): here,
            len(cert.rows)  # not on the event loop, where the viewer's filter reads them all
        return cls(report, view, tuple(ordered_findings(report)))

    def finding(self, shown: FindingView | Finding) -> Finding:
        """The typed finding a `FindingView` draws (its evidence as collected, for the
        walkthrough's facts); a `Finding` as it is."""
        if isinstance(shown, Finding):
            return shown
        if 0 < shown.number <= len(self.findings) and \
                self.findings[shown.number - 1].id == shown.id:
            return self.findings[shown.number - 1]
        return next(f for f in self.findings if f.id == shown.id)

    def finding_view(self, finding_id: str) -> FindingView | None:
        """The first finding drawn with this id."""
        return next((f for f in self.view.findings if f.id == finding_id), None)

    def _part(self, anchor: str, kind: type[Any]) -> Any:
        """The first part of type `kind` of the section with this anchor."""
        for section in self.view.sections:
            if section.anchor == anchor:
                return next((p for p in section.parts if isinstance(p, kind)), None)
        return None

    def served_vs_configured(self) -> Table | None:
        """The served leaf beside the domain's configured certificate (differing rows `warn`),
        when the report has both."""
        table = self._part(SERVED_VS_CONFIGURED, Table)
        return table if isinstance(table, Table) else None

    def trees(self, anchor: str) -> tuple[Node, ...]:
        """The nodes of the first tree of a section (`TRUSTSTORE_CHAINS`, `VERDICT_PATH`,
        `SERVED_CHAIN`, `FILE_CHAINS`); empty when the report has none."""
        tree = self._part(anchor, Tree)
        return tree.nodes if isinstance(tree, Tree) else ()

    def certificate(self, anchor: str) -> CertView | None:
        """The certificate of the report with this anchor."""
        return next((c for c in self.view.certificates if c.anchor == anchor), None)


__all__ = ["FILE_CHAINS", "SERVED_CHAIN", "SERVED_VS_CONFIGURED", "TRUSTSTORE_CHAINS",
           "VERDICT_PATH", "Shown"]
