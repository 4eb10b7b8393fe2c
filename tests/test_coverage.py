"""Planner coverage: the county rule, mismatches, coverage against brute force, the gaps, the CLI."""

from __future__ import annotations

import functools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from locator import datasets, settings
from locator._errors import BankRequiredError, ValidationError
from locator.cli import main
from locator.counties import county_of
from locator.distance import haversine_km
from locator.index import OutletIndex
from locator.planning.coverage import (
    coinciding_65plus,
    county_rule,
    coverage_report,
    gaps,
    locate_outlets,
    mismatches,
    nearest_distance_km,
    write_gaps,
)
from locator.planning.demand import Demand, demand_from_points, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.registry import write_outlets


@pytest.fixture(scope="module")
def coarse(counties) -> Demand:
    """A 25 km² grid: about 6,300 cells, small enough for brute force."""
    return estimate_demand(counties, cell_area_km2=25.0)


def suitable(outlets: gpd.GeoDataFrame, task: str | None, bank: str | None = None) -> np.ndarray:
    keep = np.ones(len(outlets), dtype=bool)
    if task is not None:
        keep &= outlets["services"].map(lambda s: task in s).to_numpy()
    if bank is not None:
        keep &= (outlets["bank"] == bank).to_numpy()
    return keep


def brute_distance(demand: Demand, outlets: gpd.GeoDataFrame) -> np.ndarray:
    if len(outlets) == 0:
        return np.full(len(demand), np.inf)
    d = haversine_km(
        demand.lon[:, None], demand.lat[:, None], outlets.geometry.x.to_numpy()[None, :],
        outlets.geometry.y.to_numpy()[None, :],
    )  # fmt: skip
    return d.min(axis=1)


def brute_quantile(distance: np.ndarray, weight: np.ndarray, q: float) -> float:
    """The smallest cell distance d with population within d >= q * total (O(n²))."""
    total = weight.sum()
    candidates = [d for d in np.unique(distance) if weight[distance <= d].sum() >= q * total]
    return min(candidates)


# --- the county rule ---------------------------------------------------------------------------


def test_every_county_meets_the_rule_in_the_sample(outlets, counties):
    rule = county_rule(outlets, counties)
    assert list(rule.columns) == [
        "adcode", "name", "city", "city_adcode", "outlets", "meets_rule", "shortfall",
    ]  # fmt: skip
    assert len(rule) == 117 and rule["meets_rule"].all() and rule["outlets"].sum() == 1443
    located = county_of(outlets.geometry.x, outlets.geometry.y, counties=counties)
    assert rule.set_index("adcode")["outlets"].to_dict() == located.value_counts().to_dict()


def test_a_county_without_outlets_appears_with_its_shortfall(outlets, counties):
    located = county_of(outlets.geometry.x, outlets.geometry.y, counties=counties).to_numpy()
    fewer = outlets.loc[(located != "140212") & (located != "140802")]
    one = outlets.loc[located == "140802"].iloc[:1]
    rule = county_rule(pd.concat([fewer, one]), counties).set_index("adcode")
    assert rule.loc["140212", ["outlets", "meets_rule", "shortfall"]].tolist() == [0, False, 2]
    assert rule.loc["140802", ["outlets", "meets_rule", "shortfall"]].tolist() == [1, False, 1]
    assert (~rule["meets_rule"]).sum() == 2
    assert county_rule(fewer, counties, minimum=0)["meets_rule"].all()
    report = coverage_report(
        pd.concat([fewer, one]), counties, demand=estimate_demand(counties, cell_area_km2=25.0)
    )
    assert report.province["counties_below_rule"] == 2
    assert report.counties.set_index("adcode").loc["140212", "shortfall"] == 2


@pytest.mark.parametrize(
    ("task", "bank"),
    [("reset_card_pin", None), ("transit_topup", None), ("activate_finance", "中国工商银行")],
)
def test_the_rule_per_task_counts_only_suitable_outlets(outlets, counties, task, bank):
    rule = county_rule(outlets, counties, task=task, bank=bank)
    keep = outlets.loc[suitable(outlets, task, bank)]
    counts = county_of(keep.geometry.x, keep.geometry.y, counties=counties).value_counts()
    expected = rule["adcode"].map(counts).fillna(0).astype(int)
    assert rule["outlets"].tolist() == expected.tolist()
    assert rule["meets_rule"].tolist() == (expected >= 2).tolist()


