"""Tests of locator.planning.access: E2SFCA against PySAL access and a dense NumPy pass."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from inequality.gini import Gini

from locator import datasets
from locator._errors import DataFileError, ValidationError
from locator.cli import main
from locator.cli._common import SAMPLE_WARNING
from locator.distance import haversine_km
from locator.planning.access import (
    Accessibility,
    accessibility,
    e2sfca,
    gini,
    lorenz,
    outlet_capacity,
)
from locator.planning.demand import Demand, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.registry import load_outlets, write_outlets


def _fig(result: Accessibility, key: str) -> float:
    value = result.equity[key]
    assert value is not None
    return value


def _small_case(seed: int = 0) -> tuple[gpd.GeoDataFrame, Demand, gpd.GeoDataFrame]:
    counties = datasets.counties()
    taiyuan = counties[counties["city"] == "太原市"]
    rng = np.random.default_rng(seed)
    lon = rng.uniform(112.4, 112.7, 40)
    lat = rng.uniform(37.7, 37.95, 40)
    demand = Demand(
        lon=lon,
        lat=lat,
        population=rng.integers(0, 5000, 40).astype(float),
        population_65plus=rng.integers(0, 500, 40).astype(float),
        county=np.array(["140105"] * 40, dtype=object),
        cell_size_m=None,
        source="test",
    )
    outlets = datasets.outlets()
    near = outlets.cx[112.45:112.65, 37.75:37.9].head(12).copy()
    near["capacity"] = rng.integers(1, 5, len(near)).astype(float)
    return near, demand, taiyuan


def _dense(near: gpd.GeoDataFrame, demand: Demand, radius_km: float) -> np.ndarray:
    """E2SFCA written out on the full cell × outlet matrix, independently of the module."""
    d = haversine_km(
        demand.lon[:, None], demand.lat[:, None], near.geometry.x.to_numpy(), near.geometry.y
    )
    w = np.where(d <= radius_km, np.exp(-(d**2) / (2 * (radius_km / 2) ** 2)), 0.0)
    supply = near["capacity"].to_numpy()
    with np.errstate(divide="ignore"):
        r = supply / (demand.population @ w)
    r[~np.isfinite(r)] = 0.0
    return w @ r * 10_000


# PySAL access 1.1.10 calls set_index(inplace=True), which pandas 3.1 deprecates.
@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_e2sfca_matches_dense_numpy_and_pysal_access() -> None:
    near, demand, taiyuan = _small_case()
    inputs = PlanningInputs.build(near, taiyuan, demand=demand, radius_km=4.0)
    result = accessibility(inputs)
    expected = _dense(near, demand, 4.0)
    assert (expected > 0).any() and (expected == 0).any()
    np.testing.assert_allclose(result.per_cell, expected, rtol=1e-9, atol=1e-12)

    d = haversine_km(
        demand.lon[:, None], demand.lat[:, None], near.geometry.x.to_numpy(), near.geometry.y
    )
    cost = pd.DataFrame(
        [(i, j, d[i, j]) for i in range(d.shape[0]) for j in range(d.shape[1])],
        columns=["origin", "dest", "cost"],
    )
    pysal = Access(
        demand_df=pd.DataFrame({"cell": range(len(demand)), "pop": demand.population}),
        demand_index="cell",
        demand_value="pop",
        supply_df=pd.DataFrame({"outlet": range(len(near)), "cap": near["capacity"].to_numpy()}),
        supply_index="outlet",
        supply_value="cap",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    pysal.enhanced_two_stage_fca(weight_fn=weights.gaussian(2.0), max_cost=4.0)
    theirs = pysal.access_df["e2sfca_cap"].reindex(range(len(demand))).fillna(0.0).to_numpy()
    np.testing.assert_allclose(result.per_cell, theirs * 10_000, rtol=1e-9, atol=1e-12)


def test_aggregates_are_population_weighted_and_conserve_counters() -> None:
    near, demand, taiyuan = _small_case(1)
    inputs = PlanningInputs.build(near, taiyuan, demand=demand, radius_km=50.0)
    result = accessibility(inputs)
    # Every cell reaches every outlet at 50 km: all counters are shared out exactly once.
    total = float((result.per_cell * demand.population).sum() / 10_000)
    assert total == pytest.approx(near["capacity"].sum())
    row = result.counties.set_index("adcode").loc["140105"]
    expected = np.average(result.per_cell, weights=demand.population)
    assert row["access_per_10k"] == pytest.approx(expected)
    assert row["population"] == pytest.approx(demand.population.sum())
    assert result.cities.set_index("city").loc["太原市", "access_per_10k"] == pytest.approx(
        expected
    )
    assert result.province == pytest.approx(expected)
    assert _fig(result, "access_65plus_per_10k") == pytest.approx(
        np.average(result.per_cell, weights=demand.population_65plus)
    )


def test_gini_and_lorenz_hand_cases_and_pysal_inequality() -> None:
    assert gini(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4)) == pytest.approx(0.75)
    assert gini(np.full(5, 3.0), np.arange(1.0, 6.0)) == pytest.approx(0.0)
    # Weights are repetitions: weight 2 equals listing the value twice.
    assert gini(np.array([1.0, 4.0]), np.array([2.0, 1.0])) == pytest.approx(
        gini(np.array([1.0, 1.0, 4.0]), np.ones(3))
    )
    values = np.random.default_rng(3).gamma(2.0, size=200)
    assert gini(values, np.ones(200)) == pytest.approx(Gini(values).g)
    x, y = lorenz(values, np.ones(200))
    assert x[0] == y[0] == 0 and x[-1] == y[-1] == pytest.approx(1.0)
    assert (np.diff(y) >= 0).all() and (y <= x + 1e-12).all()


def test_worst_served_tenth_is_the_lowest_access() -> None:
    per_cell = np.array([5.0, 1.0, 3.0, 0.5, 2.0])
    population = np.full(5, 1.0)
    cell = np.array([0, 1, 2, 3, 4])
    assert e2sfca(cell, cell, np.zeros(5), population, per_cell, 1.0) == pytest.approx(per_cell)
    counties = datasets.counties()
    inputs = PlanningInputs.build(
        datasets.outlets(), counties, demand=estimate_demand(counties, cell_area_km2=100)
    )
    result = accessibility(inputs)
    pop = np.asarray(inputs.demand.population)
    below = pop[result.per_cell < _fig(result, "worst10_threshold_per_10k")].sum()
    assert below <= 0.1 * pop.sum()
    at_or_below = pop[result.per_cell <= _fig(result, "worst10_threshold_per_10k")].sum()
    assert at_or_below >= 0.1 * pop.sum()
    assert 0 < _fig(result, "gini_access") < 1
    assert 0 < _fig(result, "gini_distance") < 1


@pytest.mark.parametrize("bad", [0, -2, "many"])
def test_capacity_zero_negative_or_text_is_refused_naming_the_outlet(bad: object) -> None:
    outlets = datasets.outlets().head(3).copy()
    outlets["capacity"] = pd.Series([2, bad, None], index=outlets.index, dtype=object)
    with pytest.raises(ValidationError, match=rf"capacity of outlet {outlets['id'].iloc[1]}"):
        outlet_capacity(outlets)


def test_capacity_blank_takes_the_kind_default_and_override() -> None:
    outlets = datasets.outlets()
    kinds = outlets["kind"].to_numpy()
    capacity = outlet_capacity(outlets)
    assert (capacity[kinds == "government"] == 3).all() and (capacity[kinds == "bank"] == 1).all()
    capacity = outlet_capacity(outlets, default_by_kind={"government": 5, "bank": 2})
    assert (capacity[kinds == "government"] == 5).all() and (capacity[kinds == "bank"] == 2).all()
    with pytest.raises(ValidationError, match=r"default_by_kind\['bank'\]"):
        outlet_capacity(outlets, default_by_kind={"bank": 0})


# --- the command line ---------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def registry_with_capacity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped registry, sample marks off, with a capacity column (blank on most rows)."""
    outlets = datasets.registry().drop(columns="sample")
    outlets["capacity"] = np.where(outlets["kind"] == "government", 4.0, np.nan)
    outlets.attrs["metadata"] = {}
    return write_outlets(
        outlets, tmp_path_factory.mktemp("access") / "outlets.geojson", metadata={}
    )


