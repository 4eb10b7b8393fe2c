"""Coverage per partner bank against brute force; one-stop figures unchanged by the branch layer."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from locator import datasets
from locator._errors import ValidationError
from locator.banks import BANK_NAMES
from locator.cli import main
from locator.counties import county_of
from locator.distance import haversine_km
from locator.planning.bank_coverage import UNCOVERED_SHARE, coverage_by_bank
from locator.planning.coverage import county_rule, coverage_report, mismatches
from locator.planning.demand import Demand, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import suggest_closures, suggest_sites


@pytest.fixture(scope="module")
def registry() -> gpd.GeoDataFrame:
    """Both shipped layers: the 1,443 one-stop outlets and the ordinary branches."""
    return datasets.registry()


@pytest.fixture(scope="module")
def coarse(counties: gpd.GeoDataFrame) -> Demand:
    """A 25 km² grid: about 6,300 cells, small enough for brute force."""
    return estimate_demand(counties, cell_area_km2=25.0)


def brute_covered(demand: Demand, branches: gpd.GeoDataFrame, radius_km: float) -> np.ndarray:
    """Whether each cell lies within radius_km of one of the branches: every pair measured."""
    d = haversine_km(
        demand.lon[:, None], demand.lat[:, None], branches.geometry.x.to_numpy()[None, :],
        branches.geometry.y.to_numpy()[None, :],
    )  # fmt: skip
    nearest = d.min(axis=1)
    # No cell sits on the edge, where the index's chord and the haversine might round apart.
    assert not np.any(np.abs(nearest - radius_km) < 1e-6)
    return nearest <= radius_km


# --- the published figures, with the branch layer in the registry ------------------------------


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


def test_registry_of_branches_only_is_refused(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    branches = registry.loc[registry["kind"] == "branch"]
    with pytest.raises(ValidationError, match=r"outlets holds no one-stop outlet.*registry\(\)"):
        PlanningInputs.build(branches, counties)


def test_closures_close_one_stop_outlets_only(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    shut = suggest_closures(
        registry, counties, demand=coarse, close=30, task="activate_finance", bank="农商行"
    )
    assert len(shut) == 30
    kinds = registry.set_index(registry["id"].astype(str)).loc[shut["id"], "kind"]
    assert set(kinds) <= {"bank"}


def test_new_sites_keep_the_published_baseline(
    registry: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    coarse: Demand,
) -> None:
    with_branches = suggest_sites(registry, counties, demand=coarse, new=5)
    alone = suggest_sites(outlets, counties, demand=coarse, new=5)
    pd.testing.assert_frame_equal(
        pd.DataFrame(with_branches.drop(columns="geometry")),
        pd.DataFrame(alone.drop(columns="geometry")),
    )
    assert with_branches.attrs["suitable_outlets"] == 1443


# --- coverage by bank ------------------------------------------------------------------------


def test_coverage_by_bank_matches_brute_force(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    radius = 5.0
    found = coverage_by_bank(registry, counties, demand=coarse, radius_km=radius)
    assert found.banks["bank"].tolist() == list(BANK_NAMES)
    cells = pd.DataFrame(
        {
            "county": np.asarray(coarse.county, dtype=str),
            "population": coarse.population,
            "older": coarse.population_65plus,
        }
    )
    names = dict(
        zip(counties["adcode"].astype(str), counties["city_adcode"].astype(str), strict=True)
    )
    cells["city"] = cells["county"].map(names)
    for bank in BANK_NAMES:
        branches = registry.loc[registry["bank"] == bank]
        assert len(branches) > 0
        near = brute_covered(coarse, branches, radius)
        mine = found.counties.loc[found.counties["bank"] == bank].set_index("adcode")
        per_county = cells.loc[near].groupby("county")[["population", "older"]].sum()
        expected = per_county.reindex(mine.index).fillna(0.0)
        np.testing.assert_allclose(mine["covered_population"], expected["population"], atol=1e-6)
        np.testing.assert_allclose(mine["covered_population_65plus"], expected["older"], atol=1e-6)
        city = found.cities.loc[found.cities["bank"] == bank].set_index("city_adcode")
        per_city = cells.loc[near].groupby("city")["population"].sum().reindex(city.index)
        np.testing.assert_allclose(city["covered_population"], per_city.fillna(0.0), atol=1e-6)
        province = found.banks.set_index("bank").loc[bank]
        assert province["covered_population"] == pytest.approx(cells.loc[near, "population"].sum())
        assert province["branches"] == len(branches)
        kinds = branches["kind"]
        assert province["one_stop_outlets"] == int(kinds.isin(["government", "bank"]).sum())
        share = province["covered_population"] / cells["population"].sum()
        assert province["covered_share"] == pytest.approx(share)


def test_coverage_by_bank_counts_branches_per_county(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    found = coverage_by_bank(registry, counties, demand=coarse, bank="晋商")
    assert found.banks["bank"].tolist() == ["晋商银行"]
    branches = registry.loc[registry["bank"] == "晋商银行"]
    where = pd.Series(
        np.asarray(county_of(branches.geometry.x, branches.geometry.y, counties=counties), object)
    )
    expected = found.counties["adcode"].map(where.value_counts()).fillna(0).astype(int)
    assert found.counties["branches"].tolist() == expected.tolist()


def test_uncovered_counties_are_those_most_residents_lack_a_branch(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    found = coverage_by_bank(registry, counties, demand=coarse, radius_km=3)
    left = found.uncovered("招行")
    assert len(left) > 0
    assert set(left["bank"]) == {"招商银行"}
    assert (left["covered_share"] < UNCOVERED_SHARE).all()
    assert left["uncovered_population"].is_monotonic_decreasing
    mine = found.counties.loc[found.counties["bank"] == "招商银行"]
    kept = mine.loc[mine["covered_share"] >= UNCOVERED_SHARE, "adcode"]
    assert not set(kept) & set(left["adcode"])
    assert len(left) + len(kept) == int(mine["population"].gt(0).sum())
    counts = found.banks.set_index("bank")["uncovered_counties"]
    assert counts["招商银行"] == len(left)
    assert int(counts.sum()) == len(found.uncovered())


def test_coverage_by_bank_refuses_a_one_stop_task(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    with pytest.raises(ValidationError, match=r"task 'reset_card_pin'.*no task or an own-bank"):
        coverage_by_bank(registry, counties, demand=coarse, task="reset_card_pin")


def test_coverage_by_bank_json_is_complete(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    found = coverage_by_bank(registry, counties, demand=coarse)
    document = json.loads(found.to_json())
    assert len(document["banks"]) == 16
    assert len(document["counties"]) == 16 * len(counties)
    assert len(document["uncovered"]) == len(found.uncovered())


# --- the command line ----------------------------------------------------------------------


def test_cli_coverage_by_bank_csv_and_json(
    tmp_path: Path, registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    path = tmp_path / "banks.csv"
    assert main(["coverage", "--by", "bank", "--cell-area-km2", "25", "-o", str(path)]) == 0
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str})
    assert set(table["bank"]) == set(BANK_NAMES)
    assert len(table) == 16 * 117
    out = tmp_path / "coverage.json"
    assert main(["coverage", "--by", "bank", "--cell-area-km2", "25", "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["province"]["outlets"] == 1443
    assert [row["bank"] for row in document["banks"]["banks"]] == list(BANK_NAMES)
    library = coverage_by_bank(registry, counties, demand=coarse).banks
    np.testing.assert_allclose(
        [row["covered_population"] for row in document["banks"]["banks"]],
        library["covered_population"],
        rtol=1e-9,
    )
    assert len(document["banks"]["uncovered"]) > 0
    plain = tmp_path / "plain.json"
    assert main(["coverage", "--cell-area-km2", "25", "-o", str(plain)]) == 0
    assert "banks" not in json.loads(plain.read_text(encoding="utf-8"))


def test_cli_coverage_by_bank_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--by", "bank", "--cell-area-km2", "25", "--radius-km", "3"]) == 0
    out = capsys.readouterr().out
    for bank in BANK_NAMES:
        assert bank in out
    assert "uncovered" in out


def test_cli_coverage_by_bank_refuses_a_one_stop_task(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["coverage", "--by", "bank", "--task", "reset_card_pin", "--cell-area-km2", "25"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--task" in err and "Traceback" not in err
