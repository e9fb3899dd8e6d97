"""The one error type users see, and the exit codes of the command line."""

from __future__ import annotations

from pathlib import Path

# Exit codes, by class of failure.
EXIT_OK = 0
EXIT_INTERNAL = 1  # a bug in Octavo: a log is written
EXIT_USAGE = 2  # bad command line (argparse uses 2 too)
EXIT_MANUSCRIPT = 3  # the manuscript is wrong: the message says where
EXIT_CHECKS = 4  # the build ran, but checks found errors (or warnings in --release)
EXIT_LIMIT = 5  # a render went over its time or memory budget
EXIT_INTERRUPTED = 130


class OctavoError(Exception):
    """A problem the user can fix: what went wrong, where (file:line), and a hint."""

    exit_code = EXIT_MANUSCRIPT

    def __init__(self, message: str, path: str | Path | None = None,
                 line: int | None = None, hint: str | None = None,
                 exit_code: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code  # the finding code (docs/checks.md) when one applies
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def one_line(self) -> str:
        """The message as a single line: `file:line: message (hint: ...)`."""
        message = f"{self.code} {self.message}" if self.code else self.message
        text = f"{self.where}: {message}" if self.where else message
        if self.hint:
            text += f" (hint: {self.hint})"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.one_line()


class UsageError(OctavoError):
    exit_code = EXIT_USAGE


class LimitError(OctavoError):
    exit_code = EXIT_LIMIT
