"""PlanningInputs: one object, checked once, taken by every planning function; the CLI's -o."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from locator import datasets
from locator._errors import BankRequiredError, LocatorError, ValidationError
from locator.cli import main
from locator.index import OutletIndex
from locator.planning import inputs as inputs_module
from locator.planning.coverage import (
    county_rule,
    coverage_report,
    gaps,
    mismatches,
    nearest_distance_km,
)
from locator.planning.demand import Demand, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import suggest_closures, suggest_sites
from locator.registry import write_outlets


@pytest.fixture(scope="module")
def coarse(counties: gpd.GeoDataFrame) -> Demand:
    return estimate_demand(counties, cell_area_km2=25.0)


#: The planning functions, each with its own extra arguments.
FUNCTIONS = {
    "coverage_report": (coverage_report, {}),
    "gaps": (gaps, {}),
    "county_rule": (county_rule, {}),
    "suggest_sites": (suggest_sites, {"new": 2}),
    "suggest_closures": (suggest_closures, {"close": 2}),
    "nearest_distance_km": (nearest_distance_km, {}),
}


def same(a: object, b: object) -> None:
    """Two answers of a planning function are equal (tables, frames or arrays)."""
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)  # type: ignore[arg-type]
        assert a.attrs == b.attrs  # type: ignore[attr-defined]
    else:  # a CoverageReport
        pd.testing.assert_frame_equal(a.counties, b.counties)  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(a.cities, b.cities)  # type: ignore[attr-defined]
        assert a.province == b.province  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_both_call_forms_give_the_same_answer(name, outlets, counties, coarse):
    function, extra = FUNCTIONS[name]
    setting = {"demand": coarse, "task": "reset_card_pin", "radius_km": 4.0}
    built = PlanningInputs.build(outlets, counties, **setting)
    same(function(built, **extra), function(outlets, counties, **setting, **extra))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_an_outlet_index_or_paths_are_taken_everywhere(name, outlets, counties, coarse, tmp_path):
    function, extra = FUNCTIONS[name]
    path = write_outlets(outlets, tmp_path / "outlets.geojson")
    by_frame = function(outlets, counties, demand=coarse, **extra)
    same(function(OutletIndex(outlets), counties, demand=coarse, **extra), by_frame)
    by_path = function(path, datasets.get_path("counties"), demand=coarse, **extra)
    same(by_path, by_frame)


BAD = [
    ({"radius_km": -1}, ValidationError, r"radius_km=-1 must be a number above 0"),
    ({"radius_km": 5000}, ValidationError, r"radius_km=5000 is more than 1000 km"),
    ({"radii_km": []}, ValidationError, r"radii_km is empty"),
    ({"detour_factor": 0.5}, ValidationError, r"detour_factor=0.5 must be at least 1"),
    ({"weight_65plus": -1}, ValidationError, r"weight_65plus=-1 must be a number of at least 0"),
    ({"task": "reset_ecard_password"}, ValidationError, r"online only"),
    ({"task": "activate_finance"}, BankRequiredError, r"activate_finance.*give bank="),
    ({"demand": "people.csv"}, ValidationError, r"demand is a str, not a Demand"),
]


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize(("bad", "error", "message"), BAD)
def test_each_value_is_checked_by_one_rule_everywhere(
    name, bad, error, message, outlets, counties, coarse
):
    function, extra = FUNCTIONS[name]
    keywords = {"demand": coarse, **bad}
    with pytest.raises(error, match=message):
        function(outlets, counties, **keywords, **extra)
    with pytest.raises(error, match=message):
        PlanningInputs.build(outlets, counties, **keywords)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_missing_or_wrong_data_is_named(name, outlets, counties):
    function, extra = FUNCTIONS[name]
    with pytest.raises(ValidationError, match="counties is missing: give the county layer"):
        function(outlets, **extra)
    with pytest.raises(ValidationError, match="counties is a int, not a GeoDataFrame or a path"):
        function(outlets, 5, **extra)
    with pytest.raises(ValidationError, match="outlets is a NoneType, not a GeoDataFrame"):
        function(None, counties, **extra)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_misspelt_keyword_is_named(name, outlets, counties, coarse):
    function, extra = FUNCTIONS[name]
    with pytest.raises(ValidationError, match="radius is no planning input; the inputs are"):
        function(outlets, counties, demand=coarse, radius=5, **extra)


def test_inputs_with_keywords_beside_them_are_refused(outlets, counties, coarse):
    built = PlanningInputs.build(outlets, counties, demand=coarse)
    with pytest.raises(ValidationError, match="radius_km given beside a PlanningInputs"):
        coverage_report(built, radius_km=3)
    with pytest.raises(ValidationError, match="counties given beside a PlanningInputs"):
        suggest_sites(built, counties, new=1)
    assert isinstance(mismatches(built), pd.DataFrame)


def test_a_detour_factor_below_one_is_refused_by_siting_too(outlets, counties, coarse):
    # It used to be accepted by siting and refused by coverage.
    for function, extra in ((suggest_sites, {"new": 1}), (coverage_report, {})):
        with pytest.raises(ValidationError, match="detour_factor=0.5 must be at least 1"):
            function(outlets, counties, demand=coarse, detour_factor=0.5, **extra)


def test_gaps_reuse_the_distances_of_a_report(outlets, counties, coarse, monkeypatch):
    calls = []
    original = inputs_module.nearest_distances

    def spy(inputs: PlanningInputs) -> np.ndarray:
        calls.append(inputs)
        return original(inputs)

    monkeypatch.setattr(inputs_module, "nearest_distances", spy)
    alone = gaps(outlets, counties, demand=coarse, radius_km=8.0)
    assert len(calls) == 1
    report = coverage_report(outlets, counties, demand=coarse, radius_km=8.0)
    assert len(calls) == 2
    reused = gaps(outlets, counties, demand=coarse, radius_km=8.0, report=report)
    assert len(calls) == 2  # no distance pass of its own
    pd.testing.assert_frame_equal(reused, alone)
    assert reused.attrs == alone.attrs

    # One inputs object: the report and the gaps share one distance pass.
    built = PlanningInputs.build(outlets, counties, demand=coarse, radius_km=8.0)
    same(coverage_report(built), report)
    pd.testing.assert_frame_equal(gaps(built), alone)
    assert len(calls) == 3

    other = coverage_report(outlets, counties, demand=coarse, task="reset_card_pin")
    with pytest.raises(ValidationError, match="report was computed with another task"):
        gaps(outlets, counties, demand=coarse, report=other)


def test_the_distances_kept_on_the_inputs_cannot_be_edited(outlets, counties, coarse):
    built = PlanningInputs.build(outlets, counties, demand=coarse)
    with pytest.raises(ValueError, match="read-only"):
        built.distance_km[0] = 0.0
    handed_out = nearest_distance_km(built)
    handed_out[0] = -1.0  # a copy: the inputs keep their own
    assert built.distance_km[0] >= 0


def test_the_rule_alone_builds_no_demand(outlets, counties, monkeypatch):
    def refuse(*args: object, **kwargs: object) -> Demand:
        raise AssertionError("county_rule estimated the demand")

    monkeypatch.setattr(inputs_module, "estimate_demand", refuse)
    assert len(county_rule(outlets, counties)) == 117
    built = PlanningInputs.build(outlets, counties)
    with pytest.raises(AssertionError, match="estimated the demand"):
        _ = built.demand


# --- the command line: -o chooses by suffix, the sample warning ---------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


COMMANDS = {
    "coverage": ["coverage", "--cell-area-km2", "25"],
    "gaps": ["gaps", "--cell-area-km2", "25", "--radius-km", "10"],
    "suggest": ["suggest", "--new", "2", "--cell-area-km2", "25"],
}


def read_back(path, suffix: str) -> object:
    text = path.read_bytes()
    if suffix == ".csv":
        assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        return pd.read_csv(path, encoding="utf-8-sig")
    if suffix in (".json", ".geojson"):
        return json.loads(text.decode("utf-8"))
    return text.decode("utf-8")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("suffix", [".csv", ".json", ".geojson", ".txt"])
def test_cli_output_is_chosen_by_its_suffix(capsys, tmp_path, command, suffix):
    target = tmp_path / f"out{suffix}"
    code, out, err = run(capsys, *COMMANDS[command], "-o", str(target))
    if command == "coverage" and suffix == ".geojson":
        assert code == 2 and "cannot write .geojson" in err.splitlines()[-1]
        assert not target.exists()
        return
    assert code == 0, err
    found = read_back(target, suffix)
    if suffix == ".csv":
        assert isinstance(found, pd.DataFrame) and len(found) > 0
        key = {"coverage": "adcode", "gaps": "distance_km", "suggest": "new_population"}
        assert key[command] in found.columns
    elif suffix == ".txt":
        assert isinstance(found, str) and "---" in found and not found.startswith("{")
    elif command == "coverage":
        # The shipped sample registry: the JSON says so (sample, notice).
        # county_65plus_same_as: the county 65+ fields left out where they repeat (none here).
        keys = {"sample", "notice", "province", "cities", "counties", "mismatches"}
        assert set(found) == keys | {"county_65plus_same_as"}  # type: ignore[arg-type]
    elif command == "gaps" or suffix == ".geojson":
        assert found["type"] == "FeatureCollection" and found["features"]  # type: ignore[index]
    else:
        assert set(found) == {"sample", "notice", "summary", "sites"}  # type: ignore[arg-type]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("suffix", [".xlsx", ".pdf", ""])
def test_cli_refuses_a_suffix_it_cannot_write(capsys, tmp_path, command, suffix):
    target = tmp_path / f"out{suffix}"
    code, out, err = run(capsys, *COMMANDS[command], "-o", str(target))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "cannot write" in lines[0]
    assert "Traceback" not in err and not target.exists()


def test_cli_format_contradicting_the_suffix_is_refused(capsys, tmp_path):
    code, _, err = run(
        capsys, *COMMANDS["coverage"], "--format", "json", "-o", str(tmp_path / "x.csv")
    )
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "ends in .csv but" in lines[0] and "'json'" in lines[0]
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_says_when_the_shipped_sample_is_read(capsys, tmp_path, command, outlets):
    code, _, err = run(capsys, *COMMANDS[command])
    assert code == 0 and "generated sample" in err
    real = outlets.copy()
    real["sample"] = False
    real.attrs = {}
    assert not datasets.is_sample(real)
    path = write_outlets(real, tmp_path / "real.geojson")
    code, _, err = run(capsys, *COMMANDS[command], "--outlets", str(path))
    assert code == 0 and "generated sample" not in err


def test_every_mistake_is_a_locator_error(outlets, counties):
    for call in (
        lambda: PlanningInputs.build(outlets, counties, radius_km="far"),
        lambda: PlanningInputs.build(outlets, "no/such/counties.geojson"),
        lambda: PlanningInputs.build("no/such/outlets.geojson", counties),
    ):
        with pytest.raises(LocatorError):
            call()


# --- the published figures, with the branch layer in the registry (issue 14) -----------------


@pytest.fixture(scope="module")
def registry() -> gpd.GeoDataFrame:
    """Both shipped layers: the 1,443 one-stop outlets and the ordinary branches."""
    return datasets.registry()


def test_registry_of_branches_only_is_refused(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    branches = registry.loc[registry["kind"] == "branch"]
    with pytest.raises(ValidationError, match=r"outlets holds no one-stop outlet.*registry\(\)"):
        PlanningInputs.build(branches, counties)
