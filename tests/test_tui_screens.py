"""The TUI's secondary screens driven by Pilot: the walkthrough, the certificate viewer, the export
dialog and the start form (and the start form's pure checks, `tui.form`, without textual).

A screen alone is pushed on a small host app (`Host`) with facts the test states; the app's own
wiring is driven through `MtlsDoctorApp` with the fixed report (`tests/tui_report.py`) or, where a
diagnosis must really run again (re-check), the demo lab on loopback.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("textual")

from rich.console import Console
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, OptionList, Static

from mtls_doctor.errors import InputError
from mtls_doctor.model.finding import Finding
from mtls_doctor.model.report import Report
from mtls_doctor.tui import form
from mtls_doctor.tui.app import MtlsDoctorApp
from mtls_doctor.tui.screens import CertificatesScreen, ExportScreen, StartScreen, WalkthroughScreen
from mtls_doctor.tui.screens.certificates import certificate_text
from mtls_doctor.tui.screens.export import FormatChoice
from mtls_doctor.tui.widgets import CommandList
from mtls_doctor.walkthroughs import FixTemplate, LeafNode, QuestionNode, Tree, load_tree, walk
from mtls_doctor.walkthroughs.engine import heading_to
from tests.tui_report import drive_fixed, fixed_report

pytestmark = pytest.mark.timeout(60)

SIZE = (80, 24)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def plain(widget: Static) -> str:
    """What a Static holds, as plain text (wide, so nothing wraps)."""
    console = Console(width=400, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(widget.content)
    console.file.close()
    return console.export_text()


def prompts(box: OptionList) -> list[str]:
    """The options' text, in order."""
    return [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]


def last_note(app: App[Any]) -> str:
    """The latest notification's text."""
    return str(list(app._notifications)[-1].message)


def focused(app: App[Any]) -> Any:
    """The focused widget (a function, so mypy forgets earlier narrowing)."""
    return app.focused


def current(app: App[Any]) -> Any:
    """The active screen (a function, so mypy forgets earlier narrowing)."""
    return app.screen


def attr(obj: Any, name: str) -> Any:
    """An attribute read afresh (a function, so mypy forgets earlier narrowing)."""
    return getattr(obj, name)


def shown(widget: Any) -> bool:
    """Whether a widget is displayed (a function, so mypy forgets earlier narrowing)."""
    return bool(widget.display)


async def burst(app: App[Any], keys: list[str]) -> None:
    """Keys as a fast typist (or a paste-like burst) sends them: all in the app's queue before
    any of them is handled, as the terminal driver posts them."""
    for key in keys:
        printable = len(key) == 1
        app.post_message(events.Key(key, key if printable else None))


