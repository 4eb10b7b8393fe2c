"""Importing a real registry: every format and encoding, every check, and no row ever lost."""

from __future__ import annotations

import codecs
import csv
import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locator._errors import DataFileError, ValidationError
from locator.cli import main
from locator.counties import CountyMatcher, county_of, province_outline
from locator.crs import from_wgs84
from locator.distance import haversine_km
from locator.importer import REASONS, ImportResult, check_upload_size, import_registry, write_report
from locator.importer._headers import parse_degrees, parse_pair
from locator.importer._rows import close_pairs
from locator.importer._tables import decode_text
from locator.index import OutletIndex
from locator.registry import OUTLET_COLUMNS, load_outlets
from locator.tasks import default_services

HEADER = ["网点名称", "所属银行", "地址", "经度", "纬度", "区县", "联系电话", "营业时间"]
# WGS-84 points inside known counties (checked against the county layer in a test below).
TAIYUAN = (112.5492, 37.8570)  # 迎泽区 140106
PINGYAO = (112.1747, 37.1890)  # 平遥县 140728
DATONG = (113.2950, 40.0900)  # 平城区 140213


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def run_import(data, counties, *, name="registry.csv", **kwargs) -> ImportResult:
    return import_registry(data, name=name, counties=counties, **kwargs)


def problems(result, reason=None):
    rows = result.report[result.report["row"].notna()]
    if reason is not None:
        rows = rows[rows["reason"] == reason]
    return rows


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_truth_points_lie_in_their_counties(counties):
    found = county_of(*zip(TAIYUAN, PINGYAO, DATONG, strict=True), counties=counties).tolist()
    assert found == ["140106", "140728", "140213"]


# --- formats and encodings ----------------------------------------------------------------


def test_gbk_csv_with_chinese_headers(counties):
    rows = [
        ["工行迎泽支行", "中国工商银行股份有限公司太原迎泽支行", "太原市迎泽区迎泽大街1号",
         *map(str, TAIYUAN), "迎泽区", "0351-1234567", "9:00-17:00"],
        ["平遥县人社局社保卡服务中心", "", "平遥县古陶镇", *map(str, PINGYAO), "平遥县", "", ""],
    ]  # fmt: skip
    data = csv_bytes(rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK bytes
    result = run_import(data, counties)
    assert (result.read, result.accepted, result.rejected) == (2, 2, 0)
    out = result.outlets
    assert out["name"].tolist() == ["工行迎泽支行", "平遥县人社局社保卡服务中心"]
    assert out["bank"].tolist() == ["中国工商银行", None]
    assert out["kind"].tolist() == ["bank", "government"]
    assert out["county_adcode"].tolist() == ["140106", "140728"]
    assert out["phone"].iloc[0] == "0351-1234567" and out["hours"].iloc[0] == "9:00-17:00"
    assert out["services"].iloc[1] == default_services(
        "government", instant_issue=False, transit_topup=False
    )
    assert out.crs.to_epsg() == 4326 and list(out.columns[: len(OUTLET_COLUMNS)]) == list(
        OUTLET_COLUMNS
    )
    assert {"precision", "extra", "source_row"} <= set(out.columns)
    assert out["source_row"].tolist() == [2, 3]
    assert problems(result).empty


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_every_common_encoding_reads_the_same(counties, encoding):
    rows = [["晋商银行太原分行营业部", "晋商", "", *map(str, TAIYUAN), "", "", ""]]
    result = run_import(csv_bytes(rows, encoding=encoding), counties)
    assert result.outlets["name"].tolist() == ["晋商银行太原分行营业部"]
    assert result.outlets["bank"].tolist() == ["晋商银行"]
    assert result.warnings == []


def _gb2312_chars() -> str:
    chars = []
    for code in range(0x4E00, 0x9FA6):
        ch = chr(code)
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        chars.append(ch)
    return "".join(chars)


GB2312 = _gb2312_chars()


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(GB2312 + "0123456789,.;-（）号路街 "), min_size=1, max_size=40)
)
def test_gbk_text_is_never_decoded_as_something_else(text):
    if not text.strip(" ,.;-0123456789"):
        return
    for encoding in ("gbk", "utf-8"):
        decoded, _, notes = decode_text(text.encode(encoding), "f.csv")
        assert decoded == text, (encoding, decoded)
        assert notes == []


def test_undecodable_text_is_never_decoded_silently():
    data = bytes(range(128, 256)) * 4  # neither UTF-8 nor GB18030
    try:
        _, encoding, notes = decode_text(data, "f.csv")
    except DataFileError as error:
        assert "f.csv: cannot tell the text encoding" in str(error)
    else:
        assert (
            encoding not in ("utf-8", "gb18030")
            and "f.csv: the text encoding looks like" in notes[0]
        )


