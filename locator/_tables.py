"""Read a registry file into rows of text: CSV in any common Chinese encoding, .xlsx, GeoJSON.

This is the byte-level half of :mod:`locator.importer`: it decides the format and the
text encoding, and returns every non-blank row with the row number a spreadsheet user
sees (the first line of the file is row 1). What the columns mean is decided elsewhere.

The encoding of a CSV is detected, never guessed silently: a byte-order mark wins; then
UTF-8 and GB18030 (the superset of GBK and GB2312, what Chinese Excel and WPS write) are
tried strictly; when both decode, the one whose Chinese characters are the common
simplified ones (GB2312) wins, and charset-normalizer breaks a tie. Anything else is
decoded only with a file-level note saying which encoding was assumed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from locator._errors import DataFileError

__all__ = ["Table", "cell_text", "decode_text", "read_source", "read_table"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls (and .doc)
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030", "cp936", "hz", "hz_gb_2312"})
_DELIMITERS = (",", "\t", ";", "|")
_SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
}


@dataclass
class Table:
    """The rows of one registry file, as text.

    ``rows`` are ``(row number, cells)`` pairs for the non-blank rows. For CSV and Excel the
    header row is among them (the importer finds it); for GeoJSON ``header`` is the union of
    the property names, each row is one feature, and ``points`` holds its Point geometry.
    """

    name: str
    format: str
    rows: list[tuple[int, list[str]]]
    header: list[str] | None = None
    points: dict[int, tuple[float, float] | str] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None


def read_source(
    source: str | Path | bytes | bytearray | IO[bytes] | IO[str], name: str | None
) -> tuple[bytes, str]:
    """Return the bytes of ``source`` and the name to use for it in messages."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), name or "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        label = name or str(source)
        try:
            return path.read_bytes(), label
        except FileNotFoundError:
            msg = f"{label}: no such file; give the path of a CSV, .xlsx or GeoJSON registry"
            raise DataFileError(msg) from None
        except IsADirectoryError:
            msg = f"{label}: is a folder; give the path of a CSV, .xlsx or GeoJSON registry file"
            raise DataFileError(msg) from None
    data = source.read()
    label = name or str(getattr(source, "name", "") or "upload")
    return (data.encode("utf-8") if isinstance(data, str) else bytes(data)), label


def _gb2312_share(text: str) -> float:
    """Share of the non-ASCII characters that are common Chinese: GB2312 ideographs or punctuation.

    The wrong decoding of Chinese text gives rare ideographs, Greek, kana or box drawing.
    """
    wide = Counter(ch for ch in text if ord(ch) > 127)
    if not wide:
        return 1.0
    common = 0
    for ch, count in wide.items():
        code = ord(ch)
        if not (0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF):
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += count
    return common / sum(wide.values())


def _normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return None if best is None else str(best.encoding).lower()


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode a text file; return ``(text, encoding, notes)``; notes say what was assumed."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            text = _try(data, encoding)
            if text is None:
                msg = f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding}; save it again as UTF-8 CSV"
                raise DataFileError(msg)
            return text, encoding, []
    utf8, gb = _try(data, "utf-8"), _try(data, "gb18030")
    if utf8 is not None and (gb is None or utf8.isascii()):
        return utf8, "utf-8", []
    if utf8 is not None and gb is not None:
        share_utf8, share_gb = _gb2312_share(utf8), _gb2312_share(gb)
        if share_gb > share_utf8:
            return gb, "gb18030", []
        if share_utf8 > share_gb:
            return utf8, "utf-8", []
        guess = _normalizer_guess(data)
        return (gb, "gb18030", []) if guess in _GB_FAMILY else (utf8, "utf-8", [])
    if gb is not None and _gb2312_share(gb) >= 0.9:
        return gb, "gb18030", []
    guess = _normalizer_guess(data)
    if gb is not None and (guess is None or guess in _GB_FAMILY):
        note = f"{name}: read as GBK/GB18030, but some characters are unusual; check the names, or save the file as UTF-8 CSV"
        return gb, "gb18030", [note]
    if guess is not None:
        text = _try(data, guess)
        if text is not None:
            note = f"{name}: the text encoding looks like {guess} (neither UTF-8 nor GBK); check the names, or save the file as UTF-8 CSV"
            return text, guess, [note]
    msg = f"{name}: cannot tell the text encoding (not UTF-8, not GBK); save the file as UTF-8 CSV"
    raise DataFileError(msg)


