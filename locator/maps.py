"""Folium maps for residents and planners, and standalone HTML exports that work offline.

Three maps, each a :class:`folium.Map`:

- `resident_map`: you, the outlets found for your task, a straight line to each, and
  a popup per outlet with an Amap navigation link (`amap_navigation_url`).
- `planner_map`: a county choropleth of a coverage figure, with legend and tooltips;
  optionally the outlets, the gap layer and suggested sites.
- `province_map`: counties, clustered outlets (Leaflet.markercluster), gaps, legend and
  layer control; `export_map` writes it as one HTML file (`locator export-map`).

Tiles (`TILES`): OpenStreetMap (default), Amap (GCJ-02 tiles: every overlay coordinate is
shifted WGS-84 -> GCJ-02 with :mod:`locator.crs` so it lines up; a click on such a map
answers in GCJ-02, which `display_to_wgs84` converts back), or none (white background,
the vector layers alone).

Every text that comes from data (names, addresses, bank, layer and legend labels) is
escaped with :func:`html.escape` here, before it reaches Leaflet, which puts popup, tooltip,
legend and layer-control strings into the page as HTML. folium's own ``Popup`` and
``Tooltip`` are not used: they paste their text unescaped into a JavaScript template
literal (so ``${...}`` in a name would run) and ``Popup`` needs jQuery. The layers here are
small templates that pass their data as JSON, with ``<`` written ``\\u003c`` so no value
can close the ``<script>``.

Where Leaflet comes from
------------------------
folium loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs, so
a plain ``folium.Map.save()`` page is blank offline and where those CDNs are blocked. The
maps here need only Leaflet 1.9.4 and Leaflet.markercluster 1.5.3, vendored in
``locator/static/`` (see ``scripts/vendor_assets.py``); a map's ``default_js`` and
``default_css`` list only those. The builders point them at ``data:`` URLs, so a map
works anywhere (``save()``, a notebook, ``st_folium``) with no network and no setup.
`standalone_html` inlines the files as ``<script>`` / ``<style>`` text instead (smaller,
and no ``data:`` script). `use_local_assets` points them at a URL where the app serves
``locator/static/``.

How streamlit-folium (0.27) loads them, and what the app needs: ``st_folium`` renders the
map, strips every ``<script src>`` and ``<link rel="stylesheet">`` from the header, and
instead sends the ``default_js`` / ``default_css`` URLs of the map and of every
``JSCSSMixin`` element in it (plus d3 from a CDN when a ``branca`` colormap is present,
which is why the legends here are plain HTML) to its component iframe, which appends
them as ``<script src>`` / ``<link>`` one after another; a URL that fails to load stops
the map. The iframe is served by the Streamlit server itself
(``/component/streamlit_folium.st_folium/...``), so same-origin absolute paths work. So
either leave the ``data:`` URLs (no setup at all; about 270 kB more per map sent to the
browser), or serve the files: with ``server.enableStaticServing = true`` in
``.streamlit/config.toml``, Streamlit serves the folder ``static/`` beside ``app.py`` at
``/app/static/``; it resolves symlinks and refuses any file whose real path lies outside
that folder's real path, so ``static`` itself must be (a symlink to) ``locator/static``
(``ln -s locator/static static``), not a folder holding a link to it; then call
``use_local_assets(m, "/app/static")`` before ``st_folium(m, ...)``. Files are served with
their real content type and ``nosniff``, which suits ``.js`` and ``.css``.

Examples
--------
>>> import locator
>>> index = locator.OutletIndex.from_file()
>>> found = index.nearest(lon=112.549, lat=37.857, k=3, task="reset_card_pin")
>>> m = resident_map(found, you=(112.549, 37.857))
>>> page = standalone_html(m)
>>> "cdn." in page, page.count("L.circleMarker") > 0
(False, True)
>>> amap_navigation_url(lon=112.549, lat=37.857, name="太原")  # GCJ-02, name URL-encoded
'https://uri.amap.com/marker?position=112.555297,37.857527&name=%E5%A4%AA%E5%8E%9F&coordinate=gaode'
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
import folium.elements
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from folium.template import Template

from locator import _assets, settings
from locator._assets import standalone_html, use_local_assets
from locator._errors import DataFileError, ValidationError
from locator._leaflet import Features, Legend, Style, bounds_of, js
from locator._validate import check_choice
from locator.crs import gcj02_to_wgs84, wgs84_to_gcj02
from locator.geography import SHANXI_BOUNDS, SHANXI_EQUAL_AREA, county_of
from locator.registry import load_counties
from locator.tasks import KIND_LABELS

__all__ = [
    "LANGS",
    "LAYERS",
    "METRICS",
    "TILES",
    "TileSource",
    "amap_navigation_url",
    "display_to_wgs84",
    "export_map",
    "parse_layers",
    "parse_tiles",
    "planner_map",
    "province_map",
    "read_gaps",
    "resident_map",
    "standalone_html",
    "use_local_assets",
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


#: Tile choices: ``"osm"`` (default), ``"amap"`` (GCJ-02) and ``"none"`` (no tiles).
TILES: dict[str, TileSource | None] = {
    "osm": TileSource(
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        name={"zh": "OpenStreetMap", "en": "OpenStreetMap"},
    ),
    "amap": TileSource(
        url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        attribution='&copy; <a href="https://www.amap.com/">高德地图 AutoNavi</a>',
        name={"zh": "高德地图", "en": "Amap"},
        subdomains="1234",
        max_zoom=18,
        gcj02=True,
    ),
    "none": None,
}
LANGS: tuple[str, ...] = ("zh", "en")
#: Layers `province_map` and ``locator export-map`` can draw.
LAYERS: tuple[str, ...] = ("counties", "outlets", "gaps")

# Map overlays are drawn with coordinates rounded to 5 decimals (about 1 m), and county
# outlines simplified as a coverage (shared borders stay shared) with this tolerance in
# degrees (about the side of the largest triangle removed, ~200 m): the whole province then
# takes about 0.5 MB of the page.
_DECIMALS = 5
_SIMPLIFY_DEG = 0.002

_COLORS = {
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

_TEXT: dict[str, dict[str, str]] = {
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


@dataclass(frozen=True)
class _Metric:
    label: dict[str, str]
    kind: str  # "count" (the rule's bins), "bool", "share" (0-1), "people", "km", "number"


#: Columns of a county table that `planner_map` knows how to colour and label.
METRICS: dict[str, _Metric] = {
    "outlets": _Metric({"zh": "网点数", "en": "Outlets"}, "count"),
    "meets_rule": _Metric(
        {"zh": "达到每县至少2个网点", "en": "Meets the rule of 2 per county"}, "bool"
    ),
    "covered_share": _Metric(
        {"zh": "附近有网点的人口占比", "en": "Share of residents covered"}, "share"
    ),
    "population": _Metric({"zh": "人口", "en": "Population"}, "people"),
    "covered_population": _Metric({"zh": "附近有网点的人口", "en": "Residents covered"}, "people"),
    "shortfall": _Metric({"zh": "距规则尚缺网点", "en": "Outlets short of the rule"}, "number"),
    "mean_km": _Metric({"zh": "平均距离（公里）", "en": "Mean distance (km)"}, "km"),
    "median_km": _Metric({"zh": "距离中位数（公里）", "en": "Median distance (km)"}, "km"),
    "p95_km": _Metric({"zh": "95%分位距离（公里）", "en": "95th percentile distance (km)"}, "km"),
    "max_km": _Metric({"zh": "最远距离（公里）", "en": "Longest distance (km)"}, "km"),
}

_BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
_RED_TO_GREEN = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")


# --- small helpers ------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escape one value from data for HTML; missing values become the empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _fmt(value: Any, kind: str, lang: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return _TEXT[lang]["no_data"]
    if kind == "bool" or isinstance(value, bool | np.bool_):
        return _TEXT[lang]["yes" if bool(value) else "no"]
    if kind == "share":
        return f"{float(value):.1%}"
    if kind in ("people", "count"):
        return f"{round(float(value)):,}"
    if isinstance(value, float | np.floating):
        return f"{float(value):,.2f}"
    return str(value)


def _tiles(tiles: str) -> TileSource | None:
    return TILES[parse_tiles(tiles)]


def _lang(lang: str) -> str:
    return check_choice(lang, LANGS, "lang")


def _shift(
    lon: npt.ArrayLike, lat: npt.ArrayLike, source: TileSource | None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Display coordinates: WGS-84, or GCJ-02 on GCJ-02 tiles; rounded for the page."""
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if source is not None and source.gcj02:
        lon_a, lat_a = (np.asarray(a, dtype=np.float64) for a in wgs84_to_gcj02(lon_a, lat_a))
    return np.round(lon_a, _DECIMALS), np.round(lat_a, _DECIMALS)


