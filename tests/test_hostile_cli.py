"""Hostile input: every user mistake is a LocatorError (API) and one stderr line, exit 2 (CLI).

Each case is built by hand, run through ``locator.cli.main`` in-process and through the
library; anything but a ``LocatorError`` escaping is a bug these tests are here to find.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import Affine

from locator import datasets
from locator._errors import DataFileError, LocatorError, LocatorWarning, ValidationError
from locator._validate import check_lonlat, parse_coordinate
from locator.cli import main
from locator.counties import load_counties
from locator.hours import parse_at
from locator.index import OutletIndex
from locator.planning.coverage import write_gaps
from locator.planning.demand import demand_from_points, demand_from_raster, estimate_demand
from locator.registry import load_outlets, write_outlets

TAIYUAN = ("--lat", "37.87", "--lon", "112.55")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error(capsys, *argv) -> str:
    """Run the CLI; it must exit 2 with exactly one stderr line, an error, no traceback."""
    code, _, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2, (argv, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err and lines[0].startswith("locator")
    assert "error" in lines[0]
    return lines[0]


def feature(number: int = 1, *, coordinates=(112.55, 37.87), **properties):
    props = {"id": f"o{number}", "name": f"网点{number}", "kind": "government"}
    props["services"] = ["apply", "reset_card_pin"]
    props.update(properties)
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "Point", "coordinates": list(coordinates)},
    }


def registry(tmp_path: Path, features, name: str = "reg.geojson") -> Path:
    path = tmp_path / name
    text = json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=True)
    path.write_text(text, encoding="utf-8")
    return path


def _not_sample(outlets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The outlets with every sample mark taken off, as `locator import` writes a registry."""
    return outlets.drop(columns="sample")


@pytest.fixture
def small_registry(tmp_path, outlets) -> Path:
    """A real (not sample) registry: no sample warning line on stderr."""
    return write_outlets(_not_sample(outlets.head(200)), tmp_path / "real.geojson", metadata={})


@pytest.fixture
def real_registry(tmp_path, outlets) -> Path:
    """Every shipped outlet, not marked as the sample."""
    return write_outlets(_not_sample(outlets), tmp_path / "all.geojson", metadata={})


# --- the outlet registry ---------------------------------------------------------------------


