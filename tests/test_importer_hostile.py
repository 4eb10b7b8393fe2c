"""The importer under hostile files: bounded cost, no row lost, only LocatorError escapes.

Every file is built here. Cost is checked by counting the cells read (never by the clock),
row loss by counting the data lines of the file independently of the importer.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet import _reader

from locator import settings as locator_settings
from locator._errors import LocatorError, ResourceLimitError, ValidationError
from locator.importer import REASONS, import_registry, write_report
from locator.importer._tables import read_table

TAIYUAN = (112.5492, 37.8570)  # 迎泽区 140106
PINGYAO = (112.1747, 37.1890)  # 平遥县 140728
FUZZ = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def halls(n: int) -> list[list[str]]:
    """``n`` distinct government halls around Taiyuan, each ~11 m from the last (no duplicates)."""
    return [
        [
            f"人社服务站{i}",
            f"{TAIYUAN[0] + (i % 100) * 1e-4:.6f}",
            f"{TAIYUAN[1] + (i // 100) * 1e-4:.6f}",
        ]  # fmt: skip
        for i in range(n)
    ]


def lines_csv(rows: list[list[str]], header=("网点名称", "经度", "纬度")) -> str:
    return "\n".join(",".join(cells) for cells in [list(header), *rows]) + "\n"


def problems(result, reason):
    report = result.report
    return report[(report["reason"] == reason) & report["row"].notna()]


def xlsx_bytes(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def patch_sheet(data: bytes, edit) -> bytes:
    """The workbook with its first sheet's XML changed by ``edit`` (text -> text)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode()).encode()
            target.writestr(item, content)
    return out.getvalue()


def small_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["网点名称", "所属银行", "经度", "纬度"])
    ws.append(["工行迎泽支行", "工行", *TAIYUAN])
    ws.append(["人社局服务中心", "", *PINGYAO])
    ws.append(["建行迎泽支行", "建行", TAIYUAN[0] + 0.01, TAIYUAN[1]])
    return book


@pytest.fixture
def count_cells(monkeypatch):
    """How many cell records of the sheet XML were parsed (wraps openpyxl's parser)."""
    seen = {"cells": 0}
    original = _reader.WorkSheetParser.parse_cell

    def counting(self, element):
        seen["cells"] += 1
        return original(self, element)

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_cell", counting)
    return seen


# --- 1. bounded cost ----------------------------------------------------------------------------


def test_a_declared_sheet_of_17_billion_cells_costs_its_real_cells(counties, count_cells):
    data = patch_sheet(
        xlsx_bytes(small_book()),
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml),
    )
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert 'ref="A1:XFD1048576"' in z.read("xl/worksheets/sheet1.xml").decode()
    table = read_table(data, "big.xlsx")
    assert count_cells["cells"] == 16  # the 4 x 4 cells the file holds, nothing padded
    assert [len(cells) for _, cells in table.rows] == [4, 4, 4, 4]  # not padded to 16,384
    result = import_registry(data, name="big.xlsx", counties=counties)
    assert (result.read, result.accepted) == (3, 3)


def test_a_stray_cell_at_xfd1048576_is_named_not_read_for_minutes(counties, count_cells):
    book = small_book()
    book.active["XFD1048576"] = "x"
    data = xlsx_bytes(book)
    assert len(data) < 10_000
    with pytest.raises(ResourceLimitError, match=r"far\.xlsx: cell XFD1048576 .*import_max_columns"):  # fmt: skip
        import_registry(data, name="far.xlsx", counties=counties)
    assert count_cells["cells"] == 17


def test_with_a_higher_column_limit_the_far_cell_is_one_rejected_row(counties, monkeypatch, count_cells):  # fmt: skip
    monkeypatch.setattr(locator_settings, "import_max_columns", 20_000)
    book = small_book()
    book.active["XFD1048576"] = "x"
    result = import_registry(xlsx_bytes(book), name="far.xlsx", counties=counties)
    assert count_cells["cells"] == 17
    assert (result.read, result.accepted, result.rejected) == (4, 3, 1)
    assert problems(result, "missing_name")["row"].tolist() == [1048576]


def test_empty_formatted_cells_far_away_are_ignored(counties, count_cells):
    book = small_book()
    book.active["XFD1048576"].number_format = "0.00"  # styled, no value: written as <c s=..>
    data = xlsx_bytes(book)
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    result = import_registry(data, name="styled.xlsx", counties=counties)
    assert (result.read, result.accepted) == (3, 3)