def test_xlsx_with_title_row_and_sheet(counties, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为示例"])
    sheet = book.create_sheet("网点")
    sheet.append(["山西省社保卡服务网点名录"])
    sheet.append(["网点名称", "所属银行", "经度", "纬度", "联系电话", "备注"])
    sheet.append(["建行平城支行", "建设银行", DATONG[0], DATONG[1], 3521234567, "二楼"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["建行平城支行", "建设银行", DATONG[0], DATONG[1], None, None])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    result = import_registry(path, sheet="网点", counties=counties)
    assert (result.read, result.accepted, result.rejected) == (2, 1, 1)
    assert result.outlets["phone"].tolist() == ["3521234567"]
    assert result.outlets["extra"].tolist() == [{"备注": "二楼"}]
    assert result.outlets["source_row"].tolist() == [3]  # the Excel row number
    dup = problems(result, "duplicate")
    assert dup["row"].tolist() == [5] and "row 3" in dup["message"].iloc[0]
    with pytest.raises(DataFileError, match=r"no sheet named 'x'; the sheets are '说明', '网点'"):
        import_registry(path, sheet="x", counties=counties)


def test_geojson_source_with_points_and_property_coordinates(counties):
    document = {
        "type": "FeatureCollection",
        "metadata": {"note": "坐标来自高德地图"},
        "features": [
            {"type": "Feature", "properties": {"name": "交行迎泽支行", "bank": "BOCOM"},
             "geometry": {"type": "Point", "coordinates": list(TAIYUAN)}},
            {"type": "Feature", "properties": {"name": "农行平遥支行", "bank": "ABC", "lon": PINGYAO[0],
             "lat": PINGYAO[1]}, "geometry": None},
            {"type": "Feature", "properties": {"name": "面", "bank": "ABC"},
             "geometry": {"type": "Polygon", "coordinates": []}},
        ],
    }  # fmt: skip
    data = json.dumps(document, ensure_ascii=False).encode()
    result = run_import(data, counties, name="outlets.geojson")
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.outlets["bank"].tolist() == ["交通银行", "中国农业银行"]
    bad = problems(result, "bad_coordinates")
    assert bad["row"].tolist() == [3] and "Polygon" in bad["message"].iloc[0]
    assert any("GCJ-02" in w for w in result.warnings)  # the metadata mentions 高德


def test_bytes_and_file_objects_with_a_name(counties):
    data = csv_bytes([["中行迎泽支行", "中行", "", *map(str, TAIYUAN), "", "", ""]])
    from_file = import_registry(io.BytesIO(data), name="upload.csv", counties=counties)
    from_bytes = import_registry(data, counties=counties)  # no name: the content decides
    assert from_file.outlets["bank"].tolist() == from_bytes.outlets["bank"].tolist() == ["中国银行"]
    assert from_file.source == "upload.csv"


# --- coordinates ---------------------------------------------------------------------------


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_gcj02_and_bd09_come_back_to_wgs84_within_a_metre(counties, crs):
    rng = np.random.default_rng(4)
    outline = province_outline(counties)
    lon, lat = rng.uniform(110.5, 114.3, 400), rng.uniform(34.8, 40.6, 400)
    keep = shapely.contains_xy(outline, lon, lat)
    lon, lat = lon[keep][:40], lat[keep][:40]
    x, y = from_wgs84(lon, lat, crs)
    rows = [[f"网点{i}", "", "", repr(float(a)), repr(float(b)), "", "", ""] for i, (a, b) in enumerate(zip(x, y, strict=True))]  # fmt: skip
    header = [*HEADER[:3], "经度(高德)" if crs == "gcj02" else "百度经度", "纬度", *HEADER[5:]]
    data = csv_bytes(rows, header=header)
    result = run_import(data, counties, crs=crs)
    assert result.accepted == len(lon) and result.warnings == []
    back = result.outlets.sort_values("source_row")
    metres = haversine_km(back.geometry.x, back.geometry.y, lon, lat) * 1000
    assert float(np.max(metres)) < 1.0
    # Read as WGS-84, the same file is a few hundred metres off, and the header says why.
    plain = run_import(data, counties)
    assert any(f"crs={crs}" in w for w in plain.warnings)
    assert problems(plain, "crs_hint").empty and (plain.report["reason"] == "crs_hint").sum() == 1
    off = haversine_km(
        plain.outlets.geometry.x,
        plain.outlets.geometry.y,
        lon[: plain.accepted],
        lat[: plain.accepted],
    )
    assert float(np.min(off)) > 0.3


def test_swapped_coordinates_are_fixed_and_reported(counties):
    rows = [["人社局服务中心", "", "", str(TAIYUAN[1]), str(TAIYUAN[0]), "", "", ""]]
    result = run_import(csv_bytes(rows), counties)
    assert result.accepted == 1
    point = result.outlets.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx(TAIYUAN)
    swapped = problems(result, "swapped_coordinates")
    assert swapped["level"].tolist() == ["warning"] and swapped["row"].tolist() == [2]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["112.5492°", "37.857°"], TAIYUAN),
        (["１１２．５４９２", "３７．８５７"], TAIYUAN),
        (["112°32′57.12″E", "37°51′25.2″N"], TAIYUAN),
        (["E112.5492", "N37.857"], TAIYUAN),
    ],
)
def test_coordinate_spellings(counties, cells, expected):
    result = run_import(csv_bytes([["人社局", "", "", *cells, "", "", ""]]), counties)
    point = result.outlets.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx(expected, abs=1e-6)


