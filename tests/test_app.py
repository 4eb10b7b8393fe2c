"""The Streamlit app, run headless with streamlit.testing's AppTest (no browser).

AppTest cannot click a folium map; a click is what ``st_folium`` stores under the map's
key (``{"last_clicked": {"lat", "lng"}}``), so the tests put exactly that there. Places
come through the URL (``st.query_params``) and the place search.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from locator import datasets, settings
from locator.app.state import escape_markdown
from locator.app.upload import import_upload
from locator.crs import gcj02_to_wgs84
from locator.distance import haversine_km
from locator.i18n import STRINGS, column_label, t
from locator.index import OutletIndex
from locator.planning.coverage import coverage_report
from locator.planning.demand import estimate_demand
from locator.planning.siting import suggest_sites
from locator.tasks import KIND_LABELS, TASKS, far_alternatives
from tests.test_app_state import (
    HOSTILE_LAT,
    HOSTILE_LON,
    MISMATCH_NAME,
    PAYLOADS,
    hostile_registry,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT_S = 120  # the first run loads the data; the planner builds the demand grid

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_ADDRESS = "**粗体** [链接](javascript:alert(1)) :red[x] $x$"
HOSTILE_CSV = (
    "网点名称,网点类型,所属银行,经度,纬度,地址,联系电话,营业时间\n"
    f'"{HOSTILE}",银行网点,工行,112.55,37.86,"{HOSTILE_ADDRESS}",0351-1,"<script>alert(2)</script>"\n'
    "正常网点,社保卡服务中心,,112.56,37.87,某路1号,12333,9:00-17:00\n"
).encode()


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.query_params.update(params)
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.fixture(scope="module")
def demand(counties: gpd.GeoDataFrame) -> Any:
    return estimate_demand(counties)


# --- resident view ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def both_index() -> OutletIndex:
    """What the resident page searches: both shipped layers (one-stop outlets and branches)."""
    return OutletIndex(datasets.registry())


def _nearest_of_bank(lon: float, lat: float, bank: str, task: str) -> tuple[str, float]:
    """Brute force over both shipped layers: the nearest branch of ``bank`` that does ``task``."""
    both = datasets.registry()
    mine = both[(both["bank"] == bank) & both["services"].map(lambda s: task in s)]
    d = haversine_km(lon, lat, mine.geometry.x.to_numpy(), mine.geometry.y.to_numpy())
    return str(mine["name"].iloc[int(np.argmin(d))]), float(d.min())


def _far_point(bank: str) -> tuple[float, float, float]:
    """From the data: the county point farthest from every branch of ``bank``, and how far."""
    both, counties = datasets.registry(), datasets.counties()
    branches = both[both["bank"] == bank]
    points = counties.geometry.representative_point()
    gap = haversine_km(
        points.x.to_numpy()[:, None],
        points.y.to_numpy()[:, None],
        branches.geometry.x.to_numpy()[None, :],
        branches.geometry.y.to_numpy()[None, :],
    ).min(axis=1)
    at = int(gap.argmax())
    return float(points.x.iloc[at]), float(points.y.iloc[at]), float(gap[at])


@pytest.mark.slow
def test_the_cmb_card_of_the_issue_gets_the_nearest_cmb_branch_of_either_kind() -> None:
    # Issue 14: a 招商银行 card at 36.0 N, 111.5 E was sent 136 km to 晋城.
    name, km = _nearest_of_bank(111.5, 36.0, "招商银行", "activate_finance")
    at = _app(lat="36.0", lon="111.5", task="activate_finance", bank="招行", k="3")
    _ok(at)
    shown = _frame_with(at, "名称")
    assert shown["名称"].iloc[0] == name
    assert shown["距离（公里）"].iloc[0] == round(km, 2)
    assert set(shown["银行"]) == {"招商银行"}
    assert set(shown["类型"]) <= {KIND_LABELS["bank"]["zh"], KIND_LABELS["branch"]["zh"]}
    cards = [m for m in _texts(at) if m.startswith("**1. ")]
    kind = shown["类型"].iloc[0]
    assert cards and escape_markdown(kind) in cards[0]
    far = [w.value for w in at.warning if "上门服务" in w.value]
    if km > settings.far_branch_km:
        assert far and "12333" in far[0] and "95555" in far[0]
    else:
        assert not far
        assert any(t("branches_searched") in m.value for m in at.markdown)


@pytest.mark.slow
@pytest.mark.parametrize(("bank", "lang"), [("渤海银行", "zh"), ("山西银行", "en")])
def test_a_far_bank_gets_the_note_with_the_alternatives(bank: str, lang: str) -> None:
    lon, lat, gap = _far_point(bank)
    assert gap > settings.far_branch_km, "the sample has a county far from this bank"
    at = _app(lat=f"{lat:.6f}", lon=f"{lon:.6f}", task="unfreeze_account", bank=bank, lang=lang)
    _ok(at)
    notes = [w.value for w in at.warning if str(round(gap)) in w.value]
    assert len(notes) == 1, [w.value for w in at.warning]
    note = notes[0]
    assert note.startswith(
        t("far_branch", lang, km=f"{gap:.0f}", limit=f"{settings.far_branch_km:g}")
    )
    for line in far_alternatives(bank, lang):
        assert escape_markdown(line) in note
    assert "上门服务" in note and "代理办理" in note and "12333" in note
    if bank == "山西银行":
        assert "back of your card" in note  # no number we are not sure of
    # The answer itself is still there: the nearest branches of that bank.
    assert len(_frame_with(at, t("col_name", lang))) > 0


def _cards(at: AppTest) -> list[str]:
    """The result cards' texts, in page order (each starts "**<rank>. <name>**")."""
    return [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]


def _links(at: AppTest) -> list[tuple[str, str]]:
    """(label, URL) of every link button on the page."""
    return [(b.proto.label, b.proto.url) for b in at.get("link_button")]


