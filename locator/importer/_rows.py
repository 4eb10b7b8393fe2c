"""The row checks of :mod:`locator.importer`: read, locate and deduplicate each registry row.

Each check adds a problem with a reason code to the row (``error`` rejects it,
``warning`` keeps it); nothing here raises for a bad row, so no row is ever lost.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from locator import settings
from locator._errors import UnknownBankError
from locator._typing import BoolArray, FloatArray, IntArray, ObjectArray
from locator.banks import BANKS, normalize_bank
from locator.counties import CountyMatcher, in_shanxi, province_outline
from locator.crs import to_wgs84
from locator.distance import haversine_km, unit_vectors
from locator.hours import HoursError, from_chinese, parse_hours
from locator.importer._headers import (
    kind_from_name,
    parse_capacity,
    parse_degrees,
    parse_flag,
    parse_kind,
    parse_pair,
    parse_services,
    to_simplified,
)
from locator.tasks import TASKS, default_services

__all__ = [
    "Cells",
    "Given",
    "Row",
    "RowMemo",
    "bank_in_name",
    "close_pairs",
    "deduplicate",
    "fold_name",
    "locate",
    "memo_keys",
    "parse_row",
    "row_capacity",
]

_PLACEHOLDERS = {"", "-", "--", "—", "/", "无", "暂无", "空", "null", "none", "nan", "n/a", "na", "不适用"}  # fmt: skip
SAME_PLACE_M = 1.0
SAME_BANK_M = 10.0
_BORDER_DEG = 0.01  # about 1 km: the county outlines are accurate to ~100 m
_COORDINATES = "coordinates"  # pseudo-field: whichever columns (or the geometry) hold them


@dataclass(frozen=True)
class Given:
    """What the caller says of every row of a file: its kind and, for bank kinds, its bank.

    ``kind`` None: each row's kind comes from its kind column, bank and name (as always).
    ``bank`` (a canonical partner-bank name) with kind ``bank`` or ``branch``: the file is
    one bank's list, so a row naming another partner bank is an error (``other_bank``).
    """

    kind: str | None = None
    bank: str | None = None


# The bank names a branch's name may carry (中国工商银行…支行, 建行…, 邮储…): full names and the
# short names that say "bank" (…行, 农信社, 邮储). Street-name words that are also short bank
# names (兴业路, 民生街, 光大巷) are left out: a branch of one bank may be named after them.
_NAME_BANKS = sorted(
    ((key, b.name) for b in BANKS for key in (b.name, *b.aliases)
     if key.endswith(("行", "社", "储", "储蓄", "农信"))),
    key=lambda kv: -len(kv[0]),
)  # fmt: skip
_NAME_BANK_PATTERN = re.compile("|".join(re.escape(key) for key, _ in _NAME_BANKS))
_NAME_BANK_OF = dict(_NAME_BANKS)


def bank_in_name(name: str) -> str | None:
    """The partner bank an outlet's name names by a word that says bank, or None.

    Examples
    --------
    >>> bank_in_name("中国建设银行太原兴业路支行"), bank_in_name("兴业路支行")
    ('中国建设银行', None)
    """
    found = _NAME_BANK_PATTERN.search(unicodedata.normalize("NFKC", name))
    return _NAME_BANK_OF[found.group(0)] if found else None


class Cells:
    """A row's cells by field (``name``, ``lon``, ...): a view of the row's list, not a copy.

    ``where`` (field → position) is shared by every row of a file, so a row costs one small
    object here instead of a dict of a dozen entries. A field the file has but the row's
    line is too short for reads as ``""``.
    """

    __slots__ = ("_cells", "_where")

    def __init__(self, cells: list[str], where: dict[str, int]) -> None:
        self._cells, self._where = cells, where

    def get(self, field: str, default: str = "") -> str:
        """The cell of ``field``, or ``default`` when the file has no column for it."""
        position = self._where.get(field)
        if position is None:
            return default
        try:
            return self._cells[position]
        except IndexError:  # a short line
            return ""

    def __getitem__(self, field: str) -> str:
        position = self._where[field]
        return self._cells[position] if position < len(self._cells) else ""

    def __contains__(self, field: object) -> bool:
        return field in self._where


@dataclass(slots=True)
class Row:
    """One data row: its cells by column and by field, what was made of them, its problems.

    ``names`` (the column names, shared by every row) and ``cells`` are the row as read;
    ``original`` pairs them up only when asked (for the report), which keeps 200,000 rows small.
    """

    number: int
    names: list[str]
    cells: list[str]
    cell: Cells
    extra: dict[str, str]
    columns: dict[str, str]  # field -> the file's column name
    problems: list[dict[str, Any]] | None = None  # a list from the first problem on
    rejected: bool = False
    pair: tuple[float, float] | None = None
    lon: float = float("nan")
    lat: float = float("nan")
    precision: str = "exact"
    kind: str = "government"
    bank: str | None = None
    services: list[str] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)
    declared: str | None = None
    adcode: str | None = None
    hours: str | None = None  # the hours text as given
    opening_hours: str | None = None  # structured (locator.hours), None: unknown

    @property
    def original(self) -> dict[str, str]:
        """The row's cells by column name (extra cells as ``column N``)."""
        names = self.names + [f"column {i}" for i in range(len(self.names) + 1, len(self.cells) + 1)]  # fmt: skip
        cells = self.cells + [""] * (len(names) - len(self.cells))
        return dict(zip(names, cells, strict=True))

    def _add(self, level: str, reason: str, where: str, message: str, value: str | None) -> None:
        if where == _COORDINATES:
            names = [self.columns[f] for f in ("lonlat", "lon", "lat") if f in self.columns]
            column = "/".join(names) or "geometry"
            original = self.original
            cells = [original[n] for n in names]
            value = value if value is not None else " / ".join(cells) if any(cells) else ""
        else:
            column = self.columns.get(where, "")
            value = value if value is not None else self.cell.get(where, "")
        if value and value not in message:  # every message names the cell it is about
            message = f"{column} {value!r}: {message}" if column else f"{value!r}: {message}"
        if self.problems is None:
            self.problems = []
        self.problems.append(
            {"level": level, "reason": reason, "column": column, "value": value, "message": message}
        )

    def error(self, reason: str, where: str, message: str, value: str | None = None) -> None:
        """Reject the row for ``reason``; ``where`` is the field concerned."""
        self._add("error", reason, where, message, value)
        self.rejected = True

    def warn(self, reason: str, where: str, message: str, value: str | None = None) -> None:
        """Keep the row, and report ``reason``."""
        self._add("warning", reason, where, message, value)


