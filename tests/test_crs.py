"""Tests for locator.crs: WGS-84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator import crs

# Shanxi's bounding box (a little generous), where the shipped data lives.
SHANXI_LON = (110.2, 114.6)
SHANXI_LAT = (34.5, 40.8)
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres, written out here to stay independent of locator."""
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))


@pytest.fixture(scope="module")
def shanxi_points():
    rng = np.random.default_rng(20240403)
    lon = rng.uniform(*SHANXI_LON, size=5000)
    lat = rng.uniform(*SHANXI_LAT, size=5000)
    return lon, lat


# Published reference pairs, from two widely used open-source libraries' own tests:
# - googollee/eviltransform, python/test.py (TESTS: wgsLat, wgsLng, gcjLat, gcjLng),
#   https://github.com/googollee/eviltransform/blob/master/python/test.py
# - wandergis/coordtransform, test/app.js (results listed in its comments),
#   https://github.com/wandergis/coordtransform/blob/master/test/app.js
# Stored below as (lon, lat) -> (lon, lat).
WGS_TO_GCJ_REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai, eviltransform
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen, eviltransform
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing, eviltransform
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Beijing, coordtransform
]
# coordtransform: gcj02tobd09(116.404, 39.915) and bd09togcj02(116.404, 39.915).
GCJ_TO_BD_REFERENCE = [((116.404, 39.915), (116.41036949371029, 39.92133699351021))]
BD_TO_GCJ_REFERENCE = [((116.404, 39.915), (116.39762729119315, 39.90865673957631))]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ_REFERENCE)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    lon, lat = crs.wgs84_to_gcj02(*wgs)
    assert lon == pytest.approx(gcj[0], abs=1e-5)
    assert lat == pytest.approx(gcj[1], abs=1e-5)


@pytest.mark.parametrize(("wgs", "gcj"), WGS_TO_GCJ_REFERENCE)
def test_gcj02_to_wgs84_inverts_published_pairs(wgs, gcj):
    lon, lat = crs.gcj02_to_wgs84(*gcj)
    assert lon == pytest.approx(wgs[0], abs=1e-5)
    assert lat == pytest.approx(wgs[1], abs=1e-5)
    assert haversine_m(lon, lat, *wgs) < 0.01


@pytest.mark.parametrize(("gcj", "bd"), GCJ_TO_BD_REFERENCE)
def test_gcj02_to_bd09_matches_published_pair(gcj, bd):
    lon, lat = crs.gcj02_to_bd09(*gcj)
    assert lon == pytest.approx(bd[0], abs=1e-5)
    assert lat == pytest.approx(bd[1], abs=1e-5)


@pytest.mark.parametrize(("bd", "gcj"), BD_TO_GCJ_REFERENCE)
def test_bd09_to_gcj02_matches_published_pair(bd, gcj):
    # The reference uses the one-step approximation; ours is iterated, so agree to ~1e-5 only.
    lon, lat = crs.bd09_to_gcj02(*bd)
    assert lon == pytest.approx(gcj[0], abs=1e-5)
    assert lat == pytest.approx(gcj[1], abs=1e-5)


def test_round_trip_gcj02_under_1m_in_shanxi(shanxi_points):
    lon, lat = shanxi_points
    back = crs.gcj02_to_wgs84(*crs.wgs84_to_gcj02(lon, lat))
    assert haversine_m(lon, lat, *back).max() < 1.0
    # The iterative inverse is far better than the 1 m the product needs.
    assert haversine_m(lon, lat, *back).max() < 0.001


