"""Data text never becomes template source, markup or a link scheme, in any map.

branca compiles what it renders, so a name such as ``{{ 7*7 }}`` used to show as ``49`` and
a crafted one ran code. Every text field of outlets, counties, county tables, suggested sites
and a gap file here holds one of `CORPUS`; every map builder and every way a map reaches a
page (`export_map`, `standalone_html`, ``st_folium``, Jupyter's ``_repr_html_``) must carry
each text through unchanged, as data, with no evaluated form, no raw ``</script>`` and no
file made by the code-running payloads. Browser checks live in ``test_export_browser.py``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd
import pytest
import shapely

from locator import maps
from locator._errors import DataFileError, ValidationError
from locator.counties import SHANXI_EQUAL_AREA
from locator.i18n import LANGS
from locator.maps._leaflet import js

# Texts that would be read as template source, markup, script, a link or a direction change.
CORPUS = (
    "{{ 7*7 }}",
    "q{{ 7*7 }}q",
    "{% if 1 %}X{% endif %}",
    "w{% if 1 %}X{% endif %}w",
    "{# x",
    '{{ "',
    "%} #} }}",
    "{{'map_div'}}",  # the form st_folium turns back into a variable name
    "${7*7}",
    "`${alert(1)}`",
    "</script>",
    "</script><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<!-- <script>",
    "javascript:alert(1)",
    "\u202eRTL\u200e marks\u200f",
    "line\u2028separator\u2029",
    "&amp; &lt; &#x27;",
    "\"double\" 'single' \\ back\\slash",
    "$(document)",
)
# What the template payloads would become if compiled: must appear nowhere.
EVALUATED = ("q49q", "wXw")
MARK = "/* data */ "


# --- reading a page's data back -------------------------------------------------------------


def payloads(text: str) -> list[Any]:
    """Every JSON value a layer puts after ``/* data */`` in the page, decoded."""
    decoder = json.JSONDecoder()
    found, start = [], 0
    while (at := text.find(MARK, start)) >= 0:
        value, start = decoder.raw_decode(text, at + len(MARK))
        found.append(value)
    return found


def strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, dictionary keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def page_strings(text: str) -> set[str]:
    return {s for value in payloads(text) for s in strings(value)}


# --- hostile inputs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("canary")


@pytest.fixture(scope="module")
def corpus(canary: Path) -> tuple[str, ...]:
    """`CORPUS` and two payloads that, evaluated by Jinja, create a file in ``canary``."""
    gadgets = (
        "{{ cycler.__init__.__globals__.os.system('touch %s') }}" % (canary / "by-cycler"),
        "{%% set _ = lipsum.__globals__.os.makedirs('%s') %%}" % (canary / "by-lipsum"),
    )
    return (*CORPUS, *gadgets)


def assert_no_code_ran(canary: Path) -> None:
    assert list(canary.iterdir()) == [], "a payload was evaluated as a template"


def test_the_gadgets_do_run_when_compiled(corpus, canary: Path, tmp_path: Path) -> None:
    # The check is honest only if these payloads really run code when compiled, as they
    # did through branca; the same strings, pointed at another folder, must make files.
    from folium.template import Template

    for gadget in corpus[-2:]:
        Template(gadget.replace(str(canary), str(tmp_path))).render()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["by-cycler", "by-lipsum"]
    assert Template("q{{ 7*7 }}q").render() == EVALUATED[0]
    assert Template("w{% if 1 %}X{% endif %}w").render() == EVALUATED[1]


@pytest.fixture(scope="module")
def hostile(outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, corpus, tmp_path_factory):
    n = len(corpus)
    frame = outlets.copy()
    extra: list[dict[str, str]] = [{} for _ in range(len(frame))]
    for i, text in enumerate(corpus):
        at = frame.index[i * 7]  # spread over several counties
        for column in ("name", "address", "phone", "hours", "bank", "county_adcode"):
            frame.at[at, column] = text
        frame.at[at, "kind"] = text if i % 2 else frame.at[at, "kind"]
        extra[i * 7] = {text: text}
    frame["extra"] = extra
    county_frame = counties.copy()
    for i, text in enumerate(corpus):
        county_frame.loc[county_frame.index[i], "name"] = text
        county_frame.loc[county_frame.index[i], "city"] = corpus[(i + 1) % n]
    # A gap file from elsewhere: every property hostile, the population numbers.
    side, x0, y0 = 2_000.0, -20_000.0, 20_000.0
    boxes = [shapely.box(x0 + i * side, y0, x0 + (i + 1) * side, y0 + side) for i in range(n)]
    cells = gpd.GeoDataFrame(
        {
            "county_adcode": list(corpus),
            "county_name": list(corpus),
            "population": 10.0,
            "note": list(corpus),
        },
        geometry=boxes,
        crs=SHANXI_EQUAL_AREA,
    ).to_crs("EPSG:4326")
    path = tmp_path_factory.mktemp("gaps") / "gaps.geojson"
    cells.to_file(path, driver="GeoJSON")
    found = pd.DataFrame(frame.drop(columns="geometry")).iloc[[i * 7 for i in range(n)]]
    found = found.assign(
        lon=frame.geometry.x.iloc[[i * 7 for i in range(n)]].to_numpy(),
        lat=frame.geometry.y.iloc[[i * 7 for i in range(n)]].to_numpy(),
        distance_km=1.25,
    )
    table = pd.DataFrame(
        {"adcode": counties["adcode"], "covered_share": 0.5, **dict.fromkeys(corpus[:4], 1.0)}
    )
    suggestions = gpd.GeoDataFrame(
        {"rank": range(1, n + 1), "county": list(corpus), **{t: [t] * n for t in corpus[4:8]}},
        geometry=[shapely.Point(112.0 + i * 0.01, 37.5) for i in range(n)],
        crs="EPSG:4326",
    )
    return {
        "outlets": frame,
        "counties": county_frame,
        "gap_file": path,
        "found": found,
        "table": table,
        "suggestions": suggestions,
    }


def assert_literal(page: str, texts: tuple[str, ...], canary: Path) -> None:
    """Each text is in the page's data exactly; nothing evaluated, closed or run."""
    shown = page_strings(page)
    missing = [t for t in texts if t not in shown]
    assert not missing, missing
    for form in EVALUATED:
        assert form not in page and not any(form in s for s in shown), form
    # Every "</script>" in the page closes a <script> the page opened.
    assert page.count("</script>") == len(re.findall(r"<script\b", page))
    for text in texts:
        # (a bare "</script>" is the page's own too: the count above covers it)
        if set(text) & set("<>&'{}#%$`\u2028\u2029") and text != "</script>":
            assert text not in page, text  # written as \\uXXXX escapes, never raw
    assert_no_code_ran(canary)