def test_own_bank_task_needs_a_bank(outlets, counties):
    with pytest.raises(BankRequiredError, match="activate_finance.*give bank="):
        county_rule(outlets, counties, task="activate_finance")
    with pytest.raises(BankRequiredError, match="activate_finance"):
        coverage_report(outlets, counties, task="activate_finance")


def test_bad_minimum_and_online_task_are_refused(outlets, counties):
    with pytest.raises(ValidationError, match="minimum=-1 must be a whole number"):
        county_rule(outlets, counties, minimum=-1)
    with pytest.raises(ValidationError, match="reset_ecard_password.*online only"):
        coverage_report(outlets, counties, task="reset_ecard_password")


# --- mismatches --------------------------------------------------------------------------------


def test_mismatched_county_field_and_stray_outlet_are_reported(outlets, counties):
    changed = outlets.copy()
    changed.loc[changed.index[0], "county_adcode"] = "140106"  # the outlet lies in 140105
    changed.loc[changed.index[1], "county_adcode"] = None
    changed.loc[changed.index[2], "geometry"] = gpd.points_from_xy([116.4], [39.9])[0]
    changed.loc[changed.index[3], "county_adcode"] = "999999"
    found = mismatches(changed, counties).set_index("id")
    ids = changed["id"].iloc[:4].tolist()
    assert sorted(found.index) == sorted(ids)
    assert found.loc[ids[0], "problem"] == "declares 140106 迎泽区 but lies in 140105 小店区"
    assert found.loc[ids[0], ["declared_county", "located_county"]].tolist() == ["迎泽区", "小店区"]
    assert found.loc[ids[1], "problem"].startswith("declares no county; it lies in 140105")
    assert found.loc[ids[2], "problem"].startswith("lies outside every county")
    assert found.loc[ids[2], "located_adcode"] is None
    assert "999999, which is no county code" in found.loc[ids[3], "problem"]
    located = locate_outlets(changed, counties)
    assert located.index.equals(changed.index)
    assert located["located_adcode"].iloc[0] == "140105"
    report = coverage_report(
        changed, counties, demand=estimate_demand(counties, cell_area_km2=25.0)
    )
    assert report.province["mismatches"] == 4 and report.province["outlets_outside_counties"] == 1
    assert len(report.to_dict()["mismatches"]) == 4


def test_the_sample_has_no_mismatch(outlets, counties):
    assert mismatches(outlets, counties).empty


