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

Text from data (names, addresses, bank, county and city names, column names, every
property of a gap file) never becomes template source or markup. branca compiles what it
renders, so a name such as ``{{ 7*7 }}`` would show as ``49`` (and a crafted one would run
code) in a plain folium element; ``html.escape`` leaves braces alone. The layers here are
small templates that hold only code: their data goes into the page as JSON that cannot
close a ``<script>`` or hold a Jinja delimiter, their output is never compiled again, and
the page draws tooltips, popups, legends and layer names from that data with
``textContent`` (``locator.maps._leaflet``). folium's own ``Popup``, ``Tooltip`` and
``LayerControl`` are not used: they paste their text into templates and the page as HTML
(``Popup`` also needs jQuery). The layers are built in ``locator.maps._layers`` (counties,
gaps, suggested sites), ``locator.maps._outlets`` (outlets), ``locator.maps._choropleth`` (the
planner's colours) and ``locator.maps._gap_shapes`` (gap cells merged per county).

Where Leaflet comes from
------------------------
folium loads Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers from CDNs, so
a plain ``folium.Map.save()`` page is blank offline and where those CDNs are blocked. The
maps here need only Leaflet 1.9.4 and Leaflet.markercluster 1.5.3, vendored in
``locator/maps/static/`` (see ``scripts/vendor_assets.py``); a map's ``default_js`` and
``default_css`` list only those. The builders point them at ``data:`` URLs, so a map
works anywhere (``save()``, a notebook, ``st_folium``) with no network and no setup.
`standalone_html` inlines the files as ``<script>`` / ``<style>`` text instead (smaller,
and no ``data:`` script). `use_local_assets` points them at a URL where the app serves
``locator/maps/static/``.

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
that folder's real path, so ``static`` itself must be (a symlink to) ``locator/maps/static``
(``ln -s locator/maps/static static``), not a folder holding a link to it; then call
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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from locator._errors import DataFileError, ValidationError
from locator._validate import check_choice
from locator.counties import county_of
from locator.crs import gcj02_to_wgs84
from locator.maps._assets import standalone_html, use_local_assets
from locator.maps._choropleth import METRICS, RED_TO_GREEN, choropleth_layer
from locator.maps._gap_shapes import gap_population, grid_dissolve
from locator.maps._layers import (
    COLORS,
    TEXT,
    TileSource,
    county_layer,
    fit,
    fmt,
    gap_features,
    new_map,
    shift,
    suggestion_features,
    to_wgs84,
)
from locator.maps._leaflet import Features, LayerControl, Legend
from locator.maps._outlets import (
    Cluster,
    amap_navigation_url,
    outlet_circles,
    outlet_frame,
    outlet_legend,
    route_features,
    you_feature,
)
from locator.registry import load_counties

# tests/test_maps.py reaches these through this module, by the names they had here.
_COLORS, _RED_TO_GREEN = COLORS, RED_TO_GREEN
_gap_features, _grid_dissolve = gap_features, grid_dissolve

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


# --- options ------------------------------------------------------------------------------------


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


def _tiles(tiles: str) -> TileSource | None:
    return TILES[parse_tiles(tiles)]


def _lang(lang: str) -> str:
    return check_choice(lang, LANGS, "lang")


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
    t = TEXT[lang]
    frame = outlet_frame(found)
    with_distance = "distance_km" in frame and you is not None
    m = new_map(source, lang)
    if counties is not None:
        county_layer(counties, source, lang, fill=None).add_to(m)
    lon, lat = shift(frame["lon"], frame["lat"], source)
    lons, lats = [float(x) for x in lon], [float(y) for y in lat]
    legend = outlet_legend(lang)
    if you is not None:
        you_lon, you_lat = (float(a[0]) for a in shift([you[0]], [you[1]], source))
        routes = route_features(
            frame, (you_lon, you_lat), (lons, lats), lang, with_distance=with_distance
        )
        Features(routes, name=t["routes"]).add_to(m)
    circles = outlet_circles(frame, source, lang, radius=8, with_distance=with_distance)
    Features(circles, name=t["outlets"]).add_to(m)
    if you is not None:
        Features([you_feature(you_lon, you_lat, lang)], name=t["you"]).add_to(m)
        lons, lats = [*lons, you_lon], [*lats, you_lat]
        legend = [(COLORS["you"], "dot", t["you"]), *legend]
    Legend(t["legend"], legend).add_to(m)
    fit(m, lats, lons)
    return m


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
    t = TEXT[lang]
    layer, legend, title = choropleth_layer(counties, county_table, metric, source, lang)
    m = new_map(source, lang)
    layer.add_to(m)
    if gaps is not None and len(gaps):
        Features(gap_features(gaps, source, lang, counties), name=t["gaps"]).add_to(m)
        legend.append((COLORS["gap"], "box", t["gaps"]))
    if outlets is not None and len(outlets):
        frame = outlet_frame(outlets)
        Features(
            outlet_circles(frame, source, lang, radius=3.5, with_distance=False), name=t["outlets"]
        ).add_to(m)
        legend += outlet_legend(lang)
    if suggestions is not None and len(suggestions):
        Features(suggestion_features(suggestions, source, lang), name=t["suggestions"]).add_to(m)
        legend.append((COLORS["suggestion"], "dot", t["suggestions"]))
    Legend(title, legend).add_to(m)
    LayerControl(collapsed=False).add_to(m)
    fit(m, [], [])
    return m


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
    t = TEXT[lang]
    chosen = parse_layers(layers)
    m = new_map(source, lang)
    legend: list[tuple[str, str, str]] = []
    if "counties" in chosen:
        counties = load_counties() if counties is None else counties
        outlets_w = to_wgs84(outlets)
        where = county_of(outlets_w.geometry.x, outlets_w.geometry.y, counties=counties)
        counts = pd.Series(where).value_counts()
        # Outlines with a faint fill, so the tooltip works inside.
        style = {
            "color": COLORS["county"],
            "weight": 1,
            "fillColor": "#90a4ae",
            "fillOpacity": 0.08,
        }

        def fill(row: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
            rows = [(t["outlets"], f"{int(counts.get(str(row.adcode), 0)):,}")]
            if hasattr(row, "population"):
                rows.append((t["population"], fmt(row.population, "people", lang)))
            return style, rows

        county_layer(counties, source, lang, fill=fill).add_to(m)
        legend.append((COLORS["county"], "line", t["counties"]))
    if "gaps" in chosen and gaps is not None and len(gaps):
        Features(gap_features(gaps, source, lang, counties), name=t["gaps"]).add_to(m)
        legend.append((COLORS["gap"], "box", t["gaps"]))
    if "outlets" in chosen:
        Cluster(outlet_frame(outlets), source, lang).add_to(m)
        legend += outlet_legend(lang)
        legend.append(("#6ecc39", "dot", t["cluster"]))
    if legend:
        Legend(t["legend"], legend).add_to(m)
    LayerControl(collapsed=False).add_to(m)
    fit(m, [], [])
    return m


# --- files --------------------------------------------------------------------------------------


def read_gaps(path: Path | str) -> gpd.GeoDataFrame:
    """Read a gap layer written by ``locator gaps -o FILE.geojson``.

    Every property is shown on the map as plain text; a ``population`` that is not a
    number of residents raises `DataFileError` naming the file, row and value.
    """
    try:
        layer = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for a missing or bad file
        msg = f"{path}: cannot be read as a gap layer ({error}); write one with `locator gaps -o FILE.geojson`"
        raise DataFileError(msg) from None
    if layer.crs is None:
        layer = layer.set_crs("EPSG:4326")
    try:
        gap_population(layer, str(path))
    except ValidationError as error:
        raise DataFileError(str(error)) from None
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
    page = standalone_html(m, title=TEXT[_lang(lang)]["title"])
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