def test_row_column_and_unzipped_limits_name_the_file_and_the_setting(counties, monkeypatch):
    monkeypatch.setattr(locator_settings, "import_max_rows", 5)
    with pytest.raises(ResourceLimitError, match=r"rows\.csv: .*import_max_rows \(5\)"):
        import_registry(lines_csv(halls(6)).encode(), name="rows.csv", counties=counties)
    assert import_registry(lines_csv(halls(5)).encode(), name="rows.csv", counties=counties).read == 5  # fmt: skip
    monkeypatch.setattr(locator_settings, "import_max_columns", 10)
    wide = lines_csv([["站", "112.5", "37.8", *["x"] * 20]])
    with pytest.raises(ResourceLimitError, match=r"wide\.csv: line 2 has 23 cells.*import_max_columns"):  # fmt: skip
        import_registry(wide.encode(), name="wide.csv", counties=counties)
    monkeypatch.setattr(locator_settings, "import_max_unzipped_mb", 0.001)
    with pytest.raises(ResourceLimitError, match=r"zip\.xlsx: unzips to .*import_max_unzipped_mb"):
        import_registry(xlsx_bytes(small_book()), name="zip.xlsx", counties=counties)
    with pytest.raises(ResourceLimitError, match=r"f\.geojson: more than settings\.import_max_rows"):  # fmt: skip
        monkeypatch.setattr(locator_settings, "import_max_rows", 1)
        features = [{"type": "Feature", "geometry": None, "properties": {"name": "a"}}] * 2
        import_registry(json.dumps({"type": "FeatureCollection", "features": features}).encode(),
                        name="f.geojson", counties=counties)  # fmt: skip


# --- 2. no row lost -----------------------------------------------------------------------------


def test_a_stray_quote_rejects_its_line_and_loses_none_after_it(counties):
    rows = halls(2_000)
    rows[1_949][0] = '"' + rows[1_949][0]  # data row 1,950 = line 1,951
    result = import_registry(lines_csv(rows).encode(), name="q.csv", counties=counties)
    assert (result.read, result.accepted, result.rejected) == (2_000, 1_999, 1)
    bad = problems(result, "bad_quote")
    assert bad["row"].tolist() == [1_951] and bad["level"].tolist() == ["error"]
    assert "next line is read on its own" in bad["message"].iloc[0]
    assert sorted(result.outlets["source_row"]) == [n for n in range(2, 2_002) if n != 1_951]


def test_a_stray_quote_with_many_lines_after_it_still_names_its_line(counties):
    # 3,000 lines (over 131,072 characters) after the quote: csv's "field larger than field limit"
    rows = halls(5_000)
    rows[99][1] = '"' + rows[99][1]
    text = lines_csv(rows)
    assert len(text) - text.index('"') > 131_072
    result = import_registry(text.encode(), name="q.csv", counties=counties)
    assert (result.read, result.rejected) == (5_000, 1)
    assert problems(result, "bad_quote")["row"].tolist() == [101]


def test_a_quoted_cell_with_a_line_break_is_one_row_and_says_which_lines(counties):
    text = (
        "网点名称,地址,经度,纬度\n"
        f'人社站A,"迎泽大街1号\n二楼",{TAIYUAN[0]},{TAIYUAN[1]}\n'
        f"人社站B,平遥古城,{PINGYAO[0]},{PINGYAO[1]}\n"
    )
    result = import_registry(text.encode(), name="m.csv", counties=counties)
    assert (result.read, result.accepted, result.lines) == (2, 2, 3)
    assert result.outlets["address"].tolist() == ["迎泽大街1号\n二楼", "平遥古城"]
    multi = problems(result, "multiline")
    assert multi["row"].tolist() == [2] and "lines 2-3" in multi["message"].iloc[0]
    assert result.read + (len(text.splitlines()) - 1 - result.read) == result.lines


def test_a_row_with_more_or_fewer_cells_than_the_header_is_reported(counties):
    text = lines_csv([
        ["人社站A", f"{TAIYUAN[0]}", f"{TAIYUAN[1]}", "迎泽大街", "1号"],  # 5 cells for 3 columns
        ["人社站B", f"{PINGYAO[0]}"],  # 2 cells
        ["人社站C", f"{PINGYAO[0] + 0.01}", f"{PINGYAO[1]}", ""],  # a trailing empty cell: fine
    ])  # fmt: skip
    result = import_registry(text.encode(), name="f.csv", counties=counties)
    counted = problems(result, "field_count")
    assert counted[["row", "level"]].values.tolist() == [[2, "error"], [3, "warning"]]
    assert "5 cells, but the header has 3" in counted["message"].iloc[0]
    assert (result.read, result.accepted, result.rejected) == (3, 1, 2)  # row 3: no latitude