@functools.lru_cache(maxsize=1024)  # the kind column repeats a few words on every row
def _kind_of(text: str) -> str | None | ValueError:
    try:
        return parse_kind(text)
    except ValueError as error:
        return error


@functools.lru_cache(maxsize=4096)  # so does the bank column
def _bank_of(text: str) -> str | UnknownBankError:
    try:
        return normalize_bank(text)
    except UnknownBankError as error:
        simplified = to_simplified(text)  # 中國工商銀行 from a traditional-Chinese export
        if simplified == text:
            return error
        try:
            return normalize_bank(simplified)
        except UnknownBankError:
            return error


@functools.lru_cache(maxsize=1024)
def _flag_of(text: str) -> bool | None | ValueError:
    try:
        return parse_flag(text)
    except ValueError as error:
        return error


@functools.lru_cache(maxsize=256)  # a few counts repeat on every row
def _capacity_of(text: str) -> int | None | ValueError:
    try:
        return parse_capacity(text)
    except ValueError as error:
        return error


# One dict per combination, shared by the rows (read only): 200,000 rows, four dicts.
_FLAGS = {(a, b): {"instant_issue": a, "transit_topup": b} for a in (False, True) for b in (False, True)}  # fmt: skip


@functools.lru_cache(maxsize=16)
def _default_services(kind: str, instant_issue: bool, transit_topup: bool) -> tuple[str, ...]:
    return tuple(default_services(kind, instant_issue=instant_issue, transit_topup=transit_topup))


