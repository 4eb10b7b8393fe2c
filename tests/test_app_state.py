"""The app's own computations: the link it reads and writes, its answer, its escaping."""

from __future__ import annotations

import atexit
import codecs
import csv
import io
import json
import re
import shutil
import string
import tempfile
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from locator import datasets, settings
from locator._errors import DataFileError, LocatorError, ValidationError
from locator.app.answer import ResidentFilters, resident_answer, resident_cards, result_table
from locator.app.state import (
    UrlState,
    drawn_outlets,
    error_markdown,
    escape_markdown,
    page_words,
    parse_url,
    planner_downloads,
    registry_fingerprint,
    url_params,
)
from locator.app.upload import UploadLimitError, import_upload
from locator.i18n import parameter_label, t
from locator.importer import import_registry
from locator.index import OutletIndex
from locator.planning.coverage import coverage_report, gaps
from locator.tasks import KIND_LABELS, TASKS, far_alternatives


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


BAD_LINKS = [
    ({"lat": "abc", "lon": "112.5"}, "url_bad_position"),
    ({"lat": "137", "lon": "112.5"}, "url_bad_position"),
    ({"lat": "37.8"}, "url_bad_position"),
    ({"lon": "112.5", "lat": "--lat 37.87"}, "url_bad_position"),
    ({"task": "fly"}, "url_bad_task"),
    ({"task": "reset_card_pin'"}, "url_bad_task"),
    ({"bank": "某某银行"}, "url_bad_bank"),
    ({"lang": "fr"}, "url_bad_lang"),
    ({"view": "admin"}, "url_bad_view"),
    ({"k": "0"}, "url_bad_k"),
    ({"k": "many"}, "url_bad_k"),
    ({"at": "tomorrow"}, "url_bad_at"),
    ({"at": "2026-13-01T10:00"}, "url_bad_at"),
    ({"at": "9999-12-31T23:59"}, "url_bad_at"),
]


@pytest.mark.parametrize(("params", "key"), BAD_LINKS)
def test_a_bad_value_is_named_and_left_out(params: dict[str, str], key: str) -> None:
    state = parse_url({**params, "task": params.get("task", "apply")})
    assert [error.key for error in state.errors] == [key]
    assert state.lon is None or "lat" not in params
    name = key.removeprefix("url_bad_").replace("position", "lon")
    assert getattr(state, name) == getattr(UrlState(), name)  # left at its default


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("params", "key"), BAD_LINKS)
def test_bad_link_messages_are_resident_words(params: dict[str, str], key: str, lang: str) -> None:
    from locator.cli._common import FLAGS

    (error,) = parse_url({**params, "task": params.get("task", "apply")}).errors
    text = error.text(lang)
    assert text == t(key, lang, **dict(error.fields))
    # No task code, no flag, no `name=value`, no Python quotes, nothing of the value given.
    assert not any(re.search(rf"(?<!\w){code}(?!\w)", text) for code in TASKS), text
    assert "--" not in text and "=" not in text and "'" not in text and '"' not in text
    assert not any(flag in text for flag in FLAGS.values())
    assert not any(word in text for word in ("lat", "lon", "None", "Error", "ValueError"))
    for value in params.values():
        assert len(value) < 3 or value not in text
    # Each says what to do or what was done instead, in the page's language.
    assert re.search(r"[\u4e00-\u9fff]", text) if lang == "zh" else text.isascii()


def test_a_link_time_is_read_in_shanghai_and_written_back() -> None:
    import datetime as dt

    from locator.hours import TIMEZONE

    state = parse_url({"at": "2026-10-01T10:00", "task": "apply"})
    assert state.at == dt.datetime(2026, 10, 1, 10, 0, tzinfo=TIMEZONE) and not state.errors
    assert parse_url({"at": "2026-10-01 10:00"}).at == state.at
    # An instant with its own zone is the same instant in Shanghai: 02:00 UTC is 10:00.
    assert parse_url({"at": "2026-10-01T02:00+00:00"}).at == state.at
    params = url_params(
        lang="zh", view="resident", task="apply", bank=None, lon=None, lat=None, at=state.at
    )
    assert params["at"] == "2026-10-01T10:00"
    assert parse_url(params).at == state.at
    assert "at" not in url_params(
        lang="zh", view="resident", task=None, bank=None, lon=None, lat=None
    )


def test_no_task_in_the_link_opens_asking() -> None:
    state = parse_url({"lat": "37.8", "lon": "112.5"})
    assert state.task is None and not state.errors
    assert "task" not in url_params(
        lang="en", view="resident", task=None, bank="中国银行", lon=112.5, lat=37.8
    )


