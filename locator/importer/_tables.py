"""Read a registry file into rows of text: CSV in any common Chinese encoding, .xlsx, GeoJSON.

This is the byte-level half of :mod:`locator.importer`: it decides the format and the
text encoding, and returns every non-blank row with the row number a spreadsheet user
sees (the first line of the file is row 1). What the columns mean is decided elsewhere.

The encoding of a CSV is detected, never guessed silently: a byte-order mark wins; then
UTF-8 and GB18030 (the superset of GBK and GB2312, what Chinese Excel and WPS write) are
tried strictly; when both decode, the one whose Chinese characters are the common
simplified ones (GB2312) wins, and charset-normalizer breaks a tie. Anything else is
decoded only with a file-level note saying which encoding was assumed. Traditional Chinese
(Big5, as Taiwan and Hong Kong systems write) is recognized when the bytes are not GBK.

Hostile files cost in proportion to the cells that hold data, never to what the file
declares: an .xlsx sheet is read cell by cell from its XML (a sheet that declares 16,384
columns and a million rows but holds twelve cells costs twelve cells), and the rows,
columns and unzipped size read are capped (``settings.import_max_rows``,
``import_max_columns``, ``import_max_unzipped_mb``; a `ResourceLimitError` names the file
and the limit). A CSV is read line by line, so a stray quote cannot swallow the lines
after it: the line is reported (``bad_quote``) and the next line is read on its own.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from locator import settings
from locator._errors import DataFileError, ResourceLimitError, ValidationError

__all__ = ["Table", "cell_text", "decode_text", "read_source", "read_table"]

#: A problem found while reading a row: ``(level, reason, column, value, message)``.
ReadProblem = tuple[str, str, str, str, str]

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
    ``problems`` holds what reading found wrong with a row (a stray quote, a formula with no
    saved value, a feature that is no object), by row number; ``last_line`` the last line
    of a CSV record whose quoted cell spans several lines; ``formulas`` the positions of
    the cells of a row that hold a formula saved without its value (read as empty);
    ``file_warnings`` file-level ``(reason, message)`` pairs (merged cells filled down).
    """

    name: str
    format: str
    rows: list[tuple[int, list[str]]]
    header: list[str] | None = None
    points: dict[int, tuple[float, float] | str] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    problems: dict[int, list[ReadProblem]] = field(default_factory=dict)
    last_line: dict[int, int] = field(default_factory=dict)
    formulas: dict[int, list[int]] = field(default_factory=dict)
    file_warnings: list[tuple[str, str]] = field(default_factory=list)


def read_source(
    source: str | Path | bytes | bytearray | IO[bytes] | IO[str], name: str | None
) -> tuple[bytes, str]:
    """Return the bytes of ``source`` and the name to use for it in messages.

    Raises
    ------
    ValidationError
        When ``source`` is none of a path, bytes or a binary file.
    """
    if not isinstance(source, bytes | bytearray | str | Path) and not callable(
        getattr(source, "read", None)
    ):
        msg = f"source: expected the path of a registry file, its bytes or a binary file, not {type(source).__name__}"
        raise ValidationError(msg)
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
    if isinstance(data, str):
        return data.encode("utf-8"), label
    if not isinstance(data, bytes | bytearray | memoryview):
        msg = f"source: reading {label} gave {type(data).__name__}, not bytes; give a file opened in binary mode"
        raise ValidationError(msg)
    return bytes(data), label


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


def _big5_share(text: str) -> float:
    """Share of the non-ASCII characters that are common traditional Chinese (Big5 level 1).

    Big5's frequent characters (lead bytes 0xA4-0xC6) are what a traditional-Chinese registry
    is made of; GBK bytes read as Big5, or Big5 bytes read as GBK, give rare characters.
    """
    wide = Counter(ch for ch in text if ord(ch) > 127)
    if not wide:
        return 1.0
    common = 0
    for ch, count in wide.items():
        try:
            code = ch.encode("cp950")
        except UnicodeEncodeError:
            continue
        if 0xA4 <= code[0] <= 0xC6 or 0xA1 <= code[0] <= 0xA3:  # level 1, or punctuation
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


