"""What the ``locator`` subcommands share: one-line errors, warnings, output, exit codes."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NoReturn

from locator.output import write_text

__all__ = [
    "EXIT_NOTHING",
    "EXIT_OK",
    "EXIT_USAGE",
    "FLAGS",
    "Parser",
    "check_output",
    "cli_message",
    "emit",
    "warn",
]

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2

#: The library names parameters (``lat``, ``radius_km``); the command line shows its flags.
FLAGS: dict[str, str] = {
    "lat": "--lat",
    "lon": "--lon",
    "k": "-k",
    "task": "--task",
    "bank": "--bank",
    "radius_km": "--radius-km",
    "radii_km": "--radii-km",
    "detour_factor": "--detour-factor",
    "cell_area_km2": "--cell-area-km2",
    "weight_65plus": "--weight-65plus",
    "new": "--new",
    "close": "--close",
    "top": "--top",
    "candidates": "--candidates",
    "output": "-o",
}
# A parameter as the library writes it: ``name=value`` or ``name 'value'``, not inside a
# word, a path or a flag (``lat`` in ``latitude``, ``k`` in ``bank=``, ``--lat``).
_PARAMETER = re.compile(
    r"(?<![\w./\\-])(" + "|".join(sorted(FLAGS, key=len, reverse=True)) + r")(=|(?= '))"
)


def cli_message(text: str) -> str:
    """A library message as the command line says it: flags for parameters, on one line.

    Examples
    --------
    >>> cli_message("lat '1x' is not a number: give decimal degrees, e.g. lat=37.87, lon=112.55")
    "--lat '1x' is not a number: give decimal degrees, e.g. --lat 37.87, --lon 112.55"
    >>> cli_message("k=0 must be a whole number of at least 1")
    '-k 0 must be a whole number of at least 1'
    """
    flat = " ".join(text.split("\n"))
    return _PARAMETER.sub(lambda m: FLAGS[m.group(1)] + " " * (m.group(2) == "="), flat)


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (and exits 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def warn(message: str) -> None:
    """One warning line on stderr."""
    print(f"locator: warning: {' '.join(message.splitlines())}", file=sys.stderr)


def check_output(output: str | Path | None) -> None:
    """Refuse an ``-o`` file that cannot be written, before any work is done."""
    if output is not None and str(output) != "":
        from locator._validate import check_output_path

        check_output_path(output, "output")


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output:
        write_text(text, output)
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)
