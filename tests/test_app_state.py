"""The app's own computations: the link it reads and writes, its answer, its escaping."""

from __future__ import annotations

import codecs
import io
import json
import re
import string

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from locator import settings
from locator._app_state import (
    UrlState,
    escape_markdown,
    import_upload,
    parse_url,
    planner_downloads,
    registry_fingerprint,
    resident_answer,
    result_table,
    url_params,
)
from locator.coverage import coverage_report, gaps
from locator.index import OutletIndex
from locator.tasks import TASKS


def test_a_full_link_is_read() -> None:
    state = parse_url(
        {
            "lat": "37.86",
            "lon": "112.55",
            "task": "activate_finance",
            "bank": "建行",
            "lang": "en",
            "view": "resident",
            "k": "3",
        }
    )
    assert state == UrlState(
        lang="en",
        view="resident",
        task="activate_finance",
        bank="中国建设银行",
        lon=112.55,
        lat=37.86,
        k=3,
    )


def test_no_link_gives_the_defaults() -> None:
    assert parse_url({}) == UrlState()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lat": "abc", "lon": "112.5"}, "lat 'abc' is not a number"),
        ({"lat": "137", "lon": "112.5"}, "is not a latitude"),
        ({"lat": "37.8"}, "needs both lat and lon"),
        ({"task": "fly"}, "unknown task 'fly'"),
        ({"bank": "某某银行"}, "unknown bank"),
        ({"lang": "fr"}, "'fr' is not supported"),
        ({"view": "admin"}, "'admin' is not a page"),
        ({"k": "0"}, "'0' must be a whole number from 1 to 10"),
        ({"k": "many"}, "'many' must be a whole number"),
    ],
)
def test_a_bad_value_is_named_and_left_out(params: dict[str, str], message: str) -> None:
    state = parse_url({**params, "task": params.get("task", "apply")})
    assert len(state.errors) == 1
    assert message in state.errors[0]
    assert state.lon is None or "lat" not in params


def test_bad_values_leave_the_good_ones() -> None:
    state = parse_url({"lat": "37.8", "lon": "112.5", "task": "nope", "lang": "en"})
    assert (state.lon, state.lat, state.task, state.lang) == (112.5, 37.8, None, "en")
    assert len(state.errors) == 1


def test_large_k_is_capped_and_repeated_values_take_the_last() -> None:
    assert parse_url({"k": "50"}).k == 10
    assert parse_url({"task": ["apply", "renew"]}).task == "renew"


def test_url_params_round_trip() -> None:
    params = url_params(
        lang="zh", view="resident", task="unfreeze_account", bank="中国银行", lon=112.5, lat=37.8
    )
    assert params == {
        "lang": "zh",
        "task": "unfreeze_account",
        "bank": "中国银行",
        "lat": "37.800000",
        "lon": "112.500000",
    }
    state = parse_url(params)
    assert (state.task, state.bank, state.lon, state.lat) == (
        "unfreeze_account",
        "中国银行",
        112.5,
        37.8,
    )
    # A bank means nothing for a task any outlet can do, so the link leaves it out.
    assert "bank" not in url_params(
        lang="en", view="planner", task="apply", bank="中国银行", lon=None, lat=None
    )


_MARKUP = re.compile(r"(?<!\\)[<>*_\[\]()`$:#|!~&]")


@given(st.text())
def test_escaped_text_has_no_unescaped_markup(text: str) -> None:
    escaped = escape_markdown(text)
    assert not _MARKUP.search(escaped.replace("\\\\", ""))
    assert "\n" not in escaped
    unescaped = re.sub(r"\\(.)", r"\1", escaped)
    assert unescaped == "".join(ch if ch.isprintable() else " " for ch in text)


def test_escape_markdown_of_missing_values() -> None:
    assert escape_markdown(None) == escape_markdown(float("nan")) == ""
    assert escape_markdown("小店区") == "小店区"
    assert all(escape_markdown(ch) == "\\" + ch for ch in string.punctuation)