# --- 3. hostile GeoJSON, arguments, services, encodings, Excel quirks --------------------------


def feature(geometry, properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def geojson(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.mark.parametrize(
    ("geometry", "properties", "reason", "words"),
    [
        (
            {"type": "Point", "coordinates": {"lon": 112.5, "lat": 37.8}},
            {"name": "a"},
            "bad_coordinates",
            "give [longitude, latitude]",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": "112.5,37.8"},
            {"name": "a"},
            "bad_coordinates",
            "bad Point coordinates",
        ),  # fmt: skip
        ("POINT (112.5 37.8)", {"name": "a"}, "bad_coordinates", "geometry is a str"),
        (
            {"type": "Point", "coordinates": [500, 37.8]},
            {"name": "a"},
            "bad_coordinates",
            "not degrees",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": [112.5, 200]},
            {"name": "a"},
            "bad_coordinates",
            "not degrees",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": [1e300, 37.8]},
            {"name": "a"},
            "bad_coordinates",
            "not degrees",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": [10**400, 37.8]},
            {"name": "a"},
            "bad_coordinates",
            "out of range",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": [112.5, 37.8]},
            ["name", "a"],
            "bad_feature",
            "properties are a list",
        ),  # fmt: skip
        (
            {"type": "Point", "coordinates": [112.5, 37.8]},
            "a",
            "bad_feature",
            "properties are a str",
        ),  # fmt: skip
    ],
)
def test_hostile_features_are_rejected_naming_the_feature(counties, geometry, properties, reason, words):  # fmt: skip
    good = feature({"type": "Point", "coordinates": list(PINGYAO)}, {"name": "人社站"})
    result = import_registry(geojson(good, feature(geometry, properties)), name="g.geojson", counties=counties)  # fmt: skip
    assert (result.read, result.accepted, result.rejected) == (2, 1, 1)
    found = problems(result, reason)
    assert found["row"].tolist() == [2] and words in found["message"].iloc[0]


def test_nan_and_overflowing_numbers_are_bad_coordinates(counties):
    text = '{"type":"FeatureCollection","features":[' + ",".join(
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[%s,37.8]},"properties":{"name":"n%d"}}' % (v, i)  # noqa: UP031
        for i, v in enumerate(["NaN", "1e309", "-Infinity"])
    ) + "]}"  # fmt: skip
    result = import_registry(text.encode(), name="n.geojson", counties=counties)
    assert result.rejected == 3 and problems(result, "bad_coordinates")["row"].tolist() == [1, 2, 3]  # fmt: skip


def test_features_that_are_not_objects_are_rejected_rows_and_kind_lists_are_text(counties):
    good = feature({"type": "Point", "coordinates": list(PINGYAO)}, {"name": "工行平遥支行", "kind": ["bank", "x"], "bank": "工行"})  # fmt: skip
    result = import_registry(geojson(good, None, "x", 5, [1, 2]), name="g.geojson", counties=counties)  # fmt: skip
    assert (result.read, result.accepted, result.rejected) == (5, 1, 4)
    messages = problems(result, "bad_feature")["message"].tolist()
    assert ["NoneType" in messages[0], "str" in messages[1], "int" in messages[2], "list" in messages[3]] == [True] * 4  # fmt: skip


@pytest.mark.parametrize("features", ["null", '"abc"', "3", "{}"])
def test_features_that_are_no_list_are_one_clear_error(counties, features):
    data = ('{"type":"FeatureCollection","features":%s}' % features).encode()  # noqa: UP031
    with pytest.raises(LocatorError, match=r"g\.geojson: not a GeoJSON FeatureCollection"):
        import_registry(data, name="g.geojson", counties=counties)


def test_deep_nesting_and_missing_source_are_clear_errors(counties):
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    with pytest.raises(LocatorError, match=r"deep\.geojson: .*nested too deeply"):
        import_registry(deep, name="deep.geojson", counties=counties)
    nested: object = "x"
    for _ in range(5_000):
        nested = [nested]
    text = json.dumps({"type": "FeatureCollection", "features": [feature(None, {"name": "a"})]})
    text = text.replace('"a"', "[" * 900 + '"a"' + "]" * 900)
    with pytest.raises(LocatorError, match="nested too deeply|deep"):
        import_registry(text.encode(), name="deep2.geojson", counties=counties)
    for source in (None, 12, object()):
        with pytest.raises(ValidationError, match=r"^source: expected the path of a registry file"):
            import_registry(source, counties=counties)


