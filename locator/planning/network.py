"""Road distance on an OpenStreetMap road network: `RoadNetwork`.

A network is built once from an extract (``.osm.pbf``) for one mode, driving or walking,
and cached as ``.npz`` beside the extract, keyed by the file's hash and the mode, so a
second run does not parse the extract again. Edge lengths are great-circle metres between
consecutive nodes of a way; each edge also carries a travel time by road class.

Outlets and demand cells are snapped to their nearest node (one vectorized tree query);
the snap leg counts as straight line. One multi-source shortest-path pass from every
outlet (:func:`scipy.sparse.csgraph.dijkstra` with ``min_only=True``) gives every node
its road distance to the nearest outlet and which outlet that is: no loop over outlets.
Each outlet enters the graph as a node of its own, joined to its nearest road node by its
snap leg, so the pass itself adds the outlet's leg. A road distance is therefore never
shorter than the straight line: every leg is a great-circle segment.

Points farther than ``settings.road_snap_km`` from any road, and outlets on an island of
the graph (a part not joined to the largest), are reported with a `LocatorWarning`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_array, csr_array, csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from locator import settings
from locator._errors import DataFileError, LocatorWarning, ValidationError
from locator._typing import FloatArray, IntArray
from locator._validate import check_choice, check_lonlat_arrays, check_path
from locator.distance import chord_to_km, haversine_km, unit_vectors
from locator.planning import _osm

if TYPE_CHECKING:
    import pandas as pd

    from locator.index import OutletIndex

__all__ = ["MODES", "RoadNetwork", "cache_path", "nearest_by_road"]

logger = logging.getLogger(__name__)

#: The modes a network is built for.
MODES = tuple(_osm.MODES)
_CACHE_VERSION = 1


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


def cache_path(path: Path | str, mode: str = "drive") -> Path:
    """Where the network of an extract is cached: beside it, else in ``settings.cache_dir``.

    The name carries the file's hash and the mode, so an edited extract is a miss.
    """
    extract = Path(path)
    name = f"{extract.name}.{mode}.{_file_hash(extract)}.v{_CACHE_VERSION}.network.npz"
    folder = extract.parent if _writable(extract.parent) else Path(settings.cache_dir)
    return folder / name


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road graph in CSR form, with node positions and the mode it is for.

    Attributes
    ----------
    graph : scipy.sparse.csr_array
        ``graph[u, v]`` is the length (km) of the road from node ``u`` to node ``v``.
    lon, lat : ndarray of float
        Node positions (WGS-84 degrees).
    time_s : scipy.sparse.csr_array
        Travel time (s) of each road by its class, same pattern as ``graph``.
    mode : str
        ``drive`` or ``walk``.
    source : str
        Where the network came from (the extract's file name), for labels.
    """

    graph: csr_array
    lon: FloatArray
    lat: FloatArray
    time_s: csr_array
    mode: str = "drive"
    source: str = ""

    @classmethod
    def from_arrays(  # noqa: PLR0913 (an edge list is these parallel arrays)
        cls,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        source: npt.ArrayLike,
        target: npt.ArrayLike,
        *,
        speed_kmh: npt.ArrayLike | float = 30.0,
        mode: str = "drive",
    ) -> RoadNetwork:
        """A network of nodes at ``lon``/``lat`` and directed roads ``source`` -> ``target``.

        Lengths are the great-circle distances between the ends; of parallel roads the
        shortest is kept.
        """
        node_lon, node_lat = check_lonlat_arrays(lon, lat)
        u = np.asarray(source, dtype=np.intp)
        v = np.asarray(target, dtype=np.intp)
        length_km = haversine_km(node_lon[u], node_lat[u], node_lon[v], node_lat[v])
        speed = np.broadcast_to(np.asarray(speed_kmh, dtype=np.float64), u.shape)
        n = node_lon.size
        # coo -> csr sums parallel edges; keep the shortest of each pair instead
        order = np.lexsort((length_km, v, u))
        u, v, length_km, speed = u[order], v[order], length_km[order], speed[order]
        first = np.ones(u.size, dtype=bool)
        first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v, length_km, speed = u[first], v[first], length_km[first], speed[first]
        graph = csr_array(coo_array((length_km, (u, v)), shape=(n, n)))
        time_s = csr_array(coo_array((length_km / speed * 3600.0, (u, v)), shape=(n, n)))
        return cls(graph, node_lon, node_lat, time_s, check_choice(mode, MODES, "mode"))

    @classmethod
    def from_osm(cls, path: Path | str, *, mode: str = "drive") -> RoadNetwork:
        """The road network of ``mode`` in an OpenStreetMap extract (cached; see module).

        Parameters
        ----------
        path : path
            An ``.osm.pbf`` extract, e.g. Shanxi cut from the China extract with osmium.
        mode : {"drive", "walk"}
            Which roads count: driving uses the roads open to cars and respects one-way
            streets; walking uses footways and paths too, in both directions.

        Raises
        ------
        DataFileError
            When the file is missing, is no readable extract, or holds no road of the mode.
        """
        extract = check_path(path, "network")
        check_choice(mode, MODES, "mode")
        if not extract.is_file():
            msg = f"{extract}: no such file (network); give the path of an .osm.pbf extract"
            raise DataFileError(msg)
        cached = cache_path(extract, mode)
        if cached.is_file():
            try:
                return cls._load(cached, extract.name)
            except (OSError, KeyError, ValueError) as error:  # a damaged cache: build again
                logger.info("cache %s unreadable (%s); parsing the extract again", cached, error)
        roads = _osm.read_extract(extract, mode)
        network = cls.from_arrays(
            roads.lon, roads.lat, roads.source, roads.target, speed_kmh=roads.speed_kmh, mode=mode
        )
        network = RoadNetwork(
            network.graph, network.lon, network.lat, network.time_s, mode, extract.name
        )
        network._save(cached)
        return network

    def _save(self, path: Path) -> None:
        graph, time_s = self.graph, self.time_s
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a reader never sees half a file
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as f:
            np.savez(
                f,
                lon=self.lon,
                lat=self.lat,
                indptr=graph.indptr,
                indices=graph.indices,
                length_km=graph.data,
                time_s=time_s.data,
                mode=np.array(self.mode),
            )
        Path(f.name).replace(path)

    @classmethod
    def _load(cls, path: Path, source: str) -> RoadNetwork:
        with np.load(path, allow_pickle=False) as data:
            n = data["lon"].size
            parts = (data["indices"], data["indptr"])
            graph = csr_array((data["length_km"], *parts), shape=(n, n))
            time_s = csr_array((data["time_s"], *parts), shape=(n, n))
            return cls(graph, data["lon"], data["lat"], time_s, str(data["mode"]), source)

    @property
    def label(self) -> str:
        """How the distances are described in outputs: ``road distance (OSM, drive)``."""
        return f"road distance (OSM, {self.mode})"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(min lon, min lat, max lon, max lat)`` of the nodes."""
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def _tree(self) -> cKDTree:
        tree = self.__dict__.get("_kdtree")
        if tree is None:
            tree = cKDTree(unit_vectors(self.lon, self.lat))
            object.__setattr__(self, "_kdtree", tree)
        return tree

    def _reverse(self) -> csr_array:
        """The graph with every road turned round (a trip from a cell to an outlet), once."""
        reverse = self.__dict__.get("_reverse_graph")
        if reverse is None:
            reverse = csr_array(self.graph.T)
            reverse.sort_indices()
            object.__setattr__(self, "_reverse_graph", reverse)
        return reverse

    def snap(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[IntArray, FloatArray]:
        """The nearest node of each point and the straight-line distance (km) to it.

        Examples
        --------
        >>> net = RoadNetwork.from_arrays([112.5, 112.6], [37.8, 37.8], [0], [1])
        >>> nodes, km = net.snap([112.59], [37.8])
        >>> int(nodes[0]), round(float(km[0]), 2)
        (1, 0.88)
        """
        lon_a, lat_a = check_lonlat_arrays(lon, lat)
        chord, node = self._tree().query(unit_vectors(lon_a, lat_a), k=1)
        return np.asarray(node, dtype=np.intp), chord_to_km(chord)

    def islands(self) -> IntArray:
        """A component label per node; label ``-1`` marks the largest (weakly joined) part."""
        _, labels = connected_components(self.graph, directed=True, connection="weak")
        labels = labels.astype(np.intp)
        labels[labels == np.bincount(labels).argmax()] = -1
        return labels

    def distance_to_nearest(  # noqa: PLR0913 (two point sets and their options)
        self,
        sources_lon: npt.ArrayLike,
        sources_lat: npt.ArrayLike,
        targets_lon: npt.ArrayLike,
        targets_lat: npt.ArrayLike,
        *,
        limit_km: float | None = None,
        source_names: Sequence[Any] | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """Road distance (km) from each target to its nearest source, and which source.

        One multi-source pass over the reversed graph (a trip goes from the target to the
        source, so one-way streets count in that direction). Snap legs at both ends count
        as straight line. ``inf`` and ``-1`` where no source is reachable (or none lies
        within ``limit_km``). Sources on an island of the graph, and points farther than
        ``settings.road_snap_km`` from any road, are reported with a `LocatorWarning`
        (``source_names`` names the sources in it; default their positions).

        Examples
        --------
        >>> net = RoadNetwork.from_arrays(
        ...     [112.50, 112.51, 112.52], [37.8, 37.8, 37.8], [0, 1, 1, 2], [1, 0, 2, 1]
        ... )
        >>> km, which = net.distance_to_nearest([112.50, 112.52], [37.8, 37.8], [112.512], [37.8])
        >>> round(float(km[0]), 3), int(which[0])
        (1.054, 1)
        """
        src_lon, src_lat = check_lonlat_arrays(sources_lon, sources_lat)
        dst_lon, dst_lat = check_lonlat_arrays(targets_lon, targets_lat)
        limit = np.inf if limit_km is None else float(limit_km)
        if not limit > 0:
            msg = f"limit_km={limit_km!r} must be a positive number of km, or None for no limit"
            raise ValidationError(msg)
        names = list(range(src_lon.size)) if source_names is None else list(source_names)
        n = self.lon.size
        if src_lon.size == 0:
            return np.full(dst_lon.size, np.inf), np.full(dst_lon.size, -1, dtype=np.intp)
        src_node, src_leg = self.snap(src_lon, src_lat)
        dst_node, dst_leg = self.snap(dst_lon, dst_lat)
        self._report(src_node, src_leg, dst_leg, names)
        # each source is a node of its own (n + i), joined to its road node by its leg;
        # the pass runs on the reversed roads, from the sources towards every node
        m = src_lon.size
        reverse = self._reverse()
        graph = csr_array(
            (
                np.concatenate([reverse.data, src_leg]),  # a zero leg stays an edge in CSR
                np.concatenate([reverse.indices, src_node]),
                np.concatenate([reverse.indptr, reverse.indptr[-1] + np.arange(1, m + 1)]),
            ),
            shape=(n + m, n + m),
        )
        distance, _, nearest = dijkstra(
            graph,
            directed=True,
            indices=n + np.arange(m),
            min_only=True,
            limit=limit,
            return_predecessors=True,
        )
        km = distance[dst_node] + dst_leg
        which = np.where(nearest[dst_node] >= 0, nearest[dst_node] - n, -1).astype(np.intp)
        over = km > limit
        km[over], which[over] = np.inf, -1
        return km, which

    def _report(
        self, src_node: IntArray, src_leg: FloatArray, dst_leg: FloatArray, names: list[Any]
    ) -> None:
        """Warn about sources on islands and points far from any road."""
        reach = float(settings.road_snap_km)
        island = np.flatnonzero(self.islands()[src_node] >= 0)
        if island.size:
            shown = ", ".join(str(names[i]) for i in island[:10])
            more = f" and {island.size - 10} more" if island.size > 10 else ""
            warnings.warn(
                f"{island.size} outlet(s) lie on an island of the {self.mode} road network, "
                f"not joined to its largest part: {shown}{more}; they serve only that island",
                LocatorWarning,
                stacklevel=3,
            )
        far_src = np.flatnonzero(src_leg > reach)
        if far_src.size:
            shown = ", ".join(f"{names[i]} ({src_leg[i]:.1f} km)" for i in far_src[:10])
            more = f" and {far_src.size - 10} more" if far_src.size > 10 else ""
            warnings.warn(
                f"{far_src.size} outlet(s) lie farther than {reach:g} km from any {self.mode} "
                f"road: {shown}{more}; the way to the road counts as straight line",
                LocatorWarning,
                stacklevel=3,
            )
        far_dst = dst_leg > reach
        if far_dst.any():
            warnings.warn(
                f"{int(far_dst.sum()):,} of {dst_leg.size:,} points lie farther than {reach:g} km "
                f"from any {self.mode} road (farthest {float(dst_leg.max()):.1f} km); the way to "
                "the road counts as straight line",
                LocatorWarning,
                stacklevel=3,
            )

    def reach(  # noqa: PLR0913 (two point sets and a radius)
        self,
        site_lon: npt.ArrayLike,
        site_lat: npt.ArrayLike,
        demand_lon: npt.ArrayLike,
        demand_lat: npt.ArrayLike,
        radius_km: float,
        *,
        within: csr_matrix | None = None,
    ) -> csr_matrix:
        """Which demand points each site serves within ``radius_km`` by road (sites x demand).

        ``within`` (the straight-line pairs within the radius, a superset since a road is
        never shorter) limits the pairs looked at. One pass per site, bounded by the
        radius, in chunks that keep the working memory near ``settings.chunk_size`` x 800
        bytes. Snap legs count as straight line, as in `distance_to_nearest`.
        """
        s_lon, s_lat = check_lonlat_arrays(site_lon, site_lat)
        d_lon, d_lat = check_lonlat_arrays(demand_lon, demand_lat)
        if within is None:
            within = csr_matrix(np.ones((s_lon.size, d_lon.size), dtype=bool))
        site_node, site_leg = self.snap(s_lon, s_lat)
        cell_node, cell_leg = self.snap(d_lon, d_lat)
        reverse = self._reverse()  # a trip runs from the cell to the site
        n = self.lon.size
        step = max(1, int(settings.chunk_size) * 100 // n)
        keep = np.zeros(within.nnz, dtype=bool)
        indptr = within.indptr
        for start in range(0, s_lon.size, step):
            stop = min(start + step, s_lon.size)
            along = dijkstra(
                reverse, directed=True, indices=site_node[start:stop], limit=float(radius_km)
            )
            span = slice(indptr[start], indptr[stop])
            rows = np.repeat(np.arange(stop - start), np.diff(indptr[start : stop + 1]))
            cells = within.indices[span]
            road = along[rows, cell_node[cells]] + site_leg[start + rows] + cell_leg[cells]
            keep[span] = road <= radius_km
        owner = np.repeat(np.arange(s_lon.size), np.diff(indptr))
        counts = np.bincount(owner[keep], minlength=s_lon.size)
        matrix = csr_matrix(
            (keep[keep], within.indices[keep], np.concatenate(([0], np.cumsum(counts)))),
            shape=(s_lon.size, d_lon.size),
        )
        return matrix

    def distance_from(
        self, lon: float, lat: float, to_lon: npt.ArrayLike, to_lat: npt.ArrayLike
    ) -> FloatArray:
        """Road distance (km) from one point to each of the points ``to_*`` (one pass).

        Snap legs at both ends count as straight line; ``inf`` where no road leads there.
        """
        (node,), (leg,) = self.snap([lon], [lat])
        ends, end_legs = self.snap(to_lon, to_lat)
        along = dijkstra(self.graph, directed=True, indices=int(node))
        return np.asarray(along[ends] + leg + end_legs, dtype=np.float64)

    def check_overlap(self, bounds: Sequence[float], what: str = "the province") -> None:
        """Refuse a network whose nodes' box does not meet ``bounds`` (lon/lat box).

        Raises
        ------
        ValidationError
            Naming ``network`` and both boxes.
        """
        west, south, east, north = (float(b) for b in bounds)
        x0, y0, x1, y1 = self.bounds
        if x1 < west or x0 > east or y1 < south or y0 > north:
            msg = (
                f"network {self.source or 'given'!r} covers lon {x0:.2f}..{x1:.2f}, lat "
                f"{y0:.2f}..{y1:.2f}, which does not overlap {what} (lon {west:.2f}..{east:.2f}, "
                f"lat {south:.2f}..{north:.2f}); give an extract that covers them"
            )
            raise ValidationError(msg)


def nearest_by_road(  # noqa: PLR0913 (the keywords of OutletIndex.nearest, and the network)
    index: OutletIndex,
    network: RoadNetwork,
    *,
    lon: float,
    lat: float,
    k: int | None = None,
    task: str | None = None,
    bank: str | None = None,
    widen: int = 4,
) -> pd.DataFrame:
    """The ``k`` suitable outlets nearest to a point by road, as `OutletIndex.nearest` gives.

    The index stays straight-line: its ``widen × k`` nearest suitable outlets are the
    candidates, their road distance from the point is one pass over ``network``, and the
    ``k`` nearest by road are kept, sorted. An outlet nearer by road than all of these
    would need a detour factor above ``widen`` on every candidate; ``straight_km`` keeps the
    straight line beside ``distance_km`` (the road), ``inf`` where no road leads there.

    Examples
    --------
    >>> from locator import datasets
    >>> from locator.index import OutletIndex
    >>> net = RoadNetwork.from_arrays([112.55, 112.56], [37.87, 37.87], [0, 1], [1, 0])
    >>> found = nearest_by_road(OutletIndex(datasets.outlets()), net, lon=112.55, lat=37.87, k=2)
    >>> bool((found["distance_km"] >= found["straight_km"] - 1e-9).all())
    True
    """
    k = settings.default_k if k is None else k
    wide = index.nearest(lon=lon, lat=lat, k=max(1, int(widen)) * k, task=task, bank=bank)
    road = network.distance_from(lon, lat, wide["lon"], wide["lat"])
    wide = wide.rename(columns={"distance_km": "straight_km"}).assign(distance_km=road)
    order = np.lexsort((wide["straight_km"].to_numpy(), road))[:k]
    return wide.iloc[order].reset_index(drop=True)