def _query_of(url: str) -> dict[str, str]:
    from urllib.parse import parse_qs, urlparse

    return {key: values[-1] for key, values in parse_qs(urlparse(url).query).items()}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "bank"),
    [("activate_finance", "工行"), ("reset_card_pin", None), ("transit_topup", None)],
)
def test_a_link_gives_the_nearest_outlets_of_the_index(
    both_index: OutletIndex, task: str, bank: str | None
) -> None:
    from locator.crs import wgs84_to_gcj02

    params = {"lat": "37.86", "lon": "112.55", "task": task, "k": "4", "at": "2026-10-01T10:00"}
    at = _app(**params, **({"bank": bank} if bank else {}))
    _ok(at)
    expected = both_index.nearest(lon=112.55, lat=37.86, k=4, task=task, bank=bank)
    shown = _frame_with(at, "名称")
    assert shown["名称"].tolist() == expected["name"].tolist()
    assert shown["距离（公里）"].tolist() == expected["distance_km"].round(2).tolist()
    cards = _cards(at)
    assert len(cards) == len(expected) == 4
    for rank, (card, name) in enumerate(zip(cards, expected["name"], strict=True), start=1):
        assert card.startswith(f"**{rank}. {escape_markdown(name)}**")
    links = _links(at)
    calls = [url for _, url in links if url.startswith("tel:")]
    assert len(calls) == len(expected)
    assert all(re.fullmatch(r"tel:\+?\d{3,15}", url) for url in calls)
    routes = [url for _, url in links if url.startswith("https://uri.amap.com/navigation")]
    assert len(routes) == 3 * len(expected)  # walk, transit and drive for each
    you = wgs84_to_gcj02(112.55, 37.86)
    for i, (lon, lat) in enumerate(zip(expected["lon"], expected["lat"], strict=True)):
        to = wgs84_to_gcj02(lon, lat)  # Amap reads GCJ-02, from the resident to the outlet
        for url in routes[3 * i : 3 * i + 3]:
            query = _query_of(url)
            start = [float(v) for v in query["from"].split(",")[:2]]
            end = [float(v) for v in query["to"].split(",")[:2]]
            assert start == pytest.approx([float(v) for v in you], abs=1e-6)
            assert end == pytest.approx([float(v) for v in to], abs=1e-6)
        assert {_query_of(url)["mode"] for url in routes[3 * i : 3 * i + 3]} == {
            "walk",
            "bus",
            "car",
        }
    assert at.query_params["task"] == task
    assert at.query_params["at"] == "2026-10-01T10:00"  # the fixed clock stays in the link
    if bank:
        assert at.query_params["bank"] == "中国工商银行"


@pytest.mark.slow
def test_widgets_and_a_map_click_give_the_nearest_outlets(both_index: OutletIndex) -> None:
    at = _app()
    _ok(at)
    at.selectbox(key="task").set_value("reset_bank_password").run()
    assert not at.text_input  # the bank comes before where you are
    at.selectbox(key="bank").set_value("中国银行").run()
    assert any(t("no_location") in i.value for i in at.info)  # nothing asked yet
    at.session_state["resident_map"] = {"last_clicked": {"lat": 38.0, "lng": 112.9}}
    at.run()
    at.slider(key="k").set_value(3).run()
    _ok(at)
    # The Chinese page opens on Amap: the click is a GCJ-02 position, searched as WGS-84.
    assert at.sidebar.selectbox(key="tiles").value == "amap"
    lon, lat = gcj02_to_wgs84(112.9, 38.0)
    assert abs(lon - 112.9) > 1e-3  # the shift is real here (hundreds of metres)
    expected = both_index.nearest(
        lon=lon, lat=lat, k=3, task="reset_bank_password", bank="中国银行"
    )
    assert _frame_with(at, "名称")["名称"].tolist() == expected["name"].tolist()
    assert set(_frame_with(at, "名称")["银行"]) == {"中国银行"}
    params = at.query_params
    assert (params["lat"], params["lon"], params["bank"]) == (
        f"{lat:.6f}",
        f"{lon:.6f}",
        "中国银行",
    )


@pytest.mark.slow
def test_the_place_search_sets_the_location(
    both_index: OutletIndex, counties: gpd.GeoDataFrame
) -> None:
    at = _app(task="apply")
    at.text_input(key="place_q").input("晋城城区").run()
    _ok(at)
    seat = counties[(counties["name"] == "城区") & (counties["city"] == "晋城市")].iloc[0]
    expected = both_index.nearest(lon=seat["seat_lon"], lat=seat["seat_lat"], k=5, task="apply")
    assert _frame_with(at, "名称")["名称"].tolist() == expected["name"].tolist()
    assert float(at.query_params["lon"]) == pytest.approx(seat["seat_lon"], abs=1e-6)
    # Answered: the questions fold into one line that names the place, county and city.
    assert not at.text_input and not [s for s in at.selectbox if s.key == "task"]
    line = next(m.value for m in at.markdown if "晋城市" in m.value and "城区" in m.value)
    assert TASKS["apply"].label("zh") in line
    at.button(key="change").click().run()
    at.text_input(key="place_q").input("北格镇").run()  # a town: no coordinates offline
    assert any("北格镇" in w.value for w in at.warning)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_ambiguous_place_asks_which_one_and_answers_from_the_one_chosen(
    both_index: OutletIndex, counties: gpd.GeoDataFrame, lang: str
) -> None:
    at = _app(task="apply", lang=lang)
    at.text_input(key="place_q").input("城区").run()
    _ok(at)
    which = at.radio(key="place_pick")
    assert which.label == t("place_pick", lang) and which.value is None
    assert not _cards(at)  # no answer until the resident says which 城区
    cities = set(counties.loc[counties["name"] == "城区", "city"])
    assert len(cities) >= 2
    for city in cities:  # every 城区 offered, each named with its city
        assert any(city in option for option in which.options), which.options
    pick = next(i for i, o in enumerate(which.options) if "阳泉市" in o)
    which.set_value(pick).run()
    _ok(at)
    seat = counties[(counties["name"] == "城区") & (counties["city"] == "阳泉市")].iloc[0]
    expected = both_index.nearest(lon=seat["seat_lon"], lat=seat["seat_lat"], k=5, task="apply")
    cards = _cards(at)
    assert cards[0].startswith(f"**1. {escape_markdown(expected['name'].iloc[0])}**")
    assert len(cards) == len(expected)
    line = next(m.value for m in at.markdown if "阳泉市" in m.value and "·" in m.value)
    assert "城区" in line  # the place is shown with its city