def compiled_sources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on Jinja: the source of every template compiled from now on."""
    seen: list[str] = []
    parse = jinja2.Environment._parse

    def spy(self: Any, source: str, name: Any, filename: Any) -> Any:
        seen.append(source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", spy)
    return seen


def assert_never_compiled(sources: list[str], corpus: tuple[str, ...]) -> None:
    distinctive = [t for t in corpus if "{" in t or "onerror" in t or "javascript:" in t]
    for source in sources:
        for text in distinctive:
            assert text not in source, (text, source[:200])


# --- every map, every way to a page ----------------------------------------------------------


def test_export_map_shows_every_text_as_given(hostile, corpus, canary, tmp_path, monkeypatch):
    sources = compiled_sources(monkeypatch)
    gaps = maps.read_gaps(hostile["gap_file"])
    path = maps.export_map(tmp_path / "m.html", hostile["outlets"], hostile["counties"], gaps=gaps)
    page = path.read_text(encoding="utf-8")
    assert_literal(page, corpus, canary)
    assert_never_compiled(sources, corpus)
    # the clustered outlets: each name, address, phone, hours and bank exactly as given
    cluster = next(p for p in payloads(page) if isinstance(p, list) and p and len(p[0]) == 10)
    config = next(p for p in payloads(page) if isinstance(p, dict) and "banks" in p)
    rows = {r[3]: r for r in cluster}
    for text in corpus:
        r = rows[text]
        assert (r[5], r[6], config["banks"][r[4]], config["hours"][r[7]]) == (text,) * 4


@pytest.mark.parametrize("you", [(112.5, 37.8), None])
def test_resident_map_shows_every_text_as_given(hostile, corpus, canary, monkeypatch, you):
    # both popup kinds: numbered pins with route links from the resident, and without one,
    # the marker link; ranks from a column, one pin selected
    sources = compiled_sources(monkeypatch)
    found = hostile["found"].assign(rank=range(3, len(corpus) + 3))
    m = maps.resident_map(found, you=you, counties=hostile["counties"], selected=5)
    page = maps.standalone_html(m)
    assert_literal(page, corpus, canary)
    assert_never_compiled(sources, corpus)
    data = next(p for p in payloads(page) if isinstance(p, dict) and "pins" in p)
    assert data["selected"] == 5 and [p["n"] for p in data["pins"]] == list(found["rank"])
    assert len(data["pins"]) == len(corpus)
    for pin, row in zip(data["pins"], found.itertuples(), strict=True):
        popup = pin["p"]
        assert popup["title"] == row.name and pin["title"] == f"{row.rank}. {row.name}"
        assert popup["badge"] == str(row.rank) and pin["kind"] in ("government", "bank", "other")
        values = dict(popup["rows"])
        assert [values[k] for k in ("地址", "电话", "营业时间", "银行")] == [row.name] * 4
        # no hostile phone text passes the call filter
        assert "tel" not in popup
        # links are built in the page from a fixed https prefix, numbers and encoded names
        if you is None:
            assert re.fullmatch(r"\d+\.\d{6},\d+\.\d{6}", popup["nav"]["pos"])
            assert popup["nav"]["name"] == row.name
            url = maps.amap_navigation_url(lon=row.lon, lat=row.lat, name=row.name)
            assert url.startswith(f"https://uri.amap.com/marker?position={popup['nav']['pos']}&")
        else:
            routes = popup["routes"]
            # the link's name on one line (as locator.links.amap_route_url writes it)
            assert "nav" not in popup and routes["to_name"] == " ".join(row.name.split())
            for end in ("from", "to"):
                assert re.fullmatch(r"\d+\.\d{6},\d+\.\d{6}", routes[end])
            assert [m for m, _ in routes["modes"]] == ["walk", "bus", "car"]


def test_no_corpus_text_becomes_a_number_to_call(corpus) -> None:
    from locator.links import tel_number

    assert [tel_number(text) for text in corpus] == [None] * len(corpus)
    # glued to hostile text, a number comes out as its digits alone, or not at all; with
    # another digit beside it (7*7, alert(1)), not at all
    for text in corpus:
        for glued in (f"0351-5527815{text}", f"{text}0351-5527815"):
            assert tel_number(glued) in (None, "03515527815"), glued
        if re.search(r"[0-9]", text) and not re.search(r"[/,;、|]", text):
            assert tel_number(f"{text}0351-5527815") is None, text


def test_planner_map_shows_every_text_as_given(hostile, corpus, canary, monkeypatch):
    sources = compiled_sources(monkeypatch)
    gaps = maps.read_gaps(hostile["gap_file"])
    for metric in ("covered_share", corpus[0], corpus[3]):
        m = maps.planner_map(
            hostile["counties"],
            hostile["table"],
            metric=metric,
            outlets=hostile["outlets"],
            gaps=gaps,
            suggestions=hostile["suggestions"],
            options=maps.MapOptions(lang="en"),
        )
        page = maps.standalone_html(m)
        assert_literal(page, corpus, canary)
        label = "Share of residents covered" if metric == "covered_share" else metric
        legend = next(p for p in payloads(page) if isinstance(p, dict) and "entries" in p)
        assert legend["title"] == label
        layer_names = next(
            p
            for p in payloads(page)
            if isinstance(p, list) and p and isinstance(p[0], list) and isinstance(p[0][0], bool)
        )
        assert [False, "OpenStreetMap"] in layer_names
        assert [True, label] in layer_names
    assert_never_compiled(sources, corpus)


def test_province_map_of_every_tile_source_and_language(hostile, corpus, canary):
    gaps = maps.read_gaps(hostile["gap_file"])
    for tiles in maps.TILES:
        for lang in LANGS:
            m = maps.province_map(
                hostile["outlets"],
                hostile["counties"],
                gaps=gaps,
                options=maps.MapOptions(tiles, lang),
            )
            assert_literal(m.get_root().render(), corpus, canary)


def st_folium_args(m: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ``st_folium`` sends to its component: the real function, the component stubbed."""
    import streamlit_folium

    sent: dict[str, Any] = {}
    monkeypatch.setattr(streamlit_folium, "_component_func", lambda **kwargs: sent.update(kwargs))
    streamlit_folium.st_folium(maps.use_local_assets(m, "/app/static"), key="map")
    return sent