def test_fingerprint_follows_the_content(outlets: gpd.GeoDataFrame) -> None:
    assert registry_fingerprint(outlets) == registry_fingerprint(outlets.copy())
    changed = outlets.copy()
    changed.loc[changed.index[0], "name"] = "改名网点"
    assert registry_fingerprint(changed) != registry_fingerprint(outlets)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_answer_equals_the_index(index: OutletIndex, task: str) -> None:
    lon, lat = 112.7, 37.7
    answer = resident_answer(index, lon=lon, lat=lat, task=task, bank="中行", k=4, lang="zh")
    assert answer.inside and answer.county == "榆次区 · 晋中市"
    if not TASKS[task].kinds:  # online only: no outlet, the online channel instead
        assert answer.online_only and answer.found.empty and answer.online
        return
    expected = index.nearest(lon=lon, lat=lat, k=4, task=task, bank="中行")
    pd.testing.assert_frame_equal(answer.found.drop(columns="nav_url"), expected)
    assert answer.found["nav_url"].str.startswith("https://").all()


def test_no_query_without_the_bank_an_own_bank_task_needs(index: OutletIndex) -> None:
    answer = resident_answer(
        index, lon=112.5, lat=37.8, task="reset_bank_password", bank=None, k=5, lang="en"
    )
    assert answer.needs_bank and answer.found.empty


def test_a_point_outside_shanxi_is_answered_and_flagged(index: OutletIndex) -> None:
    answer = resident_answer(index, lon=116.40, lat=39.90, task="apply", bank=None, k=3, lang="zh")
    assert not answer.inside and answer.county == ""
    assert len(answer.found) == 3


def test_result_table_names_columns_in_the_language(index: OutletIndex) -> None:
    answer = resident_answer(index, lon=112.5, lat=37.8, task="renew", bank=None, k=2, lang="en")
    table = result_table(answer, "en")
    assert list(table.columns[:4]) == ["Name", "Kind", "Bank", "Distance (km)"]
    assert table["Name"].tolist() == answer.found["name"].tolist()
    assert (table["Bring"] == TASKS["renew"].bring("en")).all()
    assert "名称" in result_table(answer, "zh").columns


def test_an_upload_above_the_limit_is_refused_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "upload_limit_mb", 0.001)  # about 1 kB
    big = b"name,lon,lat\n" + b"A,112.55,37.86\n" * 200
    message = import_upload(big, name="big.csv")
    assert isinstance(message, str)
    assert "big.csv is 0.0 MB, above the upload limit of 0.001 MB" in message
    result = import_upload(big[:200], name="small.csv")
    assert not isinstance(result, str) and result.read == result.accepted + result.rejected


def test_a_file_that_cannot_be_read_gives_one_line() -> None:
    message = import_upload(b"just,some\nwords,here\n", name="wrong.csv")
    assert isinstance(message, str) and message.startswith("wrong.csv") and "\n" not in message


def test_planner_downloads_are_csv_with_bom_and_geojson(index: OutletIndex) -> None:
    from locator.demand import estimate_demand

    demand = estimate_demand(cell_area_km2=100)
    report = coverage_report(index, demand=demand, radius_km=5)
    far = gaps(index, demand=demand, radius_km=5)
    files = {
        label: (make(), name, mime) for label, make, name, mime in planner_downloads(report, far)
    }
    data, name, mime = files["download_csv"]
    assert name.endswith(".csv") and mime == "text/csv"
    assert isinstance(data, bytes) and data.startswith(codecs.BOM_UTF8)
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype={"adcode": str})
    assert table["adcode"].tolist() == report.counties["adcode"].tolist()
    assert table["name"].tolist() == report.counties["name"].tolist()  # Chinese kept
    layer = json.loads(files["download_gaps"][0])
    assert layer["type"] == "FeatureCollection" and len(layer["features"]) == len(far)
    assert json.loads(files["download_json"][0])["province"]["radius_km"] == 5


def test_planner_table_rounds_for_reading_and_names_columns_in_the_language():
    import pandas as pd

    from locator._app_state import planner_table

    frame = pd.DataFrame(
        {
            "name": ["小店区"],
            "population": [1234.6],
            "covered_share": [0.12345],
            "mean_km": [3.14159],
            "geometry": [None],
            "extra": [1],
        }
    )
    zh = planner_table(frame, "zh", ["name", "population", "covered_share", "mean_km", "geometry"])
    assert list(zh.columns) == ["名称", "人口", "覆盖比例 %", "平均距离 km"]
    assert zh.iloc[0].tolist() == ["小店区", 1235, 12.3, 3.14]
    en = planner_table(frame, "en")
    assert list(en.columns) == ["Name", "Population", "Covered %", "Mean km", "extra"]