def _decode_bom(data: bytes, name: str) -> tuple[str, str] | None:
    """The text of a file that starts with a byte-order mark, or None when it has none."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if data.startswith(bom):
            text = _try(data, encoding)
            if text is None:
                msg = f"{name}: starts with a {encoding} byte-order mark but is not valid {encoding}; save it again as UTF-8 CSV"
                raise DataFileError(msg)
            return text, encoding
    return None


def _decode_unsure(data: bytes, name: str, gb: str | None) -> tuple[str, str, list[str]]:
    """Decode a file that is not UTF-8 nor clearly GBK: Big5, or a guess with a note."""
    big5 = _try(data, "cp950")
    if (
        big5 is not None
        and _big5_share(big5) >= 0.9
        and _big5_share(big5) > _gb2312_share(gb or "")
    ):
        return big5, "big5", []
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


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Decode a text file; return ``(text, encoding, notes)``; notes say what was assumed."""
    with_bom = _decode_bom(data, name)
    if with_bom is not None:
        return with_bom[0], with_bom[1], []
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
    return _decode_unsure(data, name, gb)


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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _check_width(name: str, number: int, cells: list[str]) -> None:
    if len(cells) > settings.import_max_columns and any(c.strip() for c in cells[settings.import_max_columns :]):  # fmt: skip
        msg = f"{name}: line {number} has {len(cells):,} cells, more than settings.import_max_columns ({settings.import_max_columns:,}); remove the cells right of the table, or raise the setting"  # fmt: skip
        raise ResourceLimitError(msg)


def _count_rows(name: str, count: int) -> None:
    if count > settings.import_max_rows:
        msg = f"{name}: more than settings.import_max_rows ({settings.import_max_rows:,}) rows; split the file, or raise the setting"  # fmt: skip
        raise ResourceLimitError(msg)


def _parse_record(lines: list[str], delimiter: str) -> list[list[str]]:
    """The records of ``lines`` read as CSV; raises ``csv.Error`` on any bad quoting."""
    return list(csv.reader([line + "\n" for line in lines], delimiter=delimiter, strict=True))


def _modal_width(lines: list[str], delimiter: str) -> int:
    """The usual number of cells of a line without quotes (the table's width, before the header is known)."""
    widths: Counter[int] = Counter()
    for line in lines[:2000]:
        if not line.strip():
            continue
        try:
            widths[len(_parse_record([line], delimiter)[0])] += 1
        except csv.Error:
            continue
    return widths.most_common(1)[0][0] if widths else 0


def _read_csv(data: bytes, name: str) -> Table:
    """Read CSV line by line; a record spans lines only inside a quoted cell that closes properly.

    A line with a quote that does not close on it starts a record of several lines only when
    the quote closes within ``settings.import_max_record_lines`` lines and the record then has
    the table's usual number of cells (a quoted address with a line break). Otherwise the
    quote is stray: the line is a row of its own with a ``bad_quote`` error (its cells split
    at every delimiter), and the next line is read on its own, so no line is swallowed.
    """
    text, encoding, notes = decode_text(data, name)
    lines = _LINE_BREAK.split(text)
    del text
    head = [line for line in lines[:20] if line.strip()]
    delimiter = max(_DELIMITERS, key=lambda d: sum(line.count(d) for line in head))
    if not any(delimiter in line for line in head):
        delimiter = ","
    width = _modal_width(lines, delimiter)
    table = Table(name=name, format="csv", rows=[], notes=notes, encoding=encoding)
    rows, problems = table.rows, table.problems
    pools: dict[int, dict[str, str]] = {}
    at, n_lines = 0, len(lines)
    while at < n_lines:
        line, number = lines[at], at + 1
        lines[at] = ""  # read: let it go, so the lines and their cells are never both whole
        at += 1
        if (
            '"' not in line
        ):  # the common case: no quoting, so cells are what lies between delimiters
            if not line.strip():
                continue
            cells = line.split(delimiter)
        else:
            cells, used, problem = _quoted(line, lines, at, delimiter, width)
            if problem is not None:
                problems[number] = [problem]
            if used > 1:
                table.last_line[number] = number + used - 1
            at += used - 1
        texts = [c.strip() for c in cells]
        if any(texts):
            _check_width(name, number, texts)
            rows.append((number, _pooled(texts, pools)))
            if len(rows) % 2_000 == 0:
                _count_rows(name, len(rows) - 1)
                if len(rows) == 2_000:  # the repetitive columns are known now; pool the rest
                    pools = _repetitive(rows)
                    for _, earlier in rows:
                        _pooled(earlier, pools)
    _count_rows(name, len(rows) - 1)  # the header is not an outlet
    return table


