"""What every map layer shares, and the county, gap and suggested-site layers.

Texts from data stay plain text here: tooltips are `card` specs that the page draws with
``textContent`` (see `locator.maps._leaflet`), so nothing is escaped and nothing can be
interpreted, whether as HTML, JavaScript or template source. Coordinates go in
as WGS-84 and are drawn as `shift` makes them: GCJ-02 on GCJ-02 tiles (Amap), so overlays
line up with the streets, and rounded to 5 decimals (about 1 m) to keep the page small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from locator.counties import SHANXI_BOUNDS
from locator.crs import wgs84_to_gcj02
from locator.maps import _assets
from locator.maps._gap_shapes import merge_gaps
from locator.maps._leaflet import Features, Style, card

__all__ = [
    "COLORS",
    "TEXT",
    "TileSource",
    "county_layer",
    "dot_style",
    "feature",
    "fit",
    "fmt",
    "gap_features",
    "is_missing",
    "new_map",
    "point",
    "shift",
    "suggestion_features",
    "text",
    "to_wgs84",
]


@dataclass(frozen=True)
class TileSource:
    """A tile layer: URL template, attribution (HTML), name per language, datum."""

    url: str
    attribution: str
    name: dict[str, str]
    subdomains: str = "abc"
    max_zoom: int = 19
    gcj02: bool = False


# Map overlays are drawn with coordinates rounded to 5 decimals (about 1 m), and county
# outlines simplified as a coverage (shared borders stay shared) with this tolerance in
# degrees (about the side of the largest triangle removed, ~200 m): the whole province then
# takes about 0.5 MB of the page.
_DECIMALS = 5
_SIMPLIFY_DEG = 0.002

COLORS = {
    "government": "#1565c0",
    "bank": "#ef6c00",
    "other": "#616161",
    "you": "#d32f2f",
    "route": "#d32f2f",
    "county": "#455a64",
    "gap": "#8e24aa",
    "suggestion": "#2e7d32",
    "no_data": "#bdbdbd",
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "you": "您的位置",
        "distance": "距离",
        "km": "公里",
        "address": "地址",
        "phone": "电话",
        "hours": "营业时间",
        "bank": "银行",
        "navigate": "在高德地图中导航",
        "counties": "区县",
        "outlets": "网点",
        "routes": "到各网点的直线",
        "gaps": "服务空白区",
        "gap": "服务空白",
        "suggestions": "建议新增网点",
        "suggestion": "建议新增网点",
        "cluster": "网点群（数字为网点数）",
        "population": "人口",
        "people": "人",
        "no_data": "无数据",
        "yes": "是",
        "no": "否",
        "legend": "图例",
        "title": "山西省社保卡服务网点地图",
    },
    "en": {
        "you": "You are here",
        "distance": "Distance",
        "km": "km",
        "address": "Address",
        "phone": "Phone",
        "hours": "Hours",
        "bank": "Bank",
        "navigate": "Navigate in Amap",
        "counties": "Counties",
        "outlets": "Outlets",
        "routes": "Straight lines to the outlets",
        "gaps": "Gaps in service",
        "gap": "Gap in service",
        "suggestions": "Suggested new outlets",
        "suggestion": "Suggested new outlet",
        "cluster": "Group of outlets (number of outlets)",
        "population": "Population",
        "people": "",
        "no_data": "no data",
        "yes": "yes",
        "no": "no",
        "legend": "Legend",
        "title": "Shanxi social security card outlets",
    },
}


# --- text -------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, ``pd.NA`` or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def text(value: Any) -> str:
    """One value from data as plain text; missing values become the empty string."""
    return "" if is_missing(value) else str(value)


def fmt(value: Any, kind: str, lang: str) -> str:
    """A figure as plain text; ``kind`` as in `locator.maps.METRICS`."""
    if is_missing(value):
        return TEXT[lang]["no_data"]
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return TEXT[lang]["yes" if bool(value) else "no"]
    if kind == "share":
        return f"{float(value):.1%}"
    if kind in ("people", "count"):
        return f"{round(float(value)):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.2f}"
    return str(value)


# --- coordinates ------------------------------------------------------------------------------


def shift(
    lon: npt.ArrayLike, lat: npt.ArrayLike, source: TileSource | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Display coordinates: WGS-84, or GCJ-02 on GCJ-02 tiles; rounded for the page."""
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if source is not None and source.gcj02:
        lon_a, lat_a = (np.asarray(a, dtype=np.float64) for a in wgs84_to_gcj02(lon_a, lat_a))
    return np.round(lon_a, _DECIMALS), np.round(lat_a, _DECIMALS)


def _shift_geometry(geometry: npt.ArrayLike, source: TileSource | None) -> npt.NDArray[Any]:
    def move(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = shift(xy[:, 0], xy[:, 1], source)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(np.asarray(geometry, dtype=object), move))


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 (as it is when it has no CRS or already that one)."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        return frame.to_crs("EPSG:4326")
    return frame


# --- the map and its features -----------------------------------------------------------------


def new_map(source: TileSource | None, lang: str) -> folium.Map:
    """An empty map of Shanxi on ``source`` tiles (none: white), with the vendored Leaflet."""
    west, south, east, north = SHANXI_BOUNDS
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=7,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,  # SVG: every county and circle is a path a test can find
    )
    m.options["maxZoom"] = 18  # markercluster needs the map's, tiles or not
    m.default_js = [("leaflet", _assets.data_url(_assets.LEAFLET_JS))]
    m.default_css = [("leaflet_css", _assets.data_url(_assets.LEAFLET_CSS))]
    if source is not None:
        folium.TileLayer(
            tiles=source.url,
            attr=source.attribution,
            name=source.name[lang],
            subdomains=source.subdomains,
            max_zoom=source.max_zoom,
        ).add_to(m)
    Style(blank=source is None, colors=COLORS).add_to(m)
    return m


