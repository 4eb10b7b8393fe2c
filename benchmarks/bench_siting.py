"""Siting: greedy CELF maximal coverage against spopt's exact MCLP (PuLP with CBC).

One city (default 太原市, adcodes 1401xx) on the estimated 1 km² demand grid, no
existing outlets (a green field, so the whole objective is the sites'), candidate sites a
seeded random sample of the city's cell centres, radius 5 km, for a few N:

- ours: ``coverage_sets`` + ``greedy_max_cover`` (time includes building the coverage sets),
  and the same followed by ``swap_improve`` (``suggest_sites(improve=True)``);
- spopt: ``MCLP.from_cost_matrix`` on the great-circle cost matrix, solved by CBC
  (``pulp.PULP_CBC_CMD(msg=False)``); time includes the cost matrix, the model and the solve.

Both solutions are scored by the same independent count (haversine distances), and the
ratio ours / spopt is the share of the optimum greedy reaches. Then the whole province:
``suggest_sites(new=50)`` on the 1 km² grid with the shipped outlets, from reading the data
to the table. spopt and pulp are benchmark-only dependencies (``pip install -e ".[bench]"``).

Run: ``python benchmarks/bench_siting.py`` (``--help`` for the city, radius, sizes).
"""

from __future__ import annotations

import argparse
import datetime
import time

import numpy as np

RADIUS_KM = 5.0


def _covered(distance_km: np.ndarray, chosen: np.ndarray, weights: np.ndarray, radius: float):
    """Weight within ``radius`` of any chosen candidate (rows of ``distance_km``)."""
    if chosen.size == 0:
        return 0.0
    return float(weights[(distance_km[chosen] <= radius).any(axis=0)].sum())


def city_rows(prefix: str, candidates: list[int], ns: list[int], radius: float) -> list[dict]:
    """Greedy (and swaps) against spopt's exact MCLP on one city, per candidates and N."""
    import pulp
    from spopt.locate import MCLP

    from locator import datasets
    from locator.distance import haversine_km
    from locator.planning.demand import estimate_demand
    from locator.planning.siting import coverage_sets, greedy_max_cover, swap_improve

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
            ours, _ = greedy_max_cover(matrix, weights, n)
            ours_s = time.perf_counter() - start
            swapped = swap_improve(matrix, weights, ours)
            swap_s = time.perf_counter() - start

            start = time.perf_counter()
            cost = haversine_km(lon[:, None], lat[:, None], clon[None, :], clat[None, :])
            model = MCLP.from_cost_matrix(cost, weights, service_radius=radius, p_facilities=n)
            model = model.solve(pulp.PULP_CBC_CMD(msg=False))
            spopt_s = time.perf_counter() - start
            theirs = np.array([i for i, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5])

            ours_cov = _covered(distance, ours, weights, radius)
            swap_cov = _covered(distance, swapped, weights, radius)
            opt_cov = _covered(distance, theirs, weights, radius)
            rows.append(
                {
                    "cells": int(lon.size),
                    "candidates": int(pick.size),
                    "N": n,
                    "ours_population": ours_cov,
                    "optimum_population": opt_cov,
                    "ratio": ours_cov / opt_cov if opt_cov else float("nan"),
                    "swap_ratio": swap_cov / opt_cov if opt_cov else float("nan"),
                    "ours_s": ours_s,
                    "swap_s": swap_s,
                    "spopt_s": spopt_s,
                    "time_ratio": ours_s / spopt_s,
                }
            )
            print(_line(rows[-1]), flush=True)
    return rows


def _line(row: dict) -> str:
    return (
        f"| {row['cells']:,} | {row['candidates']:,} | {row['N']} | "
        f"{row['ours_population']:,.0f} | {row['optimum_population']:,.0f} | "
        f"{row['ratio']:.4f} | {row['swap_ratio']:.4f} | {row['ours_s']:.3f} | "
        f"{row['swap_s']:.3f} | {row['spopt_s']:.1f} | {row['time_ratio']:.4f} |"
    )


def province_row(n: int, radius: float) -> dict:
    """``suggest_sites(new=n)`` over the whole province, with and without swaps."""
    start = time.perf_counter()
    from locator import datasets
    from locator.planning.demand import estimate_demand
    from locator.planning.inputs import PlanningInputs
    from locator.planning.siting import suggest_sites

    counties = datasets.counties()
    demand = estimate_demand(counties, cell_area_km2=1.0)
    inputs = PlanningInputs.build(datasets.outlets(), counties, demand=demand, radius_km=radius)
    ready = time.perf_counter()
    sites = suggest_sites(inputs, new=n)
    done = time.perf_counter()
    better = suggest_sites(inputs, new=n, improve=True)
    improved = time.perf_counter()
    return {
        "cells": len(demand),
        "sites": len(sites),
        "baseline_share": sites.attrs["baseline_share"],
        "after_share": float(sites["cumulative_share"].iloc[-1]) if len(sites) else float("nan"),
        "load_s": ready - start,
        "suggest_s": done - ready,
        "improve_share": float(better["cumulative_share"].iloc[-1])
        if len(better)
        else float("nan"),
        "improve_s": improved - done,
    }


def main() -> None:
    """Print the city comparison and the province row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="1401", help="adcode prefix of the city (1401: 太原市)")
    parser.add_argument("--candidates", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--n", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--radius-km", type=float, default=RADIUS_KM)
    parser.add_argument("--province-n", type=int, default=50)
    parser.add_argument("--province-only", action="store_true", help="skip the spopt comparison")
    args = parser.parse_args()

    print(f"# {datetime.date.today()}, radius {args.radius_km:g} km, city {args.city}xx")
    print(
        "| cells | candidates | N | greedy: covered | spopt MCLP optimum | greedy / optimum "
        "| greedy+swaps / optimum | greedy s | greedy+swaps s | spopt s | time greedy / spopt |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if not args.province_only:
        city_rows(args.city, args.candidates, args.n, args.radius_km)
    row = province_row(args.province_n, args.radius_km)
    print(
        f"\nWhole province, suggest_sites(new={args.province_n}) with the shipped outlets: "
        f"{row['cells']:,} cells, {row['sites']} sites (rule repair + coverage), coverage "
        f"{row['baseline_share']:.1%} -> {row['after_share']:.1%}; "
        f"{row['suggest_s']:.1f} s (+ {row['load_s']:.1f} s to read data and build the grid); "
        f"with improve=True: {row['improve_share']:.2%} in {row['improve_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
