"""Siting: the greedy core against brute force, and the adapters on the shipped data."""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from locator import datasets
from locator import settings as locator_settings
from locator._errors import DataFileError, ResourceLimitError, ValidationError
from locator.cli import main
from locator.counties import county_of
from locator.distance import haversine_km
from locator.planning.demand import Demand, estimate_demand
from locator.planning.siting import (
    DUPLICATE_KM,
    coverage_gain_curve,
    coverage_sets,
    greedy_close,
    greedy_max_cover,
    repair_rule,
    suggest_closures,
    suggest_sites,
    swap_improve,
)

# --- brute force, written independently of the module ------------------------------------


def covered_weight(dense: np.ndarray, weights: np.ndarray, rows, already=None) -> float:
    hit = np.zeros(dense.shape[1], dtype=bool) if already is None else already.copy()
    for r in rows:
        hit |= dense[r]
    return float(weights[hit].sum())


def best_subset(dense: np.ndarray, weights: np.ndarray, n: int, already=None) -> float:
    n = min(n, dense.shape[0])
    return max(
        covered_weight(dense, weights, rows, already)
        for rows in itertools.combinations(range(dense.shape[0]), n)
    )


def plain_greedy(dense: np.ndarray, weights: np.ndarray, n: int, already=None) -> list[int]:
    """Greedy recomputing every gain each round; ties to the smallest row."""
    hit = np.zeros(dense.shape[1], dtype=bool) if already is None else already.copy()
    chosen: list[int] = []
    for _ in range(min(n, len(dense))):
        gains = np.array(
            [-1.0 if r in chosen else weights[dense[r] & ~hit].sum() for r in range(len(dense))]
        )
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        chosen.append(best)
        hit |= dense[best]
    return chosen


def close_key(dense: np.ndarray, weights: np.ndarray, open_rows: list[int], r: int):
    """Loss on closing ``r``, minus the mean other open rows per covered weight, ``r``."""
    rest = [o for o in open_rows if o != r]
    loss = covered_weight(dense, weights, open_rows) - covered_weight(dense, weights, rest)
    others = dense[rest].sum(axis=0)
    reach = float(weights[dense[r]].sum())
    spare = float((weights * others)[dense[r]].sum()) / reach if reach else math.inf
    return loss, -spare, r


def plain_reverse_greedy(dense: np.ndarray, weights: np.ndarray, n: int) -> list[int]:
    """Least loss; among equal losses the most redundant row; then the smallest row."""
    open_rows = list(range(len(dense)))
    closed: list[int] = []
    for _ in range(min(n, len(dense))):
        pick = min(open_rows, key=lambda r: close_key(dense, weights, open_rows, r))
        open_rows.remove(pick)
        closed.append(pick)
    return closed


