"""Exact siting: the HiGHS model against brute force, its reduction, start, time limit, CLI."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from locator import settings as locator_settings
from locator._errors import LocatorError, LocatorWarning, ResourceLimitError, ValidationError
from locator.cli import main
from locator.distance import haversine_km
from locator.planning import _exact
from locator.planning._cover import greedy_max_cover
from locator.planning._exact import reduce_model, solve_mclp
from locator.planning.demand import Demand, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import suggest_sites

# --- brute force, written independently of the module ------------------------------------


def covered_weight(dense: np.ndarray, weights: np.ndarray, rows, already=None) -> float:
    hit = np.zeros(dense.shape[1], dtype=bool) if already is None else already.copy()
    for r in rows:
        hit |= dense[r]
    if already is not None:
        hit &= ~already
    return float(weights[hit].sum())


def best_subset(dense, weights, n, allowed=None, already=None) -> float:
    """The most weight any at most ``n`` allowed rows newly cover: every subset tried."""
    rows = [r for r in range(dense.shape[0]) if allowed is None or allowed[r]]
    return max(
        covered_weight(dense, weights, subset, already)
        for size in range(min(n, len(rows)) + 1)
        for subset in itertools.combinations(rows, size)
    )


@st.composite
def instances(draw, *, max_rows: int = 7, max_cols: int = 10):
    n_rows = draw(st.integers(1, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    weights = np.array(draw(st.lists(st.integers(0, 20), min_size=n_cols, max_size=n_cols)), float)
    flat = draw(st.lists(st.booleans(), min_size=n_rows * n_cols, max_size=n_rows * n_cols))
    dense = np.array(flat, dtype=bool).reshape(n_rows, n_cols)
    n = draw(st.integers(0, n_rows))
    return dense, weights, n


def geometric(m: int, cells: int, radius: float, seed: int) -> tuple[csr_matrix, np.ndarray]:
    """Discs around ``m`` random sites over ``cells`` random weighted points in a unit square."""
    rng = np.random.default_rng(seed)
    cell, site = rng.random((cells, 2)), rng.random((m, 2))
    distance = np.hypot(site[:, None, 0] - cell[None, :, 0], site[:, None, 1] - cell[None, :, 1])
    return csr_matrix(distance <= radius), rng.integers(1, 1000, cells).astype(float)


# --- the model against brute force -------------------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(instances())
def test_exact_is_the_best_subset(case):
    dense, weights, n = case
    result = solve_mclp(csr_matrix(dense), weights, n)
    best = best_subset(dense, weights, n)
    assert result.status == "optimal" and result.gap == 0.0
    assert math.isclose(result.objective, best, abs_tol=1e-9)
    assert result.chosen.size <= n and np.unique(result.chosen).size == result.chosen.size
    assert math.isclose(covered_weight(dense, weights, result.chosen), best, abs_tol=1e-9)
    assert (result.gains > 0).all()  # a site that adds nothing is not listed
    assert result.bound >= result.objective
    hit = dense[result.chosen].any(axis=0) if result.chosen.size else np.zeros(dense.shape[1])
    assert result.covered.tolist() == np.asarray(hit, dtype=bool).tolist()


@settings(max_examples=80, deadline=None)
@given(instances(), st.data())
def test_exact_keeps_fixed_sites_open_and_forbidden_ones_shut(case, data):
    dense, weights, n = case
    rows = dense.shape[0]
    fixed = data.draw(st.lists(st.integers(0, rows - 1), unique=True, max_size=2))
    forbidden = np.array(data.draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    forbidden[fixed] = False
    result = solve_mclp(csr_matrix(dense), weights, n, fixed=fixed, forbidden=forbidden)
    already = dense[fixed].any(axis=0) if fixed else np.zeros(dense.shape[1], dtype=bool)
    allowed = ~forbidden
    allowed[fixed] = False
    best = best_subset(dense, weights, n, allowed=allowed, already=already)
    assert math.isclose(result.objective, best, abs_tol=1e-9)
    assert not set(result.chosen.tolist()) & (set(fixed) | set(np.flatnonzero(forbidden)))
    assert result.covered.tolist() == (already | dense[result.chosen].any(axis=0)).tolist()


@settings(max_examples=60, deadline=None)
@given(instances(max_rows=14, max_cols=30))
def test_exact_never_covers_less_than_greedy(case):
    dense, weights, n = case
    _, gains = greedy_max_cover(csr_matrix(dense), weights, n)
    result = solve_mclp(csr_matrix(dense), weights, n)
    assert result.objective >= gains.sum() - 1e-9
    assert result.start_objective == pytest.approx(gains.sum())


@settings(max_examples=60, deadline=None)
@given(instances())
def test_chosen_sites_come_in_order_of_marginal_gain(case):
    dense, weights, n = case
    result = solve_mclp(csr_matrix(dense), weights, n)
    before: list[int] = []
    for row, gain in zip(result.chosen, result.gains, strict=True):
        own = covered_weight(dense, weights, [*before, row]) - covered_weight(
            dense, weights, before
        )
        assert gain == pytest.approx(own)
        # no site listed later would have added more at this point
        for later in result.chosen[len(before) + 1 :]:
            assert (
                covered_weight(dense, weights, [*before, later])
                - covered_weight(dense, weights, before)
                <= own + 1e-9
            )
        before.append(int(row))
    assert result.objective == pytest.approx(sum(result.gains))


# --- the reduction ---------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(instances(), st.data())
def test_reduction_keeps_the_optimum_and_every_subsets_value(case, data):
    dense, weights, n = case
    # Repeat some rows and columns, so that there is something to merge.
    extra_rows = data.draw(st.lists(st.integers(0, dense.shape[0] - 1), max_size=3))
    extra_cols = data.draw(st.lists(st.integers(0, dense.shape[1] - 1), max_size=3))
    dense = np.vstack([dense, dense[extra_rows]])
    dense = np.hstack([dense, dense[:, extra_cols]])
    weights = np.concatenate((weights, weights[extra_cols]))
    reduced = reduce_model(csr_matrix(dense), weights)
    small = reduced.matrix.toarray()
    assert best_subset(small, reduced.weights, n) == pytest.approx(best_subset(dense, weights, n))
    assert small.shape[0] <= len({row.tobytes() for row in dense})
    assert small.shape[1] <= len({col.tobytes() for col in dense.T})
    assert (reduced.weights > 0).all() and small.any(axis=0).all() and small.any(axis=1).all()
    # Any choice of original rows is worth what its representatives are worth.
    for size in range(min(3, dense.shape[0]) + 1):
        for subset in itertools.combinations(range(dense.shape[0]), size):
            kept = [int(reduced.representative[r]) for r in subset]
            kept = [k for k in kept if k >= 0]
            assert covered_weight(small, reduced.weights, kept) == pytest.approx(
                covered_weight(dense, weights, subset)
            )
    assert (reduced.representative[reduced.rows] == np.arange(reduced.rows.size)).all()


def test_reduction_drops_and_merges_what_it_says():
    dense = np.array(
        [
            [1, 1, 0, 0, 1, 0],  # row 0
            [1, 1, 0, 0, 1, 0],  # the same cells as row 0: merged into it
            [0, 0, 1, 1, 0, 0],  # forbidden below
            [0, 0, 0, 0, 0, 1],  # reaches only a cell worth nothing: dropped
            [0, 1, 0, 1, 0, 0],
        ],
        dtype=bool,
    )
    weights = np.array([3.0, 1.0, 5.0, 2.0, 4.0, 0.0])
    reduced = reduce_model(csr_matrix(dense), weights, [False, False, True, False, False])
    # Cell 2 only the forbidden row reaches, cell 5 is worth nothing; cells 0 and 4 are
    # reached by rows 0 and 1 alone: one group of weight 7.
    assert reduced.cells == 4
    assert reduced.rows.tolist() == [0, 4]
    assert reduced.representative.tolist() == [0, 0, -1, -1, 1]
    # Groups in order of their first cell: {0, 4}, {1} (rows 0 and 4), {3} (row 4).
    assert reduced.weights.tolist() == [7.0, 1.0, 2.0]
    assert reduced.matrix.toarray().tolist() == [[True, True, False], [False, True, True]]


def test_reduction_shrinks_a_city_sized_model():
    coverage, weights = geometric(400, 3000, 0.08, seed=3)
    reduced = reduce_model(coverage, weights)
    dense = coverage.toarray()
    patterns = {col.tobytes() for col in dense.T if col.any()}  # which sites reach a cell
    assert reduced.matrix.shape == (len({row.tobytes() for row in dense}), len(patterns))
    assert reduced.matrix.shape[1] < 0.7 * coverage.shape[1]  # cells in the same discs merge
    assert reduced.weights.sum() == pytest.approx(weights[dense.any(axis=0)].sum())
    result = solve_mclp(coverage, weights, 6)
    assert result.status == "optimal"


# --- the start, the bound and the time limit --------------------------------------------------


def test_the_greedy_start_is_highs_first_incumbent():
    coverage, weights = geometric(200, 2000, 0.1, seed=8)
    _, gains = greedy_max_cover(coverage, weights, 8)
    result = solve_mclp(coverage, weights, 8, time_limit_s=60)
    assert result.start_objective == pytest.approx(gains.sum())
    assert result.first_incumbent == pytest.approx(result.start_objective)
    assert result.status == "optimal" and result.gap == 0.0
    assert result.objective > result.start_objective  # on this instance greedy falls short
    assert result.bound == pytest.approx(result.objective)


def test_a_tiny_time_limit_returns_the_start_with_its_gap():
    coverage, weights = geometric(200, 2000, 0.1, seed=8)
    start = [5, 17, 60, 99, 150]
    result = solve_mclp(coverage, weights, 5, time_limit_s=1e-6, start=start)
    assert result.status == "time_limit"
    assert result.first_incumbent == pytest.approx(result.start_objective)  # HiGHS took it up
    assert result.objective == pytest.approx(covered_weight(coverage.toarray(), weights, start))
    assert sorted(result.chosen.tolist()) == start
    # The bound is proven without search (all cells, the five largest discs): finite, above.
    largest = np.sort(coverage.toarray() @ weights)[::-1][:5].sum()
    assert result.objective < result.bound <= min(weights.sum(), largest) + 1e-6
    assert result.bound >= solve_mclp(coverage, weights, 5).objective - 1e-6  # a true bound
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    assert 0 < result.gap < 1


@settings(max_examples=100, deadline=None)
@given(instances(), st.data())
def test_the_bound_without_search_is_never_below_the_optimum(case, data):
    dense, weights, n = case
    start = data.draw(st.lists(st.integers(0, dense.shape[0] - 1), unique=True, max_size=n))
    reduced = reduce_model(csr_matrix(dense), weights)
    bound = _exact._cheap_bound(reduced, n, np.asarray(start, dtype=np.intp))
    assert bound >= best_subset(dense, weights, n) - 1e-9
    assert bound <= weights.sum() + 1e-9


def test_nothing_to_choose_needs_no_solver(monkeypatch):
    def no_solver() -> None:
        raise AssertionError("HiGHS was started")

    monkeypatch.setattr(_exact, "_new_highs", no_solver)
    dense = csr_matrix(np.array([[1, 0], [0, 1]], dtype=bool))
    for weights, n in (([0.0, 0.0], 2), ([1.0, 2.0], 0)):
        result = solve_mclp(dense, weights, n)
        assert result.chosen.size == 0 and result.objective == 0.0
        assert result.status == "optimal" and result.gap == 0.0 and result.seconds == 0.0


def test_bad_arguments_name_the_parameter():
    coverage = csr_matrix(np.eye(3, dtype=bool))
    weights = [1.0, 2.0, 3.0]
    with pytest.raises(ValidationError, match="time_limit_s=0"):
        solve_mclp(coverage, weights, 1, time_limit_s=0)
    with pytest.raises(ValidationError, match="time_limit_s=nan"):
        solve_mclp(coverage, weights, 1, time_limit_s=float("nan"))
    with pytest.raises(ValidationError, match="n=-1"):
        solve_mclp(coverage, weights, -1)
    with pytest.raises(ValidationError, match="start must hold at most n=1"):
        solve_mclp(coverage, weights, 1, start=[0, 1])
    with pytest.raises(ValidationError, match="start must hold at most n=2 rows, none of them"):
        solve_mclp(coverage, weights, 2, start=[0], forbidden=[True, False, False])
    with pytest.raises(ValidationError, match="start must hold distinct row numbers"):
        solve_mclp(coverage, weights, 2, start=[1, 1])
    with pytest.raises(ValidationError, match="fixed must hold distinct row numbers"):
        solve_mclp(coverage, weights, 1, fixed=[3])
    with pytest.raises(ValidationError, match="weights has 2 values"):
        solve_mclp(coverage, [1.0, 2.0], 1)
    with pytest.raises(ValidationError, match="forbidden has 2 values"):
        solve_mclp(coverage, weights, 1, forbidden=[True, False])


class _Stopped:
    """A real HiGHS solver that reports ``status`` after its run."""

    def __init__(self, solver, status: str) -> None:
        self._solver, self._status = solver, status

    def __getattr__(self, name: str):
        return getattr(self._solver, name)

    def getModelStatus(self):  # noqa: N802 (HiGHS's name)
        import highspy

        return getattr(highspy.HighsModelStatus, self._status)


class _Worse(_Stopped):
    """A real HiGHS solver that, out of time, holds an answer choosing nothing."""

    def getSolution(self):  # noqa: N802 (HiGHS's name)
        solution = self._solver.getSolution()
        solution.col_value = [0.0] * len(solution.col_value)
        return solution


def test_an_answer_worse_than_the_start_is_never_returned(monkeypatch):
    real = _exact._new_highs
    monkeypatch.setattr(_exact, "_new_highs", lambda: _Worse(real(), "kTimeLimit"))
    coverage, weights = geometric(200, 2000, 0.1, seed=8)
    start = [5, 17, 60, 99, 150]
    result = solve_mclp(coverage, weights, 5, start=start)
    assert result.status == "time_limit"
    assert sorted(result.chosen.tolist()) == start
    assert result.objective == pytest.approx(result.start_objective) and result.objective > 0


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        ("kInfeasible", LocatorError, "HiGHS stopped on the exact siting model without an answer"),
        ("kSolveError", LocatorError, "leave exact=False"),
        ("kMemoryLimit", ResourceLimitError, "does not fit in memory"),
    ],
)
def test_a_model_highs_cannot_answer_is_one_error(monkeypatch, status, error, words):
    real = _exact._new_highs
    monkeypatch.setattr(_exact, "_new_highs", lambda: _Stopped(real(), status))
    coverage, weights = geometric(60, 300, 0.15, seed=1)
    with pytest.raises(error, match=words):
        solve_mclp(coverage, weights, 3)


def test_without_highspy_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "highspy", None)  # import highspy raises ImportError
    coverage, weights = geometric(60, 300, 0.15, seed=1)
    with pytest.raises(LocatorError, match="pip install highspy"):
        solve_mclp(coverage, weights, 3)


def test_the_library_prints_nothing_not_even_highs_banner():
    # HiGHS writes a banner at the first solver of a process: a fresh process shows it.
    code = textwrap.dedent(
        """
        import numpy as np
        from scipy.sparse import csr_matrix
        from locator.planning._exact import solve_mclp
        rng = np.random.default_rng(0)
        dense = rng.random((30, 200)) < 0.1
        result = solve_mclp(csr_matrix(dense), rng.random(200), 4)
        assert result.status == "optimal" and result.seconds > 0
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


