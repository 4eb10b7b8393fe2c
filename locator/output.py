"""What ``locator`` writes: aligned tables (CJK-aware), JSON-safe values, CSV for Excel.

One writer each: `jsonable` / `to_json` for JSON, `csv_bytes` / `write_csv` for CSV (UTF-8
with BOM, every text cell inert), used by the command line, the library and the app alike.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

__all__ = [
    "EXCEL_CELL_LIMIT",
    "SAMPLE_COLUMN",
    "SAMPLE_NOTICE",
    "csv_bytes",
    "display_width",
    "excel_safe",
    "jsonable",
    "mark_sample",
    "mark_sample_json",
    "render_table",
    "to_json",
    "write_csv",
    "write_text",
]

#: Excel keeps at most this many characters in a cell; a longer text is cut, with a mark.
EXCEL_CELL_LIMIT = 32_767
_CUT_MARK = "…[cut]"
# OWASP's CSV injection list: a text starting with one of these is read by Excel (and
# LibreOffice) as a formula, or as the start of one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: What every output made from the generated sample registry says (both languages: a file
#: travels further than the command's --lang).
SAMPLE_NOTICE = (
    "样例数据：网点名录是生成的样例，不是真实名录 / sample data: the outlet registry is the "
    "generated sample, not the real registry"
)
#: The column a table made from the sample carries, true on every row.
SAMPLE_COLUMN = "sample_data"


_Frame = TypeVar("_Frame", bound=pd.DataFrame)


def mark_sample(frame: _Frame, is_sample: bool) -> _Frame:
    """The table with a first column ``sample_data`` (true on every row) when it is from the sample.

    A column, not a comment line, so Excel, pandas and ``csv`` read the file as before.
    A table not from the sample is returned as it is.

    Examples
    --------
    >>> mark_sample(pd.DataFrame({"n": [1, 2]}), True).to_dict("list")
    {'sample_data': [True, True], 'n': [1, 2]}
    """
    if not is_sample:
        return frame
    marked = frame.copy()
    if SAMPLE_COLUMN in marked.columns:
        marked = marked.drop(columns=SAMPLE_COLUMN)
    marked.insert(0, SAMPLE_COLUMN, True)
    return cast("_Frame", marked)


def mark_sample_json(document: dict[str, Any], is_sample: bool) -> dict[str, Any]:
    """The JSON document with top-level ``"sample": true`` and ``"notice"`` first when from the sample.

    Examples
    --------
    >>> list(mark_sample_json({"province": {}}, True))
    ['sample', 'notice', 'province']
    >>> mark_sample_json({"province": {}}, False)
    {'province': {}}
    """
    if not is_sample:
        return document
    return {"sample": True, "notice": SAMPLE_NOTICE, **document}


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


def jsonable(value: Any) -> Any:
    """A value JSON can hold: NumPy scalars and arrays as Python ones, NaN, inf and NA as None.

    Dicts, lists and tuples are converted item by item, sets become sorted lists; any other
    value is returned as it is. Every JSON ``locator`` writes (`to_json`, the registry
    GeoJSON, the app's downloads) goes through here.

    Examples
    --------
    >>> jsonable({"n": np.int64(3), "x": [np.float32(0.5), float("nan")], "s": {2, 1}})
    {'n': 3, 'x': [0.5, None], 's': [1, 2]}
    >>> jsonable(pd.NA) is None and jsonable(float("inf")) is None
    True
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def to_json(value: Any) -> str:
    """Serialize to JSON with Chinese kept readable and NaN/inf written as null.

    Values JSON cannot hold otherwise (a date, a path) are written as their text.
    """
    return json.dumps(jsonable(value), ensure_ascii=False, indent=2, default=str)


def _inert_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    if len(value) > EXCEL_CELL_LIMIT:
        value = value[: EXCEL_CELL_LIMIT - len(_CUT_MARK)] + _CUT_MARK
    return value


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell can run as a spreadsheet formula.

    A text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``, so Excel shows it as text; numbers stay numbers; lists are joined with
    ``,`` first; a text longer than Excel's 32,767 characters is cut and ends in ``…[cut]``.
    Column names are treated as the cells they become.

    Examples
    --------
    >>> excel_safe(pd.DataFrame({"name": ["=1+1", "太原"], "n": [-1, 2]})).to_dict("list")
    {'name': ["'=1+1", '太原'], 'n': [-1, 2]}
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(
                lambda v: _inert_text(",".join(map(str, v)) if isinstance(v, list | tuple) else v)
            )
    out.columns = [_inert_text(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for Excel as bytes: UTF-8 with BOM, every text cell made inert (`excel_safe`)."""
    return excel_safe(frame).to_csv(index=False).encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write CSV for Excel: UTF-8 with BOM (Chinese shows), every text cell inert (`excel_safe`).

    Every CSV ``locator`` writes goes through here or `csv_bytes`.
    """
    path = Path(path)
    path.write_bytes(csv_bytes(frame))
    return path


def write_text(text: str, path: Path | str) -> Path:
    """Write UTF-8 text, ending with a newline."""
    path = Path(path)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path