@st.composite
def instances(draw, *, disjoint: bool = False):
    n_rows = draw(st.integers(1, 7))
    n_cols = draw(st.integers(1, 10))
    weights = np.array(draw(st.lists(st.integers(0, 20), min_size=n_cols, max_size=n_cols)), float)
    if disjoint:
        owner = draw(st.lists(st.integers(-1, n_rows - 1), min_size=n_cols, max_size=n_cols))
        dense = np.zeros((n_rows, n_cols), dtype=bool)
        for col, row in enumerate(owner):
            if row >= 0:
                dense[row, col] = True
    else:
        flat = draw(st.lists(st.booleans(), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
        dense = np.array(flat, dtype=bool).reshape(n_rows, n_cols)
    n = draw(st.integers(0, n_rows))
    return dense, weights, n


# --- array core -------------------------------------------------------------------------


def test_coverage_sets_match_haversine():
    rng = np.random.default_rng(3)
    slon, slat = rng.uniform(112.0, 112.5, 40), rng.uniform(37.5, 38.0, 40)
    dlon, dlat = rng.uniform(111.9, 112.6, 500), rng.uniform(37.4, 38.1, 500)
    for detour in (1.0, 1.3):
        matrix = coverage_sets(slon, slat, dlon, dlat, 6.0, detour_factor=detour)
        distance = haversine_km(slon[:, None], slat[:, None], dlon[None, :], dlat[None, :])
        expected = distance * detour <= 6.0
        assert matrix.shape == (40, 500)
        assert (matrix.toarray() == expected).all()


def test_coverage_sets_empty_and_bad_radius():
    assert coverage_sets([], [], [112.0], [37.0], 5.0).shape == (0, 1)
    with pytest.raises(ValidationError, match="radius_km"):
        coverage_sets([112.0], [37.0], [112.0], [37.0], 0)
    with pytest.raises(ValidationError, match="detour_factor"):
        coverage_sets([112.0], [37.0], [112.0], [37.0], 5.0, detour_factor=-1)


def test_coverage_sets_too_large_to_hold_are_refused_before_they_are_built(monkeypatch):
    rng = np.random.default_rng(7)
    s_lon, s_lat = rng.uniform(112.0, 112.3, 40), rng.uniform(37.0, 37.3, 40)
    d_lon, d_lat = rng.uniform(112.0, 112.3, 500), rng.uniform(37.0, 37.3, 500)
    pairs = int(
        sum(
            (haversine_km(x, y, d_lon, d_lat) <= 8.0).sum()
            for x, y in zip(s_lon, s_lat, strict=True)
        )
    )
    assert pairs > 0
    # Under 1,000 sites every site is counted, so the bound is exact.
    monkeypatch.setattr(locator_settings, "max_coverage_pairs", pairs)
    assert coverage_sets(s_lon, s_lat, d_lon, d_lat, 8.0).nnz == pairs
    monkeypatch.setattr(locator_settings, "max_coverage_pairs", pairs - 1)
    with pytest.raises(ResourceLimitError, match=f"{pairs:,} pairs in all.*smaller radius_km"):
        coverage_sets(s_lon, s_lat, d_lon, d_lat, 8.0)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_greedy_is_plain_greedy_and_within_bound(case):
    dense, weights, n = case
    chosen, gains = greedy_max_cover(csr_matrix(dense), weights, n)
    assert chosen.tolist() == plain_greedy(dense, weights, n)
    value = covered_weight(dense, weights, chosen)
    assert math.isclose(float(gains.sum()), value)
    if n:
        assert value >= (1 - 1 / math.e) * best_subset(dense, weights, n) - 1e-9


@settings(max_examples=100, deadline=None)
@given(instances(disjoint=True))
def test_greedy_is_optimal_on_disjoint_sets(case):
    # With disjoint coverage sets the best n are the n heaviest: greedy is exact.
    dense, weights, n = case
    chosen, _ = greedy_max_cover(csr_matrix(dense), weights, n)
    if n:
        assert covered_weight(dense, weights, chosen) == best_subset(dense, weights, n)


@settings(max_examples=100, deadline=None)
@given(instances())
def test_greedy_first_pick_is_best_single(case):
    dense, weights, _ = case
    chosen, gains = greedy_max_cover(csr_matrix(dense), weights, 1)
    best = best_subset(dense, weights, 1)
    assert (gains.tolist() or [0.0])[0] == best
    assert chosen.size == (1 if best > 0 else 0)


@settings(max_examples=100, deadline=None)
@given(instances(), st.data())
def test_greedy_respects_already_covered_and_forbidden(case, data):
    dense, weights, n = case
    already = np.array(
        data.draw(st.lists(st.booleans(), min_size=dense.shape[1], max_size=dense.shape[1]))
    )
    forbidden = np.array(
        data.draw(st.lists(st.booleans(), min_size=dense.shape[0], max_size=dense.shape[0]))
    )
    chosen, gains = greedy_max_cover(
        csr_matrix(dense), weights, n, already_covered=already, forbidden=forbidden
    )
    assert not forbidden[chosen].any()
    allowed = np.flatnonzero(~forbidden)
    expected = [int(allowed[i]) for i in plain_greedy(dense[allowed], weights, n, already)]
    assert chosen.tolist() == expected
    assert math.isclose(
        float(gains.sum()),
        covered_weight(dense, weights, chosen, already) - float(weights[already].sum()),
        abs_tol=1e-9,
    )


@settings(max_examples=100, deadline=None)
@given(instances(), st.data())
def test_swaps_improve_greedy_to_a_local_optimum(case, data):
    dense, weights, n = case
    forbidden = np.array(
        data.draw(st.lists(st.booleans(), min_size=dense.shape[0], max_size=dense.shape[0]))
    )
    greedy, _ = greedy_max_cover(csr_matrix(dense), weights, n, forbidden=forbidden)
    better = swap_improve(csr_matrix(dense), weights, greedy, forbidden=forbidden)
    assert sorted(better.tolist()) == sorted(set(better.tolist()))
    assert len(better) == len(greedy) and not forbidden[better].any()
    value = covered_weight(dense, weights, better)
    assert value >= covered_weight(dense, weights, greedy)
    for k in range(len(better)):
        for j in np.flatnonzero(~forbidden):
            if j not in better:
                swapped = [*better[:k], j, *better[k + 1 :]]
                assert covered_weight(dense, weights, swapped) <= value
    # Ordered greedily among themselves: gains never rise.
    gains = [covered_weight(dense, weights, better[: k + 1]) for k in range(len(better))]
    steps = np.diff([0.0, *gains])
    assert (np.diff(steps) <= 0).all()


def test_swaps_fix_a_greedy_trap():
    # Greedy takes the middle row (3.5), then a side (+2): 5.5; the two sides make 6.
    dense = np.array([[0, 1, 1, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 1, 1]], dtype=bool)
    weights = np.array([2.0, 1.0, 1.5, 1.0, 2.0])
    greedy, _ = greedy_max_cover(csr_matrix(dense), weights, 2)
    assert covered_weight(dense, weights, greedy) < best_subset(dense, weights, 2)
    better = swap_improve(csr_matrix(dense), weights, greedy)
    assert covered_weight(dense, weights, better) == best_subset(dense, weights, 2) == 6.0
    with pytest.raises(ValidationError, match="distinct row numbers"):
        swap_improve(csr_matrix(dense), weights, [1, 1])


def test_greedy_ties_go_to_the_smaller_row():
    dense = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=bool)
    chosen, gains = greedy_max_cover(csr_matrix(dense), np.ones(4), 3)
    # Rows 0, 1 and 2 all cover 2 first: row 0 wins; then rows 1 and 2 both add 1.
    assert chosen.tolist() == [0, 1, 2]
    assert gains.tolist() == [2.0, 1.0, 1.0]


def test_greedy_rejects_bad_input():
    m = csr_matrix(np.eye(3, dtype=bool))
    with pytest.raises(ValidationError, match=r"n=-1 must be a whole number"):
        greedy_max_cover(m, np.ones(3), -1)
    with pytest.raises(ValidationError, match="weights has 2 values for 3"):
        greedy_max_cover(m, np.ones(2), 1)
    with pytest.raises(ValidationError, match=r"weights\[1\]"):
        greedy_max_cover(m, [1.0, -2.0, 1.0], 1)
    with pytest.raises(ValidationError, match="forbidden has 2 values"):
        greedy_max_cover(m, np.ones(3), 1, forbidden=[True, False])


def test_repair_fills_every_short_group():
    # Rows 0-2 in group 0, rows 3-4 in group 1, row 5 in none; group 0 short of 2, group 1 of 1.
    dense = np.array(
        [
            [1, 1, 0, 0, 0],
            [1, 1, 1, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 1, 0],
            [0, 0, 0, 1, 1],
            [1, 1, 1, 1, 1],
        ],
        dtype=bool,
    )
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    chosen, gains = repair_rule(csr_matrix(dense), weights, [0, 0, 0, 1, 1, -1], [2, 1])
    # Best first: row 4 (9), row 1 (6), then group 0 still needs one: row 0 adds nothing
    # new, nor does row 2, and the smaller row wins.
    assert chosen.tolist() == [4, 1, 0]
    assert gains.tolist() == [9.0, 6.0, 0.0]


def test_repair_reports_short_by_fewer_picks():
    chosen, _ = repair_rule(
        csr_matrix(np.eye(2, dtype=bool)), [1.0, 1.0], [0, 0], [3], forbidden=[False, True]
    )
    assert chosen.tolist() == [0]


@settings(max_examples=100, deadline=None)
@given(instances())
def test_close_is_plain_reverse_greedy(case):
    dense, weights, n = case
    chosen, losses = greedy_close(csr_matrix(dense), weights, n)
    assert chosen.tolist() == plain_reverse_greedy(dense, weights, n)
    total = covered_weight(dense, weights, range(len(dense)))
    left = [r for r in range(len(dense)) if r not in set(chosen.tolist())]
    assert math.isclose(total - float(losses.sum()), covered_weight(dense, weights, left))


def test_close_matches_best_pair_and_keeps_quota():
    # A chain 0-1-2-3 and a loner 4: 1 and 2 each cover nothing alone; closing both
    # uncovers column 2 (weight 1), the best pair.
    dense = np.array(
        [
            [1, 1, 0, 0, 0, 0],
            [0, 1, 1, 0, 0, 0],
            [0, 0, 1, 1, 0, 0],
            [0, 0, 0, 1, 1, 0],
            [0, 0, 0, 0, 0, 1],
        ],
        dtype=bool,
    )
    weights = np.array([3.0, 3.0, 1.0, 2.0, 2.0, 5.0])
    chosen, losses = greedy_close(csr_matrix(dense), weights, 2)
    total = covered_weight(dense, weights, range(5))
    best_pair = min(
        total - covered_weight(dense, weights, [r for r in range(5) if r not in pair])
        for pair in itertools.combinations(range(5), 2)
    )
    assert chosen.tolist() == [1, 2]
    assert float(losses.sum()) == best_pair == 1.0
    # Rows 1 and 2 in group 0 with room for one closure only.
    chosen, _ = greedy_close(csr_matrix(dense), weights, 5, group=[-1, 0, 0, -1, -1], quota=[1])
    assert len(set(chosen.tolist()) & {1, 2}) == 1
    assert len(chosen) == 4


def test_close_ties_go_to_the_most_redundant_outlet():
    # Outlets 0 and 1 are the only ones whose closing loses nothing (2-4 each alone cover
    # one point). Outlet 0's residents (column 0) have one other outlet within reach (2);
    # outlet 1's (column 1) have two (3 and 4): 1 closes first, though listed second.
    dense = np.array(
        [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 1, 0, 0, 1]],
        dtype=bool,
    )
    weights = np.array([10.0, 10.0, 1.0, 1.0, 1.0])
    chosen, losses = greedy_close(csr_matrix(dense), weights, 2)
    assert chosen.tolist() == [1, 0]
    assert losses.tolist() == [0.0, 0.0]
    # An outlet within reach of no one at all is the most redundant of all.
    lonely = np.vstack([dense, np.zeros((1, 5), dtype=bool)])
    assert greedy_close(csr_matrix(lonely), weights, 2)[0].tolist() == [5, 1]