def test_round_trip_bd09_under_1m_in_shanxi(shanxi_points):
    lon, lat = shanxi_points
    back = crs.bd09_to_wgs84(*crs.wgs84_to_bd09(lon, lat))
    assert haversine_m(lon, lat, *back).max() < 1.0
    gcj_back = crs.bd09_to_gcj02(*crs.gcj02_to_bd09(lon, lat))
    assert haversine_m(lon, lat, *gcj_back).max() < 0.001


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(min_value=SHANXI_LON[0], max_value=SHANXI_LON[1]),
    lat=st.floats(min_value=SHANXI_LAT[0], max_value=SHANXI_LAT[1]),
)
def test_round_trips_property(lon, lat):
    for forward, inverse in [
        (crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
        (crs.wgs84_to_bd09, crs.bd09_to_wgs84),
        (crs.gcj02_to_bd09, crs.bd09_to_gcj02),
    ]:
        back = inverse(*forward(lon, lat))
        assert haversine_m(lon, lat, *back) < 1.0


def test_gcj02_shift_in_shanxi_is_400_to_700_m_eastward(shanxi_points):
    lon, lat = shanxi_points
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(lon, lat)
    shift = haversine_m(lon, lat, gcj_lon, gcj_lat)
    assert shift.min() > 400
    assert shift.max() < 700
    east_m = np.radians(gcj_lon - lon) * EARTH_RADIUS_M * np.cos(np.radians(lat))
    north_m = np.radians(gcj_lat - lat) * EARTH_RADIUS_M
    assert (east_m > 0).all()
    assert (np.abs(north_m) < 0.5 * east_m).all()


def test_bd09_lies_further_off_than_gcj02(shanxi_points):
    lon, lat = shanxi_points
    bd_shift = haversine_m(lon, lat, *crs.wgs84_to_bd09(lon, lat))
    assert 1000 < np.median(bd_shift) < 1600


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-0.1276, 51.5072), (139.6917, 35.6895), (151.2093, -33.8688), (100.0, 60.0), (2.35, 48.86)],
)
def test_gcj02_leaves_points_outside_china_unchanged(lon, lat):
    assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_mixed_inside_and_outside_china():
    lon = np.array([112.5, -0.1276, 139.6917])
    lat = np.array([37.8, 51.5072, 35.6895])
    gcj_lon, gcj_lat = crs.wgs84_to_gcj02(lon, lat)
    assert gcj_lon[0] != lon[0]
    np.testing.assert_array_equal(gcj_lon[1:], lon[1:])
    np.testing.assert_array_equal(gcj_lat[1:], lat[1:])
    back_lon, back_lat = crs.gcj02_to_wgs84(gcj_lon, gcj_lat)
    np.testing.assert_allclose(back_lon, lon, atol=1e-8)
    np.testing.assert_allclose(back_lat, lat, atol=1e-8)


ALL_FUNCTIONS = [
    crs.wgs84_to_gcj02,
    crs.gcj02_to_wgs84,
    crs.gcj02_to_bd09,
    crs.bd09_to_gcj02,
    crs.wgs84_to_bd09,
    crs.bd09_to_wgs84,
]


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_shape_preserved_for_2d_arrays(func):
    lon, lat = np.meshgrid(np.linspace(110.5, 114.5, 7), np.linspace(35.0, 40.5, 4))
    out_lon, out_lat = func(lon, lat)
    assert out_lon.shape == lon.shape == out_lat.shape
    assert out_lon.dtype == np.float64
    # Vectorized results equal point-by-point results.
    assert func(lon[2, 3], lat[2, 3]) == (out_lon[2, 3], out_lat[2, 3])


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_scalar_in_gives_numpy_float_out(func):
    out_lon, out_lat = func(112.5, 37.8)
    assert isinstance(out_lon, np.float64)
    assert isinstance(out_lat, np.float64)
    assert np.ndim(out_lon) == 0


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_lists_and_nan_are_accepted(func):
    out_lon, out_lat = func([112.5, np.nan], [37.8, np.nan])
    assert np.isfinite(out_lon[0]) and np.isfinite(out_lat[0])
    assert np.isnan(out_lon[1]) and np.isnan(out_lat[1])


@pytest.mark.parametrize(
    ("name", "to_func", "from_func"),
    [
        ("gcj02", crs.gcj02_to_wgs84, crs.wgs84_to_gcj02),
        ("GCJ02", crs.gcj02_to_wgs84, crs.wgs84_to_gcj02),
        ("GCJ-02", crs.gcj02_to_wgs84, crs.wgs84_to_gcj02),
        ("bd09", crs.bd09_to_wgs84, crs.wgs84_to_bd09),
        ("Bd09", crs.bd09_to_wgs84, crs.wgs84_to_bd09),
    ],
)
def test_to_and_from_wgs84_dispatch(shanxi_points, name, to_func, from_func):
    lon, lat = shanxi_points
    np.testing.assert_array_equal(crs.to_wgs84(lon, lat, name), to_func(lon, lat))
    np.testing.assert_array_equal(crs.from_wgs84(lon, lat, name), from_func(lon, lat))


@pytest.mark.parametrize("name", ["wgs84", "WGS84", "WGS-84"])
def test_wgs84_is_identity_and_copies(name):
    lon = np.array([112.5, 113.0])
    lat = np.array([37.8, 38.0])
    for func in (crs.to_wgs84, crs.from_wgs84):
        out_lon, out_lat = func(lon, lat, name)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)
        out_lon[0] = 0.0
        assert lon[0] == 112.5


@pytest.mark.parametrize("func", [crs.to_wgs84, crs.from_wgs84])
@pytest.mark.parametrize("name", ["utm50", "EPSG:4326", "", "mars"])
def test_unknown_crs_raises_value_error(func, name):
    with pytest.raises(ValueError, match=r"unknown coordinate system .*'wgs84', 'gcj02', 'bd09'"):
        func(112.5, 37.8, name)


def test_inputs_are_not_modified(shanxi_points):
    lon, lat = shanxi_points
    lon_before, lat_before = lon.copy(), lat.copy()
    for func in ALL_FUNCTIONS:
        func(lon, lat)
    np.testing.assert_array_equal(lon, lon_before)
    np.testing.assert_array_equal(lat, lat_before)
