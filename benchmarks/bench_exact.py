"""Exact siting: our HiGHS MIP (``solve_mclp``) against spopt's MCLP with CBC, same instances.

The instances of ``bench_siting.py``: one city (default 太原市, adcodes 1401xx) on the
estimated 1 km² demand grid, no existing outlets, candidate sites a seeded random sample of
the city's cell centres (the same seeds), radius 5 km, N = 5, 10, 20:

- ours: ``coverage_sets`` + ``greedy_max_cover`` (the start) + ``solve_mclp`` (reduction and
  HiGHS through ``highspy``, proven optimal: ``mip_rel_gap`` 0); time from the coordinates
  to the answer;
- spopt: ``MCLP.from_cost_matrix`` on the great-circle cost matrix, solved by CBC
  (``pulp.PULP_CBC_CMD(msg=False)``); time includes the cost matrix, the model and the solve.

Both answers are scored by the same independent count (haversine distances): the same
optimum shows as a ratio of 1. Then the whole province: ``suggest_sites(new=50, exact=True,
time_limit_s=60)`` on the 1 km² grid with the shipped outlets, and the gap it proves.
spopt and pulp are benchmark-only dependencies (``pip install -e ".[bench]"``).

Run: ``python benchmarks/bench_exact.py`` (``--help`` for the city, sizes and time limit).
"""

from __future__ import annotations

import argparse
import datetime
import time
import warnings

import numpy as np

RADIUS_KM = 5.0


def _covered(distance_km: np.ndarray, chosen: np.ndarray, weights: np.ndarray, radius: float):
    """Weight within ``radius`` of any chosen candidate (rows of ``distance_km``)."""
    if chosen.size == 0:
        return 0.0
    return float(weights[(distance_km[chosen] <= radius).any(axis=0)].sum())


def city_rows(prefix: str, candidates: list[int], ns: list[int], radius: float) -> list[dict]:
    """Our exact MCLP against spopt's on one city, per candidates and N."""
    import pulp
    from spopt.locate import MCLP

    from locator import datasets
    from locator.distance import haversine_km
    from locator.planning.demand import estimate_demand
    from locator.planning.siting import (
        coverage_sets,
        greedy_max_cover,
        reduce_model,
        solve_mclp,
    )

    counties = datasets.counties()
    demand = estimate_demand(counties, cell_area_km2=1.0)
    in_city = np.array([str(c).startswith(prefix) for c in demand.county])
    lon, lat = demand.lon[in_city], demand.lat[in_city]
    weights = demand.population[in_city]
    rows = []
    for m in candidates:
        pick = np.sort(np.random.default_rng(m).choice(lon.size, min(m, lon.size), replace=False))
        clon, clat = lon[pick], lat[pick]
        distance = haversine_km(clon[:, None], clat[:, None], lon[None, :], lat[None, :])
        for n in ns:
            start = time.perf_counter()
            matrix = coverage_sets(clon, clat, lon, lat, radius)
            greedy, _ = greedy_max_cover(matrix, weights, n)
            result = solve_mclp(matrix, weights, n, start=greedy, time_limit_s=3600)
            ours_s = time.perf_counter() - start
            reduced = reduce_model(matrix, weights)

            start = time.perf_counter()
            cost = haversine_km(lon[:, None], lat[:, None], clon[None, :], clat[None, :])
            model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=n)
            model = model.solve(pulp.PULP_CBC_CMD(msg=False))
            spopt_s = time.perf_counter() - start
            theirs = np.array([i for i, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5])

            ours = _covered(distance, result.chosen, weights, radius)
            opt = _covered(distance, theirs, weights, radius)
            rows.append(
                {
                    "cells": int(lon.size),
                    "candidates": int(pick.size),
                    "N": n,
                    "model": f"{reduced.matrix.shape[0]:,} x {reduced.matrix.shape[1]:,}",
                    "greedy": _covered(distance, greedy, weights, radius),
                    "ours": ours,
                    "status": result.status,
                    "spopt": opt,
                    "ratio": ours / opt if opt else float("nan"),
                    "ours_s": ours_s,
                    "highs_s": result.seconds,
                    "spopt_s": spopt_s,
                    "time_ratio": ours_s / spopt_s,
                }
            )
            print(_line(rows[-1]), flush=True)
    return rows