@pytest.mark.slow
def test_an_own_bank_task_asks_the_bank_first_and_does_not_query() -> None:
    at = _app(task="unfreeze_account")
    _ok(at)
    assert at.selectbox(key="bank").value is None
    assert not at.text_input and "resident_map" not in at.session_state  # no place asked yet
    assert any(t("bank_needed") in i.value for i in at.info)
    at = _app(task="unfreeze_account", lat="37.86", lon="112.55")  # a link with no bank
    _ok(at)
    assert not _cards(at) and not [d for d in at.dataframe if "名称" in d.value.columns]
    assert "bank" not in at.query_params
    at.selectbox(key="bank").set_value("招商银行").run()
    _ok(at)
    assert _cards(at)  # the position of the link is answered once the bank is given
    assert set(_frame_with(at, "名称")["银行"]) == {"招商银行"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_online_only_task_shows_the_online_channel_alone(lang: str) -> None:
    at = _app(lang=lang)
    at.selectbox(key="task").set_value("reset_ecard_password").run()
    _ok(at)
    channel = TASKS["reset_ecard_password"].online_channel(lang)
    assert channel is not None and not channel.outlet_also
    assert [s.value for s in at.header] == [t("online_only", lang)]
    shown = " ".join(i.value for i in at.info)
    for part in (channel.app, channel.steps, channel.cost, channel.hotline):
        assert escape_markdown(part) in shown
    assert "12333" in shown
    # Nothing else: no place, no map, no slider, no outlets.
    assert not at.text_input and not at.slider and not at.main.radio
    assert "resident_map" not in at.session_state and not _cards(at)
    assert not at.get("link_button")


@pytest.mark.slow
def test_a_task_done_online_and_at_outlets_shows_the_online_channel_first() -> None:
    at = _app(task="apply", lat="37.86", lon="112.55")
    _ok(at)
    channel = TASKS["apply"].online_channel("zh")
    assert channel is not None and channel.outlet_also
    online = [m.value for m in at.markdown if escape_markdown(channel.steps) in m.value]
    assert len(online) == 1
    order = [e.value for e in at.main if e.type in ("markdown", "caption")]
    assert order.index(online[0]) < order.index(_cards(at)[0])


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_task_is_chosen_and_the_question_keeps_its_words(lang: str) -> None:
    at = _app(lang=lang)
    _ok(at)
    task = at.selectbox(key="task")
    assert task.value is None and task.label == t("task", lang)
    assert task.proto.placeholder == t("task_placeholder", lang)
    # Just the question: no place box, no map, no location prompt.
    assert not at.text_input and "resident_map" not in at.session_state
    assert not any(t("no_location", lang) in i.value for i in at.info)
    other = "en" if lang == "zh" else "zh"
    at.sidebar.radio(key="lang").set_value(other).run()
    at.sidebar.radio(key="view").set_value("planner").run()
    at.sidebar.radio(key="view").set_value("resident").run()
    at.sidebar.radio(key="lang").set_value(lang).run()
    _ok(at)
    task = at.selectbox(key="task")
    assert task.value is None and task.proto.placeholder == t("task_placeholder", lang)
    assert not task.proto.set_value  # never sent as a value: the placeholder stays
    at.selectbox(key="task").set_value("apply").run()
    at.sidebar.radio(key="view").set_value("planner").run()
    at.sidebar.radio(key="view").set_value("resident").run()
    assert at.selectbox(key="task").value == "apply"  # a choice survives the other page


@pytest.mark.slow
@pytest.mark.parametrize(("start", "then"), [("zh", "en"), ("en", "zh")])
def test_the_page_choice_stays_selected_after_a_language_switch(start: str, then: str) -> None:
    at = _app(lang=start)
    at.sidebar.radio(key="view").set_value("planner").run()
    at.sidebar.radio(key="lang").set_value(then).run()
    _ok(at)
    view = at.sidebar.radio(key="view")
    assert view.value == "planner"
    # The browser holds the old language's words: the page sends the choice again in the new.
    assert view.proto.set_value and view.proto.raw_value == t("view_planner", then)
    assert at.title[0].value == t("title", then)


@pytest.mark.slow
def test_bad_link_values_give_messages_in_resident_words() -> None:
    at = _app(lat="abc", lon="112.5", task="fly", bank="某某银行", lang="fr", k="0", view="x")
    _ok(at)
    errors = [e.value for e in at.error]
    for key in ("url_bad_position", "url_bad_task", "url_bad_bank", "url_bad_lang", "url_bad_view"):
        assert escape_markdown(t(key)) in errors
    assert escape_markdown(t("url_bad_k", max="10")) in errors
    text = " ".join(errors)
    for developer in ("--", "fly", "lat", "lon", "'", "Traceback", "ValidationError"):
        assert developer not in text
    for code in TASKS:
        assert code not in text
    assert at.title[0].value == t("title")  # the page opens, in Chinese, asking the task
    assert at.selectbox(key="task").value is None
    at.selectbox(key="task").set_value("renew").run()  # the messages go once the user acts
    assert not at.error


@pytest.mark.slow
def test_the_english_switch_changes_the_labels() -> None:
    at = _app(task="activate_finance")
    assert at.title[0].value == t("title", "zh")
    assert at.selectbox(key="task").label == t("task", "zh")
    at.sidebar.radio(key="lang").set_value("en").run()
    _ok(at)
    assert at.title[0].value == t("title", "en")
    task_box = at.selectbox(key="task")
    assert task_box.label == t("task", "en")
    assert TASKS["activate_finance"].label("en") in task_box.options
    assert task_box.proto.set_value  # the chosen task, sent again in English
    assert at.selectbox(key="bank").label == t("bank", "en")
    assert at.query_params["lang"] == "en"
    han = re.compile(r"[\u4e00-\u9fff]")
    assert not any(han.search(i.value) for i in [*at.info, *at.markdown, *at.header])


@pytest.mark.slow
def test_a_point_outside_shanxi_is_answered_with_a_warning(both_index: OutletIndex) -> None:
    at = _app(task="apply", lat="39.90", lon="116.40")  # Beijing
    _ok(at)
    assert any(t("outside") in w.value for w in at.warning)
    expected = both_index.nearest(lon=116.40, lat=39.90, k=5, task="apply")
    assert _frame_with(at, "名称")["名称"].tolist() == expected["name"].tolist()


# --- planner view ----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_planner_figures_equal_locator_coverage(
    outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, demand: Any
) -> None:
    at = _app(view="planner")
    _ok(at)
    at.slider(key="radius").set_value(3.0).run()
    at.selectbox(key="planner_task").set_value("reset_card_pin").run()
    _ok(at)
    report = coverage_report(outlets, counties, demand=demand, task="reset_card_pin", radius_km=3.0)
    shown = _frame_with(at, column_label("covered_share")).reset_index(drop=True)
    expected = report.counties.reset_index(drop=True)
    assert shown[column_label("name")].tolist() == expected["name"].tolist()
    assert shown[column_label("outlets")].tolist() == expected["outlets"].tolist()
    assert shown[column_label("meets_rule")].tolist() == expected["meets_rule"].tolist()
    # Read as the page shows them: whole residents, shares in percent, distances to 0.01 km.
    np.testing.assert_array_equal(
        shown[column_label("covered_population")].to_numpy(float),
        expected["covered_population"].round().to_numpy(float),
    )
    np.testing.assert_allclose(
        shown[column_label("covered_share")], expected["covered_share"] * 100, atol=0.05
    )
    np.testing.assert_allclose(shown[column_label("p95_km")], expected["p95_km"], atol=0.005)
    metrics = {m.label: m.value for m in at.metric}
    province = report.province
    assert metrics[t("p_outlets")] == f"{province['outlets']:,}"
    assert metrics[t("p_rule")] == f"{province['counties_meeting_rule']} / 117"
    assert metrics[t("p_share", r=3.0)] == f"{province['covered_share']:.1%}"
    assert metrics[t("p_mean")] == f"{province['mean_km']:.2f}"
    assert {b.label for b in at.get("download_button")} >= {
        t(k) for k in ("download_csv", "download_gaps", "download_html", "download_xlsx")
    }
    assert at.query_params["view"] == "planner"


