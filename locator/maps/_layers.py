"""What every map layer shares (options, colours, coordinates), and the county, gap and site layers.

Texts from data stay plain text here: tooltips are `card` specs that the page draws with
``textContent`` (see `locator.maps._leaflet`), so nothing is escaped and nothing can be
interpreted, whether as HTML, JavaScript or template source. Words come from the one word
table, `locator.i18n` (its ``map_*`` keys). Coordinates go in as WGS-84 and are drawn as
`to_display` makes them: GCJ-02 on GCJ-02 tiles (Amap), so overlays line up with the
streets, and rounded to 5 decimals (about 1 m) to keep the page small.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from locator._typing import FloatArray, ObjectArray
from locator._validate import check_choice
from locator.counties import SHANXI_BOUNDS, fingerprint
from locator.crs import wgs84_to_gcj02
from locator.i18n import LANGS, t
from locator.maps import _assets
from locator.maps._gap_shapes import merge_gaps
from locator.maps._leaflet import Features, Style, card

__all__ = [
    "COLORS",
    "TILES",
    "MapOptions",
    "TileSource",
    "county_polygons",
    "default_tiles",
    "dot_style",
    "feature",
    "figure_text",
    "fit",
    "frame_in_wgs84",
    "GAP_PANE",
    "POINT_PANE",
    "gap_features",
    "is_missing",
    "new_map",
    "plain_text",
    "point",
    "suggestion_features",
    "to_display",
]


@dataclass(frozen=True)
class TileSource:
    """A tile layer: URL template, attribution (HTML), its name's key in `locator.i18n`, datum."""

    url: str
    attribution: str
    label_key: str
    subdomains: str = "abc"
    max_zoom: int = 19
    gcj02: bool = False


#: Tile choices: ``"osm"`` (default), ``"amap"`` (GCJ-02) and ``"none"`` (no tiles).
TILES: dict[str, TileSource | None] = {
    "osm": TileSource(
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        label_key="tiles_osm",
    ),
    "amap": TileSource(
        url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        attribution='&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        label_key="tiles_amap",
        subdomains="1234",
        max_zoom=18,
        gcj02=True,
    ),
    "none": None,
}


def default_tiles(lang: str) -> str:
    """The base map a page in ``lang`` opens with: Amap in Chinese, OpenStreetMap in English.

    Amap labels streets in Chinese and is what residents here know; its tiles are GCJ-02, and
    the overlays are shifted to match (`MapOptions.gcj02`). Either can still be chosen.

    >>> default_tiles("zh"), default_tiles("en")
    ('amap', 'osm')
    """
    return "amap" if check_choice(lang, LANGS, "lang") == "zh" else "osm"


@dataclass(frozen=True)
class MapOptions:
    """How a map is drawn: its tiles (one of `TILES`) and its language (``zh`` or ``en``).

    Checked once, here; every layer then takes the one object.

    >>> MapOptions(tiles="amap", lang="en").gcj02
    True
    >>> MapOptions(tiles="google")
    Traceback (most recent call last):
    ...
    locator._errors.ValidationError: tiles 'google' is not one of osm, amap, none
    """

    tiles: str = "osm"
    lang: str = "zh"
    source: TileSource | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", TILES[check_choice(self.tiles, TILES, "tiles")])
        check_choice(self.lang, LANGS, "lang")

    @property
    def gcj02(self) -> bool:
        """Whether overlays are drawn in GCJ-02 (to match the tiles)."""
        return self.source is not None and self.source.gcj02

    def word(self, key: str, **fields: Any) -> str:
        """The map text ``key`` of `locator.i18n` in this map's language."""
        return t(key, self.lang, **fields)


# Map overlays are drawn with coordinates rounded to 5 decimals (about 1 m), and county
# outlines simplified as a coverage (shared borders stay shared) with this tolerance in
# degrees (about the side of the largest triangle removed, ~200 m): the whole province then
# takes about 0.5 MB of the page.
_DECIMALS = 5
_SIMPLIFY_DEG = 0.002

COLORS = {
    "government": "#1565c0",
    "bank": "#ef6c00",
    "branch": "#8d6e63",
    "other": "#616161",
    "you": "#d32f2f",
    "route": "#d32f2f",
    "county": "#455a64",
    "gap": "#8e24aa",
    # Cyan: apart from every choropleth class (greens meet the rule, reds miss it, blues
    # count) and from the outlet kinds, so a suggested site never reads as "meets the rule".
    "suggestion": "#00bcd4",
    "no_data": "#bdbdbd",
}

#: Leaflet panes (name, z-index) that keep the planner's layers in order however often the
#: layer control redraws one: county fills in Leaflet's overlayPane (400), the gaps above
#: them, outlet and site dots above the gaps, tooltips (650) above all.
GAP_PANE = ("locatorGaps", 420)
POINT_PANE = ("locatorPoints", 450)

# --- text -------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, ``pd.NA`` or a float NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def plain_text(value: Any) -> str:
    """One value from data as plain text; missing values become the empty string."""
    return "" if is_missing(value) else str(value)


def figure_text(value: Any, kind: str, lang: str) -> str:
    """A figure as plain text; ``kind`` as in `locator.maps.METRICS`."""
    if is_missing(value):
        return t("map_no_data", lang)
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return t("map_yes" if bool(value) else "map_no", lang)
    if kind == "share":
        return f"{float(value):.1%}"
    if kind in ("people", "count"):
        return f"{round(float(value)):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.2f}"
    return str(value)


# --- coordinates ------------------------------------------------------------------------------