def _is_blank(text: str) -> bool:
    if len(text) > 12 and not text[:1].isspace():
        return False  # no placeholder is this long (a fast path for the names)
    return _is_placeholder(text)


@functools.lru_cache(maxsize=4096)  # short cells (bank, county) repeat on every row
def _is_placeholder(text: str) -> bool:
    return unicodedata.normalize("NFKC", text).strip().casefold() in _PLACEHOLDERS


def _read_pair(row: Row, point: tuple[float, float] | str | None) -> bool:
    """Set ``row.pair`` from the geometry or the columns; False when they are not degrees."""
    cell = row.cell
    try:
        if isinstance(point, str):
            raise ValueError(point)
        if point is not None:
            row.pair = point
        elif "lonlat" in cell:
            row.pair = parse_pair(cell["lonlat"])
        elif "lon" in cell:
            lon, lat = parse_degrees(cell["lon"]), parse_degrees(cell["lat"])
            row.pair = None if lon is None or lat is None else (lon, lat)
    except ValueError:
        value = point if isinstance(point, str) else None
        row.error("bad_coordinates", _COORDINATES, "not decimal degrees (e.g. 112.55, or 112.55,37.87 in one column)", value)  # fmt: skip
        return False
    if row.pair == (0.0, 0.0):
        row.pair = None  # a common placeholder for "unknown"
    return True


def _read_bank(row: Row, name: str) -> bool:
    """Set ``row.bank`` and ``row.kind``; False when a bank outlet has no partner bank."""
    cell = row.cell
    bank_text = "" if _is_blank(cell.get("bank", "")) else cell["bank"]
    kind = _kind_of(cell.get("kind", ""))
    if isinstance(kind, ValueError):
        kind = None
        row.warn("unknown_kind", "kind", "names neither kind (人社/government, 银行/bank); inferred from the bank and the name")  # fmt: skip
    if kind == "government" and bank_text:
        row.extra[row.columns["bank"]] = bank_text  # a hall's bank column is kept, not used
    elif bank_text:
        bank = _bank_of(bank_text)
        if isinstance(bank, UnknownBankError):
            row.error("unknown_bank", "bank", str(bank))
            return False
        row.bank = bank
    if kind is None and row.bank is None:
        by_name = kind_from_name(name)
        if by_name == "government":
            kind = by_name
        else:
            bank = _bank_of(name)
            if not isinstance(bank, UnknownBankError):
                row.bank = bank
            elif by_name is None:
                kind = "government"
                row.warn("unknown_kind", "name", "neither kind nor bank is given and the name does not tell: taken as a government card service outlet")  # fmt: skip
    if kind != "government" and row.bank is None:
        bank = _bank_of(name)
        if not isinstance(bank, UnknownBankError):
            row.bank = bank
        else:
            row.error("unknown_bank", "bank" if "bank" in row.columns else "name", "a bank outlet needs one of the 16 partner banks (see `locator banks`): none is given, and the name names none")  # fmt: skip
            return False
    if row.bank is None:
        row.kind = "government"
    else:
        row.kind = "branch" if kind == "branch" else "bank"
    return True


def _read_given_bank(row: Row, name: str, given: Given) -> bool:
    """Set ``row.kind`` and ``row.bank`` as ``given`` says; False when the row contradicts it."""
    cell = row.cell
    bank_text = "" if _is_blank(cell.get("bank", "")) else cell["bank"]
    row.kind = given.kind or "government"
    if row.kind == "government":
        if bank_text:
            row.extra[row.columns["bank"]] = bank_text  # a hall's bank column is kept, not used
        return True
    if bank_text:
        bank = _bank_of(bank_text)
        if isinstance(bank, UnknownBankError):
            row.error("unknown_bank", "bank", str(bank))
            return False
        if given.bank is not None and bank != given.bank:
            row.error("other_bank", "bank", f"names {bank}, but this is a list of {given.bank} outlets (bank={given.bank!r}); import that bank's rows with its own list")  # fmt: skip
            return False
        row.bank = bank
    elif given.bank is not None:
        row.bank = given.bank
    else:
        bank = _bank_of(name)
        if isinstance(bank, UnknownBankError):
            row.error("unknown_bank", "bank" if "bank" in row.columns else "name", f"a {row.kind} outlet needs one of the 16 partner banks (see `locator banks`): none is given, and the name names none; give the bank (bank=...) when the whole list is one bank's")  # fmt: skip
            return False
        row.bank = bank
    return True