def _shift_geometry(geometry: npt.ArrayLike, source: TileSource | None) -> npt.NDArray[Any]:
    def move(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = _shift(xy[:, 0], xy[:, 1], source)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(np.asarray(geometry, dtype=object), move))


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        return frame.to_crs("EPSG:4326")
    return frame


def display_to_wgs84(lon: float, lat: float, *, tiles: str = "osm") -> tuple[float, float]:
    """Turn a position clicked on a map drawn with ``tiles`` back into WGS-84.

    On Amap tiles the overlays, and so the clicks, are in GCJ-02.

    >>> display_to_wgs84(112.555297, 37.857527, tiles="amap")
    (112.549, 37.857)
    >>> display_to_wgs84(112.549, 37.857)
    (112.549, 37.857)
    """
    source = _tiles(tiles)
    if source is not None and source.gcj02:
        lon_w, lat_w = gcj02_to_wgs84(lon, lat)
        return round(float(lon_w), 6), round(float(lat_w), 6)
    return float(lon), float(lat)


# What JavaScript's encodeURIComponent leaves as it is (the cluster layer builds links with it).
_URI_UNRESERVED = "-_.!~*'()"


def amap_navigation_url(*, lon: float, lat: float, name: str) -> str:
    """A link that opens Amap (web or app) with a marker at a WGS-84 point.

    Amap expects GCJ-02, so the point is converted first (``coordinate=gaode`` says so);
    the name is URL-encoded. Escape the URL (``html.escape``) before putting it in HTML.
    """
    lon_g, lat_g = wgs84_to_gcj02(float(lon), float(lat))
    return (
        f"https://uri.amap.com/marker?position={float(lon_g):.6f},{float(lat_g):.6f}"
        f"&name={quote(str(name), safe=_URI_UNRESERVED)}&coordinate=gaode"
    )