# --- suggest_sites(exact=True) on the shipped data (coarse grid, to stay fast) ------------------


@pytest.fixture(scope="module")
def demand(counties) -> Demand:
    return estimate_demand(counties, cell_area_km2=25)


def coverage_of(demand: Demand, lon, lat, radius_km: float) -> float:
    """Covered residents by brute force: any point within ``radius_km`` by haversine."""
    lon, lat = np.asarray(lon), np.asarray(lat)
    covered = np.zeros(len(demand), dtype=bool)
    for start in range(0, len(demand), 2000):
        d = haversine_km(
            demand.lon[start : start + 2000, None], demand.lat[start : start + 2000, None], lon, lat
        )
        covered[start : start + 2000] = (d <= radius_km).any(axis=1)
    return float(demand.population[covered].sum())


def test_exact_sites_repair_the_rule_first_and_cover_at_least_the_greedy(outlets, counties, demand):
    keywords = {"demand": demand, "new": 12, "task": "reset_card_pin", "radius_km": 10.0}
    greedy = suggest_sites(outlets, counties, **keywords)
    exact = suggest_sites(outlets, counties, exact=True, **keywords)
    rule = greedy["reason"] == "rule"
    assert rule.any()  # some counties lack an outlet for this task
    assert exact.loc[exact["reason"] == "rule", "candidate"].tolist() == (
        greedy.loc[rule, "candidate"].tolist()
    )
    added = exact.loc[exact["reason"] == "coverage", "new_population"]
    assert len(added) == 12
    assert added.sum() >= greedy.loc[~rule, "new_population"].sum() - 1e-6
    assert bool(added.is_monotonic_decreasing)
    assert exact.attrs["exact"] is True and greedy.attrs["exact"] is False
    assert exact.attrs["status"] == "optimal" and exact.attrs["gap"] == 0.0
    assert exact.attrs["bound"] == pytest.approx(added.sum())
    # What the table claims, counted again by haversine from the suitable outlets.
    inputs = PlanningInputs.build(outlets, counties, demand=demand, task="reset_card_pin")
    lon = np.concatenate((inputs.index.lon[inputs.suitable], exact["lon"]))
    lat = np.concatenate((inputs.index.lat[inputs.suitable], exact["lat"]))
    assert exact["cumulative_population"].iloc[-1] == pytest.approx(
        coverage_of(demand, lon, lat, 10.0), rel=1e-9
    )