def _bad_registries(tmp_path: Path) -> list[tuple[str, Path, str]]:
    good = feature(1)
    raw = {
        "features null": '{"type": "FeatureCollection", "features": null}',
        "features text": '{"type": "FeatureCollection", "features": "outlets"}',
        "features numbers": '{"type": "FeatureCollection", "features": [1, 2, 3]}',
        "not json": "id,name\n1,x\n",
        "deep": "[" * 100_000 + "]" * 100_000,
        "huge int": '{"type": "FeatureCollection", "features": [' + "9" * 5000 + "]}",
    }
    cases = [
        ("features null", "'features' is null, not a list"),
        ("features text", "'features' is str, not a list"),
        ("features numbers", "feature 1: is int, not a GeoJSON Feature"),
        ("not json", "not a GeoJSON file"),
        ("deep", "nested too deeply"),
        ("huge int", "not a GeoJSON file"),
    ]
    found = []
    for name, message in cases:
        path = tmp_path / f"{name.replace(' ', '_')}.geojson"
        path.write_text(raw[name], encoding="utf-8")
        found.append((name, path, message))
    string_geometry = dict(feature(2), geometry="POINT (112.5 37.8)")
    built = [
        ("geometry as text", [good, string_geometry], "feature 2: geometry is not a Point"),
        ("properties list", [good, dict(feature(2), properties=[1, 2])], "feature 2: properties"),
        ("properties text", [good, dict(feature(2), properties="x")], "feature 2: properties"),
        ("NaN lon", [good, feature(2, coordinates=(math.nan, 37.8))], "feature 2: coordinates"),
        ("inf lat", [good, feature(2, coordinates=(112.5, math.inf))], "feature 2: coordinates"),
        ("lon 500", [good, feature(2, coordinates=(500, 37.8))], "feature 2: coordinates"),
        ("lat 200", [good, feature(2, coordinates=(112.5, 200))], "feature 2: coordinates"),
        ("1e300", [good, feature(2, coordinates=(1e300, 1e300))], "feature 2: coordinates"),
        ("kind list", [good, feature(2, kind=["bank"])], "feature 2: kind"),
        ("kind other", [good, feature(2, kind="shop")], "feature 2: kind 'shop'"),
        ("services number", [good, feature(2, services=5)], "feature 2: services 5"),
        ("bank list", [good, feature(2, kind="bank", bank=["工行"])], "feature 2: bank"),
        ("flag text", [good, feature(2, transit_topup="yes")], "feature 2: transit_topup"),
        ("no outlets", [], "no outlets in the file"),
    ]
    for name, features, message in built:
        found.append(
            (name, registry(tmp_path, features, f"{name.replace(' ', '_')}.geojson"), message)
        )
    # 1e309 is how JSON spells a number too large for a float: Python reads it as inf.
    overflow = tmp_path / "overflow.geojson"
    text = json.dumps({"type": "FeatureCollection", "features": [good, feature(2)]})
    head, tail = text.rsplit("[112.55, 37.87]", 1)
    overflow.write_text(head + "[1e309, 37.87]" + tail, encoding="utf-8")
    found.append(("1e309", overflow, "feature 2: coordinates"))
    gbk = tmp_path / "gbk.geojson"
    gbk.write_bytes(json.dumps({"name": "太原网点"}, ensure_ascii=False).encode("gbk"))
    found.append(("not UTF-8", gbk, "not UTF-8"))
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    found.append(("empty", empty, "the file is empty"))
    folder = tmp_path / "folder.geojson"
    folder.mkdir()
    found.append(("folder", folder, "is a folder"))
    return found


def test_bad_registries_are_one_line_in_the_cli_and_a_locator_error_in_the_api(capsys, tmp_path):
    cases = _bad_registries(tmp_path)
    assert len(cases) == 24
    for name, path, message in cases:
        line = one_error(capsys, "nearest", *TAIYUAN, "--outlets", path)
        assert message in line and str(path) in line, (name, line)
        with pytest.raises(DataFileError, match=re.escape(message)):
            load_outlets(path)
        with pytest.raises(DataFileError, match=re.escape(message)):
            OutletIndex.from_file(path)


def test_a_services_text_is_read_as_a_list(capsys, tmp_path):
    # "services" typed as one cell: each separator people use between codes.
    texts = ["apply, reset_card_pin", "apply；reset_card_pin", "apply、reset_card_pin",
             "apply|reset_card_pin", "apply / reset_card_pin", "apply reset_card_pin",
             "apply，reset_card_pin"]  # fmt: skip
    features = [
        feature(i, coordinates=(112.5 + i / 100, 37.8), services=t)
        for i, t in enumerate(texts, start=1)
    ]
    path = registry(tmp_path, features)
    outlets = load_outlets(path)
    assert outlets["services"].tolist() == [["apply", "reset_card_pin"]] * len(texts)
    code, out, err = run(
        capsys, "nearest", *TAIYUAN, "--task", "apply", "-k", "20", "--outlets", path,
        "--format", "json",
    )  # fmt: skip
    assert code == 0 and err == ""
    assert sorted(item["id"] for item in json.loads(out)) == sorted(f"o{i}" for i in range(1, 8))


