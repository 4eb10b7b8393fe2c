r"""Import a real outlet registry (CSV, Excel, GeoJSON), checking every row and losing none.

A real registry comes from an office system or a web map: Chinese headers (网点名称,
所属银行, 经度, 纬度, 区县, ...), often GBK, coordinates often copied from Amap (GCJ-02) or
Baidu (BD-09), some swapped, some outside the province, duplicates, gaps.
:func:`import_registry` maps the headers onto the registry schema
(:data:`locator.registry.OUTLET_COLUMNS`; other columns are kept under ``extra``), converts
the coordinates to WGS-84, normalizes the bank names, and checks each row. A row is either
accepted (``outlets``) or rejected; every problem, with its row number, a reason code
(:data:`REASONS`) and the original values, is a row of ``report``. ``read == accepted +
rejected`` always.

Row numbers are those a spreadsheet shows (the header is row 1 when it is the first
line); for GeoJSON they are feature numbers, counted from 1. In a CSV every non-blank line
after the header is one row, so ``read`` is the number of data lines: a stray quote costs
its own line (``bad_quote``), never the lines after it. The one exception is a quoted cell
that holds line breaks and closes properly: its lines make one row (``multiline``, naming
them), and ``lines`` counts them all.

Cost follows the cells a file holds, not what it declares, and is capped by
``settings.import_max_rows``, ``import_max_columns`` and ``import_max_unzipped_mb``
(a `ResourceLimitError` names the file and the setting).

Examples
--------
>>> csv = "网点名称,所属银行,经度,纬度\n工行迎泽支行,工行,112.55,37.86\n人社局服务中心,,37.87,112.56\n"
>>> from locator import datasets
>>> result = import_registry(csv.encode("gbk"), name="registry.csv", counties=datasets.counties())
>>> result.read, result.accepted, result.rejected
(2, 2, 0)
>>> result.outlets[["name", "kind", "bank"]].values.tolist()
[['工行迎泽支行', 'bank', '中国工商银行'], ['人社局服务中心', 'government', None]]
>>> result.report[["row", "level", "reason"]].values.tolist()
[[3, 'warning', 'swapped_coordinates']]
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator._errors import DataFileError, UnknownBankError, ValidationError
from locator._validate import check_choice, check_upload_size
from locator.banks import normalize_bank
from locator.counties import CountyMatcher
from locator.crs import _crs_key
from locator.i18n import t
from locator.importer._headers import crs_hints, map_headers
from locator.importer._merge import MERGE_REASONS, MERGE_REPORT_COLUMNS, MergeResult, merge_registry
from locator.importer._rows import (
    Cells,
    Given,
    Row,
    RowMemo,
    deduplicate,
    locate,
    memo_keys,
    parse_row,
    row_capacity,
)
from locator.importer._tables import Table, read_source, read_table
from locator.output import write_csv
from locator.registry import OUTLET_COLUMNS
from locator.tasks import KINDS, ONE_STOP_KINDS

__all__ = [
    "MERGE_REASONS",
    "MERGE_REPORT_COLUMNS",
    "REASONS",
    "REPORT_COLUMNS",
    "ImportResult",
    "MergeResult",
    "check_upload_size",
    "import_registry",
    "merge_registry",
    "write_report",
]

#: Reason codes of the report, and what each means.
REASONS: dict[str, str] = {
    "missing_name": "no outlet name (error)",
    "missing_coordinates": "no coordinates: placed at the county seat named in the address or county column (warning), or rejected when none is named (error)",
    "bad_coordinates": "coordinates that are not degrees (error)",
    "swapped_coordinates": "latitude and longitude were swapped; fixed (warning)",
    "outside_shanxi": "the point lies outside the province (error), or within 1 km of its outline (warning, kept)",
    "county_mismatch": "the declared county differs from the one the point lies in; the declared one is kept (warning)",
    "unknown_county": "the county column names no Shanxi county, or one several cities share (城区) without its city (the candidates are named); the point's county is used (warning)",
    "unknown_bank": "a bank that is none of the 16 partner banks, or a bank outlet without its bank (error)",
    "other_bank": "one bank's list (bank=...): the row's bank column or name names another partner bank; both are named (error)",
    "branch_services": "an ordinary branch (kind branch) listed tasks or equipment only one-stop outlets have; dropped, the own-bank tasks kept (warning)",
    "unknown_kind": "the kind column names neither kind, or there is none and the name does not tell (warning)",
    "unknown_task": "service names that are no task; the known ones are kept (warning)",
    "bad_flag": "a yes/no column that says neither (warning; taken as no)",
    "bad_capacity": "a capacity (service counters) that is not a whole number above 0: 0, negative, fractional or text (error; a blank cell takes the kind's default)",
    "unparsed_hours": "hours text that could not be read as opening hours, in whole or in part; the text is kept, the hours unknown or read without the parts named (warning)",
    "duplicate": "same name and coordinates (within 1 m), same bank within 10 m, or same id as an earlier row (error)",
    "bad_quote": "a CSV line with a quote that does not close on it (error: the row is rejected, the next line is read on its own), or a quote in the middle of a cell (warning)",
    "field_count": "a CSV row with more cells than the header (error: the cells are shifted), or fewer (warning: the missing ones are empty)",
    "multiline": "a quoted cell holds line breaks, so one row spans several lines, named in the message (warning)",
    "formula_without_value": "an Excel cell holds a formula saved without its value (error when the column is used, else warning)",
    "bad_feature": "a GeoJSON feature that is not an object, or whose properties are not an object (error)",
    "merged_cells": "Excel merged cells were filled down: each row under a merged cell takes its value (file-level warning)",
    "crs_hint": "the file hints at another coordinate system than the one given (file-level warning)",
    "encoding": "the text encoding was assumed, not certain (file-level warning)",
    "no_one_stop": "every accepted row is an ordinary branch: no one-stop outlet, so the planning functions refuse the registry alone; merge it into one (file-level warning)",
}
REPORT_COLUMNS: tuple[str, ...] = ("row", "level", "reason", "column", "value", "message", "name", "original")  # fmt: skip

_CRS_LABELS = {"wgs84": "WGS-84 (GPS)", "gcj02": "GCJ-02 (Amap/高德, Tencent)", "bd09": "BD-09 (Baidu/百度)"}  # fmt: skip


@dataclass
class ImportResult:
    """What an import gives: the accepted outlets, a report of every problem, the counts.

    Attributes
    ----------
    outlets : geopandas.GeoDataFrame
        Accepted rows in the registry schema, EPSG:4326, with ``precision`` (``exact``, or
        ``county`` when placed at a county seat), ``extra`` (dict of the unmapped columns)
        and ``source_row``. ``outlets.attrs["metadata"]`` describes the import.
    report : pandas.DataFrame
        One row per problem, columns :data:`REPORT_COLUMNS`: ``row`` (empty for file-level
        problems), ``level`` (``error``: rejected, ``warning``: kept), ``reason`` (a code of
        :data:`REASONS`), ``column``, ``value``, ``message``, ``name`` and ``original`` (the
        row's cells as a JSON object).
    read, accepted, rejected : int
        Data rows read, accepted and rejected; ``read == accepted + rejected``. For a CSV,
        each non-blank line after the header is a row, so ``read`` is also the number of
        data lines; the one exception is a quoted cell holding line breaks (an address
        written on two lines), which makes one row of its lines, with a ``multiline``
        warning naming them.
    lines : int
        The non-blank data lines (CSV) or rows (Excel, GeoJSON) read: ``read`` plus the
        lines that continue a ``multiline`` row.
    warnings : list of str
        File-level warnings (a coordinate-system hint that contradicts ``crs``, an assumed encoding).
    """

    outlets: gpd.GeoDataFrame
    report: pd.DataFrame
    read: int
    accepted: int
    rejected: int
    warnings: list[str] = field(default_factory=list)
    source: str = ""
    lines: int = 0

    def summary(self, lang: str = "zh") -> str:
        """One line with the counts and the reasons, in ``lang`` (``zh`` or ``en``)."""
        rows = self.report[self.report["row"].notna()]
        n_warn = int((rows["level"] == "warning").sum())
        counts = rows.groupby("reason", sort=False).size()
        reasons = ", ".join(f"{reason} {n}" for reason, n in counts.items())
        spans = self.lines - self.read  # lines that continue a quoted cell (multiline rows)
        if lang == "en":
            lines = f" ({self.lines} lines: {spans} continue a quoted cell)" if spans > 0 else ""
            text = (
                f"{self.source}: read {self.read} rows{lines}, accepted {self.accepted}, "
                f"rejected {self.rejected}; {n_warn} warnings on kept rows"
            )
            return text + (f" (reasons: {reasons})" if reasons else "") + self._capacity(lang)
        lines = (
            f"（共 {self.lines} 行文本，其中 {spans} 行属于跨行的引号单元格）" if spans > 0 else ""
        )
        text = (
            f"{self.source}：读取 {self.read} 行{lines}，接受 {self.accepted} 行，"
            f"拒绝 {self.rejected} 行；保留行的警告 {n_warn} 条"
        )
        return text + (f"（原因：{reasons}）" if reasons else "") + self._capacity(lang)

    def _capacity(self, lang: str) -> str:
        """How many accepted rows gave their service counters (empty when none did)."""
        if "capacity" not in self.outlets.columns:
            return ""
        given = int(self.outlets["capacity"].notna().sum())
        if not given:
            return ""
        return t("import_capacity", lang, given=given, default=len(self.outlets) - given)


def _header_row(table: Table, columns: Mapping[str, str] | None) -> int:
    """Position in ``table.rows`` of the header: the first row naming two fields (else row 0)."""
    for position, (_, cells) in enumerate(table.rows[:20]):
        named = {c for c in cells if c} & set(columns or {})
        if len(map_headers(cells, None, table.name)) >= 2 or named:
            return position
    return 0


def _unique_header(cells: list[str]) -> list[str]:
    header: list[str] = []
    for i, cell in enumerate(cells, start=1):
        name = cell or f"column {i}"
        header.append(name if name not in header else f"{name} ({i})")
    return header


def _columns_error(table: Table, header: list[str], what: str, field_name: str) -> DataFileError:
    found = ", ".join(repr(h) for h in header[:15]) or "none"
    msg = (
        f"{table.name}: no column for {what} (columns found: {found}); "
        f"name one with columns={{'COLUMN': '{field_name}'}}, see README.md 'Importing a real registry'"
    )
    return DataFileError(msg)


def _nested_extra(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {"extra": text}
    return value if isinstance(value, dict) else {"extra": text}


def _ids(rows: list[Row]) -> list[str]:
    """Each row's id: its own, or one made of its county and row number (never a taken one)."""
    given = [r.cell.get("id", "").strip() for r in rows]
    used = {outlet_id for outlet_id in given if outlet_id}
    ids = []
    for row, outlet_id in zip(rows, given, strict=True):
        if not outlet_id:
            prefix = row.declared or row.adcode
            outlet_id, k = f"{prefix}-{row.number:05d}", 2
            while outlet_id in used:  # a file's own id may look like a generated one
                outlet_id, k = f"{prefix}-{row.number:05d}-{k}", k + 1
            used.add(outlet_id)
        ids.append(outlet_id)
    return ids


def _outlet_columns(rows: list[Row], *, capacity: bool) -> dict[str, Any]:
    """The accepted rows column by column, in the schema's order, each value of its type.

    ``capacity``: the file has a capacity column, so the outlets get one (NaN where blank).
    A file without one leaves it absent, as the registry schema allows (the kind's default
    then applies), and costs no memory for it.
    """

    # Column by column, not a dict per row: the same frame as registry.outlets_from_records
    # builds (every value here already has the schema's type), at a fraction of the cost.
    def text(name: str) -> list[str | None]:
        return [r.cell.get(name, "").strip() or None for r in rows]

    columns: dict[str, Any] = {
        "id": _ids(rows),
        "name": [r.cell["name"].strip() for r in rows],
        "kind": [r.kind for r in rows],
        "bank": [r.bank for r in rows],
        "county_adcode": [r.declared or r.adcode for r in rows],
        "address": text("address"),
        "phone": text("phone"),
        "hours": [r.hours for r in rows],
        "services": [r.services for r in rows],
        "instant_issue": [r.flags["instant_issue"] for r in rows],
        "transit_topup": [r.flags["transit_topup"] for r in rows],
        "opening_hours": [r.opening_hours for r in rows],
        "precision": [r.precision for r in rows],
        "extra": [r.extra for r in rows],
        "source_row": [r.number for r in rows],
    }
    for column in ("id", "name", "kind", "bank", "county_adcode", "address", "phone", "hours", "opening_hours", "services", "precision", "extra"):  # fmt: skip
        columns[column] = _objects(columns[column])
    for column in ("instant_issue", "transit_topup"):
        columns[column] = np.array(columns[column], dtype=bool)
    columns["source_row"] = np.array(columns["source_row"], dtype=np.int64)
    if capacity:  # NaN where blank: the kind's default (settings.capacity_by_kind) applies
        columns["capacity"] = np.fromiter(map(row_capacity, rows), np.float64, len(rows))
    return columns


def _outlets(rows: list[Row], metadata: dict[str, Any], *, capacity: bool) -> gpd.GeoDataFrame:
    """The accepted rows as a GeoDataFrame; empties ``rows`` on the way (see below)."""
    if not rows:
        names = [*OUTLET_COLUMNS, "precision", "extra", "source_row"]
        names += ["capacity"] if capacity else []
        outlets = gpd.GeoDataFrame(pd.DataFrame(columns=names), geometry=[], crs="EPSG:4326")
        outlets.attrs["metadata"] = metadata
        return outlets
    columns = _outlet_columns(rows, capacity=capacity)
    lon = np.fromiter((r.lon for r in rows), float, len(rows))
    lat = np.fromiter((r.lat for r in rows), float, len(rows))
    # The rows (and the cells only they hold) go before the points are made: on 200,000
    # rows the two together set the import's peak memory.
    rows.clear()
    columns["geometry"] = gpd.GeoSeries(shapely.points(lon, lat), crs="EPSG:4326")
    # One constructor, no copy: a DataFrame and then a GeoDataFrame of it copied the
    # columns once more (30 MB on 200,000 rows).
    outlets = gpd.GeoDataFrame(columns, geometry="geometry", copy=False)
    outlets.attrs["metadata"] = metadata
    return outlets


def _plain_points(
    body: list[tuple[int, list[str]]], where: Mapping[str, int]
) -> dict[int, tuple[float, float]]:
    """The rows whose longitude and latitude cells are both plain finite numbers, parsed at once.

    One vectorized conversion instead of two parses per row; every other cell (blank,
    ``112°33′E``, text) is left to the row's own parse, which reports it.
    """
    if "lon" not in where or "lat" not in where:
        return {}
    at_lon, at_lat = where["lon"], where["lat"]
    empty: list[str] = [""] * (max(at_lon, at_lat) + 1)
    lon = pd.to_numeric(pd.Series([(c if len(c) > at_lon else empty)[at_lon] for _, c in body], dtype=object), errors="coerce").to_numpy(float)  # fmt: skip
    lat = pd.to_numeric(pd.Series([(c if len(c) > at_lat else empty)[at_lat] for _, c in body], dtype=object), errors="coerce").to_numpy(float)  # fmt: skip
    good = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    numbers = [body[i][0] for i in good]
    return dict(zip(numbers, zip(lon[good].tolist(), lat[good].tolist(), strict=True), strict=True))


def _read_problems(row: Row, table: Table, fields: Mapping[int, str]) -> None:
    """Add to ``row`` what reading found: stray quotes, cell counts, formulas without values."""
    from openpyxl.utils import get_column_letter

    for level, reason, _, value, message in table.problems.get(row.number, ()):
        (row.error if level == "error" else row.warn)(reason, "", message, value)
    for position in table.formulas.get(row.number, ()):
        column = row.names[position] if position < len(row.names) else f"column {position + 1}"
        where = f"{get_column_letter(position + 1)}{row.number}"
        message = f"cell {where} (column {column!r}) holds a formula saved without its value; open the file in Excel or WPS and save it again (that saves the values), or paste the values"  # fmt: skip
        if position in fields:
            row.error("formula_without_value", "", message, "")
        else:
            row.warn("formula_without_value", "", message + " (the column is not used, so the row is kept)", "")  # fmt: skip
    if table.format != "csv" or row.rejected:
        return
    width = len(row.names)
    if len(row.cells) > width and any(row.cells[width:]):
        message = f"{len(row.cells)} cells, but the header has {width}: a delimiter inside an unquoted cell shifts the cells after it; quote that cell"  # fmt: skip
        row.error("field_count", "", message, "")
    elif len(row.cells) < width and row.number not in table.last_line:
        message = f"{len(row.cells)} cells, but the header has {width}: the missing cells at the end are taken as empty"  # fmt: skip
        row.warn("field_count", "", message, "")


def _objects(values: list[Any]) -> pd.Series:
    """``values`` as an object Series, taken as they are: no inference, no copy.

    Plain Python text and None, as registry.outlets_from_records gives (not ``str``/NaN).
    pandas' ``str`` dtype would copy the text into arrow buffers, whose allocator keeps
    the memory afterwards (50 MB for the report of 28,000 problems on 200,000 rows).
    """
    array = np.fromiter(values, dtype=object, count=len(values))
    return pd.Series(array, dtype="object", copy=False)


def _report(rows: list[Row], file_level: list[tuple[str, str]]) -> pd.DataFrame:
    """One line per problem, the file-level warnings first; built column by column."""
    entries: list[dict[str, Any]] = [
        {"row": None, "level": "warning", "reason": reason, "column": "", "value": "", "message": message,
         "name": "", "original": ""}
        for reason, message in file_level
    ]  # fmt: skip
    for row in rows:
        if not row.problems:
            continue
        original = json.dumps(row.original, ensure_ascii=False)
        for problem in row.problems:
            entries.append({"row": row.number, **problem, "name": row.cell.get("name", ""), "original": original})  # fmt: skip
    report = pd.DataFrame({name: _objects([e[name] for e in entries]) for name in REPORT_COLUMNS})
    report["row"] = report["row"].astype("Int64")
    return report


def _header_and_body(
    table: Table, columns: Mapping[str, str] | None
) -> tuple[list[str], list[tuple[int, list[str]]], list[str]]:
    """The header, the data rows and the lines above the header (title rows: CRS hints)."""
    if table.header is not None:
        return table.header, table.rows, [*table.hints]
    at = _header_row(table, columns)
    header = _unique_header(table.rows[at][1])
    titles = [" ".join(cells) for _, cells in table.rows[:at]]
    return header, table.rows[at + 1 :], [*table.hints, *titles]


def _check_columns(table: Table, header: list[str], header_of: Mapping[str, str]) -> None:
    """Refuse a file without a name column, or without anything that locates an outlet."""
    if "name" not in header_of:
        raise _columns_error(table, header, "the outlet name (网点名称, 名称, name)", "name")
    if ("lon" in header_of) != ("lat" in header_of):
        have, lack = ("经度/lon", "纬度/lat") if "lon" in header_of else ("纬度/lat", "经度/lon")
        raise _columns_error(
            table,
            header,
            f"{lack} (there is one for {have})",
            "lat" if "lon" in header_of else "lon",
        )
    if not ({"lon", "lonlat", "address", "county"} & set(header_of) or table.points):
        raise _columns_error(table, header, "the location (经度+纬度, 经纬度, 地址 or 区县)", "lon")


def _file_level(table: Table, texts: list[str], crs_name: str) -> list[tuple[str, str]]:
    """File-level warnings: encoding notes, merged cells, a coordinate system hinted otherwise."""
    found = [("encoding", note) for note in table.notes] + table.file_warnings
    for hinted, evidence in crs_hints(texts).items():
        if hinted != crs_name:
            found.append(("crs_hint", f"{table.name}: {evidence!r} suggests {_CRS_LABELS[hinted]} coordinates, but they are read as {_CRS_LABELS[crs_name]}; if so, import with crs={hinted}"))  # fmt: skip
    return found


def _read_rows(
    table: Table,
    header: list[str],
    body: list[tuple[int, list[str]]],
    fields: dict[int, str],
    matcher: CountyMatcher,
    given: Given,
) -> list[Row]:
    """One `Row` per data row, its cells read and checked (the location is checked later)."""
    header_of = {f: header[p] for p, f in fields.items()}
    width = len(header)
    where = {f: p for p, f in fields.items()}
    unmapped = [p for p in range(width) if p not in fields]
    flagged = table.problems.keys() | table.formulas.keys()
    points = table.points or _plain_points(body, where)
    rows: list[Row] = []
    memo: RowMemo = {}
    for (number, cells), key in zip(body, memo_keys(body, where), strict=True):
        n_cells = len(cells)
        extra = {header[p]: cells[p] for p in unmapped if p < n_cells and cells[p]} if unmapped else {}  # fmt: skip
        if n_cells > width:
            extra.update({f"column {p + 1}": v for p, v in enumerate(cells[width:], width) if v})
        if "extra" in extra:  # a registry written by locator
            extra.update(_nested_extra(extra.pop("extra")))
        row = Row(number, header, cells, Cells(cells, where), extra, header_of)
        if number in flagged or (n_cells != width and table.format == "csv"):
            _read_problems(row, table, fields)
        if not row.rejected:
            parse_row(row, matcher, points.get(number), memo, key, given)
        rows.append(row)
    return rows


def import_registry(  # noqa: PLR0913 (the command's options, one keyword each)
    source: str | Path | bytes | IO[bytes],
    *,
    counties: gpd.GeoDataFrame,
    name: str | None = None,
    crs: str = "wgs84",
    sheet: str | None = None,
    columns: Mapping[str, str] | None = None,
    kind: str | None = None,
    bank: str | None = None,
) -> ImportResult:
    r"""Read a registry file, check every row, and return the accepted outlets and a report.

    Parameters
    ----------
    source : path, bytes or binary file
        A .csv (UTF-8, UTF-8 with BOM, GBK/GB18030: detected), .xlsx or .geojson file.
    counties : GeoDataFrame
        The county layer the rows are checked against (inside the province, the county a
        point lies in, the seats of named counties): ``locator.datasets.counties()`` for
        the shipped 117 county-level divisions. Asked for, not read behind the caller's back:
        the command line and the app load it once and pass it.
    name : str, optional
        The file name, for messages and to tell the format by its extension (needed with
        bytes from an upload; the content decides when there is no extension).
    crs : {"wgs84", "gcj02", "bd09"}
        The coordinate system of the file's coordinates: ``gcj02`` for Amap (高德) or
        Tencent, ``bd09`` for Baidu (百度). They are converted to WGS-84.
    sheet : str, optional
        The worksheet of an .xlsx file (default: the first).
    columns : mapping of str to str, optional
        Column name → field (``name``, ``bank``, ``lon``, ``lat``, ``lonlat``, ``county``,
        ``address``, ``services``, ... or ``extra``); overrides the header recognition.
    kind : {"government", "bank", "branch"}, optional
        The kind of every row (the file's kind column, if any, is then kept in ``extra``):
        ``branch`` for a bank's list of its ordinary branches (not one-stop outlets; they do
        the card's own-bank tasks only). None: each row's kind column, bank and name tell.
    bank : str, optional
        With ``kind`` ``bank`` or ``branch``: the list is this partner bank's (工行, 中国工商银行,
        ICBC ...). Rows without a bank column take it; a row whose bank column or name names
        another partner bank is rejected (``other_bank``).

    Returns
    -------
    ImportResult
        The accepted outlets, the report of every problem, and the counts.

    Raises
    ------
    DataFileError
        When the file is missing, empty, unreadable, or has no name or location column;
        ``ValidationError`` for a bad ``crs``, ``sheet``, ``columns``, ``kind`` or ``bank``
        (`UnknownBankError` for a bank that is none of the 16).

    Examples
    --------
    >>> csv = "\n".join(["网点名称,经度,纬度", "迎泽支行,112.55,37.86", "建行柳巷支行,112.56,37.87"])
    >>> from locator import datasets
    >>> result = import_registry(csv.encode(), name="icbc.csv", kind="branch", bank="工行",
    ...                          counties=datasets.counties())
    >>> result.outlets[["name", "kind", "bank"]].values.tolist()
    [['迎泽支行', 'branch', '中国工商银行']]
    >>> result.report["reason"].tolist()
    ['no_one_stop', 'other_bank']
    """
    crs_name = _crs_key(crs)
    given = _given(kind, bank)
    with _without_cyclic_gc():
        return _import(source, name, crs_name, sheet, columns, counties, given)


def _given(kind: str | None, bank: str | None) -> Given:
    """The ``kind`` and ``bank`` parameters of `import_registry`, checked."""
    if kind is not None:
        check_choice(kind, KINDS, "kind")
    if bank is None:
        return Given(kind)
    if kind not in ("bank", "branch"):
        msg = f"bank {bank!r} says whose list the file is: give kind='branch' (ordinary branches) or kind='bank' (one-stop bank outlets) with it"  # fmt: skip
        raise ValidationError(msg)
    try:
        canonical = normalize_bank(bank)
    except UnknownBankError:
        msg = f"bank {bank!r} is none of the 16 partner banks: give one of them (`locator banks`; short names such as 工行, 建行, 邮储 work)"  # fmt: skip
        raise UnknownBankError(msg) from None
    return Given(kind, canonical)


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the import, then restore it as it was.

    An import makes millions of small objects that live until it ends (cells, rows, their
    values) and form no cycles. The collector walks every one of them each time its
    generations fill up: on 200,000 rows that was 1.2 of 4 CPU seconds, for no garbage
    found. Reference counting still frees everything as usual. The app imports uploads in a
    child process of their own, so no other thread's collection is held up.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(
    source: str | Path | bytes | IO[bytes],
    name: str | None,
    crs_name: str,
    sheet: str | None,
    columns: Mapping[str, str] | None,
    counties: gpd.GeoDataFrame,
    given: Given,
) -> ImportResult:
    """The import of `import_registry`, its arguments checked."""
    data, label = read_source(source, name)
    table = read_table(data, label, sheet=sheet)
    del data  # the rows hold the text now; a 50 MB file should not stay twice in memory
    if sheet is not None and table.format != "xlsx":
        msg = f"{label}: sheet {sheet!r} applies to .xlsx files only; this is {table.format}"
        raise ValidationError(msg)
    header, body, hints = _header_and_body(table, columns)
    fields = map_headers(header, columns, label)
    if given.kind is not None:  # the given kind rules; the file's kind column is kept in extra
        fields = {p: f for p, f in fields.items() if f != "kind"}
    _check_columns(table, header, {f: header[p] for p, f in fields.items()})
    file_level = _file_level(table, [*header, *hints], crs_name)
    matcher = CountyMatcher(counties)
    rows = _read_rows(table, header, body, fields, matcher, given)
    lines = len(rows) + sum(table.last_line[r.number] - r.number for r in rows if r.number in table.last_line)  # fmt: skip
    del body, table
    locate(rows, crs_name, counties, matcher)
    deduplicate(rows)
    file_level += _no_one_stop(label, rows)
    # The report first, then the outlets, each from only the rows it needs: the report's
    # transient entries and the outlets frame are never in memory together.
    report = _report([r for r in rows if r.problems], file_level)
    read, accepted = len(rows), [r for r in rows if not r.rejected]
    del rows
    n_accepted = len(accepted)
    metadata = {"sample": False, "source": label, "source_crs": crs_name, "crs": "EPSG:4326",
                "read": read, "accepted": n_accepted, "rejected": read - n_accepted}  # fmt: skip
    if given.kind is not None:
        metadata.update({"kind": given.kind, "bank": given.bank})
    outlets = _outlets(accepted, metadata, capacity="capacity" in fields.values())
    del accepted
    return ImportResult(
        outlets=outlets,
        report=report,
        read=read,
        accepted=n_accepted,
        rejected=read - n_accepted,
        warnings=[message for _, message in file_level],
        source=label,
        lines=lines,
    )


def _no_one_stop(label: str, rows: list[Row]) -> list[tuple[str, str]]:
    """The file-level warning for a registry of ordinary branches only (empty otherwise)."""
    kinds = {r.kind for r in rows if not r.rejected}
    if not kinds or kinds & set(ONE_STOP_KINDS):
        return []
    message = f"{label}: every accepted row is an ordinary branch (kind branch), no one-stop outlet: the county rule, coverage and siting refuse such a registry alone; merge it into the one-stop registry (merge_registry, `locator import --merge`)"  # fmt: skip
    return [("no_one_stop", message)]


def write_report(result: ImportResult, path: Path | str) -> Path:
    """Write the report as CSV, UTF-8 with BOM (Excel shows the Chinese)."""
    return write_csv(result.report, path)