def test_exact_sites_at_the_time_limit_warn_with_their_gap(outlets, counties, demand):
    with pytest.warns(LocatorWarning, match=r"stopped at time_limit_s=1e-06.*within [\d.]+%"):
        sites = suggest_sites(
            outlets, counties, demand=demand, new=10, exact=True, time_limit_s=1e-6
        )
    greedy = suggest_sites(outlets, counties, demand=demand, new=10)
    assert sites.attrs["status"] == "time_limit" and sites.attrs["time_limit_s"] == 1e-6
    assert 0 < sites.attrs["gap"] < 1
    assert sites.attrs["bound"] > sites["new_population"].sum()
    assert sites["new_population"].sum() >= greedy["new_population"].sum() - 1e-6


def test_suggest_sites_refuses_contradicting_options(outlets, counties, demand):
    with pytest.raises(ValidationError, match="improve=True and exact=True: choose one"):
        suggest_sites(outlets, counties, demand=demand, new=2, exact=True, improve=True)
    with pytest.raises(ValidationError, match="time_limit_s=5 limits the exact search only"):
        suggest_sites(outlets, counties, demand=demand, new=2, time_limit_s=5)
    with pytest.raises(ValidationError, match="time_limit_s=-1 must be a number above 0"):
        suggest_sites(outlets, counties, demand=demand, new=2, exact=True, time_limit_s=-1)


