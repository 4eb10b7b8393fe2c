"""Coverage per partner bank (`locator.planning.bank_coverage`) against brute force, and its CLI."""

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
from locator.planning.demand import Demand, estimate_demand


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


def test_county_65plus_shown_once_where_placed_like_all_residents(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    from locator.planning.demand import demand_from_points

    bank, radius = "招商银行", 3.0
    branches = registry.loc[registry["bank"] == bank]
    near = brute_covered(coarse, branches, radius)
    # A county where one cell is within reach of the bank and another is not.
    county = next(c for c in np.unique(coarse.county) if len({*near[coarse.county == c]}) == 2)
    inside = np.flatnonzero((coarse.county == county) & near)[0]
    outside = np.flatnonzero((coarse.county == county) & ~near)[0]
    points = pd.DataFrame(
        {
            "lon": coarse.lon[[inside, outside]],
            "lat": coarse.lat[[inside, outside]],
            "population": [100.0, 300.0],
        }
    )
    # No 65+ column: each point's 65+ are its county's share of its residents.
    same = coverage_by_bank(
        registry, counties, demand=demand_from_points(points, counties), radius_km=radius
    )
    row = same.counties.set_index(["bank", "adcode"]).loc[(bank, county)]
    assert row["covered_share"] == pytest.approx(100 / 400)  # by hand
    assert row["covered_share_65plus"] == pytest.approx(100 / 400)
    assert same.repeated_65plus == {"covered_share_65plus": "covered_share"}
    document = json.loads(same.to_json())
    assert document["county_65plus_same_as"] == {"covered_share_65plus": "covered_share"}
    for part in ("counties", "uncovered"):
        assert document[part] and all("covered_share_65plus" not in r for r in document[part])
        assert all("covered_population_65plus" in r for r in document[part])  # a count
    assert all("covered_share_65plus" in r for r in document["banks"])  # the province's
    assert "covered_share_65plus" not in same.counties_once
    # The older residents where the bank is not: the shares differ, and both are shown.
    older = points.assign(population_65plus=[10.0, 90.0])
    apart = coverage_by_bank(
        registry, counties, demand=demand_from_points(older, counties), radius_km=radius
    )
    row = apart.counties.set_index(["bank", "adcode"]).loc[(bank, county)]
    assert row["covered_share_65plus"] == pytest.approx(10 / 100)
    document = json.loads(apart.to_json())
    assert document["county_65plus_same_as"] == {}
    assert all("covered_share_65plus" in r for r in document["counties"])


# --- the command line ----------------------------------------------------------------------


def test_cli_coverage_by_bank_csv_and_json(
    tmp_path: Path, registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    path = tmp_path / "banks.csv"
    assert main(["coverage", "--by", "bank", "--cell-area-km2", "25", "-o", str(path)]) == 0
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str})
    assert set(table["bank"]) == set(BANK_NAMES)
    assert len(table) == 16 * 117
    assert table["sample_data"].all()  # the shipped sample says so in every output
    out = tmp_path / "coverage.json"
    assert main(["coverage", "--by", "bank", "--cell-area-km2", "25", "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["province"]["outlets"] == 1443
    assert document["sample"] is True
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


def test_coverage_by_bank_refuses_a_road_network(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, coarse: Demand
) -> None:
    from locator.planning.inputs import PlanningInputs
    from locator.planning.network import RoadNetwork

    roads = RoadNetwork.from_arrays(
        [112.50, 112.51, 112.52], [37.8, 37.8, 37.8], [0, 1, 1, 2], [1, 0, 2, 1]
    )
    inputs = PlanningInputs.build(registry, counties, demand=coarse, network=roads)
    with pytest.raises(ValidationError, match=r"network given: coverage by bank measures straight"):
        coverage_by_bank(inputs)


def test_coverage_by_bank_refuses_a_network_keyword_before_building_the_inputs(
    registry: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    coarse: Demand,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from locator.planning.inputs import PlanningInputs
    from locator.planning.network import RoadNetwork

    roads = RoadNetwork.from_arrays(
        [112.50, 112.51, 112.52], [37.8, 37.8, 37.8], [0, 1, 1, 2], [1, 0, 2, 1]
    )

    def build(*args: object, **kwargs: object) -> PlanningInputs:
        raise AssertionError("the inputs were built before the network was refused")

    monkeypatch.setattr(PlanningInputs, "build", build)
    for network in (roads, "shanxi.osm.pbf"):
        with pytest.raises(ValidationError, match=r"^network given: .* straight lines"):
            coverage_by_bank(registry, counties, demand=coarse, network=network)


def test_cli_coverage_by_bank_with_network_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    extract = tmp_path / "shanxi.osm.pbf"  # never read: refused before
    for argv in (["--network", str(extract)], ["--network", str(extract), "--format", "json"]):
        code = main(["coverage", "--by", "bank", "--cell-area-km2", "25", *argv])
        out, err = capsys.readouterr()
        assert code == 2 and out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, err
        assert "--network" in lines[0] and "straight lines" in lines[0]
