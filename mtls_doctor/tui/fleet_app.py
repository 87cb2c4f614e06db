"""`FleetApp`: `mtls-doctor scan` at a terminal. The scan runs in a thread of its own (as the
diagnosis does in `MtlsDoctorApp`: a plain daemon thread, never a Textual worker, which the app
would wait for at exit); its progress is counted from the scan's threads (`ScanProgress`) and
drawn by a timer, its report comes back as a message with its view built in the thread.

The app is `MtlsDoctorApp`, started on the fleet screen instead of the dashboard: Enter on a
domain hands that domain's own report (`ScannedDomain.report`, the one `domain NAME` gives) to
the app's `deliver`, as a finished run would, and shows the dashboard (a `DomainDashboard`,
installed once and shown again): its findings, checks, finding screen, walkthroughs,
certificate viewer and export are the single-domain app's own. `q` or escape there goes back to
the fleet; `q` on the fleet quits with the scan's exit code, 130 while the scan still runs (it
is cancelled: its deadline ends, nothing is reported)."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import events
from textual.message import Message
from textual.screen import Screen

from mtls_doctor.deadline import Deadline
from mtls_doctor.errors import InputError
from mtls_doctor.fleet.model import ScannedDomain, ScanPayload
from mtls_doctor.model.report import Report
from mtls_doctor.tui import render
from mtls_doctor.tui.app import MtlsDoctorApp
from mtls_doctor.tui.messages import ExportRequested
from mtls_doctor.tui.screens import ExportScreen
from mtls_doctor.tui.screens.fleet import (
    DomainDashboard,
    FleetHelpScreen,
    FleetScreen,
    FleetView,
)

#: the name the domain's dashboard is installed under (made once, shown again)
DOMAIN_SCREEN = "fleet-domain"
#: how often the progress line is drawn again while the scan runs, seconds
PROGRESS_EVERY = 0.2

#: the scan: given its deadline and a progress callback (`fleet.scan.Progress`), its report
Scan = Callable[[Deadline, Callable[[str, int], None]], Report]


class ScanProgress:
    """What the scan told so far (`commands.scan.run_scan_command`'s `progress`), counted from
    its threads: the account/region listings to make and answered, the domains found and read,
    and the domains being diagnosed once reading is done."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.listings: int | None = None
        self.listed = 0
        self.found = 0
        self.read = 0
        self.diagnosing: int | None = None

    def __call__(self, event: str, n: int) -> None:
        with self._lock:
            if event == "listings":  # told once per account reached
                self.listings = (self.listings or 0) + n
            elif event == "listed":
                self.listed += 1
                self.found += n
            elif event == "read":
                self.read += n
            elif event == "diagnosing":
                self.diagnosing = n

    def line(self, elapsed: float, timeout: float) -> Text:
        """The progress line: what is done, and the time against the deadline."""
        with self._lock:
            listings, listed, found, read = self.listings, self.listed, self.found, self.read
            diagnosing = self.diagnosing
        clock = f"  {elapsed:.1f} s of the {timeout:g} s deadline"
        if diagnosing is not None:
            return Text.assemble((f"Diagnosing {diagnosing} custom domain(s)…", "bold"),
                                 (clock, "dim"))
        if listings is None:
            return Text.assemble(("Scanning: reaching the account(s)…", "bold"), (clock, "dim"))
        return Text.assemble(
            ("Scanning: ", "bold"),
            f"{listed} of {listings} account/region listing(s) answered, {found} custom "
            f"domain(s) found, {read} read", (clock, "dim"))


class ScanDone(Message):
    """The scan finished: its report and its view (built in the scan's thread)."""

    def __init__(self, report: Report, view: FleetView) -> None:
        super().__init__()
        self.report = report
        self.view = view


class ScanFailed(Message):
    """The scan could not run: the one-line reason, the exit code it means (2: bad input, 3: a
    bug) and, for a bug, the traceback."""

    def __init__(self, error: str, code: int, detail: str | None = None) -> None:
        super().__init__()
        self.error = error
        self.code = code
        self.detail = detail


class FleetApp(MtlsDoctorApp):
    """The fleet view. With `scan` it runs the scan (its thread, its deadline of `timeout`
    seconds); with `report` (tests, snapshots) it shows that scan report and runs nothing.
    `inputs`: the files the scan reads or writes (its snapshot, its --save), which an export
    never replaces; `what`: what is scanned, as the fleet screen's title says it."""

    def __init__(self, scan: Scan | None = None, *, report: Report | None = None,
                 timeout: float = 30.0, inputs: Sequence[str] = (), what: str = "scan") -> None:
        super().__init__()
        self.scan = scan
        self.given_scan = report
        self.scan_timeout = timeout
        self.scan_inputs = list(inputs)
        self.what = what
        self.fleet = FleetScreen()
        self.dashboard = DomainDashboard("", [])
        #: the scan's report once it is in (None before, or when it failed)
        self.scan_report: Report | None = None
        self.scan_view: FleetView | None = None
        #: each domain's own report, by (account, region, name)
        self.domains: dict[tuple[str, str, str], ScannedDomain] = {}
        self.scanning = False
        self.scan_deadline: Deadline | None = None
        self.scan_started = 0.0
        self.progress = ScanProgress()
        #: the export dialog open was asked for from the fleet (it writes the scan's report)
        self.exporting_scan = False

    def get_default_screen(self) -> Screen[None]:
        return self.fleet

    def on_mount(self, event: events.Mount | None = None) -> None:
        # the single-domain app's own start (a form, a run, a report) is not this app's: its
        # handler, next in the MRO, is not called
        if event is not None:
            event.prevent_default()
        self.install_screen(self.dashboard, DOMAIN_SCREEN)
        self.sub_title = render.clean(self.what)
        if self.given_scan is not None:
            self.call_after_refresh(self.show_scan, self.given_scan)
        elif self.scan is not None:
            self.call_after_refresh(self.start_scan)

    # -- the scan -----------------------------------------------------------------------------

    @property
    def scan_target(self) -> str:
        """What the exit line names: the scan, and how many domains it found once it is in."""
        p = self.scan_view.payload if self.scan_view is not None else None
        if p is None:
            return self.what
        accounts = len(p.accounts)
        regions = len({r.region for r in p.regions})
        return (f"{self.what} ({len(p.rows)} custom domain(s) in {accounts} account(s), "
                f"{regions} region(s))")

    def start_scan(self) -> None:
        """The scan in a daemon thread of its own, within its deadline; the progress line
        drawn by a timer until it is in."""
        scan = self.scan
        if scan is None:
            return
        self.scan_deadline = Deadline(self.scan_timeout)
        self.scanning = True
        self.scan_started = time.monotonic()
        self.progress = ScanProgress()
        self.run_id += 1
        thread = threading.Thread(target=self._scan, args=(scan, self.scan_deadline,
                                                            self.progress),
                                  name="mtls-doctor-tui-scan", daemon=True)
        self.run_threads = [thread]
        thread.start()
        self.set_interval(PROGRESS_EVERY, self._draw_progress, name="scan-progress")
        self._draw_progress()

    def _draw_progress(self) -> None:
        if self.scanning:
            self.fleet.progress(self.progress.line(time.monotonic() - self.scan_started,
                                                   self.scan_timeout))

    def _scan(self, scan: Scan, deadline: Deadline, progress: ScanProgress) -> None:
        """The whole scan, off the event loop; the result comes back as a message."""
        try:
            report = scan(deadline, progress)
            view = FleetView.of(_payload(report))
        except InputError as exc:
            self._post(ScanFailed(str(exc), 2))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the TUI
            self._post(ScanFailed(f"{type(exc).__name__}: {exc}", 3,
                                  "".join(traceback.format_exception(exc))))
        else:
            self._post(ScanDone(report, view))

    def on_scan_done(self, message: ScanDone) -> None:
        if not self.scanning:  # quit meanwhile
            return
        self.scanning = False
        self._show(message.report, message.view)

    def on_scan_failed(self, message: ScanFailed) -> None:
        if not self.scanning:
            return
        self.scanning = False
        self.error, self.error_code, self.error_detail = message.error, message.code, \
            message.detail
        self.fleet.show_failure(message.error)
        self._notify(message.error, title="Scan failed", severity="error", timeout=10)

    def show_scan(self, report: Report) -> None:
        """Show a scan report without running anything (tests, snapshots)."""
        self._show(report, FleetView.of(_payload(report)))

    def _show(self, report: Report, view: FleetView) -> None:
        self.scan_report, self.scan_view = report, view
        domains = report.payload.get("domains") or ()
        self.domains = {(d.account, d.region, d.name): d for d in domains
                        if isinstance(d, ScannedDomain)}
        self.fleet.show_scan(view)
        self.sub_title = render.clean(self.scan_target)
        self.call_after_refresh(self._freeze_heap)

    def _cancel_scan(self) -> None:
        if self.scan_deadline is not None:
            self.scan_deadline.cancel()
        self.scanning = False

    # -- a domain of the fleet ----------------------------------------------------------------

    def on_fleet_screen_domain_chosen(self, message: FleetScreen.DomainChosen) -> None:
        """Enter on a domain: its own report on the dashboard."""
        domain = self.domains.get((message.account, message.region, message.name))
        if domain is None:
            self._notify(f"{message.name} ({message.account}, {message.region}) was not read "
                         "before the deadline: it has no diagnosis to show", severity="warning")
            return
        self.open_domain(domain)

    def open_domain(self, domain: ScannedDomain) -> None:
        """`domain`'s report on the dashboard (delivered as a run's result, so the finding
        screen, walkthroughs and certificate viewer all draw it)."""
        if self.screen is not self.fleet:
            return
        if self.dashboard.is_mounted:
            self._deliver(domain)
            self.push_screen(DOMAIN_SCREEN)
        else:  # the first time: composed when pushed, then handed the report
            self.push_screen(DOMAIN_SCREEN)
            self.call_after_refresh(self._deliver, domain)

    def _deliver(self, domain: ScannedDomain) -> None:
        self.deliver(domain.report)
        self.sub_title = render.clean(f"{domain.name} (account {domain.account}, "
                                      f"{domain.region}) of the {self.what}")

    def fleet_shown(self) -> None:
        """Back on the fleet (the fleet screen resumed): its own title again."""
        if self.scan_report is not None:
            self.sub_title = render.clean(self.scan_target)

    # -- what the single-domain app does otherwise --------------------------------------------

    # quitting (`exit_code`, `action_quit`) follows the scan, not a domain's run
    def _busy(self) -> bool:
        return self.scanning

    def _final_report(self) -> Report | None:
        return self.scan_report

    def _cancel_for_quit(self) -> None:
        self._cancel_scan()
        self.fleet.show_cancelled()

    def inputs(self) -> list[str]:
        """The files the scan reads or writes (an export never replaces one)."""
        return list(self.scan_inputs)

    def action_help(self) -> None:
        """The key bindings, the fleet's first."""
        if not isinstance(self.screen, FleetHelpScreen):
            self.push_screen(FleetHelpScreen())

    def action_rerun(self) -> None:
        """Nothing is run again here (a walkthrough's re-check included): the domain is shown
        as the scan read it."""
        why = ("a domain of the scan is shown as the scan read it: run its re-check command, "
               "or the scan again")
        for walk in self._rechecking():
            walk.recheck_done(None, why)
        self._notify(why, severity="warning")

    def action_traffic(self) -> None:
        self._notify("the traffic of a scanned domain is read by `mtls-doctor traffic NAME` "
                     "(with that account's credentials)", severity="warning")

    def open_fix(self, selected: Any) -> None:
        self._notify("the fixes of a scanned domain are planned by `mtls-doctor fix NAME` "
                     "(with that account's credentials)", severity="warning")

    def action_export(self) -> None:
        """On the fleet: the scan's report; on a domain: that domain's report."""
        if isinstance(self.screen, ExportScreen):
            return
        if self.screen is not self.fleet:
            self.exporting_scan = False
            super().action_export()
            return
        if self.scan_report is None:
            self.notify("the scan has not finished yet", severity="warning", markup=False)
            return
        self.exporting_scan = True
        self.push_screen(ExportScreen(inputs=self.inputs()))

    def on_export_requested(self, message: ExportRequested) -> None:
        if not self.exporting_scan or self.scan_report is None:
            return  # the single-domain app's own handler writes the domain's report
        message.prevent_default()
        choice = message.choice
        self.export_report(self.scan_report, choice.fmt, choice.path, choice.redact)


def _payload(report: Report) -> ScanPayload:
    payload = report.payload.get("scan")
    if not isinstance(payload, ScanPayload):
        raise TypeError(f"a {report.command} report holds no scan")
    return payload


__all__ = ["DOMAIN_SCREEN", "FleetApp", "ScanDone", "ScanFailed", "ScanProgress"]
