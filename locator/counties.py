"""The county layer: loading, order, lookup by code or name, point-in-county, the outline.

The 117 county-level divisions of Shanxi (区, 县, 县级市) are the unit of every rule and
figure. A county layer is a GeoDataFrame with the :data:`COUNTY_COLUMNS`, one row per
6-digit ``adcode``, in ascending adcode order (the canonical order: tables, grids and
reports follow it). `load_counties` reads and checks one; `locator.datasets.counties`
gives the shipped one.

Examples
--------
>>> from locator import datasets
>>> counties = datasets.counties()
>>> in_shanxi([112.55, 116.40], [37.87, 39.90], counties=counties).tolist()  # Taiyuan, Beijing
[True, False]
>>> county_of([112.55], [37.87], counties=counties).tolist()
['140107']
>>> county_names(counties)["140105"], city_names(counties)["140105"]
('小店区', '太原市')
>>> CountyMatcher(counties).candidates("城区")  # two cities have one
['140302', '140502']
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from locator._errors import DataFileError, ValidationError
from locator._typing import BoolArray
from locator._validate import check_columns, check_lonlat_arrays, check_path

__all__ = [
    "COUNTY_COLUMNS",
    "SHANXI_BOUNDS",
    "SHANXI_EQUAL_AREA",
    "CountyMatcher",
    "check_counties",
    "city_names",
    "county_names",
    "county_of",
    "fingerprint",
    "in_adcode_order",
    "in_shanxi",
    "load_counties",
    "province_outline",
]

COUNTY_COLUMNS: tuple[str, ...] = (
    "adcode",
    "name",
    "city",
    "city_adcode",
    "population",
    "urban_population",
    "rural_population",
    "population_65plus",
    "seat_lon",
    "seat_lat",
)

# Albers equal-area fitted to Shanxi (standard parallels at 1/6 and 5/6 of its span).
SHANXI_EQUAL_AREA = (
    "+proj=aea +lat_1=35.5 +lat_2=39.8 +lat_0=37.6 +lon_0=112.3 +datum=WGS84 +units=m +no_defs"
)
SHANXI_BOUNDS: tuple[float, float, float, float] = (110.2, 34.5, 114.6, 40.8)

# Codes retired in 2018-2020 and the county-level division that took each over.
_OLD_ADCODES = {"140202": "140213", "140211": "140214", "140227": "140215", "140402": "140403",
                "140421": "140404", "140424": "140405", "140481": "140406", "140624": "140681",
                "140726": "140703"}  # fmt: skip
# Names that mean nothing without their city: every city has (or had) a 城区 or a 郊区.
_GENERIC = frozenset({"城区", "郊区", "矿区"})
_NUMBERS = ("population", "urban_population", "rural_population", "population_65plus")


# ----------------------------------------------------------------------------- loading
def load_counties(path: Path | str) -> gpd.GeoDataFrame:
    """Read and check a county layer; the result is in WGS-84 and adcode order.

    Parameters
    ----------
    path : path-like
        A vector file (GeoJSON, GeoPackage, ...) with the :data:`COUNTY_COLUMNS`;
        ``locator.datasets.get_path("counties")`` is the shipped one.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per county, ``adcode`` and ``city_adcode`` as text.

    Raises
    ------
    DataFileError
        When the file is missing or unreadable, lacks a column of :data:`COUNTY_COLUMNS`,
        or a county has a bad population, seat or polygon (see `check_counties`).

    Examples
    --------
    >>> from locator import datasets
    >>> counties = load_counties(datasets.get_path("counties"))
    >>> len(counties), int(counties["population"].sum())
    (117, 34915616)
    """
    path = check_path(path, "path")
    if not path.exists():
        msg = f"{path}: no such file; give the path of a county GeoJSON"
        raise DataFileError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder; give the path of a county GeoJSON"
        raise DataFileError(msg)
    try:
        counties = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        problem = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        msg = f"{path}: cannot be read as a vector file ({problem})"
        raise DataFileError(msg) from None
    check_counties(counties, str(path))
    counties["adcode"] = counties["adcode"].astype(str)
    counties["city_adcode"] = counties["city_adcode"].astype(str)
    if counties.crs is None:
        counties = counties.set_crs("EPSG:4326")
    elif counties.crs.to_epsg() != 4326:
        counties = counties.to_crs("EPSG:4326")
    return counties.sort_values("adcode").reset_index(drop=True)


def _plain(value: Any) -> Any:
    """A cell value as the user wrote it: ``-5``, not ``np.int32(-5)``."""
    return value.item() if isinstance(value, np.generic) else value


def _in_range(
    counties: gpd.GeoDataFrame, source: str, column: str, limit: float
) -> npt.NDArray[np.float64]:
    """A numeric column, checked: finite, and within ±limit (residents: 0..limit)."""
    number = pd.to_numeric(counties[column], errors="coerce").to_numpy(dtype=np.float64)
    low, what = (
        (0.0, "a number of residents (0 or more)")
        if column in _NUMBERS
        else (-limit, "a coordinate in decimal degrees")
    )
    wrong = ~(np.isfinite(number) & (number >= low) & (number <= limit))
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        msg = (
            f"{source}: county {counties['adcode'].astype(str).iloc[i]}, column {column!r}: "
            f"{_plain(counties[column].iloc[i])!r} is not {what}"
        )
        raise DataFileError(msg)
    return number


def _check_numbers(counties: gpd.GeoDataFrame, source: str, columns: Sequence[str]) -> None:
    values = {c: _in_range(counties, source, c, np.inf) for c in _NUMBERS if c in columns}
    if "population" in values and "population_65plus" in values:
        above = values["population_65plus"] > values["population"]
        if above.any():
            i = int(np.flatnonzero(above)[0])
            msg = (
                f"{source}: county {counties['adcode'].astype(str).iloc[i]}: population_65plus "
                f"{values['population_65plus'][i]:g} is larger than population "
                f"{values['population'][i]:g}; the 65+ are part of all residents"
            )
            raise DataFileError(msg)
    for column, limit in (("seat_lon", 180.0), ("seat_lat", 90.0)):
        if column in columns:
            _in_range(counties, source, column, limit)


def check_counties(
    counties: gpd.GeoDataFrame, source: str, columns: Sequence[str] = COUNTY_COLUMNS
) -> None:
    """Check a county layer: the ``columns``, one row per adcode, residents, seats, polygons.

    Every count of residents must be a number of at least 0, those aged 65+ no more than
    all residents, each seat a coordinate, each geometry a polygon. The message names
    ``source``, the county (adcode) and the column.

    Raises
    ------
    ValidationError
        When ``counties`` is not a GeoDataFrame.
    DataFileError
        On the first problem found.
    """
    if not isinstance(counties, gpd.GeoDataFrame):
        msg = (
            f"{source} is a {type(counties).__name__}, not a GeoDataFrame: give "
            "locator.datasets.counties() or load_counties(path)"
        )
        raise ValidationError(msg)
    if len(counties) == 0:
        msg = f"{source}: no counties in it (0 features); give a county layer with polygons"
        raise DataFileError(msg)
    check_columns(counties.columns, columns, source)
    adcodes = counties["adcode"].astype(str)
    twice = adcodes.duplicated()
    if twice.any():
        msg = f"{source}: county {adcodes[twice].iloc[0]} appears more than once; keep one row per adcode"
        raise DataFileError(msg)
    geometry = counties.geometry
    bad = (geometry.isna() | ~geometry.geom_type.isin(["Polygon", "MultiPolygon"])).to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        kind = geometry.iloc[i].geom_type if geometry.iloc[i] is not None else "no geometry"
        msg = f"{source}: county {adcodes.iloc[i]}: geometry is {kind}, not a polygon; every county needs its boundary"
        raise DataFileError(msg)
    _check_numbers(counties, source, columns)


# ----------------------------------------------------------------------------- order, codes
def in_adcode_order(counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in ascending adcode order (the same frame when it already is).

    Examples
    --------
    >>> from locator import datasets
    >>> counties = datasets.counties()
    >>> in_adcode_order(counties) is counties
    True
    >>> in_adcode_order(counties.iloc[::-1])["adcode"].iloc[0]
    '140105'
    """
    if counties["adcode"].astype(str).is_monotonic_increasing:
        return counties
    return counties.sort_values("adcode", key=lambda codes: codes.astype(str))