# --- on the shipped data (coarse grid, to stay fast) -----------------------------------------


@pytest.fixture(scope="module")
def demand(counties) -> Demand:
    return estimate_demand(counties, cell_area_km2=25)


def coverage_of(demand: Demand, lon, lat, radius_km: float) -> float:
    """Covered residents by brute force: nearest point by haversine, chunked."""
    lon, lat = np.asarray(lon), np.asarray(lat)
    covered = np.zeros(len(demand), dtype=bool)
    for start in range(0, len(demand), 2000):
        d = haversine_km(
            demand.lon[start : start + 2000, None], demand.lat[start : start + 2000, None], lon, lat
        )
        covered[start : start + 2000] = (d <= radius_km).any(axis=1)
    return float(demand.population[covered].sum())


def counts_by_location(outlets: gpd.GeoDataFrame, counties) -> pd.Series:
    where = county_of(outlets.geometry.x, outlets.geometry.y, counties=counties)
    return where.value_counts().reindex(counties["adcode"], fill_value=0)


def test_suggested_sites_add_what_they_claim(outlets, counties, demand):
    sites = suggest_sites(outlets, counties, demand=demand, new=6, radius_km=5.0)
    assert sites["rank"].tolist() == list(range(1, 7))
    assert set(sites["reason"]) == {"coverage"}  # the sample meets the rule
    assert (sites["new_population"] > 0).all()
    assert bool(sites["new_population"].is_monotonic_decreasing)
    olon, olat = outlets.geometry.x.to_numpy(), outlets.geometry.y.to_numpy()
    baseline = coverage_of(demand, olon, olat, 5.0)
    assert math.isclose(sites.attrs["baseline_population"], baseline, rel_tol=1e-9)
    for k in (1, 6):
        after = coverage_of(
            demand,
            np.concatenate((olon, sites["lon"][:k])),
            np.concatenate((olat, sites["lat"][:k])),
            5.0,
        )
        assert math.isclose(sites["cumulative_population"].iloc[k - 1], after, rel_tol=1e-9)
    assert math.isclose(
        sites["cumulative_share"].iloc[-1],
        sites["cumulative_population"].iloc[-1] / demand.population.sum(),
    )
    assert sites.crs.to_epsg() == 4326
    assert (sites.geometry.x == sites["lon"]).all()
    assert (
        sites["county_adcode"].tolist()
        == county_of(sites["lon"], sites["lat"], counties=counties).tolist()
    )