def test_single_coordinate_column(counties):
    header = ["网点名称", "经纬度"]
    rows = [["人社局", f"{TAIYUAN[0]},{TAIYUAN[1]}"], ["邮储平遥支行", f"POINT ({PINGYAO[0]} {PINGYAO[1]})"],
            ["坏", "112.5"]]  # fmt: skip
    result = run_import(csv_bytes(rows, header=header), counties)
    assert result.accepted == 2
    assert result.outlets["county_adcode"].tolist() == ["140106", "140728"]
    assert problems(result, "bad_coordinates")["row"].tolist() == [4]


def test_parsers_reject_what_is_not_degrees():
    for text in ("abc", "nan", "inf", "1e400", "112°75′"):
        with pytest.raises(ValueError):
            parse_degrees(text)
    assert parse_degrees("  ") is None and parse_pair("") is None
    with pytest.raises(ValueError):
        parse_pair("1,2,3")


def test_outside_the_province_is_rejected_and_the_border_is_forgiven(counties):
    outline = province_outline(counties)
    # A point 300 m outside the outline, east of its easternmost vertex.
    ring = np.asarray(
        max(getattr(outline, "geoms", [outline]), key=lambda g: g.area).exterior.coords
    )
    east = ring[np.argmax(ring[:, 0])]
    near = (float(east[0]) + 0.0035, float(east[1]))
    assert not shapely.contains_xy(outline, *near)
    rows = [["北京网点", "建行", "", "116.40", "39.90", "", "", ""],
            ["边界网点", "建行", "", repr(near[0]), repr(near[1]), "", "", ""],
            ["零点", "建行", "", "0", "0", "", "", ""],
            ["墨卡托", "建行", "", "12529000", "4560000", "", "", ""]]  # fmt: skip
    result = run_import(csv_bytes(rows), counties)
    assert result.accepted == 1 and result.outlets["name"].tolist() == ["边界网点"]
    assert result.outlets["county_adcode"].iloc[0] is not None
    report = problems(result).set_index("row")
    assert report.loc[2, "reason"] == "outside_shanxi" and report.loc[2, "level"] == "error"
    assert report.loc[3, "reason"] == "outside_shanxi" and report.loc[3, "level"] == "warning"
    assert report.loc[4, "reason"] == "missing_coordinates"  # 0, 0 is a placeholder
    assert report.loc[5, "reason"] == "bad_coordinates"


# --- counties ---------------------------------------------------------------------------------


def test_rows_without_coordinates_go_to_the_named_county_seat(counties):
    seats = counties.set_index("adcode")[["seat_lon", "seat_lat"]]
    rows = [["农行平遥支行", "农行", "晋中市平遥县古陶镇顺城路", "", "", "", "", ""],
            ["晋城城区人社", "", "", "", "", "晋城市城区", "", ""],
            ["清徐网点", "建行", "清徐东湖路", "", "", "", "", ""],
            ["城区人社", "", "城区东街", "", "", "", "", ""],
            ["无处", "建行", "某路1号", "", "", "", "", ""]]  # fmt: skip
    result = run_import(csv_bytes(rows), counties)
    out = result.outlets.set_index("source_row")
    assert out.loc[[2, 3, 4], "county_adcode"].tolist() == ["140728", "140502", "140121"]
    assert set(out["precision"]) == {"county"}
    for row, adcode in ((2, "140728"), (3, "140502"), (4, "140121")):
        point = out.loc[row, "geometry"]
        assert (point.x, point.y) == pytest.approx(tuple(seats.loc[adcode]))
    report = problems(result, "missing_coordinates").set_index("row")
    assert report.loc[[2, 3, 4], "level"].tolist() == ["warning"] * 3
    assert report.loc[[5, 6], "level"].tolist() == ["error"] * 2  # 城区 alone is ambiguous


def test_declared_county_mismatch_is_kept_and_reported(counties):
    rows = [["人社局", "", "", *map(str, TAIYUAN), "小店区", "", ""],
            ["人社局二", "", "", *map(str, PINGYAO), "不存在县", "", ""],
            ["人社局三", "", "", *map(str, DATONG), "140202", "", ""]]  # fmt: skip
    result = run_import(csv_bytes(rows), counties)
    assert result.outlets["county_adcode"].tolist() == ["140105", "140728", "140213"]
    mismatch = problems(result, "county_mismatch")
    assert mismatch["row"].tolist() == [2] and "迎泽区" in mismatch["message"].iloc[0]
    assert problems(result, "unknown_county")["row"].tolist() == [3]


def test_a_county_name_shared_by_cities_needs_its_city(counties):
    jincheng = (112.8513, 35.4920)  # in 晋城市城区 (140502)
    header = ["网点名称", "区县", "地市", "经度", "纬度"]
    rows = [["人社局", "城区", "", *map(str, jincheng)],
            ["人社局二", "城区", "晋城市", *map(str, jincheng)],
            ["人社局三", "晋城市城区", "", *map(str, jincheng)]]  # fmt: skip
    result = run_import(csv_bytes(rows, header), counties)
    located = county_of([jincheng[0]], [jincheng[1]], counties=counties).iloc[0]
    assert located == "140502"  # the point, checked independently of the importer
    assert result.outlets["county_adcode"].tolist() == [located, "140502", "140502"]
    unknown = problems(result, "unknown_county")
    assert unknown["row"].tolist() == [2]
    assert "140302" in unknown["message"].iloc[0] and "140502" in unknown["message"].iloc[0]
    assert "county_mismatch" not in set(problems(result)["reason"])


