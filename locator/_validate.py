"""All checks of user-given values, in one place, each raising one clear message."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from locator._errors import DataFileError, ValidationError

__all__ = [
    "MAX_CELL_AREA_KM2",
    "MAX_RADIUS_KM",
    "MIN_CELL_AREA_KM2",
    "check_cell_area",
    "check_choice",
    "check_chunk_size",
    "check_columns",
    "check_count",
    "check_detour_factor",
    "check_k",
    "check_lonlat",
    "check_lonlat_arrays",
    "check_output_path",
    "check_path",
    "check_positive",
    "check_radii",
    "check_radius",
    "check_upload_size",
    "parse_coordinate",
]

#: Smallest and largest demand-grid cell (km²). Below 0.01 km² (100 m cells) the census
#: estimate has no detail to show and the province needs over 15 million cells; above
#: 100 km² (10 km cells) a cell is wider than the usual "near home" radius, so everyone in
#: it counts as near or far by where its centre lies (1e9 km²: one cell, 100 % covered).
MIN_CELL_AREA_KM2 = 0.01
MAX_CELL_AREA_KM2 = 100.0
#: Largest "near home" distance (km) for coverage and siting: Shanxi spans about 680 km
#: north to south, so beyond this every resident is "near" every outlet.
MAX_RADIUS_KM = 1000.0


def parse_coordinate(value: Any, name: str) -> float:
    """Parse one coordinate given as text or number; ``name`` is ``lon`` or ``lat``."""
    try:
        number = float(str(value).strip().replace("，", ".").replace("°", ""))
    except ValueError:
        msg = f"{name} {value!r} is not a number: give decimal degrees, e.g. lat=37.87, lon=112.55"
        raise ValidationError(msg) from None
    return number


def check_lonlat(lon: float, lat: float) -> tuple[float, float]:
    """Check one point in decimal degrees; return it as floats."""
    lon_f, lat_f = parse_coordinate(lon, "lon"), parse_coordinate(lat, "lat")
    if not (math.isfinite(lat_f) and -90.0 <= lat_f <= 90.0):
        msg = f"lat {lat!r} is not a latitude (-90 to 90); Shanxi lies at 34.5-40.8"
        if math.isfinite(lat_f) and -180.0 <= lat_f <= 180.0 and -90.0 <= lon_f <= 90.0:
            msg += f"; lat and lon look swapped: try lat={lon_f!r}, lon={lat_f!r}"
        raise ValidationError(msg)
    if not (math.isfinite(lon_f) and -180.0 <= lon_f <= 180.0):
        msg = f"lon {lon!r} is not a longitude (-180 to 180); Shanxi lies at 110.2-114.6"
        raise ValidationError(msg)
    return lon_f, lat_f


def check_lonlat_arrays(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Check arrays of points in decimal degrees; return 1-D float arrays of equal length."""
    try:
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64)).ravel()
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        msg = (
            f"lon and lat must be numbers or equal-length lists of numbers (decimal degrees), "
            f"not {type(lon).__name__} and {type(lat).__name__}: e.g. lon=[112.55], lat=[37.87]"
        )
        raise ValidationError(msg) from None
    if lon_a.shape != lat_a.shape:
        msg = f"lon and lat differ in length ({lon_a.size} and {lat_a.size}): give one of each per point"
        raise ValidationError(msg)
    bad = ~(
        np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)
    )
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"point {i} (lon={lon_a[i]}, lat={lat_a[i]}) is not a valid coordinate; "
            f"{int(bad.sum())} point(s) in all are outside lon -180..180, lat -90..90 or not numbers"
        )
        raise ValidationError(msg)
    return lon_a, lat_a


def check_k(k: int) -> int:
    """Check the number of neighbours asked for."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k={k!r} must be a whole number of at least 1"
        raise ValidationError(msg)
    return int(k)


def check_positive(value: float, name: str) -> float:
    """Check a distance or factor that must be a finite number above zero."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{name}={value!r} is not a number"
        raise ValidationError(msg) from None
    if not (math.isfinite(number) and number > 0):
        msg = f"{name}={value!r} must be a number above 0"
        raise ValidationError(msg)
    return number


def check_columns(columns: Iterable[str], required: Iterable[str], source: str) -> None:
    """Check that a table has the columns ``locator`` needs; name the missing ones."""
    missing = [c for c in required if c not in set(columns)]
    if missing:
        msg = f"{source}: missing column(s) {', '.join(missing)}; see the schema in README.md"
        raise DataFileError(msg)


