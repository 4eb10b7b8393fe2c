"""Whole-province coverage: time and peak memory at 1 km² and 0.0625 km² (250 m) cells.

Each run is its own process so that its peak memory (``ru_maxrss``) is its own. A run
loads the shipped counties and sample outlets, then times, from a cold demand cache,

- ``estimate_demand``: the census-based grid over the province, then
- ``coverage_report``: distances to the nearest outlet (chunked), the county rule,
  the figures for 117 counties, 11 cities and the province at 5 radii;
- or ``gaps``: the cells beyond 5 km, as polygons (in a process of its own).

The 250 m grid is run with several ``settings.chunk_size`` values; the ``distances`` runs
time the chunked nearest-outlet step alone (over the 250 m grid loaded from a file, so
that no earlier step's peak hides its own) to show that its working memory is bounded
by the chunk size.
Run: ``python benchmarks/bench_coverage.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPEATS = 3
# (what, cell area in km², settings.chunk_size)
CONFIGS = [
    ("coverage", 1.0, 200_000),
    ("coverage", 0.0625, 20_000),
    ("coverage", 0.0625, 200_000),
    ("coverage", 0.0625, 5_000_000),
    ("distances", 0.0625, 20_000),
    ("distances", 0.0625, 200_000),
    ("distances", 0.0625, 5_000_000),
    ("gaps", 1.0, 200_000),
    ("gaps", 0.0625, 200_000),
]


def run_distances(grid: str, chunk_size: int, repeats: int) -> dict[str, float]:
    """Peak memory of the chunked nearest-outlet step alone, over a grid read from ``grid``."""
    from locator import datasets, settings
    from locator.index import OutletIndex
    from locator.planning.demand import Demand
    from locator.planning.inputs import PlanningInputs, nearest_distances

    settings.chunk_size = chunk_size
    index = OutletIndex(datasets.outlets())
    index.query(lon=[112.5], lat=[37.8])
    saved = np.load(grid)
    n = saved["lon"].size
    demand = Demand(
        saved["lon"], saved["lat"], np.ones(n), np.ones(n), np.full(n, "140105", dtype=object),
        None, "points:bench",
    )  # fmt: skip
    del saved
    inputs = PlanningInputs.build(index, datasets.counties(), demand=demand)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        distance = nearest_distances(inputs)  # a new array each time: not the kept one
        seconds = min(seconds, time.perf_counter() - start)
        del distance
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "demand_s": 0.0,
        "work_s": seconds,
        "cells": n,
        "found": 0,
        "peak_extra_mb": max(peak - rss_before, 0) / 1024,
        "peak_mb": peak / 1024,
    }


def run_one(what: str, cell_area_km2: float, chunk_size: int, repeats: int) -> dict[str, float]:
    """Time the estimate and one coverage report or gap layer; peak memory too."""
    from locator import datasets, settings
    from locator.index import OutletIndex
    from locator.planning import demand as demand_module
    from locator.planning.coverage import coverage_report, gaps

    settings.chunk_size = chunk_size
    counties = datasets.counties()
    index = OutletIndex(datasets.outlets())
    index.query(lon=[112.5], lat=[37.8])  # build the tree outside the timing
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = {"demand_s": float("inf"), "work_s": float("inf")}
    cells = found = 0
    for _ in range(repeats):
        demand_module._ESTIMATES.clear()  # time the grid from scratch every time
        start = time.perf_counter()
        demand = demand_module.estimate_demand(counties, cell_area_km2=cell_area_km2)
        built = time.perf_counter()
        if what == "coverage":
            result = coverage_report(index, counties, demand=demand)
            found = result.province["counties_meeting_rule"]
        else:
            result = gaps(index, counties, demand=demand)
            found = len(result)
        done = time.perf_counter()
        best["demand_s"] = min(best["demand_s"], built - start)
        best["work_s"] = min(best["work_s"], done - built)
        cells = len(demand)
        del demand, result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        **best,
        "cells": cells,
        "found": found,
        "peak_extra_mb": max(peak - rss_before, 0) / 1024,
        "peak_mb": peak / 1024,
    }


def main() -> int:
    """Run every configuration in a process of its own and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--grid", help=argparse.SUPPRESS)
    parser.add_argument("--save-grid", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        what, area, chunk = args.one[0], float(args.one[1]), int(args.one[2])
        if what == "distances":
            print(json.dumps(run_distances(args.grid, chunk, args.repeats)))
        else:
            print(json.dumps(run_one(what, area, chunk, args.repeats)))
        return 0
    if args.save_grid:
        from locator import datasets
        from locator.planning.demand import estimate_demand

        demand = estimate_demand(datasets.counties(), cell_area_km2=0.0625)
        np.savez(args.save_grid, lon=demand.lon, lat=demand.lat)
        return 0
    rows = []
    work = Path(tempfile.mkdtemp())
    grid = work / "grid.npz"
    # In a process of its own: a child's peak RSS starts from its parent's at fork time.
    subprocess.run([sys.executable, __file__, "--save-grid", str(grid)], check=True)
    for what, area, chunk in CONFIGS:
        done = subprocess.run(
            [sys.executable, __file__, "--one", what, str(area), str(chunk), "--repeats", str(args.repeats),
             "--grid", str(grid)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append((what, area, chunk, json.loads(done.stdout.strip().splitlines()[-1])))
    print(f"Whole province, shipped sample outlets (1,443), any task; best of {args.repeats}\n")
    print(
        "| run | cell | chunk_size | cells | estimate_demand (s) | coverage_report or gaps (s) "
        "| total (s) | peak extra memory (MB) | peak RSS (MB) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for what, area, chunk, r in rows:
        side = f"{area**0.5 * 1000:.0f} m ({area:g} km²)"
        label = f"gaps ({r['found']:,} cells)" if what == "gaps" else what
        print(
            f"| {label} | {side} | {chunk:,} | {r['cells']:,} | {r['demand_s']:.2f} | "
            f"{r['work_s']:.2f} | {r['demand_s'] + r['work_s']:.2f} | {r['peak_extra_mb']:.0f} | "
            f"{r['peak_mb']:.0f} |"
        )
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