def test_index_frames_without_the_columns_it_needs_are_refused(outlets):
    for column in ("services", "bank", "kind"):
        with pytest.raises(DataFileError, match=f"outlets: missing column.*{column}"):
            OutletIndex(outlets.drop(columns=column))
    broken = outlets.head(3).copy()
    broken.loc[broken.index[1], "geometry"] = shapely.Point(math.nan, 37.0)
    with pytest.raises(ValidationError, match=r"outlets: row 2: \(nan, 37.0\) is not a lon, lat"):
        OutletIndex(broken)
    lines = outlets.head(2).copy()
    lines["geometry"] = [shapely.LineString([(112, 37), (113, 38)]), shapely.Point(112, 37)]
    with pytest.raises(ValidationError, match="row 1: the geometry is not a point"):
        OutletIndex(lines)
    with pytest.raises(ValidationError, match="outlets is a DataFrame"):
        OutletIndex(pd.DataFrame(outlets.drop(columns="geometry")))
    with pytest.raises(ValidationError, match=r"outlets: row 1: services \{'a': 1\}"):
        OutletIndex(outlets.head(1).assign(services=[{"a": 1}]))
    with pytest.raises(ValidationError, match=r"outlets: row 2: bank \['工行'\] must be"):
        OutletIndex(outlets.head(2).assign(bank=[None, ["工行"]]))
    with pytest.raises(ValidationError, match="outlets: row 1: unknown bank 'Citibank'"):
        OutletIndex(outlets.head(1).assign(bank=["Citibank"]))
    short = outlets.head(3).assign(bank=["工行", pd.NA, ""], services=[["activate_finance"]] * 3)
    found = OutletIndex(short).nearest(lon=112.5, lat=37.8, task="activate_finance", bank="ICBC")
    assert found["id"].tolist() == [short["id"].iloc[0]]


# --- k ---------------------------------------------------------------------------------------


def test_a_huge_k_is_capped_at_the_suitable_outlets(capsys, index, outlets, real_registry):
    code, out, err = run(
        capsys, "nearest", *TAIYUAN, "-k", "1000000000000", "--format", "json",
        "--outlets", str(real_registry),
    )  # fmt: skip
    assert code == 0 and err == ""
    assert len(json.loads(out)) == len(outlets)
    distance, positions = index.query(lon=[112.55], lat=[37.87], k=10**12, task="reset_card_pin")
    n = sum("reset_card_pin" in s for s in outlets["services"])
    assert distance.shape == positions.shape == (1, n)
    assert sorted(positions[0]) == [
        i for i, s in enumerate(outlets["services"]) if "reset_card_pin" in s
    ]
    # An answer too large to hold is refused before any memory is taken.
    lon = np.full(40_000, 112.55)
    with pytest.raises(LocatorError, match="k=1443 nearest of 40,000 points"):
        index.query(lon=lon, lat=np.full(40_000, 37.87), k=1443)


@pytest.mark.parametrize("k", ["1e30", "-3", "0", "2.5", "inf"])
def test_a_k_that_is_not_a_whole_number_is_one_line(capsys, k):
    assert "-k" in one_error(capsys, "nearest", *TAIYUAN, "-k", k)


# --- coordinates: parameters in the library, flags in the CLI ---------------------------------


def test_swapped_coordinates_suggest_the_swap_with_parameter_names():
    with pytest.raises(ValidationError, match=r"swapped: try lat=37.87, lon=112.55") as caught:
        check_lonlat(lon=37.87, lat=112.55)
    assert "--" not in str(caught.value)
    with pytest.raises(ValidationError, match=r"e.g. lat=37.87, lon=112.55") as caught:
        parse_coordinate("北纬", "lat")
    assert "--" not in str(caught.value)


def test_the_cli_shows_its_flags_for_the_parameters(capsys):
    line = one_error(capsys, "nearest", "--lat", "112.55", "--lon", "37.87")
    assert "try --lat 37.87, --lon 112.55" in line
    line = one_error(capsys, "nearest", "--lat", "北纬", "--lon", "112.55")
    assert "--lat '北纬' is not a number" in line and "e.g. --lat 37.87, --lon 112.55" in line
    line = one_error(capsys, "nearest", *TAIYUAN, "--task", "activate_finance")
    assert "give --bank <its name>" in line


# --- outputs ---------------------------------------------------------------------------------


