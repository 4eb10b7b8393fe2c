"""The maps: no CDN in any page, data shown as text, GCJ-02 shift on Amap tiles, size."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from locator import maps
from locator._errors import DataFileError, ValidationError
from locator.cli import main
from locator.counties import SHANXI_BOUNDS, SHANXI_EQUAL_AREA
from locator.crs import gcj02_to_wgs84, wgs84_to_gcj02
from locator.maps import _assets, _choropleth, _gap_shapes, _layers
from locator.maps._leaflet import FitView
from tests.test_map_injection import page_strings, payloads

HOSTILE = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "${alert(1)}`</script>",
    "\"'><svg onload=alert(1)>",
)
# Hosts a page may name: tile templates, attribution and navigation links, the SVG namespace.
ALLOWED_HOSTS = {
    "tile.openstreetmap.org",
    "www.openstreetmap.org",
    "webrd0{s}.is.autonavi.com",
    "www.amap.com",
    "uri.amap.com",
    "leafletjs.com",
    "www.w3.org",
}
URL = re.compile(r"https?://[^\s\"'<>()\\]+")


def hosts(page: str) -> set[str]:
    return {urlsplit(u).netloc for u in URL.findall(page)}


def assert_offline_page(page: str) -> None:
    assert not re.search(r"<script[^>]*\bsrc=", page), "a script is loaded from elsewhere"
    assert not re.search(r"<link[^>]*\bhref=", page), "a stylesheet is loaded from elsewhere"
    assert hosts(page) <= ALLOWED_HOSTS, hosts(page) - ALLOWED_HOSTS
    assert "L.map(" in page and "Leaflet 1.9.4" in page


def assert_shown_as_text(page: str, texts=HOSTILE) -> None:
    shown = page_strings(page)  # the data the page draws with textContent
    for text in texts:
        assert text not in page, text
        assert text in shown, text


@pytest.fixture(scope="module")
def hostile_outlets(outlets) -> gpd.GeoDataFrame:
    frame = outlets.copy()
    for i, text in enumerate(HOSTILE):
        frame.loc[frame.index[i], ["name", "address", "phone", "hours", "bank"]] = text
    return frame


@pytest.fixture(scope="module")
def hostile_counties(counties) -> gpd.GeoDataFrame:
    frame = counties.copy()
    frame.loc[frame.index[:2], "name"] = list(HOSTILE[:2])
    frame.loc[frame.index[2], "city"] = HOSTILE[2]
    return frame


def grid_cells(counties, side_m=2000.0, n=6):
    """n x n square cells of the Shanxi equal-area grid near Taiyuan, two 'counties'."""
    x0, y0 = -20_000.0, 20_000.0
    boxes = [
        shapely.box(x0 + i * side_m, y0 + j * side_m, x0 + (i + 1) * side_m, y0 + (j + 1) * side_m)
        for i in range(n)
        for j in range(n)
    ]
    cells = gpd.GeoDataFrame(geometry=boxes, crs=SHANXI_EQUAL_AREA).to_crs("EPSG:4326")
    codes = [
        counties["adcode"].iloc[0] if k < n * n // 2 else counties["adcode"].iloc[1]
        for k in range(n * n)
    ]
    return cells.assign(county_adcode=codes, county_name=HOSTILE[3], population=10.0)


# --- the vendored files ------------------------------------------------------------------------


def test_vendored_files_match_their_record():
    record = _assets.manifest()["packages"]
    assert {name: entry["version"] for name, entry in record.items()} == _assets.VERSIONS
    for entry in record.values():
        assert "copyright" in (_assets.STATIC_DIR / entry["licence"]).read_text().lower()
        for path, facts in entry["files"].items():
            data = (_assets.STATIC_DIR / path).read_bytes()
            assert hashlib.sha256(data).hexdigest() == facts["sha256"], path
            assert len(data) == facts["bytes"]


def test_inlined_css_embeds_its_images_and_drops_comments():
    css = _assets.style_text(_assets.LEAFLET_CSS)
    assert "url(images/" not in css and "/*" not in css
    assert css.count("data:image/png;base64,") == 3


# --- no CDN -------------------------------------------------------------------------------------


@pytest.mark.parametrize("tiles", ["osm", "amap", "none"])
def test_province_page_needs_no_cdn(outlets, counties, tiles):
    page = maps.standalone_html(
        maps.province_map(outlets, counties, options=maps.MapOptions(tiles=tiles))
    )
    assert_offline_page(page)
    assert page.count("L.tileLayer(") == (0 if tiles == "none" else 1)
    assert "L.markerClusterGroup(" in page


def test_a_plain_folium_map_is_made_offline_too():
    m = folium.Map(location=[37.8, 112.5])  # folium's defaults: CDN Leaflet, jQuery, Bootstrap...
    folium.CircleMarker([37.8, 112.5]).add_to(m)
    assert "cdn.jsdelivr.net" in m.get_root().render()
    assert_offline_page(maps.standalone_html(m, title="t"))


def test_a_folium_popup_is_refused_rather_than_broken():
    m = folium.Map(location=[37.8, 112.5], tiles=None)
    folium.Marker([37.8, 112.5], popup="x").add_to(m)  # its popup needs jQuery
    with pytest.raises(ValidationError, match="jQuery"):
        maps.standalone_html(m)


def test_an_unshipped_plugin_is_refused():
    m = folium.Map(location=[37.8, 112.5], tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(ValidationError, match="does not ship"):
        maps.standalone_html(m)
    with pytest.raises(ValidationError, match="does not ship"):
        maps.use_local_assets(m, "/app/static")


def test_use_local_assets_points_every_link_at_the_app(outlets, counties):
    m = maps.province_map(outlets, counties)
    maps.use_local_assets(m, "/app/static/")
    links = []
    for element in _assets._asset_elements(m):  # what st_folium sends to its iframe
        links += [url for _, url in [*element.default_js, *element.default_css]]
    assert sorted(links) == sorted(
        f"/app/static/{p}"
        for p in (
            _assets.LEAFLET_JS,
            _assets.LEAFLET_CSS,
            _assets.CLUSTER_JS,
            _assets.CLUSTER_CSS,
            _assets.CLUSTER_DEFAULT_CSS,
        )
    )
    for link in links:
        assert (_assets.STATIC_DIR / link.removeprefix("/app/static/")).is_file()
    head = m.get_root().render().split("<body>")[0]
    assert hosts(head) == set()


def test_use_local_assets_drops_folium_defaults_and_refuses_colormaps():
    m = folium.Map(location=[37.8, 112.5])
    m.get_root().render()  # leaves jQuery etc. in the header; they must go
    maps.use_local_assets(m, "/s")
    assert "jquery" not in m.get_root().render()
    import branca.colormap

    branca.colormap.linear.YlGn_09.scale(0, 1).add_to(m)
    with pytest.raises(ValidationError, match="d3"):
        maps.use_local_assets(m, "/s")


def test_builder_maps_work_without_export(outlets, counties):
    # data: URLs, so even a plain save() or st_folium without setup needs no network
    page = maps.province_map(outlets, counties, layers=["outlets"]).get_root().render()
    assert hosts(page.split("<body>")[0]) == set()
    assert page.count('src="data:text/javascript;base64,') == 2


# --- data as text (test_map_injection.py has the full corpus) ---------------------------------------


def test_province_map_shows_every_text_as_text(hostile_outlets, hostile_counties, counties):
    gaps = grid_cells(counties)
    page = maps.standalone_html(maps.province_map(hostile_outlets, hostile_counties, gaps=gaps))
    assert_shown_as_text(page)


def pin_data(page: str) -> dict:
    """The numbered pins' JSON in a page: ``pins`` in list order and ``selected``."""
    return next(p for p in payloads(page) if isinstance(p, dict) and "pins" in p)


