"""Folium maps for residents and planners, and standalone HTML pages that work offline.

`resident_map` (you, the outlets found as numbered pins that match the list, a line to each), `planner_map` (a county choropleth
of a coverage figure) and `province_map` (counties, clustered outlets, gaps; `export_map`
writes it as one HTML file) each return a :class:`folium.Map` drawn as `MapOptions` say:
tiles (`TILES`: OpenStreetMap, Amap in GCJ-02, or none) and language. Data text is drawn
as text, never as markup or template source (`locator.maps._leaflet` says how); Leaflet
comes from ``locator/maps/static``, never a CDN (`locator.maps._assets` says how, also for
the Streamlit app).

Examples
--------
>>> import locator
>>> from locator import datasets
>>> index = locator.OutletIndex(datasets.outlets())
>>> found = index.nearest(lon=112.549, lat=37.857, k=3, task="reset_card_pin")
>>> m = resident_map(found, you=(112.549, 37.857), counties=datasets.counties())
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

from locator import settings
from locator._errors import DataFileError, ValidationError
from locator.counties import SHANXI_BOUNDS, county_of
from locator.crs import gcj02_to_wgs84
from locator.datasets import is_sample
from locator.maps._assets import standalone_html, use_local_assets
from locator.maps._choropleth import METRICS, choropleth_layer, metric_label
from locator.maps._gap_shapes import gap_population
from locator.maps._layers import (
    COLORS,
    GAP_PANE,
    POINT_PANE,
    TILES,
    MapOptions,
    TileSource,
    county_polygons,
    default_tiles,
    figure_text,
    fit,
    frame_in_wgs84,
    gap_features,
    new_map,
    suggestion_features,
    to_display,
)
from locator.maps._leaflet import (
    ClickAtOnce,
    Features,
    FillFrame,
    FitView,
    Group,
    LayerControl,
    Legend,
    Notice,
)
from locator.maps._outlets import (
    Cluster,
    amap_navigation_url,
    cluster_legend,
    outlet_circles,
    outlet_frame,
    outlet_legend,
    route_features,
    you_feature,
)
from locator.maps._pins import Pins, pin_legend
from locator.output import SAMPLE_NOTICE
from locator.tasks import ONE_STOP_KINDS

__all__ = [
    "LAYERS",
    "METRICS",
    "TILES",
    "MapOptions",
    "TileSource",
    "amap_navigation_url",
    "default_tiles",
    "display_to_wgs84",
    "export_map",
    "metric_label",
    "parse_layers",
    "parse_tiles",
    "planner_map",
    "province_map",
    "read_gaps",
    "resident_base_map",
    "resident_layers",
    "resident_map",
    "standalone_html",
    "use_local_assets",
]

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
            msg = f"layer {item!r} is not one of {', '.join(LAYERS)}; give some of them, e.g. counties,outlets"
            raise ValidationError(msg)
    return list(dict.fromkeys(items))


def parse_tiles(tiles: str) -> str:
    """Check a tile choice: one of `TILES`."""
    return MapOptions(tiles=tiles).tiles


def display_to_wgs84(lon: float, lat: float, *, tiles: str = "osm") -> tuple[float, float]:
    """Turn a position clicked on a map drawn with ``tiles`` back into WGS-84.

    On Amap tiles the overlays, and so the clicks, are in GCJ-02.

    >>> display_to_wgs84(112.555297, 37.857527, tiles="amap")
    (112.549, 37.857)
    >>> display_to_wgs84(112.549, 37.857)
    (112.549, 37.857)
    """
    if MapOptions(tiles=tiles).gcj02:
        lon_w, lat_w = gcj02_to_wgs84(lon, lat)
        return round(float(lon_w), 6), round(float(lat_w), 6)
    return float(lon), float(lat)


# --- the three maps -----------------------------------------------------------------------------


def resident_map(
    found: pd.DataFrame,
    *,
    you: tuple[float, float] | None,
    counties: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
    selected: int | None = None,
) -> folium.Map:
    """You, the outlets found as numbered pins that match the list, a straight line to each.

    Parameters
    ----------
    found : pandas.DataFrame
        `locator.OutletIndex.nearest` output in list order: ``name, kind, bank, address,
        phone, hours, lon, lat, distance_km`` (WGS-84); ``lon, lat, name`` are required.
        Each pin shows the row's number in the list: its ``rank`` column when there is one
        (whole numbers from 1, each once), else its position + 1.
    you : (lon, lat) or None
        Where you are (WGS-84). None: the outlets alone, no lines, no routes.
    counties : geopandas.GeoDataFrame, optional
        County outlines to draw under the outlets (e.g. `locator.datasets.counties()`);
        none drawn when not given.
    options : MapOptions, optional
        Tiles and language; ``MapOptions()`` (OpenStreetMap, Chinese) when not given.
    selected : int, optional
        The rank of the outlet chosen in the list: its pin is drawn larger and outlined, in
        front, with its popup open. Must be one of the ranks drawn.

    Returns
    -------
    folium.Map
        Each pin's popup has its name, kind, bank, straight-line distance, address, phone,
        hours, a ``tel:`` link when the phone is one number, and Amap links: with ``you``,
        routes from you to the outlet (walk, bus, car, both ends in GCJ-02), without, a
        marker (`amap_navigation_url`). The view fits you and the outlets.

    Raises
    ------
    ValidationError
        When ``found`` lacks ``lon``, ``lat`` or ``name``, its ranks are not whole numbers
        from 1 each once, or ``selected`` is not one of them.
    """
    options = options or MapOptions()
    layers = resident_layers(found, you=you, options=options, selected=selected)
    m = resident_base_map(counties=counties, options=options)
    layers.add_to(m)
    return m


def resident_base_map(
    *,
    counties: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
    clicks_at_once: bool = False,
) -> folium.Map:
    """The resident map without an answer: the province (and county outlines when given).

    What `resident_layers` draws goes on it. The app keeps this map while the answer changes
    (``st_folium(feature_group_to_add=...)``): the same map, so one map frame in the page.
    ``clicks_at_once``: in streamlit-folium with ``returned_objects=["last_clicked"]``, a
    click goes to the app at once rather than after its 250 ms debounce (`ClickAtOnce`).
    """
    options = options or MapOptions()
    m = new_map(options)
    if counties is not None:
        county_polygons(counties, options, fill=None).add_to(m)
    if clicks_at_once:
        ClickAtOnce().add_to(m)
    FillFrame().add_to(m)  # the layers' FitView fits the view once the frame has its size
    fit(m, [], [])
    return m


def resident_layers(
    found: pd.DataFrame,
    *,
    you: tuple[float, float] | None,
    options: MapOptions | None = None,
    selected: int | None = None,
) -> Group:
    """What `resident_map` draws over `resident_base_map`, as one group of layers.

    The straight lines, the numbered pins, you, the legend of what is drawn, and the view
    fitted to you and the outlets (province-wide when there are none), all of which come
    and go with the group. Arguments as `resident_map`'s.
    """
    options = options or MapOptions()
    frame = outlet_frame(found)
    pins = Pins(frame, options, you=you, selected=selected)
    group = Group(options.word("map_outlets"))
    lon, lat = to_display(frame["lon"], frame["lat"], options)
    lons, lats = [float(x) for x in lon], [float(y) for y in lat]
    legend = pin_legend(options, [p["kind"] for p in pins.pins])
    if you is not None:
        you_lon, you_lat = (float(a[0]) for a in to_display([you[0]], [you[1]], options))
        routes = route_features(
            frame,
            (you_lon, you_lat),
            (lons, lats),
            options,
            with_distance="distance_km" in frame,
        )
        Features(routes, name=options.word("map_routes")).add_to(group)
        if routes:
            legend.append((COLORS["route"], "line", options.word("map_routes")))
    pins.add_to(group)
    if you is not None:
        you_layer = Features([you_feature(you_lon, you_lat, options)], name=options.word("map_you"))
        you_layer.add_to(group)
        lons, lats = [*lons, you_lon], [*lats, you_lat]
        legend = [(COLORS["you"], "dot", options.word("map_you")), *legend]
    Legend(options.word("map_legend"), legend).add_to(group)
    if lons:
        FitView(lons, lats).add_to(group)
    else:  # nothing found or asked yet: the province (its legend is a title alone)
        west, south, east, north = SHANXI_BOUNDS
        FitView([west, east], [south, north], legend=False).add_to(group)
    return group


def planner_map(
    counties: gpd.GeoDataFrame,
    county_table: pd.DataFrame,
    *,
    metric: str = "covered_share",
    outlets: gpd.GeoDataFrame | None = None,
    gaps: gpd.GeoDataFrame | None = None,
    suggestions: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
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
        (tooltip: every column); a layer is drawn when given and not empty.
    options : MapOptions, optional
        Tiles and language; ``MapOptions()`` when not given.

    Returns
    -------
    folium.Map
        The choropleth, its legend and a layer control.
    """
    options = options or MapOptions()
    word = options.word
    layer, legend, title = choropleth_layer(counties, county_table, metric, options)
    m = new_map(options)
    layer.add_to(m)
    if gaps is not None and len(gaps):
        gap_layer = gap_features(gaps, options, counties)
        Features(gap_layer, name=word("map_gaps"), pane=GAP_PANE).add_to(m)
        legend.append((COLORS["gap"], "box", word("map_gaps")))
    if outlets is not None and len(outlets):
        circles = outlet_circles(outlet_frame(outlets), options, radius=3.5, with_distance=False)
        Features(circles, name=word("map_outlets"), pane=POINT_PANE).add_to(m)
        legend += outlet_legend(options.lang, outlet_frame(outlets)["kind"])
    if suggestions is not None and len(suggestions):
        sites = suggestion_features(suggestions, options)
        Features(sites, name=word("map_suggestions"), pane=POINT_PANE).add_to(m)
        legend.append((COLORS["suggestion"], "dot", word("map_suggestions")))
    Legend(title, legend).add_to(m)
    LayerControl(collapsed=False).add_to(m)
    fit(m, [], [])
    return m