def test_st_folium_gets_every_text_as_given(hostile, corpus, canary, monkeypatch):
    gaps = maps.read_gaps(hostile["gap_file"])
    built = [
        maps.province_map(hostile["outlets"], hostile["counties"], gaps=gaps),
        maps.resident_map(hostile["found"], you=(112.5, 37.8), counties=hostile["counties"]),
        maps.planner_map(
            hostile["counties"],
            hostile["table"],
            metric=corpus[0],
            outlets=hostile["outlets"],
            gaps=gaps,
            suggestions=hostile["suggestions"],
        ),
    ]
    for m in built:
        sent = st_folium_args(m, monkeypatch)
        # st_folium keeps the header (minus external files), the body html and the
        # macros' scripts; the data must be in the script, and nowhere else
        page = "\n".join([sent["header"], sent["html"], sent["script"]])
        assert_literal(page, corpus, canary)
        assert payloads(sent["header"] + sent["html"]) == []
        assert "locatorCard" in sent["script"] and "map_div" in sent["script"]


def test_st_folium_redraws_when_only_the_data_changes(outlets, counties, monkeypatch):
    # st_folium keys its component on the script: a map whose data changed must change it,
    # or the browser keeps showing the old map.
    keys = set()
    for name in ("first", "{{ 7*7 }}", "{{ 7*8 }}"):
        frame = outlets.head(3).copy()
        frame.loc[frame.index[0], "name"] = name
        keys.add(st_folium_args(maps.province_map(frame, counties), monkeypatch)["key"])
    assert len(keys) == 3