# --- Leaflet elements ---------------------------------------------------------------------------


class _Cluster(folium.elements.JSCSSMixin, folium.map.Layer):
    """Outlets as small div-icon markers grouped by Leaflet.markercluster.

    Each outlet is one compact row of escaped fields; the popup is assembled in the browser
    on first opening, with the same markup as `_outlet_popup`. Repeated texts (kind, bank,
    hours) are indexes into lists. The navigation link's name is the escaped name turned
    back (the exact inverse of ``html.escape``) and URL-encoded by ``encodeURIComponent``,
    which encodes what `amap_navigation_url` does.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.markerClusterGroup({{ this.options }});
            (function () {
                var c = {{ this.config }};
                var rows = {{ this.rows }};
                var icons = c.icons.map(function (o) { return L.divIcon(o); });
                var named = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#x27": "'"};
                function unescape(s) {
                    return s.replace(/&(amp|lt|gt|quot|#x27);/g, function (m, e) { return named[e]; });
                }
                function line(label, value) {
                    return value ? "<tr><td>" + label + "</td><td>" + value + "</td></tr>" : "";
                }
                function popup(r) {
                    var url = "https://uri.amap.com/marker?position=" + r[8] + "," + r[9] +
                        "&amp;name=" + encodeURIComponent(unescape(r[3])) + "&amp;coordinate=gaode";
                    return "<b>" + r[3] + "</b><br>" + c.kinds[r[2]] +
                        '<table class="locator-popup">' + line(c.labels[0], c.banks[r[4]]) +
                        line(c.labels[1], r[5]) + line(c.labels[2], r[6]) +
                        line(c.labels[3], c.hours[r[7]]) + "</table>" +
                        '<a href="' + url + '" target="_blank" rel="noopener noreferrer">' +
                        c.labels[4] + "</a>";
                }
                var markers = rows.map(function (r) {
                    var marker = L.marker([r[0], r[1]], {icon: icons[r[2]]});
                    marker.bindTooltip(r[3]);
                    marker.bindPopup(function () { return popup(r); }, {maxWidth: 320});
                    return marker;
                });
                {{ this.get_name() }}.addLayers(markers);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, frame: pd.DataFrame, source: TileSource | None, lang: str) -> None:
        t = _TEXT[lang]
        super().__init__(name=html.escape(t["outlets"]), overlay=True, control=True, show=True)
        self._name = "LocatorCluster"
        self.default_js = [("markerclusterjs", _assets.data_url(_assets.CLUSTER_JS))]
        self.default_css = [
            ("markerclustercss", _assets.data_url(_assets.CLUSTER_CSS)),
            ("markerclusterdefaultcss", _assets.data_url(_assets.CLUSTER_DEFAULT_CSS)),
        ]
        kinds = ["government", "bank", "other"]
        banks: dict[str, int] = {}
        hours: dict[str, int] = {}
        lon, lat = _shift(frame["lon"], frame["lat"], source)
        nav_lon, nav_lat = wgs84_to_gcj02(
            frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)
        )
        rows: list[list[Any]] = []
        for row, x, y, gx, gy in zip(
            frame.itertuples(index=False),
            lon,
            lat,
            np.atleast_1d(nav_lon),
            np.atleast_1d(nav_lat),
            strict=True,
        ):
            kind = _kind_key(row.kind)
            rows.append(
                [
                    float(y),
                    float(x),
                    kinds.index(kind),
                    _e(row.name),
                    banks.setdefault(_e(row.bank), len(banks)),
                    _e(row.address),
                    _e(row.phone),
                    hours.setdefault(_e(row.hours), len(hours)),
                    f"{gx:.6f}",
                    f"{gy:.6f}",
                ]
            )
        config = {
            "icons": [
                {"className": f"locator-pt locator-pt-{k}", "iconSize": [12, 12], "html": ""}
                for k in kinds
            ],
            "kinds": [_e(_kind_label(k, lang)) for k in kinds],
            "banks": list(banks),
            "hours": list(hours),
            "labels": [
                html.escape(t[k]) for k in ("bank", "address", "phone", "hours", "navigate")
            ],
        }
        self.latlons: list[tuple[float, float]] = [(float(r[0]), float(r[1])) for r in rows]
        self.rows = js(rows)
        self.config = js(config)
        self.options = js({"showCoverageOnHover": False, "maxClusterRadius": 50})

    def _get_self_bounds(self) -> list[list[float | None]]:
        return bounds_of((p[0] for p in self.latlons), (p[1] for p in self.latlons))


def _kind_label(kind: str, lang: str) -> str:
    return KIND_LABELS.get(kind, {}).get(lang, "" if kind == "other" else kind)


def _new_map(source: TileSource | None, lang: str) -> folium.Map:
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
    Style(blank=source is None, colors=_COLORS).add_to(m)
    return m


def _fit(m: folium.Map, lats: Sequence[float], lons: Sequence[float]) -> None:
    if len(lats) == 0:
        west, south, east, north = SHANXI_BOUNDS
        m.fit_bounds([[south, west], [north, east]])
    elif len(lats) == 1:
        m.location = [lats[0], lons[0]]
        m.options["zoom"] = 14
    else:
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))


def _feature(
    geometry: Any, style: dict[str, Any], tip: str = "", popup: str = ""
) -> dict[str, Any]:
    properties: dict[str, Any] = {"s": style}
    if tip:
        properties["t"] = tip
    if popup:
        properties["p"] = popup
    mapping = geometry if isinstance(geometry, dict) else shapely.geometry.mapping(geometry)
    return {"type": "Feature", "geometry": mapping, "properties": properties}


def _table(rows: Sequence[tuple[str, str]]) -> str:
    """Label/value rows as an HTML table; both already escaped."""
    cells = "".join(f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="locator-popup">{cells}</table>'


# --- layers built from data ---------------------------------------------------------------------


def _outlet_popup(row: Any, lang: str, distance_km: float | None = None) -> str:
    """An outlet's popup: escaped fields, the same markup as the clustered layer builds."""
    t = _TEXT[lang]
    rows = [(t["bank"], _e(row.bank))]
    if distance_km is not None:
        rows.append((t["distance"], f"{distance_km:.2f} {html.escape(t['km'])}"))
    rows += [
        (t["address"], _e(row.address)),
        (t["phone"], _e(row.phone)),
        (t["hours"], _e(row.hours)),
    ]
    url = html.escape(amap_navigation_url(lon=row.lon, lat=row.lat, name=str(row.name)))
    return (
        f"<b>{_e(row.name)}</b><br>{_e(_kind_label(_kind_key(row.kind), lang))}"
        f"{_table([(html.escape(label), value) for label, value in rows if value])}"
        f'<a href="{url}" target="_blank" rel="noopener noreferrer">{html.escape(t["navigate"])}</a>'
    )