def county_names(counties: gpd.GeoDataFrame) -> dict[str, str]:
    """Each county's name by adcode (text), in the layer's order.

    Examples
    --------
    >>> from locator import datasets
    >>> county_names(datasets.counties())["140107"]
    '杏花岭区'
    """
    return dict(zip(counties["adcode"].astype(str), counties["name"].astype(str), strict=True))


def city_names(counties: gpd.GeoDataFrame) -> dict[str, str]:
    """The name of each county's prefecture-level city, by county adcode.

    Examples
    --------
    >>> from locator import datasets
    >>> city_names(datasets.counties())["140502"]
    '晋城市'
    """
    return dict(zip(counties["adcode"].astype(str), counties["city"].astype(str), strict=True))


def fingerprint(counties: gpd.GeoDataFrame) -> str:
    """A digest of the layer's adcodes, numbers and polygons: equal layers, equal digests.

    Caches of what is derived from a layer (its outline, a demand grid) key on it, so a
    changed layer never gets an answer computed for another one.

    Examples
    --------
    >>> from locator import datasets
    >>> fingerprint(datasets.counties()) == fingerprint(datasets.counties())
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    if "adcode" in counties.columns:
        digest.update("\x1f".join(counties["adcode"].astype(str)).encode())
    for column in (*_NUMBERS, "seat_lon", "seat_lat"):
        if column in counties.columns:
            number = pd.to_numeric(counties[column], errors="coerce")
            digest.update(column.encode() + number.to_numpy(np.float64, na_value=np.nan).tobytes())
    for wkb in shapely.to_wkb(counties.geometry.to_numpy()):
        digest.update(b"" if wkb is None else wkb)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- where
# Outlines of the last few layers (the shipped one, an uploaded one), by fingerprint.
_OUTLINES: OrderedDict[str, BaseGeometry] = OrderedDict()
_OUTLINES_LOCK = threading.Lock()  # the app's sessions run in threads


def province_outline(counties: gpd.GeoDataFrame) -> BaseGeometry:
    """The union of the county polygons (prepared; computed once per distinct layer)."""
    key = fingerprint(counties)
    with _OUTLINES_LOCK:
        outline = _OUTLINES.get(key)
    if outline is None:
        outline = shapely.union_all(counties.geometry.to_numpy())
        shapely.prepare(outline)
        with _OUTLINES_LOCK:
            _OUTLINES[key] = outline
            while len(_OUTLINES) > 4:
                _OUTLINES.popitem(last=False)
    return outline


def in_shanxi(lon: npt.ArrayLike, lat: npt.ArrayLike, *, counties: gpd.GeoDataFrame) -> BoolArray:
    """Whether each point (WGS-84 degrees) lies inside the province, i.e. in some county.

    Examples
    --------
    >>> from locator import datasets
    >>> in_shanxi([112.55], [37.87], counties=datasets.counties()).tolist()
    [True]
    """
    lon_a, lat_a = check_lonlat_arrays(lon, lat)
    return np.asarray(shapely.contains_xy(province_outline(counties), lon_a, lat_a))


def county_of(lon: npt.ArrayLike, lat: npt.ArrayLike, *, counties: gpd.GeoDataFrame) -> pd.Series:
    """The adcode of the county each point lies in (None outside every county).

    Points on a shared border go to the county with the smaller adcode, so every
    point has exactly one answer.

    Examples
    --------
    >>> from locator import datasets
    >>> county_of([112.55, 116.40], [37.87, 39.90], counties=datasets.counties()).tolist()
    ['140107', None]
    """
    lon_a, lat_a = check_lonlat_arrays(lon, lat)
    points = gpd.GeoDataFrame(geometry=shapely.points(lon_a, lat_a), crs="EPSG:4326")
    joined = gpd.sjoin(points, counties[["adcode", "geometry"]], how="left", predicate="intersects")
    first = joined.sort_values("adcode").groupby(level=0)["adcode"].first().dropna()
    values = np.full(lon_a.size, None, dtype=object)
    values[first.index.to_numpy()] = first.to_numpy(dtype=object)
    return pd.Series(values, dtype=object)


# ----------------------------------------------------------------------------- names
def _normalize(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


class CountyMatcher:
    """Find the county a text names: 小店区, 小店, 太原市小店区振兴街110号, 140105.

    One matcher for the importer (a county or address cell) and the gazetteer (a typed
    place). A text names a county by its full name, or by its name without the suffix
    区/县/市 when no other county shares that short form; the earliest mention wins, the
    longer name on a tie. A 6-digit adcode (or a 12-digit one) names its county; a code
    retired in 2018-2020 names the county that took it over.

    Names shared by several cities, or that mean nothing without their city (城区, 郊区,
    矿区), need the city: in the text (晋城城区, 阳泉市城区) or in ``city``. Without it,
    `candidates` lists every county of that name and `match` answers None.

    Text is NFKC-normalized (full-width forms, spaces); traditional characters are not
    simplified here (the importer does that for the whole cell first).

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        A county layer (``adcode``, ``name``, ``city``, ``seat_lon``, ``seat_lat``).

    Attributes
    ----------
    adcodes : set of str
        The layer's adcodes.
    names, cities : dict of str to str
        County name and city name by adcode.
    seats : dict of str to (float, float)
        The county seat (lon, lat) by adcode.

    Examples
    --------
    >>> from locator import datasets
    >>> matcher = CountyMatcher(datasets.counties())
    >>> matcher.match("太原市小店区振兴街110号"), matcher.match("小店")
    ('140105', '140105')
    >>> matcher.match("城区"), matcher.candidates("城区")
    (None, ['140302', '140502'])
    >>> matcher.match("城区", city="晋城市"), matcher.match("阳泉市城区")
    ('140502', '140302')
    """

    def __init__(self, counties: gpd.GeoDataFrame) -> None:
        self.names = county_names(counties)
        self.cities = city_names(counties)
        self.adcodes = set(self.names)
        self.seats = {
            a: (float(x), float(y))
            for a, x, y in zip(self.names, counties["seat_lon"], counties["seat_lat"], strict=True)
        }
        # Cities by their short form (太原市 → 太原): how texts and city columns name them.
        self._city_short = {a: _short_city(c) for a, c in self.cities.items()}
        self._all_cities = set(self._city_short.values())
        short_counts: dict[str, int] = {}
        for name in self.names.values():
            short_counts[_short(name)] = short_counts.get(_short(name), 0) + 1
        full_counts = pd.Series(list(self.names.values())).value_counts().to_dict()
        keys: list[tuple[str, str]] = []
        for adcode, name in self.names.items():
            keys.append((_normalize(name), adcode))
            short = _short(name)
            if len(short) >= 2 and short_counts[short] == 1 and name not in _GENERIC:
                keys.append((_normalize(short), adcode))
        self._keys = sorted(keys, key=lambda kv: -len(kv[0]))
        self._needs_city = {a for a, n in self.names.items() if n in _GENERIC or full_counts[n] > 1}
        self._cache: dict[tuple[str, str], tuple[list[str], bool]] = {}

    def candidates(self, text: str, *, city: str = "") -> list[str]:
        """Every county ``text`` may name, in adcode order.

        One adcode when the text is clear; several for a name shared by cities when
        neither the text nor ``city`` says which; none when it names no county (or
        ``city`` names another city).
        """
        return list(self._lookup(text, city)[0])

    def match(self, text: str, *, city: str = "") -> str | None:
        """The adcode of the one county ``text`` names, or None (none, or not clear which)."""
        found, clear = self._lookup(text, city)
        return found[0] if clear and len(found) == 1 else None

    def _lookup(self, text: str, city: str) -> tuple[list[str], bool]:
        key = (str(text), str(city))
        if key not in self._cache:  # a registry names the same counties on many rows
            if len(self._cache) > 100_000:
                self._cache.clear()
            self._cache[key] = self._find(_normalize(text), _normalize(city))
        return self._cache[key]

    def _find(self, value: str, city: str) -> tuple[list[str], bool]:
        """The best candidates, and whether they are clear (not a shared name, city unsaid)."""
        if not value:
            return [], False
        digits = re.sub(r"\D", "", value)
        if re.fullmatch(r"\d{6}(\d{6})?", value) and (
            digits[:6] in self.adcodes or digits[:6] in _OLD_ADCODES
        ):
            return [_OLD_ADCODES.get(digits[:6], digits[:6])], True
        context = f"{value} {city}"
        city_named = any(c in city for c in self._all_cities)
        clear: list[tuple[int, int, str]] = []
        unclear: list[tuple[int, int, str]] = []
        for key, adcode in self._keys:
            at = value.find(key)
            if at < 0:
                continue
            if city_named and self._city_short[adcode] not in city:
                continue  # the city column names another city
            said = self._city_short[adcode] in context
            (clear if said or adcode not in self._needs_city else unclear).append(
                (at, -len(key), adcode)
            )
        found = clear or unclear
        if not found:
            return [], False
        best = min(found)[:2]
        return sorted(a for at, length, a in found if (at, length) == best), bool(clear)


def _short(name: str) -> str:
    """A county name without its suffix 区/县/市 (小店区 → 小店)."""
    return name[:-1] if name[-1:] in "县区市" else name


def _short_city(name: str) -> str:
    return name[:-1] if name.endswith("市") and len(name) > 2 else name