@pytest.mark.parametrize("text", ["apply,reset_card_pin", "apply；reset_card_pin", "apply reset_card_pin",
                                  "apply、reset_card_pin", "apply|reset_card_pin", "apply / reset_card_pin",
                                  "申领，社保卡密码重置"])  # fmt: skip
def test_services_in_one_string_are_a_list(counties, text):
    data = geojson(feature({"type": "Point", "coordinates": list(TAIYUAN)}, {"name": "人社站", "services": text}))  # fmt: skip
    result = import_registry(data, name="s.geojson", counties=counties)
    assert result.outlets["services"].tolist() == [["apply", "reset_card_pin"]]
    assert problems(result, "unknown_task").empty


def test_big5_file_with_traditional_headers_and_values(counties):
    header = ["網點名稱", "銀行", "經度", "緯度", "地址", "聯繫電話", "營業時間", "區縣"]
    rows = [["中國工商銀行迎澤支行", "中國工商銀行", *map(str, TAIYUAN), "太原市迎澤大街1號", "0351-1234567", "週一至週五", "迎澤區"],  # fmt: skip
            ["平遙縣社會保障服務中心", "", *map(str, PINGYAO), "平遙縣古城", "0354-7654321", "週一至週五", "平遙縣"]]  # fmt: skip
    data = lines_csv(rows, header=header).encode("big5")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = import_registry(data, name="big5.csv", counties=counties)
    assert result.warnings == [] and (result.read, result.accepted) == (2, 2)
    out = result.outlets
    assert out["name"].tolist() == [rows[0][0], rows[1][0]]  # decoded, kept as written
    assert out["bank"].tolist() == ["中国工商银行", None]
    assert out["county_adcode"].tolist() == ["140106", "140728"]
    assert out["phone"].tolist() == ["0351-1234567", "0354-7654321"]
    assert out["hours"].tolist() == ["週一至週五"] * 2


def test_gbk_still_wins_over_big5(counties):
    rows = [["工行迎泽支行", "工行", *map(str, TAIYUAN)]]
    data = lines_csv(rows, header=("网点名称", "所属银行", "经度", "纬度")).encode("gbk")
    assert data.decode("cp950", errors="replace") != rows[0][0]
    result = import_registry(data, name="gbk.csv", counties=counties)
    assert result.outlets["name"].tolist() == ["工行迎泽支行"]


def test_vertically_merged_bank_cells_are_filled_down_with_a_warning(counties):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["网点名称", "所属银行", "经度", "纬度"])
    for i in range(3):
        ws.append([f"支行{i}", "工行" if i == 0 else None, TAIYUAN[0] + i * 0.01, TAIYUAN[1]])
    ws.append(["人社局服务中心", None, *PINGYAO])
    ws.merge_cells("B2:B4")
    ws.merge_cells("A6:D6")  # a horizontal merge (a footnote row) is left alone
    ws["A6"] = "注：以上为示例"
    result = import_registry(xlsx_bytes(book), name="merged.xlsx", counties=counties)
    assert result.outlets["bank"].tolist()[:3] == ["中国工商银行"] * 3
    assert result.outlets["kind"].tolist() == ["bank", "bank", "bank", "government"]
    merged = result.report[result.report["reason"] == "merged_cells"]
    assert len(merged) == 1 and "B2:B4" in merged["message"].iloc[0]
    assert "A6:D6" not in merged["message"].iloc[0]
    assert problems(result, "unknown_bank").empty


def test_a_formula_without_a_saved_value_is_named_as_such(counties):
    book = small_book()
    book.active["A3"] = '=CONCAT("人社局","服务中心")'  # openpyxl saves no value for it
    book.active["E1"], book.active["E2"] = "备注", "=1+1"  # an unused column: kept, warned
    result = import_registry(xlsx_bytes(book), name="f.xlsx", counties=counties)
    found = problems(result, "formula_without_value")
    assert found[["row", "level"]].values.tolist() == [[2, "warning"], [3, "error"]]
    assert "cell A3 (column '网点名称')" in found["message"].iloc[1]
    assert "cell E2 (column '备注')" in found["message"].iloc[0]
    assert problems(result, "missing_name").empty
    assert (result.accepted, result.rejected) == (2, 1)