def test_resident_map_shows_every_text_as_text(hostile_outlets, hostile_counties):
    found = pd.DataFrame(hostile_outlets.drop(columns="geometry")).head(6)
    found = found.assign(
        lon=hostile_outlets.geometry.x[:6], lat=hostile_outlets.geometry.y[:6], distance_km=1.5
    )
    for you in ((112.5, 37.8), None):
        page = maps.standalone_html(
            maps.resident_map(
                found, you=you, counties=hostile_counties, options=maps.MapOptions(lang="en")
            )
        )
        assert_shown_as_text(page)
        popups = [pin["p"] for pin in pin_data(page)["pins"]]
        assert len(popups) == len(found)
        for row, popup in zip(found.itertuples(), popups, strict=True):
            assert popup["title"] == row.name
            if you is None:
                # the page builds the link from this position and name as amap_navigation_url does
                url = maps.amap_navigation_url(lon=row.lon, lat=row.lat, name=row.name)
                query = parse_qs(urlsplit(url).query)
                assert (popup["nav"]["pos"], popup["nav"]["name"]) == (
                    query["position"][0],
                    row.name,
                )
            else:
                assert "nav" not in popup and popup["routes"]["to_name"] == row.name


def test_planner_map_shows_every_text_as_text(hostile_outlets, hostile_counties, counties):
    table = pd.DataFrame({"adcode": counties["adcode"], "covered_share": 0.5, HOSTILE[0]: 1.0})
    suggestions = gpd.GeoDataFrame(
        {"rank": [1], "county": [HOSTILE[1]], HOSTILE[2]: [HOSTILE[3]]},
        geometry=[shapely.Point(112.5, 37.8)],
        crs="EPSG:4326",
    )
    for metric in ("covered_share", HOSTILE[0]):
        m = maps.planner_map(
            hostile_counties,
            table,
            metric=metric,
            outlets=hostile_outlets,
            gaps=grid_cells(counties),
            suggestions=suggestions,
        )
        assert_shown_as_text(maps.standalone_html(m))


# --- coordinates --------------------------------------------------------------------------------


def descendants(element):
    """Every element under ``element`` (a map's layers, and the layers of its groups)."""
    for child in element._children.values():
        yield child
        yield from descendants(child)


def features(m, name):
    layers = [c for c in descendants(m) if isinstance(c, maps.Features)]
    return next(layer.features for layer in layers if layer.layer_name == name)


def pin_points(m) -> np.ndarray:
    """The resident map's pins as display (lon, lat), in list order."""
    from locator.maps._pins import Pins

    (pins,) = [c for c in descendants(m) if isinstance(c, Pins)]
    return np.array([[p["at"][1], p["at"][0]] for p in pins.pins])