def check_count(value: Any, name: str) -> int:
    """Check a number of things to add, close or pick: a whole number of at least 0."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        msg = f"{name}={value!r} must be a whole number of at least 0"
        raise ValidationError(msg)
    return int(value)


def check_detour_factor(value: float) -> float:
    """Check a detour factor: road distance / straight-line distance, at least 1."""
    factor = check_positive(value, "detour_factor")
    if factor < 1.0:
        msg = f"detour_factor={value!r} must be at least 1 (a road is never shorter than the straight line); typical: 1.2-1.4"
        raise ValidationError(msg)
    return factor


def check_radii(values: Iterable[float] | float) -> tuple[float, ...]:
    """Check distances (km) to report at; return them sorted, without repeats."""
    items = [values] if isinstance(values, int | float | str) else list(values)
    if not items:
        msg = "radii_km is empty: give at least one distance in km, e.g. 1,3,5,10,15"
        raise ValidationError(msg)
    return tuple(sorted({check_radius(v, "radii_km") for v in items}))


def check_radius(value: Any, name: str = "radius_km") -> float:
    """Check a planning distance (km): above 0 and at most `MAX_RADIUS_KM`."""
    radius = check_positive(value, name)
    if radius > MAX_RADIUS_KM:
        msg = (
            f"{name}={value!r} is more than {MAX_RADIUS_KM:g} km: Shanxi spans about 680 km, "
            "so every resident would count as near every outlet; give a distance such as 5"
        )
        raise ValidationError(msg)
    return radius


def check_cell_area(value: Any) -> float:
    """Check a demand-grid cell area (km²): between `MIN_CELL_AREA_KM2` and `MAX_CELL_AREA_KM2`."""
    area = check_positive(value, "cell_area_km2")
    if not MIN_CELL_AREA_KM2 <= area <= MAX_CELL_AREA_KM2:
        msg = (
            f"cell_area_km2={value!r} is outside {MIN_CELL_AREA_KM2:g}-{MAX_CELL_AREA_KM2:g} km²: "
            "finer cells add no detail to the census estimate, coarser ones are wider than the "
            "'near home' radius, so coverage would be decided by where a cell's centre lies; "
            "1 (the default) to 25 suit the province"
        )
        raise ValidationError(msg)
    return area


def check_path(value: Any, name: str) -> Path:
    """Check that ``value`` names a file (text or a path object); return it as a Path."""
    if isinstance(value, bool) or not isinstance(value, str | os.PathLike):
        msg = f"{name}={value!r} is not a file path: give the path of the file as text or a Path"
        raise ValidationError(msg)
    if "\x00" in os.fspath(value):  # the OS cannot name such a file; open() raises ValueError
        msg = f"{name}={os.fspath(value)!r} holds a NUL character, which no file name can hold"
        raise ValidationError(msg)
    return Path(value)


def check_output_path(path: Path | str, name: str = "output") -> Path:
    """Check that a file can be written at ``path``: its folder exists and is writable."""
    path = check_path(path, name)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        msg = f"{name} {str(path)!r} is a folder: give a file name in it"
        raise ValidationError(msg)
    if not folder.exists():
        msg = f"{name} {str(path)!r}: folder {str(folder)!r} does not exist; create it or write elsewhere"
        raise ValidationError(msg)
    if not folder.is_dir():
        msg = f"{name} {str(path)!r}: {str(folder)!r} is a file, not a folder; write elsewhere"
        raise ValidationError(msg)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        msg = f"{name} {str(path)!r} cannot be written (no permission); write elsewhere"
        raise ValidationError(msg)
    return path


def check_choice(value: str, choices: Iterable[str], name: str) -> str:
    """Check that a text option is one of a fixed set; name the choices in the message."""
    options = list(choices)
    if value not in options:
        msg = f"{name} {value!r} is not one of {', '.join(options)}"
        raise ValidationError(msg)
    return value


def check_upload_size(
    n_bytes: int, *, name: str = "the file", limit_mb: float | None = None
) -> int:
    """Check an uploaded file against ``settings.upload_limit_mb`` (MB of 2**20 bytes)."""
    from locator import settings

    limit = settings.upload_limit_mb if limit_mb is None else limit_mb
    if n_bytes > limit * 2**20:
        msg = (
            f"{name} is {n_bytes / 2**20:.1f} MB, above the upload limit of {limit:g} MB: "
            "import it with `locator import` on the command line, or raise settings.upload_limit_mb"
        )
        raise ValidationError(msg)
    return int(n_bytes)


def check_chunk_size(value: Any) -> int:
    """Check ``settings.chunk_size``, the cells or pixels handled at a time: at least 1."""
    chunk = int(value)
    if chunk < 1:
        msg = f"settings.chunk_size={chunk!r} must be a whole number of at least 1"
        raise ValidationError(msg)
    return chunk
