"""The multi-source road-distance pass on a synthetic road graph: scipy vs igraph vs networkx.

A square grid of two-way streets over Shanxi's box (``side`` x ``side`` nodes, four
directed edges per inner node: about 2 M nodes and 8 M edges at side 1,415), with 1,443
outlets on random nodes. Each library answers the same question, the road distance from
every node to its nearest outlet:

- scipy: `RoadNetwork.distance_to_nearest` (outlets as nodes of their own, one
  ``dijkstra(..., min_only=True)``), every node a target; the pass alone is timed too;
- igraph: one Dijkstra from a super-source joined to every outlet at zero length;
- networkx: ``multi_source_dijkstra_path_length`` (slow to build and run at full size, so
  it runs on a smaller grid, given with ``--nx-side``; the other two run there as well).

The answers are checked against each other. Graph building is not timed.
Run: ``python benchmarks/bench_network.py [--side 1415] [--nx-side 500]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from locator.planning.network import RoadNetwork

SOURCES = 1443


def grid(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes of a side x side grid over Shanxi's box, and its two-way streets."""
    rng = np.random.default_rng(0)
    j, i = np.meshgrid(np.arange(side), np.arange(side))
    lon = 110.2 + 4.4 * j.ravel() / side + rng.uniform(0, 1e-4, side * side)
    lat = 34.6 + 6.1 * i.ravel() / side + rng.uniform(0, 1e-4, side * side)
    node = np.arange(side * side).reshape(side, side)
    east = np.stack([node[:, :-1].ravel(), node[:, 1:].ravel()])
    north = np.stack([node[:-1, :].ravel(), node[1:, :].ravel()])
    pairs = np.concatenate([east, north], axis=1)
    source = np.concatenate([pairs[0], pairs[1]])
    target = np.concatenate([pairs[1], pairs[0]])
    return lon, lat, source, target


def best(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` runs (seconds) and the last answer."""
    times, answer = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        answer = run()
        times.append(time.perf_counter() - start)
    return min(times), answer


def measure(side: int, *, with_networkx: bool, repeats: int) -> None:
    """Time the pass with each library on one grid and check they agree."""
    lon, lat, source, target = grid(side)
    net = RoadNetwork.from_arrays(lon, lat, source, target)
    rng = np.random.default_rng(1)
    outlets = rng.choice(lon.size, size=SOURCES, replace=False)
    n, m = lon.size, net.graph.nnz
    print(f"\ngrid {side} x {side}: {n:,} nodes, {m:,} directed edges, {SOURCES:,} outlets")

    net.snap(lon[:1], lat[:1])  # build the snapping tree once, outside the timings
    t_whole, (km, _) = best(
        lambda: net.distance_to_nearest(lon[outlets], lat[outlets], lon, lat), repeats
    )
    reverse = net.graph.T.tocsr()
    t_pass, _ = best(
        lambda: dijkstra(reverse, directed=True, indices=outlets, min_only=True), repeats
    )
    print(f"  scipy min_only pass alone          {t_pass:8.2f} s")
    print(f"  scipy RoadNetwork.distance_to_nearest (snap + pass, {n:,} targets) {t_whole:6.2f} s")

    coo = net.graph.tocoo()
    graph = ig.Graph(n=n + 1, edges=np.column_stack([coo.col, coo.row]), directed=True)
    graph.add_edges([(n, int(o)) for o in outlets])
    weights = np.concatenate([coo.data, np.zeros(SOURCES)]).tolist()
    graph.es["weight"] = weights
    t_ig, found = best(lambda: graph.distances(source=[n], weights="weight")[0][:n], repeats)
    print(f"  igraph super-source Dijkstra       {t_ig:8.2f} s")
    np.testing.assert_allclose(km, np.asarray(found), rtol=1e-9)

    if with_networkx:
        g = nx.DiGraph()
        g.add_weighted_edges_from(
            zip(coo.col.tolist(), coo.row.tolist(), coo.data.tolist(), strict=True)
        )
        t_nx, lengths = best(
            lambda: nx.multi_source_dijkstra_path_length(g, set(outlets.tolist())), 1
        )
        print(f"  networkx multi_source_dijkstra     {t_nx:8.2f} s")
        expected = np.array([lengths[v] for v in range(n)])
        np.testing.assert_allclose(km, expected, rtol=1e-9)
    print("  answers agree")


def main() -> None:
    """Run the full-size grid (scipy, igraph) and the smaller one (all three)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=1415)
    parser.add_argument("--nx-side", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    measure(args.nx_side, with_networkx=True, repeats=args.repeats)
    measure(args.side, with_networkx=False, repeats=args.repeats)


if __name__ == "__main__":
    main()