def test_jupyter_display_shows_every_text_as_given(hostile, corpus, canary):
    m = maps.resident_map(hostile["found"], you=None, counties=hostile["counties"])
    frame = m._repr_html_()  # what a notebook shows: the page in an iframe's srcdoc
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))
    assert_literal(srcdoc, corpus, canary)


# --- the encoder and the gap file -------------------------------------------------------------


def test_js_output_has_no_delimiters_and_decodes_to_the_input(corpus):
    value = {"t": list(corpus), "nested": [{"k": {t: [t, 1.5, None, True]}} for t in corpus]}
    text = js(value)
    assert json.loads(text) == value
    for bad in ("{{", "{%", "{#", "<", ">", "&", "'", "`", "$", "\u2028", "\u2029"):
        assert bad not in text, bad


def test_a_gap_file_population_that_is_not_a_number_is_named(tmp_path, outlets, counties, capsys):
    cells = gpd.GeoDataFrame(
        {"county_name": ["a", "b", "c"], "population": ["12", "{{ 7*7 }}", "-"]},
        geometry=[shapely.Point(112.5, 37.8 + i / 100).buffer(0.01) for i in range(3)],
        crs="EPSG:4326",
    )
    path = tmp_path / "gaps.geojson"
    cells.to_file(path, driver="GeoJSON")
    with pytest.raises(DataFileError, match=r"gaps\.geojson: row 2, column population: "):
        maps.read_gaps(path)
    with pytest.raises(ValidationError, match=r"gaps: row 2, .*\(2 rows like it\)"):
        maps.province_map(outlets.head(3), counties, layers=["gaps"], gaps=cells)
    from locator.cli import main

    code = main(["export-map", "-o", str(tmp_path / "m.html"), "--gaps", str(path)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "gaps.geojson: row 2, column population" in lines[0]
    assert not (tmp_path / "m.html").exists()


def test_export_map_command_with_a_hostile_registry_and_gap_file(
    outlets, hostile, corpus, canary, tmp_path, capsys
):
    # The reported failure: `locator export-map` on such a registry printed 49, or a
    # TemplateSyntaxError traceback for "{#".
    from locator.cli import main

    registry = outlets.copy()
    fields = ["name", "address", "phone", "hours"]
    for i, text in enumerate(corpus):
        registry.loc[registry.index[i * 5], fields] = text
    path = tmp_path / "registry.geojson"
    registry.to_file(path, driver="GeoJSON")
    target = tmp_path / "map.html"
    argv = ["export-map", "-o", str(target), "--outlets", str(path)]
    code = main([*argv, "--gaps", str(hostile["gap_file"])])
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    page = target.read_text(encoding="utf-8")
    assert_literal(page, corpus, canary)
    cluster = next(p for p in payloads(page) if isinstance(p, list) and p and len(p[0]) == 10)
    by_name = {r[3]: r for r in cluster}
    assert all(by_name[text][5:7] == [text, text] for text in corpus)