def fit(m: folium.Map, lats: Sequence[float], lons: Sequence[float]) -> None:
    """Fit the view to these points: the province when none, street level for one."""
    if len(lats) == 0:
        west, south, east, north = SHANXI_BOUNDS
        m.fit_bounds([[south, west], [north, east]])
    elif len(lats) == 1:
        m.location = [lats[0], lons[0]]
        m.options["zoom"] = 14
    else:
        # The legend sits in the lower right: keep the points clear of it.
        m.fit_bounds(
            [[min(lats), min(lons)], [max(lats), max(lons)]],
            padding_top_left=(30, 30),
            padding_bottom_right=(200, 120),
        )


def feature(
    geometry: Any,
    style: dict[str, Any],
    tip: dict[str, Any] | None = None,
    popup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A GeoJSON feature for `Features`; ``tip`` and ``popup`` are `card` specs (plain text)."""
    properties: dict[str, Any] = {"s": style}
    if tip:
        properties["t"] = tip
    if popup:
        properties["p"] = popup
    mapping = geometry if isinstance(geometry, dict) else shapely.geometry.mapping(geometry)
    return {"type": "Feature", "geometry": mapping, "properties": properties}


def point(lon: float, lat: float) -> dict[str, Any]:
    """A GeoJSON point (display coordinates)."""
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def dot_style(radius: float, color: str, *, weight: float, opacity: float) -> dict[str, Any]:
    """A filled circle marker with a white rim."""
    return {
        "radius": radius,
        "color": "#fff",
        "weight": weight,
        "fillColor": color,
        "fillOpacity": opacity,
    }


# --- layers built from data -------------------------------------------------------------------

_SHAPES: dict[tuple[int, str], tuple[gpd.GeoDataFrame, npt.NDArray[Any]]] = {}


def _county_shapes(counties: gpd.GeoDataFrame, source: TileSource | None) -> npt.NDArray[Any]:
    # Simplifying 117 outlines takes ~50 ms; the app redraws often, with a few county layers.
    key = (id(counties), "gcj02" if source is not None and source.gcj02 else "wgs84")
    cached = _SHAPES.get(key)
    if cached is None or cached[0] is not counties:
        geometry = to_wgs84(counties).geometry.to_numpy()
        simplified = shapely.coverage_simplify(geometry, _SIMPLIFY_DEG)
        shapes = _shift_geometry(simplified, source)
        if len(_SHAPES) >= 8:
            _SHAPES.pop(next(iter(_SHAPES)))
        cached = _SHAPES[key] = (counties, shapes)
    return cached[1]


def _county_tip(row: Any, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    name = text(getattr(row, "name", None))
    city = text(getattr(row, "city", None))
    return card(name, aside=city if city != name else None, rows=rows)


def county_layer(
    counties: gpd.GeoDataFrame,
    source: TileSource | None,
    lang: str,
    *,
    fill: Callable[[Any], tuple[dict[str, Any], list[tuple[str, str]]]] | None,
    name: str | None = None,
) -> Features:
    """County polygons; ``fill(row)`` gives each one's style and extra tooltip rows.

    Without ``fill``: outlines with a trace of fill, and the county's name as tooltip.
    """
    shapes = _county_shapes(counties, source)
    features = []
    for row, shape in zip(counties.itertuples(index=False), shapes, strict=True):
        if fill is None:
            style: dict[str, Any] = {"color": COLORS["county"], "weight": 1, "fillOpacity": 0.03}
            extra: list[tuple[str, str]] = []
        else:
            style, extra = fill(row)
        features.append(feature(shape, style, tip=_county_tip(row, extra)))
    return Features(features, name=name or TEXT[lang]["counties"])


def suggestion_features(
    suggestions: gpd.GeoDataFrame, source: TileSource | None, lang: str
) -> list[dict[str, Any]]:
    """Suggested sites as dots; the tooltip lists every column."""
    suggestions = to_wgs84(suggestions)
    points = shapely.point_on_surface(suggestions.geometry.to_numpy())
    lon, lat = shift(shapely.get_x(points), shapely.get_y(points), source)
    columns = [c for c in suggestions.columns if c != suggestions.geometry.name]
    style = dot_style(7, COLORS["suggestion"], weight=2, opacity=1)
    features = []
    for (_, row), x, y in zip(suggestions[columns].iterrows(), lon, lat, strict=True):
        rows = [(str(c), fmt(row[c], "number", lang)) for c in columns]
        tip = card(TEXT[lang]["suggestion"], rows=rows)
        features.append(feature(point(x, y), style, tip=tip))
    return features


def gap_features(
    gaps: gpd.GeoDataFrame,
    source: TileSource | None,
    lang: str,
    counties: gpd.GeoDataFrame | None,
) -> list[dict[str, Any]]:
    """Gaps merged per county (one shape and the summed population each): compact to draw."""
    t = TEXT[lang]
    style = {"color": COLORS["gap"], "weight": 1, "fillColor": COLORS["gap"], "fillOpacity": 0.45}
    features = []
    for area in merge_gaps(to_wgs84(gaps), counties):
        # Cell outlines are staircases; smoothing them by a fraction of a cell keeps the page small.
        shape = shapely.simplify(area.shape, _SIMPLIFY_DEG * 2)
        shape = _shift_geometry(np.array([shape], dtype=object), source)[0]
        rows = [(t["gap"], area.label)]
        if area.population is not None:
            rows.append((t["population"], f"{round(area.population):,} {t['people']}".strip()))
        features.append(feature(shape, {**style, "radius": 4}, tip=card(rows=rows)))
    return features