def _check_name_bank(row: Row, name: str) -> None:
    """Reject a row of one bank's list whose name names another partner bank."""
    named = bank_in_name(name)
    if named is not None and named != row.bank:
        row.error("other_bank", "name", f"the name names {named}, but this is a list of {row.bank} outlets (bank={row.bank!r}); import that bank's rows with its own list")  # fmt: skip


def _read_services(row: Row) -> None:
    """Set ``row.flags`` and ``row.services`` (the routing table's defaults when none given)."""
    cell = row.cell
    codes, unknown = parse_services(cell.get("services", ""))
    flags = []
    for flag in ("instant_issue", "transit_topup"):
        value = _flag_of(cell.get(flag, ""))
        if isinstance(value, ValueError):
            value = False
            row.warn("bad_flag", flag, "is neither yes nor no (是/否, 1/0); taken as no")
        flags.append(value if value is not None else flag in codes)
    if row.kind == "branch":
        codes = _branch_only(row, codes, flags)
        flags = [False, False]
    row.flags = _FLAGS[flags[0], flags[1]]
    default = list(_default_services(row.kind, *flags))
    if unknown:
        kept = ", ".join(codes) or f"none known, so a {row.kind} outlet's defaults ({', '.join(default)})"  # fmt: skip
        row.warn("unknown_task", "services", f"unknown task name(s) {', '.join(map(repr, unknown))} (see `locator tasks`); kept: {kept}")  # fmt: skip
    row.services = codes or default


def _branch_only(row: Row, codes: list[str], flags: list[bool]) -> list[str]:
    """An ordinary branch's tasks: the own-bank ones; the others are reported and dropped.

    A branch that listed ``apply`` or said yes to instant issue or transit top-up would be
    found by searches only one-stop outlets answer, and counted in figures that count those.
    """
    kept = [c for c in codes if "branch" in TASKS[c].kinds]
    dropped = [c for c in codes if c not in kept]
    dropped += [f for f, on in zip(("instant_issue", "transit_topup"), flags, strict=True) if on and f not in dropped]  # fmt: skip
    if dropped:
        row.warn("branch_services", "services", f"an ordinary branch (kind branch) does the card's own-bank tasks only; dropped: {', '.join(dropped)}; import the list with kind='bank' if these are one-stop outlets", ", ".join(dropped))  # fmt: skip
    return kept


#: The fields whose cells alone decide a row's kind, bank, flags, services and county
#: when its name does not enter (see `_name_free`): the key of `RowMemo`.
_MEMO_FIELDS = ("bank", "kind", "services", "instant_issue", "transit_topup", "county", "city")

#: What rows with the same `_MEMO_FIELDS` cells and no problems share: kind, bank, flags,
#: services, declared county.
RowMemo = dict[tuple[str, ...], tuple[str, str | None, dict[str, bool], tuple[str, ...], str | None]]  # fmt: skip


def _name_free(row: Row, given: Given) -> bool:
    """Whether the row's kind and bank follow from its kind and bank cells, not its name.

    A government hall's bank cell moves to ``extra`` (a change to the row itself), so such a
    row is read in full every time. With a ``given`` bank, the name is checked on every row
    anyway (`_check_name_bank`), after the memo.
    """
    bank_text = row.cell.get("bank", "")
    if given.kind is not None:
        if given.kind == "government":
            return _is_blank(bank_text)
        return given.bank is not None or not _is_blank(bank_text)
    kind = _kind_of(row.cell.get("kind", ""))
    if _is_blank(bank_text):
        return kind == "government"
    return kind in ("bank", "branch") and isinstance(_bank_of(bank_text), str)


