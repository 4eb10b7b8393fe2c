"""Great-circle helpers against pyproj's geodesic on a sphere of the same radius."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

from locator import settings
from locator.distance import chord_to_km, haversine_km, km_to_chord, unit_vectors

SPHERE = Geod(a=settings.earth_radius_km * 1000, f=0)


def test_haversine_matches_geodesic_on_sphere():
    rng = np.random.default_rng(1)
    lon1, lat1 = rng.uniform(100, 125, 2000), rng.uniform(20, 50, 2000)
    lon2, lat2 = rng.uniform(100, 125, 2000), rng.uniform(20, 50, 2000)
    _, _, metres = SPHERE.inv(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(
        haversine_km(lon1, lat1, lon2, lat2), metres / 1000, rtol=1e-9, atol=1e-6
    )


def test_chord_of_unit_vectors_converts_to_the_arc():
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(110, 115, (2, 500)), rng.uniform(34, 41, (2, 500))
    chord = np.linalg.norm(unit_vectors(lon[0], lat[0]) - unit_vectors(lon[1], lat[1]), axis=1)
    np.testing.assert_allclose(
        chord_to_km(chord), haversine_km(lon[0], lat[0], lon[1], lat[1]), atol=1e-6
    )


@given(st.floats(min_value=0.0, max_value=20000.0))
def test_km_chord_round_trip(distance_km):
    assert abs(float(chord_to_km(km_to_chord(distance_km))) - distance_km) < 1e-6


def test_unit_vectors_have_unit_length():
    v = unit_vectors([0, 90, 112.5, -45], [0, 0, 37.9, 89.9])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