def _outlet_counts(
    outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, options: MapOptions
) -> Features:
    """Counties outlined, each card with the rule's status, its outlets (by position), population."""
    outlets_w = frame_in_wgs84(outlets)
    # The count says what the rule counts: one-stop outlets, not ordinary bank branches.
    outlets_w = outlets_w[outlets_w["kind"].isin(ONE_STOP_KINDS).to_numpy()]
    where = county_of(outlets_w.geometry.x, outlets_w.geometry.y, counties=counties)
    counts = pd.Series(where).value_counts()
    # Outlines with a faint fill, so the tooltip works inside.
    style = {"color": COLORS["county"], "weight": 1, "fillColor": "#90a4ae", "fillOpacity": 0.08}

    def fill(row: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        n = int(counts.get(str(row.adcode), 0))
        meets = options.word("map_yes" if n >= settings.min_outlets_per_county else "map_no")
        rows = [
            (options.word("map_metric_meets_rule"), meets),
            (options.word("map_outlets"), f"{n:,}"),
        ]
        if hasattr(row, "population"):
            people = figure_text(row.population, "people", options.lang)
            rows.append((options.word("map_population"), people))
        return style, rows

    return county_polygons(counties, options, fill=fill)


def province_map(
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    *,
    layers: Sequence[str] = LAYERS,
    gaps: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
) -> folium.Map:
    """The whole province: counties, clustered outlets, gaps, a legend and a layer control.

    When the registry is the generated sample, a notice in view says so.

    Parameters
    ----------
    outlets : geopandas.GeoDataFrame
        The outlet registry (`locator.load_outlets`, `locator.datasets.outlets`).
    counties : geopandas.GeoDataFrame
        County polygons (`locator.datasets.counties`). Each county's tooltip gives its
        population and the number of outlets that lie in it; gaps are named from them.
    layers : sequence of {"counties", "outlets", "gaps"}
        What to draw; "gaps" draws ``gaps`` when given.
    gaps : geopandas.GeoDataFrame, optional
        Gap areas or cells (merged per county, population summed).
    options : MapOptions, optional
        Tiles and language; ``MapOptions()`` when not given.

    Returns
    -------
    folium.Map
        The layers chosen, a legend, a layer control and, for the sample, the notice.
    """
    options = options or MapOptions()
    chosen = parse_layers(layers)
    m = new_map(options)
    legend: list[tuple[str, str, str]] = []
    if "counties" in chosen:
        _outlet_counts(outlets, counties, options).add_to(m)
        legend.append((COLORS["county"], "line", options.word("map_counties")))
    if "gaps" in chosen and gaps is not None and len(gaps):
        gap_layer = gap_features(gaps, options, counties)
        Features(gap_layer, name=options.word("map_gaps"), pane=GAP_PANE).add_to(m)
        legend.append((COLORS["gap"], "box", options.word("map_gaps")))
    if "outlets" in chosen:
        Cluster(outlet_frame(outlets), options).add_to(m)
        legend += outlet_legend(options.lang, outlet_frame(outlets)["kind"])
        legend += cluster_legend(options.lang)
    if legend:
        Legend(options.word("map_legend"), legend).add_to(m)
    if is_sample(outlets):
        Notice(SAMPLE_NOTICE).add_to(m)
    LayerControl(collapsed=False).add_to(m)
    fit(m, [], [])
    return m


# --- files --------------------------------------------------------------------------------------


def read_gaps(path: Path | str) -> gpd.GeoDataFrame:
    """Read a gap layer written by ``locator gaps -o FILE.geojson``.

    Every property is shown on the map as plain text.

    Raises
    ------
    DataFileError
        When the file cannot be read, or a ``population`` is not a number of residents
        (naming the file, row and value).
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
    counties: gpd.GeoDataFrame,
    *,
    layers: Sequence[str] = LAYERS,
    gaps: gpd.GeoDataFrame | None = None,
    options: MapOptions | None = None,
) -> Path:
    """Write `province_map` as a standalone HTML file (`standalone_html`); return its path."""
    options = options or MapOptions()
    m = province_map(outlets, counties, layers=layers, gaps=gaps, options=options)
    page = standalone_html(m, title=options.word("map_title"))
    path = Path(path)
    path.write_text(page, encoding="utf-8")
    return path