def _read_county(row: Row, matcher: CountyMatcher) -> None:
    """Set ``row.declared`` from the county column (its city column says which 城区)."""
    county_text = row.cell.get("county", "")
    if _is_blank(county_text):
        return
    text, city = to_simplified(county_text), to_simplified(row.cell.get("city", ""))
    row.declared = matcher.match(text, city=city)
    if row.declared is not None:
        return
    candidates = matcher.candidates(text, city=city)
    if len(candidates) > 1:
        named = ", ".join(f"{matcher.cities[a]}{matcher.names[a]} ({a})" for a in candidates)
        row.warn("unknown_county", "county", f"{row.columns['county']} {county_text!r}: may be any of {named}; give the city in a city column (地市) or write it with the county (晋城市城区); the county the point lies in is used")  # fmt: skip
    else:
        row.warn("unknown_county", "county", "is none of Shanxi's 117 county-level divisions; the county the point lies in is used")  # fmt: skip


def memo_keys(body: list[tuple[int, list[str]]], where: dict[str, int]) -> list[tuple[str, ...]]:
    """Each row's `RowMemo` key: its cells of `_MEMO_FIELDS`, read column by column."""
    columns = []
    for field_name in _MEMO_FIELDS:
        at = where.get(field_name)
        if at is None:
            columns.append([""] * len(body))
        else:
            columns.append([cells[at] if len(cells) > at else "" for _, cells in body])
    return list(zip(*columns, strict=True))


def parse_row(
    row: Row,
    matcher: CountyMatcher,
    point: tuple[float, float] | str | None,
    memo: RowMemo,
    key: tuple[str, ...],
    given: Given,
) -> None:
    """Read one row's cells into values, adding its problems (the location is checked later).

    A registry repeats the same bank, kind, services, flags and county on thousands of rows:
    what a row without problems made of them is kept in ``memo`` and reused by the next row
    with the same cells (``key``, from `memo_keys`), so only names and coordinates are read
    row by row.
    """
    name = row.cell.get("name", "")
    if _is_blank(name):
        row.error("missing_name", "name", "no outlet name; every outlet needs one")
        return
    if not _read_pair(row, point):
        return
    known = memo.get(key)
    if known is not None:
        row.kind, row.bank, row.flags, services, row.declared = known
        row.services = list(services)
    else:
        if given.kind is None:
            if not _read_bank(row, name):
                return
        elif not _read_given_bank(row, name, given):
            return
        _read_services(row)
        _read_county(row, matcher)
        if not row.problems and _name_free(row, given):
            memo[key] = (row.kind, row.bank, row.flags, tuple(row.services), row.declared)
    if given.bank is not None:
        _check_name_bank(row, name)
    _read_capacity(row)
    _read_hours(row)


def _read_capacity(row: Row) -> None:
    """Reject the row when its capacity cell is neither blank nor a whole number above 0.

    The value is not kept on the row (a field more on 200,000 rows costs the import 3 MB
    at its peak): `row_capacity` reads the checked cell again, from a cache, when the
    outlets are built.
    """
    text = row.cell.get("capacity", "")
    if _is_blank(text):
        return
    if isinstance(_capacity_of(text), ValueError):
        defaults = ", ".join(f"{k} {v:g}" for k, v in settings.capacity_by_kind.items())
        # the cell named here: a value such as 0 or 3 is also in the text that follows
        where = f"{row.columns['capacity']} {text!r}"
        row.error("bad_capacity", "capacity", f"{where}: is not a whole number of service counters above 0: write the number of counters (窗口/柜台) in digits, e.g. 3, or leave the cell empty for the kind's default ({defaults}); a column that holds no count is kept as it is when mapped to extra")  # fmt: skip


