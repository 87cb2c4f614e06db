"""Plain data shared by every part of mtls-doctor: certificates, findings, verdicts, reports.

Everything here is a frozen dataclass or a str-enum; nothing here does I/O.
"""
