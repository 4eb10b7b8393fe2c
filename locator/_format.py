"""Text output for the command line: aligned tables (CJK-aware), JSON, CSV for Excel."""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["display_width", "render_table", "to_json", "write_csv", "write_text"]


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    # Control characters from data would move the cursor or break the table.
    return "".join(ch if ch.isprintable() else " " for ch in str(value))


def render_table(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """Render rows as an aligned plain-text table with a header line."""
    columns = list(columns) if columns is not None else list(frame.columns)
    rows = [[_cell(v) for v in row] for row in frame[columns].itertuples(index=False)]
    widths = [
        max([display_width(c), *(display_width(r[i]) for r in rows)]) for i, c in enumerate(columns)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def to_json(value: Any) -> str:
    """Serialize to JSON with Chinese kept readable and NaN/inf written as null."""
    return json.dumps(_clean(value), ensure_ascii=False, indent=2, default=_default)


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write CSV as UTF-8 with BOM, so Excel shows the Chinese names."""
    path = Path(path)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_text(text: str, path: Path | str) -> Path:
    """Write UTF-8 text, ending with a newline."""
    path = Path(path)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path
