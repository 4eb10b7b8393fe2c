"""Population sources other than the estimate: a raster and weighted points, read as cells.

The readers behind :func:`locator.planning.demand.demand_from_raster` and
:func:`locator.planning.demand.demand_from_points`, and the pieces :func:`locator.planning.demand.estimate_demand`
shares with them: burning county polygons onto a grid a chunk of rows at a time, the
county table, and each county's share of residents aged 65+. Each reader returns
:class:`Cells`, the arrays a :class:`locator.planning.demand.Demand` is made of.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from rasterio import features
from rasterio.transform import Affine

from locator import settings
from locator._errors import DataFileError, LocatorError, LocatorWarning, ValidationError
from locator._typing import FloatArray, IntArray, ObjectArray
from locator._validate import check_chunk_size, check_columns, check_path
from locator.counties import SHANXI_EQUAL_AREA, check_counties, county_of

__all__ = [
    "WGS84",
    "Cells",
    "PixelGrid",
    "burn",
    "check_cells",
    "cells_in_counties",
    "chunk_rows",
    "county_table",
    "read_points",
    "read_raster",
    "share_65plus",
]


WGS84 = "EPSG:4326"


class Cells(NamedTuple):
    """Populated cells (or points) of a source, each in a county: ``Demand``'s arrays."""

    lon: FloatArray
    lat: FloatArray
    population: FloatArray
    population_65plus: FloatArray
    county: ObjectArray
    outside_population: float = 0.0
    outside_cells: int = 0


class PixelGrid(NamedTuple):
    """A raster's grid, as ``Demand`` describes it."""

    cell_size_m: float
    grid_crs: str
    cell_shape: tuple[float, float]