def _output_commands(small_registry: Path, target: Callable[[str], Path]) -> list[list[object]]:
    planner = ["--outlets", small_registry, "--cell-area-km2", "25"]
    return [
        ["nearest", *TAIYUAN, "--outlets", small_registry, "-o", target(".json")],
        ["coverage", *planner, "-o", target(".txt")],
        ["coverage", *planner, "--format", "csv", "-o", target(".csv")],
        ["coverage", *planner, "--format", "json", "-o", target(".json")],
        ["gaps", *planner, "-o", target(".geojson")],
        ["suggest", "--new", "1", *planner, "-o", target(".geojson")],
        ["import", small_registry, "-o", target(".geojson")],
        ["import", small_registry, "-o", small_registry.with_name("x.geojson"), "--report", target(".csv")],
        ["validate", small_registry, "--report", target(".csv")],
        ["export-map", "--outlets", small_registry, "--layers", "outlets", "-o", target(".html")],
    ]  # fmt: skip


@pytest.mark.parametrize("where", ["missing folder", "parent is a file", "a folder"])
def test_every_output_that_cannot_be_written_is_one_line(capsys, tmp_path, small_registry, where):
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("x")

    def folder(suffix: str) -> Path:  # a folder named as the file would be
        path = tmp_path / f"folder{suffix}"
        path.mkdir(exist_ok=True)
        return path

    targets: dict[str, tuple[Callable[[str], Path], str]] = {
        "missing folder": (lambda s: tmp_path / "missing" / f"out{s}", "does not exist"),
        "parent is a file": (lambda s: blocker / f"out{s}", "is a file, not a folder"),
        "a folder": (folder, "is a folder"),
    }
    target, message = targets[where]
    for argv in _output_commands(small_registry, target):
        line = one_error(capsys, *argv)
        assert message in line and str(argv[-1]) in line, (argv, line)
    assert not (tmp_path / "missing").exists()


def test_write_gaps_names_the_path_it_cannot_write(tmp_path):
    layer = gpd.GeoDataFrame({"population": [1.0]}, geometry=[shapely.Point(112, 37)])
    with pytest.raises(ValidationError, match="path .*missing.*does not exist"):
        write_gaps(layer, tmp_path / "missing" / "gaps.geojson")


# --- counties --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_counties() -> gpd.GeoDataFrame:
    return datasets.counties().head(3).copy()


def _bad_counties(three: gpd.GeoDataFrame) -> list[tuple[str, gpd.GeoDataFrame, str]]:
    first = three["adcode"].iloc[0]
    many = three.astype({"population": object})
    many.loc[many.index[1], "population"] = "many"
    negative = three.copy()
    negative.loc[negative.index[2], "rural_population"] = -5
    older = three.copy()
    older.loc[older.index[0], "population_65plus"] = older["population"].iloc[0] + 1
    point = three.copy()
    point.loc[point.index[0], "geometry"] = shapely.Point(112.5, 37.8)
    seat = three.copy()
    seat.loc[seat.index[0], "seat_lat"] = 95.0
    return [
        ("population many", many, f"county {three['adcode'].iloc[1]}, column 'population': 'many'"),
        ("negative", negative, f"county {three['adcode'].iloc[2]}, column 'rural_population': -5"),
        ("county twice", pd.concat([three, three.head(1)]), f"county {first} appears more than once"),
        ("missing columns", three.drop(columns=["population", "seat_lat"]),
         "missing column(s) population, seat_lat"),
        ("point geometry", point, f"county {first}: geometry is Point, not a polygon"),
        ("65+ above all", older, f"county {first}: population_65plus"),
        ("seat", seat, f"county {first}, column 'seat_lat': 95.0 is not a coordinate"),
    ]  # fmt: skip


def test_bad_county_layers_are_one_line_and_a_locator_error(
    capsys, tmp_path, three_counties, small_registry
):
    for name, frame, message in _bad_counties(three_counties):
        path = tmp_path / f"{name.replace(' ', '_')}.geojson"
        gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326").to_file(path)
        with pytest.raises(DataFileError, match=re.escape(message)):
            load_counties(path)
        line = one_error(capsys, "coverage", "--outlets", small_registry, "--counties", path)
        assert message in line and str(path) in line, (name, line)
    # The same checks hold for a layer given to the library as a frame.
    many = _bad_counties(three_counties)[0][1]
    with pytest.raises(DataFileError, match="column 'population': 'many'"):
        estimate_demand(many)


