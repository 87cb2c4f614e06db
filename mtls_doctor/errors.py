"""Errors that stop a command before it can run (exit code 2)."""

from __future__ import annotations


class InputError(Exception):
    """The command cannot run: bad arguments, or an input that is missing or unreadable.

    The message is shown to the user as one line on stderr, so it must say what is wrong and
    what to do, and must never contain secret material (key bytes, passwords).
    """