def test_county_matcher_names(counties):
    matcher = CountyMatcher(counties)
    assert matcher.match("太原市小店区振兴街") == "140105"
    assert matcher.match("新绛县") == "140825" and matcher.match("绛县") == "140826"
    assert matcher.match("阳泉市郊区") == "140311" and matcher.match("郊区") is None
    assert matcher.match("城区", city="晋城市") == "140502"
    assert matcher.match("小店区", city="大同市") is None
    assert matcher.match("140724") == "140724" and matcher.match("140726") == "140703"


# --- banks, kinds, services ----------------------------------------------------------------------


def test_banks_kinds_and_services(counties):
    header = [
        "网点名称",
        "所属银行",
        "网点类型",
        "经度",
        "纬度",
        "服务项目",
        "交通一卡通",
        "即时制卡",
    ]
    p = list(map(str, TAIYUAN))
    shift = lambda k: [str(TAIYUAN[0] + 0.001 * k), p[1]]  # noqa: E731 - far enough apart
    rows = [
        ["工行迎泽支行", "ICBC", "", *shift(0), "", "是", "√"],
        [
            "人社服务大厅",
            "",
            "社保卡服务机构网点",
            *shift(1),
            "忘记实体社保卡密码、申领、办宽带",
            "",
            "",
        ],
        ["招商银行太原分行", "", "", *shift(2), "", "", ""],
        ["花旗网点", "花旗银行", "", *shift(3), "", "", ""],
        ["某某支行", "", "", *shift(4), "", "", ""],
        ["小店网点", "", "", *shift(5), "", "", ""],
        ["建行网点", "建行", "bank", *shift(6), "foo;bar", "也许", ""],
    ]
    result = run_import(csv_bytes(rows, header=header), counties)
    out = result.outlets.set_index("source_row")
    assert (
        out.loc[2, "bank"] == "中国工商银行"
        and bool(out.loc[2, "transit_topup"])
        and bool(out.loc[2, "instant_issue"])
    )
    assert out.loc[2, "services"] == default_services(
        "bank", instant_issue=True, transit_topup=True
    )
    assert out.loc[3, "kind"] == "government" and out.loc[3, "services"] == [
        "reset_card_pin",
        "apply",
    ]
    assert out.loc[4, "bank"] == "招商银行"  # from the name
    assert out.loc[7, "kind"] == "government"  # nothing says bank: a hall, with a warning
    assert out.loc[8, "services"] == default_services(
        "bank", instant_issue=False, transit_topup=False
    )
    report = problems(result)
    by = lambda reason: report[report["reason"] == reason]["row"].tolist()  # noqa: E731
    assert by("unknown_bank") == [5, 6]
    assert (
        by("unknown_task") == [3, 8] and "办宽带" in report[report["row"] == 3]["message"].iloc[0]
    )
    assert by("unknown_kind") == [7]
    assert by("bad_flag") == [8]
    assert set(report[report["row"].isin([5, 6])]["level"]) == {"error"}


def test_duplicates(counties):
    east = lambda metres: repr(TAIYUAN[0] + metres / 88_000)  # noqa: E731 - ~88 km per degree here
    lat = repr(TAIYUAN[1])
    header = ["编号", "网点名称", "所属银行", "经度", "纬度"]
    rows = [
        ["a1", "工行迎泽支行", "工行", east(0), lat],
        ["a2", "工行迎泽支行", "工行", east(0.5), lat],  # same name, 0.5 m: duplicate of row 2
        ["a3", "工行迎泽东支行", "工行", east(8), lat],  # same bank within 10 m: duplicate
        ["a4", "工行迎泽西支行", "工行", east(25), lat],  # same bank, 25 m: kept
        ["a5", "建行迎泽支行", "建行", east(3), lat],  # another bank, 3 m: kept
        ["a5", "农行迎泽支行", "农行", east(500), lat],  # same id as row 6
    ]
    result = run_import(csv_bytes(rows, header=header), counties)
    assert result.outlets["id"].tolist() == ["a1", "a4", "a5"]
    dup = problems(result, "duplicate").set_index("row")
    assert dup.index.tolist() == [3, 4, 7]
    assert "row 2" in dup.loc[3, "message"] and "row 2" in dup.loc[4, "message"]
    assert "row 6" in dup.loc[7, "message"]


# --- files that cannot be imported ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("blank.csv", codecs.BOM_UTF8 + b"\r\n\r\n", "blank.csv: the file is empty"),
        ("wrong.csv", "姓名,年龄\n张三,30\n".encode(), r"wrong.csv: no column for the outlet name .*'姓名', '年龄'"),
        ("noplace.csv", "网点名称,电话\n人社局,12333\n".encode(), "noplace.csv: no column for the location"),
        ("half.csv", "网点名称,经度\n人社局,112.5\n".encode(), r"half.csv: no column for 纬度/lat"),
        ("bad.xlsx", b"not a zip at all", r"bad.xlsx: not a readable .xlsx workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, r"old.xls: an old binary Excel"),
        ("bad.geojson", b"{not json", "bad.geojson: not a GeoJSON file"),
    ],
)  # fmt: skip
def test_unusable_files_raise_one_clear_error(counties, name, content, message):
    with pytest.raises(DataFileError, match=message):
        run_import(content, counties, name=name)