def to_display(
    lon: npt.ArrayLike, lat: npt.ArrayLike, options: MapOptions
) -> tuple[FloatArray, FloatArray]:
    """Display coordinates: WGS-84, or GCJ-02 on GCJ-02 tiles; rounded for the page."""
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if options.gcj02:
        lon_a, lat_a = (np.asarray(a, dtype=np.float64) for a in wgs84_to_gcj02(lon_a, lat_a))
    return np.round(lon_a, _DECIMALS), np.round(lat_a, _DECIMALS)


def _display_geometry(geometry: npt.ArrayLike, options: MapOptions) -> ObjectArray:
    def move(xy: FloatArray) -> FloatArray:
        lon, lat = to_display(xy[:, 0], xy[:, 1], options)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(np.asarray(geometry, dtype=object), move))


def frame_in_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in EPSG:4326 (as it is when it has no CRS or already that one)."""
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        return frame.to_crs("EPSG:4326")
    return frame


# --- the map and its features -----------------------------------------------------------------


def new_map(options: MapOptions) -> folium.Map:
    """An empty map of Shanxi on the options' tiles (none: white), with the vendored Leaflet."""
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
    source = options.source
    if source is not None:
        folium.TileLayer(
            tiles=source.url,
            attr=source.attribution,
            name=options.word(source.label_key),
            subdomains=source.subdomains,
            max_zoom=source.max_zoom,
        ).add_to(m)
    Style(blank=source is None, colors=COLORS).add_to(m)
    return m


def fit(m: folium.Map, lons: Sequence[float], lats: Sequence[float]) -> None:
    """Fit the view to these points (display lon, lat): the province when none, street level for one."""
    if len(lons) == 0:
        west, south, east, north = SHANXI_BOUNDS
        m.fit_bounds([[south, west], [north, east]])
    elif len(lons) == 1:
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

_SHAPES: dict[tuple[str, bool], ObjectArray] = {}


def _county_shapes(counties: gpd.GeoDataFrame, options: MapOptions) -> ObjectArray:
    # Simplifying 117 outlines takes ~50 ms; the app redraws often, with a few county layers.
    # Keyed by content: a layer changed in place, or a new one at a reused id(), is a miss.
    key = (fingerprint(counties), options.gcj02)
    cached = _SHAPES.get(key)
    if cached is None:
        geometry = frame_in_wgs84(counties).geometry.to_numpy()
        simplified = shapely.coverage_simplify(geometry, _SIMPLIFY_DEG)
        shapes = _display_geometry(simplified, options)
        if len(_SHAPES) >= 8:
            _SHAPES.pop(next(iter(_SHAPES)))
        cached = _SHAPES[key] = shapes
    return cached


def _county_tip(row: Any, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    name = plain_text(getattr(row, "name", None))
    city = plain_text(getattr(row, "city", None))
    return card(name, aside=city if city != name else None, rows=rows)


def county_polygons(
    counties: gpd.GeoDataFrame,
    options: MapOptions,
    *,
    fill: Callable[[Any], tuple[dict[str, Any], list[tuple[str, str]]]] | None,
    name: str | None = None,
) -> Features:
    """County polygons; ``fill(row)`` gives each one's style and extra tooltip rows.

    Without ``fill``: outlines with a trace of fill, and the county's name as tooltip. With
    it, a click opens the same card as a popup, so the figures can be read on a touch screen.
    """
    shapes = _county_shapes(counties, options)
    features = []
    for row, shape in zip(counties.itertuples(index=False), shapes, strict=True):
        if fill is None:
            style: dict[str, Any] = {"color": COLORS["county"], "weight": 1, "fillOpacity": 0.03}
            extra: list[tuple[str, str]] = []
        else:
            style, extra = fill(row)
        tip = _county_tip(row, extra)
        features.append(feature(shape, style, tip=tip, popup=tip if extra else None))
    return Features(features, name=name or options.word("map_counties"))


def suggestion_features(suggestions: gpd.GeoDataFrame, options: MapOptions) -> list[dict[str, Any]]:
    """Suggested sites as dots; the tooltip lists every column."""
    suggestions = frame_in_wgs84(suggestions)
    points = shapely.point_on_surface(suggestions.geometry.to_numpy())
    lon, lat = to_display(shapely.get_x(points), shapely.get_y(points), options)
    columns = [c for c in suggestions.columns if c != suggestions.geometry.name]
    style = dot_style(7, COLORS["suggestion"], weight=2, opacity=1)
    features = []
    for (_, row), x, y in zip(suggestions[columns].iterrows(), lon, lat, strict=True):
        rows = [(str(c), figure_text(row[c], "number", options.lang)) for c in columns]
        tip = card(options.word("map_suggestion"), rows=rows)
        features.append(feature(point(x, y), style, tip=tip))
    return features


def gap_features(
    gaps: gpd.GeoDataFrame, options: MapOptions, counties: gpd.GeoDataFrame | None
) -> list[dict[str, Any]]:
    """Gaps merged per county (one shape and the summed population each): compact to draw.

    ``counties`` (optional) names the counties of gaps that carry only a county code.
    """
    style = {"color": COLORS["gap"], "weight": 1, "fillColor": COLORS["gap"], "fillOpacity": 0.35}
    features = []
    for area in merge_gaps(frame_in_wgs84(gaps), counties):
        # Cell outlines are staircases; smoothing them by a fraction of a cell keeps the page small.
        shape = shapely.simplify(area.shape, _SIMPLIFY_DEG * 2)
        shape = _display_geometry(np.array([shape], dtype=object), options)[0]
        rows = [(options.word("map_gap"), area.label)]
        if area.population is not None:
            people = options.word("map_people", n=f"{round(area.population):,}")
            rows.append((options.word("map_population"), people))
        features.append(feature(shape, {**style, "radius": 4}, tip=card(rows=rows)))
    return features