def _outlet_frame(outlets: pd.DataFrame) -> pd.DataFrame:
    """Outlet rows with ``lon``/``lat`` columns (WGS-84) and the text columns present."""
    frame = outlets
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame:
        frame = _wgs84(frame)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(
            lon=frame.geometry.x.to_numpy(), lat=frame.geometry.y.to_numpy()
        )
    missing = [c for c in ("lon", "lat", "name") if c not in frame]
    if missing:
        msg = f"outlets: missing column(s) {', '.join(missing)}; give OutletIndex.nearest(...) output or load_outlets() rows"
        raise ValidationError(msg)
    defaults = {c: None for c in ("kind", "bank", "address", "phone", "hours") if c not in frame}
    return frame.assign(**defaults) if defaults else frame


def _kind_key(kind: Any) -> str:
    return str(kind) if str(kind) in ("government", "bank") else "other"


def _outlet_circles(
    frame: pd.DataFrame, source: TileSource | None, lang: str, *, radius: float, with_distance: bool
) -> list[dict[str, Any]]:
    lon, lat = _shift(frame["lon"], frame["lat"], source)
    features = []
    for row, x, y in zip(frame.itertuples(index=False), lon, lat, strict=True):
        distance = float(row.distance_km) if with_distance else None  # type: ignore[arg-type]
        style = {
            "radius": radius,
            "color": "#fff",
            "weight": 1.5,
            "fillColor": _COLORS[_kind_key(row.kind)],
            "fillOpacity": 0.95,
        }
        features.append(
            _feature(
                {"type": "Point", "coordinates": [float(x), float(y)]},
                style,
                tip=_e(row.name),
                popup=_outlet_popup(row, lang, distance),
            )
        )
    return features


def _outlet_legend(lang: str) -> list[tuple[str, str, str]]:
    return [
        (_COLORS[k], "dot", KIND_LABELS[k][lang])
        for k in ("government", "bank")
        if k in KIND_LABELS
    ]


_SHAPES: dict[tuple[int, str], tuple[gpd.GeoDataFrame, npt.NDArray[Any]]] = {}


def _cached_shapes(counties: gpd.GeoDataFrame, source: TileSource | None) -> npt.NDArray[Any]:
    # Simplifying 117 outlines takes ~50 ms; the app redraws often, with a few county layers.
    key = (id(counties), "gcj02" if source is not None and source.gcj02 else "wgs84")
    cached = _SHAPES.get(key)
    if cached is None or cached[0] is not counties:
        geometry = _wgs84(counties).geometry.to_numpy()
        simplified = shapely.coverage_simplify(geometry, _SIMPLIFY_DEG)
        shapes = _shift_geometry(simplified, source)
        if len(_SHAPES) >= 8:
            _SHAPES.pop(next(iter(_SHAPES)))
        cached = _SHAPES[key] = (counties, shapes)
    return cached[1]