@pytest.mark.slow
def test_an_uploaded_registry_is_used_everywhere_and_its_text_is_escaped() -> None:
    at = _app(view="planner")
    at.file_uploader(key="upload").set_value(("hostile.csv", HOSTILE_CSV, "text/csv"))
    at.run()
    _ok(at)
    assert any(t("upload_counts", read=2, accepted=2, rejected=0) in c.value for c in at.caption)
    assert _frame_with(at, column_label("covered_share"))[column_label("outlets")].sum() == 2
    assert any(escape_markdown("hostile.csv") in i.value for i in at.sidebar.info)

    at.sidebar.radio(key="view").set_value("resident").run()
    at.selectbox(key="task").set_value("apply").run()
    at.session_state["resident_map"] = {"last_clicked": {"lat": 37.86, "lng": 112.55}}
    at.run()
    _ok(at)
    shown = _frame_with(at, "名称")
    assert shown["名称"].tolist() == [HOSTILE, "正常网点"]  # tables show the text as it is
    assert shown["地址"].iloc[0] == HOSTILE_ADDRESS
    card = next(m for m in _texts(at) if m.startswith("**1. "))
    assert escape_markdown(HOSTILE) in card and escape_markdown(HOSTILE_ADDRESS) in card
    for element in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error]:
        assert not getattr(element.proto, "allow_html", False)
        unescaped = re.sub(r"\\.", "", element.value)
        assert "<img" not in unescaped and "<script" not in unescaped
        assert "](javascript" not in unescaped


def test_every_dynamic_label_key_exists() -> None:
    from locator.app.state import VIEWS

    keys = [f"view_{v}" for v in VIEWS]
    keys += [f"tiles_{v}" for v in ("osm", "amap", "none")]
    keys += [f"metric_{m}" for m in ("outlets", "meets_rule", "covered_share")]
    assert set(keys) <= set(STRINGS)


@pytest.mark.slow
def test_siting_suggestions_and_layers_on_the_planner_map(
    outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, demand: Any
) -> None:
    at = _app(view="planner")
    at.slider(key="new_sites").set_value(4).run()
    at.toggle(key="show_gaps").set_value(True)
    at.toggle(key="show_outlets").set_value(True).run()
    _ok(at)
    expected = suggest_sites(outlets, counties, demand=demand, new=4, radius_km=5.0)
    shown = _frame_with(at, column_label("new_population"))
    assert shown[column_label("rank")].tolist() == [1, 2, 3, 4]
    coordinates = [column_label("lon"), column_label("lat")]
    np.testing.assert_allclose(shown[coordinates], expected[["lon", "lat"]])
    np.testing.assert_array_equal(
        shown[column_label("new_population")].to_numpy(float),
        expected["new_population"].round().to_numpy(float),
    )
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the gain curve


@pytest.mark.slow
def test_choices_survive_a_visit_to_the_other_page() -> None:
    at = _app()
    at.selectbox(key="task").set_value("unfreeze_account").run()
    at.selectbox(key="bank").set_value("招商银行").run()
    at.sidebar.radio(key="view").set_value("planner").run()
    at.slider(key="radius").set_value(10.0).run()
    at.sidebar.radio(key="view").set_value("resident").run()
    _ok(at)
    assert (at.selectbox(key="task").value, at.selectbox(key="bank").value) == (
        "unfreeze_account",
        "招商银行",
    )
    at.sidebar.radio(key="view").set_value("planner").run()
    assert at.slider(key="radius").value == 10.0


# --- hostile input ---------------------------------------------------------------------------


def _no_markup_left(at: AppTest) -> None:
    """No element renders HTML, and every Markdown text holds escaped data only."""
    for element in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error]:
        assert not getattr(element.proto, "allow_html", False)
        unescaped = re.sub(r"\\.", "", element.value)
        for active in ("<img", "<script", "</script", "](javascript", ":red[", "{{", "${", "$x"):
            assert active not in unescaped, element.value


@pytest.mark.slow
def test_a_hostile_registry_shows_as_plain_text_everywhere() -> None:
    at = _app(view="planner")
    at.file_uploader(key="upload").set_value(("hostile.csv", hostile_registry(), "text/csv"))
    at.run()
    _ok(at)
    n = len(PAYLOADS)
    counts = t("upload_counts", read=2 * n + 1, accepted=n + 1, rejected=n)
    assert any(counts in c.value for c in at.caption)
    report = _frame_with(at, "reason")  # the import report: the rejected banks, as written
    assert set(PAYLOADS) <= set(report["value"])
    mismatches = _frame_with(at, column_label("declared_county"))
    assert MISMATCH_NAME in mismatches[column_label("name")].tolist()
    _no_markup_left(at)

    at.sidebar.radio(key="view").set_value("resident").run()
    at.selectbox(key="task").set_value("apply").run()
    at.session_state["resident_map"] = {
        "last_clicked": {"lat": HOSTILE_LAT, "lng": HOSTILE_LON + 0.004}
    }
    at.run()
    at.slider(key="k").set_value(10).run()
    _ok(at)
    index = OutletIndex(import_upload(hostile_registry(), name="hostile.csv").outlets)
    lon, lat = gcj02_to_wgs84(HOSTILE_LON + 0.004, HOSTILE_LAT)  # clicked on Amap (GCJ-02)
    expected = index.nearest(lon=lon, lat=lat, k=10, task="apply")
    shown = _frame_with(at, "名称")
    assert shown["名称"].tolist() == expected["name"].tolist()  # the literal texts
    assert set(shown["名称"]) <= set(PAYLOADS)
    for column in ("地址", "电话", "营业时间"):
        assert shown[column].tolist() == shown["名称"].tolist()
    cards = [m.value for m in at.markdown if re.match(r"\*\*\d+\. ", m.value)]
    assert len(cards) == len(expected)
    for rank, name in enumerate(expected["name"], start=1):
        assert cards[rank - 1].startswith(f"**{rank}. {escape_markdown(name)}**")
    _no_markup_left(at)

    # The place search finds a hostile outlet by its name; the options are plain text.
    at.button(key="change").click().run()
    at.text_input(key="place_q").input("{{ 7*7 }}").run()
    _ok(at)
    if at.main.radio:  # several equally good: which one? (each option plain text)
        options = at.radio(key="place_pick").options
        pick = next(i for i, o in enumerate(options) if o.startswith("{{ 7*7 }} · "))
        at.radio(key="place_pick").set_value(pick).run()
    _ok(at)
    where = escape_markdown("{{ 7*7 }} · ")  # the place chosen, named in the summary line
    assert any(where in m.value for m in at.markdown if not m.value.startswith("**"))
    _no_markup_left(at)


