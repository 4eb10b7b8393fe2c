"""Where things are: the province outline, point-in-county assignment, an equal-area CRS.

Examples
--------
>>> counties = load_counties()
>>> in_shanxi([112.55, 116.40], [37.87, 39.90], counties=counties).tolist()  # Taiyuan, Beijing
[True, False]
>>> county_of([112.55], [37.87], counties=counties).tolist()
['140107']
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from locator._validate import check_lonlat_arrays
from locator.registry import load_counties

__all__ = [
    "SHANXI_BOUNDS",
    "SHANXI_EQUAL_AREA",
    "county_of",
    "in_shanxi",
    "load_counties",
    "province_outline",
]

# Albers equal-area fitted to Shanxi (standard parallels at 1/6 and 5/6 of its span).
SHANXI_EQUAL_AREA = (
    "+proj=aea +lat_1=35.5 +lat_2=39.8 +lat_0=37.6 +lon_0=112.3 +datum=WGS84 +units=m +no_defs"
)
SHANXI_BOUNDS: tuple[float, float, float, float] = (110.2, 34.5, 114.6, 40.8)


# A few county layers (the shipped one, an uploaded one) and their outlines; the frame is
# kept with its outline so that a reused id() can never return another layer's outline.
_OUTLINES: dict[int, tuple[gpd.GeoDataFrame, BaseGeometry]] = {}


def province_outline(counties: gpd.GeoDataFrame | None = None) -> BaseGeometry:
    """The union of the county polygons (computed once per county layer)."""
    counties = load_counties() if counties is None else counties
    cached = _OUTLINES.get(id(counties))
    if cached is None or cached[0] is not counties:
        outline = shapely.union_all(counties.geometry.to_numpy())
        shapely.prepare(outline)
        if len(_OUTLINES) >= 4:
            _OUTLINES.pop(next(iter(_OUTLINES)))
        cached = _OUTLINES[id(counties)] = (counties, outline)
    return cached[1]


def in_shanxi(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, counties: gpd.GeoDataFrame | None = None
) -> npt.NDArray[np.bool_]:
    """Whether each point lies inside the province (within one of the counties)."""
    lon_a, lat_a = check_lonlat_arrays(lon, lat)
    return np.asarray(shapely.contains_xy(province_outline(counties), lon_a, lat_a))


def county_of(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, counties: gpd.GeoDataFrame | None = None
) -> pd.Series:
    """The adcode of the county each point lies in (None outside every county).

    Points on a shared border go to the county with the smaller adcode, so every
    point has exactly one answer.
    """
    lon_a, lat_a = check_lonlat_arrays(lon, lat)
    counties = load_counties() if counties is None else counties
    points = gpd.GeoDataFrame(geometry=shapely.points(lon_a, lat_a), crs="EPSG:4326")
    joined = gpd.sjoin(points, counties[["adcode", "geometry"]], how="left", predicate="intersects")
    first = joined.sort_values("adcode").groupby(level=0)["adcode"].first().dropna()
    values = np.full(lon_a.size, None, dtype=object)
    values[first.index.to_numpy()] = first.to_numpy(dtype=object)
    return pd.Series(values, dtype=object)