def _pooled(texts: list[str], pools: dict[int, dict[str, str]]) -> list[str]:
    """``texts`` with the cells of repetitive columns replaced by one shared copy of each value.

    Bank, kind, county, hours, services and the yes/no columns repeat a few values on every
    row: storing each once saves about 80 MB on 200,000 rows. ``pools`` holds a dict per
    repetitive column (decided on the first rows by `_repetitive`).
    """
    for i, pool in pools.items():
        if i < len(texts):
            text = texts[i]
            texts[i] = pool.setdefault(text, text)
    return texts


def _repetitive(rows: list[tuple[int, list[str]]]) -> dict[int, dict[str, str]]:
    """A pool for each column whose first rows hold few distinct values (at most a quarter)."""
    sample = rows[1:2001]
    width = max((len(cells) for _, cells in sample), default=0)
    pools: dict[int, dict[str, str]] = {}
    for i in range(width):
        values = {cells[i] for _, cells in sample if i < len(cells)}
        if len(values) * 4 <= len(sample):
            pools[i] = {}
    return pools


def _quoted(line: str, lines: list[str], after: int, delimiter: str, width: int) -> tuple[list[str], int, ReadProblem | None]:  # fmt: skip
    """Cells of the record starting with ``line`` (``lines[after:]`` follow it), the lines it uses, and a problem if any."""  # fmt: skip
    try:
        return _parse_record([line], delimiter)[0], 1, None
    except csv.Error as error:
        if "unexpected end of data" not in str(error):
            # e.g. "a"b: quoting that does not follow the rules, but stays on its line
            cells = next(csv.reader([line], delimiter=delimiter))
            why = "a quote in the middle of a cell; read as it stands, check the cells"
            return cells, 1, ("warning", "bad_quote", "", line[:200], why)
    limit = min(len(lines) - after + 1, max(2, settings.import_max_record_lines))
    if not any('"' in following for following in lines[after : after + limit - 1]):
        limit = 1  # nothing below can close the quote: stray, without trying every length
    for used in range(2, limit + 1):
        try:
            records = _parse_record([line, *lines[after : after + used - 1]], delimiter)
        except csv.Error as error:
            if "unexpected end of data" in str(error):
                continue
            break
        if len(records) == 1 and (len(records[0]) == width or width == 0):
            why = (
                f"a quoted cell holds line breaks: lines {after}-{after + used - 1} are one record"
            )
            return records[0], used, ("warning", "multiline", "", "", why)
        break
    cells = line.split(delimiter)
    why = (
        'a quote (") opens a cell and is not closed on this line; the row is rejected, the '
        "next line is read on its own; remove the quote or close it"
    )
    return cells, 1, ("error", "bad_quote", "", line[:200], why)


