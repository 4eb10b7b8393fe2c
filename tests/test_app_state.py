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
from locator.app.state import (
    UrlState,
    drawn_outlets,
    error_markdown,
    escape_markdown,
    outlet_cards,
    page_words,
    parse_url,
    planner_downloads,
    registry_fingerprint,
    resident_answer,
    result_table,
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
    answer = resident_answer(index, lon=lon, lat=lat, task=task, bank="中行", k=4)
    assert answer.inside and answer.county == "榆次区 · 晋中市"
    if not TASKS[task].kinds:  # online only: no outlet, the online channel instead
        assert answer.online_only and answer.found.empty and answer.task.online("zh")
        return
    expected = index.nearest(lon=lon, lat=lat, k=4, task=task, bank="中行")
    pd.testing.assert_frame_equal(answer.found.drop(columns="nav_url"), expected)
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
    pd.testing.assert_frame_equal(answer.found.drop(columns="nav_url"), expected)
    kinds = set(answer.found["kind"])
    if TASKS[task].own_bank:
        assert set(answer.found["bank"]) == {"招商银行"} and "branch" in kinds
    else:
        assert "branch" not in kinds
    for (text, _), kind in zip(outlet_cards(answer, "en"), answer.found["kind"], strict=True):
        assert escape_markdown(KIND_LABELS[kind]["en"]) in text


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
    assert list(table.columns[:4]) == ["Name", "Kind", "Bank", "Distance (km)"]
    assert table["Name"].tolist() == answer.found["name"].tolist()
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
    for text, url in outlet_cards(answer, "en"):
        assert url.startswith("https://uri.amap.com/marker?position=")
        assert not re.search(r"[<>\s\"'`]", url)  # the name is URL-encoded, nothing else
        # Every Markdown-active character is escaped: nothing is left to interpret.
        body = text.replace("\\\\", "")
        assert not re.search(r"(?<!\\)[<>\[\]()`$:#|!~{}%=]", body), text
    card = outlet_cards(answer, "en")[0][0]
    name = table["Name"].iloc[0]
    assert escape_markdown(name) in card


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