def test_cli_json_and_csv_equal_the_library(
    capsys: pytest.CaptureFixture[str], registry_with_capacity: Path, tmp_path: Path
) -> None:
    argv = ["access", "--outlets", str(registry_with_capacity), "--cell-area-km2", "100"]
    code, out, err = _run(capsys, *argv, "--capacity-default", "bank=2", "--format", "json")
    assert code == 0 and err == ""
    document = json.loads(out)
    counties = datasets.counties()
    inputs = PlanningInputs.build(
        load_outlets(registry_with_capacity),
        counties,
        demand=estimate_demand(counties, cell_area_km2=100),
    )
    expected = accessibility(inputs, capacity_by_kind={"government": 3, "bank": 2, "branch": 1})
    assert document["province"]["province_access_per_10k"] == pytest.approx(expected.province)
    assert document["province"]["gini_access"] == pytest.approx(expected.equity["gini_access"])
    assert [c["access_per_10k"] for c in document["counties"]] == pytest.approx(
        expected.counties["access_per_10k"].tolist()
    )
    assert [c["gini_distance"] for c in document["cities"]] == pytest.approx(
        expected.cities["gini_distance"].tolist()
    )
    # The government outlets' own capacity (4) counts, not the default (3) nor bank's 2.
    other = accessibility(inputs, capacity_by_kind={"government": 9, "bank": 2, "branch": 1})
    assert other.province == pytest.approx(expected.province)
    assert accessibility(inputs).province < expected.province
    output = tmp_path / "access.csv"
    code, _, _ = _run(
        capsys, *argv, "--by", "city", "--capacity-default", "bank=2", "-o", str(output)
    )
    assert code == 0
    table = pd.read_csv(output, encoding="utf-8-sig")
    assert table["access_per_10k"].tolist() == pytest.approx(
        expected.cities["access_per_10k"].tolist()
    )
    assert table["gini_distance"].tolist() == pytest.approx(
        expected.cities["gini_distance"].tolist()
    )


