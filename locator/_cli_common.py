"""What the ``locator`` subcommands share: one-line errors, warnings, output, exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from locator._format import write_text

__all__ = ["EXIT_NOTHING", "EXIT_OK", "EXIT_USAGE", "Parser", "emit", "warn"]

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exits 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def warn(message: str) -> None:
    """One warning line on stderr."""
    print(f"locator: warning: {message}", file=sys.stderr)


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output:
        write_text(text, output)
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)