def test_first_site_is_the_best_cell(outlets, counties, demand):
    # An independent check of the first pick: every cell centre, its gain by brute force.
    sites = suggest_sites(
        outlets, counties, demand=demand, new=1, radius_km=5.0, task="reset_card_pin"
    )
    first = sites[sites["reason"] == "coverage"].iloc[0]
    assert first["new_population"] > 0
    gov = outlets[outlets["services"].map(lambda s: "reset_card_pin" in s)]
    rule_lon = np.concatenate((gov.geometry.x, sites.loc[sites["reason"] == "rule", "lon"]))
    rule_lat = np.concatenate((gov.geometry.y, sites.loc[sites["reason"] == "rule", "lat"]))
    base = coverage_of(demand, rule_lon, rule_lat, 5.0)
    sample = np.random.default_rng(0).choice(len(demand), 60, replace=False)
    for i in sample:
        gain = (
            coverage_of(
                demand, np.append(rule_lon, demand.lon[i]), np.append(rule_lat, demand.lat[i]), 5.0
            )
            - base
        )
        assert gain <= first["new_population"] * (1 + 1e-9)


def test_rule_repair_brings_every_county_to_the_minimum(outlets, counties, demand):
    emptied, thinned = ["140105", "141032"], "140322"
    keep = ~outlets["county_adcode"].isin(emptied)
    thinned_rows = outlets.index[outlets["county_adcode"] == thinned]
    keep[thinned_rows[1:]] = False
    copy = outlets[keep].copy()
    before = counts_by_location(copy, counties)
    short = (locator_settings.min_outlets_per_county - before).clip(lower=0)
    assert short[emptied].tolist() == [2, 2] and short[thinned] >= 1

    sites = suggest_sites(copy, counties, demand=demand, new=0)
    rule = sites[sites["reason"] == "rule"]
    assert rule["county_adcode"].value_counts().sort_index().to_dict() == short[short > 0].to_dict()
    assert sites.attrs["unrepaired"] == {}
    added = gpd.GeoDataFrame(
        {"id": [f"new-{i}" for i in range(len(rule))], "name": "new", "kind": "government"},
        geometry=shapely.points(rule["lon"], rule["lat"]),
        crs="EPSG:4326",
    )
    after = counts_by_location(pd.concat([copy, added], ignore_index=True), counties)
    assert (after >= locator_settings.min_outlets_per_county).all()
    # Two sites of one county are two places.
    for _, group in rule.groupby("county_adcode"):
        assert len(set(zip(group["lon"], group["lat"], strict=True))) == len(group)


