"""What the ``locator`` subcommands share: one-line errors, warnings, output, exit codes."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from locator.output import csv_bytes, write_csv, write_text

__all__ = [
    "EXIT_NOTHING",
    "EXIT_OK",
    "EXIT_USAGE",
    "FLAGS",
    "LANG_HELP",
    "SAMPLE_WARNING",
    "Parser",
    "check_output",
    "cli_message",
    "emit",
    "emit_csv",
    "output_format",
    "warn",
    "warn_if_sample",
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
    "network": "--network",
    "mode": "--mode",
    "cell_area_km2": "--cell-area-km2",
    "weight_65plus": "--weight-65plus",
    "time_limit_s": "--time-limit",
    "new": "--new",
    "close": "--close",
    "top": "--top",
    "candidates": "--candidates",
    "output": "-o",
    "format": "--format",
    "crs": "--crs",
    "sheet": "--sheet",
    "columns": "--map",
    "at": "--at",
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


#: The help of every ``--lang``.
LANG_HELP = "language of labels and messages: zh (中文, default) or en (English)"

SAMPLE_WARNING = (
    "the outlet registry is the generated sample, not the real one: load yours with --outlets"
)


def warn_if_sample(outlets: Any) -> None:
    """Say so on stderr when a command's answer comes from the shipped generated sample."""
    from locator.datasets import is_sample

    if is_sample(outlets):
        warn(SAMPLE_WARNING)


def check_output(output: str | Path | None) -> None:
    """Refuse an ``-o`` file that cannot be written, before any work is done."""
    if output is not None and str(output) != "":
        from locator._validate import check_output_path

        check_output_path(output, "output")


#: What each output suffix means, for every command with ``-o``.
SUFFIX_FORMATS: dict[str, str] = {
    ".txt": "table",
    ".csv": "csv",
    ".json": "json",
    ".geojson": "geojson",
    ".xlsx": "xlsx",
    ".html": "html",
}


def output_format(
    requested: str | None, output: str | Path | None, allowed: tuple[str, ...]
) -> str:
    """The one rule for what a command writes: ``--format`` if given, else the ``-o`` suffix.

    With neither, the first of ``allowed`` (the screen's format). A suffix the command cannot
    write, or one that contradicts ``--format``, is a `ValidationError` naming both.

    Examples
    --------
    >>> output_format(None, "coverage.csv", ("table", "json", "csv"))
    'csv'
    >>> output_format(None, None, ("table", "json", "csv"))
    'table'
    >>> output_format("json", "out.json", ("table", "json"))
    'json'
    """
    from locator._errors import ValidationError

    suffix = Path(output).suffix.lower() if output else ""
    by_suffix = SUFFIX_FORMATS.get(suffix)
    writable = sorted(s for s, f in SUFFIX_FORMATS.items() if f in allowed)
    if output and by_suffix not in allowed:
        msg = (
            f"output {str(output)!r}: cannot write {suffix or 'a file without a suffix'} here; "
            f"end the name in {', '.join(writable)}"
        )
        raise ValidationError(msg)
    if requested is not None:
        if requested not in allowed:
            msg = f"format {requested!r} is not one of {', '.join(allowed)}"
            raise ValidationError(msg)
        if by_suffix is not None and by_suffix != requested and output:
            msg = (
                f"output {str(output)!r} ends in {suffix} but format={requested!r}; "
                "drop --format or change the suffix"
            )
            raise ValidationError(msg)
        return requested
    return by_suffix if by_suffix is not None else allowed[0]


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output:
        write_text(text, output)
        print(f"wrote {output}", file=sys.stderr)
    else:
        print(text)


def emit_csv(frame: Any, output: str | Path | None) -> None:
    """Print a table as CSV, or write it to ``output`` (CSV for Excel) and say so on stderr."""
    if output:
        write_csv(frame, output)
        print(f"wrote {output}", file=sys.stderr)
    else:  # the same cells as the file; a terminal or a pipe needs no BOM
        sys.stdout.write(csv_bytes(frame).decode("utf-8-sig"))