def row_capacity(row: Row) -> float:
    """The service counters of an accepted row, or NaN when its cell is blank.

    NaN means the kind's default (`settings.capacity_by_kind`), applied when access is
    computed, so ``--capacity-default`` still sets it.
    """
    text = row.cell.get("capacity", "")
    value = None if _is_blank(text) else _capacity_of(text)
    return float(value) if isinstance(value, int) else math.nan


@functools.lru_cache(maxsize=4096)
def _structured_hours(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Structured hours of a cell: as given when valid, else converted from Chinese text."""
    try:
        return parse_hours(text).text, ()
    except HoursError:
        converted, problems = from_chinese(text)
        return converted, tuple(problems)


def _read_hours(row: Row) -> None:
    """``hours`` keeps the text; ``opening_hours`` is structured, or None with a warning."""
    given = row.cell.get("opening_hours", "").strip()
    text = row.cell.get("hours", "").strip()
    row.hours = text or given or None
    source = "opening_hours" if given else "hours"
    if not (given or text):
        return
    row.opening_hours, problems = _structured_hours(given or text)
    if row.opening_hours is None:
        row.warn("unparsed_hours", source, "could not be read as opening hours (e.g. 周一至周五 9:00-17:00, or Mo-Fr 09:00-17:00); the text is kept and the hours are unknown", given or text)  # fmt: skip
    elif problems:
        row.warn("unparsed_hours", source, f"read as {row.opening_hours!r} without {'、'.join(problems)}; the text is kept, check the hours", given or text)  # fmt: skip


def _convert(
    x: FloatArray, y: FloatArray, crs: str, counties: gpd.GeoDataFrame
) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:  # fmt: skip
    """WGS-84 lon, lat of (x, y) in ``crs``; whether in Shanxi; whether within ~1 km of it."""
    valid = np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    lon, lat = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    inside, near = np.zeros(x.shape, bool), np.zeros(x.shape, bool)
    if valid.any():
        lon[valid], lat[valid] = to_wgs84(x[valid], y[valid], crs)
        inside[valid] = in_shanxi(lon[valid], lat[valid], counties=counties)
        out = valid & ~inside  # the distance to the outline is the slow part: only where needed
        if out.any():
            points = shapely.points(lon[out], lat[out])
            near[out] = shapely.dwithin(province_outline(counties), points, _BORDER_DEG)
    return lon, lat, inside, near


def _place(rows: list[Row], crs: str, counties: gpd.GeoDataFrame) -> None:
    """Convert the points to WGS-84, unswap them, reject those outside the province."""
    placed = [r for r in rows if not r.rejected and r.pair is not None]
    a = np.array([r.pair[0] for r in placed if r.pair is not None], dtype=float)
    b = np.array([r.pair[1] for r in placed if r.pair is not None], dtype=float)
    lon, lat, inside, near = _convert(a, b, crs, counties)
    lon_s, lat_s, inside_s = np.full(a.shape, np.nan), np.full(a.shape, np.nan), np.zeros(a.shape, bool)  # fmt: skip
    far = ~(inside | near)  # only points outside the province are tried swapped
    if far.any():
        lon_s[far], lat_s[far], inside_s[far], _ = _convert(b[far], a[far], crs, counties)
    for i, row in enumerate(placed):
        text = f"({a[i]:g}, {b[i]:g})"
        if inside[i] or near[i]:
            row.lon, row.lat = float(lon[i]), float(lat[i])
            if not inside[i]:
                row.warn("outside_shanxi", _COORDINATES, f"{text} lies just outside the province outline (within about 1 km); kept, check it", text)  # fmt: skip
        elif inside_s[i]:
            row.lon, row.lat = float(lon_s[i]), float(lat_s[i])
            row.warn("swapped_coordinates", _COORDINATES, f"{text} had latitude and longitude swapped; read as ({b[i]:g}, {a[i]:g})", text)  # fmt: skip
        elif np.isfinite(lon[i]):
            row.error("outside_shanxi", _COORDINATES, f"{text} lies outside Shanxi (lon 110.2-114.6, lat 34.5-40.8), also with lat and lon swapped; is crs={crs} right?", text)  # fmt: skip
        else:
            row.error("bad_coordinates", _COORDINATES, f"{text} are not degrees (lon -180..180, lat -90..90); projected metres are not supported", text)  # fmt: skip


def _county_of(lon: FloatArray, lat: FloatArray, counties: gpd.GeoDataFrame) -> ObjectArray:
    """Adcode of the county each point lies in (None outside), as ``geography.county_of``.

    Each county's polygon is tested only on the points inside its bounding box, with the
    vectorized point test of a prepared polygon: for 200,000 points this takes a fraction of
    the spatial join's time. On a shared border the smaller adcode wins, as there.
    """
    located = np.full(lon.shape, None, dtype=object)
    adcodes = counties["adcode"].astype(str).to_numpy()
    polygons = counties.geometry.to_numpy()
    for i in np.argsort(adcodes)[::-1]:  # the smallest adcode is assigned last, so it wins
        x0, y0, x1, y1 = polygons[i].bounds
        box = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        if box.size:
            shapely.prepare(polygons[i])  # in place; a prepared geometry answers the same
            hit = shapely.intersects_xy(polygons[i], lon[box], lat[box])
            located[box[hit]] = adcodes[i]
    return located


def locate(rows: list[Row], crs: str, counties: gpd.GeoDataFrame, matcher: CountyMatcher) -> None:
    """Place every row: its point in WGS-84, or its county seat; then check the declared county."""
    _place(rows, crs, counties)
    for row in rows:
        if row.rejected or row.pair is not None:
            continue
        city = to_simplified(row.cell.get("city", ""))
        adcode = matcher.match(to_simplified(row.cell.get("county", "")), city=city)
        if adcode is None:
            adcode = matcher.match(to_simplified(row.cell.get("address", "")), city=city)
        if adcode is None:
            row.error("missing_coordinates", _COORDINATES, "no coordinates, and neither the address nor the county column names a Shanxi county")  # fmt: skip
            continue
        row.lon, row.lat = matcher.seats[adcode]
        row.precision, row.adcode = "county", adcode
        row.warn("missing_coordinates", _COORDINATES, f"no coordinates: placed at the seat of {matcher.names[adcode]} ({adcode}), precision 'county'; add the real coordinates")  # fmt: skip
    exact = [r for r in rows if not r.rejected and r.precision == "exact"]
    if not exact:
        return
    located = _county_of(
        np.array([r.lon for r in exact]), np.array([r.lat for r in exact]), counties
    )
    outside = np.flatnonzero([not isinstance(a, str) for a in located])
    if outside.size:  # just outside the outline (None or NaN): the nearest county
        points = shapely.points([exact[i].lon for i in outside], [exact[i].lat for i in outside])
        tree = shapely.STRtree(counties.geometry.to_numpy())
        which, nearest = tree.query_nearest(points, all_matches=False)
        located[outside[which]] = counties["adcode"].astype(str).to_numpy()[nearest]
    for row, adcode in zip(exact, located, strict=True):
        row.adcode = str(adcode)
        if row.declared is not None and row.declared != adcode:
            declared, found = matcher.names[row.declared], matcher.names[adcode]
            row.warn("county_mismatch", "county", f"declared {declared} ({row.declared}) but the point lies in {found} ({adcode}); the declared county is kept")  # fmt: skip


def fold_name(name: str) -> str:
    """A name as compared: NFKC (full-width to ASCII), no white space, case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


# The cube itself and half of its 26 neighbours: each touching pair of cubes is visited once.
_NEIGHBOURS = np.array([o for o in np.ndindex(3, 3, 3) if tuple(np.subtract(o, 1)) >= (0, 0, 0)]) - 1  # fmt: skip


def close_pairs(xyz: FloatArray, radius: float) -> list[tuple[int, int]]:
    """Every pair ``(i, j)``, ``i < j``, of points of ``xyz`` at most ``radius`` apart.

    Grid hashing: the points are binned in cubes of side ``radius``, so two points within
    ``radius`` lie in the same or in touching cubes; only those are compared. Costs a sort
    (no spatial-index library to import: scipy alone costs the command 0.4 s and 25 MB).

    Examples
    --------
    >>> close_pairs(np.array([[0.0, 0, 0], [0.5, 0, 0], [3, 0, 0], [0, 0.9, 0]]), 1.0)
    [(0, 1), (0, 3)]
    """
    if len(xyz) < 2:
        return []
    # cubes a little wider than the radius: two points exactly ``radius`` apart, the sum
    # rounded, must still lie in touching cubes (1.0 and -1e-38 fell in cubes 1 and -1)
    cube = np.floor(xyz / (radius * (1 + 1e-9))).astype(np.int64)
    cube -= cube.min(axis=0) - 1  # every coordinate >= 1, so a neighbour's is >= 0
    span = int(cube.max()) + 2
    if span**3 >= 2**62:  # on the Earth in metres and a 10 m radius, span**3 is about 2e18
        msg = f"close_pairs: radius {radius} too small for points that far apart"
        raise ValueError(msg)

    def key_of(c: IntArray) -> IntArray:
        return (c[:, 0] * span + c[:, 1]) * span + c[:, 2]

    order = np.argsort(key_of(cube), kind="stable")
    cells, first = np.unique(key_of(cube)[order], return_index=True)
    count = np.diff(np.append(first, len(order)))
    pairs: set[tuple[int, int]] = set()
    for offset in _NEIGHBOURS:
        target = key_of(cube[order[first]] + offset)
        at = np.minimum(np.searchsorted(cells, target), len(cells) - 1)
        a = np.flatnonzero(cells[at] == target)
        b = at[a]
        keep = (a != b) | (count[a] > 1)  # a cube of one point has no pair within itself
        for cell_a, cell_b in zip(a[keep].tolist(), b[keep].tolist(), strict=True):
            mine = order[first[cell_a] : first[cell_a] + count[cell_a]]
            theirs = order[first[cell_b] : first[cell_b] + count[cell_b]]
            squared = ((xyz[mine][:, None, :] - xyz[theirs][None, :, :]) ** 2).sum(axis=-1)
            for i, j in zip(*np.nonzero(squared <= radius * radius), strict=True):
                p, q = int(mine[i]), int(theirs[j])
                if p != q:
                    pairs.add((min(p, q), max(p, q)))
    return sorted(pairs)


def deduplicate(rows: list[Row]) -> None:
    """Reject the later of two rows with the same id, name and place (1 m), or bank (10 m)."""
    first_id: dict[str, Row] = {}
    for row in (r for r in rows if not r.rejected):
        outlet_id = row.cell.get("id", "").strip()
        if outlet_id in first_id:
            row.error("duplicate", "id", f"id {outlet_id!r} is already used by row {first_id[outlet_id].number}")  # fmt: skip
        elif outlet_id:
            first_id[outlet_id] = row
    kept = [r for r in rows if not r.rejected]
    if len(kept) < 2:
        return
    radius_m = settings.earth_radius_km * 1000.0
    xyz = unit_vectors([r.lon for r in kept], [r.lat for r in kept]) * radius_m
    # Chords are shorter than arcs, so every pair within 10 m is among these.
    for i, j in sorted(close_pairs(xyz, SAME_BANK_M * 1.001), key=lambda p: (p[1], p[0])):
        first, later = kept[i], kept[j]
        if first.rejected or later.rejected:
            continue
        metres = float(haversine_km(first.lon, first.lat, later.lon, later.lat)) * 1000.0
        if fold_name(first.cell["name"]) == fold_name(later.cell["name"]) and metres <= SAME_PLACE_M:  # fmt: skip
            why = f"same name and place as row {first.number} ({metres:.1f} m apart)"
        elif (
            first.bank is not None and first.bank == later.bank and metres <= SAME_BANK_M
            and first.precision == later.precision == "exact"
        ):  # fmt: skip
            why = f"a {later.bank} outlet {metres:.1f} m from row {first.number} ({first.cell['name']})"
        else:
            continue
        later.error("duplicate", "name", f"{why}; the later row is rejected")