def test_usage_errors(counties, tmp_path):
    data = csv_bytes([["人社局", "", "", *map(str, TAIYUAN), "", "", ""]])
    with pytest.raises(ValidationError, match="unknown coordinate system 'utm'"):
        run_import(data, counties, crs="utm")
    with pytest.raises(ValidationError, match="sheet 'x' applies to .xlsx files only"):
        run_import(data, counties, sheet="x")
    with pytest.raises(ValidationError, match="unknown field 'colour'"):
        run_import(data, counties, columns={"地址": "colour"})
    with pytest.raises(ValidationError, match="no column '名字'"):
        run_import(data, counties, columns={"名字": "name"})
    with pytest.raises(DataFileError, match="nope.csv: no such file"):
        import_registry(tmp_path / "nope.csv", counties=counties)


def test_mapping_overrides_the_headers(counties):
    header = ["机构", "X坐标", "Y坐标", "网点名称"]
    rows = [["人社局", str(TAIYUAN[0]), str(TAIYUAN[1]), "旧名"]]
    result = run_import(csv_bytes(rows, header=header), counties,
                        columns={"机构": "name", "X坐标": "lon", "Y坐标": "lat", "网点名称": "extra"})  # fmt: skip
    assert result.outlets["name"].tolist() == ["人社局"]
    assert result.outlets["extra"].tolist() == [{"网点名称": "旧名"}]


def test_check_upload_size():
    assert check_upload_size(10 * 2**20, limit_mb=50) == 10 * 2**20
    with pytest.raises(
        ValidationError, match=r"big.csv is 60.0 MB, above the upload limit of 50 MB"
    ):
        check_upload_size(60 * 2**20, name="big.csv", limit_mb=50)


# --- capacity (service counters) ---------------------------------------------------------------

CAPACITY_HEADERS = ["窗口数", "服务窗口", "服务窗口数", "柜台数", "capacity", "counters", "windows"]
# (cell, counters): digits as people write them; blank, or a placeholder, is the kind's default
GOOD_CAPACITY = [("3", 3), ("3个", 3), ("３", 3), ("3.0", 3), ("12", 12), ("", None), ("-", None)]
BAD_CAPACITY = ["0", "-1", "2.5", "0.0", "三", "many", "1e3"]


def capacity_csv(header: str, cells: list[str]) -> bytes:
    """One government hall per cell, 0.01° apart in 太原 (no two are duplicates)."""
    rows = [[f"人社服务中心{i}", f"{TAIYUAN[0] + 0.01 * i:.4f}", f"{TAIYUAN[1]:.4f}", cell]
            for i, cell in enumerate(cells)]  # fmt: skip
    return csv_bytes(rows, header=["网点名称", "经度", "纬度", header])


@pytest.mark.parametrize("header", [*CAPACITY_HEADERS, "窗口数（个）", "Capacity"])
def test_capacity_header_synonyms_and_cells(counties, header):
    result = run_import(capacity_csv(header, [c for c, _ in GOOD_CAPACITY]), counties)
    assert (result.read, result.accepted, result.rejected) == (len(GOOD_CAPACITY), len(GOOD_CAPACITY), 0)  # fmt: skip
    expected = [np.nan if n is None else float(n) for _, n in GOOD_CAPACITY]
    assert result.outlets["capacity"].tolist() == pytest.approx(expected, nan_ok=True)
    assert "extra" not in result.outlets or not any(result.outlets["extra"].map(bool))


@pytest.mark.parametrize("bad", BAD_CAPACITY)
def test_bad_capacity_rejects_the_row_with_a_report_line(counties, bad):
    cells = ["2", bad, ""]
    result = run_import(capacity_csv("窗口数", cells), counties)
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.read == result.accepted + result.rejected
    assert result.outlets["source_row"].tolist() == [2, 4]  # the bad row is row 3
    line = problems(result, "bad_capacity")
    assert len(line) == 1
    entry = line.iloc[0]
    assert (entry["row"], entry["level"], entry["column"], entry["value"]) == (3, "error", "窗口数", bad)  # fmt: skip
    assert entry["message"].startswith(f"窗口数 {bad!r}: ")  # names the column and the value
    assert "e.g. 3" in entry["message"] and "leave the cell empty" in entry["message"]
    assert json.loads(entry["original"])["窗口数"] == bad
    assert "bad_capacity" in REASONS