def test_cli_table_marks_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "access", "--cell-area-km2", "100")
    assert code == 0 and SAMPLE_WARNING in err
    assert "Gini of access" in out and "太原市" in out
    code, out, _ = _run(capsys, "access", "--cell-area-km2", "100", "--by", "city")
    header = next(line for line in out.splitlines() if line.startswith("city"))
    assert header.split() == ["city", "population", "access_per_10k", "gini_access", "gini_distance"]  # fmt: skip
    code, out, _ = _run(capsys, "access", "--cell-area-km2", "100", "--format", "csv")
    assert out.splitlines()[1].startswith("True,")


@pytest.mark.parametrize("item", ["bank=0", "bank=-1", "bank=many", "=2"])
def test_cli_bad_capacity_default_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], item: str
) -> None:
    code, out, err = _run(capsys, "access", "--capacity-default", item)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "--capacity-default" in err and "above 0" in err


def test_cli_zero_capacity_in_the_registry_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outlets = datasets.outlets().drop(columns="sample")
    outlets["capacity"] = np.nan
    outlets.loc[outlets.index[5], "capacity"] = 0
    outlets.attrs["metadata"] = {}
    path = write_outlets(outlets, tmp_path / "zero.geojson", metadata={})
    code, out, err = _run(capsys, "access", "--outlets", str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # The loader stops it first, naming the file's feature (the 6th).
    assert "feature 6: capacity 0.0" in err and "above 0" in err


@pytest.mark.parametrize("bad", [0, -1, "3", True])
def test_registry_loader_refuses_a_capacity_not_above_zero(tmp_path: Path, bad: object) -> None:
    outlets = datasets.outlets().head(4).drop(columns="sample")
    document = json.loads(outlets.to_json())
    document["features"][2]["properties"]["capacity"] = bad
    document["features"][1]["properties"]["capacity"] = 2
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"capacity .* above 0"):
        load_outlets(path)
    document["features"][2]["properties"]["capacity"] = None
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_outlets(path)["capacity"].tolist()[:3] == pytest.approx(
        [np.nan, 2.0, np.nan], nan_ok=True
    )