def test_amap_tiles_shift_every_overlay_to_gcj02(index, counties):
    found = index.nearest(lon=112.55, lat=37.87, k=5)
    you = (112.55, 37.87)
    osm = maps.resident_map(found, you=you, counties=counties, options=maps.MapOptions("osm", "en"))
    amap = maps.resident_map(
        found, you=you, counties=counties, options=maps.MapOptions("amap", "en")
    )
    lon, lat = found["lon"].to_numpy(), found["lat"].to_numpy()
    glon, glat = wgs84_to_gcj02(lon, lat)
    got = pin_points(amap)
    np.testing.assert_allclose(got, np.column_stack([glon, glat]), atol=6e-6)
    plain = pin_points(osm)
    np.testing.assert_allclose(plain, np.column_stack([lon, lat]), atol=6e-6)
    shift_m = np.hypot((got - plain)[:, 0] * 88_000, (got - plain)[:, 1] * 111_000)
    assert ((shift_m > 400) & (shift_m < 700)).all()  # Shanxi's GCJ-02 offset
    line = features(amap, "Straight lines to the outlets")[0]["geometry"]["coordinates"]
    np.testing.assert_allclose(line[0], [float(v) for v in wgs84_to_gcj02(*you)], atol=6e-6)
    # county outlines move by the same transform: shift back and compare with the WGS-84 page
    county_osm = features(osm, "Counties")[0]["geometry"]
    county_amap = shapely.geometry.shape(features(amap, "Counties")[0]["geometry"])
    back = shapely.transform(
        county_amap, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    )
    assert back.equals_exact(shapely.geometry.shape(county_osm), 2e-5)


def test_map_options_are_checked_once_and_name_the_parameter():
    assert maps.MapOptions().gcj02 is False and maps.MapOptions("amap").gcj02 is True
    with pytest.raises(ValidationError, match=r"^tiles 'google' is not one of osm, amap, none"):
        maps.MapOptions(tiles="google")
    with pytest.raises(ValidationError, match=r"^lang 'fr' is not one of zh, en"):
        maps.MapOptions(lang="fr")
    # the layer control names the tiles in the map's language, from the one word table
    empty = gpd.GeoDataFrame({"adcode": [], "name": []}, geometry=[], crs="EPSG:4326")
    for lang, name in (("zh", "高德地图"), ("en", "Amap (Gaode)")):
        m = maps.planner_map(
            empty,
            pd.DataFrame({"adcode": [], "covered_share": []}),
            options=maps.MapOptions("amap", lang),
        )
        controls = [
            entry
            for entry in payloads(m.get_root().render())
            if isinstance(entry, list) and entry and all(isinstance(e, list) for e in entry)
        ]
        assert [False, name] in controls[0]


def test_the_view_fits_you_and_the_outlets_given_as_lon_lat(index):
    found = index.nearest(lon=112.55, lat=37.87, k=3)
    you = (112.40, 37.70)  # west and south of every outlet found
    m = maps.resident_map(found, you=you, options=maps.MapOptions("none"))
    (fit,) = [c for c in descendants(m) if isinstance(c, FitView)]
    # Leaflet's order: lat, lon; the outlets in list order, then you
    expected = [*zip(found["lat"], found["lon"], strict=True), (you[1], you[0])]
    np.testing.assert_allclose(fit.points, expected, atol=1e-6)
    assert json.loads(fit.data) == {"points": fit.points, "legend": True}  # as the page fits
    # one point: the page centres on it at street level (the script's one-point branch)
    alone = maps.resident_map(found.head(1), you=None, options=maps.MapOptions("none"))
    (one,) = [c for c in descendants(alone) if isinstance(c, FitView)]
    np.testing.assert_allclose(
        one.points, [[found["lat"].iloc[0], found["lon"].iloc[0]]], atol=1e-6
    )
    assert "map.setView(points[0], 14)" in maps.standalone_html(alone)
    # none: the province, with a small margin (its legend is a title alone)
    empty = maps.resident_map(found.iloc[:0], you=None, options=maps.MapOptions("none"))
    (province,) = [c for c in descendants(empty) if isinstance(c, FitView)]
    west, south, east, north = SHANXI_BOUNDS
    assert (province.points, province.legend) == ([[south, west], [north, east]], False)


def test_display_to_wgs84_undoes_the_shift():
    lon, lat = wgs84_to_gcj02(111.0, 36.0)
    assert maps.display_to_wgs84(float(lon), float(lat), tiles="amap") == pytest.approx(
        (111.0, 36.0), abs=1e-6
    )
    assert maps.display_to_wgs84(111.0, 36.0, tiles="none") == (111.0, 36.0)


@settings(max_examples=60, deadline=None)
@given(
    lon=st.floats(110.2, 114.6),
    lat=st.floats(34.5, 40.8),
    name=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s),
)
def test_navigation_url_is_gcj02_with_the_name_encoded(lon, lat, name):
    url = maps.amap_navigation_url(lon=lon, lat=lat, name=name)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/marker")
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["name"] == [name] and query["coordinate"] == ["gaode"]
    got = [float(v) for v in query["position"][0].split(",")]
    assert got == pytest.approx([float(v) for v in wgs84_to_gcj02(lon, lat)], abs=1e-6)
    assert url.count("&") == 2 and not set(url) & set(' <>"')


