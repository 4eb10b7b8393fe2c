"""Great-circle distances on a sphere, and the unit-vector form the index uses.

Nearest neighbours by great-circle distance are nearest neighbours by chord
length between unit vectors, and the chord converts exactly to arc length:
``arc = 2 R asin(chord / 2)``. A Euclidean tree over 3-D unit vectors therefore
gives the exact haversine answer without paying for trigonometry per node.

Examples
--------
>>> round(float(haversine_km(112.55, 37.87, 113.0, 37.87)), 3)  # 0.45 degrees east at Taiyuan
39.5
>>> round(float(chord_to_km(km_to_chord(5.0))), 9)
5.0
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from locator import settings

__all__ = ["chord_to_km", "haversine_km", "km_to_chord", "unit_vectors"]

FloatArray = npt.NDArray[np.float64]


def unit_vectors(lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Return an (n, 3) array of unit vectors for points in decimal degrees."""
    lam = np.radians(np.asarray(lon, dtype=np.float64)).ravel()
    phi = np.radians(np.asarray(lat, dtype=np.float64)).ravel()
    out = np.empty((lam.size, 3))
    cos_phi = np.cos(phi)
    np.multiply(cos_phi, np.cos(lam), out=out[:, 0])
    np.multiply(cos_phi, np.sin(lam), out=out[:, 1])
    np.sin(phi, out=out[:, 2])
    return out


def chord_to_km(chord: npt.ArrayLike, *, radius_km: float | None = None) -> FloatArray:
    """Convert chord lengths between unit vectors to great-circle distances in km."""
    radius = settings.earth_radius_km if radius_km is None else radius_km
    half = np.clip(np.asarray(chord, dtype=np.float64) / 2.0, 0.0, 1.0)
    return np.asarray(2.0 * radius * np.arcsin(half))


def km_to_chord(distance_km: npt.ArrayLike, *, radius_km: float | None = None) -> FloatArray:
    """Convert great-circle distances in km to chord lengths between unit vectors."""
    radius = settings.earth_radius_km if radius_km is None else radius_km
    angle = np.clip(np.asarray(distance_km, dtype=np.float64) / radius, 0.0, np.pi)
    return np.asarray(2.0 * np.sin(angle / 2.0))


def haversine_km(
    lon1: npt.ArrayLike,
    lat1: npt.ArrayLike,
    lon2: npt.ArrayLike,
    lat2: npt.ArrayLike,
    *,
    radius_km: float | None = None,
) -> FloatArray:
    """Great-circle distance in km between points in decimal degrees (broadcasting)."""
    radius = settings.earth_radius_km if radius_km is None else radius_km
    lam1, phi1, lam2, phi2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2)
    )
    h = (
        np.sin((phi2 - phi1) / 2.0) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2.0) ** 2
    )
    return np.asarray(2.0 * radius * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))