@pytest.mark.slow
def test_an_upload_over_the_limits_says_so_in_the_page_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "upload_timeout_s", 0.001)
    at = _app(view="planner", lang="en")
    at.file_uploader(key="upload").set_value(("slow.csv", HOSTILE_CSV, "text/csv"))
    at.run()
    _ok(at)
    errors = [e.value for e in at.error]
    assert errors and errors[0].startswith(t("upload_limit_time", "en") + ": ")
    assert escape_markdown("slow.csv: the import did not finish within 0.001 s") in errors[0]
    assert "Traceback" not in " ".join(errors)
    # The page keeps working on the shipped data, and the next upload goes through.
    assert (
        _frame_with(at, column_label("covered_share", "en"))[column_label("outlets", "en")].sum()
        == 1443
    )
    monkeypatch.setattr(settings, "upload_timeout_s", 60)
    at.file_uploader(key="upload").set_value(("fine.csv", HOSTILE_CSV, "text/csv"))
    at.run()
    _ok(at)
    assert not at.error
    assert any(
        t("upload_counts", "en", read=2, accepted=2, rejected=0) in c.value for c in at.caption
    )

    at.file_uploader(key="upload").set_value(("empty.csv", b"", "text/csv"))
    at.run()
    _ok(at)
    assert [e.value for e in at.error][0].startswith(t("upload_error", "en") + ": empty\\.csv")


@pytest.mark.slow
def test_the_planner_offers_only_tasks_an_outlet_can_do() -> None:
    at = _app(view="planner")
    _ok(at)
    options = at.selectbox(key="planner_task").options
    online_only = [code for code, task in TASKS.items() if not task.kinds]
    assert online_only  # the routing table has some; they have no coverage to compute
    assert not {TASKS[code].label("zh") for code in online_only} & set(options)
    assert len(options) == 1 + len(TASKS) - len(online_only)


# --- the page as `locator app` runs it -------------------------------------------------------

PAGE = Path(__file__).resolve().parents[1] / "locator" / "app" / "page.py"
LEAFLET = Path(__file__).resolve().parents[1] / "locator" / "maps" / "static" / "leaflet"


@pytest.mark.slow
def test_the_package_page_is_the_page_make_run_shows() -> None:
    at = AppTest.from_file(str(PAGE), default_timeout=TIMEOUT_S)
    at.query_params.update({"lat": "37.87", "lon": "112.55", "task": "apply", "lang": "en"})
    at.run()
    _ok(at)
    assert at.title[0].value == t("title", "en")
    assert any(t("n_found", "en", n=settings.default_k) in s.value for s in at.header)


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bytes(response.read())
    except OSError:
        return None


@pytest.mark.slow
def test_locator_app_serves_the_page_and_leaflet_from_any_folder(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    exe = Path(sys.executable).with_name("locator")
    log = (tmp_path / "server.log").open("wb")
    # From a folder with no .streamlit/ and no static/: every setting comes from `locator app`.
    process = subprocess.Popen(
        [str(exe), "app", "--port", str(port)], cwd=tmp_path, stdout=log, stderr=log
    )
    url = f"http://localhost:{port}"
    try:
        for _ in range(240):  # up to about two minutes to start; no speed is asserted
            if _get(f"{url}/_stcore/health") == b"ok" or process.poll() is not None:
                break
            time.sleep(0.5)
        assert _get(f"{url}/_stcore/health") == b"ok", (tmp_path / "server.log").read_text()
        assert _get(f"{url}/app/static/leaflet/leaflet.js") == (LEAFLET / "leaflet.js").read_bytes()
        assert (
            _get(f"{url}/app/static/leaflet/leaflet.css") == (LEAFLET / "leaflet.css").read_bytes()
        )
    finally:
        process.terminate()  # `locator app` stops its server with it
        assert process.wait(timeout=30) == 0
        log.close()
    assert _get(f"{url}/_stcore/health") is None  # nothing left serving


def test_locator_app_gives_the_settings_of_the_config_file() -> None:
    import tomllib

    from locator.app.launch import command

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text("utf-8"))
    expected = {
        f"--{section}.{name}": str(value).lower() if isinstance(value, bool) else str(value)
        for section, values in config.items()
        for name, value in values.items()
    }
    cmd = command(8600)
    given = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert cmd[4] == str(PAGE)
    assert given == {**expected, "--server.port": "8600"}


# --- planner view: coverage by partner bank (issue 14) ----------------------------------------


@pytest.mark.slow
def test_the_planner_by_bank_table_equals_coverage_by_bank(
    counties: gpd.GeoDataFrame, demand: Any
) -> None:
    from locator import datasets
    from locator.banks import BANK_NAMES
    from locator.planning.bank_coverage import coverage_by_bank

    at = _app(view="planner")
    at.slider(key="radius").set_value(3.0).run()
    assert not any(column_label("one_stop_outlets") in d.value for d in at.dataframe)
    at.toggle(key="show_banks").set_value(True).run()  # on request: 16 distance passes
    _ok(at)
    by_bank = coverage_by_bank(datasets.registry(), counties, demand=demand, radius_km=3.0)
    shown = _frame_with(at, column_label("one_stop_outlets")).reset_index(drop=True)
    assert shown[column_label("bank")].tolist() == list(BANK_NAMES)
    assert shown[column_label("branches")].tolist() == by_bank.banks["branches"].tolist()
    np.testing.assert_allclose(
        shown[column_label("covered_share")], by_bank.banks["covered_share"] * 100, atol=0.05
    )
    assert (
        shown[column_label("uncovered_counties")].tolist()
        == by_bank.banks["uncovered_counties"].tolist()
    )
    at.selectbox(key="uncovered_bank").set_value("招商银行").run()
    _ok(at)
    left = by_bank.uncovered("招商银行")
    assert len(left) > 0
    table = _frame_with(at, column_label("uncovered_population"))
    assert table[column_label("name")].tolist() == left["name"].tolist()
    assert any(
        t("bank_uncovered", bank="招商银行", n=len(left), r=3.0) in c.value for c in at.caption
    )
    assert t("download_banks") in {b.label for b in at.get("download_button")}


# --- the planner map agrees with its numbers (issue 12) --------------------------------------