# --- planner colours ----------------------------------------------------------------------------


def fills(m, name):
    return {
        (f["properties"]["t"]["title"], f["properties"]["t"].get("aside")): f["properties"]["s"][
            "fillColor"
        ]
        for f in features(m, name)
    }


def test_planner_colours_follow_the_figures(counties):
    table = pd.DataFrame(
        {
            "adcode": counties["adcode"].iloc[:3],
            "outlets": [0, 2, 30],
            "meets_rule": [False, True, True],
            "covered_share": [0.05, 0.5, 0.95],
        }
    )
    colours = {}
    for metric in ("outlets", "meets_rule", "covered_share"):
        m = maps.planner_map(counties, table, metric=metric, options=maps.MapOptions(lang="en"))
        by_county = list(fills(m, maps.metric_label(metric, "en")).values())
        colours[metric] = by_county[:3]
        assert set(by_county[3:]) == {_layers.COLORS["no_data"]}  # not in the table
    red, green = _choropleth.RED_TO_GREEN[0], _choropleth.RED_TO_GREEN[-1]
    assert colours["outlets"][0] == red and red not in colours["outlets"][1:]
    assert colours["meets_rule"] == [red, green, green]
    assert colours["covered_share"] == [red, _choropleth.RED_TO_GREEN[2], green]


def test_planner_map_names_a_missing_column(counties):
    table = pd.DataFrame({"adcode": counties["adcode"], "outlets": 3})
    with pytest.raises(ValidationError, match="covered_share.*outlets"):
        maps.planner_map(counties, table)
    with pytest.raises(ValidationError, match="adcode"):
        maps.planner_map(counties, table.drop(columns="adcode"), metric="outlets")


# --- gaps ---------------------------------------------------------------------------------------


def test_grid_gaps_merge_per_county_without_losing_area(counties):
    cells = grid_cells(counties)
    groups = np.repeat([0, 1], 18)
    merged = _gap_shapes.grid_dissolve(cells.geometry.to_numpy(), groups, 2)
    assert merged is not None
    area = gpd.GeoSeries(merged, crs="EPSG:4326").to_crs(SHANXI_EQUAL_AREA).area
    np.testing.assert_allclose(area, [18 * 2000.0**2] * 2, rtol=1e-6)
    # coordinates rounded to 6 decimals, as `locator gaps -o` writes them, over a wide grid
    wide = grid_cells(counties, side_m=1000.0, n=60).geometry.to_numpy()
    rounded = shapely.transform(wide, lambda xy: np.round(xy, 6))
    merged = _gap_shapes.grid_dissolve(rounded, np.zeros(len(rounded), dtype=np.intp), 1)
    assert merged is not None and merged[0].geom_type == "Polygon"
    area = gpd.GeoSeries(merged, crs="EPSG:4326").to_crs(SHANXI_EQUAL_AREA).area
    np.testing.assert_allclose(area, [3600 * 1000.0**2], rtol=1e-4)
    # not grid cells: None, and the plain union is used instead
    points = gpd.GeoSeries(shapely.points([112.5, 112.6], [37.8, 37.9]), crs="EPSG:4326")
    assert _gap_shapes.grid_dissolve(points.to_numpy(), np.array([0, 0]), 1) is None


def test_gap_tooltips_sum_the_population(counties):
    cells = grid_cells(counties)
    layer = _layers.gap_features(cells, maps.MapOptions("none", "en"), counties)
    assert len(layer) == 2
    assert [f["properties"]["t"]["rows"][-1] for f in layer] == [["Population", "180"]] * 2


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def test_suggested_sites_never_share_a_colour_with_meets_the_rule():
    """Issue 12: "suggested" differs from every class a choropleth can give a county."""
    suggestion = _rgb(_layers.COLORS["suggestion"])
    classes = [*_choropleth.RED_TO_GREEN, *_choropleth.BLUES, _layers.COLORS["no_data"]]
    outlet_kinds = [_layers.COLORS[k] for k in ("government", "bank", "branch", "other", "gap")]
    # Far apart in RGB (Euclidean over 0-255 channels), not merely a different hex string.
    distances = [float(np.linalg.norm(suggestion - _rgb(c))) for c in classes + outlet_kinds]
    assert min(distances) > 60, distances
    _, _, colour_of = _choropleth.classes(pd.Series([True, False]), "bool")
    assert colour_of(True) != _layers.COLORS["suggestion"]


