"""Where to add outlets, and which to close: maximal coverage under the county rule.

A resident is *covered* when a suitable outlet lies within ``radius_km`` of the
demand-grid cell they live in (:mod:`locator.planning.demand`), road distance being estimated as
straight-line distance times ``settings.detour_factor``. Two questions of a planner:

- :func:`suggest_sites`: first repair the rule (every county with fewer than
  ``settings.min_outlets_per_county`` suitable outlets gets the best site(s) inside it),
  then ``new`` sites that each add the most newly covered residents: the maximal covering
  location problem (MCLP), solved by greedy selection with lazy evaluation (CELF), or
  with ``exact=True`` as a mixed-integer programme by HiGHS (:mod:`locator.planning._exact`).
- :func:`suggest_closures`: the outlets whose closing loses the fewest covered residents,
  one at a time, never taking a county below the rule; among equal losses the outlet
  whose residents have the most other outlets within reach goes first.

New sites are one-stop outlets, and only one-stop outlets close: the rule counts them.
Ordinary branches (``kind`` ``branch``) in the registry count only where they serve the
task (the own-bank tasks, or a bank alone): they cover residents, never close, and a new
site is not suggested on top of one.

Coverage is submodular, so greedy selection reaches at least 1 - 1/e (63 %) of the optimum
on any instance; against spopt's exact MCLP on Shanxi cities it is within a fraction of a
per cent (``benchmarks/README.md``).

The maths is on arrays in :mod:`locator.planning._cover` (:func:`coverage_sets`,
:func:`greedy_max_cover`, :func:`repair_rule`, :func:`greedy_close`,
:func:`swap_improve`, re-exported here) and :mod:`locator.planning._exact`
(:func:`solve_mclp`, :func:`reduce_model`, also re-exported); this module adapts outlets,
counties, demand and candidate files to those arrays and the answers back to GeoDataFrames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import sparse

from locator import settings
from locator._errors import DataFileError, LocatorWarning, ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import (
    check_columns,
    check_count,
    check_lonlat_arrays,
    check_path,
    check_positive,
)
from locator.counties import county_names, county_of
from locator.planning._cover import (
    coverage_sets,
    covered_by,
    gain_sums,
    greedy_close,
    greedy_max_cover,
    loss_sums,
    repair_rule,
    swap_improve,
)
from locator.planning._exact import reduce_model, solve_mclp
from locator.planning.inputs import Counties, Outlets, PlanningInputs, resolve
from locator.planning.rule import rule_table

__all__ = [
    "DUPLICATE_KM",
    "coverage_gain_curve",
    "coverage_sets",
    "greedy_close",
    "greedy_max_cover",
    "reduce_model",
    "repair_rule",
    "solve_mclp",
    "suggest_closures",
    "suggest_sites",
    "swap_improve",
]

DUPLICATE_KM = 0.05
"""A candidate this close (km) to an existing suitable outlet is that outlet: never suggested."""


@dataclass(frozen=True)
class _Candidates:
    lon: FloatArray
    lat: FloatArray
    county: npt.NDArray[np.object_]
    label: npt.NDArray[np.object_]
    duplicate: BoolArray  # within DUPLICATE_KM of an earlier candidate


@dataclass(frozen=True)
class _Setting:
    """What both directions share: the inputs and the demand weights."""

    inputs: PlanningInputs
    population: FloatArray
    older: FloatArray  # aged 65+
    weights: FloatArray
    attrs: dict[str, Any]


def _prepare(inputs: PlanningInputs) -> _Setting:
    demand = inputs.demand
    population = np.asarray(demand.population, dtype=np.float64)
    older = np.asarray(demand.population_65plus, dtype=np.float64)
    weights = np.clip(population + (inputs.weight_65plus - 1.0) * older, 0.0, None)
    attrs = {
        "radius_km": inputs.radius_km,
        "detour_factor": inputs.detour_factor,
        "distance": inputs.distance_label,
        "task": inputs.task,
        "bank": inputs.bank,
        "weight_65plus": inputs.weight_65plus,
        "total_population": float(population.sum()),
        "suitable_outlets": int(inputs.suitable.size),
        "demand_source": str(demand.source),
    }
    return _Setting(inputs, population, older, weights, attrs)


def _candidate_csv(path: Path) -> tuple[pd.DataFrame, FloatArray, FloatArray]:
    """A CSV's rows and their ``lon``, ``lat`` (every row a point, or the first is named)."""
    try:
        table = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        msg = f"{path}: cannot be read as CSV ({error}); save it as UTF-8 CSV"
        raise DataFileError(msg) from None
    check_columns(table.columns, ("lon", "lat"), str(path))
    lon = pd.to_numeric(table["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(table["lat"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{path}: row {i + 2}: lon={table['lon'].iloc[i]!r}, lat={table['lat'].iloc[i]!r} "
            "is not a point; give WGS-84 decimal degrees"
        )
        raise DataFileError(msg)
    return table, lon, lat


def _candidate_geojson(path: Path) -> tuple[pd.DataFrame, FloatArray, FloatArray]:
    """A GeoJSON's features (in WGS-84) and their ``lon``, ``lat`` (every one a point)."""
    try:
        frame = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        msg = f"{path}: cannot be read as GeoJSON ({error})"
        raise DataFileError(msg) from None
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    not_point = frame.geometry.isna() | (frame.geometry.geom_type != "Point")
    if not_point.any():
        i = int(np.flatnonzero(not_point.to_numpy())[0])
        msg = f"{path}: feature {i + 1} is not a Point; candidates are points"
        raise DataFileError(msg)
    return frame, frame.geometry.x.to_numpy(np.float64), frame.geometry.y.to_numpy(np.float64)


def _read_candidate_file(path: Path) -> tuple[FloatArray, FloatArray, list[str]]:
    """Points from a CSV (``lon``, ``lat`` columns) or GeoJSON file, with a label each."""
    if not path.is_file():
        msg = f"{path}: no such candidates file; give cells, seats, or a CSV/GeoJSON of points"
        raise DataFileError(msg)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame, lon, lat = _candidate_csv(path)
        where, first = "row", 2  # line 1 is the header
    elif suffix in (".geojson", ".json"):
        frame, lon, lat = _candidate_geojson(path)
        where, first = "feature", 1
    else:
        msg = f"{path}: unknown candidates format {suffix!r}; give a .csv (lon, lat) or .geojson"
        raise DataFileError(msg)
    try:
        check_lonlat_arrays(lon, lat)
    except ValidationError as error:
        msg = f"{path}: {error} ({where}s numbered from 0)"
        raise DataFileError(msg) from None
    if lon.size == 0:
        msg = f"{path}: no candidate points in the file; give at least one (lon, lat)"
        raise DataFileError(msg)
    names = next((c for c in ("name", "id") if c in frame.columns), None)
    labels = [
        str(frame[names].iloc[i]) if names else f"{where} {i + first}" for i in range(len(lon))
    ]
    return lon, lat, labels


def _candidates(spec: str | Path, inputs: PlanningInputs) -> _Candidates:
    demand, counties = inputs.demand, inputs.counties
    if isinstance(spec, str) and spec == "cells":
        lon = np.asarray(demand.lon, dtype=np.float64)
        lat = np.asarray(demand.lat, dtype=np.float64)
        county = np.asarray(demand.county, dtype=object)
        label = np.array([f"cell {i}" for i in range(lon.size)], dtype=object)
        return _Candidates(lon, lat, county, label, np.zeros(lon.size, dtype=bool))
    if isinstance(spec, str) and spec == "seats":
        lon = counties["seat_lon"].to_numpy(dtype=np.float64)
        lat = counties["seat_lat"].to_numpy(dtype=np.float64)
        county = counties["adcode"].to_numpy(dtype=object)
        label = np.array([f"{name} seat" for name in counties["name"]], dtype=object)
        return _Candidates(lon, lat, county, label, np.zeros(lon.size, dtype=bool))
    path = check_path(spec, "candidates")
    lon, lat, labels = _read_candidate_file(path)
    county = county_of(lon, lat, counties=counties).to_numpy(dtype=object)
    outside = np.asarray(pd.isna(county), dtype=bool)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        msg = (
            f"{path}: {labels[i]} (lon={lon[i]}, lat={lat[i]}) lies in no county of the layer; "
            "give WGS-84 points inside Shanxi (GCJ-02/BD-09 points need converting first)"
        )
        raise DataFileError(msg)
    # The same place listed twice would be suggested twice; keep the first. Each point is
    # within reach of itself, so its row is never empty and its smallest column is first.
    same = _within_duplicate_km(lon, lat, lon, lat)
    duplicate = same.indices[same.indptr[:-1]] < np.arange(lon.size)
    return _Candidates(lon, lat, county, np.asarray(labels, dtype=object), duplicate)


def _within_duplicate_km(
    lon: FloatArray, lat: FloatArray, of_lon: FloatArray, of_lat: FloatArray
) -> sparse.csr_matrix:
    """Which of the points ``of_*`` lie within DUPLICATE_KM of each point: the same place."""
    return coverage_sets(lon, lat, of_lon, of_lat, DUPLICATE_KM, detour_factor=1.0)


def _outlet_coverage(inputs: PlanningInputs) -> sparse.csr_matrix:
    """Which demand cells each suitable outlet covers (rows: ``inputs.suitable``)."""
    suitable = inputs.suitable
    return coverage_sets(
        inputs.index.lon[suitable],
        inputs.index.lat[suitable],
        inputs.demand.lon,
        inputs.demand.lat,
        inputs.radius_km,
        detour_factor=inputs.detour_factor,
        network=inputs.network,
    )


def _county_codes(counties: gpd.GeoDataFrame, adcodes: npt.ArrayLike) -> IntArray:
    """Row number of each adcode in ``counties`` (-1 when it is none of them)."""
    lookup = {str(code): i for i, code in enumerate(counties["adcode"])}
    return np.array([lookup.get(str(c), -1) for c in np.asarray(adcodes, dtype=object)], np.intp)


def _baseline(baseline: float, base: _Setting) -> dict[str, float]:
    total = base.attrs["total_population"]
    return {
        "baseline_population": baseline,
        "baseline_share": baseline / total if total > 0 else 0.0,
    }


def _points(columns: dict[str, Any], base: _Setting, attrs: dict[str, Any]) -> gpd.GeoDataFrame:
    """The answer table: ``columns`` plus ``cumulative_share``, points at lon/lat, attrs."""
    total = base.attrs["total_population"]
    cumulative = np.asarray(columns["cumulative_population"], dtype=np.float64)
    columns["cumulative_share"] = cumulative / total if total > 0 else np.zeros(cumulative.size)
    frame = pd.DataFrame(columns)
    answer = gpd.GeoDataFrame(
        frame, geometry=shapely.points(frame["lon"], frame["lat"]), crs="EPSG:4326"
    )
    answer.attrs.update(base.attrs)
    answer.attrs.update(attrs)
    return answer


def _forbidden(inputs: PlanningInputs, cand: _Candidates) -> tuple[BoolArray, BoolArray]:
    """Candidates at an existing suitable outlet, and those never to suggest (also repeats)."""
    suitable = inputs.suitable
    outlet_lon, outlet_lat = inputs.index.lon[suitable], inputs.index.lat[suitable]
    near = _within_duplicate_km(cand.lon, cand.lat, outlet_lon, outlet_lat).getnnz(axis=1) > 0
    return near, near | cand.duplicate


def _repair(
    inputs: PlanningInputs,
    cand: _Candidates,
    matrix: sparse.csr_matrix,
    weights: FloatArray,
    forbidden: BoolArray,
) -> tuple[IntArray, dict[str, int]]:
    """Sites that bring the counties short of the rule to it, and what stays short."""
    counties = inputs.counties
    rule = rule_table(inputs)
    shortfall_by_code = dict(zip(rule["adcode"].astype(str), rule["shortfall"], strict=True))
    shortfall = np.array(
        [int(shortfall_by_code.get(str(c), 0)) for c in counties["adcode"]], dtype=np.intp
    )
    group = _county_codes(counties, cand.county)
    rule_rows, _ = repair_rule(matrix, weights, group, shortfall, forbidden=forbidden)
    repaired = np.bincount(group[rule_rows], minlength=shortfall.size)
    unrepaired = {
        str(counties["adcode"].iloc[g]): int(shortfall[g] - repaired[g])
        for g in np.flatnonzero(shortfall > repaired)
    }
    return rule_rows, unrepaired


def _check_search(improve: bool, exact: bool, time_limit_s: float | None) -> float | None:
    """The search options, checked before any work: ``time_limit_s`` checked, or None."""
    if exact and improve:
        msg = "improve=True and exact=True: choose one (exact gives the best set, or its gap)"
        raise ValidationError(msg)
    if time_limit_s is None:
        return None
    if not exact:
        msg = f"time_limit_s={time_limit_s!r} limits the exact search only: add exact=True"
        raise ValidationError(msg)
    return check_positive(time_limit_s, "time_limit_s")


def _exact_sites(
    matrix: sparse.csr_matrix,
    weights: FloatArray,
    new: int,
    rule_rows: IntArray,
    taken: BoolArray,
    time_limit_s: float | None,
) -> tuple[IntArray, dict[str, Any]]:
    """The ``new`` coverage sites of the exact MCLP, from the greedy's, and the search's attrs."""
    after_rule = covered_by(matrix, rule_rows)
    start, _ = greedy_max_cover(matrix, weights, new, already_covered=after_rule, forbidden=taken)
    found = solve_mclp(
        matrix,
        weights,
        new,
        time_limit_s=time_limit_s,
        start=start,
        fixed=rule_rows,
        forbidden=taken,
    )
    limit = settings.exact_time_limit_s if time_limit_s is None else time_limit_s
    if found.status == "time_limit":
        warnings.warn(
            f"the exact search stopped at time_limit_s={limit:g}: these sites are the best "
            f"found, within {found.gap:.2%} of the optimum; give a longer time_limit_s "
            "to prove it",
            LocatorWarning,
            stacklevel=3,
        )
    attrs = {"status": found.status, "gap": found.gap, "bound": found.bound, "time_limit_s": limit}
    return found.chosen, attrs


def suggest_sites(
    outlets: PlanningInputs | Outlets,
    counties: Counties | None = None,
    *,
    new: int = 0,
    candidates: str | Path = "cells",
    improve: bool = False,
    exact: bool = False,
    time_limit_s: float | None = None,
    **keywords: Any,
) -> gpd.GeoDataFrame:
    """Where to add outlets: rule repair first, then ``new`` sites of greatest coverage gain.

    Parameters
    ----------
    outlets : PlanningInputs, GeoDataFrame, OutletIndex or path
        The inputs, or the registry to build them from with ``counties`` and ``keywords``
        (``locator.datasets.outlets()`` for the shipped sample).
    counties : GeoDataFrame or path
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    new : int
        Sites to add beyond the rule repair, each newly covering the most residents.
    candidates : ``"cells"``, ``"seats"`` or path
        Where a site may go: demand-cell centres, county seats, or the points of a CSV
        (``lon``, ``lat`` columns, WGS-84) or GeoJSON file. A candidate within
        :data:`DUPLICATE_KM` of a suitable outlet is never suggested.
    improve : bool
        Refine the ``new`` coverage sites by single swaps (:func:`swap_improve`): a
        better set of exactly ``new`` sites, though its first few are no longer the
        best few (keep False for a coverage-gain curve over N).
    exact : bool
        Choose the ``new`` coverage sites as the exact maximal covering problem (a
        mixed-integer programme solved by HiGHS from the greedy answer): the set of
        ``new`` that covers the most, proven optimal or within the reported gap. Rows are
        still ordered by marginal gain, but a prefix is no longer the best smaller set.
    time_limit_s : float, optional
        Seconds the exact search may take (``settings.exact_time_limit_s`` when None); when
        they run out the best set found is returned, with a ``LocatorWarning`` and its gap.
    **keywords
        ``demand``, ``task``, ``bank``, ``radius_km``, ``detour_factor`` and
        ``weight_65plus`` (a resident aged 65+ counts this many times; 1: like everyone
        else): see :meth:`PlanningInputs.build`.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per suggestion, in order: ``rank``, ``reason`` (``rule`` or
        ``coverage``), ``lon``, ``lat``, ``county_adcode``, ``county_name``,
        ``candidate``, ``new_population``, ``new_population_65plus``,
        ``cumulative_population`` and ``cumulative_share`` (covered residents after this
        site, and their share of all). ``.attrs`` holds the baseline
        (``baseline_population``, ``baseline_share``, ``total_population``), the
        settings used, and ``unrepaired``: counties still short after the repair
        (too few candidates inside them), with how many sites they lack. With
        ``exact=True`` also ``status`` (``optimal`` or ``time_limit``), ``bound`` (proven
        most weighted residents any ``new`` sites can newly cover after the repair) and
        ``gap`` (the answer reaches at least ``1 - gap`` of the optimum).

    Examples
    --------
    >>> from locator import datasets
    >>> from locator.planning.demand import estimate_demand
    >>> counties = datasets.counties()
    >>> demand = estimate_demand(counties, cell_area_km2=25)
    >>> sites = suggest_sites(
    ...     datasets.outlets(), counties, demand=demand, new=3, task="reset_card_pin"
    ... )
    >>> sorted(sites["reason"].unique())
    ['coverage', 'rule']
    >>> bool(sites["cumulative_population"].is_monotonic_increasing)
    True
    """
    new = check_count(new, "new")
    time_limit_s = _check_search(improve, exact, time_limit_s)
    inputs = resolve(outlets, counties, keywords)
    base = _prepare(inputs)
    cand = _candidates(candidates, inputs)
    covered = covered_by(_outlet_coverage(inputs))
    baseline = float(base.population[covered].sum())
    near, forbidden = _forbidden(inputs, cand)

    # Only cells that a new site can add matter: the matrix skips the rest.
    cols = np.flatnonzero(~covered & (base.weights > 0))
    matrix = coverage_sets(
        cand.lon,
        cand.lat,
        np.asarray(inputs.demand.lon)[cols],
        np.asarray(inputs.demand.lat)[cols],
        inputs.radius_km,
        detour_factor=inputs.detour_factor,
        network=inputs.network,
    )
    weights = base.weights[cols]
    rule_rows, unrepaired = _repair(inputs, cand, matrix, weights, forbidden)
    after_rule = covered_by(matrix, rule_rows)
    taken = forbidden.copy()
    taken[rule_rows] = True
    search: dict[str, Any] = {"exact": bool(exact)}
    if exact:
        cover_rows, found = _exact_sites(matrix, weights, new, rule_rows, taken, time_limit_s)
        search.update(found)
    else:
        cover_rows, _ = greedy_max_cover(
            matrix, weights, new, already_covered=after_rule, forbidden=taken
        )
    if improve and cover_rows.size:
        cover_rows = swap_improve(
            matrix, weights, cover_rows, already_covered=after_rule, forbidden=taken
        )

    rows = np.concatenate((rule_rows, cover_rows))
    new_population, new_older = gain_sums(matrix, rows, [base.population[cols], base.older[cols]])
    names = county_names(inputs.counties)
    return _points(
        {
            "rank": np.arange(1, rows.size + 1),
            "reason": ["rule"] * rule_rows.size + ["coverage"] * cover_rows.size,
            "lon": cand.lon[rows],
            "lat": cand.lat[rows],
            "county_adcode": [str(c) if c is not None else None for c in cand.county[rows]],
            "county_name": [names.get(str(c)) for c in cand.county[rows]],
            "candidate": cand.label[rows],
            "new_population": new_population,
            "new_population_65plus": new_older,
            "cumulative_population": baseline + np.cumsum(new_population),
        },
        base,
        {
            "candidates": str(candidates),
            "requested_new": new,
            "improved": bool(improve),
            **_baseline(baseline, base),
            "excluded_candidates": int(near.sum()),
            "duplicate_candidates": int(cand.duplicate.sum()),
            "unrepaired": unrepaired,
            **search,
        },
    )


def suggest_closures(
    outlets: PlanningInputs | Outlets,
    counties: Counties | None = None,
    *,
    close: int,
    **keywords: Any,
) -> gpd.GeoDataFrame:
    """Which suitable one-stop outlets to close, losing the fewest covered residents, rule kept.

    Only one-stop outlets close; ordinary branches that serve the task still cover residents.
    Closes one outlet at a time, each time the one whose closing leaves the fewest
    (weighted) residents with no suitable outlet within reach, and never one of a county
    that would then have fewer than ``settings.min_outlets_per_county`` suitable outlets
    (counted by location). Among equal losses (often none at all) the outlet whose
    covered residents have the most other suitable outlets within reach goes first, then
    the one listed first (:func:`greedy_close`). ``outlets``, ``counties`` and
    ``keywords`` are those of :func:`suggest_sites`; ``close`` is how many to close.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per closure, in order: ``rank``, ``id``, ``name``, ``county_adcode``
        (where the outlet lies), ``lon``, ``lat``, ``lost_population``, ``lost_population_65plus``,
        ``cumulative_population`` and ``cumulative_share`` (covered residents left after
        this closure, and their share of all). ``.attrs`` holds the baseline and
        ``requested_close``; fewer rows than asked means the rule forbids more.

    Examples
    --------
    >>> from locator import datasets
    >>> from locator.planning.demand import estimate_demand
    >>> counties = datasets.counties()
    >>> demand = estimate_demand(counties, cell_area_km2=25)
    >>> shut = suggest_closures(datasets.outlets(), counties, demand=demand, close=5)
    >>> len(shut), bool(shut["cumulative_population"].is_monotonic_decreasing)
    (5, True)
    """
    close = check_count(close, "close")
    inputs = resolve(outlets, counties, keywords)
    base = _prepare(inputs)
    suitable = inputs.suitable
    matrix = _outlet_coverage(inputs)
    baseline = float(base.population[covered_by(matrix)].sum())

    chosen_outlets = inputs.outlets.iloc[suitable]
    county = inputs.located["located_adcode"].to_numpy(dtype=object)[suitable]
    group = _county_codes(inputs.counties, county)
    one_stop = inputs.one_stop[suitable]
    count = np.bincount(group[(group >= 0) & one_stop], minlength=len(inputs.counties))
    quota = np.maximum(count - settings.min_outlets_per_county, 0)
    # Ordinary branches keep covering residents but never close: one group with no quota.
    group = np.where(one_stop, group, len(inputs.counties))
    quota = np.append(quota, 0)
    rows, _ = greedy_close(matrix, base.weights, close, group=group, quota=quota)

    lost_population, lost_older = loss_sums(matrix, rows, [base.population, base.older])
    picked = chosen_outlets.iloc[rows]
    return _points(
        {
            "rank": np.arange(1, rows.size + 1),
            "id": picked["id"].astype(str).to_numpy(),
            "name": picked["name"].to_numpy(),
            "county_adcode": county[rows],
            "lon": inputs.index.lon[suitable][rows],
            "lat": inputs.index.lat[suitable][rows],
            "lost_population": lost_population,
            "lost_population_65plus": lost_older,
            "cumulative_population": baseline - np.cumsum(lost_population),
        },
        base,
        {"requested_close": close, **_baseline(baseline, base)},
    )


def coverage_gain_curve(suggestions: pd.DataFrame) -> pd.DataFrame:
    """Covered residents after the first ``n`` suggestions (or closures), n = 0, 1, ...

    Takes the output of :func:`suggest_sites` (coverage rises) or
    :func:`suggest_closures` (coverage falls); row ``n = 0`` is the baseline.

    Examples
    --------
    >>> from locator import datasets
    >>> from locator.planning.demand import estimate_demand
    >>> counties = datasets.counties()
    >>> demand = estimate_demand(counties, cell_area_km2=25)
    >>> curve = coverage_gain_curve(suggest_sites(datasets.outlets(), counties, demand=demand, new=4))
    >>> curve["n"].tolist(), bool(curve["covered_share"].is_monotonic_increasing)
    ([0, 1, 2, 3, 4], True)
    """
    attrs = suggestions.attrs
    if "baseline_population" not in attrs or "total_population" not in attrs:
        msg = "coverage_gain_curve needs the output of suggest_sites or suggest_closures"
        raise ValidationError(msg)
    baseline, total = float(attrs["baseline_population"]), float(attrs["total_population"])
    if "new_population" in suggestions.columns:
        steps = suggestions["new_population"].to_numpy(dtype=np.float64)
    else:
        steps = -suggestions["lost_population"].to_numpy(dtype=np.float64)
    covered = baseline + np.concatenate(([0.0], np.cumsum(steps)))
    return pd.DataFrame(
        {
            "n": np.arange(covered.size),
            "covered_population": covered,
            "covered_share": covered / total if total > 0 else np.zeros(covered.size),
        }
    )