@pytest.mark.slow
def test_the_task_filter_keeps_its_label_after_interactions() -> None:
    """The 'any task' choice stays named after other widgets change (not 'Choose an option')."""
    at = _app(view="planner")
    at.slider(key="radius").set_value(6.0).run()
    at.toggle(key="show_gaps").set_value(True).run()
    at.sidebar.radio(key="view").set_value("resident").run()
    at.sidebar.radio(key="view").set_value("planner").run()
    at.selectbox(key="metric").set_value("outlets").run()
    _ok(at)
    task = at.selectbox(key="planner_task")
    assert task.index is not None and task.options[task.index] == "全部网点（不限业务）"
    assert task.value == ""
    at.selectbox(key="planner_task").set_value("reset_card_pin").run()
    at.selectbox(key="planner_task").set_value("").run()
    at.slider(key="radius").set_value(5.0).run()
    task = at.selectbox(key="planner_task")
    assert task.index is not None and task.options[task.index] == "全部网点（不限业务）"


@pytest.mark.slow
def test_the_base_map_follows_the_language_until_one_is_chosen() -> None:
    """Amap on the Chinese page, OpenStreetMap on the English one; both stay selectable."""
    at = _app()
    assert at.sidebar.selectbox(key="tiles").value == "amap"
    assert at.sidebar.selectbox(key="tiles").options == [
        t(f"tiles_{v}") for v in ("osm", "amap", "none")
    ]
    at.sidebar.radio(key="lang").set_value("en").run()
    assert at.sidebar.selectbox(key="tiles").value == "osm"
    assert _app(lang="en").sidebar.selectbox(key="tiles").value == "osm"
    at.sidebar.selectbox(key="tiles").set_value("amap").run()
    at.sidebar.radio(key="lang").set_value("zh").run()
    at.sidebar.radio(key="lang").set_value("en").run()
    _ok(at)
    assert at.sidebar.selectbox(key="tiles").value == "amap"  # chosen by hand: kept


@pytest.mark.slow
def test_rule_repairs_are_shown_apart_with_why_and_the_curve_in_percent(
    outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, demand: Any
) -> None:
    """Issue 12 §3: repairs for the rule first, in their own table, with one sentence."""
    at = _app(view="planner")
    at.selectbox(key="planner_task").set_value("reset_card_pin").run()
    at.slider(key="new_sites").set_value(2).run()
    _ok(at)
    task = "reset_card_pin"
    expected = suggest_sites(outlets, counties, demand=demand, new=2, radius_km=5.0, task=task)
    report = coverage_report(outlets, counties, demand=demand, radius_km=5.0, task=task)
    below = int((~report.counties["meets_rule"]).sum())
    n_rule = int((expected["reason"] == "rule").sum())
    assert below > 0 and n_rule > 0  # reset_card_pin leaves counties below the rule
    tables = [d.value for d in at.dataframe if column_label("new_population") in d.value.columns]
    assert len(tables) == 2
    rule, coverage = tables
    reason, rank = column_label("reason"), column_label("rank")
    assert rule[reason].tolist() == ["补足每县2个"] * n_rule
    assert coverage[reason].tolist() == ["扩大覆盖"] * 2
    assert rule[rank].tolist() + coverage[rank].tolist() == list(range(1, n_rule + 3))
    np.testing.assert_allclose(
        pd.concat([rule, coverage])[[column_label("lon"), column_label("lat")]],
        expected[["lon", "lat"]],
    )
    why = [c.value for c in at.caption if "不足 2 个网点" in c.value]
    assert len(why) == 1
    assert f"有 {below} 个区县" in why[0] and f"需 {n_rule} 个新网点" in why[0]
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    encoding = json.loads(charts[0].proto.spec)["layer"][0]["encoding"]
    titles = {axis: encoding[axis].get("title") or encoding[axis]["axis"]["title"] for axis in "xy"}
    assert titles == {"x": "新增网点数", "y": "5 公里内居民比例（%）"}
    # The curve in percent starts at today's coverage (n = 0), the province's figure.
    from locator.app.state import gain_curve_table

    curve = gain_curve_table(expected, 5.0, "zh")
    assert curve.iloc[0, 0] == 0 and len(curve) == n_rule + 3
    assert curve.iloc[0, 1] == pytest.approx(100 * report.province["covered_share"], abs=0.01)
    assert curve.iloc[-1, 1] == pytest.approx(100 * expected["cumulative_share"].iloc[-1], abs=0.01)


# --- planner view: 65+ shown once, road distance (issues 12 §1, 13 §1) ------------------------


@pytest.fixture
def fresh_planner_caches() -> Any:
    """Planner figures computed anew (and forgotten after), for a test that changes demand."""
    from locator.app import planner

    cached = [planner.inputs_for, planner.report_for, planner.top_gaps_for, planner.gaps_for]
    cached += [planner.sites_for, planner.access_for, planner.banks_for]
    for function in cached:
        function.clear()
    yield
    for function in cached:
        function.clear()


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_planner_caches")
def test_the_planner_shows_65plus_once_only_where_it_repeats_all_residents(
    monkeypatch: pytest.MonkeyPatch, counties: gpd.GeoDataFrame
) -> None:
    from locator.app import planner
    from locator.planning.demand import demand_from_points

    older = column_label("covered_share_65plus")
    # The census-based estimate places the 65+ by the rural/urban gap: both are shown.
    at = _app(view="planner")
    _ok(at)
    assert older in _frame_with(at, column_label("covered_share")).columns
    assert not any(t("same_65plus") in c.value for c in at.caption)
    # Points without a 65+ column: inside each county the 65+ are placed like all residents.
    grid = estimate_demand(counties, cell_area_km2=25.0)
    people = pd.DataFrame({"lon": grid.lon, "lat": grid.lat, "population": grid.population})
    points = demand_from_points(people, counties)
    monkeypatch.setattr(planner, "demand", lambda: points)
    planner.inputs_for.clear()
    planner.report_for.clear()
    planner.banks_for.clear()
    at = _app(view="planner")
    _ok(at)
    report = coverage_report(datasets.registry(), counties, demand=points)
    assert "covered_share_65plus" in report.repeated_65plus  # the library says it repeats
    shown = _frame_with(at, column_label("covered_share"))
    assert older not in shown.columns and column_label("mean_km") in shown.columns
    np.testing.assert_allclose(
        shown[column_label("covered_share")], report.counties["covered_share"] * 100, atol=0.05
    )
    assert sum(t("same_65plus") in c.value for c in at.caption) == 1
    # The bank table is per bank over the province, where the 65+ share still differs.
    at.toggle(key="show_banks").set_value(True).run()
    assert older in _frame_with(at, column_label("one_stop_outlets")).columns