def test_rural_and_urban_residents_split_the_province_mean() -> None:
    counties = datasets.counties()
    demand = estimate_demand(counties, cell_area_km2=100)
    assert demand.population_rural is not None
    rural = np.asarray(demand.population_rural)
    assert rural.sum() == pytest.approx(counties["rural_population"].sum(), rel=1e-6)
    result = accessibility(PlanningInputs.build(datasets.outlets(), counties, demand=demand))
    urban = np.asarray(demand.population) - rural
    assert _fig(result, "access_rural_per_10k") == pytest.approx(
        np.average(result.per_cell, weights=rural)
    )
    mixed = (
        _fig(result, "access_rural_per_10k") * rural.sum()
        + _fig(result, "access_urban_per_10k") * urban.sum()
    ) / (rural.sum() + urban.sum())
    assert mixed == pytest.approx(result.province)
    city_of = dict(zip(counties["adcode"], counties["city"], strict=True))
    city = pd.Series(demand.county).map(city_of).to_numpy()
    taiyuan = city == "太原市"
    expected = gini(result.per_cell[taiyuan], np.asarray(demand.population)[taiyuan])
    assert result.cities.set_index("city").loc["太原市", "gini_access"] == pytest.approx(expected)
    # A raster or points do not tell rural residents apart: no figure rather than a guess.
    near, points, taiyuan_layer = _small_case()
    small = accessibility(PlanningInputs.build(near, taiyuan_layer, demand=points, radius_km=4.0))
    assert small.equity["access_rural_per_10k"] is None