class Host(App[None]):
    """One screen on an otherwise empty app; records what was copied and how the screen was
    dismissed."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.first = screen
        self.copied: list[str] = []
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.first, self.results.append)

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)


def host(screen: Screen[Any], test: Callable[[Host, Pilot[None]], Awaitable[None]], *,
         size: tuple[int, int] = SIZE) -> Host:
    async def main() -> Host:
        app = Host(screen)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await test(app, pilot)
        return app
    return asyncio.run(main())


with_report = drive_fixed  # the app with the fixed report on screen (nothing runs)


@pytest.fixture(scope="module")
def report() -> Report:
    return fixed_report()


def finding(report: Report, finding_id: str) -> Finding:
    return next(f for f in report.findings if f.id == finding_id)


# -- the start form: pure checks -----------------------------------------------------------------


def test_form_validation(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    assert form.validate({}) == {"host": "the host to diagnose is required"}
    assert form.validate({"host": "api.example.com"}) == {}
    errors = form.validate({"host": "bad host", "port": "70000", "cert": str(tmp_path / "no.pem"),
                            "key": str(cert), "truststore": str(tmp_path),
                            "connect": "bad connect"})
    assert set(errors) == {"host", "port", "cert", "truststore", "connect"}
    assert "1 to 65535" in errors["port"] and "no such file" in errors["cert"]
    assert "not a file" in errors["truststore"]
    assert form.validate({"host": "h.example", "port": "0"})["port"]
    assert form.validate({"host": "h.example", "key": str(cert)}) == {
        "key": "a key needs its client certificate"}
    assert form.validate({"host": "h.example", "chain": str(cert)}) == {
        "chain": "a chain needs its client certificate"}
    assert form.validate({"host": "h.example", "truststore": "s3://b/k.pem"}) == {}


@pytest.mark.parametrize(("timeout", "ok"), [
    ("60", True), ("0.5", True), ("300", True), (" 30 ", True),
    ("0", False), ("-1", False), ("301", False), ("abc", False), ("nan", False), ("inf", False),
])
def test_form_timeout_is_a_positive_number_of_seconds(timeout: str, ok: bool) -> None:
    errors = form.validate({"host": "h.example", "timeout": timeout})
    assert ("timeout" not in errors) is ok, errors
    if not ok:
        assert "more than 0 and at most 300" in errors["timeout"]


def test_form_key_password_is_the_name_of_a_variable_that_is_set(tmp_path: Path) -> None:
    cert = tmp_path / "client.p12"
    cert.write_text("x")
    env = {"CLIENT_KEY_PASS": "s3cret"}
    base = {"host": "h.example", "cert": str(cert)}
    assert form.validate({**base, "key_password_env": "CLIENT_KEY_PASS"}, env) == {}
    unset = form.validate({**base, "key_password_env": "NOT_SET_HERE"}, env)["key_password_env"]
    assert "NOT_SET_HERE is not set" in unset
    typed = form.validate({**base, "key_password_env": "s3cret pass!"}, env)["key_password_env"]
    assert "name of an environment variable" in typed and "s3cret" not in typed
    nothing = form.validate({"host": "h.example", "key_password_env": "CLIENT_KEY_PASS"}, env)
    assert "client certificate" in nothing["key_password_env"]


def test_form_aws_fields(tmp_path: Path) -> None:
    snapshot = tmp_path / "domain.json"
    snapshot.write_text("{}")
    assert form.validate({"host": "h.example", "aws_snapshot": str(snapshot)}) == {}
    missing = form.validate({"host": "h.example", "aws_snapshot": str(tmp_path / "no.json")})
    assert "no such file" in missing["aws_snapshot"]
    both = form.validate({"host": "h.example", "aws_snapshot": str(snapshot), "no_aws": True})
    assert "untick it" in both["aws_snapshot"]
    assert form.validate({"host": "h.example", "no_aws": True, "region": "eu-west-1"}) == {}


def test_form_builds_the_options(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    chain = tmp_path / "chain.pem"
    chain.write_text("x")
    snapshot = tmp_path / "domain.json"
    snapshot.write_text("{}")
    o = form.build_options({"host": "API.Example.com", "port": "8443", "cert": str(cert),
                            "key": str(cert), "region": "eu-west-1", "profile": " p "}, NOW)
    assert o.host == "api.example.com:8443" and o.at == o.now == NOW
    assert o.cert == o.key == str(cert) and o.truststore is None and o.connect is None
    assert o.region == "eu-west-1" and o.profile == "p"
    assert o.timeout == 30.0 and not o.no_aws and o.password is None and o.password_env is None
    o = form.build_options({"host": "https://h.example:9443/health",
                            "truststore": "s3://b/k.pem"}, NOW)
    assert o.host == "h.example:9443" and o.path == "/health" and o.truststore == "s3://b/k.pem"
    o = form.build_options({"host": "h.example", "cert": str(cert), "chain": str(chain),
                            "key_password_env": "PASS_VAR", "timeout": "12.5",
                            "aws_snapshot": str(snapshot), "no_aws": False},
                           NOW, {"PASS_VAR": "pässword"})
    assert o.chain == str(chain) and o.timeout == 12.5 and o.aws_snapshot == str(snapshot)
    assert o.password_env == "PASS_VAR" and o.password == "pässword".encode()
    assert form.build_options({"host": "h.example", "no_aws": True}, NOW).no_aws
    with pytest.raises(InputError, match="host"):
        form.build_options({}, NOW)


def test_form_placeholders_are_examples_not_values() -> None:
    for field in form.FIELDS:
        if field.kind != "flag":
            assert field.placeholder.startswith("e.g. "), field
    names = [f.name for f in form.FIELDS]
    for option in ("no_aws", "aws_snapshot", "chain", "timeout", "key_password_env"):
        assert option in names


# -- the start form on screen -------------------------------------------------------------------


def test_keys_typed_right_after_tab_land_in_the_next_field() -> None:
    """`aaa⇥bbb⇥ccc` typed in one burst fills Host, Port and Connect (it gave Host `aaabbb`:
    Textual's tab is resolved after the keys that follow it were handed to the old field)."""
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, StartScreen)
        await burst(app, [*"aaa", "tab", *"bbb", "tab", *"ccc", "shift+tab", *"dd"])
        await pilot.pause()
        await pilot.pause()
        values = screen.values()
        # back in a filled field its text is selected first, so typing replaces it (as in a
        # browser's form): the keys after shift+tab went there too, and in order
        assert (values["host"], values["port"], values["connect"]) == ("aaa", "dd", "ccc")

    host(StartScreen(environ={}), test)