def test_bad_values_leave_the_good_ones() -> None:
    state = parse_url({"lat": "37.8", "lon": "112.5", "task": "nope", "lang": "en"})
    assert (state.lon, state.lat, state.task, state.lang) == (112.5, 37.8, None, "en")
    assert [error.key for error in state.errors] == ["url_bad_task"]


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


def _assert_same_outlets(found: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The answer holds the index's rows in its order; its hours are the registry's."""
    columns = [c for c in expected.columns if c != "opening_hours"]
    pd.testing.assert_frame_equal(found[columns], expected[columns])
    assert found["opening_hours"].tolist() == expected["opening_hours"].tolist()
    assert found["rank"].tolist() == list(range(1, len(expected) + 1))


@pytest.mark.parametrize("task", sorted(TASKS))
def test_answer_equals_the_index(index: OutletIndex, task: str) -> None:
    lon, lat = 112.7, 37.7
    answer = resident_answer(index, lon=lon, lat=lat, task=task, bank="中行", k=4)
    assert answer.inside and answer.county == "榆次区 · 晋中市"
    if not TASKS[task].kinds:  # online only: no outlet, the online channel instead
        assert answer.online_only and answer.found.empty and answer.task.online("zh")
        return
    expected = index.nearest(lon=lon, lat=lat, k=4, task=task, bank="中行")
    _assert_same_outlets(answer.found, expected)
    assert answer.found["rank"].tolist() == list(range(1, len(expected) + 1))
    assert answer.found["nav_url"].str.startswith("https://").all()


@pytest.fixture(scope="module")
def both_index() -> OutletIndex:
    return OutletIndex(datasets.registry())


@pytest.mark.parametrize("task", sorted(TASKS))
def test_answer_over_both_layers_equals_the_index_and_says_the_kind(
    both_index: OutletIndex, task: str
) -> None:
    lon, lat = 111.5, 36.0
    answer = resident_answer(both_index, lon=lon, lat=lat, task=task, bank="招行", k=6)
    if not TASKS[task].kinds:
        assert answer.online_only and answer.found.empty and not answer.far
        return
    expected = both_index.nearest(lon=lon, lat=lat, k=6, task=task, bank="招行")
    _assert_same_outlets(answer.found, expected)
    kinds = set(answer.found["kind"])
    if TASKS[task].own_bank:
        assert set(answer.found["bank"]) == {"招商银行"} and "branch" in kinds
    else:
        assert "branch" not in kinds
    cards = resident_cards(answer, "en")
    assert [card.kind for card in cards] == [KIND_LABELS[k]["en"] for k in answer.found["kind"]]
    assert [card.rank for card in cards] == list(range(1, len(expected) + 1))
    assert [card.name for card in cards] == expected["name"].tolist()


def test_far_is_the_setting_against_the_nearest_branch(
    both_index: OutletIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = resident_answer(
        both_index, lon=111.5, lat=36.0, task="activate_finance", bank="招行", k=2
    )
    km = answer.nearest_km
    assert km is not None and not answer.far and answer.alternatives("zh") == []
    monkeypatch.setattr(settings, "far_branch_km", km - 0.01)
    answer = resident_answer(
        both_index, lon=111.5, lat=36.0, task="activate_finance", bank="招行", k=2
    )
    assert answer.far and answer.alternatives("en") == far_alternatives("招商银行", "en")
    assert "95555" in answer.alternatives("zh")[1]
    # Any outlet will do for a one-stop task: never far, however far.
    answer = resident_answer(both_index, lon=111.5, lat=36.0, task="apply", bank=None, k=1)
    assert not answer.far


def test_no_branch_of_the_bank_at_all_is_far(outlets: gpd.GeoDataFrame) -> None:
    index = OutletIndex(outlets[outlets["bank"] != "渤海银行"])
    answer = resident_answer(index, lon=112.5, lat=37.8, task="unfreeze_account", bank="渤海", k=3)
    assert answer.found.empty and answer.nearest_km is None and answer.far
    assert "95541" in answer.alternatives("zh")[1]


def test_no_query_without_the_bank_an_own_bank_task_needs(index: OutletIndex) -> None:
    answer = resident_answer(index, lon=112.5, lat=37.8, task="reset_bank_password", bank=None, k=5)
    assert answer.needs_bank and answer.found.empty


def test_a_point_outside_shanxi_is_answered_and_flagged(index: OutletIndex) -> None:
    answer = resident_answer(index, lon=116.40, lat=39.90, task="apply", bank=None, k=3)
    assert not answer.inside and answer.county == ""
    assert len(answer.found) == 3


def test_result_table_names_columns_in_the_language(index: OutletIndex) -> None:
    answer = resident_answer(index, lon=112.5, lat=37.8, task="renew", bank=None, k=2)
    table = result_table(answer, "en")
    assert list(table.columns[:6]) == [
        "No.",
        "Name",
        "Kind",
        "Bank",
        "Distance (km)",
        "Open now",
    ]
    assert table["No."].tolist() == [1, 2]
    assert table["Name"].tolist() == answer.found["name"].tolist()
    assert table["Open now"].tolist() == [card.badge for card in resident_cards(answer, "en")]
    assert (table["Bring"] == TASKS["renew"].bring("en")).all()
    assert "名称" in result_table(answer, "zh").columns


def test_an_upload_above_the_limit_is_refused_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "upload_limit_mb", 0.001)  # about 1 kB
    big = b"name,lon,lat\n" + b"A,112.55,37.86\n" * 200
    with pytest.raises(UploadLimitError) as error:
        import_upload(big, name="big.csv")
    assert error.value.limit == "size"
    assert "big.csv is 0.0 MB, above the upload limit of 0.001 MB" in str(error.value)
    result = import_upload(big[:200], name="small.csv")
    assert result.accepted >= 1 and result.read == result.accepted + result.rejected


def test_a_file_that_cannot_be_read_gives_one_line() -> None:
    with pytest.raises(DataFileError) as error:
        import_upload(b"just,some\nwords,here\n", name="wrong.csv")
    message = str(error.value)
    assert message.startswith("wrong.csv") and "\n" not in message


def test_planner_downloads_are_csv_with_bom_and_geojson(
    index: OutletIndex, counties: gpd.GeoDataFrame
) -> None:
    from locator.planning.demand import estimate_demand

    demand = estimate_demand(counties, cell_area_km2=100)
    report = coverage_report(index, counties, demand=demand, radius_km=5)
    far = gaps(index, counties, demand=demand, radius_km=5)
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
    # The shipped sample says so in every file, in a form Excel, pandas and json accept.
    assert table["sample_data"].all()
    mismatches = pd.read_csv(io.BytesIO(files["download_mismatch"][0]), encoding="utf-8-sig")
    assert "sample_data" in mismatches.columns
    assert json.loads(files["download_json"][0])["sample"] is True


def test_planner_table_rounds_for_reading_and_names_columns_in_the_language():
    import pandas as pd

    from locator.app.state import planner_table

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


# --- hostile input: an uploaded registry whose every text is a payload ---------------------

MARKER = uuid.uuid4().hex
#: Where the two code-running payloads would write if a template ever evaluated them: a
#: folder of this test run under the system's temporary folder (made now, so they could).
CANARY_DIR = Path(tempfile.gettempdir()) / f"locator-canary-{MARKER}"
CANARY_DIR.mkdir(exist_ok=True)
atexit.register(shutil.rmtree, CANARY_DIR, True)  # after the assertions have looked in it
CANARIES = (CANARY_DIR / "pwned", CANARY_DIR / "pwned2")
#: Texts that are code somewhere: Jinja (branca compiles what it renders), JavaScript
#: templates, KaTeX, Streamlit directives, HTML, links, Markdown code, bidi control,
#: spreadsheet formulas. Two would create a file if a template ever evaluated them.
PAYLOADS: tuple[str, ...] = (
    "{{ 7*7 }}",
    "{% if 1 %}X{% endif %}",
    "{# x",
    '{{ "',
    "${7*7}",
    "$x^2$",
    ":red[x]",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "`code` ```block```",
    "abc\u202edef",
    '=HYPERLINK("http://e","x")',
    f"{{{{ cycler.__init__.__globals__.os.makedirs('{CANARIES[0]}') }}}}",
    f"{{{{ lipsum.__globals__.os.popen('touch {CANARIES[1]}').read() }}}}",
)
#: Where the accepted hostile outlets lie: around this point, 100-odd metres apart.
HOSTILE_LON, HOSTILE_LAT = 112.55, 37.86
#: The outlet declared in 小店区 but placed in 大同: a mismatch, so its name is in mismatches.csv.
MISMATCH_NAME = '=HYPERLINK("http://e","mismatch")'
EXTRA_HEADERS = ("{{ 7*7 }}", '=HYPERLINK("http://e","x")', ":red[x]")


def hostile_registry() -> bytes:
    """A CSV registry: per payload, one accepted outlet whose every text field is that
    payload (name, kind, county, address, phone, hours, services, extra columns and their
    headers), and one rejected row whose bank is the payload; then one county mismatch.
    """
    header = ["网点名称", "网点类型", "所属银行", "区县", "经度", "纬度", "地址", "联系电话"]
    header += ["营业时间", "服务项目", *EXTRA_HEADERS]
    rows = []
    for i, text in enumerate(PAYLOADS):
        lon, lat = f"{HOSTILE_LON + 0.001 * i:.6f}", f"{HOSTILE_LAT:.6f}"
        rows.append([text, text, "", text, lon, lat, text, text, text, text, *[text] * 3])
        rejected = [f"{text} bank", "银行网点", text, "", lon, "37.900000", "", "", "", ""]
        rows.append([*rejected, *[""] * 3])
    rows.append([MISMATCH_NAME, "人社", "", "小店区", "113.300000", "40.090000", *[""] * 7])
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def hostile() -> Any:
    return import_upload(hostile_registry(), name="hostile.csv")


def test_a_hostile_upload_keeps_every_text_as_written(hostile: Any) -> None:
    n = len(PAYLOADS)
    assert (hostile.read, hostile.accepted, hostile.rejected) == (2 * n + 1, n + 1, n)
    outlets = hostile.outlets.set_index("source_row")
    for i, text in enumerate(PAYLOADS):
        row = outlets.loc[2 + 2 * i]  # the header is row 1
        assert [row["name"], row["address"], row["phone"], row["hours"]] == [text] * 4
        assert row["extra"] == dict.fromkeys(EXTRA_HEADERS, text)
        assert row["kind"] == "government"  # the kind column named neither: inferred
    rejected = hostile.report[hostile.report["level"] == "error"]
    assert sorted(rejected["value"]) == sorted(PAYLOADS)  # the bank, named in the report
    assert set(rejected["reason"]) == {"unknown_bank"}


def test_the_upload_crosses_back_as_the_importer_gives_it(
    hostile: Any, counties: gpd.GeoDataFrame
) -> None:
    direct = import_registry(hostile_registry(), name="hostile.csv", counties=counties)
    columns = [c for c in direct.outlets.columns if c != "geometry"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(hostile.outlets[columns]),
        pd.DataFrame(direct.outlets[columns]),
        check_dtype=False,
    )
    assert hostile.outlets.geometry.geom_equals_exact(direct.outlets.geometry, 1e-6).all()
    pd.testing.assert_frame_equal(hostile.report, direct.report, check_dtype=False)
    assert hostile.warnings == direct.warnings
    assert hostile.outlets.attrs["metadata"] == direct.outlets.attrs["metadata"]


def test_hostile_text_is_inert_in_the_cards_and_the_table(hostile: Any) -> None:
    index = OutletIndex(hostile.outlets)
    answer = resident_answer(index, lon=HOSTILE_LON, lat=HOSTILE_LAT, task="apply", bank=None, k=10)
    table = result_table(answer, "en")
    assert set(table["Name"]) <= set(PAYLOADS) and len(table) == 10
    assert (table["Address"] == table["Name"]).all()  # the table holds the text as it is
    from tests.test_links import _decode

    cards = resident_cards(answer, "en")
    for card, name in zip(cards, table["Name"], strict=True):
        # Plain text, as written (on one line): the page escapes it, never the library twice.
        assert card.name == " ".join("".join(c if c.isprintable() else " " for c in name).split())
        assert card.address == card.name == card.hours
        assert card.nav_url.startswith("https://uri.amap.com/marker?position=")
        assert card.tel_url is None or re.fullmatch(r"tel:\+?\d{3,15}", card.tel_url)
        for route in card.routes:
            assert not re.search(r"[<>\s\"'`#]", route.url)  # the name is URL-encoded whole
            params, _, end = _decode(route.url)
            assert end[2] == " ".join(name.split()) and len(params) == 6


def test_the_mismatches_download_has_no_formula(hostile: Any, counties: gpd.GeoDataFrame) -> None:
    from locator.planning.demand import estimate_demand

    index = OutletIndex(hostile.outlets)
    demand = estimate_demand(counties, cell_area_km2=100)
    report = coverage_report(index, counties, demand=demand, radius_km=5)
    far = gaps(index, counties, demand=demand, radius_km=5)
    assert MISMATCH_NAME in report.mismatches["name"].tolist()
    files = {label: make() for label, make, _, _ in planner_downloads(report, far)}
    for label in ("download_csv", "download_mismatch"):
        data = files[label]
        assert isinstance(data, bytes) and data.startswith(codecs.BOM_UTF8)
        cells = [c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
        assert not [c for c in cells if c.startswith("-") and not _is_number(c)]
    mismatch_rows = list(csv.reader(io.StringIO(files["download_mismatch"].decode("utf-8-sig"))))
    assert "'" + MISMATCH_NAME in mismatch_rows[1]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- bounded import ---------------------------------------------------------------------


def _big_registry(n: int) -> bytes:
    rows = [
        f"网点{i},{112.3 + (i % 500) / 1000:.4f},{37.7 + i // 500 / 1000:.4f}" for i in range(n)
    ]
    return ("name,lon,lat\n" + "\n".join(rows) + "\n").encode()


def test_an_import_over_the_memory_limit_is_stopped_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = _big_registry(50_000)  # 1.4 MB; its import needs some 100 MB
    monkeypatch.setattr(settings, "upload_memory_mb", 32)
    with pytest.raises(UploadLimitError, match=r"big\.csv: the import needed more than 32 MB") as e:
        import_upload(big, name="big.csv")
    assert e.value.limit == "memory"
    assert "settings.upload_memory_mb" in str(e.value) and "locator import" in str(e.value)
    monkeypatch.setattr(settings, "upload_memory_mb", 1024)
    assert import_upload(big[:2000], name="small.csv").accepted > 0  # the next one works


def test_an_import_over_the_time_limit_is_stopped_with_a_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "upload_timeout_s", 0.001)  # less than Python's start-up
    with pytest.raises(UploadLimitError, match=r"slow\.csv: the import did not finish") as e:
        import_upload(b"name,lon,lat\nA,112.55,37.86\n", name="slow.csv")
    assert e.value.limit == "time" and "settings.upload_timeout_s" in str(e.value)
    monkeypatch.setattr(settings, "upload_timeout_s", 60)
    assert import_upload(b"name,lon,lat\nA,112.55,37.86\n", name="a.csv").accepted == 1


@pytest.mark.parametrize("name", ["upload_timeout_s", "upload_memory_mb"])
def test_a_bad_limit_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setattr(settings, name, 0)
    with pytest.raises(ValidationError, match=f"settings.{name}=0 must be a positive number"):
        import_upload(b"name,lon,lat\nA,112.55,37.86\n", name="a.csv")


def test_errors_are_shown_with_a_lead_in_the_page_language() -> None:
    error = DataFileError("a.csv: the file is empty; export it again with a header row")
    zh, en = (
        error_markdown(error, "zh", "upload_error"),
        error_markdown(error, "en", "upload_error"),
    )
    assert zh == f"{t('upload_error', 'zh')}: {escape_markdown(str(error))}"
    assert en.startswith(t("upload_error", "en") + ": ")
    limit = UploadLimitError("<b>x.csv</b>: too slow", limit="time")
    assert error_markdown(limit, "en").startswith(t("upload_limit_time", "en") + ": ")
    assert "\\<b\\>x\\.csv\\<\\/b\\>" in error_markdown(limit, "zh")


def _library_error(call: Any) -> LocatorError:
    with pytest.raises(LocatorError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_library_errors_are_shown_in_the_page_words(index: OutletIndex, lang: str) -> None:
    from locator.cli._common import FLAGS

    cases = {
        "error_bank_required": lambda: index.nearest(lon=112.5, lat=37.8, task="activate_finance"),
        "error_bank": lambda: index.nearest(lon=112.5, lat=37.8, task="activate_finance", bank="花旗"),
        "error_task": lambda: index.nearest(lon=112.5, lat=37.8, task="pin"),
    }  # fmt: skip
    for lead, call in cases.items():
        shown = error_markdown(_library_error(call), lang, "answer_error")
        assert shown.startswith(t(lead, lang) + ": "), shown
        # No flag, and no task code: the task by its name in the page's language.
        assert not any(flag in shown for flag in FLAGS.values() if flag.startswith("--"))
        assert not any(re.search(rf"(?<!\w){code}(?!\w)", shown) for code in TASKS), shown
    bank_needed = error_markdown(_library_error(cases["error_bank_required"]), lang)
    assert escape_markdown(TASKS["activate_finance"].label(lang)) in bank_needed
    assert escape_markdown(parameter_label("bank", lang)) in bank_needed


def test_a_parameter_named_by_the_library_is_shown_as_the_page_names_it(
    index: OutletIndex,
) -> None:
    error = _library_error(lambda: resident_answer(
        index, lon=112.5, lat="north", task="apply", bank=None, k=1))  # fmt: skip
    assert str(error).startswith("lat 'north'")  # the library names its parameter
    zh, en = error_markdown(error, "zh"), error_markdown(error, "en")
    assert zh.startswith(t("error_parameter", "zh", name="纬度") + ": 纬度 ")
    assert en.startswith(t("error_parameter", "en", name="latitude") + ": latitude ")
    assert "lat" not in zh and "\\'north\\'" in zh
    k_error = _library_error(lambda: index.nearest(lon=112.5, lat=37.8, k=0))
    assert error_markdown(k_error, "zh").startswith("网点数无法使用: 网点数 0 ")


def test_page_words_leave_words_that_only_contain_a_parameter() -> None:
    text = "latitude 'x', bank_name=1, the task file tasks.csv, path=/x/lat=1"
    assert page_words(text, "zh") == text


# Streamlit loads its emoji plugin when the Markdown source holds `:word:` and then turns
# every such text into an emoji, escaped or not; escaped text must never hold one.
_STREAMLIT_EMOJI = re.compile(r":(?!material\/|streamlit:)[\w+-][\w_+-]*:")


@given(st.text())
def test_escaped_text_never_wakes_streamlit_emoji_or_icons(text: str) -> None:
    escaped = escape_markdown(text)
    assert not _STREAMLIT_EMOJI.search(escaped)
    assert ":material/" not in escaped and ":streamlit:" not in escaped


@pytest.mark.parametrize("text", PAYLOADS)
def test_every_payload_is_escaped_to_itself(text: str) -> None:
    escaped = escape_markdown(text)
    shown = "".join(ch if ch.isprintable() else " " for ch in text)  # bidi marks: spaces
    assert re.sub(r"\\(.)", r"\1", escaped) == shown
    assert "\u202e" not in escaped and "\n" not in escaped


@pytest.mark.parametrize(
    ("task", "bank"),
    [(None, None), ("reset_card_pin", None), ("transit_topup", None),
     ("activate_finance", "招商银行"), (None, "中国工商银行")],
)  # fmt: skip
def test_the_planner_map_draws_the_outlets_its_figures_count(
    both_index: OutletIndex, counties: gpd.GeoDataFrame, task: str | None, bank: str | None
) -> None:
    from locator.planning.coverage import county_rule
    from locator.tasks import ONE_STOP_KINDS

    drawn = drawn_outlets(both_index, task=task, bank=bank)
    registry = both_index.outlets
    # Independently: which registry rows can serve (task, bank), by the routing rules.
    can = np.ones(len(registry), dtype=bool)
    if task is not None:
        can &= registry["services"].map(lambda s: task in s).to_numpy()
    own_bank = task is not None and TASKS[task].own_bank
    if bank is not None and (task is None or own_bank):
        can &= (registry["bank"] == bank).to_numpy()
    if not own_bank and bank is None:
        can &= registry["kind"].isin(ONE_STOP_KINDS).to_numpy()
    assert sorted(drawn["id"]) == sorted(registry.loc[can, "id"])
    if bank is None:  # the rule table's count is what the map draws
        rule = county_rule(both_index, counties, task=task)
        assert int(rule["outlets"].sum()) == len(drawn)


# --- siting as the planner page shows it (issue 12 §3) --------------------------------------


def test_siting_splits_rule_repairs_from_coverage_with_reasons_in_the_page_language() -> None:
    from locator.app.state import rule_first_sentence, split_sites

    sites = pd.DataFrame({"rank": [1, 2, 3], "reason": ["rule", "rule", "coverage"]})
    rule, coverage = split_sites(sites, "en")
    assert rule["rank"].tolist() == [1, 2] and coverage["rank"].tolist() == [3]
    assert rule["reason"].tolist() == ["Meets the rule"] * 2
    assert coverage["reason"].tolist() == ["Wider coverage"]
    assert split_sites(sites, "zh")[0]["reason"].tolist() == ["补足每县2个"] * 2
    counties = pd.DataFrame({"name": ["A*", "B", "C"], "meets_rule": [False, True, False]})
    why = rule_first_sentence(counties, sites, "en")
    assert why is not None
    assert why.startswith("For this task 2 counties have fewer than 2 outlets (A\\*, C)")
    assert "takes 2 new outlets" in why
    assert rule_first_sentence(counties.assign(meets_rule=True), sites, "en") is None


# --- the resident's answer: open now, calls and routes (issue 11 §3, §4) ----------------------

# Beside 小店区社会保障卡服务中心 (hours WD 09:00-12:00,13:30-17:30: a hall with a lunch break);
# the ten nearest outlets for a new card mix such halls and bank outlets.
HALL_LON, HALL_LAT = 112.552795, 37.701585
MOMENTS = {
    "holiday": "2026-10-01 10:00",  # 国庆节, a Thursday
    "make-up": "2026-10-10 10:00",  # a Saturday that is an official working day (调休)
    "lunch": "2026-12-01 12:30",  # a Tuesday, in the halls' lunch break
    "beyond": "2027-03-01 10:00",  # a year chinese-calendar does not know
}


def _answer_at(index: OutletIndex, when: str, **filters: Any) -> Any:
    return resident_answer(
        index,
        lon=HALL_LON,
        lat=HALL_LAT,
        task="apply",
        bank=None,
        k=10,
        filters=ResidentFilters(at=when, **filters),
    )


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_open_now_is_the_calendar_s_answer_for_each_outlet(
    index: OutletIndex, outlets: gpd.GeoDataFrame, moment: str
) -> None:
    from locator.hours import is_open, next_change, parse_at, parse_hours

    at = parse_at(MOMENTS[moment])
    answer = _answer_at(index, MOMENTS[moment])
    registry_hours = outlets.set_index("id")["opening_hours"]
    states = []
    for row in answer.found.itertuples():
        hours = parse_hours(registry_hours[row.id])
        assert row.open_now is is_open(hours, at), (row.id, row.opening_hours)
        change = next_change(hours, at)
        assert row.next_change == change.isoformat(timespec="minutes")
        states.append((registry_hours[row.id], row.open_now))
    by_hours = {text: {state for h, state in states if h == text} for text, _ in states}
    hall = "WD 09:00-12:00,13:30-17:30"
    assert hall in by_hours and len(by_hours) >= 2  # halls and bank outlets both found
    # What the calendar says, by hand: the halls are shut on the holiday and at lunch, open
    # on the make-up Saturday; in a year the calendar does not know, a Monday is a working day.
    expected_hall = {"holiday": False, "make-up": True, "lunch": False, "beyond": True}[moment]
    assert by_hours[hall] == {expected_hall}
    if "Mo-Fr 09:00-17:00" in by_hours:  # weekday hours follow the weekday, not 调休
        assert by_hours["Mo-Fr 09:00-17:00"] == {moment in ("lunch", "beyond")}
    if "Mo-Su 09:00-17:00; PH 10:00-16:00" in by_hours:  # holiday hours given, no lunch break
        assert by_hours["Mo-Su 09:00-17:00; PH 10:00-16:00"] == {True}
    assert answer.at == at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cards_say_the_state_in_words_and_as_a_state(index: OutletIndex, lang: str) -> None:
    from locator.hours import badge

    answer = _answer_at(index, MOMENTS["holiday"])
    cards = resident_cards(answer, lang)
    assert {card.state for card in cards} == {"open", "closed"}
    words = {"open": ("营业中", "open"), "closed": ("已关门", "closed")}
    for card, row in zip(cards, answer.found.itertuples(), strict=True):
        assert card.state == {True: "open", False: "closed"}[row.open_now]
        assert card.badge.startswith(words[card.state][lang == "en"])
        change = pd.Timestamp(row.next_change).to_pydatetime()
        assert card.badge == badge(row.open_now, change, answer.at, lang)
        assert card.distance == (
            f"直线距离 {row.distance_km:.2f} 公里"
            if lang == "zh"
            else f"{row.distance_km:.2f} km in a straight line"
        )
        assert card.bring == TASKS["apply"].bring(lang)
        assert [r.label for r in card.routes] == (
            ["步行", "公交", "驾车"] if lang == "zh" else ["Walk", "Transit", "Drive"]
        )
    # The hall beside the point, closed for the holiday, opens again after the week off.
    first = cards[0]
    assert first.rank == 1 and first.name == "小店区社会保障卡服务中心" and first.state == "closed"
    assert first.badge == (
        "已关门 · 10月8日 9:00 开门" if lang == "zh" else "closed · opens 08 Oct 9:00"
    )


def test_unknown_hours_are_shown_as_unknown_and_kept_by_the_filter(
    outlets: gpd.GeoDataFrame,
) -> None:
    changed = outlets.copy()
    first = changed.index[0]  # the hall beside the point
    changed.loc[first, ["opening_hours", "hours"]] = [None, "请电话预约"]
    index = OutletIndex(changed)
    answer = _answer_at(index, MOMENTS["holiday"], open_now=True)
    row = answer.found.iloc[0]
    assert row["id"] == changed.loc[first, "id"] and row["open_now"] is None
    assert row["next_change"] is None and row["opening_hours"] is None
    card = resident_cards(answer, "zh")[0]
    assert (card.state, card.badge, card.hours) == ("unknown", "营业时间未知", "请电话预约")
    assert resident_cards(answer, "en")[0].badge == "hours unknown"
    # Every other outlet found is open: the filter kept only those, and the unknown one.
    assert answer.found["open_now"].iloc[1:].tolist() == [True] * (len(answer.found) - 1)


@pytest.mark.parametrize(
    "filters",
    [
        {"open_now": True},
        {"weekends": True},
        {"instant_issue": True},
        {"transit_topup": True},
        {"open_now": True, "transit_topup": True},
    ],
)
def test_filters_equal_the_filtered_index(index: OutletIndex, filters: dict[str, bool]) -> None:
    from locator.hours import parse_at

    at = parse_at(MOMENTS["holiday"])
    answer = _answer_at(index, MOMENTS["holiday"], **filters)
    searched = index.filtered(
        open_at=at if filters.get("open_now") else None,
        **{key: value for key, value in filters.items() if key != "open_now"},
    )
    expected = searched.nearest(lon=HALL_LON, lat=HALL_LAT, k=10, task="apply")
    assert answer.found["id"].tolist() == expected["id"].tolist()
    unfiltered = _answer_at(index, MOMENTS["holiday"])
    assert answer.found["id"].tolist() != unfiltered.found["id"].tolist()  # it filtered
    if filters.get("open_now"):
        assert answer.found["open_now"].all()
    for flag in ("instant_issue", "transit_topup"):
        if filters.get(flag):
            assert answer.found[flag].all()


def test_call_and_route_links_decode_to_the_outlet_and_the_resident(index: OutletIndex) -> None:
    from locator.links import tel_url
    from tests.test_links import _decode, _haversine_m

    lon, lat = 112.583, 37.861
    answer = resident_answer(index, lon=lon, lat=lat, task="renew", bank=None, k=5)
    for card, row in zip(resident_cards(answer, "en"), answer.found.itertuples(), strict=True):
        assert card.tel_url == tel_url(row.phone)
        digits = "".join(c for c in row.phone.split("/")[0] if c.isdigit())
        assert card.tel_url == f"tel:{digits}"
        assert [route.mode for route in card.routes] == ["walk", "transit", "drive"]
        for route, amap in zip(card.routes, ["walk", "bus", "car"], strict=True):
            assert route.url == getattr(row, f"route_{route.mode}")
            params, start, end = _decode(route.url)
            assert params["mode"] == amap and end[2] == row.name
            assert _haversine_m(start[0], start[1], lon, lat) < 1.0
            assert _haversine_m(end[0], end[1], row.lon, row.lat) < 1.0


def test_a_year_beyond_the_calendar_is_said(index: OutletIndex) -> None:
    beyond = _answer_at(index, MOMENTS["beyond"])
    assert beyond.beyond_calendar
    assert "2027" in beyond.calendar_note("zh") and "2027" in beyond.calendar_note("en")
    known = _answer_at(index, MOMENTS["holiday"])
    assert not known.beyond_calendar and known.calendar_note("zh") is None


def test_no_time_given_is_now_in_shanghai(index: OutletIndex) -> None:
    import datetime as dt

    before = dt.datetime.now(dt.timezone.utc)
    answer = resident_answer(index, lon=112.5, lat=37.8, task="apply", bank=None, k=1)
    after = dt.datetime.now(dt.timezone.utc)
    assert before <= answer.at <= after
    assert answer.at.utcoffset() == dt.timedelta(hours=8)


def test_an_online_only_answer_has_the_columns_and_no_cards(index: OutletIndex) -> None:
    answer = resident_answer(
        index, lon=112.5, lat=37.8, task="reset_ecard_password", bank=None, k=3
    )
    assert answer.found.empty and resident_cards(answer, "zh") == []
    assert {"rank", "open_now", "next_change", "tel_url", "route_walk"} <= set(answer.found.columns)
    channel = answer.task.online_channel("zh")
    assert channel is not None and not channel.outlet_also
