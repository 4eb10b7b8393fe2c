"""The Excel report (locator.report, `locator report`) and the sample notice in CSV and JSON."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from locator import datasets
from locator.cli import main
from locator.output import SAMPLE_COLUMN, SAMPLE_NOTICE
from locator.planning.coverage import coverage_report, gaps
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import suggest_sites
from locator.registry import write_outlets
from locator.report import BELOW_RULE_FILL, SHEETS, column_label, write_report

TASK = "reset_card_pin"  # some counties of the sample fall below the rule for it


@pytest.fixture(scope="module")
def moved_outlets():
    """The sample with one outlet declared in another county, named like a formula."""
    outlets = datasets.outlets()
    first = outlets.index[0]
    other = next(c for c in outlets["county_adcode"] if c != outlets.at[first, "county_adcode"])
    outlets.at[first, "county_adcode"] = other
    outlets.at[first, "name"] = "=HYPERLINK(1)"
    return outlets


@pytest.fixture(scope="module")
def inputs(moved_outlets):
    return PlanningInputs.build(moved_outlets, datasets.counties(), task=TASK)


@pytest.fixture(scope="module")
def report(inputs):
    return coverage_report(inputs)


@pytest.fixture(scope="module")
def book(tmp_path_factory, inputs, report):
    path = tmp_path_factory.mktemp("report") / "覆盖报告.xlsx"
    sites = suggest_sites(inputs, new=3)
    write_report(path, report, gaps=gaps(inputs, report=report).head(15), sites=sites)
    return openpyxl.load_workbook(path), sites


def read_sheet(sheet: Worksheet) -> tuple[list[str], list[tuple]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def as_frame(sheet: Worksheet, columns) -> pd.DataFrame:
    """The sheet's rows under the report's column names, found by their headers."""
    header, rows = read_sheet(sheet)
    labels = [column_label(c) for c in columns]
    assert header == labels
    return pd.DataFrame(rows, columns=list(columns))


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(got) == len(expected)
    for column in expected.columns:
        if column == "geometry":
            continue
        want = expected[column].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
            np.testing.assert_allclose(got[column].astype(float), want.astype(float), rtol=1e-12)
        else:
            assert got[column].tolist() == want.tolist(), column


def test_sheets_in_order_with_chinese_names(book):
    workbook, _ = book
    assert workbook.sheetnames == [SHEETS[k][0] for k in SHEETS]


def test_tables_hold_the_figures_of_coverage_report(book, report):
    workbook, sites = book
    assert_same_table(as_frame(workbook["区县"], report.counties.columns), report.counties)
    assert_same_table(as_frame(workbook["地市"], report.cities.columns), report.cities)
    assert_same_table(as_frame(workbook["位置不符"], report.mismatches.columns), report.mismatches)
    sites_table = pd.DataFrame(sites.drop(columns="geometry"))
    assert_same_table(as_frame(workbook["建议网点"], sites_table.columns), sites_table)
    header, rows = read_sheet(workbook["全省"])
    assert len(rows) == 1
    province = dict(zip(header, rows[0], strict=True))
    for key in ("population", "covered_share", "covered_share_65plus", "outlets", "p95_km"):
        assert province[column_label(key)] == pytest.approx(report.province[key], rel=1e-12)


def test_gaps_sheet_lists_the_largest_gaps(book, inputs, report):
    workbook, _ = book
    expected = pd.DataFrame(gaps(inputs, report=report).head(15).drop(columns="geometry"))
    assert_same_table(as_frame(workbook["缺口"], expected.columns), expected)


def test_number_formats_frozen_header_and_filter(book, report):
    workbook, _ = book
    sheet = workbook["区县"]
    columns = list(report.counties.columns)
    letter = {c: openpyxl.utils.get_column_letter(j) for j, c in enumerate(columns, start=1)}
    for row in (2, len(report.counties) + 1):
        assert sheet[f"{letter['population']}{row}"].number_format == "#,##0"
        assert sheet[f"{letter['covered_share']}{row}"].number_format == "0.0%"
        assert sheet[f"{letter['share_65plus_within_5km']}{row}"].number_format == "0.0%"
        assert sheet[f"{letter['mean_km']}{row}"].number_format == "0.00"
    for name in workbook.sheetnames[1:]:
        assert workbook[name].freeze_panes == "A2"
        assert workbook[name].auto_filter.ref == workbook[name].dimensions
    assert sheet.auto_filter.ref == f"A1:{letter[columns[-1]]}{len(report.counties) + 1}"


def test_counties_below_the_rule_are_highlighted(book, report):
    workbook, _ = book
    sheet = workbook["区县"]
    below = set(report.counties.loc[~report.counties["meets_rule"], "adcode"])
    assert 0 < len(below) < len(report.counties)
    highlighted = {
        row[0].value
        for row in sheet.iter_rows(min_row=2)
        if row[0].fill.fgColor.rgb == BELOW_RULE_FILL
        and all(cell.fill.fgColor.rgb == BELOW_RULE_FILL for cell in row)
    }
    assert highlighted == below


def test_a_name_like_a_formula_stays_text(book):
    workbook, _ = book
    cells = [c for row in workbook["位置不符"].iter_rows(min_row=2) for c in row]
    named = [c for c in cells if c.value == "=HYPERLINK(1)"]
    assert len(named) == 1 and named[0].data_type == "s"


def test_first_sheet_says_what_the_report_is(book, report):
    workbook, _ = book
    about = dict(workbook["说明"].iter_rows(values_only=True))
    assert about["提示"] == SAMPLE_NOTICE
    assert about["网点名录"] == "生成的样例（非真实名录）"
    assert about["业务"] == TASK and about["覆盖半径（公里）"] == report.radius_km
    assert about["未达标区县数"] == int((~report.counties["meets_rule"]).sum())
    assert pd.Timestamp(about["生成日期"]).date() == pd.Timestamp.now().date()


def test_a_real_registry_has_no_sample_notice_and_english_headers(tmp_path, counties):
    outlets = datasets.outlets().drop(columns="sample")
    outlets.attrs["metadata"] = {}
    report = coverage_report(outlets, counties)
    path = write_report(tmp_path / "report.xlsx", report, lang="en")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["About", "Province", "Cities", "Counties", "Mismatches"]
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert "notice" not in about and about["outlet registry"] == "user-supplied"
    assert SAMPLE_NOTICE not in {v for row in workbook["About"].values for v in row}
    header, _ = read_sheet(workbook["Counties"])
    assert header[:2] == ["Code", "Name"] and "Population" in header and "Covered %" in header


def test_english_labels_for_radii_and_65plus():
    assert column_label("share_within_5km", "en") == "Within 5 km %"
    assert column_label("population_65plus_within_10km") == "10公里内65岁以上人口"
    assert column_label("mean_km_65plus") == "65岁以上" + column_label("mean_km")


# --- the command ----------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_report_command_writes_the_workbook(tmp_path, capsys):
    path = tmp_path / "coverage.xlsx"
    code, _, err = run(
        capsys, "report", "-o", str(path), "--task", TASK, "--suggest", "2", "--lang", "en"
    )
    assert code == 0, err
    assert "generated sample" in err
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [SHEETS[k][1] for k in SHEETS]
    assert len(list(workbook["Suggested sites"].iter_rows(min_row=2))) >= 2
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["notice"] == SAMPLE_NOTICE and about["task"] == TASK


@pytest.mark.parametrize("name", ["report.csv", "report.json", "report"])
def test_report_command_writes_only_xlsx(tmp_path, capsys, name):
    code, _, err = run(capsys, "report", "-o", str(tmp_path / name))
    assert code == 2
    assert ".xlsx" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / name).exists()


def test_report_command_needs_an_output(capsys):
    code, _, err = run(capsys, "report")
    assert code == 2 and "-o" in err and ".xlsx" in err and "Traceback" not in err


# --- the sample notice in CSV and JSON ------------------------------------------------------


@pytest.fixture(scope="module")
def real_registry(tmp_path_factory):
    outlets = datasets.outlets().drop(columns="sample")
    outlets.attrs["metadata"] = {}
    return write_outlets(outlets, tmp_path_factory.mktemp("real") / "real.geojson", metadata={})


def test_coverage_json_and_csv_say_sample(tmp_path, capsys, real_registry):
    code, out, _ = run(capsys, "coverage", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["sample"] is True and document["notice"] == SAMPLE_NOTICE
    assert document["province"]["name"] == "山西省"
    path = tmp_path / "coverage.csv"
    assert run(capsys, "coverage", "-o", str(path))[0] == 0
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str})
    assert table.columns[0] == SAMPLE_COLUMN and table[SAMPLE_COLUMN].all()
    assert len(table) == 117
    # A registry of one's own carries no mark.
    code, out, _ = run(capsys, "coverage", "--format", "json", "--outlets", str(real_registry))
    assert "sample" not in json.loads(out) and "notice" not in json.loads(out)
    assert run(capsys, "coverage", "-o", str(path), "--outlets", str(real_registry))[0] == 0
    assert SAMPLE_COLUMN not in pd.read_csv(path, encoding="utf-8-sig").columns


def test_gaps_suggest_and_nearest_files_say_sample(tmp_path, capsys):
    layer = tmp_path / "gaps.geojson"
    assert run(capsys, "gaps", "-o", str(layer))[0] == 0
    features = json.loads(layer.read_text(encoding="utf-8"))["features"]
    assert features and all(f["properties"][SAMPLE_COLUMN] is True for f in features)
    code, out, _ = run(capsys, "suggest", "--new", "2", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["sample"] is True and document["notice"] == SAMPLE_NOTICE
    assert all(site[SAMPLE_COLUMN] is True for site in document["sites"])
    code, out, _ = run(capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--format", "json")
    assert code == 0 and all(r[SAMPLE_COLUMN] is True for r in json.loads(out))
    path = tmp_path / "nearest.csv"
    assert run(capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "-o", str(path))[0] == 0
    assert pd.read_csv(path, encoding="utf-8-sig")[SAMPLE_COLUMN].tolist() == [True] * 5


def test_exported_map_of_the_sample_shows_the_notice(tmp_path, counties):
    from locator.maps import MapOptions, export_map

    options = MapOptions(tiles="none")
    outlets = datasets.outlets()
    page = export_map(tmp_path / "map.html", outlets, counties, options=options)
    text = page.read_text(encoding="utf-8")
    assert "LocatorNotice" in text or "locator-notice" in text
    assert json.dumps(SAMPLE_NOTICE, ensure_ascii=False).strip('"').split("/")[0] in text
    real = outlets.drop(columns="sample")
    real.attrs["metadata"] = {}
    text = export_map(tmp_path / "real.html", real, counties, options=options).read_text("utf-8")
    assert "locator-notice" not in text and "样例数据" not in text


def test_report_bytes_are_the_workbook_and_paths_are_checked(tmp_path, report):
    import io

    from locator._errors import ValidationError
    from locator.report import report_bytes

    in_memory = openpyxl.load_workbook(io.BytesIO(report_bytes(report, lang="en")))
    on_disk = openpyxl.load_workbook(write_report(tmp_path / "r.xlsx", report, lang="en"))
    assert in_memory.sheetnames == on_disk.sheetnames
    for name in in_memory.sheetnames:
        assert list(in_memory[name].values) == list(on_disk[name].values)
    with pytest.raises(ValidationError, match=r"path .*\.xlsx"):
        write_report(tmp_path / "r.csv", report)
    with pytest.raises(ValidationError, match="path"):
        write_report(tmp_path / "no such folder" / "r.xlsx", report)


def test_65plus_figures_that_repeat_all_residents_are_shown_once(tmp_path, counties):
    from locator.planning.coverage import coinciding_65plus
    from locator.planning.demand import demand_from_points, estimate_demand

    cells = estimate_demand(counties, cell_area_km2=25.0)
    points = pd.DataFrame({"lon": cells.lon, "lat": cells.lat, "population": cells.population})
    outlets = datasets.outlets()
    # No 65+ column: inside a county the 65+ are placed like all residents.
    report = coverage_report(outlets, counties, demand=demand_from_points(points, counties))
    repeated = coinciding_65plus(report.counties)
    assert {"covered_share_65plus", "mean_km_65plus", "share_65plus_within_5km"} <= set(repeated)
    for column in repeated:
        np.testing.assert_allclose(
            report.counties[column], report.counties[column.replace("_65plus", "")], rtol=1e-9
        )
    workbook = openpyxl.load_workbook(write_report(tmp_path / "points.xlsx", report))
    header, _ = read_sheet(workbook["区县"])
    assert column_label("covered_share") in header
    assert column_label("covered_share_65plus") not in header
    assert column_label("covered_population_65plus") in header  # a count, not a repeat
    assert "各县65岁以上" in dict(workbook["说明"].iter_rows(values_only=True))
    assert column_label("covered_share_65plus") in read_sheet(workbook["地市"])[0]
    # The estimate places the 65+ by the rural/urban gap: nothing repeats, all is shown.
    estimated = coverage_report(outlets, counties, demand=cells)
    assert coinciding_65plus(estimated.counties) == {}
    assert report.repeated_65plus == repeated


def test_access_by_city_labels_and_formats_the_gini_of_distance(tmp_path, inputs, report):
    from locator.planning.access import accessibility

    access = accessibility(inputs)
    assert "gini_distance" in access.cities.columns
    path = write_report(tmp_path / "access.xlsx", report, access=access, lang="en")
    sheet = openpyxl.load_workbook(path)["Access by city"]
    header, rows = read_sheet(sheet)
    assert "gini_distance" not in header  # a label, not the raw column name
    j = header.index("Gini of distance")
    assert column_label("gini_distance") == "距离基尼系数"
    np.testing.assert_allclose(
        [row[j] for row in rows], access.cities["gini_distance"].astype(float), rtol=1e-12
    )
    letter = openpyxl.utils.get_column_letter(j + 1)
    assert {sheet[f"{letter}{i}"].number_format for i in range(2, len(rows) + 2)} == {"0.000"}
