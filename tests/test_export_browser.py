"""The exported HTML map opened from disk in Debian's Chromium, with every network request refused.

Leaflet must come from the page itself, the counties, gaps and clustered outlets must draw,
and hostile names must show as text with no script of theirs run. If Chromium cannot start
here, these tests fail (they are not skipped).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from locator import maps
from locator.counties import SHANXI_EQUAL_AREA

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parents[1] / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_OUTLET = "<img src=x onerror=alert(1)>"
HOSTILE_ADDRESS = "<script>alert(2)</script>${alert(3)}"
HOSTILE_COUNTY = "<img src=y onerror=alert(4)>"

# The Leaflet map object, whatever folium named its variable.
FIND_MAP = "Object.values(window).find((v) => v instanceof L.Map)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class OfflinePage:
    """A page that refuses every request that is not for a file:// or data: URL."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.refused: list[tuple[str, str]] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _route(self, route: Any) -> None:
        request = route.request
        if request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.refused.append((request.resource_type, request.url))
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        self.page.wait_for_function(
            "typeof L !== 'undefined' && document.querySelector('.leaflet-pane')"
        )
        self.page.wait_for_timeout(300)
        return self.page


@pytest.fixture
def offline(browser: Any) -> Iterator[OfflinePage]:
    page = OfflinePage(browser)
    yield page
    page.page.close()


@pytest.fixture(scope="module")
def hostile(outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> dict[str, Any]:
    frame = outlets.copy()
    target = frame.index[0]
    frame.loc[target, "name"] = HOSTILE_OUTLET
    frame.loc[target, "address"] = HOSTILE_ADDRESS
    county_frame = counties.copy()
    county_frame.loc[county_frame.index[0], "name"] = HOSTILE_COUNTY
    x0, y0, side = -20_000.0, 20_000.0, 2_000.0
    boxes = [
        shapely.box(x0 + i * side, y0 + j * side, x0 + (i + 1) * side, y0 + (j + 1) * side)
        for i in range(4)
        for j in range(4)
    ]
    gaps = gpd.GeoDataFrame(
        {"county_adcode": ["999999"] * 16, "county_name": HOSTILE_COUNTY, "population": 5.0},
        geometry=boxes,
        crs=SHANXI_EQUAL_AREA,
    ).to_crs("EPSG:4326")
    row = frame.loc[target]
    return {
        "outlets": frame,
        "counties": county_frame,
        "gaps": gaps,
        "lon": float(row.geometry.x),
        "lat": float(row.geometry.y),
    }


def assert_no_script_ran(offline: OfflinePage) -> None:
    page = offline.page
    assert offline.dialogs == []
    assert offline.errors == []
    assert page.locator('img[src="x"], img[src="y"]').count() == 0
    # only tile images were asked for; Leaflet and its plugin came from the page
    assert {kind for kind, _ in offline.refused} <= {"image"}, offline.refused


def test_exported_province_map_draws_offline_and_shows_names_as_text(
    offline: OfflinePage, hostile: dict[str, Any], tmp_path: Path
) -> None:
    path = maps.export_map(
        tmp_path / "province.html",
        hostile["outlets"],
        hostile["counties"],
        gaps=hostile["gaps"],
        options=maps.MapOptions(tiles="osm"),
    )
    page = offline.open(path)
    assert page.evaluate("typeof L") == "object"
    assert page.evaluate("typeof L.markerClusterGroup") == "function"
    n_counties = len(hostile["counties"])
    # counties and the gap area are SVG paths (the gaps in their own pane); outlets are icons
    assert page.locator(".leaflet-overlay-pane path").count() >= n_counties
    assert page.locator(".leaflet-locatorGaps-pane path").count() >= 1
    assert page.locator(".leaflet-marker-pane .marker-cluster").count() > 10
    assert page.locator(".leaflet-control-layers-overlays label").count() == 3
    assert "区县" in page.locator(".locator-legend").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "export_province.png"))

    # open the hostile outlet's popup: zoom until its cluster splits, then open it
    page.evaluate(
        """([name]) => new Promise((done) => {
            const map = __MAP__;
            map.eachLayer((layer) => {
                if (!(layer instanceof L.MarkerClusterGroup)) return;
                const marker = layer.getLayers().find(
                    (m) => m.getTooltip().getContent()(m).textContent === name);
                layer.zoomToShowLayer(marker, () => { marker.openPopup(); done(); });
            });
        })""".replace("__MAP__", FIND_MAP),
        [HOSTILE_OUTLET],
    )
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert HOSTILE_OUTLET in text and "<script>alert(2)</script>${alert(3)}" in text
    href = popup.locator("a").get_attribute("href")
    assert href == maps.amap_navigation_url(
        lon=hostile["lon"], lat=hostile["lat"], name=HOSTILE_OUTLET
    )
    page.wait_for_timeout(400)  # let the popup finish fading in
    page.screenshot(path=str(ARTIFACTS / "export_popup.png"))

    # county and gap tooltips carry the hostile county name as text
    tips = page.evaluate(
        """() => {
            const map = __MAP__;
            const texts = [];
            map.eachLayer((layer) => {
                if (layer.feature && layer.getTooltip()) {
                    layer.openTooltip();
                    const tip = layer.getTooltip().getElement();
                    if (tip) texts.push(tip.innerText);
                    layer.closeTooltip();
                }
            });
            return texts;
        }""".replace("__MAP__", FIND_MAP)
    )
    assert sum(HOSTILE_COUNTY in tip for tip in tips) == 2  # its county, and the gap
    assert_no_script_ran(offline)