def test_capacity_from_excel_numbers_and_geojson_properties(counties, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["网点名称", "经度", "纬度", "柜台数"])
    for i, value in enumerate([3, 3.0, 2.5, None, 0]):
        book.active.append([f"人社服务中心{i}", TAIYUAN[0] + 0.01 * i, TAIYUAN[1], value])
    path = tmp_path / "名录.xlsx"
    book.save(path)
    result = import_registry(path, counties=counties)
    assert (result.read, result.accepted, result.rejected) == (5, 3, 2)
    assert result.outlets["capacity"].tolist() == pytest.approx([3.0, 3.0, np.nan], nan_ok=True)
    assert problems(result, "bad_capacity")["value"].tolist() == ["2.5", "0"]
    features = [
        {"type": "Feature", "properties": {"name": f"人社服务中心{i}", "capacity": value},
         "geometry": {"type": "Point", "coordinates": [TAIYUAN[0] + 0.01 * i, TAIYUAN[1]]}}
        for i, value in enumerate([4, None, -2])
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    result = run_import(data, counties, name="outlets.geojson")
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.outlets["capacity"].tolist() == pytest.approx([4.0, np.nan], nan_ok=True)


def test_capacity_is_written_and_used_by_access(counties, tmp_path):
    from locator.planning.access import outlet_capacity
    from locator.registry import write_outlets

    rows = [["人社服务中心", "", f"{TAIYUAN[0]}", f"{TAIYUAN[1]}", "5"],
            ["工行迎泽支行", "工行", f"{PINGYAO[0]}", f"{PINGYAO[1]}", "2"],
            ["人社大厅", "", f"{DATONG[0]}", f"{DATONG[1]}", ""]]  # fmt: skip
    header = ["网点名称", "所属银行", "经度", "纬度", "服务窗口数"]
    result = run_import(csv_bytes(rows, header=header), counties)
    path = write_outlets(result.outlets, tmp_path / "out.geojson")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert [f["properties"]["capacity"] for f in document["features"]] == [5, 2, None]
    again = load_outlets(path)
    assert again["kind"].tolist() == ["government", "bank", "government"]
    # the blank one takes its kind's default (government 3), overridable as any default
    assert outlet_capacity(again).tolist() == [5.0, 2.0, 3.0]
    assert outlet_capacity(again, default_by_kind={"government": 7}).tolist() == [5.0, 2.0, 7.0]


def test_no_capacity_column_leaves_capacity_absent(counties, tmp_path):
    from locator.planning.access import outlet_capacity
    from locator.registry import write_outlets

    rows = [["人社服务中心", "", "", *map(str, TAIYUAN), "", "", ""]]
    result = run_import(csv_bytes(rows), counties)
    assert result.accepted == 1 and "capacity" not in result.outlets.columns
    assert "capacity" not in result.summary("en") and "服务窗口数" not in result.summary("zh")
    path = write_outlets(result.outlets, tmp_path / "out.geojson")
    assert (
        "capacity" not in json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
    )
    assert outlet_capacity(load_outlets(path)).tolist() == [3.0]  # a government hall's default


def test_a_window_label_column_mapped_to_extra_is_kept(counties):
    data = capacity_csv("服务窗口", ["3号窗口", "综合窗口"])
    refused = run_import(data, counties)
    assert refused.accepted == 0 and refused.rejected == 2
    assert "mapped to extra" in problems(refused, "bad_capacity")["message"].iloc[0]
    kept = run_import(data, counties, columns={"服务窗口": "extra"})
    assert kept.accepted == 2 and "capacity" not in kept.outlets.columns
    assert kept.outlets["extra"].tolist() == [{"服务窗口": "3号窗口"}, {"服务窗口": "综合窗口"}]


def test_cli_import_shows_capacity_and_its_bad_cells(capsys, tmp_path):
    src = tmp_path / "名录.csv"
    src.write_bytes(capacity_csv("窗口数", ["3个", "", "0", "2.5"]))
    out = tmp_path / "out.geojson"
    code, _, err = cli(capsys, "import", src, "-o", out, "--lang", "en")
    assert code == 0
    lines = err.strip().splitlines()
    assert any(x.startswith("row 4: error bad_capacity: 窗口数 '0': ") for x in lines), err
    assert any(x.startswith("row 5: error bad_capacity: 窗口数 '2.5': ") for x in lines), err
    assert lines[-1].endswith(
        "read 4 rows, accepted 2, rejected 2; 0 warnings on kept rows (reasons: bad_capacity 2)"
        "; capacity (service counters) given on 1 rows, the kind's default on the other 1"
    )
    assert load_outlets(out)["capacity"].tolist() == pytest.approx([3.0, np.nan], nan_ok=True)
    code, _, err = cli(capsys, "validate", src)
    assert "服务窗口数（capacity）：1 行已给出，其余 1 行按网点类型取默认值" in err


def test_app_upload_carries_capacity(counties):
    from locator.app.upload import import_upload

    result = import_upload(capacity_csv("柜台数", ["2", "0", ""]), name="名录.csv")
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.outlets["capacity"].tolist() == pytest.approx([2.0, np.nan], nan_ok=True)
    assert problems(result, "bad_capacity")["value"].tolist() == ["0"]
    assert "1 行已给出" in result.summary("zh")


# --- nothing lost ---------------------------------------------------------------------------------


def test_the_written_registry_loads_and_serves_queries(counties, tmp_path):
    from locator.registry import write_outlets

    rows = [["工行迎泽支行", "工行", "", *map(str, TAIYUAN), "", "", ""],
            ["农行平遥支行", "农行", "平遥县", "", "", "", "", ""]]  # fmt: skip
    result = run_import(csv_bytes(rows, header=[*HEADER, "备注"]), counties)
    path = write_outlets(result.outlets, tmp_path / "out.geojson")
    again = load_outlets(path)
    assert again["id"].tolist() == result.outlets["id"].tolist()
    assert again["precision"].tolist() == ["exact", "county"]
    assert again.attrs["metadata"]["sample"] is False and again.attrs["metadata"]["read"] == 2
    index = OutletIndex(again)
    found = index.nearest(lon=TAIYUAN[0], lat=TAIYUAN[1], k=1, task="activate_finance", bank="工行")
    assert found["name"].tolist() == ["工行迎泽支行"]


CELL = st.one_of(
    st.sampled_from(["", "工行", "人社局", "112.55", "37.86", "37.86,112.55", "小店区", "平遥县", "是", "abc",
                     "申领", "foo", "-", "0", "1e400", "nan", "１１２．５"]),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(CELL, min_size=len(HEADER) + 2, max_size=len(HEADER) + 2), min_size=1, max_size=12
    )
)
def test_random_rows_never_crash_and_are_never_lost(counties, rows):
    header = [*HEADER, "服务项目", "窗口数"]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    data = text.getvalue().encode("utf-8")
    try:
        result = import_registry(data, name="r.csv", counties=counties)
    except DataFileError as error:  # only when no data row is left, e.g. all blank
        assert "empty" in str(error) or "no rows" in str(error)
        return
    assert result.read == result.accepted + result.rejected
    errors = set(result.report.loc[result.report["level"] == "error", "row"].dropna().astype(int))
    accepted = set(result.outlets["source_row"].astype(int))
    assert not errors & accepted
    assert len(errors) == result.rejected and len(accepted) == result.accepted
    assert set(result.report["reason"]) <= set(REASONS)
    assert result.outlets["id"].is_unique
    given = result.outlets["capacity"].dropna()
    assert ((given >= 1) & (given == given.round())).all()  # whole counters above 0, or blank