def test_rule_repair_with_seats_reports_what_it_cannot_fix(outlets, counties, demand):
    copy = outlets[outlets["county_adcode"] != "140105"]
    sites = suggest_sites(copy, counties, demand=demand, new=0, candidates="seats")
    assert sites["county_adcode"].tolist() == ["140105"]
    assert sites.attrs["unrepaired"] == {"140105": 1}


def test_suggestions_never_duplicate_an_outlet(outlets, counties, demand, tmp_path):
    # Candidates: 40 existing outlets (exactly, and 20 m off) and 10 demand cells, listed twice.
    rng = np.random.default_rng(1)
    at = outlets.sample(40, random_state=1)
    cells = rng.choice(len(demand), 10, replace=False)
    lon = np.concatenate(
        (at.geometry.x, at.geometry.x + 0.0002, demand.lon[cells], demand.lon[cells])
    )
    lat = np.concatenate((at.geometry.y, at.geometry.y, demand.lat[cells], demand.lat[cells]))
    path = tmp_path / "candidates.csv"
    pd.DataFrame({"name": [f"c{i}" for i in range(lon.size)], "lon": lon, "lat": lat}).to_csv(
        path, index=False
    )
    sites = suggest_sites(outlets, counties, demand=demand, new=30, candidates=path)
    assert sites.attrs["excluded_candidates"] == 80
    # The 40 points 20 m off existing outlets, and the 10 cells listed twice.
    assert sites.attrs["duplicate_candidates"] == 50
    d = haversine_km(
        sites["lon"].to_numpy()[:, None],
        sites["lat"].to_numpy()[:, None],
        outlets.geometry.x.to_numpy()[None, :],
        outlets.geometry.y.to_numpy()[None, :],
    )
    assert (d.min(axis=1) > DUPLICATE_KM).all()
    assert set(sites["candidate"]) <= {f"c{i}" for i in range(80, 90)}
    # Cells at existing outlets, too.
    on_cells = suggest_sites(outlets, counties, demand=demand, new=20)
    d = haversine_km(
        on_cells["lon"].to_numpy()[:, None],
        on_cells["lat"].to_numpy()[:, None],
        outlets.geometry.x.to_numpy()[None, :],
        outlets.geometry.y.to_numpy()[None, :],
    )
    assert (d.min(axis=1) > DUPLICATE_KM).all()