@pytest.mark.slow
def test_the_planner_measures_along_the_roads_of_an_extract_on_the_server(
    tmp_path: Path, counties: gpd.GeoDataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from locator._errors import LocatorWarning
    from locator.planning.inputs import PlanningInputs
    from locator.planning.network import RoadNetwork
    from tests.test_network import write_grid

    extract = write_grid(tmp_path / "taiyuan.osm.pbf")  # streets over part of 小店区
    monkeypatch.setattr(settings, "network_dir", tmp_path)
    at = _app(view="planner")
    straight = {m.label: m.value for m in at.metric}[t("p_share", r=5.0)]
    assert at.selectbox(key="network_extract").options == [t("network_choice_none"), extract.name]
    at.selectbox(key="network_extract").set_value(extract.name).run()
    _ok(at)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocatorWarning)  # most cells are far from these roads
        inputs = PlanningInputs.build(
            datasets.registry(),
            counties,
            demand=estimate_demand(counties),
            network=RoadNetwork.from_osm(extract, mode="drive"),
        )
        expected = coverage_report(inputs).province
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("p_share_road", r=5.0)] == f"{expected['covered_share']:.1%}"
    assert metrics[t("p_mean_road")] == f"{expected['mean_km']:.2f}"
    assert metrics[t("p_share_road", r=5.0)] != straight
    assert t("p_share", r=5.0) not in metrics
    kind = t("distance_road", mode=t("network_mode_drive"))
    assert any(t("distance_note", kind=kind) == c.value for c in at.caption)
    assert any(w.value.startswith(t("network_warning")) for w in at.warning)  # far cells said
    at.radio(key="network_mode").set_value("walk").run()
    _ok(at)
    kind = t("distance_road", mode=t("network_mode_walk"))
    assert any(t("distance_note", kind=kind) == c.value for c in at.caption)


def _straight_line(at: AppTest, lang: str = "zh") -> bool:
    """Whether the page's figures are measured along straight lines."""
    metrics = {m.label: m.value for m in at.metric}
    note = t("distance_note", lang, kind=t("distance_straight", lang))
    return t("p_share", lang, r=5.0) in metrics and any(note == c.value for c in at.caption)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["broken.osm.pbf", "far.osm.pbf"])
def test_an_unusable_extract_is_one_line_and_the_page_stays_straight_line(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_network import PYROSM_TEST, write_grid

    path = tmp_path / name
    if name == "broken.osm.pbf":
        path.write_bytes(PYROSM_TEST.read_bytes()[:5000])
    else:
        write_grid(path, lon0=80.0)  # roads in Xinjiang: no overlap with Shanxi
    monkeypatch.setattr(settings, "network_dir", tmp_path)
    at = _app(view="planner", lang="en")
    at.selectbox(key="network_extract").set_value(name).run()
    _ok(at)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(t("network_error", "en"))
    assert "\n" not in errors[0] and escape_markdown(name) in errors[0]
    assert escape_markdown(str(tmp_path)) not in errors[0]  # the file, not the server's folders
    assert _straight_line(at, "en")  # figures still shown


@pytest.mark.slow
def test_only_extracts_inside_the_network_folder_are_offered_or_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from locator._errors import LocatorError
    from locator.app import planner
    from tests.test_network import write_grid

    folder = tmp_path / "extracts"
    (folder / "sub").mkdir(parents=True)
    outside = write_grid(tmp_path / "outside.osm.pbf")  # a usable extract, above the folder
    write_grid(folder / "taiyuan.osm.pbf")
    write_grid(folder / "sub" / "x.pbf")  # below the folder: not listed
    (folder / "in.pbf").symlink_to(folder / "taiyuan.osm.pbf")  # a link that stays inside
    (folder / "out.osm.pbf").symlink_to(outside)
    (folder / "up.osm.pbf").symlink_to(Path("..") / "outside.osm.pbf")
    (folder / "gone.osm.pbf").symlink_to(folder / "missing.osm.pbf")
    (folder / "dir.pbf").mkdir()
    (folder / "notes.txt").write_text("no roads here")
    expected = ["in.pbf", "taiyuan.osm.pbf"]
    assert planner.extracts_in(folder) == expected
    for name in ["out.osm.pbf", "up.osm.pbf", "../outside.osm.pbf", str(outside), "sub/x.pbf"]:
        with pytest.raises(LocatorError, match="not one of the extracts offered"):
            planner.extract_path(folder, name)
    assert planner.extract_path(folder, "in.pbf") == (folder / "taiyuan.osm.pbf").resolve()

    built: list[str] = []
    monkeypatch.setattr(planner, "network_for", lambda path, *_: built.append(path))
    monkeypatch.setattr(settings, "network_dir", folder)
    at = _app(view="planner", lang="en")
    offered = at.selectbox(key="network_extract").options
    assert offered == [t("network_choice_none", "en"), *expected]
    for forged in ["../outside.osm.pbf", "out.osm.pbf", str(outside)]:
        # A browser sends the position of an offered choice; the session state could
        # still hold another name (set by code): it is dropped, and never read.
        at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
        at.query_params.update(view="planner", lang="en")
        at.session_state["network_extract"] = forged
        at.run()
        _ok(at)
        assert at.selectbox(key="network_extract").value == ""
        assert _straight_line(at, "en") and not at.error
    assert built == []  # no file outside the folder was read


@pytest.mark.slow
def test_without_a_network_folder_the_page_says_how_to_set_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "network_dir", None)
    for lang in ("zh", "en"):
        at = _app(view="planner", lang=lang)
        _ok(at)
        assert any(c.value == t("network_off", lang) for c in at.caption)
        assert "LOCATOR_NETWORK_DIR" in t("network_off", lang)
        assert not [s for s in at.selectbox if s.key == "network_extract"]
        assert not [r for r in at.radio if r.key == "network_mode"]
        assert _straight_line(at, lang)