def test_resident_map_without_tiles_draws_offline(
    offline: OfflinePage, hostile: dict[str, Any], tmp_path: Path
) -> None:
    outlets = hostile["outlets"]
    found = pd.DataFrame(outlets.drop(columns="geometry")).head(5)
    found = found.assign(
        lon=outlets.geometry.x.iloc[:5].to_numpy(),
        lat=outlets.geometry.y.iloc[:5].to_numpy(),
        distance_km=[0.5, 1.0, 1.5, 2.0, 2.5],
    )
    you = (float(found["lon"].mean()), float(found["lat"].mean()))
    m = maps.resident_map(
        found, you=you, counties=hostile["counties"], options=maps.MapOptions("none", "en")
    )
    path = tmp_path / "resident.html"
    path.write_text(maps.standalone_html(m), encoding="utf-8")
    page = offline.open(path)
    assert offline.refused == []  # no tiles, nothing to ask for
    paths = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    # 117 counties + 5 lines + you; the 5 outlets are numbered pins
    assert paths.count() == len(hostile["counties"]) + 6
    assert page.locator(".leaflet-marker-pane .locator-pin").count() == 5
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-container')).backgroundColor"
    )
    assert background == "rgb(255, 255, 255)"
    page.locator(".locator-pin", has_text="1").first.click()  # the hostile outlet is first
    text = page.locator(".leaflet-popup-content").first.inner_text()
    assert HOSTILE_OUTLET in text and "Straight-line distance" in text and "0.50 km" in text
    assert html.escape(HOSTILE_OUTLET) not in text  # escaped once, not twice
    # the hostile name goes into the route links encoded, as locator.links writes them
    from locator.links import amap_route_url

    hrefs = page.evaluate(
        """() => Array.from(document.querySelectorAll(".leaflet-popup-content .locator-links a"),
            (a) => [a.protocol, a.getAttribute("href")])"""
    )
    expected = [
        amap_route_url(
            from_lon=you[0], from_lat=you[1], to_lon=found["lon"].iloc[0],
            to_lat=found["lat"].iloc[0], mode=mode, from_name="My location",
            to_name=HOSTILE_OUTLET,
        )
        for mode in ("walk", "transit", "drive")
    ]  # fmt: skip
    assert [href for _, href in hrefs[:3]] == expected
    assert {protocol for protocol, _ in hrefs[:3]} == {"https:"}
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "export_resident.png"))
    assert_no_script_ran(offline)