def test_the_report_csv_makes_formulas_inert(counties, tmp_path):
    names = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["网点名称", "经度", "纬度"], *[[name, "abc", "37.8"] for name in names]])  # fmt: skip
    result = import_registry(buffer.getvalue().encode(), name="evil.csv", counties=counties)
    assert result.rejected == 4
    raw = write_report(result, tmp_path / "report.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    cells = [c for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"))) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "-")]
    for name in names:
        assert "'" + name in cells  # the name column, kept readable behind the quote


# --- fuzzing ------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["type", "features", "geometry", "properties", "coordinates", "name", "kind", "bank",
         "services", "Point", "经度", "lon"]), inner, max_size=5),
    max_leaves=25,
)  # fmt: skip
FEATURE = st.fixed_dictionaries({
    "type": st.just("Feature"),
    "geometry": st.one_of(JSON, st.fixed_dictionaries({"type": st.just("Point"), "coordinates": JSON | st.lists(st.floats() | st.integers(), max_size=3)})),  # fmt: skip
    "properties": st.one_of(JSON, st.dictionaries(st.sampled_from(["name", "kind", "bank", "services", "county", "id"]), JSON)),  # fmt: skip
})  # fmt: skip


@FUZZ
@given(st.one_of(JSON, st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(FEATURE | JSON, max_size=6)})))  # fmt: skip
def test_fuzz_any_json_only_locator_errors_escape(counties, document):
    data = json.dumps(document).encode()
    try:
        result = import_registry(data, name="f.geojson", counties=counties)
    except LocatorError:
        return
    assert result.read == result.accepted + result.rejected == len(document["features"])
    assert set(result.report["reason"]) <= set(REASONS)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(["x.csv", "x.xlsx", "x.geojson", "x", "x.txt"]))
def test_fuzz_any_bytes_only_locator_errors_escape(counties, data, name):
    for blob in (data, b"PK\x03\x04" + data, b'{"type":"FeatureCollection","features":[' + data):
        try:
            result = import_registry(blob, name=name, counties=counties)
        except LocatorError:
            continue
        assert result.read == result.accepted + result.rejected


CELL_TEXT = st.text(alphabet="人社站工行太原迎泽abcXYZ0123456789.- ", max_size=8)
DIALECT = st.fixed_dictionaries({
    "delimiter": st.sampled_from([",", "\t", ";", "|"]),
    "quote_all": st.booleans(),
    "newline": st.sampled_from(["\n", "\r\n", "\r"]),
    "bom": st.booleans(),
    "encoding": st.sampled_from(["utf-8", "gb18030"]),
})  # fmt: skip
ROW = st.tuples(
    st.lists(CELL_TEXT, min_size=1, max_size=6),  # cells (any count: field_count cases)
    st.integers(-1, 5),  # which cell gets a stray quote in front (-1: none)
    st.booleans(),  # a blank line after this row
)


@FUZZ
@given(DIALECT, st.lists(ROW, min_size=1, max_size=25))
def test_fuzz_csv_dialects_read_equals_data_lines(counties, dialect, rows):
    d = dialect["delimiter"]

    def line(cells: list[str]) -> str:
        return d.join(f'"{c}"' if dialect["quote_all"] else c for c in cells)

    lines, data_lines = [line(["网点名称", "经度", "纬度"])], 0
    for cells, stray, blank in rows:
        text = line(cells)
        if 0 <= stray < len(cells) and cells[stray].strip():
            parts = text.split(d)
            parts[stray] = '"' + parts[stray]  # a quote before a non-empty cell: never closes
            text = d.join(parts)
        lines.append(text)
        data_lines += any(c.strip() for c in cells)
        if blank:
            lines.append("")
    text = dialect["newline"].join(lines) + dialect["newline"]
    data = ("\ufeff" if dialect["bom"] else "").encode(dialect["encoding"]) + text.encode(dialect["encoding"])  # fmt: skip
    try:
        result = import_registry(data, name="fuzz.csv", counties=counties)
    except LocatorError as error:  # only a file without data may be refused as a whole
        assert data_lines == 0, error
        return
    assert result.read == result.accepted + result.rejected == data_lines == result.lines
    assert set(result.report["reason"]) <= set(REASONS)
    assert problems(result, "multiline").empty


def test_fuzz_helpers_see_what_they_claim():
    # The stray quote of the dialect fuzz really leaves a quote that csv cannot close.
    with pytest.raises(csv.Error):
        list(csv.reader(['a,"b,c'], strict=True))
    assert math.isinf(json.loads("1e309"))