# --- population sources ----------------------------------------------------------------------


def write_raster(path: Path, values: np.ndarray, transform: Affine, crs: str) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=-1.0,
    ) as out:  # fmt: skip
        out.write(values.astype("float32"), 1)
    return path


def _over_taiyuan(tmp_path: Path, values: np.ndarray, name: str, crs: str = "EPSG:4326"):
    return write_raster(tmp_path / name, values, Affine(0.05, 0, 112.3, 0, -0.05, 38.1), crs)


def test_population_sources_with_no_resident_in_the_province_are_refused(
    capsys, tmp_path, counties, small_registry
):
    zeros = _over_taiyuan(tmp_path, np.zeros((4, 4)), "zeros.tif")
    # Degrees declared as metres (a wrong CRS): the raster lands near (0, 0) in Web Mercator.
    wrong_crs = _over_taiyuan(tmp_path, np.ones((4, 4)), "wrong_crs.tif", crs="EPSG:3857")
    far = tmp_path / "far.csv"
    pd.DataFrame({"lon": [116.4, 121.5], "lat": [39.9, 31.2], "population": [5, 7]}).to_csv(
        far, index=False
    )
    cases = [
        (zeros, demand_from_raster, "zeros.tif: no resident falls in the province"),
        (wrong_crs, demand_from_raster, "wrong_crs.tif: no resident falls in the province"),
        (far, demand_from_points, "far.csv: no resident falls in the province (2 point(s) with 12"),
    ]
    for path, reader, message in cases:
        with pytest.raises(DataFileError, match=re.escape(message)):
            reader(path, counties)
        line = one_error(capsys, "coverage", "--outlets", small_registry, "--population", path)
        assert message in line


def test_residents_outside_the_province_are_a_warning_with_the_count(
    capsys, tmp_path, counties, small_registry
):
    path = tmp_path / "part.csv"
    pd.DataFrame({"lon": [112.55, 116.4], "lat": [37.87, 39.9], "population": [30, 10]}).to_csv(
        path, index=False
    )
    with pytest.warns(LocatorWarning, match=r"1 point\(s\) with 10 residents \(25.0% of"):
        demand = demand_from_points(path, counties)
    assert demand.population.tolist() == [30]
    code, out, err = run(
        capsys, "coverage", "--outlets", small_registry, "--population", path, "--format", "json"
    )
    assert code == 0 and json.loads(out)["province"]["population"] == 30
    assert err.strip().splitlines() == [
        f"locator: warning: {path}: 1 point(s) with 10 residents (25.0% of the source) lie "
        "in no county and are left out"
    ]


def test_impossible_populations_are_refused(capsys, tmp_path, counties, small_registry):
    values = np.ones((4, 4))
    values[1, 2] = np.inf
    infinite = _over_taiyuan(tmp_path, values, "inf.tif")
    older = tmp_path / "older.csv"
    pd.DataFrame(
        {"lon": [112.55, 112.56], "lat": [37.87, 37.86], "population": [10, 5],
         "population_65plus": [2, 6]}
    ).to_csv(older, index=False)  # fmt: skip
    cases = [
        (infinite, demand_from_raster, r"pixel (row 1, column 2) holds inf"),
        (older, demand_from_points, "row 2: population_65plus 6 is larger than population 5"),
    ]
    for path, reader, message in cases:
        with pytest.raises(LocatorError, match=re.escape(message)):
            reader(path, counties)
        assert message in one_error(
            capsys, "coverage", "--outlets", small_registry, "--population", path
        )
    line = one_error(capsys, "coverage", "--outlets", small_registry, "--cell-area-km2", "1e9")
    assert "--cell-area-km2 1000000000.0 is outside 0.01-100 km²" in line


# --- a closed pipe ---------------------------------------------------------------------------


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_pipe_ends_quietly_in_process(capsys, monkeypatch, real_registry):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    code = main(["nearest", *TAIYUAN, "--format", "json", "--outlets", str(real_registry)])
    assert code == 0
    assert capsys.readouterr().err == ""


