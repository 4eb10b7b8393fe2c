"""Reading the roads of an OpenStreetMap extract (``.osm.pbf``) into arrays, for `network`.

pyosmium reads the file (it was faster than pyrosm on the same extracts, see
``benchmarks/README.md``); this module turns its ways into node coordinates and directed
edges, and knows which roads each mode may use and how fast it goes on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from locator._errors import DataFileError
from locator._typing import FloatArray, IntArray

__all__ = ["MODES", "SPEED_KMH", "WALK_KMH", "Roads", "read_extract"]

#: The highway classes each mode may use (OSM ``highway=*``).
MODES: dict[str, frozenset[str]] = {
    "drive": frozenset(
        {
            "motorway",
            "motorway_link",
            "trunk",
            "trunk_link",
            "primary",
            "primary_link",
            "secondary",
            "secondary_link",
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "road",
        }
    ),  # fmt: skip
    "walk": frozenset(
        {
            "primary",
            "primary_link",
            "secondary",
            "secondary_link",
            "tertiary",
            "tertiary_link",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "road",
            "pedestrian",
            "footway",
            "path",
            "steps",
            "track",
            "cycleway",
            "bridleway",
            "corridor",
        }
    ),  # fmt: skip
}

#: Travel speed (km/h) by highway class when driving; walking is ``WALK_KMH`` everywhere.
SPEED_KMH: dict[str, float] = {
    "motorway": 100.0, "motorway_link": 60.0, "trunk": 80.0, "trunk_link": 50.0,
    "primary": 60.0, "primary_link": 40.0, "secondary": 50.0, "secondary_link": 35.0,
    "tertiary": 40.0, "tertiary_link": 30.0, "unclassified": 30.0, "residential": 25.0,
    "living_street": 10.0, "service": 15.0, "road": 30.0,
}  # fmt: skip
WALK_KMH = 5.0
_CLOSED = frozenset({"no", "private"})


@dataclass(frozen=True)
class Roads:
    """The roads of one mode in an extract: nodes and directed edges (``source`` to ``target``).

    Attributes
    ----------
    lon, lat : ndarray of float
        Node positions (WGS-84 degrees).
    source, target : ndarray of int
        Node positions of each directed edge's ends.
    speed_kmh : ndarray of float
        Travel speed on each edge.
    ways : int
        How many ways of the mode the extract held.
    """

    lon: FloatArray
    lat: FloatArray
    source: IntArray
    target: IntArray
    speed_kmh: FloatArray
    ways: int


def _direction(tags: dict[str, str], mode: str) -> int:
    """1 forwards only, -1 backwards only, 0 both ways (walking ignores ``oneway``)."""
    if mode == "walk":
        return 0
    oneway = tags.get("oneway", "")
    if oneway in ("yes", "true", "1") or tags.get("highway") in ("motorway", "motorway_link"):
        return 1 if oneway not in ("no", "-1") else 0
    return -1 if oneway == "-1" else 0


def read_extract(path: Path, mode: str) -> Roads:
    """The roads of ``mode`` in the extract at ``path`` (parses the whole file).

    Raises
    ------
    DataFileError
        When the file cannot be read as an OSM extract, or holds no road of the mode.
    """
    try:
        import osmium
    except ImportError as error:  # an optional part: the network extra
        msg = "reading an OpenStreetMap extract needs pyosmium: pip install 'locator[network]'"
        raise ImportError(msg) from error

    allowed = MODES[mode]
    refs: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    starts: list[int] = []  # where each way's nodes begin in refs
    directions: list[int] = []
    speeds: list[float] = []
    try:
        processor = osmium.FileProcessor(
            str(path), osmium.osm.NODE | osmium.osm.WAY
        ).with_locations()
        processor = processor.with_filter(osmium.filter.KeyFilter("highway"))
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {tag.k: tag.v for tag in way.tags}
            if tags.get("highway") not in allowed or tags.get("area") == "yes":
                continue
            if tags.get("access") in _CLOSED or (mode == "walk" and tags.get("foot") in _CLOSED):
                continue
            nodes = [(n.ref, n.lon, n.lat) for n in way.nodes if n.location.valid()]
            if len(nodes) < 2:
                continue
            starts.append(len(refs))
            for ref, lon, lat in nodes:
                refs.append(ref)
                lons.append(lon)
                lats.append(lat)
            directions.append(_direction(tags, mode))
            speeds.append(WALK_KMH if mode == "walk" else SPEED_KMH[tags["highway"]])
    except RuntimeError as error:  # osmium's message for a file that is no extract
        msg = f"{path}: not a readable OpenStreetMap extract ({error}); give an .osm.pbf file"
        raise DataFileError(msg) from error
    if not starts:
        kinds = ", ".join(sorted(allowed)[:4])
        msg = (
            f"{path}: the extract holds no road a {mode} trip can use (highway={kinds}, ...); "
            "give an extract with roads, or another mode"
        )
        raise DataFileError(msg)
    return _to_roads(refs, lons, lats, starts, directions, speeds)


def _to_roads(  # noqa: PLR0913 (the parallel lists the reader fills)
    refs: list[int],
    lons: list[float],
    lats: list[float],
    starts: list[int],
    directions: list[int],
    speeds: list[float],
) -> Roads:
    ref = np.asarray(refs, dtype=np.int64)
    ids, first, node = np.unique(ref, return_index=True, return_inverse=True)
    bounds = np.append(np.asarray(starts, dtype=np.intp), ref.size)
    way_of = np.repeat(np.arange(len(starts)), np.diff(bounds))
    step = np.flatnonzero(way_of[1:] == way_of[:-1])  # consecutive nodes of one way
    u, v, way = node[step], node[step + 1], way_of[step]
    direction = np.asarray(directions, dtype=np.int8)[way]
    forward = direction >= 0
    backward = direction <= 0
    source = np.concatenate([u[forward], v[backward]])
    target = np.concatenate([v[forward], u[backward]])
    speed = np.asarray(speeds, dtype=np.float64)[np.concatenate([way[forward], way[backward]])]
    keep = source != target
    return Roads(
        lon=np.asarray(lons, dtype=np.float64)[first],
        lat=np.asarray(lats, dtype=np.float64)[first],
        source=source[keep].astype(np.intp),
        target=target[keep].astype(np.intp),
        speed_kmh=speed[keep],
        ways=len(starts),
    )