def test_start_form_new_options_reach_the_diagnosis(tmp_path: Path) -> None:
    cert, chain, snapshot = (tmp_path / n for n in ("client.pem", "chain.pem", "domain.json"))
    for f in (cert, chain, snapshot):
        f.write_text("x")

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, StartScreen)
        for name, value in (("host", "api.example.com"), ("cert", str(cert)),
                            ("chain", str(chain)), ("key-password-env", "THE_PASS"),
                            ("timeout", "45"), ("aws-snapshot", str(snapshot))):
            screen.query_one(f"#start-{name}", Input).value = value
        await pilot.click("#start-run")
        await pilot.pause()
        assert len(app.results) == 1
        o = app.results[0]
        assert o.host == "api.example.com:443" and o.cert == str(cert) and o.chain == str(chain)
        assert o.password_env == "THE_PASS" and o.password == b"hunter2"
        assert o.timeout == 45.0 and o.aws_snapshot == str(snapshot) and not o.no_aws

    host(StartScreen(environ={"THE_PASS": "hunter2"}), test)


def test_start_form_no_aws_checkbox() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        screen.query_one("#start-host", Input).value = "api.example.com"
        box = screen.query_one("#start-no-aws", Checkbox)
        box.focus()
        await pilot.press("space")
        assert box.value
        await pilot.press("enter")  # enter on the checkbox toggles it back
        assert not attr(box, "value")
        await pilot.press("space")
        screen.query_one("#start-host", Input).focus()
        await pilot.press("enter")  # enter in a field runs the form
        await pilot.pause()
        assert len(app.results) == 1 and app.results[0].no_aws

    host(StartScreen(environ={}), test)


def test_start_form_checks_each_new_field_in_place(tmp_path: Path) -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, StartScreen)
        values = {"host": "api.example.com", "timeout": "soon", "key-password-env": "NOPE",
                  "chain": str(tmp_path / "missing.pem"),
                  "aws-snapshot": str(tmp_path / "missing.json")}
        for name, value in values.items():
            screen.query_one(f"#start-{name}", Input).value = value
        await pilot.click("#start-run")
        await pilot.pause()
        assert app.results == [] and current(app) is screen
        for name, words in (("timeout", "number of seconds"), ("key-password-env", "not set"),
                            ("chain", "no such file"), ("aws-snapshot", "no such file")):
            error = screen.query_one(f"#start-{name}-error", Static)
            assert shown(error) and words in plain(error), name
            assert screen.query_one(f"#start-{name}", Input).has_class("-invalid")
        assert focused(app) is screen.query_one("#start-timeout", Input)  # the first wrong one
        screen.query_one("#start-timeout", Input).value = "20"  # fixed: its message goes at once
        await pilot.pause()
        assert not shown(screen.query_one("#start-timeout-error", Static))
        assert shown(screen.query_one("#start-chain-error", Static))

    host(StartScreen(environ={}), test)


def test_start_form_placeholders_are_dim_and_italic() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        field = app.screen.query_one("#start-port", Input)
        style = field.get_component_rich_style("input--placeholder")
        assert style.italic and style.dim
        assert field.placeholder.startswith("e.g. ")

    host(StartScreen(environ={}), test)


# -- the certificate viewer -------------------------------------------------------------------


async def open_certificates(app: MtlsDoctorApp, pilot: Pilot[int]) -> CertificatesScreen:
    """The certificate viewer, its list made (a refresh after it opens, the first time)."""
    app.action_certificates()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, CertificatesScreen)
    for _ in range(100):
        if screen.query_one("#cert-list", OptionList).option_count or not screen.certificates:
            break
        await pilot.pause(0.01)
    return screen


def test_typing_in_the_certificate_list_filters_and_fires_no_app_key() -> None:
    """"partner" typed while the list has the focus filters the list: its `r` re-runs nothing,
    its letters open nothing; `q` typed in the filter is text."""
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        screen = await open_certificates(app, pilot)
        box = screen.query_one("#cert-list", OptionList)
        assert focused(app) is box
        total = box.option_count
        runs = app.run_id
        await pilot.press(*"partner")
        await pilot.pause()
        assert screen.filter_box.value == "partner" and focused(app) is screen.filter_box
        assert current(app) is screen and app.run_id == runs
        assert 0 < box.option_count < total
        assert all("partner" in certificate_text(screen.certificates[i])
                   for i in screen.shown)
        await pilot.press("q")  # typing in the filter: a letter like any other
        assert current(app) is screen and screen.filter_box.value == "partnerq"
        await pilot.press("backspace")
        await burst(app, [*" ca"])  # a fast burst keeps its order
        await pilot.pause()
        await pilot.pause()
        assert screen.filter_box.value == "partner ca"
        screen.filter_box.value = ""
        box.focus()
        await pilot.pause()
        await burst(app, [*"sensor-17"])  # a burst into the list: all of it, in order
        await pilot.pause()
        await pilot.pause()
        assert screen.filter_box.value == "sensor-17" and current(app) is screen
        assert box.option_count == 1

    with_report(test)