def test_candidates_geojson_and_bad_files(outlets, counties, demand, tmp_path):
    points = gpd.GeoDataFrame(
        {"id": ["a", "b"]}, geometry=shapely.points([112.9, 111.5], [36.9, 38.9]), crs="EPSG:4326"
    )
    path = tmp_path / "c.geojson"
    points.to_file(path, driver="GeoJSON")
    sites = suggest_sites(outlets, counties, demand=demand, new=2, candidates=path)
    assert set(sites["candidate"]) <= {"a", "b"} and len(sites) >= 1
    with pytest.raises(DataFileError, match="no such candidates file"):
        suggest_sites(outlets, counties, demand=demand, new=1, candidates=tmp_path / "none.csv")
    (tmp_path / "x.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"missing column\(s\) lon, lat"):
        suggest_sites(outlets, counties, demand=demand, new=1, candidates=tmp_path / "x.csv")
    (tmp_path / "bad.csv").write_text("lon,lat\n112.5,37.8\n112.5,abc\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 3: lon='112.5', lat='abc'"):
        suggest_sites(outlets, counties, demand=demand, new=1, candidates=tmp_path / "bad.csv")
    (tmp_path / "far.csv").write_text("lon,lat\n112.5,37.8\n116.4,39.9\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"row 3 \(lon=116.4, lat=39.9\) lies in no county"):
        suggest_sites(outlets, counties, demand=demand, new=1, candidates=tmp_path / "far.csv")
    (tmp_path / "c.txt").write_text("", encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown candidates format"):
        suggest_sites(outlets, counties, demand=demand, new=1, candidates=tmp_path / "c.txt")


def test_weight_65plus_favours_older_residents(outlets, counties, demand):
    plain = suggest_sites(outlets, counties, demand=demand, new=5)
    older = suggest_sites(outlets, counties, demand=demand, new=5, weight_65plus=20.0)
    assert older["new_population_65plus"].sum() >= plain["new_population_65plus"].sum()
    assert plain["new_population"].sum() >= older["new_population"].sum()
    with pytest.raises(ValidationError, match="weight_65plus=-1"):
        suggest_sites(outlets, counties, demand=demand, new=1, weight_65plus=-1)


def test_bad_arguments(outlets, counties, demand):
    with pytest.raises(ValidationError, match="new=-1 must be a whole number"):
        suggest_sites(outlets, counties, demand=demand, new=-1)
    with pytest.raises(ValidationError, match="close=1.5"):
        suggest_closures(outlets, counties, demand=demand, close=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="radius_km"):
        suggest_sites(outlets, counties, demand=demand, new=1, radius_km=-5)


def test_closing_never_breaks_the_rule(outlets, counties, demand):
    before = counts_by_location(outlets, counties)
    room = int((before - locator_settings.min_outlets_per_county).clip(lower=0).sum())
    shut = suggest_closures(outlets, counties, demand=demand, close=len(outlets))
    assert len(shut) == room
    left = outlets[~outlets["id"].isin(shut["id"])]
    assert (counts_by_location(left, counties) >= locator_settings.min_outlets_per_county).all()
    olon, olat = left.geometry.x.to_numpy(), left.geometry.y.to_numpy()
    assert math.isclose(
        shut["cumulative_population"].iloc[-1], coverage_of(demand, olon, olat, 5.0), rel_tol=1e-9
    )


def test_closing_loses_no_more_than_the_best_pair(counties, demand, outlets):
    # One city's outlets: the best pair by brute force, against the first two closures.
    city = outlets[outlets["county_adcode"].str.startswith("1407")].reset_index(drop=True)
    city = city.iloc[:14].reset_index(drop=True)
    shut = suggest_closures(city, counties, demand=demand, close=2, radius_km=10.0)
    counts = counts_by_location(city, counties)
    lon, lat = city.geometry.x.to_numpy(), city.geometry.y.to_numpy()
    full = coverage_of(demand, lon, lat, 10.0)
    where = county_of(lon, lat, counties=counties)
    best = math.inf
    for pair in itertools.combinations(range(len(city)), 2):
        drop = where.iloc[list(pair)].value_counts()
        if any(counts[c] - k < locator_settings.min_outlets_per_county for c, k in drop.items()):
            continue
        rest = [i for i in range(len(city)) if i not in pair]
        best = min(best, full - coverage_of(demand, lon[rest], lat[rest], 10.0))
    assert shut["lost_population"].iloc[0] <= best + 1e-6
    assert shut["lost_population"].sum() <= best + 1e-6


def test_coverage_gain_curve(outlets, counties, demand):
    sites = suggest_sites(outlets, counties, demand=demand, new=3)
    curve = coverage_gain_curve(sites)
    assert curve["n"].tolist() == [0, 1, 2, 3]
    assert curve["covered_population"].iloc[0] == sites.attrs["baseline_population"]
    assert np.allclose(curve["covered_population"].iloc[1:], sites["cumulative_population"])
    shut = suggest_closures(outlets, counties, demand=demand, close=3)
    assert np.allclose(
        coverage_gain_curve(shut)["covered_population"].iloc[1:], shut["cumulative_population"]
    )
    with pytest.raises(ValidationError, match="needs the output of suggest_sites"):
        coverage_gain_curve(pd.DataFrame({"new_population": [1.0]}))


# --- command line -----------------------------------------------------------------------------


def test_cli_suggest(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(locator_settings, "cell_area_km2", 25.0)
    assert main(["suggest", "--new", "2", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in rows["sites"]] == [1, 2]
    out = tmp_path / "sites.geojson"
    assert main(["suggest", "--new", "2", "--task", "reset_card_pin", "-o", str(out)]) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection" and len(document["features"]) > 2
    assert main(["suggest", "--new", "1"]) == 0
    assert "new_population" in capsys.readouterr().out
    assert main(["suggest", "--close", "2", "--format", "table"]) == 0
    assert "lost_population" in capsys.readouterr().out


def test_cli_suggest_errors(capsys, tmp_path):
    assert main(["suggest", "--new", "-1"]) == 2
    assert "--new -1 must be a whole number" in capsys.readouterr().err
    assert main(["suggest", "--new", "1", "--candidates", str(tmp_path / "none.csv")]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "warning" not in line]
    assert len(errors) == 1 and "no such candidates file" in errors[0]
    assert main(["suggest"]) == 2
    assert main(["suggest", "--new", "1", "--close", "1"]) == 2
    assert main(["suggest", "--new", "1", "--task", "activate_finance"]) == 2
    assert "--bank" in capsys.readouterr().err


def test_cli_suggest_takes_a_population_file_like_coverage(capsys, tmp_path, counties):
    # Two weighted villages far from any outlet: the first site goes to the larger one.
    points = tmp_path / "people.csv"
    points.write_text("lon,lat,population\n111.0,38.5,900\n112.9,36.0,100\n", encoding="utf-8")
    assert main(["suggest", "--new", "1", "--population", str(points), "--format", "json"]) == 0
    site = json.loads(capsys.readouterr().out)["sites"][0]
    assert (site["lon"], site["lat"]) == pytest.approx((111.0, 38.5))
    from locator.planning.demand import demand_from_points

    demand = demand_from_points(points, counties)
    expected = suggest_sites(datasets.outlets(), counties, demand=demand, new=1)
    assert (site["lon"], site["lat"]) == pytest.approx(
        (expected["lon"].iloc[0], expected["lat"].iloc[0])
    )
    assert site["new_population"] == pytest.approx(expected["new_population"].iloc[0])
    assert main(["suggest", "--new", "1", "--radius-km", "0"]) == 2
    assert "--radius-km 0.0 must be a number above 0" in capsys.readouterr().err


# --- the published figures, with the branch layer in the registry (issue 14) -----------------


@pytest.fixture(scope="module")
def registry() -> gpd.GeoDataFrame:
    """Both shipped layers: the 1,443 one-stop outlets and the ordinary branches."""
    return datasets.registry()


def test_closures_close_one_stop_outlets_only(
    registry: gpd.GeoDataFrame, counties: gpd.GeoDataFrame, demand: Demand
) -> None:
    shut = suggest_closures(
        registry, counties, demand=demand, close=30, task="activate_finance", bank="农商行"
    )
    assert len(shut) == 30
    kinds = registry.set_index(registry["id"].astype(str)).loc[shut["id"], "kind"]
    assert set(kinds) <= {"bank"}


def test_new_sites_keep_the_published_baseline(
    registry: gpd.GeoDataFrame,
    outlets: gpd.GeoDataFrame,
    counties: gpd.GeoDataFrame,
    demand: Demand,
) -> None:
    with_branches = suggest_sites(registry, counties, demand=demand, new=5)
    alone = suggest_sites(outlets, counties, demand=demand, new=5)
    pd.testing.assert_frame_equal(
        pd.DataFrame(with_branches.drop(columns="geometry")),
        pd.DataFrame(alone.drop(columns="geometry")),
    )
    assert with_branches.attrs["suitable_outlets"] == 1443