# --- every hostile text of test_map_injection.CORPUS, shown as the very same text -------------

OPEN_CLUSTER_POPUP = """([name]) => new Promise((done) => {
    const map = __MAP__;
    map.closePopup();
    map.eachLayer((layer) => {
        if (!(layer instanceof L.MarkerClusterGroup)) return;
        const marker = layer.getLayers().find(
            (m) => m.getTooltip().getContent()(m).textContent === name);
        if (window.lastMarker) window.lastMarker.closeTooltip();
        window.lastMarker = marker;
        layer.zoomToShowLayer(marker, () => { marker.openTooltip(); marker.openPopup(); done(); });
    });
})""".replace("__MAP__", FIND_MAP)

# The popup and tooltip as the page drew them: exact text, no whitespace folded.
READ_CARDS = """() => {
    const popup = document.querySelector(".leaflet-popup-content");
    const tip = document.querySelector(".leaflet-tooltip");
    return {
        title: popup.querySelector("b").textContent,
        cells: Array.from(popup.querySelectorAll("td"), (td) => td.textContent),
        href: popup.querySelector("a").getAttribute("href"),
        protocol: popup.querySelector("a").protocol,
        tip: tip ? tip.textContent : null,
        elements: popup.querySelectorAll("img, script, svg, iframe").length,
    };
}"""


