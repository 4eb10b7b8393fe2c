from __future__ import annotations

import numpy as np
import shapely

from locator.counties import county_of, in_shanxi, province_outline


def test_county_of_matches_a_plain_polygon_scan(counties):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(110.0, 114.8, 400), rng.uniform(34.4, 40.9, 400)
    found = county_of(lon, lat, counties=counties)
    for x, y, code in zip(lon, lat, found, strict=True):
        inside = [
            a
            for a, g in zip(counties["adcode"], counties.geometry, strict=True)
            if g.intersects(shapely.Point(x, y))
        ]
        assert code == (min(inside) if inside else None)


def test_outside_every_county_is_none_not_nan(counties):
    found = county_of([116.40, 112.55], [39.90, 37.87], counties=counties)
    assert found.iloc[0] is None and isinstance(found.iloc[1], str)


def test_in_shanxi_agrees_with_county_of(counties):
    rng = np.random.default_rng(6)
    lon, lat = rng.uniform(110.0, 114.8, 500), rng.uniform(34.4, 40.9, 500)
    inside = in_shanxi(lon, lat, counties=counties)
    assert (inside == county_of(lon, lat, counties=counties).notna().to_numpy()).all()
    assert province_outline(counties) is province_outline(counties)  # computed once per layer