# --- command line -----------------------------------------------------------------------------


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("locator: warning:")]


def test_cli_suggest_exact(capsys, monkeypatch):
    monkeypatch.setattr(locator_settings, "cell_area_km2", 25.0)
    assert main(["suggest", "--new", "3", "--exact", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["exact"] is True and summary["status"] == "optimal"
    assert summary["gap"] == 0.0 and summary["time_limit_s"] == 60.0
    assert main(["suggest", "--new", "3", "--exact"]) == 0
    assert "; exact: proven optimal" in capsys.readouterr().out.splitlines()[0]


def test_cli_suggest_exact_timeout_is_one_warning_line(capsys, monkeypatch):
    monkeypatch.setattr(locator_settings, "cell_area_km2", 25.0)
    assert main(["suggest", "--new", "8", "--exact", "--time-limit", "0.000001"]) == 0
    out, err = capsys.readouterr()
    warnings = [line for line in err.splitlines() if "exact search" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        "locator: warning: the exact search stopped at --time-limit 1e-06"
    )
    assert "exact: within" in out.splitlines()[0] and "(stopped at 1e-06 s)" in out.splitlines()[0]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--new", "2", "--time-limit", "5"], "--time-limit limits the --exact search"),
        (
            ["--new", "2", "--exact", "--time-limit", "0"],
            "--time-limit 0.0 must be a number above 0",
        ),
        (["--close", "2", "--exact"], "--exact chooses new sites: give it with --new"),
        (["--new", "2", "--exact", "--improve"], "not allowed with argument"),
    ],
)
def test_cli_suggest_exact_mistakes_are_one_line(capsys, argv, words):
    assert main(["suggest", *argv]) == 2
    lines = errors(capsys.readouterr().err)
    assert len(lines) == 1 and words in lines[0]


def test_cli_suggest_exact_solver_failure_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(locator_settings, "cell_area_km2", 25.0)
    real = _exact._new_highs
    monkeypatch.setattr(_exact, "_new_highs", lambda: _Stopped(real(), "kInfeasible"))
    assert main(["suggest", "--new", "3", "--exact"]) == 2
    lines = errors(capsys.readouterr().err)
    assert len(lines) == 1 and lines[0].startswith("locator: error: HiGHS stopped")