def _gini_sorted(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini by the sorted cumulative formula: 1 - Σ w_i (L_i + L_(i-1)).

    ``w`` the weight shares, ``L`` the cumulative share of ``values × weights`` in
    ascending order of the values.
    """
    order = np.argsort(values)
    share = weights[order] / weights.sum()
    cumulative = np.cumsum(values[order] * share) / np.sum(values[order] * share)
    before = np.concatenate([[0.0], cumulative[:-1]])
    return float(1.0 - np.sum(share * (cumulative + before)))


def _gini_pairs(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Gini as the mean difference: Σ w_i w_j |x_i - x_j| / (2 W² mean)."""
    mean = np.average(values, weights=weights)
    spread = np.abs(values[:, None] - values[None, :]) * weights[:, None] * weights[None, :]
    return float(spread.sum() / (2 * weights.sum() ** 2 * mean))


def test_gini_of_distance_per_city_against_an_independent_gini() -> None:
    counties = datasets.counties()
    demand = estimate_demand(counties, cell_area_km2=100)
    outlets = datasets.outlets()
    inputs = PlanningInputs.build(outlets, counties, demand=demand, detour_factor=1.2)
    result = accessibility(inputs)
    # The distance to the nearest outlet by brute force, not the planning inputs' own pass.
    lon, lat = np.asarray(demand.lon), np.asarray(demand.lat)
    x, y = outlets.geometry.x.to_numpy(), outlets.geometry.y.to_numpy()
    nearest = np.concatenate(
        [
            haversine_km(lon[i : i + 500, None], lat[i : i + 500, None], x, y).min(axis=1)
            for i in range(0, lon.size, 500)
        ]
    )
    distance = nearest * 1.2
    population = np.asarray(demand.population, dtype=float)
    city = pd.Series(demand.county).map(
        dict(zip(counties["adcode"], counties["city"], strict=True))
    )
    by_city = result.cities.set_index("city")["gini_distance"]
    assert len(by_city) == 11
    for name in by_city.index:
        mine = (city == name).to_numpy()
        expected = _gini_sorted(distance[mine], population[mine])
        assert by_city[name] == pytest.approx(expected, rel=1e-9)
        assert by_city[name] == pytest.approx(_gini_pairs(distance[mine], population[mine]))
        assert 0 < by_city[name] < 1
    assert _fig(result, "gini_distance") == pytest.approx(_gini_sorted(distance, population))
    assert by_city.round(6).nunique() > 1  # a figure per city, not the province's repeated
    document = result.to_dict()
    assert [c["gini_distance"] for c in document["cities"]] == pytest.approx(by_city.tolist())


def _two_cells(north: float, south: float) -> Accessibility:
    """One outlet in 太原市; 100 residents ``north`` and 300 ``south`` of it (degrees)."""
    counties = datasets.counties()
    taiyuan = counties[counties["city"] == "太原市"]
    one = datasets.outlets().cx[112.45:112.65, 37.75:37.9].head(1)
    x0, y0 = float(one.geometry.x.iloc[0]), float(one.geometry.y.iloc[0])
    # Along a meridian the great-circle distance is the latitude difference (× R).
    demand = Demand(
        lon=np.array([x0, x0]),
        lat=np.array([y0 + north, y0 - south]),
        population=np.array([100.0, 300.0]),
        population_65plus=np.array([10.0, 30.0]),
        county=np.array(["140105", "140105"], dtype=object),
        cell_size_m=None,
        source="test",
    )
    return accessibility(PlanningInputs.build(one, taiyuan, demand=demand, radius_km=10.0))


def test_gini_of_distance_hand_cases_equal_distances_give_zero() -> None:
    def gini_distance(north: float, south: float) -> tuple[float, float]:
        result = _two_cells(north, south)
        city = result.cities.set_index("city").loc["太原市", "gini_distance"]
        return city, _fig(result, "gini_distance")

    city, province = gini_distance(0.02, 0.02)
    assert city == pytest.approx(0.0, abs=1e-9) and province == pytest.approx(0.0, abs=1e-9)
    # Distances d (100 residents) and 2d (300): Σ w_i w_j |x_i - x_j| / (2 W² mean)
    # = 100 · 300 · d / (400 · (100 d + 600 d)) = 3 / 28.
    city, province = gini_distance(0.02, 0.04)
    assert city == pytest.approx(3 / 28, rel=1e-6) and province == pytest.approx(3 / 28, rel=1e-6)


def test_lorenz_curve_of_distance_hand_case_per_city_and_province() -> None:
    document = _two_cells(0.02, 0.04).to_dict()
    # Sorted by distance: the 100 residents at d hold 100 d of 700 d (a quarter of the
    # residents, 1/7 of the distance), the 300 at 2d the rest; straight in between.
    at = np.array(document["lorenz"]["residents_share"])
    expected = np.where(at <= 0.25, at * 4 / 7, 1 / 7 + (at - 0.25) / 0.75 * 6 / 7)
    assert document["lorenz"]["distance_share"] == pytest.approx(expected.tolist())
    assert document["lorenz_by_city"]["太原市"]["distance_share"] == pytest.approx(
        expected.tolist()
    )
    # Equal distances: the curve is the diagonal.
    equal = _two_cells(0.02, 0.02).to_dict()["lorenz"]
    assert equal["distance_share"] == pytest.approx(equal["residents_share"])


def test_lorenz_curves_by_city_agree_with_each_citys_gini() -> None:
    counties = datasets.counties()
    inputs = PlanningInputs.build(
        datasets.outlets(), counties, demand=estimate_demand(counties, cell_area_km2=100)
    )
    result = accessibility(inputs)
    document = result.to_dict()
    assert set(document["lorenz_by_city"]) == set(result.cities["city"])
    x = np.array(document["lorenz"]["residents_share"])
    for row in result.cities.itertuples():
        for kind in ("access", "distance"):
            y = np.array(document["lorenz_by_city"][row.city][f"{kind}_share"])
            assert y[0] == 0 and y[-1] == pytest.approx(1) and np.all(np.diff(y) >= -1e-12)
            assert np.all(y <= x + 1e-12)  # below the diagonal
            # Twice the area to the diagonal, at 21 points: the Gini to a few hundredths.
            area_gini = 1 - np.sum(np.diff(x) * (y[1:] + y[:-1]))
            assert area_gini == pytest.approx(getattr(row, f"gini_{kind}"), abs=0.03)


def test_excel_report_access_sheets_hold_the_figures(
    capsys: pytest.CaptureFixture[str], registry_with_capacity: Path, tmp_path: Path
) -> None:
    import openpyxl

    output = tmp_path / "report.xlsx"
    argv = ["report", "--outlets", str(registry_with_capacity), "--cell-area-km2", "100"]
    code, _, _ = _run(capsys, *argv, "--lang", "en", "--access", "-o", str(output))
    assert code == 0
    book = openpyxl.load_workbook(output)
    assert {"Access", "Access by city", "Equity"} <= set(book.sheetnames)
    counties = datasets.counties()
    inputs = PlanningInputs.build(
        load_outlets(registry_with_capacity),
        counties,
        demand=estimate_demand(counties, cell_area_km2=100),
    )
    expected = accessibility(inputs)
    rows = list(book["Access"].iter_rows(values_only=True))
    header = list(rows[0])
    column = header.index("Counters per 10,000")
    assert [r[column] for r in rows[1:]] == pytest.approx(
        expected.counties["access_per_10k"].tolist()
    )
    equity = {r[0]: r[1] for r in book["Equity"].iter_rows(min_row=2, values_only=True)}
    assert equity["gini_access"] == pytest.approx(_fig(expected, "gini_access"))
    code, _, _ = _run(capsys, *argv, "-o", str(tmp_path / "plain.xlsx"))
    assert "可达性" not in openpyxl.load_workbook(tmp_path / "plain.xlsx").sheetnames


def test_coverage_json_access_part_equals_locator_access(
    capsys: pytest.CaptureFixture[str], registry_with_capacity: Path
) -> None:
    argv = ["--outlets", str(registry_with_capacity), "--cell-area-km2", "100", "--format", "json"]
    code, out, _ = _run(capsys, "coverage", *argv, "--access")
    assert code == 0
    document = json.loads(out)
    assert {"province", "counties", "access"} <= set(document)
    code, out, _ = _run(capsys, "access", *argv)
    assert document["access"] == json.loads(out)
    code, out, err = _run(capsys, "coverage", *argv[:-2], "--access")
    assert code == 2 and out == "" and "--format json" in err
    code, out, _ = _run(capsys, "coverage", *argv)
    assert "access" not in json.loads(out)


def test_planner_map_colours_counties_by_access() -> None:
    from locator.maps import planner_map
    from locator.planning.coverage import coverage_report

    counties = datasets.counties()
    inputs = PlanningInputs.build(
        datasets.outlets(), counties, demand=estimate_demand(counties, cell_area_km2=100)
    )
    result = accessibility(inputs)
    table = coverage_report(inputs).counties.merge(
        result.counties[["adcode", "access_per_10k"]], on="adcode", how="left"
    )
    html = planner_map(counties, table, metric="access_per_10k", options=None).get_root().render()
    assert "Service counters per 10,000" in html or "每万人服务窗口数" in html
    best = result.counties.sort_values("access_per_10k").iloc[-1]
    assert f"{best['access_per_10k']:,.2f}" in html


@pytest.mark.slow
def test_app_planner_shows_access_and_the_lorenz_curve() -> None:
    from streamlit.testing.v1 import AppTest

    from locator.i18n import t

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.query_params.update({"view": "planner"})
    at.run()
    assert not (at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"))
    at.selectbox(key="metric").set_value("access_per_10k").run()
    assert not at.exception, [e.message for e in at.exception]
    assert t("access_title") in [h.value for h in at.subheader]
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts  # the Lorenz curves: of access and of distance, both named in the chart
    drawn = charts[0].proto.SerializeToString()  # the series names are in its Arrow data
    assert t("access_share").encode() in drawn and t("access_distance_share").encode() in drawn
    counties = datasets.counties()
    radius = at.slider(key="radius").value
    assert isinstance(radius, float)
    expected = accessibility(
        PlanningInputs.build(
            datasets.registry(), counties, demand=estimate_demand(counties), radius_km=radius
        )
    )
    captions = " ".join(c.value for c in at.caption)
    assert f"{expected.province:.3f}" in captions
    assert f"{_fig(expected, 'gini_access'):.3f}" in captions