def chunk_rows(width: int) -> int:
    """Rows of a grid ``width`` cells wide to read at once: about ``settings.chunk_size`` cells."""
    return max(1, check_chunk_size(settings.chunk_size) // max(width, 1))


def burn(
    geometries: npt.NDArray[np.object_],
    out_shape: tuple[int, int],
    transform: Affine,
) -> npt.NDArray[np.int32]:
    """Label each pixel with 1 + the position of the polygon holding its centre (0: none).

    Polygons are burnt last-to-first, so where two overlap the one listed first wins.
    """
    height, width = out_shape
    left, top = transform @ (0, 0)
    right, bottom = transform @ (width, height)
    window = shapely.box(min(left, right), min(top, bottom), max(left, right), max(top, bottom))
    hit = np.flatnonzero(shapely.intersects(geometries, window))
    if hit.size == 0:
        return np.zeros(out_shape, dtype=np.int32)
    shapes = [(geometries[i], int(i) + 1) for i in hit[::-1]]
    return features.rasterize(
        shapes, out_shape=out_shape, transform=transform, fill=0, dtype="int32"
    )


def county_table(counties: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """The county layer, checked for the columns demand needs, in adcode order."""
    columns = ("adcode", "population", "urban_population", "population_65plus")
    check_counties(counties, source, (*columns, "seat_lon", "seat_lat"))
    return counties.sort_values("adcode").reset_index(drop=True)


def share_65plus(counties: gpd.GeoDataFrame) -> FloatArray:
    """Each county's share of residents aged 65+ (0 for a county without residents)."""
    total = counties["population"].to_numpy(dtype=np.float64)
    older = counties["population_65plus"].to_numpy(dtype=np.float64)
    return np.divide(older, total, out=np.zeros_like(total), where=total > 0)


def cells_in_counties(
    counties: gpd.GeoDataFrame,
    county_i: npt.NDArray[np.intp],
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    population: FloatArray,
    *,
    outside_population: float = 0.0,
    outside_cells: int = 0,
) -> Cells:
    """Cells in the counties at positions ``county_i``; their 65+ from the county's share."""
    return Cells(
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        population=population,
        population_65plus=population * share_65plus(counties)[county_i],
        county=counties["adcode"].astype(str).to_numpy(dtype=object)[county_i],
        outside_population=outside_population,
        outside_cells=outside_cells,
    )


# --- a raster ------------------------------------------------------------------------------


class _Window(NamedTuple):
    """The pixels read: columns ``col0`` to ``col0 + width``, rows ``row0`` to ``row0 + height``."""

    col0: int
    row0: int
    width: int
    height: int


class _Pixels(NamedTuple):
    """The populated pixels inside counties (grid coordinates), and those outside."""

    county_i: IntArray
    x: FloatArray
    y: FloatArray
    population: FloatArray
    outside_population: float
    outside_cells: int


def _open_raster(path: Path, band: int) -> Any:
    """The raster opened, with a CRS, the band, and a north-up grid checked."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        source = rasterio.open(path)
    except RasterioIOError as error:
        msg = f"{path}: cannot be read as a raster ({error}); give a GeoTIFF of residents per pixel"
        raise DataFileError(msg) from None
    problem: LocatorError | None = None
    if source.crs is None:
        msg = f"{path}: the raster has no coordinate reference system; set one (e.g. gdal_edit.py -a_srs EPSG:4326)"
        problem = DataFileError(msg)
    elif not 1 <= band <= source.count:
        msg = f"{path}: band={band} does not exist; the raster has {source.count} band(s), numbered from 1"
        problem = ValidationError(msg)
    elif source.transform.b != 0 or source.transform.d != 0:
        msg = f"{path}: the raster grid is rotated; warp it to a north-up grid first (gdalwarp)"
        problem = DataFileError(msg)
    if problem is not None:
        source.close()
        raise problem
    return source


def _window(source: Any, in_crs: npt.NDArray[np.object_], path: Path) -> _Window:
    """The pixels over the county layer's extent.

    Computed here: rasterio's window helpers use the deprecated Affine * Affine.
    """
    affine = source.transform
    minx, miny, maxx, maxy = shapely.total_bounds(in_crs)
    cols, rows = ~affine @ (
        np.array([minx, maxx, minx, maxx]),
        np.array([miny, miny, maxy, maxy]),
    )
    col0 = int(np.clip(np.floor(np.min(cols)), 0, source.width))
    row0 = int(np.clip(np.floor(np.min(rows)), 0, source.height))
    width = int(np.clip(np.ceil(np.max(cols)), 0, source.width)) - col0
    height = int(np.clip(np.ceil(np.max(rows)), 0, source.height)) - row0
    if width <= 0 or height <= 0:
        left, bottom, right, top = (f"{v:.6g}" for v in source.bounds)
        msg = (
            f"{path}: no resident falls in the province: the raster (bounds {left}, "
            f"{bottom}, {right}, {top} in {source.crs}) does not overlap the counties; "
            "check that it covers Shanxi and that its coordinate system is declared right"
        )
        raise DataFileError(msg)
    return _Window(col0, row0, width, height)


def _check_pixels(pixel: FloatArray, path: Path, row0: int, col0: int) -> None:
    wrong = (pixel < 0) | np.isinf(pixel)
    if wrong.any():
        r, c = np.argwhere(wrong)[0]
        msg = (
            f"{path}: pixel (row {row0 + r}, column {col0 + c}) holds {pixel[r, c]}; "
            "a population must be a finite number of at least 0: set it as nodata or 0"
        )
        raise DataFileError(msg)


def _read_pixels(
    source: Any, band: int, in_crs: npt.NDArray[np.object_], window: _Window, path: Path
) -> _Pixels:
    """The window's populated pixels, a band of rows at a time, each burned with its county."""
    from rasterio.windows import Window

    col0, row0, width, height = window
    labels, xs, ys, values = [], [], [], []
    outside_population, outside_cells = 0.0, 0
    step = chunk_rows(width)
    for r0 in range(row0, row0 + height, step):
        part = Window(col0, r0, width, min(step, row0 + height - r0))
        data = source.read(band, window=part, masked=True)
        pixel = np.ma.filled(data.astype(np.float64), np.nan)
        _check_pixels(pixel, path, r0, col0)
        transform = source.transform @ Affine.translation(col0, r0)
        burned = burn(in_crs, pixel.shape, transform)
        has_people = np.isfinite(pixel) & (pixel > 0)
        outside = has_people & (burned == 0)
        outside_population += float(pixel[outside].sum())
        outside_cells += int(outside.sum())
        rows, cols = np.nonzero(has_people & (burned > 0))
        labels.append(burned[rows, cols] - 1)
        values.append(pixel[rows, cols])
        px, py = transform @ (cols + 0.5, rows + 0.5)
        xs.append(np.asarray(px, dtype=np.float64))
        ys.append(np.asarray(py, dtype=np.float64))
    return _Pixels(
        np.concatenate(labels).astype(np.intp) if labels else np.empty(0, np.intp),
        np.concatenate(xs) if xs else np.empty(0),
        np.concatenate(ys) if ys else np.empty(0),
        np.concatenate(values) if values else np.empty(0),
        outside_population,
        outside_cells,
    )


def _pixel_grid(source: Any, window: _Window) -> PixelGrid:
    """The pixel size as the side of an equal-area square (at the centre of the window)."""
    affine, crs = source.transform, source.crs
    cell_w, cell_h = abs(affine.a), abs(affine.e)
    centre = affine @ (window.col0 + window.width / 2, window.row0 + window.height / 2)
    pixel_box = shapely.box(
        centre[0] - cell_w / 2,
        centre[1] - cell_h / 2,
        centre[0] + cell_w / 2,
        centre[1] + cell_h / 2,
    )
    pixel_area = gpd.GeoSeries([pixel_box], crs=crs).to_crs(SHANXI_EQUAL_AREA).area.iloc[0]
    return PixelGrid(
        cell_size_m=math.sqrt(float(pixel_area)),
        grid_crs=CRS.from_user_input(crs).to_wkt(),
        cell_shape=(cell_w, cell_h),
    )


def read_raster(
    path: Path | str, counties: gpd.GeoDataFrame, *, band: int
) -> tuple[Cells, PixelGrid]:
    """The populated pixels of a raster over the counties (see ``demand_from_raster``)."""
    counties = county_table(counties, "counties")
    path = check_path(path, "path")
    with _open_raster(path, band) as source:
        in_crs = counties.geometry.to_crs(source.crs).to_numpy()
        window = _window(source, in_crs, path)
        pixels = _read_pixels(source, band, in_crs, window, path)
        grid = _pixel_grid(source, window)
        crs = source.crs
    lon, lat = Transformer.from_crs(crs, WGS84, always_xy=True).transform(pixels.x, pixels.y)
    cells = cells_in_counties(
        counties,
        pixels.county_i,
        lon,
        lat,
        pixels.population,
        outside_population=pixels.outside_population,
        outside_cells=pixels.outside_cells,
    )
    check_cells(cells, str(path), "pixel(s)")
    return cells, grid


# --- weighted points -----------------------------------------------------------------------


def _read_points(path_or_frame: Path | str | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(path_or_frame, pd.DataFrame):
        frame, name = path_or_frame, "points"
    else:
        path = check_path(path_or_frame, "path_or_frame")
        name = str(path)
        if path.is_dir():
            msg = f"{path}: is a folder; give a CSV or GeoJSON of weighted points"
            raise DataFileError(msg)
        if not path.exists():
            msg = f"{path}: no such file; give a CSV or GeoJSON of weighted points"
            raise DataFileError(msg)
        suffix = path.suffix.lower()
        try:
            if suffix == ".csv":
                frame = pd.read_csv(path, encoding="utf-8-sig")
            elif suffix in (".geojson", ".json", ".gpkg", ".shp"):
                frame = gpd.read_file(path)
            else:
                msg = f"{path}: unknown file type {suffix!r}; give a .csv or .geojson of weighted points"
                raise DataFileError(msg)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            msg = f"{path}: cannot be read ({error}); give a UTF-8 CSV with lon, lat and a weight"
            raise DataFileError(msg) from None
        except DataFileError:
            raise
        except Exception as error:  # pyogrio raises several types for unreadable files
            msg = f"{path}: cannot be read as a vector file ({error})"
            raise DataFileError(msg) from None
    if isinstance(frame, gpd.GeoDataFrame) and not {"lon", "lat"} <= set(frame.columns):
        geometry = frame.geometry
        if geometry.crs is not None and geometry.crs.to_epsg() != 4326:
            geometry = geometry.to_crs(WGS84)
        not_points = ~geometry.geom_type.isin(["Point"]).to_numpy()
        if not_points.any():
            row = int(np.flatnonzero(not_points)[0]) + 1
            msg = f"{name}: feature {row} is not a Point; weighted points must be points"
            raise DataFileError(msg)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name)).assign(
            lon=geometry.x.to_numpy(), lat=geometry.y.to_numpy()
        )
    return frame, name


def _plain(value: object) -> object:
    """A cell value as the user wrote it: ``1.5``, not ``np.float64(1.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def _weights(frame: pd.DataFrame, column: str, name: str) -> FloatArray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"{name}: row {row + 1}, column {column!r}: {_plain(frame[column].iloc[row])!r} is not a "
            f"population (a number of at least 0); {int(bad.sum())} row(s) in all"
        )
        raise DataFileError(msg)
    return values


def read_points(
    path_or_frame: Path | str | pd.DataFrame, counties: gpd.GeoDataFrame, *, weight: str
) -> tuple[Cells, str]:
    """The weighted points in the counties, and the source's name (see ``demand_from_points``)."""
    counties = county_table(counties, "counties")
    frame, name = _read_points(path_or_frame)
    check_columns(frame.columns, ("lon", "lat", weight), name)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"{name}: row {row + 1}: lon {_plain(frame['lon'].iloc[row])!r}, lat "
            f"{_plain(frame['lat'].iloc[row])!r} is not a point in decimal degrees (lon -180..180, "
            f"lat -90..90); {int(bad.sum())} row(s) in all"
        )
        raise DataFileError(msg)
    population = _weights(frame, weight, name)
    adcodes = counties["adcode"].astype(str).to_numpy(dtype=object)
    located = np.empty(lon.size, dtype=object)
    step = max(1, int(settings.chunk_size))
    for start in range(0, lon.size, step):
        part = slice(start, start + step)
        located[part] = county_of(lon[part], lat[part], counties=counties).to_numpy(dtype=object)
    inside = pd.notna(located)
    county_i = np.searchsorted(adcodes, located[inside].astype(str))
    if "population_65plus" in frame.columns:
        older_all = _weights(frame, "population_65plus", name)
        above = older_all > population
        if above.any():
            row = int(np.flatnonzero(above)[0])
            msg = (
                f"{name}: row {row + 1}: population_65plus {older_all[row]:g} is larger than "
                f"{weight} {population[row]:g}; the 65+ are part of all residents "
                f"({int(above.sum())} row(s) in all)"
            )
            raise DataFileError(msg)
        older = older_all[inside]
    else:
        older = population[inside] * share_65plus(counties)[county_i]
    outside = ~inside & (population > 0)
    cells = Cells(
        lon=lon[inside],
        lat=lat[inside],
        population=population[inside],
        population_65plus=older,
        county=located[inside].astype(str).astype(object),
        outside_population=float(population[~inside].sum()),
        outside_cells=int(outside.sum()),
    )
    check_cells(cells, name, "point(s)")
    return cells, name


def check_cells(cells: Cells, name: str, what: str) -> None:
    """Refuse a source with no resident in the province; warn when part of it lies outside.

    Raises
    ------
    DataFileError
        When no resident of the source lies in a county (wrong CRS, wrong area, all zeros).

    Warns
    -----
    LocatorWarning
        When some residents lie in no county and are left out, saying how many.
    """
    total = float(np.sum(cells.population))
    if not total > 0:
        where = (
            f"{cells.outside_cells:,} {what} with {cells.outside_population:,.0f} residents lie "
            "outside every county"
            if cells.outside_cells
            else "it holds no residents over the counties"
        )
        msg = (
            f"{name}: no resident falls in the province ({where}); check that the source covers "
            "Shanxi, that its coordinate system is declared right, and that it holds residents"
        )
        raise DataFileError(msg)
    if cells.outside_population > 0:
        share = cells.outside_population / (cells.outside_population + total)
        message = (
            f"{name}: {cells.outside_cells:,} {what} with {cells.outside_population:,.0f} "
            f"residents ({share:.1%} of the source) lie in no county and are left out"
        )
        warnings.warn(message, LocatorWarning, stacklevel=2)