def _sheet_cells(ws: Any, name: str) -> tuple[list[tuple[int, list[str]]], dict[int, list[int]], list[str]]:  # fmt: skip
    """The non-blank rows of a read-only worksheet, straight from its XML, and their problems.

    openpyxl's ``iter_rows`` pads every row to the sheet's declared width and yields every
    row up to its declared height (a cell at XFD1048576 makes that 17 billion cells), so the
    sheet's own cell records are read instead: cost follows the cells the file holds. Cells
    that are empty (formatted only) are skipped wherever they are; a cell with a value
    beyond ``settings.import_max_columns`` raises. Vertically merged cells are filled down.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class _Parser(WorkSheetParser):
        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell: dict[str, Any] = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["data_type"] = "formula"  # saved without its value (data_only reads none)
            return cell

    book = ws.parent
    max_columns, rows, formulas = settings.import_max_columns, [], []
    with ws._get_source() as source:
        parser = _Parser(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                         date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)  # fmt: skip
        for number, cells in parser.parse():
            texts: list[str] = []
            for cell in cells:
                column, value = cell["column"], cell["value"]
                if cell["data_type"] == "formula":
                    formulas.append((number, column))
                    value = ""
                text = cell_text(value)
                if not text:
                    continue
                if column > max_columns:
                    where = f"{get_column_letter(column)}{number}"
                    msg = f"{name}: cell {where} ({text[:30]!r}) lies beyond column {max_columns:,} (settings.import_max_columns); delete the cells right of the table, or raise the setting"  # fmt: skip
                    raise ResourceLimitError(msg)
                texts.extend([""] * (column - 1 - len(texts)))
                texts.append(text)
            if texts or any(n == number for n, _ in formulas[-1:]):
                rows.append((number, texts))
                if len(rows) > settings.import_max_rows:
                    _count_rows(name, len(rows) - 1)
        merged = getattr(parser, "merged_cells", None)
    by_row: dict[int, list[int]] = {}
    for number, column in formulas:
        by_row.setdefault(number, []).append(column - 1)
    return rows, by_row, _fill_merged(rows, merged, name)


def _fill_merged(rows: list[tuple[int, list[str]]], merged: Any, name: str) -> list[str]:
    """Give the rows under a vertically merged cell its value; a note names the ranges filled.

    Read-only openpyxl does not apply merged ranges, so a bank written once for a block of
    rows would leave the rows under it without a bank. Horizontal merges (a title across the
    columns) are left alone. Only the rows read are touched, so the cost is bounded by them.
    """
    import bisect

    ranges = [r for r in getattr(merged, "mergeCell", None) or [] if r.ref and ":" in str(r.ref)]
    if not ranges:
        return []
    from openpyxl.worksheet.cell_range import CellRange

    numbers = [number for number, _ in rows]
    filled: list[str] = []
    for item in ranges:
        try:
            bounds = CellRange(str(item.ref))
        except (ValueError, TypeError):
            continue
        if bounds.max_row <= bounds.min_row:
            continue
        top = bisect.bisect_left(numbers, bounds.min_row)
        if top == len(numbers) or numbers[top] != bounds.min_row:
            continue
        first = rows[top][1]
        value = first[bounds.min_col - 1] if bounds.min_col <= len(first) else ""
        if not value:
            continue
        last_col = min(bounds.max_col, settings.import_max_columns)
        end = bisect.bisect_right(numbers, bounds.max_row)
        for _, cells in rows[top + 1 : end]:
            cells.extend([""] * (last_col - len(cells)))
            for column in range(bounds.min_col - 1, last_col):
                if not cells[column]:
                    cells[column] = value
        filled.append(str(item.ref))
    if not filled:
        return []
    shown = ", ".join(filled[:10]) + (f" and {len(filled) - 10} more" if len(filled) > 10 else "")
    return [f"{name}: merged cells {shown} were filled down: each row under a merged cell takes its value; check them"]  # fmt: skip


def _open_book(data: bytes, name: str) -> Any:
    """The workbook in ``data``, read-only, after checking what it unzips to."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        msg = f"{name}: not a readable .xlsx workbook ({error}); save it again from Excel or WPS"
        raise DataFileError(msg) from None
    if unzipped > settings.import_max_unzipped_mb * 1e6:
        msg = f"{name}: unzips to {unzipped / 1e6:,.0f} MB, more than settings.import_max_unzipped_mb ({settings.import_max_unzipped_mb:,.0f} MB); save only the registry's sheet, or raise the setting"  # fmt: skip
        raise ResourceLimitError(msg)
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; they do not matter here.
            warnings.simplefilter("ignore", UserWarning)
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as error:  # fmt: skip
        msg = f"{name}: not a readable .xlsx workbook ({error}); save it again from Excel or WPS"
        raise DataFileError(msg) from None


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Table:
    book = _open_book(data, name)
    try:
        if sheet is not None and sheet not in book.sheetnames:
            msg = f"{name}: no sheet named {sheet!r}; the sheets are {', '.join(map(repr, book.sheetnames))}"
            raise DataFileError(msg)
        if not book.worksheets:
            msg = f"{name}: the workbook has no worksheet; save the registry as a sheet of cells"
            raise DataFileError(msg)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        if not hasattr(ws, "_get_source"):
            msg = f"{name}: sheet {ws.title!r} is a chart, not cells; pick the registry's sheet with sheet='NAME'"
            raise DataFileError(msg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                rows, formulas, merged_notes = _sheet_cells(ws, name)
            except (KeyError, ValueError, TypeError, IndexError, SyntaxError, OverflowError) as error:  # fmt: skip
                # SyntaxError: the XML parser's ParseError; the rest: cells openpyxl cannot read
                msg = f"{name}: sheet {ws.title!r} cannot be read ({type(error).__name__}: {error}); save it again from Excel or WPS"  # fmt: skip
                raise DataFileError(msg) from None
        props = book.properties
        hints = [
            str(v)
            for v in (props.title, props.subject, props.description, props.keywords, ws.title)
            if v
        ]
        if not rows and sheet is None and len(book.sheetnames) > 1:
            msg = f"{name}: the first sheet {ws.title!r} is empty; pick another with sheet='NAME' (sheets: {', '.join(map(repr, book.sheetnames))})"
            raise DataFileError(msg)
    finally:
        book.close()
    table = Table(name=name, format="xlsx", rows=rows, hints=hints, formulas=formulas)
    table.file_warnings.extend(("merged_cells", note) for note in merged_notes)
    return table


def _point(geometry: Any) -> tuple[float, float] | str | None:
    """A feature's Point as ``(x, y)``; a text saying what is wrong; None when there is none."""
    if geometry is None:
        return None
    if not isinstance(geometry, dict):
        return f"geometry is a {type(geometry).__name__}, not a GeoJSON geometry object"
    kind = geometry.get("type")
    if kind != "Point":
        return f"geometry is a {cell_text(kind)[:40] or 'geometry without a type'}, not a Point"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return f"bad Point coordinates {cell_text(coordinates)[:60]!r}: give [longitude, latitude]"
    x, y = coordinates[0], coordinates[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
        return f"bad Point coordinates {cell_text(coordinates)[:60]!r}: give two numbers"
    try:
        return float(x), float(y)
    except OverflowError:  # an integer too large for a float
        return f"bad Point coordinates {cell_text(coordinates)[:60]!r}: out of range"


def _read_geojson(data: bytes, name: str) -> Table:
    text, encoding, notes = decode_text(data, name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        msg = f"{name}: not a GeoJSON file ({error}); give a FeatureCollection of points"
        raise DataFileError(msg) from None
    except RecursionError:
        msg = f"{name}: the JSON is nested too deeply to be GeoJSON; give a FeatureCollection of points"
        raise DataFileError(msg) from None
    try:
        return _geojson_table(document, name, notes, encoding)
    except RecursionError:  # a property nested thousands deep
        msg = f"{name}: a property is nested too deeply; give plain values (text, numbers) as properties"
        raise DataFileError(msg) from None


def _collection(document: Any, name: str) -> dict[str, Any]:
    """The FeatureCollection ``document`` is (a lone Feature is one of one)."""
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        what = type(document.get("features")).__name__ if isinstance(document, dict) else type(document).__name__  # fmt: skip
        msg = f"{name}: not a GeoJSON FeatureCollection (its features are a {what}, not a list); give one with a point per outlet"  # fmt: skip
        raise DataFileError(msg)
    if not document["features"]:
        msg = f"{name}: the FeatureCollection has no features; give one point per outlet"
        raise DataFileError(msg)
    return document


def _feature_problem(number: int, feature: Any, properties: Any) -> str | None:
    """What makes a feature unreadable (not an object, properties not an object), or None."""
    if not isinstance(feature, dict):
        return f"feature {number} is a {type(feature).__name__}, not a GeoJSON Feature object"
    if properties is not None and not isinstance(properties, dict):
        return f"feature {number}: its properties are a {type(properties).__name__}, not an object of names and values"  # fmt: skip
    return None


def _geojson_table(document: Any, name: str, notes: list[str], encoding: str) -> Table:
    document = _collection(document, name)
    features = document["features"]
    _count_rows(name, len(features))
    table = Table(name=name, format="geojson", rows=[], header=[], notes=notes, encoding=encoding)
    seen: set[str] = set()
    all_properties: list[dict[str, Any]] = []
    for number, feature in enumerate(features, start=1):
        properties: Any = feature.get("properties") if isinstance(feature, dict) else None
        problem = _feature_problem(number, feature, properties)
        if problem is not None:
            table.problems[number] = [("error", "bad_feature", "", cell_text(feature)[:200], problem)]  # fmt: skip
            properties = None
        all_properties.append(properties or {})
        for key in properties or {}:
            if key not in seen:
                seen.add(key)
                table.header.append(key)  # type: ignore[union-attr]
        if len(seen) > settings.import_max_columns:
            msg = f"{name}: the features have more than settings.import_max_columns ({settings.import_max_columns:,}) property names; keep the registry's columns only, or raise the setting"  # fmt: skip
            raise ResourceLimitError(msg)
        point = _point(feature.get("geometry")) if isinstance(feature, dict) else None
        if point is not None:
            table.points[number] = point
    header = table.header or []
    for number, properties in enumerate(all_properties, start=1):
        table.rows.append((number, [cell_text(properties.get(key)) for key in header]))
    extra = {k: v for k, v in document.items() if k != "features"}
    table.hints.append(json.dumps(extra, ensure_ascii=False, default=str)[:10_000])
    return table


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