def _line(row: dict) -> str:
    return (
        f"| {row['cells']:,} | {row['candidates']:,} | {row['N']} | {row['model']} | "
        f"{row['greedy']:,.0f} | {row['ours']:,.0f} ({row['status']}) | {row['spopt']:,.0f} | "
        f"{row['ratio']:.6f} | {row['ours_s']:.2f} | {row['highs_s']:.2f} | "
        f"{row['spopt_s']:.1f} | {row['time_ratio']:.3f} |"
    )


def province_row(n: int, radius: float, time_limit_s: float) -> dict:
    """``suggest_sites(new=n, exact=True)`` over the whole province, against the greedy."""
    from locator import LocatorWarning, datasets
    from locator.planning.demand import estimate_demand
    from locator.planning.inputs import PlanningInputs
    from locator.planning.siting import suggest_sites

    counties = datasets.counties()
    demand = estimate_demand(counties, cell_area_km2=1.0)
    inputs = PlanningInputs.build(datasets.outlets(), counties, demand=demand, radius_km=radius)
    start = time.perf_counter()
    greedy = suggest_sites(inputs, new=n)
    greedy_s = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocatorWarning)  # the time limit: reported below
        exact = suggest_sites(inputs, new=n, exact=True, time_limit_s=time_limit_s)
    exact_s = time.perf_counter() - start
    added = exact.loc[exact["reason"] == "coverage", "new_population"].sum()
    return {
        "cells": len(demand),
        "greedy_new": float(greedy.loc[greedy["reason"] == "coverage", "new_population"].sum()),
        "greedy_s": greedy_s,
        "exact_new": float(added),
        "exact_s": exact_s,
        "status": exact.attrs["status"],
        "gap": exact.attrs["gap"],
        "bound": exact.attrs["bound"],
        "share": float(exact["cumulative_share"].iloc[-1]),
        "greedy_share": float(greedy["cumulative_share"].iloc[-1]),
    }


def main() -> None:
    """Print the city comparison and the province row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="1401", help="adcode prefix of the city (1401: 太原市)")
    parser.add_argument("--candidates", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--radius-km", type=float, default=RADIUS_KM)
    parser.add_argument("--province-n", type=int, default=50)
    parser.add_argument("--time-limit", type=float, default=60.0, help="province, seconds")
    parser.add_argument("--province-only", action="store_true", help="skip the spopt comparison")
    args = parser.parse_args()

    print(f"# {datetime.date.today()}, radius {args.radius_km:g} km, city {args.city}xx")
    print(
        "| cells | candidates | N | reduced model | greedy | ours: HiGHS | spopt: CBC "
        "| ours / spopt | ours s | of which HiGHS s | spopt s | time ours / spopt |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if not args.province_only:
        city_rows(args.city, args.candidates, args.n, args.radius_km)
    row = province_row(args.province_n, args.radius_km, args.time_limit)
    print(
        f"\nWhole province ({row['cells']:,} cells, every one a candidate), "
        f"suggest_sites(new={args.province_n}) with the shipped outlets: greedy newly covers "
        f"{row['greedy_new']:,.0f} in {row['greedy_s']:.1f} s; exact=True, "
        f"time_limit_s={args.time_limit:g}: {row['exact_new']:,.0f} in {row['exact_s']:.1f} s, "
        f"status {row['status']}, bound {row['bound']:,.0f}, gap {row['gap']:.2%} "
        f"(coverage {row['greedy_share']:.2%} -> {row['share']:.2%})"
    )


if __name__ == "__main__":
    main()