def test_certificate_filter_drives_the_list_and_q_escape_close() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        screen = await open_certificates(app, pilot)
        box = screen.query_one("#cert-list", OptionList)
        await pilot.press("slash")  # / goes to the filter without typing itself
        assert focused(app) is screen.filter_box and screen.filter_box.value == ""
        first = screen.selected
        await pilot.press("down", "down")
        assert box.highlighted == 2 and screen.selected is not first
        assert screen.selected is not None
        assert screen.selected.subject in plain(screen.query_one("#cert-detail", Static))
        await pilot.press("up")
        assert box.highlighted == 1
        await pilot.press("pagedown")
        assert box.highlighted == box.option_count - 1 or box.highlighted > 1
        await pilot.press("enter")  # back to the list
        assert focused(app) is box
        await pilot.press("q")  # outside the filter q closes
        assert current(app) is app.dashboard
        screen = await open_certificates(app, pilot)
        await pilot.press(*"zz")
        assert screen.query_one("#cert-list", OptionList).option_count == 0
        assert "No certificate matches" in plain(screen.query_one("#cert-detail", Static))
        await pilot.press("escape")  # escape closes, even from the filter
        assert current(app) is app.dashboard

    with_report(test)


# -- the export dialog -------------------------------------------------------------------------


def test_a_screen_over_the_dashboard_hides_it_and_a_resize_meanwhile_reaches_it() -> None:
    """A screen opened over the dashboard is opaque: the dashboard is not counted as visible
    under it (Textual laid it out again each time a screen opened), and a terminal resized while
    it was covered still gives the dashboard its new size when it shows again."""
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dashboard = app.dashboard
        assert app._background_screens == []
        screen = await open_certificates(app, pilot)
        assert app.screen is screen and app._background_screens == []
        assert not dashboard.has_class("-wide")
        await pilot.resize_terminal(160, 45)
        await pilot.pause()
        assert screen.size == (160, 45)
        await pilot.press("escape")
        await pilot.pause()
        assert current(app) is dashboard and dashboard.size == (160, 45)
        assert dashboard.has_class("-wide")  # its own resize handler ran
        assert dashboard.findings_list.region.right <= 160
        assert dashboard.findings_list.region.bottom <= 45
        app.action_help()  # a dialog lets the dashboard show through: it is still drawn
        await pilot.pause()
        assert current(app) is not dashboard and app._background_screens == [dashboard]

    with_report(test)


def test_the_footer_is_made_again_only_when_its_keys_change() -> None:
    """A walkthrough shown again with the same keys keeps its footer's key widgets (Textual
    made them all again each time, the larger part of opening the screen); focus on a widget
    with keys of its own changes what the footer shows."""
    from textual.widgets._footer import FooterKey

    from mtls_doctor.tui.widgets.footer import KeyFooter

    def keys(screen: Screen[Any]) -> list[FooterKey]:
        return list(screen.query_one(KeyFooter).query(FooterKey))

    async def walk(app: MtlsDoctorApp, pilot: Pilot[int], finding_id: str) -> WalkthroughScreen:
        assert app.dashboard.findings_list.select_id(finding_id)
        await pilot.press("w")
        await pilot.pause(0.1)
        screen = current(app)
        assert isinstance(screen, WalkthroughScreen)
        return screen

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        screen = await walk(app, pilot, "TRUSTSTORE_MISSING_ISSUER")
        shown = keys(screen)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert await walk(app, pilot, "CLIENT_REJECTED") is screen
        again = keys(screen)
        assert [k.description for k in again] == [k.description for k in shown]
        assert all(a is b for a, b in zip(again, shown, strict=True))  # not made again
        screen.query_one("#commands", CommandList).focus()  # its own key: enter copies
        await pilot.pause(0.1)
        assert "Copy command" in [k.description for k in keys(screen)]
        screen.query_one("#steps", OptionList).focus()
        await pilot.pause(0.1)
        assert "Copy command" not in [k.description for k in keys(screen)]

    with_report(test)


async def open_export(app: MtlsDoctorApp, pilot: Pilot[int]) -> ExportScreen:
    app.action_export()
    await pilot.pause()
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, ExportScreen)
    return dialog


async def write(app: MtlsDoctorApp, pilot: Pilot[int], dialog: ExportScreen) -> None:
    """Press Write (enter in the path) and wait until the app's export worker has answered."""
    presses = dialog.presses
    dialog.query_one("#export-path", Input).focus()
    await pilot.press("enter")
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not isinstance(app.screen, ExportScreen) or (dialog.presses > presses
                                                        and dialog.pending is None):
            break
        await pilot.pause(0.05)
    await pilot.pause()