# --- coverage against brute force --------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "bank", "detour"),
    [(None, None, 1.0), ("reset_card_pin", None, 1.3), ("unfreeze_account", "晋商银行", 1.0)],
)
def test_coverage_equals_brute_force(outlets, counties, coarse, task, bank, detour):
    radius, radii = 5.0, (1.0, 3.0, 10.0)
    report = coverage_report(
        OutletIndex(outlets), counties, demand=coarse, task=task, bank=bank,
        radius_km=radius, radii_km=radii, detour_factor=detour,
    )  # fmt: skip
    bank_name = None if bank is None else "晋商银行"
    distance = brute_distance(coarse, outlets.loc[suitable(outlets, task, bank_name)]) * detour
    frame = pd.DataFrame(
        {
            "county": coarse.county,
            "d": distance,
            "w": coarse.population,
            "o": coarse.population_65plus,
        }
    )
    frame["city"] = frame["county"].str[:4] + "00"
    counties_table = report.counties.set_index("adcode")
    cities_table = report.cities.set_index("city_adcode")
    checks = [(counties_table, "county"), (cities_table, "city")]
    for table, level in checks:
        sample = list(table.index[:: max(1, len(table) // 12)])
        for key in sample:
            cells = frame.loc[frame[level] == key]
            row = table.loc[key]
            for w, suffix in (("w", ""), ("o", "_65plus")):
                weight, d = cells[w].to_numpy(), cells["d"].to_numpy()
                assert row[f"covered_population{suffix}"] == pytest.approx(
                    weight[d <= radius].sum(), rel=1e-9, abs=1e-6
                )
                for r in radii:
                    assert row[f"share{suffix}_within_{r:g}km"] == pytest.approx(
                        weight[d <= r].sum() / weight.sum(), rel=1e-9, abs=1e-12
                    )
                assert row[f"mean_km{suffix}"] == pytest.approx(np.average(d, weights=weight))
                assert row[f"median_km{suffix}"] == pytest.approx(brute_quantile(d, weight, 0.5))
                assert row[f"p95_km{suffix}"] == pytest.approx(brute_quantile(d, weight, 0.95))
                assert row[f"max_km{suffix}"] == pytest.approx(d[weight > 0].max())
    province = report.province
    assert province["population"] == pytest.approx(34_915_616)
    assert province["covered_population"] == pytest.approx(frame["w"][frame["d"] <= radius].sum())
    assert province["p95_km"] == pytest.approx(brute_quantile(distance, coarse.population, 0.95))
    assert province["detour_factor"] == detour and province["task"] == task


def test_nearest_distance_is_chunked_and_scaled(outlets, counties, coarse, monkeypatch):
    whole = nearest_distance_km(outlets, counties, demand=coarse)
    np.testing.assert_allclose(whole, brute_distance(coarse, outlets), rtol=1e-9, atol=1e-9)
    monkeypatch.setattr(settings, "chunk_size", 97)
    monkeypatch.setattr(settings, "detour_factor", 1.25)
    scaled = nearest_distance_km(outlets, counties, demand=coarse)
    np.testing.assert_allclose(scaled, whole * 1.25, rtol=1e-12)
    with pytest.raises(ValidationError, match="detour_factor=0.8 must be at least 1"):
        nearest_distance_km(outlets, counties, demand=coarse, detour_factor=0.8)


def test_hand_made_points_give_exact_figures(outlets, counties):
    # Three households at known distances from one outlet in 小店区.
    outlet = outlets.iloc[:1]
    x, y = outlet.geometry.x.iloc[0], outlet.geometry.y.iloc[0]
    east = np.array([0.0, 0.02, 0.05])  # degrees of longitude
    d = haversine_km(x, y, x + east, y)
    points = pd.DataFrame({"lon": x + east, "lat": y, "population": [10, 30, 60]})
    demand = demand_from_points(points, counties)
    report = coverage_report(outlet, counties, demand=demand, radius_km=float(d[1]) + 1e-6)
    p = report.province
    assert p["population"] == 100 and p["covered_population"] == pytest.approx(40)
    assert p["mean_km"] == pytest.approx(float(np.dot(d, [0.1, 0.3, 0.6])))
    assert p["median_km"] == pytest.approx(d[2])  # 40 residents within d[1] < 50
    assert p["max_km"] == pytest.approx(d[2])
    assert p["cell_area_km2"] is None and p["demand"] == "points:points"


@functools.cache
def shipped() -> tuple[OutletIndex, gpd.GeoDataFrame, Demand]:
    counties = datasets.counties()
    return OutletIndex(datasets.outlets()), counties, estimate_demand(counties, cell_area_km2=25.0)


@hsettings(max_examples=15, deadline=None)
@given(st.lists(st.floats(0.1, 60.0), min_size=1, max_size=8))
def test_covered_share_never_falls_with_distance(radii):
    index, counties, demand = shipped()
    report = coverage_report(index, counties, demand=demand, radii_km=radii)
    ordered = sorted(set(radii))
    assert list(report.radii_km) == ordered
    for table in (report.counties, report.cities, pd.DataFrame([report.province])):
        shares = table[[f"share_within_{r:g}km" for r in ordered]].to_numpy()
        assert (np.diff(shares, axis=1) >= -1e-12).all()
        assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()
    assert (report.curve("city").diff().dropna() >= -1e-12).all().all()


def test_settings_are_read_at_call_time(outlets, counties, coarse, monkeypatch):
    monkeypatch.setattr(settings, "default_radius_km", 3.0)
    monkeypatch.setattr(settings, "coverage_radii_km", (2.0, 4.0))
    report = coverage_report(outlets, counties, demand=coarse)
    assert report.radius_km == 3.0 and report.radii_km == (2.0, 4.0)
    assert "share_within_4km" in report.counties and "share_within_5km" not in report.counties
    assert (report.counties["covered_share"] <= report.counties["share_within_4km"]).all()
    assert report.curve().index.tolist() == [2.0, 4.0]


def test_no_suitable_outlet_gives_infinite_distance_written_as_null(outlets, counties, coarse):
    banks_only = outlets.loc[outlets["kind"] == "bank"]
    report = coverage_report(banks_only, counties, demand=coarse, task="reset_card_pin")
    assert report.province["outlets"] == 0 and report.province["covered_population"] == 0
    assert report.province["counties_meeting_rule"] == 0
    assert np.isinf(report.province["max_km"])
    data = json.loads(report.to_json())
    assert data["province"]["mean_km"] is None and data["counties"][0]["p95_km"] is None


def test_report_json_shape(outlets, counties, coarse):
    data = json.loads(coverage_report(outlets, counties, demand=coarse).to_json())
    assert set(data) == {"province", "cities", "counties", "county_65plus_same_as", "mismatches"}
    assert len(data["counties"]) == 117 and len(data["cities"]) == 11
    keys = {"adcode", "name", "city", "outlets", "meets_rule", "population", "covered_population",
            "covered_share", "mean_km", "p95_km", "max_km", "covered_share_65plus"}  # fmt: skip
    assert keys <= set(data["counties"][0])
    assert data["province"]["detour_factor"] == 1.0 and data["province"]["radius_km"] == 5.0
    assert data["province"]["sample_registry"] is True
    assert data["province"]["population"] == 34_915_616  # no floating-point dust in JSON


def test_demand_from_another_county_layer_is_refused(outlets, counties):
    stray = Demand([112.5], [37.8], [1.0], [0.0], ["999999"], None, "points:x")
    with pytest.raises(ValidationError, match="'999999' is not in the county layer"):
        coverage_report(outlets, counties, demand=stray)


# --- gaps --------------------------------------------------------------------------------------


def test_gaps_are_the_cells_beyond_the_radius(outlets, counties, coarse, tmp_path):
    layer = gaps(outlets, counties, demand=coarse, radius_km=8.0)
    distance = brute_distance(coarse, outlets)
    expected = np.flatnonzero(distance > 8.0)
    assert sorted(layer["cell"]) == sorted(expected.tolist())
    assert layer["population"].is_monotonic_decreasing
    assert layer["rank"].tolist() == list(range(1, len(layer) + 1))
    np.testing.assert_allclose(layer["distance_km"], distance[layer["cell"]], rtol=1e-9)
    report = coverage_report(outlets, counties, demand=coarse, radius_km=8.0)
    assert layer["population"].sum() == pytest.approx(
        report.province["population"] - report.province["covered_population"]
    )
    assert (
        layer["county_name"].iloc[0]
        == counties.set_index("adcode").loc[layer["county_adcode"].iloc[0], "name"]
    )
    assert layer.crs.to_epsg() == 4326 and (layer.geom_type == "Polygon").all()
    assert layer.attrs["radius_km"] == 8.0
    back = gpd.read_file(write_gaps(layer, tmp_path / "gaps.geojson"))
    assert len(back) == len(layer) and back["county_name"].iloc[0] == layer["county_name"].iloc[0]
    text = (tmp_path / "gaps.geojson").read_text(encoding="utf-8")
    assert "县" in text or "区" in text or "市" in text  # Chinese kept readable
    write_gaps(layer, tmp_path / "gaps.csv")
    assert (tmp_path / "gaps.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValidationError, match="name it .geojson or .csv"):
        write_gaps(layer, tmp_path / "gaps.xlsx")


def test_top_gaps_are_the_first_rows_of_the_whole_layer(outlets, counties, coarse):
    inputs = PlanningInputs.build(outlets, counties, demand=coarse, radius_km=3.0)
    whole = gaps(inputs)
    top = gaps(inputs, top=25)
    assert len(whole) > 25
    pd.testing.assert_frame_equal(pd.DataFrame(top), pd.DataFrame(whole.head(25)))
    assert top.attrs == whole.attrs
    assert len(gaps(inputs, top=10**9)) == len(whole)
    with pytest.raises(ValidationError, match="top=-1"):
        gaps(inputs, top=-1)


def test_gaps_for_a_task_without_outlets_have_null_distance(outlets, counties, coarse):
    banks_only = outlets.loc[outlets["kind"] == "bank"]
    layer = gaps(banks_only, counties, demand=coarse, task="reset_card_pin")
    assert len(layer) == len(coarse) and layer["distance_km"].isna().all()


# --- the command line --------------------------------------------------------------------------


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_coverage_json_equals_the_library(capsys, outlets, counties):
    code, out, err = run(
        capsys, "coverage", "--format", "json", "--cell-area-km2", "25", "--radius-km", "3"
    )
    assert code == 0 and "generated sample" in err
    data = json.loads(out)
    expected = coverage_report(
        outlets, counties, demand=estimate_demand(counties, cell_area_km2=25.0), radius_km=3.0
    )
    assert data["province"]["covered_population"] == pytest.approx(
        expected.province["covered_population"]
    )
    assert [c["adcode"] for c in data["counties"]] == expected.counties["adcode"].tolist()


def test_cli_coverage_table_and_csv(capsys, tmp_path, outlets):
    code, out, _ = run(capsys, "coverage", "--cell-area-km2", "25", "--task", "reset_card_pin")
    assert code == 0
    assert "117 counties" in out and "小店区" in out and "covered_pct" in out
    code, out, _ = run(capsys, "coverage", "--cell-area-km2", "25", "--by", "city")
    assert code == 0 and "太原市" in out and "counties_meeting_rule" in out
    target = tmp_path / "cov.csv"
    code, _, err = run(
        capsys, "coverage", "--cell-area-km2", "25", "--format", "csv", "-o", str(target),
        "--radii-km", "2,4",
    )  # fmt: skip
    assert code == 0 and "wrote" in err
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(target, encoding="utf-8-sig", dtype={"adcode": str})
    assert len(table) == 117 and "share_within_4km" in table and "小店区" in table["name"].tolist()


def test_cli_coverage_shows_65plus_once_only_where_it_repeats(capsys, tmp_path, coarse):
    """Points without a 65+ column: per county the 65+ figures repeat, shown once everywhere."""
    path = tmp_path / "points.csv"
    _points_without_65plus(coarse).to_csv(path, index=False)
    base = ["coverage", "--population", str(path)]
    code, out, _ = run(capsys, *base, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["county_65plus_same_as"]["covered_share_65plus"] == "covered_share"
    assert "covered_share_65plus" not in data["counties"][0]
    assert "covered_share_65plus" in data["cities"][0]
    code, out, _ = run(capsys, *base)
    assert code == 0 and "covered_pct" in out and "covered_65plus_pct" not in out
    assert "shown once" in out
    code, out, _ = run(capsys, *base, "--by", "city")  # cities differ: both shown
    assert code == 0 and "covered_65plus_pct" in out and "shown once" not in out
    target = tmp_path / "c.csv"
    assert run(capsys, *base, "-o", str(target))[0] == 0
    header = pd.read_csv(target, encoding="utf-8-sig", nrows=0).columns
    assert "covered_share" in header and "covered_share_65plus" not in header
    # The census-based estimate places the 65+ by the rural/urban gap: both are shown.
    code, out, _ = run(capsys, "coverage", "--cell-area-km2", "25")
    assert code == 0 and "covered_65plus_pct" in out and "shown once" not in out


def test_cli_coverage_flags_a_county_below_the_rule(capsys, tmp_path, outlets, counties):
    located = county_of(outlets.geometry.x, outlets.geometry.y, counties=counties).to_numpy()
    path = write_outlets(outlets.loc[located != "140212"], tmp_path / "fewer.geojson")
    code, out, _ = run(capsys, "coverage", "--outlets", str(path), "--cell-area-km2", "25")
    assert code == 0 and "1 counties below the rule" in out and "140212" in out


def test_cli_gaps_writes_geojson_and_shows_the_largest(capsys, tmp_path):
    target = tmp_path / "gaps.geojson"
    code, _, err = run(
        capsys, "gaps", "--cell-area-km2", "25", "--radius-km", "10", "-o", str(target)
    )
    assert code == 0 and "wrote" in err and "farther than 10 km" in err
    layer = gpd.read_file(target)
    assert len(layer) > 0 and (layer["distance_km"] > 10).all()
    code, out, _ = run(capsys, "gaps", "--cell-area-km2", "25", "--top", "3")
    lines = out.strip().splitlines()
    assert code == 0 and len(lines) == 1 + 2 + 3 and "county_name" in lines[1]


def test_cli_mistakes_are_one_line(capsys, tmp_path):
    cases = [
        (["coverage", "--task", "activate_finance"], "needs a branch"),
        (["coverage", "--detour-factor", "0.5"], "at least 1"),
        (["coverage", "--radius-km", "-2"], "--radius-km -2.0 must be a number above 0"),
        (["coverage", "--population", str(tmp_path / "none.csv")], "no such file"),
        (["gaps", "--task", "nope"], "nope"),
        (["gaps", "--population", "x.csv", "--cell-area-km2", "4"], "--cell-area-km2 sets"),
    ]
    for argv, message in cases:
        code, _, err = run(capsys, *argv)
        lines = err.strip().splitlines()
        assert code == 2, argv
        assert message in lines[-1] and "Traceback" not in err


# --- the published figures, with the branch layer in the registry (issue 14) -----------------


@pytest.fixture(scope="module")
def registry() -> gpd.GeoDataFrame:
    """Both shipped layers: the 1,443 one-stop outlets and the ordinary branches."""
    return datasets.registry()


def test_registry_holds_both_layers(registry: gpd.GeoDataFrame) -> None:
    one_stop = registry["kind"].isin(["government", "bank"])
    assert int(one_stop.sum()) == 1443
    assert int((registry["kind"] == "branch").sum()) > 0
    assert int(registry.loc[one_stop, "transit_topup"].astype(bool).sum()) == 443
    # The branches alone would not meet the rule anywhere near as often: they must not count.
    assert set(registry.loc[~one_stop, "kind"]) == {"branch"}


def test_rule_counts_one_stop_outlets_only(
    registry: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    with_branches = county_rule(registry, counties)
    alone = county_rule(outlets, counties)
    pd.testing.assert_frame_equal(with_branches, alone)
    assert int(with_branches["outlets"].sum()) == 1443
    assert int(with_branches["outlets"].min()) >= 2
    # Counted by location, independently: one-stop points in each county.
    one_stop = registry.loc[registry["kind"].isin(["government", "bank"])]
    where = county_of(one_stop.geometry.x, one_stop.geometry.y, counties=counties)
    counts = pd.Series(np.asarray(where, dtype=object)).value_counts()
    expected = with_branches["adcode"].map(counts).fillna(0).astype(int)
    assert with_branches["outlets"].tolist() == expected.tolist()


@pytest.mark.parametrize("task", [None, "reset_card_pin", "transit_topup"])
def test_coverage_figures_unchanged_by_branches(
    registry: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    coarse: Demand,
    task: str | None,
) -> None:
    with_branches = coverage_report(registry, counties, demand=coarse, task=task)
    alone = coverage_report(outlets, counties, demand=coarse, task=task)
    pd.testing.assert_frame_equal(with_branches.counties, alone.counties)
    pd.testing.assert_frame_equal(with_branches.cities, alone.cities)
    assert with_branches.province == alone.province
    np.testing.assert_array_equal(with_branches.distance_km, alone.distance_km)
    if task is None:
        assert with_branches.province["outlets"] == 1443
        assert with_branches.province["branches"] == 0


def test_transit_topup_outlets_are_443(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    inputs = PlanningInputs.build(registry, counties, task="transit_topup")
    assert inputs.counted.size == 443


def test_mismatches_list_one_stop_outlets_only(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    # A branch declaring the wrong county is not a one-stop figure: it is not listed.
    broken = registry.copy()
    branch = int(np.flatnonzero((broken["kind"] == "branch").to_numpy())[0])
    outlet = int(np.flatnonzero((broken["kind"] == "government").to_numpy())[0])
    for row in (branch, outlet):
        broken.iloc[row, broken.columns.get_loc("county_adcode")] = "140000"
    found = mismatches(broken, counties)
    assert found["id"].tolist() == [str(broken["id"].iloc[outlet])]


def test_own_bank_task_coverage_reaches_ordinary_branches(
    registry: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    coarse: Demand,
) -> None:
    keywords = {"demand": coarse, "task": "activate_finance", "bank": "招商银行"}
    with_branches = coverage_report(registry, counties, **keywords)
    alone = coverage_report(outlets, counties, **keywords)
    assert with_branches.province["covered_population"] > alone.province["covered_population"]
    assert with_branches.province["branches"] > 0
    # The rule still counts one-stop outlets of the bank, not its ordinary branches.
    pd.testing.assert_frame_equal(
        county_rule(registry, counties, task="activate_finance", bank="招商银行"),
        county_rule(outlets, counties, task="activate_finance", bank="招商银行"),
    )


# --- 65+ shown once where it repeats all residents (issue 12 §1) ------------------------------


def test_coinciding_65plus_on_hand_made_county_tables():
    table = pd.DataFrame(
        {
            "adcode": ["1", "2", "3"],
            "population_65plus": [10.0, 20.0, 5.0],  # counts differ from all residents
            "covered_population_65plus": [5.0, 2.0, 5.0],
            "covered_share": [0.5, 0.1, 1.0],
            "covered_share_65plus": [0.5, 0.1, 1.0],
            "mean_km": [2.0, 9.5, np.inf],
            "mean_km_65plus": [2.0, 9.5, np.inf],
            "share_within_5km": [0.5, 0.1, 1.0],
            "share_65plus_within_5km": [0.5, 0.1, 1.0],
        }
    )
    assert coinciding_65plus(table) == {
        "covered_share_65plus": "covered_share",
        "mean_km_65plus": "mean_km",
        "share_65plus_within_5km": "share_within_5km",
    }
    # One county differs in one figure: every 65+ column stays.
    assert coinciding_65plus(table.assign(mean_km_65plus=[2.0, 9.6, np.inf])) == {}
    assert coinciding_65plus(table.assign(covered_share_65plus=[0.5, 0.1, 0.9])) == {}


def _points_without_65plus(coarse: Demand) -> pd.DataFrame:
    return pd.DataFrame({"lon": coarse.lon, "lat": coarse.lat, "population": coarse.population})


def test_65plus_placed_like_all_residents_is_shown_once_in_the_json(outlets, counties, coarse):
    points = demand_from_points(_points_without_65plus(coarse), counties)
    report = coverage_report(outlets, counties, demand=points)
    same = report.repeated_65plus
    assert same["covered_share_65plus"] == "covered_share"
    assert same["mean_km_65plus"] == "mean_km"
    counties_table = report.counties
    for older, everyone in same.items():  # what is left out is indeed the same figure
        np.testing.assert_allclose(counties_table[older], counties_table[everyone], rtol=1e-9)
    data = json.loads(report.to_json())
    assert data["county_65plus_same_as"] == same
    county = data["counties"][0]
    assert not set(same) & set(county)
    assert {"covered_share", "mean_km", "covered_population_65plus"} <= set(county)
    assert "covered_share_65plus" in data["cities"][0]  # cities differ: kept
    assert list(report.counties_once.columns) == [c for c in counties_table if c not in same]


def test_65plus_by_the_census_estimate_differs_and_is_shown(outlets, counties, coarse):
    report = coverage_report(outlets, counties, demand=coarse)
    table = report.counties
    differs = ~np.isclose(table["covered_share_65plus"], table["covered_share"], rtol=1e-9)
    assert differs.sum() > len(table) / 2  # the rural/urban estimate: most counties differ
    assert report.repeated_65plus == {}
    data = json.loads(report.to_json())
    assert data["county_65plus_same_as"] == {}
    assert "covered_share_65plus" in data["counties"][0]