def _county_name(row: Any) -> str:
    name = _e(getattr(row, "name", ""))
    city = _e(getattr(row, "city", ""))
    return f"<b>{name}</b>" + (f" · {city}" if city and city != name else "")


def _grid_dissolve(
    geometry: npt.NDArray[Any], groups: npt.NDArray[np.intp], n_groups: int
) -> list[Any] | None:
    """Merge square grid cells per group through a raster, or None if they are not such cells.

    The demand grid's cells are squares in the Shanxi equal-area CRS; burning them into a
    raster and tracing its outlines (``rasterio.features.shapes``) merges 100,000 cells in
    well under a second, where a polygon union takes 10 s or more.
    """
    from pyproj import Transformer
    from rasterio.features import shapes
    from rasterio.transform import Affine

    projected = gpd.GeoSeries(geometry, crs="EPSG:4326").to_crs(SHANXI_EQUAL_AREA)
    if not (projected.geom_type == "Polygon").all() or len(projected) == 0:
        return None
    if not (shapely.get_num_coordinates(projected.to_numpy()) == 5).all():
        return None
    bounds = projected.bounds.to_numpy()
    side = float(np.median(bounds[:, 2] - bounds[:, 0]))
    squares = side > 0 and (
        np.allclose(bounds[:, 2] - bounds[:, 0], side, rtol=1e-3)
        and np.allclose(bounds[:, 3] - bounds[:, 1], side, rtol=1e-3)
    )
    if not squares:
        return None
    x0, y1 = float(bounds[:, 0].min()), float(bounds[:, 3].max())
    # Coordinates rounded in a file (6 decimals: ~0.1 m) blur the side; fit it over the grid.
    cols = np.round((bounds[:, 0] - x0) / side)
    if np.ptp(cols) > 0:
        side = float(np.polyfit(cols, bounds[:, 0], 1)[0])
    col_f, row_f = (bounds[:, 0] - x0) / side, (y1 - bounds[:, 3]) / side
    aligned = np.allclose(col_f, np.round(col_f), atol=0.02) and np.allclose(
        row_f, np.round(row_f), atol=0.02
    )
    if not aligned:
        return None
    cols, rows = np.round(col_f).astype(np.intp), np.round(row_f).astype(np.intp)
    raster = np.zeros((rows.max() + 1, cols.max() + 1), dtype=np.int32)
    raster[rows, cols] = groups + 1
    traced: list[list[Any]] = [[] for _ in range(n_groups)]
    for shape, value in shapes(
        raster, mask=raster > 0, connectivity=4, transform=Affine(side, 0, x0, 0, -side, y1)
    ):
        traced[int(value) - 1].append(shapely.geometry.shape(shape))
    back = Transformer.from_crs(SHANXI_EQUAL_AREA, "EPSG:4326", always_xy=True)

    def to_wgs84(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack(back.transform(xy[:, 0], xy[:, 1]))

    return [shapely.transform(shapely.union_all(parts), to_wgs84) for parts in traced]


def _gap_features(
    gaps: gpd.GeoDataFrame,
    source: TileSource | None,
    lang: str,
    counties: gpd.GeoDataFrame | None,
) -> list[dict[str, Any]]:
    """Gaps merged per county (one shape and the summed population each): compact to draw."""
    t = _TEXT[lang]
    gaps = _wgs84(gaps)
    names: dict[str, str] = {}
    if counties is not None and {"adcode", "name"} <= set(counties.columns):
        names = dict(zip(counties["adcode"].astype(str), counties["name"].astype(str), strict=True))
    code_col = next((c for c in ("county_adcode", "adcode") if c in gaps), None)
    name_col = next((c for c in ("county_name", "county") if c in gaps), None)
    key_col = code_col or name_col
    keys = gaps[key_col].astype(str).to_numpy() if key_col else np.full(len(gaps), "")
    labels, groups = np.unique(keys, return_inverse=True)
    geometry = gaps.geometry.to_numpy()
    merged = _grid_dissolve(geometry, groups, len(labels))
    if merged is None:  # not grid cells (points, hexagons, a raster's pixels): a plain union
        merged = [shapely.union_all(geometry[groups == i]) for i in range(len(labels))]
    population = (
        np.bincount(groups, weights=gaps["population"].to_numpy(dtype=float), minlength=len(labels))
        if "population" in gaps
        else None
    )
    style = {"color": _COLORS["gap"], "weight": 1, "fillColor": _COLORS["gap"], "fillOpacity": 0.45}
    features = []
    for i, (key, shape) in enumerate(zip(labels, merged, strict=True)):
        if shape.is_empty:
            continue
        # Cell outlines are staircases; smoothing them by a fraction of a cell keeps the page small.
        shape = shapely.simplify(shape, _SIMPLIFY_DEG * 2)
        shape = _shift_geometry(np.array([shape], dtype=object), source)[0]
        first = int(np.flatnonzero(groups == i)[0])
        label = names.get(str(key)) or (str(gaps[name_col].iloc[first]) if name_col else "")
        rows = [(html.escape(t["gap"]), _e(label))]
        if population is not None:
            people = f"{round(float(population[i])):,} {t['people']}".strip()
            rows.append((html.escape(t["population"]), html.escape(people)))
        features.append(_feature(shape, {**style, "radius": 4}, tip=_table(rows)))
    return features


# --- the three maps -----------------------------------------------------------------------------


def resident_map(
    found: pd.DataFrame,
    *,
    you: tuple[float, float] | None,
    tiles: str = "osm",
    lang: str = "zh",
    counties: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """You, the outlets found for your task, and a straight line from you to each.

    Parameters
    ----------
    found : pandas.DataFrame
        `locator.OutletIndex.nearest` output: ``name, kind, bank, address, phone, hours,
        lon, lat, distance_km`` (WGS-84).
    you : (lon, lat) or None
        Where you are (WGS-84). None: the province view, outlets without lines.
    tiles : {"osm", "amap", "none"}
    lang : {"zh", "en"}
    counties : geopandas.GeoDataFrame, optional
        County outlines to draw under the outlets (e.g. `locator.load_counties()`).

    Each outlet's popup has its name, kind, bank, distance, address, phone, hours and an
    Amap navigation link (`amap_navigation_url`); the view fits you and the outlets.
    """
    source, lang = _tiles(tiles), _lang(lang)
    t = _TEXT[lang]
    frame = _outlet_frame(found)
    with_distance = "distance_km" in frame and you is not None
    m = _new_map(source, lang)
    if counties is not None:
        _county_layer(counties, source, lang, fill=None).add_to(m)
    lon, lat = _shift(frame["lon"], frame["lat"], source)
    lons, lats = [float(x) for x in lon], [float(y) for y in lat]
    legend = _outlet_legend(lang)
    if you is not None:
        you_lon, you_lat = (float(a[0]) for a in _shift([you[0]], [you[1]], source))
        routes = [
            _feature(
                {"type": "LineString", "coordinates": [[you_lon, you_lat], [x, y]]},
                {"color": _COLORS["route"], "weight": 2, "opacity": 0.7, "dashArray": "6 6"},
                tip=_e(row.name)
                + (
                    f": {float(row.distance_km):.2f} {html.escape(t['km'])}"  # type: ignore[arg-type]
                    if with_distance
                    else ""
                ),
            )
            for row, x, y in zip(frame.itertuples(index=False), lons, lats, strict=True)
        ]
        Features(routes, name=t["routes"]).add_to(m)
    circles = _outlet_circles(frame, source, lang, radius=8, with_distance=with_distance)
    Features(circles, name=t["outlets"]).add_to(m)
    if you is not None:
        me = _feature(
            {"type": "Point", "coordinates": [you_lon, you_lat]},
            {
                "radius": 9,
                "color": "#fff",
                "weight": 3,
                "fillColor": _COLORS["you"],
                "fillOpacity": 1,
            },
            tip=html.escape(t["you"]),
        )
        Features([me], name=t["you"]).add_to(m)
        lons, lats = [*lons, you_lon], [*lats, you_lat]
        legend = [(_COLORS["you"], "dot", t["you"]), *legend]
    Legend(t["legend"], legend).add_to(m)
    _fit(m, lats, lons)
    return m


def _county_layer(
    counties: gpd.GeoDataFrame,
    source: TileSource | None,
    lang: str,
    *,
    fill: Callable[[Any], tuple[str, list[tuple[str, str]]]] | None,
    name: str | None = None,
) -> Features:
    """County polygons; ``fill(row)`` gives each one's colour and extra tooltip rows."""
    shapes = _cached_shapes(counties, source)
    features = []
    for row, shape in zip(counties.itertuples(index=False), shapes, strict=True):
        if fill is None:
            style = {"color": _COLORS["county"], "weight": 1, "fillOpacity": 0.03}
            extra: list[tuple[str, str]] = []
        else:
            color, extra = fill(row)
            style = {"color": "#fff", "weight": 1, "fillColor": color, "fillOpacity": 0.75}
        tip = _county_name(row) + (_table(extra) if extra else "")
        features.append(_feature(shape, style, tip=tip))
    return Features(features, name=name or _TEXT[lang]["counties"])


def _classes(values: pd.Series, kind: str) -> tuple[list[str], list[str], Callable[[Any], str]]:
    """Colour classes for a metric: (colours, labels, value -> colour)."""
    if kind == "bool":
        colors, labels = [_RED_TO_GREEN[-1], _RED_TO_GREEN[0]], ["yes", "no"]
        return colors, labels, lambda v: colors[0] if bool(v) else colors[1]
    if kind == "share":
        edges = [0.0, 0.2, 0.4, 0.6, 0.8]
        labels = [f"{a:.0%}–{b:.0%}" for a, b in zip(edges, [*edges[1:], 1.0], strict=True)]
        colors = list(_RED_TO_GREEN)
    elif kind == "count":
        rule = settings.min_outlets_per_county
        edges = sorted({0.0, float(rule), float(rule + 1), 6.0, 11.0, 21.0})
        labels = [
            f"{int(a)}" if b - a == 1 else f"{int(a)}–{int(b) - 1}"
            for a, b in zip(edges, edges[1:], strict=False)
        ] + [f"{int(edges[-1])}+"]
        colors = [_RED_TO_GREEN[0], *_BLUES][: len(edges)]
    else:
        finite = values.astype(float)
        finite = finite[np.isfinite(finite)]
        quantiles = (
            np.unique(np.quantile(finite, [0, 0.2, 0.4, 0.6, 0.8])) if len(finite) else [0.0]
        )
        edges = [float(q) for q in quantiles]
        labels = [f"≥ {_fmt(a, kind, 'en')}" for a in edges]
        colors = list(_BLUES)[: len(edges)]

    def color(value: Any) -> str:
        index = int(np.searchsorted(edges, float(value), side="right")) - 1
        return colors[min(max(index, 0), len(colors) - 1)]

    return colors, labels, color


def planner_map(
    counties: gpd.GeoDataFrame,
    county_table: pd.DataFrame,
    *,
    metric: str = "covered_share",
    outlets: gpd.GeoDataFrame | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    suggestions: gpd.GeoDataFrame | None = None,
    tiles: str = "osm",
    lang: str = "zh",
) -> folium.Map:
    """A county choropleth of one coverage figure, with legend, tooltips and optional layers.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        County polygons with ``adcode`` and ``name`` (`locator.load_counties`).
    county_table : pandas.DataFrame
        One row per county with ``adcode`` and figures (``outlets``, ``meets_rule``,
        ``covered_share``, ``population``, ``mean_km``, ...; see `METRICS`), e.g. the
        counties table of the coverage report. Every known figure present is in the tooltip.
    metric : str
        The column that colours the counties: one of `METRICS`, or any numeric column.
    outlets, gaps, suggestions : geopandas.GeoDataFrame, optional
        Outlet points, gap areas (merged per county, population summed) and suggested sites
        (tooltip: every column).
    """
    source, lang = _tiles(tiles), _lang(lang)
    t = _TEXT[lang]
    if "adcode" not in county_table:
        msg = "county_table: missing column adcode; give the counties table of the coverage report"
        raise ValidationError(msg)
    if metric not in county_table:
        known = ", ".join(c for c in county_table.columns if c in METRICS)
        msg = f"metric {metric!r} is not a column of county_table; choose one of {known}"
        raise ValidationError(msg)
    spec = METRICS.get(metric, _Metric({"zh": metric, "en": metric}, "number"))
    table = county_table.assign(adcode=county_table["adcode"].astype(str)).set_index("adcode")
    present = [c for c in METRICS if c in table.columns]
    values = table[metric]
    colors, labels, color_of = _classes(values.dropna(), spec.kind)

    def fill(row: Any) -> tuple[str, list[tuple[str, str]]]:
        code = str(row.adcode)
        if code not in table.index:
            return _COLORS["no_data"], [(html.escape(t["no_data"]), "")]
        figures = table.loc[code]
        value = figures[metric]
        missing = (
            value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
        )
        shown = [metric, *(c for c in present if c != metric)]
        extra = [
            (
                html.escape(METRICS[c].label[lang] if c in METRICS else c),
                _e(_fmt(figures[c], METRICS[c].kind if c in METRICS else "number", lang)),
            )
            for c in shown
        ]
        return (_COLORS["no_data"] if missing else color_of(value)), extra

    m = _new_map(source, lang)
    _county_layer(counties, source, lang, fill=fill, name=spec.label[lang]).add_to(m)
    shown_labels = [t[v] if spec.kind == "bool" else v for v in labels]
    legend = list(zip(colors, ["box"] * len(colors), shown_labels, strict=True))
    if values.isna().any() or not set(counties["adcode"].astype(str)) <= set(table.index):
        legend.append((_COLORS["no_data"], "box", t["no_data"]))
    if gaps is not None and len(gaps):
        Features(_gap_features(gaps, source, lang, counties), name=t["gaps"]).add_to(m)
        legend.append((_COLORS["gap"], "box", t["gaps"]))
    if outlets is not None and len(outlets):
        frame = _outlet_frame(outlets)
        Features(
            _outlet_circles(frame, source, lang, radius=3.5, with_distance=False), name=t["outlets"]
        ).add_to(m)
        legend += _outlet_legend(lang)
    if suggestions is not None and len(suggestions):
        Features(_suggestion_features(suggestions, source, lang), name=t["suggestions"]).add_to(m)
        legend.append((_COLORS["suggestion"], "dot", t["suggestions"]))
    Legend(spec.label[lang], legend).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _fit(m, [], [])
    return m


def _suggestion_features(
    suggestions: gpd.GeoDataFrame, source: TileSource | None, lang: str
) -> list[dict[str, Any]]:
    suggestions = _wgs84(suggestions)
    points = shapely.point_on_surface(suggestions.geometry.to_numpy())
    lon, lat = _shift(shapely.get_x(points), shapely.get_y(points), source)
    columns = [c for c in suggestions.columns if c != suggestions.geometry.name]
    style = {
        "radius": 7,
        "color": "#fff",
        "weight": 2,
        "fillColor": _COLORS["suggestion"],
        "fillOpacity": 1,
    }
    features = []
    for (_, row), x, y in zip(suggestions[columns].iterrows(), lon, lat, strict=True):
        rows = [(_e(c), _e(_fmt(row[c], "number", lang))) for c in columns]
        tip = f"<b>{html.escape(_TEXT[lang]['suggestion'])}</b>{_table(rows)}"
        features.append(
            _feature({"type": "Point", "coordinates": [float(x), float(y)]}, style, tip=tip)
        )
    return features


def province_map(
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame | None = None,
    *,
    layers: Sequence[str] = LAYERS,
    gaps: gpd.GeoDataFrame | None = None,
    tiles: str = "osm",
    lang: str = "zh",
) -> folium.Map:
    """The whole province: counties, clustered outlets, gaps, a legend and a layer control.

    Parameters
    ----------
    outlets : geopandas.GeoDataFrame
        The outlet registry (`locator.load_outlets`).
    counties : geopandas.GeoDataFrame, optional
        County polygons; the shipped ones when None. Each county's tooltip gives its
        population and the number of outlets that lie in it.
    layers : sequence of {"counties", "outlets", "gaps"}
        What to draw; "gaps" draws ``gaps`` when given.
    gaps : geopandas.GeoDataFrame, optional
        Gap areas or cells (merged per county, population summed).
    """
    source, lang = _tiles(tiles), _lang(lang)
    t = _TEXT[lang]
    chosen = parse_layers(layers)
    m = _new_map(source, lang)
    legend: list[tuple[str, str, str]] = []
    if "counties" in chosen:
        counties = load_counties() if counties is None else counties
        outlets_w = _wgs84(outlets)
        where = county_of(outlets_w.geometry.x, outlets_w.geometry.y, counties=counties)
        counts = pd.Series(where).value_counts()

        def fill(row: Any) -> tuple[str, list[tuple[str, str]]]:
            rows = [(html.escape(t["outlets"]), f"{int(counts.get(str(row.adcode), 0)):,}")]
            if hasattr(row, "population"):
                rows.append(
                    (html.escape(t["population"]), _e(_fmt(row.population, "people", lang)))
                )
            return "#90a4ae", rows

        layer = _county_layer(counties, source, lang, fill=fill)
        for feature in layer.features:  # outlines with a faint fill, so the tooltip works inside
            feature["properties"]["s"] = {
                "color": _COLORS["county"],
                "weight": 1,
                "fillColor": "#90a4ae",
                "fillOpacity": 0.08,
            }
        layer.data = js({"type": "FeatureCollection", "features": layer.features})
        layer.add_to(m)
        legend.append((_COLORS["county"], "line", t["counties"]))
    if "gaps" in chosen and gaps is not None and len(gaps):
        Features(_gap_features(gaps, source, lang, counties), name=t["gaps"]).add_to(m)
        legend.append((_COLORS["gap"], "box", t["gaps"]))
    if "outlets" in chosen:
        frame = _outlet_frame(outlets)
        _Cluster(frame, source, lang).add_to(m)
        legend += _outlet_legend(lang)
        legend.append(("#6ecc39", "dot", t["cluster"]))
    if legend:
        Legend(t["legend"], legend).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _fit(m, [], [])
    return m


def parse_layers(layers: Sequence[str] | str) -> list[str]:
    """Check a layer list (a sequence, or text such as ``"counties,outlets"``).

    >>> parse_layers("counties, outlets")
    ['counties', 'outlets']
    """
    items = [s.strip() for s in layers.split(",")] if isinstance(layers, str) else list(layers)
    if not items or any(not s for s in items):
        msg = f"layers {','.join(items)!r} is empty or has an empty name; give some of {','.join(LAYERS)}"
        raise ValidationError(msg)
    for item in items:
        if item not in LAYERS:
            msg = (
                f"layer {item!r} is not one of {', '.join(LAYERS)} (e.g. --layers counties,outlets)"
            )
            raise ValidationError(msg)
    return list(dict.fromkeys(items))


def parse_tiles(tiles: str) -> str:
    """Check a tile choice: one of `TILES`."""
    return check_choice(tiles, TILES, "tiles")


def read_gaps(path: Path | str) -> gpd.GeoDataFrame:
    """Read a gap layer written by ``locator gaps -o FILE.geojson``."""
    try:
        layer = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for a missing or bad file
        msg = f"{path}: cannot be read as a gap layer ({error}); write one with `locator gaps -o FILE.geojson`"
        raise DataFileError(msg) from None
    if layer.crs is None:
        layer = layer.set_crs("EPSG:4326")
    return layer


def export_map(
    path: Path | str,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame | None = None,
    *,
    layers: Sequence[str] = LAYERS,
    gaps: gpd.GeoDataFrame | None = None,
    tiles: str = "osm",
    lang: str = "zh",
) -> Path:
    """Write `province_map` as a standalone HTML file (`standalone_html`); return its path."""
    m = province_map(outlets, counties, layers=layers, gaps=gaps, tiles=tiles, lang=lang)
    page = standalone_html(m, title=_TEXT[_lang(lang)]["title"])
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
