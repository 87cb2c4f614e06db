"""The TUI's screens, one module each: dashboard, finding, walkthrough, certificates, start form,
export dialog, help, the question before quitting mid-run, the domain's traffic and the fix
plans (those two are imported from their modules when first opened, not here: they cost the
first paint). Screens only draw what the app hands them and turn keys into actions; the
diagnosis and the AWS calls run in the app's threads."""

from __future__ import annotations

from mtls_doctor.tui.screens.certificates import CertificatesScreen
from mtls_doctor.tui.screens.dashboard import DashboardScreen
from mtls_doctor.tui.screens.export import (
    EXTENSIONS,
    FORMATS,
    ExportChoice,
    ExportScreen,
    default_export_path,
)
from mtls_doctor.tui.screens.finding import FindingScreen
from mtls_doctor.tui.screens.help import HELP_KEYS, HelpScreen
from mtls_doctor.tui.screens.quit import QuitScreen
from mtls_doctor.tui.screens.start import StartScreen
from mtls_doctor.tui.screens.walkthrough import WalkthroughScreen

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "HELP_KEYS",
    "CertificatesScreen",
    "DashboardScreen",
    "ExportChoice",
    "ExportScreen",
    "FindingScreen",
    "HelpScreen",
    "QuitScreen",
    "StartScreen",
    "WalkthroughScreen",
    "default_export_path",
]