def test_the_network_folder_is_read_from_the_environment(tmp_path: Path) -> None:
    code = "from locator import settings; print(settings.network_dir)"
    env = {"PATH": "/usr/bin:/bin", "LOCATOR_NETWORK_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == str(tmp_path)
    del env["LOCATOR_NETWORK_DIR"]
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "None"


# --- resident view: places in pinyin, the chosen pin (issue 11 §2, §3) -----------------------


def _map_args(at: AppTest) -> tuple[str, dict[str, Any]]:
    """The resident's map as the page hands it to the browser: its frame's id and arguments."""
    maps = [c for c in at.get("component_instance") if "st_folium" in c.proto.component_name]
    assert len(maps) == 1
    return maps[0].proto.id, json.loads(maps[0].proto.json_args)


def _map_data(at: AppTest) -> str:
    """The answer on the resident's map: the layers drawn over the base map."""
    return str(_map_args(at)[1]["feature_group"])


@pytest.mark.slow
def test_a_place_typed_in_pinyin_on_the_english_page(
    both_index: OutletIndex, counties: gpd.GeoDataFrame
) -> None:
    at = _app(task="apply", lang="en")
    at.text_input(key="place_q").input("Pingyao").run()
    _ok(at)
    seat = counties[counties["name"] == "平遥县"].iloc[0]
    expected = both_index.nearest(lon=seat["seat_lon"], lat=seat["seat_lat"], k=5, task="apply")
    assert _cards(at)[0].startswith(f"**1. {escape_markdown(expected['name'].iloc[0])}**")
    line = next(m.value for m in at.markdown if "平遥县" in m.value)
    assert "Pingyao" in line and seat["city"] in line  # the place with its pinyin and city


@pytest.mark.slow
def test_choosing_a_result_highlights_its_pin() -> None:
    at = _app(task="apply", lat="37.86", lon="112.55")
    _ok(at)
    assert re.search(r'"selected":\s*null', _map_data(at))
    at.button(key="show-2").click().run()
    _ok(at)
    assert re.search(r'"selected":\s*2\b', _map_data(at))
    at.session_state["resident_map"] = {"last_clicked": {"lat": 38.0, "lng": 112.9}}
    at.run()  # a new position: a new list, no pin chosen
    assert re.search(r'"selected":\s*null', _map_data(at))


@pytest.mark.slow
def test_a_new_answer_is_drawn_in_the_same_map_frame(index: OutletIndex) -> None:
    """The map's frame is named by its script: the script stays, the answer's layers change.

    A new frame for each answer lost the clicks made while it was being built.
    """
    at = _app(task="apply", lat="37.86", lon="112.55")
    _ok(at)
    frame, first = _map_args(at)
    at.session_state["resident_map"] = {"last_clicked": {"lat": 36.09, "lng": 111.52}}
    at.run()  # Linfen: another answer
    _ok(at)
    again, second = _map_args(at)
    assert (again, second["script"]) == (frame, first["script"])
    for args, (lon, lat) in ((first, (112.55, 37.86)), (second, (111.52, 36.09))):
        expected = index.nearest(lon=lon, lat=lat, k=5, task="apply")
        for name in expected["name"]:
            assert json.dumps(name, ensure_ascii=False)[1:-1] in args["feature_group"]
        assert expected["name"].iloc[0] not in args["script"]  # no answer in the base map
    # before any place is given: no pins, and the county outlines to aim at even over tiles
    # that may not load (the answer's map goes without them: tiles are Amap in Chinese)
    nothing = _map_args(_app(task="apply"))[1]
    assert '"pins":[]' in nothing["feature_group"]
    outline = '"title":"小店区"'  # in each county's tooltip
    assert outline in nothing["script"] and outline not in first["script"]


@pytest.mark.slow
def test_filters_at_a_chosen_time_search_only_the_outlets_they_keep() -> None:
    from locator.hours import parse_at

    at = _app(task="apply", lat="37.86", lon="112.55", at="2026-10-01T10:00")  # 国庆节
    _ok(at)
    assert at.radio(key="when").value == "at"
    at.checkbox(key="f_open").check().run()
    at.checkbox(key="f_weekends").check().run()
    _ok(at)
    index = OutletIndex(datasets.registry())
    kept = index.filtered(open_at=parse_at("2026-10-01 10:00"), weekends=True)
    assert len(kept) < len(index)  # the holiday closes some
    expected = kept.nearest(lon=112.55, lat=37.86, k=5, task="apply")
    cards = _cards(at)
    assert len(cards) == len(expected)
    for rank, (card, name) in enumerate(zip(cards, expected["name"], strict=True), start=1):
        assert card.startswith(f"**{rank}. {escape_markdown(name)}**")
    at.button(key="show_more").click().run()  # five more, from the same filtered outlets
    expected = kept.nearest(lon=112.55, lat=37.86, k=10, task="apply")
    assert [c.split("**")[1] for c in _cards(at)] == [
        f"{rank}. {escape_markdown(name)}" for rank, name in enumerate(expected["name"], start=1)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_year_the_calendar_does_not_know_is_said(lang: str) -> None:
    at = _app(task="apply", lat="37.86", lon="112.55", at="2027-03-01T10:00", lang=lang)
    _ok(at)
    assert _cards(at)
    assert any(m.value == f":small[{t('calendar_note', lang, year=2027)}]" for m in at.markdown)
    at = _app(task="apply", lat="37.86", lon="112.55", at="2026-10-01T10:00", lang=lang)
    assert not any(str(2026) in m.value for m in at.markdown)


@pytest.mark.slow
def test_my_location_answers_and_folds_the_questions(both_index: OutletIndex) -> None:
    at = _app(task="reset_card_pin")
    assert not _cards(at)
    # What the "use my location" component hands back after a press (WGS-84, from the browser).
    at.session_state["geolocation"] = {"lon": 112.55, "lat": 37.87, "accuracy_m": 20, "at": 1.0}
    at.run()
    _ok(at)
    expected = both_index.nearest(lon=112.55, lat=37.87, k=5, task="reset_card_pin")
    cards = _cards(at)
    assert [c.split("**")[1] for c in cards] == [
        f"{rank}. {escape_markdown(name)}" for rank, name in enumerate(expected["name"], start=1)
    ]
    assert not at.text_input  # folded: the first card comes right after the map
    assert (at.query_params["lat"], at.query_params["lon"]) == ("37.870000", "112.550000")
    at.session_state["geolocation"] = {"error": "denied", "at": 2.0}
    at.button(key="change").click().run()
    assert any(t("geo_denied") in w.value for w in at.warning)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_names_the_county_and_city_of_a_point(
    counties: gpd.GeoDataFrame, lang: str
) -> None:
    from locator.counties import county_of

    at = _app(task="apply", lat="37.86", lon="112.55", lang=lang)
    _ok(at)
    adcode = county_of([112.55], [37.86], counties=counties).iloc[0]
    row = counties[counties["adcode"] == adcode].iloc[0]
    line = next(m.value for m in at.markdown if m.value.startswith(TASKS["apply"].label(lang)))
    assert escape_markdown(row["name"]) in line and escape_markdown(row["city"]) in line
    # On the English page the county is spelled in pinyin too.
    assert bool(re.search(r"\\\([A-Z][a-z]+( [A-Z][a-z]+)*\\\)", line)) == (lang == "en"), line


@pytest.mark.slow
def test_the_planners_switches_survive_a_visit_to_the_resident_page() -> None:
    at = _app(view="planner")
    at.toggle(key="show_banks").set_value(True).run()
    at.toggle(key="show_gaps").set_value(True).run()
    at.sidebar.radio(key="view").set_value("resident").run()
    at.sidebar.radio(key="view").set_value("planner").run()
    _ok(at)
    assert at.toggle(key="show_banks").value is True
    assert at.toggle(key="show_gaps").value is True
