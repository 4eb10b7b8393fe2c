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
    # 117 counties + 5 lines + 5 outlets + you
    assert paths.count() == len(hostile["counties"]) + 11
    background = page.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-container')).backgroundColor"
    )
    assert background == "rgb(255, 255, 255)"
    page.evaluate(
        """() => { const map = __MAP__; map.eachLayer((layer) => {
            if (layer.feature && layer.feature.properties.p &&
                layer.feature.properties.p.title === name) { layer.openPopup(); }
        }); }""".replace("__MAP__", FIND_MAP).replace("() =>", "([name]) =>"),
        [HOSTILE_OUTLET],
    )
    text = page.locator(".leaflet-popup-content").first.inner_text()
    assert HOSTILE_OUTLET in text and "Distance" in text and "0.50 km" in text
    assert html.escape(HOSTILE_OUTLET) not in text  # escaped once, not twice
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