def test_every_hostile_text_shows_literally_in_popups_and_tooltips(
    offline: OfflinePage, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    from tests.test_map_injection import CORPUS, EVALUATED

    frame = outlets.copy()
    rows = [frame.index[i * 11] for i in range(len(CORPUS))]
    for at, text in zip(rows, CORPUS, strict=True):
        frame.loc[at, ["name", "address", "phone", "hours", "bank"]] = text
    path = maps.export_map(
        tmp_path / "corpus.html", frame, counties, options=maps.MapOptions("none", "en")
    )
    page = offline.open(path)
    for at, text in zip(rows, CORPUS, strict=True):
        page.evaluate(OPEN_CLUSTER_POPUP, [text])
        # the previous popup and tooltip fade out first
        page.wait_for_function(
            "document.querySelectorAll('.leaflet-popup-content').length === 1 &&"
            " document.querySelectorAll('.leaflet-tooltip').length === 1"
        )
        got = page.evaluate(READ_CARDS)
        assert got["title"] == text and got["tip"] == text
        # bank, address, phone, hours: the same text in every cell
        assert got["cells"] == ["Bank", text, "Address", text, "Phone", text, "Hours", text]
        assert got["elements"] == 0 and got["protocol"] == "https:"
        point = frame.loc[at].geometry
        assert got["href"] == maps.amap_navigation_url(lon=point.x, lat=point.y, name=text)
    body = page.evaluate("document.body.innerText")
    assert not any(form in body for form in EVALUATED)
    assert_no_script_ran(offline)


def test_planner_map_legend_and_layer_names_show_literally(
    offline: OfflinePage, counties: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    metric = "{{ 7*7 }}<img src=x onerror=alert(1)>"
    table = pd.DataFrame({"adcode": counties["adcode"], metric: range(len(counties))})
    named = counties.copy()
    named.loc[named.index[0], ["name", "city"]] = ["{% if 1 %}X{% endif %}", "</script>"]
    m = maps.planner_map(named, table, metric=metric, options=maps.MapOptions("none", "en"))
    path = tmp_path / "planner.html"
    path.write_text(maps.standalone_html(m), encoding="utf-8")
    page = offline.open(path)
    assert page.locator(".locator-legend b").text_content() == metric
    labels = page.locator(".leaflet-control-layers-overlays label").all_text_contents()
    assert [label.strip() for label in labels] == [metric]
    tip = page.evaluate(
        """() => { let text = null; const map = __MAP__; map.eachLayer((layer) => {
            if (layer.feature && layer.feature.properties.t.title.startsWith("{%")) {
                layer.openTooltip(); text = layer.getTooltip().getElement().textContent;
            }
        }); return text; }""".replace("__MAP__", FIND_MAP)
    )
    assert tip.startswith("{% if 1 %}X{% endif %} · </script>")
    assert_no_script_ran(offline)


def _rgb(css_colour: str) -> tuple[int, ...]:
    """The red, green and blue of a computed CSS colour (``rgb(...)`` or ``rgba(...)``)."""
    inside = css_colour[css_colour.index("(") + 1 : css_colour.index(")")]
    return tuple(int(float(part)) for part in inside.split(",")[:3])


def test_cluster_legend_matches_the_drawn_clusters_and_a_click_leaves_no_outline(
    offline: OfflinePage, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    """Issue 12 §6: the legend swatches are the colours the cluster icons are drawn in."""
    path = maps.export_map(
        tmp_path / "province.html", outlets, counties, options=maps.MapOptions("none", "en")
    )
    page = offline.open(path)
    drawn = page.evaluate(
        """() => {
            const seen = {};
            for (const size of ["small", "medium", "large"]) {
                const icon = document.querySelector(".marker-cluster-" + size + " div");
                if (icon) seen[size] = getComputedStyle(icon).backgroundColor;
            }
            return seen;
        }"""
    )
    assert len(drawn) >= 2, drawn  # the province at its first zoom shows several sizes
    swatches = page.evaluate(
        """() => Array.from(document.querySelectorAll(".locator-legend div")).map(
            (line) => [line.textContent, getComputedStyle(line.querySelector("i")).backgroundColor])"""
    )
    legend = {text: _rgb(colour) for text, colour in swatches if text.startswith("Group")}
    names = {
        "small": "Group of fewer than 10 outlets",
        "medium": "Group of 10–99 outlets",
        "large": "Group of 100 or more outlets",
    }
    assert set(legend) == set(names.values())
    for size, colour in drawn.items():
        assert legend[names[size]] == _rgb(colour), size

    # a click on a county opens its popup or tooltip but draws no focus rectangle
    box = page.locator(".leaflet-overlay-pane path").nth(40).bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    focused = page.evaluate(
        """() => { const el = document.activeElement, style = getComputedStyle(el);
            return [el.tagName, style.outlineStyle, style.outlineWidth]; }"""
    )
    assert focused[1] == "none" or focused[2] == "0px", focused
    outline = page.evaluate(
        """() => { const path = document.querySelector(".leaflet-overlay-pane path");
            path.setAttribute("tabindex", "0"); path.focus();
            return getComputedStyle(path).outlineStyle; }"""
    )
    assert outline == "none"
    assert_no_script_ran(offline)


# The page st_folium's component builds (streamlit_folium 0.27 frontend): Leaflet from
# js_links, then ``head.innerHTML += header``, a div with ``innerHTML = html``, and a
# <script> whose text is ``script``, in that order.
ST_FOLIUM_FRAME = """<!doctype html><html><head><meta charset="utf-8">{assets}</head>
<body><div id="map_div" style="width: 1000px; height: 800px"></div></body></html>"""
ST_FOLIUM_ASSEMBLE = """([header, html, script]) => {
    document.head.innerHTML += header;
    const div = document.createElement("div");
    div.innerHTML = html;
    document.body.appendChild(div);
    const s = document.createElement("script");
    s.innerHTML = script + "window.map = map_div;";
    document.body.appendChild(s);
}"""


def test_st_folium_page_shows_hostile_names_literally(
    offline: OfflinePage,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from locator.maps import _assets
    from tests.test_map_injection import CORPUS, EVALUATED, st_folium_args

    frame, named = outlets.copy(), counties.copy()
    picked = [frame.index[i * 13] for i in range(len(CORPUS))]
    for at, text in zip(picked, CORPUS, strict=True):
        frame.loc[at, ["name", "address"]] = text
    named.loc[named.index[: len(CORPUS)], "name"] = list(CORPUS)
    sent = st_folium_args(
        maps.province_map(frame, named, options=maps.MapOptions("none")), monkeypatch
    )
    assets = "".join(
        f"<script>{_assets.script_text(p)}</script>"
        for p in (_assets.LEAFLET_JS, _assets.CLUSTER_JS)
    ) + "".join(
        f"<style>{_assets.style_text(p)}</style>"
        for p in (_assets.LEAFLET_CSS, _assets.CLUSTER_CSS, _assets.CLUSTER_DEFAULT_CSS)
    )
    page = offline.page
    page.set_content(ST_FOLIUM_FRAME.format(assets=assets))
    page.evaluate(ST_FOLIUM_ASSEMBLE, [sent["header"], sent["html"], sent["script"]])
    page.wait_for_function("window.map && document.querySelector('.marker-cluster')")
    open_popup = OPEN_CLUSTER_POPUP.replace(FIND_MAP, "window.map")
    for text in (CORPUS[1], CORPUS[3], CORPUS[11], CORPUS[12], CORPUS[14]):
        page.evaluate(open_popup, [text])
        page.wait_for_function(
            "document.querySelectorAll('.leaflet-popup-content').length === 1 &&"
            " document.querySelectorAll('.leaflet-tooltip').length === 1"
        )
        got = page.evaluate(READ_CARDS)
        address = got["cells"][got["cells"].index("地址") + 1]
        assert (got["title"], got["tip"], address) == (text, text, text)
        assert got["protocol"] == "https:" and got["elements"] == 0
    tips = page.evaluate(
        """() => { const texts = []; window.map.eachLayer((layer) => {
            if (layer.feature && layer.getTooltip()) {
                layer.openTooltip(); texts.push(layer.getTooltip().getElement().textContent);
                layer.closeTooltip();
            }
        }); return texts; }"""
    )
    for text in CORPUS:
        assert any(tip.startswith(text + " · ") for tip in tips), text
    body = page.evaluate("document.body.innerText")
    assert not any(form in body for form in EVALUATED)
    assert_no_script_ran(offline)


# --- the resident map: numbered pins in list order, routes and a call link (issue 11 §3) -----

YOU = (112.55, 37.87)
READ_PINS = """() => Array.from(document.querySelectorAll(".leaflet-marker-pane .locator-pin"),
    (el) => ({
        text: el.textContent,
        title: el.getAttribute("title"),
        label: el.getAttribute("aria-label"),
        role: el.getAttribute("role"),
        selected: el.classList.contains("locator-pin-selected"),
        z: Number(el.style.zIndex),
        width: el.getBoundingClientRect().width,
        colour: getComputedStyle(el).color,
        background: getComputedStyle(el).backgroundColor,
    }))"""
READ_POPUP = """() => {
    const popup = document.querySelector(".leaflet-popup-content");
    const box = document.querySelector(".leaflet-popup").getBoundingClientRect();
    return {
        badge: popup.querySelector(".locator-badge").textContent,
        title: popup.querySelector("b").textContent,
        links: Array.from(popup.querySelectorAll(".locator-links a"),
            (a) => [a.textContent, a.getAttribute("href")]),
        box: [box.left, box.right, box.top, box.bottom],
    };
}"""


def _resident_page(offline: OfflinePage, path: Path, found: pd.DataFrame, **kwargs: Any) -> Any:
    m = maps.resident_map(found, you=YOU, **kwargs)
    path.write_text(maps.standalone_html(m), encoding="utf-8")
    return offline.open(path)


def _decoded(end: str) -> tuple[float, float, str]:
    """One end of an Amap route link, ``lon,lat,name`` in GCJ-02, as WGS-84 and the name."""
    from urllib.parse import unquote

    from locator.crs import gcj02_to_wgs84

    lon, lat, name = end.split(",", 2)
    back = gcj02_to_wgs84(float(lon), float(lat))
    return float(back[0]), float(back[1]), unquote(name)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    import math

    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_resident_pins_follow_the_list_and_pin_2_opens_routes_and_a_call_link(
    offline: OfflinePage, index: Any, counties: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    import re
    from urllib.parse import parse_qs, urlsplit

    from locator.links import amap_route_url
    from locator.maps._leaflet import contrast

    found = index.nearest(lon=YOU[0], lat=YOU[1], k=5)
    page = _resident_page(
        offline, tmp_path / "pins.html", found, counties=counties, options=maps.MapOptions("none")
    )
    pins = page.evaluate(READ_PINS)
    names = list(found["name"])
    assert [p["text"] for p in pins] == ["1", "2", "3", "4", "5"]
    assert [p["title"] for p in pins] == [f"{i}. {n}" for i, n in enumerate(names, 1)]
    assert [p["label"] for p in pins] == [p["title"] for p in pins]
    assert {p["role"] for p in pins} == {"button"} and not any(p["selected"] for p in pins)
    for pin in pins:  # the number reads on the kind's colour (WCAG AA)
        ink, fill = ("#{:02x}{:02x}{:02x}".format(*_rgb(pin[k])) for k in ("colour", "background"))
        assert contrast(ink, fill) >= 4.5, pin
    # each number sits on its outlet (no tiles: WGS-84 as given)
    where = page.evaluate(
        """() => { const out = []; (__MAP__).eachLayer((l) => {
            if (l.locatorRank) out.push([l.locatorRank, l.getLatLng().lng, l.getLatLng().lat]);
        }); return out.sort((a, b) => a[0] - b[0]); }""".replace("__MAP__", FIND_MAP)
    )
    for (rank, lon, lat), row in zip(where, found.itertuples(), strict=True):
        assert rank == row.Index + 1 and _metres((lon, lat), (row.lon, row.lat)) < 1.5

    page.locator(".leaflet-marker-pane .locator-pin").nth(1).click()
    page.locator(".leaflet-popup-content").wait_for()
    popup = page.evaluate(READ_POPUP)
    row = found.iloc[1]
    assert (popup["badge"], popup["title"]) == ("2", row["name"])
    routes = [(text, href) for text, href in popup["links"] if href.startswith("https:")]
    assert [text for text, _ in routes] == ["步行", "公交", "驾车"]
    for (_, href), mode in zip(routes, ("walk", "transit", "drive"), strict=True):
        # the page's link is the very one locator.links writes ...
        expected = amap_route_url(
            from_lon=YOU[0], from_lat=YOU[1], to_lon=row["lon"], to_lat=row["lat"],
            mode=mode, from_name="我的位置", to_name=row["name"],
        )  # fmt: skip
        assert href == expected
        # ... and decodes, independently, to you and to outlet 2 within 1 m
        parts = urlsplit(href)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/navigation")
        query = parse_qs(parts.query)
        start, end = _decoded(query["from"][0]), _decoded(query["to"][0])
        assert _metres(start[:2], YOU) < 1.0 and start[2] == "我的位置"
        assert _metres(end[:2], (row["lon"], row["lat"])) < 1.0 and end[2] == row["name"]
        assert query["mode"] == [{"walk": "walk", "transit": "bus", "drive": "car"}[mode]]
    calls = [(text, href) for text, href in popup["links"] if href.startswith("tel:")]
    assert calls == [("拨打电话", "tel:" + re.sub(r"[^0-9]", "", row["phone"]))]
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "resident_pins.png"))
    assert_no_script_ran(offline)


def test_selected_pin_stands_out_and_its_popup_fits_a_phone(
    offline: OfflinePage, index: Any, tmp_path: Path
) -> None:
    found = index.nearest(lon=YOU[0], lat=YOU[1], k=5)
    offline.page.set_viewport_size({"width": 390, "height": 844})
    page = _resident_page(
        offline, tmp_path / "phone.html", found, options=maps.MapOptions("none", "en"), selected=2
    )
    page.locator(".leaflet-popup-content").wait_for()
    popup = page.evaluate(READ_POPUP)
    assert (popup["badge"], popup["title"]) == ("2", found["name"].iloc[1])
    left, right, top, bottom = popup["box"]
    assert left >= 0 and right <= 390 and top >= 0 and bottom <= 844, popup["box"]
    assert [text for text, _ in popup["links"]][:4] == ["Walk", "Transit", "Drive", "Call"]
    pins = page.evaluate(READ_PINS)
    assert [p["selected"] for p in pins] == [False, True, False, False, False]
    others = [p for p in pins if not p["selected"]]
    assert pins[1]["width"] > 1.3 * max(p["width"] for p in others)  # larger
    assert pins[1]["z"] > max(p["z"] for p in others)  # in front
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / "resident_pins_phone.png"))
    # the pins are reached with the keyboard, in list order, and show where the focus is
    # (the lines and your dot come first: their tooltips make them focusable too)
    read_focus = """() => { const el = document.activeElement;
        return [el.classList.contains("locator-pin"), el.textContent,
                getComputedStyle(el).outlineStyle]; }"""
    page.locator(".leaflet-container").focus()
    focused = []
    for _ in range(20):
        page.keyboard.press("Tab")
        is_pin, text, outline = page.evaluate(read_focus)
        if is_pin:
            focused.append([text, outline])
        elif focused:
            break
    assert focused == [[str(i), "solid"] for i in range(1, 6)]
    # sized in rem: a larger system font makes the pins larger
    before = [p["width"] for p in pins]
    page.evaluate("document.documentElement.style.fontSize = '32px'")
    after = [p["width"] for p in page.evaluate(READ_PINS)]
    assert all(b > 1.9 * a for a, b in zip(before, after, strict=True)), (before, after)
    assert_no_script_ran(offline)


def test_every_hostile_name_goes_into_the_route_links_as_locator_links_writes_it(
    offline: OfflinePage, outlets: gpd.GeoDataFrame, tmp_path: Path
) -> None:
    from locator.links import amap_route_url
    from tests.test_map_injection import CORPUS

    rows = outlets.iloc[: len(CORPUS)]
    found = pd.DataFrame(rows.drop(columns="geometry")).assign(
        name=list(CORPUS), lon=rows.geometry.x.to_numpy(), lat=rows.geometry.y.to_numpy()
    )
    page = _resident_page(offline, tmp_path / "corpus.html", found, options=maps.MapOptions("none"))
    got = page.evaluate(
        """() => { const out = []; const map = __MAP__;
            map.eachLayer((l) => { if (!l.locatorRank) return;
                l.openPopup();
                const popup = l.getPopup().getElement();  // the closed ones fade out slowly
                out.push([l.locatorRank, popup.querySelector("b").textContent,
                    Array.from(popup.querySelectorAll(".locator-links a"),
                        (a) => a.getAttribute("href"))]);
                l.closePopup();
            }); return out.sort((a, b) => a[0] - b[0]); }""".replace("__MAP__", FIND_MAP)
    )
    assert [title for _, title, _ in got] == list(CORPUS)
    for (_, name, hrefs), row in zip(got, found.itertuples(), strict=True):
        expected = [
            amap_route_url(
                from_lon=YOU[0], from_lat=YOU[1], to_lon=row.lon, to_lat=row.lat,
                mode=mode, from_name="我的位置", to_name=name,
            )
            for mode in ("walk", "transit", "drive")
        ]  # fmt: skip
        assert hrefs[:3] == expected, name
    assert_no_script_ran(offline)