def test_gaps_are_translucent_and_drawn_beneath_the_outlets_and_sites(counties):
    cells = grid_cells(counties)
    table = pd.DataFrame({"adcode": counties["adcode"], "outlets": 2})
    outlets = gpd.GeoDataFrame(
        {"kind": ["bank"], "name": ["a"], "bank": ["b"], "address": [""], "phone": [""]},
        geometry=gpd.points_from_xy([112.5], [37.8]),
        crs="EPSG:4326",
    )
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([112.6], [37.9]), crs="EPSG:4326")
    options = maps.MapOptions("none", "en")
    m = maps.planner_map(
        counties,
        table,
        metric="outlets",
        gaps=cells,
        outlets=outlets,
        suggestions=sites,
        options=options,
    )
    layers = {c.layer_name: c for c in descendants(m) if isinstance(c, maps.Features)}
    gap_pane, point_pane = _layers.GAP_PANE, _layers.POINT_PANE
    assert json.loads(layers["Gaps in service"].pane) == list(gap_pane)
    assert json.loads(layers["Outlets"].pane) == list(point_pane)
    assert json.loads(layers["Suggested new outlets"].pane) == list(point_pane)
    # Leaflet's overlayPane (the county fills) is 400: gaps above it, dots above the gaps.
    assert 400 < gap_pane[1] < point_pane[1] < 650
    for f in layers["Gaps in service"].features:
        assert 0.25 <= f["properties"]["s"]["fillOpacity"] <= 0.4
    page = maps.standalone_html(m)
    assert page.count("createPane(pane[0])") == 3
    assert "outline: none" in page


def test_cluster_legend_shows_each_colour_the_clusters_are_drawn_in(outlets, counties):
    """The three markercluster size classes, read from the stylesheet the page ships."""
    from locator.maps._outlets import CLUSTER_CLASSES

    css = (_assets.STATIC_DIR / _assets.CLUSTER_DEFAULT_CSS).read_text(encoding="utf-8")
    drawn = {}
    for css_class in ("small", "medium", "large"):
        rule = re.search(
            rf"^\.marker-cluster-{css_class} div \{{\s*background-color: rgba\((\d+), (\d+), (\d+)",
            css,
            re.MULTILINE,
        )
        assert rule is not None
        drawn[f"marker-cluster-{css_class}"] = "#{:02x}{:02x}{:02x}".format(
            *map(int, rule.groups())
        )
    assert {name: colour for name, _, colour, _ in CLUSTER_CLASSES} == drawn
    m = maps.province_map(outlets, counties, options=maps.MapOptions("none", "en"))
    from locator.maps._leaflet import Legend

    legends = [c for c in descendants(m) if isinstance(c, Legend)]
    entries = json.loads(legends[0].data)["entries"]
    groups = [(colour, label) for colour, _, label in entries if label.startswith("Group")]
    assert [colour for colour, _ in groups] == list(drawn.values())
    assert [label for _, label in groups] == [
        "Group of fewer than 10 outlets",
        "Group of 10–99 outlets",
        "Group of 100 or more outlets",
    ]


# --- export and its command ---------------------------------------------------------------------


@pytest.mark.slow
def test_whole_province_export_is_under_3_mb(tmp_path, outlets, counties):
    from locator.planning.coverage import gaps

    layer = gaps(outlets, counties)
    for tiles in ("osm", "amap"):
        path = maps.export_map(
            tmp_path / f"{tiles}.html",
            outlets,
            counties,
            gaps=layer,
            options=maps.MapOptions(tiles=tiles),
        )
        assert path.stat().st_size < 3_000_000
        page = path.read_text(encoding="utf-8")
        assert_offline_page(page)
        assert "<title>山西省社保卡服务网点地图</title>" in page


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_map_command_writes_the_page(capsys, tmp_path):
    target = tmp_path / "map.html"
    code, _, err = run(
        capsys,
        "export-map",
        "-o",
        str(target),
        "--layers",
        "counties,outlets",
        "--tiles",
        "none",
        "--lang",
        "en",
    )
    assert code == 0 and "wrote" in err
    page = target.read_text(encoding="utf-8")
    assert_offline_page(page)
    assert "L.tileLayer(" not in page and "Shanxi social security card outlets" in page


@pytest.mark.parametrize(
    ("argv", "shown", "not_shown"),
    [
        (["--lang", "zh"], "webrd0{s}.is.autonavi.com", "tile.openstreetmap.org"),
        (["--lang", "en"], "tile.openstreetmap.org", "webrd0{s}.is.autonavi.com"),
        (["--lang", "zh", "--tiles", "osm"], "tile.openstreetmap.org", "webrd0{s}.is.autonavi.com"),
        (
            ["--lang", "en", "--tiles", "amap"],
            "webrd0{s}.is.autonavi.com",
            "tile.openstreetmap.org",
        ),
    ],
)
def test_export_map_tiles_default_to_amap_in_chinese_and_osm_in_english(
    capsys, tmp_path, argv, shown, not_shown
):
    target = tmp_path / "map.html"
    code, _, _ = run(capsys, "export-map", "-o", str(target), "--layers", "counties", *argv)
    assert code == 0
    page = target.read_text(encoding="utf-8")
    tiles = re.findall(r"L\.tileLayer\(\s*\"([^\"]+)\"", page)
    assert len(tiles) == 1 and shown in tiles[0] and not_shown not in tiles[0]
    assert maps.default_tiles("zh") == "amap" and maps.default_tiles("en") == "osm"