# --- command line ----------------------------------------------------------------------------------


def write_gbk(tmp_path):
    rows = [["工行迎泽支行", "工行", "", *map(str, TAIYUAN), "", "", ""],
            ["工行迎泽支行", "工行", "", *map(str, TAIYUAN), "", "", ""],
            ["北京网点", "建行", "", "116.4", "39.9", "", "", ""],
            ["人社局", "", "", str(PINGYAO[1]), str(PINGYAO[0]), "", "", ""]]  # fmt: skip
    path = tmp_path / "名录.csv"
    path.write_bytes(csv_bytes(rows, encoding="gbk"))
    return path


def test_cli_import_writes_registry_and_report(capsys, tmp_path):
    src = write_gbk(tmp_path)
    out, report = tmp_path / "out.geojson", tmp_path / "report.csv"
    code, stdout, err = cli(capsys, "import", src, "-o", out, "--report", report, "--lang", "en")
    assert code == 0 and stdout == ""
    assert (
        err.strip()
        .splitlines()[-1]
        .endswith(
            "read 4 rows, accepted 2, rejected 2; 1 warnings on kept rows "
            "(reasons: duplicate 1, outside_shanxi 1, swapped_coordinates 1)"
        )
    )
    assert len(load_outlets(out)) == 2
    assert report.read_bytes().startswith(codecs.BOM_UTF8)
    table = pd.read_csv(report, encoding="utf-8-sig")
    assert table["row"].tolist() == [3, 4, 5]
    assert json.loads(table["original"].iloc[1])["网点名称"] == "北京网点"


def test_cli_validate_writes_nothing(capsys, tmp_path):
    src = write_gbk(tmp_path)
    code, _, err = cli(capsys, "validate", src)
    assert code == 0 and "读取 4 行，接受 2 行，拒绝 2 行" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["名录.csv"]


def test_cli_exit_1_when_nothing_is_usable(capsys, tmp_path):
    src = tmp_path / "far.csv"
    src.write_bytes(csv_bytes([["北京网点", "建行", "", "116.4", "39.9", "", "", ""]]))
    out = tmp_path / "out.geojson"
    code, _, err = cli(capsys, "import", src, "-o", out)
    assert code == 1 and not out.exists() and "接受 0 行" in err
    header_only = tmp_path / "header.csv"
    header_only.write_bytes(csv_bytes([]))
    assert cli(capsys, "validate", header_only)[0] == 1


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("empty.csv", b"", (), "empty.csv: the file is empty"),
        ("wrong.csv", b"a,b\n1,2\n", (), "wrong.csv: no column for the outlet name"),
        ("bad.xlsx", b"garbage", (), "bad.xlsx: not a readable .xlsx workbook"),
        ("ok.csv", "网点名称,经度,纬度\n人社局,112.5,37.8\n".encode(), ("--map", "oops"), "--map 'oops': give COLUMN=FIELD"),
        ("ok.csv", "网点名称,经度,纬度\n人社局,112.5,37.8\n".encode(), ("--crs", "utm"), "invalid choice: 'utm'"),
    ],
)  # fmt: skip
def test_cli_bad_files_are_one_line_exit_2(capsys, tmp_path, name, content, args, message):
    src = tmp_path / name
    src.write_bytes(content)
    code, _, err = cli(capsys, "import", src, "-o", tmp_path / "out.geojson", *args)
    assert code == 2 and message in one_line(err)
    assert not (tmp_path / "out.geojson").exists()


