"""Nearest-outlet queries: OutletIndex against the alternatives a user would pick.

1M uniform random points over Shanxi, k = 1, over the shipped 1,443 outlets:

- ``OutletIndex`` (BallTree over 3-D unit vectors, chord -> arc);
- ``BallTree(metric="haversine")`` on radians, the textbook choice;
- ``scipy.spatial.cKDTree`` on the same unit vectors;
- NumPy brute force (chunked dot products of unit vectors, the fastest exact brute force).

Each method runs in its own process so that its peak memory is its own; every method's
answer is checked against OutletIndex's. A second table times OutletIndex over the larger
registry of both shipped layers (1,443 one-stop outlets + 5,423 ordinary branches) next to
the one-stop layer alone: unfiltered (one-stop outlets only, as the published figures), and a
bank-side task with a bank (every branch of that bank); each answer is checked against
cKDTree over the outlets the issue's rules allow. Run: ``python benchmarks/bench_index.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

N_POINTS = 1_000_000
REPEATS = 3


def _points(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    return rng.uniform(110.2, 114.6, n), rng.uniform(34.5, 40.8, n)


def run_one(method: str, n: int) -> dict[str, float]:
    """Time one method on ``n`` random points, in this process, and check its answer.

    Parameters
    ----------
    method : str
        One of ``"OutletIndex"``, ``"BallTree haversine"``, ``"cKDTree unit vectors"``,
        ``"NumPy brute force"``.
    n : int
        Number of random query points over Shanxi (the same points for every method).

    Returns
    -------
    dict of str to float
        ``seconds`` (best of ``REPEATS``), ``peak_mb`` (memory the method added to this
        process's peak) and ``max_abs_diff_m`` (largest difference from OutletIndex's
        distances, metres).
    """
    from scipy.spatial import cKDTree
    from sklearn.neighbors import BallTree

    from locator import datasets
    from locator.distance import chord_to_km, unit_vectors
    from locator.index import OutletIndex
    from locator.settings import earth_radius_km

    outlets = datasets.outlets()
    lon, lat = _points(n)
    olon, olat = outlets.geometry.x.to_numpy(), outlets.geometry.y.to_numpy()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def ours() -> np.ndarray:
        return OutletIndex(outlets).query(lon=lon, lat=lat, k=1)[0][:, 0]

    def haversine_tree() -> np.ndarray:
        tree = BallTree(np.radians(np.column_stack((olat, olon))), metric="haversine")
        d, _ = tree.query(np.radians(np.column_stack((lat, lon))), k=1)
        return d[:, 0] * earth_radius_km

    def ckdtree() -> np.ndarray:
        tree = cKDTree(unit_vectors(olon, olat))
        d, _ = tree.query(unit_vectors(lon, lat), k=1)
        return chord_to_km(d)

    def brute() -> np.ndarray:
        targets = unit_vectors(olon, olat).T
        best = np.empty(n)
        for start in range(0, n, 50_000):
            q = unit_vectors(lon[start : start + 50_000], lat[start : start + 50_000])
            cos = np.clip((q @ targets).max(axis=1), -1.0, 1.0)
            best[start : start + 50_000] = np.arccos(cos) * earth_radius_km
        return best

    fn = {"OutletIndex": ours, "BallTree haversine": haversine_tree, "cKDTree unit vectors": ckdtree,
          "NumPy brute force": brute}[method]  # fmt: skip
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        distance = fn()
        times.append(time.perf_counter() - start)
    reference = OutletIndex(outlets).query(lon=lon, lat=lat, k=1)[0][:, 0]
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    return {
        "seconds": min(times),
        "peak_mb": max(peak_mb, 0.0),
        "max_abs_diff_m": float(np.abs(distance - reference).max() * 1000),
    }


# The larger layer: (label, registry, task, bank).
LAYER_CASES = [
    ("one-stop layer, unfiltered", "outlets", None, None),
    ("both layers, unfiltered", "registry", None, None),
    (
        "one-stop layer, activate_finance + 中国工商银行",
        "outlets",
        "activate_finance",
        "中国工商银行",
    ),
    (
        "both layers, activate_finance + 中国工商银行",
        "registry",
        "activate_finance",
        "中国工商银行",
    ),
    ("one-stop layer, activate_finance + 招商银行", "outlets", "activate_finance", "招商银行"),
    ("both layers, activate_finance + 招商银行", "registry", "activate_finance", "招商银行"),
]


def run_layers(n: int) -> list[dict[str, object]]:
    """Time OutletIndex (build, sub-tree and ``n`` queries, k = 1) over each of `LAYER_CASES`.

    Parameters
    ----------
    n : int
        Number of random query points over Shanxi.

    Returns
    -------
    list of dict
        Per case: ``case``, ``outlets`` (rows searched), ``seconds`` (best of ``REPEATS``) and
        ``max_abs_diff_m`` against cKDTree over the rows the rules allow, chosen here from
        the columns (ordinary branches only for a bank-side task of their own bank).
    """
    from scipy.spatial import cKDTree

    from locator import datasets
    from locator.distance import chord_to_km, unit_vectors
    from locator.index import OutletIndex

    lon, lat = _points(n)
    rows: list[dict[str, object]] = []
    for label, layer, task, bank in LAYER_CASES:
        registry = datasets.registry() if layer == "registry" else datasets.outlets()
        if task is None:
            allowed = (registry["kind"] != "branch").to_numpy()
        else:
            does = registry["services"].map(lambda s, task=task: task in s).to_numpy()
            allowed = does & (registry["bank"] == bank).to_numpy()
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            distance = OutletIndex(registry).query(lon=lon, lat=lat, k=1, task=task, bank=bank)[0]
            times.append(time.perf_counter() - start)
        subset = registry[allowed]
        tree = cKDTree(unit_vectors(subset.geometry.x.to_numpy(), subset.geometry.y.to_numpy()))
        reference = chord_to_km(tree.query(unit_vectors(lon, lat), k=1)[0])
        rows.append(
            {
                "case": label,
                "outlets": int(allowed.sum()),
                "seconds": min(times),
                "max_abs_diff_m": float(np.abs(distance[:, 0] - reference).max() * 1000),
            }
        )
    return rows


def main() -> int:
    """Run every method in its own process and print the comparison as a Markdown table.

    Returns
    -------
    int
        The exit status, 0 (a method that fails raises).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=N_POINTS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method == "layers":
        print(json.dumps(run_layers(args.points)))
        return 0
    if args.method:
        print(json.dumps(run_one(args.method, args.points)))
        return 0
    methods = ["OutletIndex", "BallTree haversine", "cKDTree unit vectors", "NumPy brute force"]
    results = {}
    for method in methods:
        done = subprocess.run(
            [sys.executable, __file__, "--method", method, "--points", str(args.points)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        results[method] = json.loads(done.stdout.strip().splitlines()[-1])
    ours = results["OutletIndex"]["seconds"]
    print(f"{args.points:,} random points in Shanxi, k = 1, 1,443 outlets; best of {REPEATS}\n")
    print(
        "| method | seconds | time / OutletIndex | peak extra memory (MB) | max diff vs OutletIndex (m) |"
    )
    print("|---|---:|---:|---:|---:|")
    for method, r in results.items():
        print(
            f"| {method} | {r['seconds']:.3f} | {r['seconds'] / ours:.2f}x | {r['peak_mb']:.0f} | "
            f"{r['max_abs_diff_m']:.2e} |"
        )
    done = subprocess.run(
        [sys.executable, __file__, "--method", "layers", "--points", str(args.points)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    layers = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nThe larger layer: OutletIndex over both shipped layers, k = 1; best of {REPEATS}\n")
    print("| query | outlets searched | seconds | max diff vs cKDTree (m) |")
    print("|---|---:|---:|---:|")
    for r in layers:
        print(
            f"| {r['case']} | {r['outlets']:,} | {r['seconds']:.3f} | {r['max_abs_diff_m']:.2e} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