def test_export_map_command_reads_a_gap_file(capsys, tmp_path, counties):
    gap_file = tmp_path / "gaps.geojson"
    grid_cells(counties).to_file(gap_file, driver="GeoJSON")
    target = tmp_path / "map.html"
    code, _, _ = run(
        capsys, "export-map", "-o", str(target), "--layers", "gaps", "--gaps", str(gap_file)
    )
    assert code == 0
    page = target.read_text(encoding="utf-8")
    tips = [
        f["properties"]["t"]
        for layer in payloads(page)
        if isinstance(layer, dict) and layer.get("type") == "FeatureCollection"
        for f in layer["features"]
    ]
    # named from the county layer, population summed
    assert tips == [
        {"rows": [["服务空白", name], ["人口", "180 人"]]} for name in counties["name"][:2]
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layers", "counties,roads"], "layer 'roads' is not one of counties, outlets, gaps"),
        (["--layers", "counties,,outlets"], "empty"),
        (["--tiles", "google"], "tiles 'google' is not one of osm, amap, none"),
        (["--gaps", "no-such-file.geojson"], "no-such-file.geojson: cannot be read"),
        (["--outlets", "no-such-file.geojson"], "no such file"),
    ],
)
def test_export_map_command_mistakes_are_one_line(capsys, tmp_path, argv, message):
    code, out, err = run(capsys, "export-map", "-o", str(tmp_path / "m.html"), *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert message in lines[0]
    assert not (tmp_path / "m.html").exists()


def test_export_map_command_needs_an_output(capsys):
    code, _, err = run(capsys, "export-map")
    assert code == 2 and "-o/--output" in err and len(err.strip().splitlines()) == 1


def test_read_gaps_names_the_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.geojson"):
        maps.read_gaps(bad)


# --- the branch layer (issue 14): its own colour, a legend entry only when drawn ---------------


def test_ordinary_branches_have_their_own_colour_and_legend_entry_only_when_drawn():
    from locator.maps._outlets import kind_key, outlet_legend
    from locator.tasks import KIND_LABELS

    assert [kind_key(k) for k in ("government", "bank", "branch", "kiosk", None)] == [
        "government", "bank", "branch", "other", "other",
    ]  # fmt: skip
    colours = {k: _layers.COLORS[k] for k in ("government", "bank", "branch", "other")}
    assert len(set(colours.values())) == 4
    one_stop = outlet_legend("zh", ["government", "bank", "bank"])
    assert [name for _, _, name in one_stop] == [
        KIND_LABELS["government"]["zh"],
        KIND_LABELS["bank"]["zh"],
    ]
    assert outlet_legend("en", ["branch"]) == [
        (colours["branch"], "dot", KIND_LABELS["branch"]["en"])
    ]
    assert outlet_legend("zh") == one_stop  # no kinds given: the one-stop kinds


def _legend_names(m):
    from locator.maps._leaflet import Legend

    legends = [c for c in descendants(m) if isinstance(c, Legend)]
    assert len(legends) == 1
    return [entry[2] for entry in json.loads(legends[0].data)["entries"]]


def test_maps_of_both_layers_draw_and_name_the_branches(counties):
    from locator import datasets
    from locator.index import OutletIndex
    from locator.tasks import KIND_LABELS

    branch = KIND_LABELS["branch"]["zh"]
    both = datasets.registry()
    found = OutletIndex(both).nearest(
        lon=111.5, lat=36.0, k=5, task="activate_finance", bank="招行"
    )
    assert "branch" in set(found["kind"]) and set(found["kind"]) != {"branch"}
    m = maps.resident_map(found, you=(111.5, 36.0))
    assert branch in _legend_names(m)
    assert _layers.COLORS["branch"] in maps.standalone_html(m)
    one_stop = found[found["kind"] != "branch"]
    assert branch not in _legend_names(maps.resident_map(one_stop, you=(111.5, 36.0)))
    m = maps.province_map(both, counties, layers=["outlets"])
    assert branch in _legend_names(m) and ".locator-pt-branch" in maps.standalone_html(m)
    m = maps.province_map(datasets.outlets(), counties, layers=["outlets"])
    assert branch not in _legend_names(m)


def test_county_tooltips_count_one_stop_outlets_not_ordinary_branches(counties):
    from locator import datasets
    from locator.counties import county_of
    from locator.maps import MapOptions, _outlet_counts

    registry = datasets.registry()
    layer = _outlet_counts(registry, counties, MapOptions())
    cards = [dict(f["properties"]["t"]["rows"]) for f in layer.features]
    shown = [int(c["网点"].replace(",", "")) for c in cards]
    one_stop = registry[registry["kind"] != "branch"]
    where = county_of(one_stop.geometry.x, one_stop.geometry.y, counties=counties)
    expected = pd.Series(where).value_counts()
    # One feature per county, in the layer's order (names repeat: four cities have a 城区).
    assert [f["properties"]["t"]["title"] for f in layer.features] == counties["name"].tolist()
    assert shown == [int(expected.get(code, 0)) for code in counties["adcode"]]
    assert sum(shown) == len(one_stop) == 1443
    # The card says whether the county meets the rule, and a click opens it as a popup.
    rule = [c["达到每县至少2个网点"] for c in cards]
    assert rule == ["是" if n >= 2 else "否" for n in shown]
    assert all(f["properties"]["p"] == f["properties"]["t"] for f in layer.features)
    inside = county_of(registry.geometry.x, registry.geometry.y, counties=counties)
    fewer = registry[np.asarray(inside) != counties["adcode"].iloc[0]]
    cards = [
        dict(f["properties"]["p"]["rows"])
        for f in _outlet_counts(fewer, counties, MapOptions()).features
    ]
    first = int(expected.get(counties["adcode"].iloc[0], 0))
    assert first >= 2 and cards[0]["达到每县至少2个网点"] == "否"


def test_planner_county_popups_give_rule_outlets_residents_and_coverage(counties):
    table = pd.DataFrame(
        {
            "adcode": counties["adcode"],
            "outlets": np.arange(len(counties)) % 4,
            "population": 1000.0 * np.arange(len(counties)),
            "covered_share": np.linspace(0, 1, len(counties)),
        }
    )
    table["meets_rule"] = table["outlets"] >= 2
    m = maps.planner_map(counties, table, metric="outlets", options=maps.MapOptions("none", "en"))
    layer = features(m, maps.metric_label("outlets", "en"))
    for f, row in zip(layer, table.itertuples(), strict=True):
        assert f["properties"]["p"] == f["properties"]["t"]
        card = dict(f["properties"]["p"]["rows"])
        assert card["Outlets"] == str(row.outlets)
        assert card["Meets the rule of 2 per county"] == ("yes" if row.outlets >= 2 else "no")
        assert card["Population"] == f"{round(row.population):,}"
        assert card["Share of residents covered"] == f"{row.covered_share:.1%}"


# --- the resident map: numbered pins, routes from the resident, call links (issue 11 §3) ------

EARTH_RADIUS_M = 6_371_008.8


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance of two (lon, lat) points, written out here (haversine)."""
    lon1, lat1, lon2, lat2 = np.radians([a[0], a[1], b[0], b[1]])
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)))


def decode_position(text: str) -> tuple[float, float]:
    """An Amap ``"lon,lat"`` (GCJ-02) back to WGS-84 with the inverse of locator.crs."""
    lon, lat = (float(v) for v in text.split(","))
    back = gcj02_to_wgs84(lon, lat)
    return float(back[0]), float(back[1])


YOU = (112.55, 37.87)


@pytest.fixture(scope="module")
def found(index) -> pd.DataFrame:
    return index.nearest(lon=YOU[0], lat=YOU[1], k=6)


@pytest.mark.parametrize("tiles", ["osm", "amap"])
def test_pins_carry_the_list_numbers_in_list_order_and_the_selected_rank(found, tiles):
    page = maps.standalone_html(
        maps.resident_map(found, you=YOU, options=maps.MapOptions(tiles, "en"), selected=3)
    )
    data = pin_data(page)
    assert [p["n"] for p in data["pins"]] == [1, 2, 3, 4, 5, 6]
    assert data["selected"] == 3
    assert [p["title"] for p in data["pins"]] == [
        f"{i}. {n}" for i, n in enumerate(found["name"], 1)
    ]
    assert [p["p"]["badge"] for p in data["pins"]] == ["1", "2", "3", "4", "5", "6"]
    # the numbers go outwards: straight-line distances from you, computed here, never shrink
    points = pin_points(maps.resident_map(found, you=YOU, options=maps.MapOptions(tiles)))
    if tiles == "amap":
        points = np.column_stack(gcj02_to_wgs84(points[:, 0], points[:, 1]))
    metres = [metres_apart(YOU, (x, y)) for x, y in points]
    assert metres == sorted(metres)
    np.testing.assert_allclose(np.array(metres) / 1000, found["distance_km"], rtol=0, atol=0.01)
    # the distance is labelled as straight-line
    rows = dict(data["pins"][0]["p"]["rows"])
    assert rows["Straight-line distance"] == f"{found['distance_km'].iloc[0]:.2f} km"


def test_a_rank_column_numbers_the_pins(found):
    ranked = found.assign(rank=[4, 5, 6, 7, 8, 9])
    # a rank read back from the table (a numpy integer) selects as well as a Python int
    selected = ranked["rank"].iloc[-1]
    assert isinstance(selected, np.integer)
    data = pin_data(maps.standalone_html(maps.resident_map(ranked, you=YOU, selected=selected)))
    assert [p["n"] for p in data["pins"]] == [4, 5, 6, 7, 8, 9] and data["selected"] == 9
    zh = dict(data["pins"][0]["p"]["rows"])
    assert "直线距离" in zh


@pytest.mark.parametrize(
    ("rank", "selected", "message"),
    [
        (None, 7, r"^selected 7 is not the rank of an outlet on the map \(1, 2, 3, 4, 5, 6\)"),
        (None, 0, r"^selected 0 is not the rank"),
        (None, True, r"^selected True is not the rank"),
        (None, np.bool_(True), r"^selected np.True_ is not the rank"),
        (None, "2", r"^selected '2' is not the rank"),
        (None, 2.0, r"^selected 2.0 is not the rank"),
        ([1, 2, 3, 4, 5, 1], None, r"^found: ranks \[1, 2, 3, 4, 5, 1\] repeat a number"),
        ([1, 2, 3, 4, 5, 0], None, r"^found: rank 0 is not a whole number from 1"),
        ([1, 2, 3, 4, 5, 2.5], None, r"^found: rank 2.5 is not a whole number from 1"),
        ([1, 2, 3, 4, 5, "x"], None, r"^found: rank 'x' is not a whole number from 1"),
    ],
)
def test_bad_ranks_and_selections_name_the_parameter(found, rank, selected, message):
    frame = found if rank is None else found.assign(rank=rank)
    with pytest.raises(ValidationError, match=message):
        maps.resident_map(frame, you=YOU, selected=selected)


@pytest.mark.parametrize("tiles", ["osm", "amap", "none"])
def test_route_links_go_from_the_resident_to_each_outlet_within_1_m(found, tiles):
    page = maps.standalone_html(
        maps.resident_map(found, you=YOU, options=maps.MapOptions(tiles, "zh"))
    )
    for pin, row in zip(pin_data(page)["pins"], found.itertuples(), strict=True):
        routes = pin["p"]["routes"]
        assert [mode for mode, _ in routes["modes"]] == ["walk", "bus", "car"]
        assert [text for _, text in routes["modes"]] == ["步行", "公交", "驾车"]
        assert (routes["from_name"], routes["to_name"]) == ("我的位置", row.name)
        # Amap wants GCJ-02 whatever the tiles: back to WGS-84, both ends within 1 m
        assert metres_apart(decode_position(routes["from"]), YOU) < 1.0
        assert metres_apart(decode_position(routes["to"]), (row.lon, row.lat)) < 1.0
        assert "nav" not in pin["p"]


def test_no_route_without_you_only_the_marker_link(found):
    m = maps.resident_map(found, you=None, options=maps.MapOptions("none"))
    page = maps.standalone_html(m)
    pins = pin_data(page)["pins"]
    assert all("routes" not in p["p"] for p in pins)
    assert "navigation?" not in json.dumps(pins)
    for pin, row in zip(pins, found.itertuples(), strict=True):
        assert metres_apart(decode_position(pin["p"]["nav"]["pos"]), (row.lon, row.lat)) < 1.0
        # without you, no distance is claimed either
        assert "距离" not in "".join(label for label, _ in pin["p"]["rows"])
    # and no lines from nobody
    layers = [c.layer_name for c in descendants(m) if isinstance(c, maps.Features)]
    assert "到各网点的直线" not in layers


def test_tel_links_only_for_phones_that_hold_a_number(found):
    frame = found.copy()
    # the phone rule is locator.links.tel_number's (its cases are in tests/test_links.py)
    frame["phone"] = [
        "0351-5527815",
        "0351-55278l5",
        None,
        "+86 351 123 4567",
        "{{ 7*7 }}",
        "12333",
    ]
    pins = pin_data(maps.standalone_html(maps.resident_map(frame, you=YOU)))["pins"]
    tels = [p["p"].get("tel", {}).get("number") for p in pins]
    assert tels == ["03515527815", None, None, "+863511234567", None, "12333"]
    assert {p["p"]["tel"]["label"] for p in pins if "tel" in p["p"]} == {"拨打电话"}
    # the phone text itself stays in the card, as text, with or without a link
    assert dict(pins[1]["p"]["rows"])["电话"] == "0351-55278l5"
    assert dict(pins[4]["p"]["rows"])["电话"] == "{{ 7*7 }}"


def test_pin_numbers_are_readable_on_every_kind_colour():
    from locator.maps._leaflet import contrast, ink

    for kind in ("government", "bank", "branch", "other"):
        colour = _layers.COLORS[kind]
        assert contrast(ink(colour), colour) >= 4.5, kind  # WCAG AA for normal text
    # the ratio as WCAG defines it, on colours whose luminance is known by hand
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_the_legend_is_what_the_resident_map_draws(found):
    from locator.maps._leaflet import Legend
    from locator.tasks import KIND_LABELS

    def entries(m):
        (legend,) = [c for c in descendants(m) if isinstance(c, Legend)]
        return json.loads(legend.data)["entries"]

    kinds = [k for k in ("government", "bank") if k in set(found["kind"])]
    with_you = entries(maps.resident_map(found, you=YOU, options=maps.MapOptions(lang="en")))
    assert [(e[1], e[2]) for e in with_you] == [
        ("dot", "You are here"),
        *[("pin", KIND_LABELS[k]["en"]) for k in kinds],
        ("line", "Straight lines to the outlets"),
    ]
    assert [e[0] for e in with_you if e[1] == "pin"] == [_layers.COLORS[k] for k in kinds]
    alone = entries(maps.resident_map(found, you=None, options=maps.MapOptions(lang="en")))
    assert [e[1] for e in alone] == ["pin"] * len(kinds)
    # an empty answer (the app before a place is chosen) draws no pins and lists none
    empty = maps.resident_map(found.iloc[:0], you=None)
    assert entries(empty) == [] and pin_data(maps.standalone_html(empty))["pins"] == []


def test_pins_and_popups_are_sized_in_relative_units(found):
    page = maps.standalone_html(maps.resident_map(found, you=YOU, selected=1))
    css = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    for selector in (".leaflet-marker-icon.locator-pin ", ".locator-card ", ".locator-links a "):
        rule = css.split(selector, 1)[1].split("}", 1)[0]
        assert "rem" in rule and not re.search(r"\d+px", rule), (selector, rule)
