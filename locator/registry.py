"""Read and write outlet registries and the county layer.

An outlet registry is a GeoJSON FeatureCollection of points (WGS-84) whose
properties follow :data:`OUTLET_COLUMNS`. The shipped ``data/outlets.geojson`` is a
generated sample that reproduces the published figures, not the real registry;
``locator import`` turns a real one (CSV, Excel, GeoJSON) into this form.

Examples
--------
>>> outlets = load_outlets()
>>> len(outlets), outlets.crs.to_epsg()
(1443, 4326)
>>> sorted(outlets["kind"].unique())
['bank', 'government']
>>> counties = load_counties()
>>> len(counties), int(counties["population"].sum())
(117, 34915616)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator import settings
from locator._errors import DataFileError
from locator._validate import check_columns

__all__ = [
    "COUNTY_COLUMNS",
    "OUTLET_COLUMNS",
    "load_counties",
    "load_outlets",
    "outlets_from_records",
    "outlets_to_geojson",
    "write_outlets",
]

OUTLET_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "bank",
    "county_adcode",
    "address",
    "phone",
    "hours",
    "services",
    "instant_issue",
    "transit_topup",
)
COUNTY_COLUMNS: tuple[str, ...] = (
    "adcode",
    "name",
    "city",
    "city_adcode",
    "population",
    "urban_population",
    "rural_population",
    "population_65plus",
    "seat_lon",
    "seat_lat",
)


def _feature_error(path: Path | str, number: int, problem: str) -> DataFileError:
    return DataFileError(f"{path}: feature {number}: {problem}")


def outlets_from_records(
    records: Sequence[Mapping[str, Any]], lon: Sequence[float], lat: Sequence[float]
) -> gpd.GeoDataFrame:
    """Build an outlet GeoDataFrame from property dicts and WGS-84 coordinates."""
    frame = pd.DataFrame.from_records(list(records))
    for column in OUTLET_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["id"] = frame["id"].astype(str)
    frame["county_adcode"] = frame["county_adcode"].map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    )
    frame["services"] = frame["services"].map(lambda v: list(v) if isinstance(v, list) else [])
    for flag in ("instant_issue", "transit_topup"):
        frame[flag] = frame[flag].fillna(False).astype(bool)
    ordered = [*OUTLET_COLUMNS, *[c for c in frame.columns if c not in OUTLET_COLUMNS]]
    geometry = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return gpd.GeoDataFrame(frame[ordered], geometry=geometry, crs="EPSG:4326")


def load_outlets(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Read an outlet registry GeoJSON (the shipped sample when ``path`` is None).

    Returns a GeoDataFrame in EPSG:4326 with the :data:`OUTLET_COLUMNS`, a
    ``services`` column of task-code lists, and any other properties kept as
    columns. The file's top-level ``metadata`` is in ``.attrs["metadata"]``.

    Raises
    ------
    DataFileError
        When the file is missing, not GeoJSON, or a feature lacks a point or an id.
    """
    path = Path(path) if path is not None else settings.outlets_path
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        msg = f"{path}: no such file; give the path of an outlet registry GeoJSON"
        raise DataFileError(msg) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        msg = f"{path}: not a GeoJSON file ({error}); convert it with `locator import`"
        raise DataFileError(msg) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        msg = f"{path}: not a GeoJSON FeatureCollection; convert it with `locator import`"
        raise DataFileError(msg)
    records: list[dict[str, Any]] = []
    lon: list[float] = []
    lat: list[float] = []
    for number, feature in enumerate(document.get("features", []), start=1):
        geometry = (feature or {}).get("geometry") or {}
        coordinates = geometry.get("coordinates")
        if geometry.get("type") != "Point" or not isinstance(coordinates, list | tuple):
            raise _feature_error(path, number, "geometry is not a Point; every outlet needs one")
        try:
            x, y = float(coordinates[0]), float(coordinates[1])
        except (TypeError, ValueError, IndexError):
            raise _feature_error(path, number, f"bad coordinates {coordinates!r}") from None
        properties = dict(feature.get("properties") or {})
        if properties.get("id") in (None, ""):
            raise _feature_error(path, number, "no id; every outlet needs a unique id")
        records.append(properties)
        lon.append(x)
        lat.append(y)
    outlets = outlets_from_records(records, lon, lat)
    check_columns(outlets.columns, ("name", "kind"), str(path))
    duplicated = outlets["id"].duplicated()
    if duplicated.any():
        first = outlets.loc[duplicated, "id"].iloc[0]
        msg = f"{path}: id {first!r} is used by more than one outlet; ids must be unique"
        raise DataFileError(msg)
    outlets.attrs["metadata"] = document.get("metadata", {})
    outlets.attrs["source"] = str(path)
    return outlets


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def outlets_to_geojson(
    outlets: gpd.GeoDataFrame, *, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the registry as a GeoJSON FeatureCollection dict (coordinates to 1e-6 degree)."""
    columns = [c for c in outlets.columns if c != outlets.geometry.name]
    features = []
    xs = np.round(outlets.geometry.x.to_numpy(), 6)
    ys = np.round(outlets.geometry.y.to_numpy(), 6)
    for row, x, y in zip(outlets[columns].itertuples(index=False), xs, ys, strict=True):
        properties = {c: _jsonable(v) for c, v in zip(columns, row, strict=True)}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            }
        )
    document: dict[str, Any] = {"type": "FeatureCollection"}
    meta = dict(metadata if metadata is not None else outlets.attrs.get("metadata", {}))
    if meta:
        document["metadata"] = meta
    document["features"] = features
    return document


def write_outlets(
    outlets: gpd.GeoDataFrame,
    path: Path | str,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write the registry as GeoJSON (UTF-8, Chinese kept readable), one feature per line."""
    document = outlets_to_geojson(outlets, metadata=metadata)
    features = document.pop("features")
    head = json.dumps(document, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    path = Path(path)
    path.write_text(f'{head}, "features": [\n{lines}\n]}}\n', encoding="utf-8")
    return path


def load_counties(path: Path | str | None = None) -> gpd.GeoDataFrame:
    """Read the county layer (the 117 county-level divisions when ``path`` is None).

    Raises
    ------
    DataFileError
        When the file is missing or lacks a column of :data:`COUNTY_COLUMNS`.
    """
    path = Path(path) if path is not None else settings.counties_path
    if not path.exists():
        msg = f"{path}: no such file; give the path of a county GeoJSON"
        raise DataFileError(msg)
    try:
        counties = gpd.read_file(path)
    except Exception as error:  # pyogrio raises several types for unreadable files
        msg = f"{path}: cannot be read as a vector file ({error})"
        raise DataFileError(msg) from None
    check_columns(counties.columns, COUNTY_COLUMNS, str(path))
    counties["adcode"] = counties["adcode"].astype(str)
    counties["city_adcode"] = counties["city_adcode"].astype(str)
    if counties.crs is None or counties.crs.to_epsg() != 4326:
        counties = (
            counties.set_crs("EPSG:4326", allow_override=True)
            if counties.crs is None
            else counties.to_crs("EPSG:4326")
        )
    return counties.sort_values("adcode").reset_index(drop=True)
