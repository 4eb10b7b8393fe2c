"""Gap areas merged per county: one shape, one label and the summed population each.

A gap layer (``locator gaps``) is usually the demand grid's cells, up to 100,000 of them;
drawn one by one they would make a page of tens of megabytes. `merge_gaps` merges them per
county, through a raster trace (`grid_dissolve`) when they are grid squares, else through
a plain polygon union.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator._errors import ValidationError
from locator._typing import FloatArray, IntArray, ObjectArray
from locator.counties import SHANXI_EQUAL_AREA, county_names

__all__ = ["GapArea", "gap_population", "grid_dissolve", "merge_gaps"]


@dataclass(frozen=True)
class GapArea:
    """The gaps of one county: merged shape (WGS-84), county label, population or None."""

    shape: Any
    label: str
    population: float | None


def grid_dissolve(geometry: ObjectArray, groups: IntArray, n_groups: int) -> list[Any] | None:
    """Merge square grid cells per group through a raster, or None if they are not such cells.

    The demand grid's cells are squares in the Shanxi equal-area CRS; burning them into a
    raster and tracing its outlines (``rasterio.features.shapes``) merges 100,000 cells in
    well under a second, where a polygon union takes 10 s or more.
    """
    from pyproj import Transformer
    from rasterio.features import shapes
    from rasterio.transform import Affine

    projected = gpd.GeoSeries(geometry, crs="EPSG:4326").to_crs(SHANXI_EQUAL_AREA)
    if not (projected.geom_type == "Polygon").all() or len(projected) == 0:
        return None
    if not (shapely.get_num_coordinates(projected.to_numpy()) == 5).all():
        return None
    bounds = projected.bounds.to_numpy()
    side = float(np.median(bounds[:, 2] - bounds[:, 0]))
    squares = side > 0 and (
        np.allclose(bounds[:, 2] - bounds[:, 0], side, rtol=1e-3)
        and np.allclose(bounds[:, 3] - bounds[:, 1], side, rtol=1e-3)
    )
    if not squares:
        return None
    x0, y1 = float(bounds[:, 0].min()), float(bounds[:, 3].max())
    # Coordinates rounded in a file (6 decimals: ~0.1 m) blur the side; fit it over the grid.
    cols = np.round((bounds[:, 0] - x0) / side)
    if np.ptp(cols) > 0:
        side = float(np.polyfit(cols, bounds[:, 0], 1)[0])
    col_f, row_f = (bounds[:, 0] - x0) / side, (y1 - bounds[:, 3]) / side
    aligned = np.allclose(col_f, np.round(col_f), atol=0.02) and np.allclose(
        row_f, np.round(row_f), atol=0.02
    )
    if not aligned:
        return None
    cols, rows = np.round(col_f).astype(np.intp), np.round(row_f).astype(np.intp)
    raster = np.zeros((rows.max() + 1, cols.max() + 1), dtype=np.int32)
    raster[rows, cols] = groups + 1
    traced: list[list[Any]] = [[] for _ in range(n_groups)]
    for shape, value in shapes(
        raster, mask=raster > 0, connectivity=4, transform=Affine(side, 0, x0, 0, -side, y1)
    ):
        traced[int(value) - 1].append(shapely.geometry.shape(shape))
    back = Transformer.from_crs(SHANXI_EQUAL_AREA, "EPSG:4326", always_xy=True)

    def unproject(xy: FloatArray) -> FloatArray:
        return np.column_stack(back.transform(xy[:, 0], xy[:, 1]))

    return [shapely.transform(shapely.union_all(parts), unproject) for parts in traced]


def gap_population(gaps: pd.DataFrame, source: str = "gaps") -> FloatArray | None:
    """The ``population`` column as finite numbers >= 0, or None when there is none.

    A gap layer is often a file from elsewhere: a value that is not such a number raises
    `ValidationError` naming ``source``, the row (1-based, in file order) and the value.
    """
    if "population" not in gaps:
        return None
    raw = gaps["population"]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        row = int(bad[0])
        msg = (
            f"{source}: row {row + 1}, column population: {raw.iloc[row]!r} is not a number "
            f"of residents (0 or more); fix the value or drop the column"
            + (f" ({len(bad)} rows like it)" if len(bad) > 1 else "")
        )
        raise ValidationError(msg)
    return values


def merge_gaps(gaps: gpd.GeoDataFrame, counties: gpd.GeoDataFrame | None) -> list[GapArea]:
    """Gaps (WGS-84) merged per county, in county-key order; counties with no area left out.

    The county is ``county_adcode`` or ``adcode`` (named from ``counties`` when given), else
    ``county_name`` or ``county``; with none of them, all gaps are one area. ``population``
    is summed when the layer has it.
    """
    names: dict[str, str] = {}
    if counties is not None and {"adcode", "name"} <= set(counties.columns):
        names = county_names(counties)
    code_col = next((c for c in ("county_adcode", "adcode") if c in gaps), None)
    name_col = next((c for c in ("county_name", "county") if c in gaps), None)
    key_col = code_col or name_col
    keys = gaps[key_col].astype(str).to_numpy() if key_col else np.full(len(gaps), "")
    labels, groups = np.unique(keys, return_inverse=True)
    geometry = gaps.geometry.to_numpy()
    merged = grid_dissolve(geometry, groups, len(labels))
    if merged is None:  # not grid cells (points, hexagons, a raster's pixels): a plain union
        merged = [shapely.union_all(geometry[groups == i]) for i in range(len(labels))]
    residents = gap_population(gaps)
    population = (
        None if residents is None else np.bincount(groups, weights=residents, minlength=len(labels))
    )
    areas = []
    for i, (key, shape) in enumerate(zip(labels, merged, strict=True)):
        if shape.is_empty:
            continue
        first = int(np.flatnonzero(groups == i)[0])
        label = names.get(str(key)) or (str(gaps[name_col].iloc[first]) if name_col else "")
        people = None if population is None else float(population[i])
        areas.append(GapArea(shape, label, people))
    return areas