def test_a_closed_pipe_ends_quietly_in_a_real_pipe(real_registry):
    # `locator nearest ... | head -1`: the reader leaves after one line; 1,443 outlets of
    # JSON (far more than a pipe buffer) are still to be written.
    exe = Path(sys.executable).with_name("locator")
    process = subprocess.Popen(
        [
            str(exe),
            "nearest",
            *TAIYUAN,
            "-k",
            "2000",
            "--format",
            "json",
            "--outlets",
            real_registry,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": ""},
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert first.strip() == b"["
    assert err == ""


# --- flags for parameters, column names for files ------------------------------------------


def test_parameter_mistakes_name_the_flag(capsys, small_registry):
    planner = ["--outlets", small_registry, "--cell-area-km2", "25"]
    cases = [
        (["coverage", *planner, "--radii-km", "3,x"], "--radii-km 'x' is not a number"),
        (["gaps", *planner, "--top", "-1"], "--top -1 must be a whole number"),
        (["suggest", *planner, "--new", "-2"], "--new -2 must be a whole number"),
        (["coverage", *planner, "--radius-km", "0"], "--radius-km 0.0 must be a number above 0"),
    ]
    for argv, message in cases:
        assert message in one_error(capsys, *argv)


def test_file_mistakes_name_the_column_not_a_flag(capsys, tmp_path, small_registry):
    points = tmp_path / "points.csv"
    points.write_text("lon,lat,population\n112.5,37.8,1\n112.6,137.9,2\n", encoding="utf-8")
    line = one_error(capsys, "coverage", "--outlets", small_registry, "--population", points)
    assert f"{points}: row 2: lon 112.6, lat 137.9 is not a point" in line
    assert "--lon" not in line and "--lat" not in line
    folder = tmp_path / "people"
    folder.mkdir()
    line = one_error(capsys, "coverage", "--outlets", small_registry, "--population", folder)
    assert f"{folder}: is a folder" in line


def test_a_candidates_file_without_points_is_refused(capsys, tmp_path, small_registry):
    empty = tmp_path / "sites.csv"
    empty.write_text("lon,lat\n", encoding="utf-8")
    line = one_error(
        capsys, "suggest", "--new", "1", "--outlets", small_registry, "--cell-area-km2", "25",
        "--candidates", empty,
    )  # fmt: skip
    assert f"{empty}: no candidate points in the file" in line


# --- the Python API with values of the wrong type ------------------------------------------


def test_api_values_of_the_wrong_type_are_locator_errors(index, outlets, counties):
    from locator.counties import county_of
    from locator.planning.coverage import coverage_report
    from locator.planning.siting import suggest_sites

    demand = estimate_demand(counties, cell_area_km2=25)
    cases = [
        (lambda: index.nearest(lon="abc", lat=37.8), "lon and lat must be numbers"),
        (lambda: index.query(lon=[[1, 2], [3]], lat=[1, 2, 3]), "lon and lat must be numbers"),
        (lambda: county_of(["a"], [1], counties=counties), "lon and lat must be numbers"),
        (lambda: load_outlets(5), "path=5 is not a file path"),
        (lambda: load_counties(5), "path=5 is not a file path"),
        (lambda: OutletIndex.from_file(5), "path=5 is not a file path"),
        (lambda: coverage_report(5, counties, demand=demand), "outlets is a int, not a"),
        (lambda: coverage_report(outlets, "x", demand=demand), "x: no such file"),
        (lambda: coverage_report(outlets, counties, demand=5), "demand is a int, not a Demand"),
        (lambda: estimate_demand(5), "counties is a int, not a GeoDataFrame"),
        (lambda: demand_from_points(5, counties), "path_or_frame=5 is not a file path"),
        (lambda: demand_from_raster(5, counties), "path=5 is not a file path"),
        (
            lambda: suggest_sites(outlets, counties, demand=demand, new=1, candidates=5),
            "candidates=5 is not a file path",
        ),
    ]
    for call, message in cases:
        with pytest.raises(ValidationError, match=re.escape(message)):
            call()


def test_coverage_csv_on_screen_is_inert_for_excel(
    capsys, tmp_path, three_counties, small_registry
):
    named = three_counties.copy()
    named.loc[named.index[0], "name"] = "=HYPERLINK(1)"
    path = tmp_path / "named.geojson"
    named.to_file(path)
    code, out, _ = run(
        capsys, "coverage", "--outlets", small_registry, "--counties", path,
        "--cell-area-km2", "25", "--format", "csv",
    )  # fmt: skip
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str)
    assert "'=HYPERLINK(1)" in table["name"].tolist()


def test_a_siting_radius_too_wide_to_hold_is_one_line(capsys, monkeypatch, small_registry):
    from locator import settings

    monkeypatch.setattr(settings, "max_coverage_pairs", 1_000_000)
    line = one_error(
        capsys, "suggest", "--new", "1", "--outlets", small_registry, "--cell-area-km2", "25",
        "--radius-km", "100",
    )  # fmt: skip
    assert "--radius-km 100:" in line and "settings.max_coverage_pairs (1,000,000)" in line


def test_a_bad_county_layer_is_the_only_line_even_with_the_sample_registry(capsys, tmp_path):
    path = tmp_path / "c.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    for command in ("coverage", "gaps"):
        line = one_error(capsys, command, "--counties", path, "--cell-area-km2", "25")
        assert f"{path}: no counties in it (0 features)" in line


def test_a_radius_wider_than_the_province_is_refused(capsys, small_registry, outlets, counties):
    from locator._validate import check_radius
    from locator.planning.coverage import coverage_report
    from locator.planning.siting import suggest_sites

    planner = ["--outlets", small_registry, "--cell-area-km2", "25"]
    line = one_error(capsys, "coverage", *planner, "--radius-km", "1e308")
    assert "--radius-km 1e+308 is more than 1000 km" in line
    line = one_error(capsys, "coverage", *planner, "--radii-km", "5,5000")
    assert "--radii-km '5000' is more than 1000 km" in line
    assert "--radius-km 1001.0 is more than" in one_error(
        capsys, "suggest", "--new", "1", *planner, "--radius-km", "1001"
    )
    assert check_radius(1000.0) == 1000.0
    demand = estimate_demand(counties, cell_area_km2=25)
    with pytest.raises(ValidationError, match="radius_km=2000 is more than 1000 km"):
        coverage_report(outlets, counties, demand=demand, radius_km=2000)
    with pytest.raises(ValidationError, match="radius_km=1500.0 is more than 1000 km"):
        suggest_sites(outlets, counties, demand=demand, new=1, radius_km=1500.0)


def test_a_path_with_a_nul_character_is_a_validation_error(tmp_path, outlets, counties):
    for call in (
        lambda: load_outlets("a\x00b.geojson"),
        lambda: load_counties(tmp_path / "a\x00b.geojson"),
        lambda: demand_from_points("a\x00b.csv", counties),
        lambda: write_outlets(outlets.head(1), "a\x00b.geojson"),
        lambda: write_gaps(gpd.GeoDataFrame(geometry=[]), "a\x00b.geojson"),
    ):
        with pytest.raises(ValidationError, match="holds a NUL character"):
            call()


@pytest.mark.parametrize("at", ["9999-12-31 23:59", "9999-12-31T23:59+00:00", "1900-01-01 08:00"])
def test_a_moment_outside_the_years_is_one_line(capsys, at):
    # 9999-12-31 23:59 once ran next_change past datetime.max: an OverflowError traceback
    line = one_error(capsys, "nearest", *TAIYUAN, "--at", at, "--open-now")
    assert (
        line
        == f"locator: error: --at '{at}' is outside the years 2004-2100; give a date and time within them"
    )
    with pytest.raises(ValidationError, match=r"^at '.*' is outside the years 2004-2100"):
        parse_at(at)