def test_cli_missing_file(capsys, tmp_path):
    code, _, err = cli(capsys, "validate", tmp_path / "nope.csv")
    assert code == 2 and "nope.csv: no such file" in one_line(err)


def test_cli_crs_and_map(capsys, tmp_path):
    x, y = (float(v) for v in from_wgs84(*TAIYUAN, "bd09"))
    src = tmp_path / "baidu.csv"
    src.write_text(f"机构,百度经度,百度纬度\n人社局,{x!r},{y!r}\n", encoding="utf-8")
    out = tmp_path / "out.geojson"
    code, _, err = cli(capsys, "import", src, "-o", out, "--crs", "bd09", "--map", "机构=name")
    assert code == 0 and "warning" not in err
    point = load_outlets(out).geometry.iloc[0]
    assert haversine_km(point.x, point.y, *TAIYUAN) * 1000 < 1.0
    code, _, err = cli(capsys, "validate", src, "--map", "机构=name")
    assert code == 0 and "--crs bd09" in err


def test_summary_counts(counties):
    data = csv_bytes([["人社局", "", "", *map(str, TAIYUAN), "", "", ""]])
    result = run_import(data, counties)
    assert (result.read, result.accepted, result.rejected) == (1, 1, 0)
    assert result.summary("en").startswith("registry.csv: read 1 rows, accepted 1, rejected 0")


def test_rows_read_together_as_each_read_alone(counties):
    """Rows sharing their bank, kind, services, flags and county cells are read once and the
    result reused: every row must still come out as it does in a file of its own, including
    rows whose name decides the kind or bank, and a hall whose bank cell goes to ``extra``."""
    header = ["网点名称", "所属银行", "网点类型", "服务项目", "即时制卡", "交通一卡通", "区县", "地市", "经度", "纬度"]  # fmt: skip
    # points 100 m apart around one spot of 迎泽区: no two rows are duplicates
    spots = [(f"{TAIYUAN[0] + 0.0011 * (k % 5):.6f}", f"{TAIYUAN[1] + 0.0009 * (k // 5):.6f}") for k in range(21)]  # fmt: skip
    shapes = [
        ["工行迎泽支行{}", "工行", "银行", "申领", "是", "否", "迎泽区", "太原市"],
        ["人社服务站{}", "", "人社", "申领", "否", "否", "迎泽区", "太原市"],
        ["建行迎泽支行{}", "", "", "", "", "", "迎泽区", ""],  # the name tells the bank
        ["社保服务中心{}", "", "", "", "", "", "迎泽区", ""],  # the name tells the kind
        ["便民点{}", "", "", "", "", "", "迎泽区", ""],  # nothing tells: unknown_kind
        [
            "人社大厅{}",
            "工行",
            "人社",
            "申领",
            "",
            "",
            "城区",
            "",
        ],  # bank kept in extra; 城区 unknown
        ["农行迎泽支行{}", "农行", "银行", "咨询", "也许", "否", "迎泽区", "太原市"],
    ]
    rows = [[cell.format(i) for cell in shape] for i in range(3) for shape in shapes]
    rows = [row + list(spot) for row, spot in zip(rows, spots, strict=True)]
    together = run_import(csv_bytes(rows, header), counties)
    columns = ["kind", "bank", "services", "instant_issue", "transit_topup", "county_adcode", "extra"]  # fmt: skip
    assert together.read == len(rows)
    for number, row in enumerate(rows, start=2):
        alone = run_import(csv_bytes([row], header), counties)
        mine = together.outlets[together.outlets["source_row"] == number]
        assert mine[columns].values.tolist() == alone.outlets[columns].values.tolist()
        reasons = together.report.loc[together.report["row"] == number, "reason"].tolist()
        assert reasons == alone.report.loc[alone.report["row"].notna(), "reason"].tolist()


@given(
    st.lists(st.tuples(*[st.floats(-3, 3, allow_nan=False)] * 3), min_size=0, max_size=60),
    st.floats(0.05, 2.0),
)
def test_close_pairs_are_every_pair_within_the_radius(points, radius):
    xyz = np.array(points, dtype=float).reshape(-1, 3)
    xyz = np.concatenate([xyz, xyz[:3]])  # exact copies, as duplicates are
    brute = [
        (i, j)
        for i in range(len(xyz))
        for j in range(i + 1, len(xyz))
        if float(np.sum((xyz[i] - xyz[j]) ** 2)) <= radius * radius
    ]
    assert close_pairs(xyz, radius) == brute


def test_write_report_has_bom(counties, tmp_path):
    rows = [["", "工行", "", "", "", "", "", ""], ["x", "", "", "1", "2", "", "", ""]]
    result = run_import(csv_bytes(rows), counties)
    path = write_report(result, tmp_path / "r.csv")
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert result.read == 2 and result.rejected == 2


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8"))),
    st.sampled_from(["f.csv", "f.xlsx", "f.geojson", "f"]),
)
def test_any_bytes_give_a_result_or_one_clear_error(counties, data, name):
    try:
        result = import_registry(data, name=name, counties=counties)
    except (DataFileError, ValidationError) as error:
        assert str(error).startswith(name) and "\n" not in str(error)
        return
    assert result.read == result.accepted + result.rejected