def test_export_cursor_starts_on_the_chosen_format() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        formats = dialog.query_one("#export-format", FormatChoice)
        assert dialog.fmt == "html" and formats.pressed_index == 3
        assert focused(app) is formats and formats.cursor_index == 3
        await pilot.press("enter")  # enter on the cursor keeps html
        assert dialog.fmt == "html" and formats.pressed_index == 3
        await pilot.press("left", "enter")
        assert dialog.fmt == "markdown"
        assert dialog.query_one("#export-path", Input).value.endswith(".md")

    with_report(test)


def test_export_write_error_keeps_the_dialog_open(tmp_path: Path) -> None:
    """A real unwritable place: a path under a regular file (the OS refuses it, root or not)."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file")

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        dialog.query_one("#export-path", Input).value = str(blocker / "report.html")
        await write(app, pilot, dialog)
        assert current(app) is dialog, "the dialog stays open"
        assert "cannot write" in dialog.message and "report.html" in dialog.message
        assert app.last_export is None and blocker.read_text() == "a file"
        dialog.query_one("#export-path", Input).value = str(tmp_path / "report.html")
        await write(app, pilot, dialog)  # another name: written, closed
        assert current(app) is app.dashboard and (tmp_path / "report.html").exists()

    with_report(test)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into a read-only directory")
def test_export_into_a_read_only_directory_keeps_the_dialog_open(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        dialog.query_one("#export-path", Input).value = str(locked / "report.html")
        await write(app, pilot, dialog)
        assert current(app) is dialog and "cannot write" in dialog.message

    try:
        with_report(test)
    finally:
        locked.chmod(0o700)


def test_export_asks_before_replacing_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "report.json"
    existing.write_text("an older report")

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        await pilot.click("#fmt-json")
        dialog.query_one("#export-path", Input).value = str(existing)
        await write(app, pilot, dialog)
        assert current(app) is dialog and "exists" in dialog.message
        assert str(dialog.query_one("#export-write", Button).label) == "Replace"
        assert existing.read_text() == "an older report"
        await write(app, pilot, dialog)  # Write again = Replace
        assert current(app) is app.dashboard and app.last_export == existing.resolve()

    with_report(test)
    assert existing.read_text().lstrip().startswith("{")


@pytest.mark.parametrize("key", ["escape", "q"])
def test_export_escape_and_q_cancel(tmp_path: Path, key: str) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        dialog.query_one("#export-path", Input).value = str(tmp_path / "r.html")
        dialog.query_one("#export-format", FormatChoice).focus()
        await pilot.press(key)
        assert current(app) is app.dashboard and app.last_export is None

    with_report(test)
    assert not (tmp_path / "r.html").exists()


def test_export_q_in_the_path_is_typed() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        dialog = await open_export(app, pilot)
        path = dialog.query_one("#export-path", Input)
        path.focus()
        path.value = ""
        await pilot.press(*"q.txt")
        assert current(app) is dialog and path.value == "q.txt"

    with_report(test)


# -- the walkthrough ------------------------------------------------------------------------------

#: what the report says about a client the server refused with unknown_ca
REFUSED = {"alert": "unknown_ca", "client_issuer_in_truststore": False, "client_self_signed": False,
           "host": "api.example.test", "port": 443, "bucket": "example-truststores",
           "key": "prod/truststore.pem", "version": "v1-fixed", "domain": "api.example.test",
           "region": "eu-west-1", "cert_file": "client.pem", "key_file": "client.key"}


def walkthrough(tree: str = "client-rejected", facts: Mapping[str, Any] = REFUSED,
                finding_id: str = "MTLS_CLIENT_CERT_REJECTED",
                commands: tuple[str, ...] = ("mtls-doctor verify-client --cert client.pem",)
                ) -> WalkthroughScreen:
    return WalkthroughScreen(load_tree(tree), facts, finding_id, commands=commands)


def steps_of(screen: WalkthroughScreen) -> list[tuple[str, str, bool]]:
    assert screen.result is not None
    return [(s.node, s.answer, s.detected) for s in screen.result.steps]


async def choose(pilot: Pilot[Any], screen: WalkthroughScreen, answer: str) -> None:
    box = screen.query_one("#answers", OptionList)
    assert shown(box)
    box.highlighted = prompts(box).index(answer)
    box.focus()
    await pilot.press("enter")
    await pilot.pause()


def test_any_detected_step_can_be_overridden() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert steps_of(screen) == [("alert", "unknown_ca", True),
                                    ("issuer-in-truststore", "no", True),
                                    ("self-signed", "no", True)]
        steps = screen.query_one("#steps", OptionList)
        assert steps.highlighted == 2  # the latest detected step by default
        steps.focus()
        await pilot.press("up", "up")  # move to the first step
        assert steps.highlighted == 0
        await pilot.press("o")
        assert screen.overriding == "alert"
        node = screen.walk_tree.nodes["alert"]
        assert isinstance(node, QuestionNode)
        answers = screen.query_one("#answers", OptionList)
        assert prompts(answers) == list(node.answers)
        assert answers.highlighted == list(node.answers).index("unknown_ca")  # the current one
        await choose(pilot, screen, "certificate_expired")
        assert screen.answers == {"alert": "certificate_expired"}
        assert steps_of(screen)[0] == ("alert", "certificate_expired", False)
        assert "overrides detected: unknown_ca" in prompts(steps)[0]
        # the middle one, through enter on the step
        await pilot.press("b")
        assert screen.answers == {} and steps_of(screen)[1] == ("issuer-in-truststore", "no", True)
        steps.focus()
        steps.highlighted = 1
        await pilot.press("enter")
        assert screen.overriding == "issuer-in-truststore"
        await choose(pilot, screen, "yes")
        assert screen.answers == {"issuer-in-truststore": "yes"}
        assert [s for s, _, _ in steps_of(screen)][:2] == ["alert", "issuer-in-truststore"]
        assert screen.result is not None and screen.result.leaf != "add-issuer"

    host(walkthrough(), test)


def test_an_override_clears_the_recheck_result() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        screen.recheck_done(Report("diagnose", NOW, (), (), {}))
        assert screen.recheck_state == "gone"
        assert "is gone" in plain(screen.query_one("#recheck", Static))
        await pilot.press("o")  # the latest detected step (self-signed)
        await pilot.press("o")  # o again: cancelled, nothing changed, the result stays
        assert screen.recheck_state == "gone" and shown(screen.query_one("#recheck", Static))
        await pilot.press("o")
        await choose(pilot, screen, "yes")
        assert screen.result is not None and screen.result.leaf == "add-self-signed"
        assert attr(screen, "recheck_state") is None
        assert not shown(screen.query_one("#recheck", Static))
        screen.recheck_done(Report("diagnose", NOW, (), (), {}))
        await pilot.press("b")  # taking an answer back changes the path too
        assert attr(screen, "recheck_state") is None

    host(walkthrough(), test)


def test_y_copies_the_findings_commands_before_the_fix_is_decided() -> None:
    facts = {k: v for k, v in REFUSED.items() if k != "client_issuer_in_truststore"}
    facts["truststore_stale"] = None

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.pending is not None
        assert screen.result.pending.node == "issuer-in-truststore"
        await pilot.press("y")
        assert app.copied == ["mtls-doctor verify-client --cert client.pem\n"]
        note = last_note(app)
        assert "MTLS_CLIENT_CERT_REJECTED's own fix commands" in note and "1 command" in note
        table = screen.query_one("#commands", CommandList)
        assert table.commands == ("mtls-doctor verify-client --cert client.pem",)

    host(walkthrough(facts=facts), test)


def test_heading_to_names_the_fix_every_remaining_path_leads_to() -> None:
    """The engine's `heading_to` (pure: no textual): the leaf all ways on from a node reach,
    following given answers first, then what the facts decide, else every answer."""
    tree = Tree("t", "A tree", "For the test", "q1", {
        "q1": QuestionNode("q1", "First?", {"yes": "q2", "no": "q3"}, fact="first"),
        "q2": QuestionNode("q2", "Second?", {"yes": "a", "no": "a"}),
        "q3": QuestionNode("q3", "Third?", {"yes": "a", "no": "b"}, fact="third"),
        "a": LeafNode("a", FixTemplate("do a", (), ())),
        "b": LeafNode("b", FixTemplate("do b", (), ())),
    })
    assert heading_to(tree, {}, {}, "q1") is None  # a or b: not decided
    assert heading_to(tree, {"first": True}, {}, "q1") == tree.nodes["a"]  # q2 leads to a only
    assert heading_to(tree, {"first": False, "third": "no"}, {}, "q1") == tree.nodes["b"]
    # an answer given wins over the facts
    assert heading_to(tree, {"first": False}, {"q1": "yes"}, "q1") == tree.nodes["a"]
    assert heading_to(tree, {"first": "maybe"}, {}, "q1") is None  # matches no answer: both
    assert heading_to(tree, {}, {}, "a") == tree.nodes["a"]  # a leaf heads to itself
    assert heading_to(tree, {}, {}, "nowhere") is None
    # a real tree: a finished walk heads to its leaf; a stopped one, from its question, to
    # where it heads from the start
    real = load_tree("client-rejected")
    for facts in (REFUSED, {"alert": "unknown_ca"}):
        result = walk(real, facts)
        leaf = heading_to(real, facts, {}, real.start)
        if result.finished:
            assert leaf is not None and leaf.id == result.leaf
        else:
            assert result.pending is not None
            assert heading_to(real, facts, {}, result.pending.node) == leaf


def test_y_copies_the_fix_the_walk_heads_to_once_it_is_decided() -> None:
    """A question still open whose every answer leads to the same fix: `y` copies that fix."""
    tree = Tree("t", "A tree", "For the test", "q1", {
        "q1": QuestionNode("q1", "First?", {"yes": "q2", "no": "q2"}),
        "q2": QuestionNode("q2", "Second?", {"yes": "a", "no": "b"}, fact="second"),
        "a": LeafNode("a", FixTemplate("do a", (), ("echo a {host}", "echo done"))),
        "b": LeafNode("b", FixTemplate("do b", (), ("echo b",))),
    })
    assert heading_to(tree, {"second": True}, {}, "q1") == tree.nodes["a"]
    assert heading_to(tree, {}, {}, "q1") is None
    assert heading_to(tree, {}, {"q2": "no"}, "q1") == tree.nodes["b"]

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        await pilot.press("y")
        assert app.copied == ["echo a h.example\necho done\n"]
        assert "the fix this walk leads to (a)" in last_note(app)

    host(WalkthroughScreen(tree, {"second": True, "host": "h.example"}, "X", ("echo x",)), test)


def test_y_at_the_end_copies_the_fix_and_enter_copies_one_command() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.fix is not None
        commands = screen.result.fix.commands
        await pilot.press("y")
        assert app.copied == ["\n".join(commands) + "\n"]
        assert "the fix's commands (add-issuer)" in last_note(app)
        table = screen.query_one("#commands", CommandList)
        assert focused(app) is table and table.commands == commands
        await pilot.press("down", "enter")
        assert app.copied[-1] == commands[1]
        recheck = screen.query_one("#recheck-command", CommandList)
        assert recheck.commands == (screen.result.recheck_command,)
        recheck.focus()
        await pilot.press("enter")
        assert app.copied[-1] == screen.result.recheck_command

    host(walkthrough(), test)


def test_commands_and_recheck_are_one_line_each_never_cut() -> None:
    """At 80 columns a long command stays one row that scrolls sideways (the terminal copies
    it whole); the re-check command too."""
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.fix is not None
        table = screen.query_one("#commands", CommandList)
        longest = max(screen.result.fix.commands, key=len)
        assert len(longest) > 80
        assert table.row_count == len(screen.result.fix.commands)
        assert all(table.rows[key].height == 1 for key in table.rows)
        assert table.virtual_size.width > table.scrollable_content_region.width
        assert str(table.get_row_at(list(screen.result.fix.commands).index(longest))[0]) \
            .endswith(longest)
        recheck = screen.query_one("#recheck-command", CommandList)
        assert recheck.row_count == 1
        assert str(recheck.get_row_at(0)[0]).endswith(screen.result.recheck_command or "?")
        table.focus()
        await pilot.press("right", "right")  # scrolls sideways
        assert table.scroll_x > 0

    host(walkthrough(), test)


def test_report_updated_rewalks_with_the_same_answers() -> None:
    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        await pilot.press("o")
        await choose(pilot, screen, "yes")  # self-signed: yes (add-self-signed)
        assert screen.answers == {"self-signed": "yes"}
        screen.recheck_done(None, "boom")
        screen.report_updated({**REFUSED, "port": 8443, "bucket": "new-bucket"},
                              commands=("echo new",))
        await pilot.pause()
        assert screen.answers == {"self-signed": "yes"}
        assert screen.result is not None and screen.result.leaf == "add-self-signed"
        table = screen.query_one("#commands", CommandList)
        assert any("new-bucket" in c for c in table.commands)
        assert screen.finding_commands == ("echo new",)
        assert screen.recheck_state == "failed: boom"  # a re-check's own result stays

    host(walkthrough(), test)


def test_walkthrough_back_restart_and_close() -> None:
    facts = {k: v for k, v in REFUSED.items() if k not in ("alert", "client_issuer_in_truststore")}

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.pending is not None
        assert screen.result.pending.node == "alert" and not screen.result.steps
        await pilot.press("o")  # nothing answered yet: a warning
        assert screen.overriding is None
        await choose(pilot, screen, "unknown_ca")
        await choose(pilot, screen, "no")
        assert screen.result.finished and screen.result.leaf == "add-issuer"
        text = plain(screen.query_one("#walk", Static))
        assert "Fix:" in text and "s3://example-truststores/prod/truststore.pem" in text
        await pilot.press("b")
        assert screen.result.pending is not None
        assert screen.result.pending.node == "issuer-in-truststore"
        await pilot.press("ctrl+r")
        assert screen.answers == {} and screen.result.pending.node == "alert"
        await choose(pilot, screen, "unknown_ca")
        await pilot.press("o")  # changing a step, then restart: both forgotten
        assert attr(screen, "overriding") == "alert"
        await pilot.press("ctrl+r")
        assert attr(screen, "overriding") is None and screen.answers == {}
        await pilot.press("q")
        assert app.results == [None] and current(app) is not screen

    host(walkthrough(facts=facts), test)


def test_walkthrough_shows_hostile_facts_as_text() -> None:
    """Outside text (a bucket, a host) reaches the screen escaped and as text, never markup:
    in the fix, its commands, the steps and the title of the answers box."""
    hostile = "[b]evil[/b]\x1b]52;c;ZWNobw==\x07"
    seen: list[str] = []

    async def test(app: Host, pilot: Pilot[None]) -> None:
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.steps
        steps = screen.query_one("#steps", OptionList)
        steps.highlighted = 0
        await pilot.press("o")  # the answers box's title quotes the first question
        await pilot.pause()
        seen.append("\n".join(strip.text for strip in screen._compositor.render_strips()))

    host(walkthrough(facts={**REFUSED, "bucket": hostile}), test, size=(250, 50))
    host(walkthrough("wrong-certificate", {"host": f"{hostile}.example",
                                           "served_cert_covers_host": True},
                     "SERVER_HOSTNAME_MISMATCH"), test, size=(250, 50))
    for text in seen:
        assert "[b]evil[/b]" in text and "\\x1b]52" in text and "\x1b" not in text
    title = next(line for line in seen[1].splitlines() if "Change: " in line)
    assert "[b]evil[/b]" in title  # the box's title is text, not markup


def test_the_app_opens_a_walkthrough_that_answers_itself_from_the_report(report: Report) -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        app.open_walkthrough(finding(report, "MTLS_CLIENT_CERT_REJECTED"))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.finding_id == "MTLS_CLIENT_CERT_REJECTED"
        result = screen.result
        assert result is not None and result.finished and result.leaf == "add-issuer"
        assert [s.node for s in result.steps] == ["alert", "issuer-in-truststore", "self-signed"]
        assert all(s.detected for s in result.steps)
        assert "s3://example-truststores/prod/truststore.pem" in plain(screen.query_one("#walk",
                                                                                      Static))
        commands = screen.query_one("#commands", CommandList).commands
        assert any("v1-fixed" in c for c in commands)  # placeholders filled from the report
        await pilot.press("q")
        assert current(app) is app.dashboard

    with_report(test, report=report)


# -- the walkthrough's re-check against the demo lab (a real second run) --------------------------


def demo(test: Callable[[MtlsDoctorApp, Pilot[int]], Awaitable[None]]) -> None:
    async def main() -> None:
        app = MtlsDoctorApp(demo=True)
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(400):
                if app.report is not None or app.error is not None:
                    break
                await pilot.pause(0.05)
            await pilot.pause()
            assert app.report is not None, app.error
            await test(app, pilot)
    asyncio.run(main())


def test_recheck_at_a_leaf_says_still_there_and_before_it_warns() -> None:
    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.report is not None
        app.open_walkthrough(finding(app.report, "CLIENT_REJECTED"))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        assert screen.result is not None and screen.result.finished
        runs = app.run_id
        await pilot.press("r")
        assert app.run_id == runs + 1  # a second run started (it may already have finished)
        for _ in range(400):  # the first run's report is still set: wait for the re-check itself
            if screen.recheck_state != "running":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert current(app) is screen  # the walkthrough stays on top
        assert screen.recheck_state == "still there"
        assert "CLIENT_REJECTED is still there" in plain(screen.query_one("#recheck", Static))
        await pilot.press("escape")
        app.open_walkthrough(finding(app.report, "SERVER_FQDN_INSTEAD_OF_WILDCARD"))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        if screen.result is not None and not screen.result.finished:
            runs = app.run_id
            screen.action_recheck()  # before the fix: a warning, nothing runs
            assert screen.recheck_state is None and app.run_id == runs

    demo(test)


def test_recheck_says_gone_when_the_finding_is_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from mtls_doctor.diagnose import demo as demo_command

    real = demo_command.run_demo
    calls: list[int] = []

    def fixed_after_first(**kwargs: Any) -> Any:
        report = real(**kwargs)
        calls.append(1)
        if len(calls) == 1:
            return report
        kept = tuple(f for f in report.findings if f.id != "CLIENT_REJECTED")
        return dataclasses.replace(report, findings=kept)

    monkeypatch.setattr(demo_command, "run_demo", fixed_after_first)

    async def test(app: MtlsDoctorApp, pilot: Pilot[int]) -> None:
        assert app.report is not None
        app.open_walkthrough(finding(app.report, "CLIENT_REJECTED"))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WalkthroughScreen)
        await pilot.press("r")  # on the walkthrough, r re-checks
        assert len(calls) >= 1 and screen.recheck_state is not None
        for _ in range(400):  # the first run's report is still set: wait for the re-check itself
            if screen.recheck_state != "running":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert len(calls) == 2 and screen.recheck_state == "gone"
        assert "CLIENT_REJECTED is gone" in plain(screen.query_one("#recheck", Static))
        assert current(app) is screen

    demo(test)