def cell_text(value: Any) -> str:
    """A cell value as the text a user would see (integers without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _format_of(data: bytes, name: str) -> str:
    if data.startswith(_OLE_MAGIC):
        msg = f"{name}: an old binary Excel (.xls) file; open it in Excel or WPS and save it as .xlsx or CSV"
        raise DataFileError(msg)
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    fmt = _SUFFIXES.get(Path(name).suffix.lower())
    if fmt == "xlsx":
        msg = f"{name}: not a readable .xlsx workbook (not a zip file); save it again from Excel or WPS"
        raise DataFileError(msg)
    if fmt is None:
        head = data.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1]
        fmt = "geojson" if head in (b"{", b"[") else "csv"
    return fmt


def _read_csv(data: bytes, name: str) -> Table:
    text, encoding, notes = decode_text(data, name)
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    delimiter = max(_DELIMITERS, key=lambda d: sum(line.count(d) for line in lines))
    if not any(delimiter in line for line in lines):
        delimiter = ","
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            texts = [c.strip() for c in cells]
            if any(texts):
                rows.append((number, texts))
    except csv.Error as error:
        msg = f"{name}: not a readable CSV file ({error}); save it again as CSV"
        raise DataFileError(msg) from None
    return Table(name=name, format="csv", rows=rows, notes=notes, encoding=encoding)


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; they do not matter here.
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        msg = f"{name}: not a readable .xlsx workbook ({error}); save it again from Excel or WPS"
        raise DataFileError(msg) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            msg = f"{name}: no sheet named {sheet!r}; the sheets are {', '.join(map(repr, book.sheetnames))}"
            raise DataFileError(msg)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                texts = [cell_text(v) for v in values]
                if any(texts):
                    rows.append((number, texts))
        props = book.properties
        hints = [
            str(v)
            for v in (props.title, props.subject, props.description, props.keywords, ws.title)
            if v
        ]
        if not rows and sheet is None and len(book.sheetnames) > 1:
            msg = f"{name}: the first sheet {ws.title!r} is empty; pick another with --sheet (sheets: {', '.join(map(repr, book.sheetnames))})"
            raise DataFileError(msg)
    finally:
        book.close()
    return Table(name=name, format="xlsx", rows=rows, hints=hints)


def _read_geojson(data: bytes, name: str) -> Table:
    text, encoding, notes = decode_text(data, name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"{name}: not a GeoJSON file ({error}); give a FeatureCollection of points"
        raise DataFileError(msg) from None
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        msg = f"{name}: not a GeoJSON FeatureCollection; give one with a point per outlet"
        raise DataFileError(msg)
    header: list[str] = []
    seen: set[str] = set()
    features = [f if isinstance(f, dict) else {} for f in document["features"]]
    if not features:
        msg = f"{name}: the FeatureCollection has no features; give one point per outlet"
        raise DataFileError(msg)
    for feature in features:
        for key in feature.get("properties") or {}:
            if str(key) not in seen:
                seen.add(str(key))
                header.append(str(key))
    rows: list[tuple[int, list[str]]] = []
    points: dict[int, tuple[float, float] | str] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        rows.append((number, [cell_text(properties.get(key)) for key in header]))
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Point":
            coordinates: Any = geometry.get("coordinates")
            try:
                points[number] = (float(coordinates[0]), float(coordinates[1]))
            except (TypeError, ValueError, IndexError):
                points[number] = f"bad Point coordinates {coordinates!r}"
        elif geometry:
            points[number] = f"geometry is a {geometry.get('type')}, not a Point"
    hints = [json.dumps({k: v for k, v in document.items() if k != "features"}, ensure_ascii=False)]
    return Table(name=name, format="geojson", rows=rows, header=header, points=points,
                 hints=hints, notes=notes, encoding=encoding)  # fmt: skip


def read_table(data: bytes, name: str, *, sheet: str | None = None) -> Table:
    """Read CSV, .xlsx or GeoJSON bytes (format by the name's extension, else by content).

    Raises
    ------
    DataFileError
        When the file is empty or cannot be read; the message names the file and the fix.
    """
    if not data.strip(codecs.BOM_UTF8 + b" \t\r\n\x00"):
        msg = f"{name}: the file is empty; export the registry again with a header row and one row per outlet"
        raise DataFileError(msg)
    fmt = _format_of(data, name)
    if fmt == "xlsx":
        table = _read_xlsx(data, name, sheet)
    elif fmt == "geojson":
        table = _read_geojson(data, name)
    else:
        table = _read_csv(data, name)
    if table.format != "geojson" and not table.rows:
        msg = f"{name}: has no rows; export the registry again with a header row and one row per outlet"
        raise DataFileError(msg)
    return table
