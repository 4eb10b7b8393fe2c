"""Where people live: population per demand cell, estimated or read from the user's data.

Three sources give the same :class:`Demand` (cell centres in WGS-84, population,
population aged 65+, county of each cell):

- :func:`estimate_demand`: an equal-area square grid over the province, filled with
  an *estimate* built from the 2020 census county totals (see its Notes);
- :func:`demand_from_raster`: a population raster (GeoTIFF: WorldPop, GHSL, ...);
- :func:`demand_from_points`: weighted points (CSV or GeoJSON with lon, lat, weight).

Cells are assigned to counties by their centre (a cell whose centre lies in a county
belongs to it). Large grids are built and read in chunks of ``settings.chunk_size``
cells, so the working memory beyond the result itself is bounded.

Examples
--------
>>> from locator import datasets
>>> demand = estimate_demand(datasets.counties())
>>> round(demand.cell_size_m), len(demand) > 150_000
(1000, True)
>>> int(round(demand.population.sum()))  # the 2020 census, preserved exactly
34915616
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import Transformer
from rasterio.transform import Affine

from locator import settings
from locator._errors import DataFileError, ValidationError
from locator._validate import check_cell_area
from locator.counties import SHANXI_EQUAL_AREA, fingerprint
from locator.planning._population import (
    WGS84,
    burn,
    cells_in_counties,
    chunk_rows,
    county_table,
    read_points,
    read_raster,
)

__all__ = [
    "MAX_CELLS",
    "MIN_URBAN_SCALE_KM",
    "RURAL_SHARE_65PLUS",
    "URBAN_CORE_DENSITY_PER_KM2",
    "URBAN_SHARE_65PLUS",
    "Demand",
    "check_demand",
    "demand_from_points",
    "demand_from_raster",
    "estimate_demand",
]

from locator._typing import FloatArray, IntArray, ObjectArray

#: Peak density (residents per km²) of the urban kernel at a county seat; sets its width.
URBAN_CORE_DENSITY_PER_KM2 = 5_000.0
#: The urban kernel is never narrower than this (km).
MIN_URBAN_SCALE_KM = 0.5
#: The 2020 census's national 65+ share in towns and cities (城镇) and in rural areas (乡村):
#: National Bureau of Statistics, main data bulletin of the seventh census. Only their ratio
#: is used: each county's own 65+ total fixes the level (see :func:`estimate_demand`).
URBAN_SHARE_65PLUS = 0.1111
RURAL_SHARE_65PLUS = 0.1772
#: Largest grid :func:`estimate_demand` builds (about 2.5 GB); finer cells are refused.
MAX_CELLS = 50_000_000


@dataclass(frozen=True)
class Demand:
    """Population per demand cell (or weighted point).

    Attributes
    ----------
    lon, lat : ndarray of float
        Cell centre (or point), WGS-84 decimal degrees.
    population, population_65plus : ndarray of float
        Residents, and residents aged 65 and over, in each cell.
    county : ndarray of object
        6-digit adcode (str) of the county each cell's centre lies in.
    cell_size_m : float or None
        Side of a square cell in the equal-area CRS, in metres (for a raster: the side
        of a square of the same area); None for weighted points.
    source : str
        ``"estimate"``, ``"raster:<path>"`` or ``"points:<path>"``.
    grid_crs : str
        CRS in which cells are axis-aligned rectangles (the raster's own CRS for a raster).
    cell_shape : tuple of float or None
        Width and height of a cell in ``grid_crs`` units; None means a square of
        ``cell_size_m``.
    outside_population : float
        Population read from the source that lies in no county, so is not in the cells.
    outside_cells : int
        How many cells or points of the source lie in no county (with population > 0).
    population_rural : ndarray of float or None
        Of ``population``, the rural residents (乡村人口) in each cell, where the source
        tells them apart (the census-based estimate does); None for a raster or points.
    """

    lon: FloatArray
    lat: FloatArray
    population: FloatArray
    population_65plus: FloatArray
    county: ObjectArray
    cell_size_m: float | None
    source: str
    grid_crs: str = SHANXI_EQUAL_AREA
    cell_shape: tuple[float, float] | None = None
    outside_population: float = 0.0
    outside_cells: int = 0
    population_rural: FloatArray | None = None

    def __post_init__(self) -> None:
        arrays = {
            "lon": np.asarray(self.lon, dtype=np.float64),
            "lat": np.asarray(self.lat, dtype=np.float64),
            "population": np.asarray(self.population, dtype=np.float64),
            "population_65plus": np.asarray(self.population_65plus, dtype=np.float64),
            "county": np.asarray(self.county, dtype=object),
        }
        if self.population_rural is not None:
            arrays["population_rural"] = np.asarray(self.population_rural, dtype=np.float64)
        sizes = {name: a.size for name, a in arrays.items()}
        if len(set(sizes.values())) != 1:
            msg = f"Demand arrays differ in length: {sizes}; give one value per cell in each"
            raise ValidationError(msg)
        for name, array in arrays.items():
            view = array.ravel().view()
            view.flags.writeable = False  # a cached Demand is shared: nobody may edit it
            object.__setattr__(self, name, view)

    def __len__(self) -> int:
        return int(self.lon.size)

    @property
    def cell_area_km2(self) -> float | None:
        """Area of one cell in km² (None for weighted points)."""
        return None if self.cell_size_m is None else self.cell_size_m**2 / 1e6

    def to_geodataframe(
        self, *, polygons: bool = False, positions: npt.ArrayLike | None = None
    ) -> gpd.GeoDataFrame:
        """The cells as a GeoDataFrame in EPSG:4326.

        Parameters
        ----------
        polygons : bool
            Cell squares instead of centre points (weighted points stay points).
        positions : array of int, optional
            Only these cells, in this order.

        Returns
        -------
        geopandas.GeoDataFrame
            Columns ``cell`` (position in the demand), ``county_adcode``, ``population``,
            ``population_65plus``, ``lon``, ``lat`` and the geometry.
        """
        cell = (
            np.arange(len(self))
            if positions is None
            else np.asarray(positions, dtype=np.intp).ravel()
        )
        lon, lat = self.lon[cell], self.lat[cell]
        frame = pd.DataFrame(
            {
                "cell": cell,
                "county_adcode": self.county[cell],
                "population": self.population[cell],
                "population_65plus": self.population_65plus[cell],
                "lon": lon,
                "lat": lat,
            }
        )
        if not polygons or self.cell_size_m is None:
            return gpd.GeoDataFrame(frame, geometry=shapely.points(lon, lat), crs=WGS84)
        to_grid = Transformer.from_crs(WGS84, self.grid_crs, always_xy=True)
        from_grid = Transformer.from_crs(self.grid_crs, WGS84, always_xy=True)
        width, height = self.cell_shape or (self.cell_size_m, self.cell_size_m)
        dx = np.array([-0.5, 0.5, 0.5, -0.5]) * width
        dy = np.array([-0.5, -0.5, 0.5, 0.5]) * height
        # The corners are projected back vertex by vertex (as GeoDataFrame.to_crs would),
        # a chunk at a time, so the temporary arrays stay small on fine grids.
        rings = np.empty(lon.size, dtype=object)
        step = max(1, int(settings.chunk_size))
        for start in range(0, lon.size, step):
            part = slice(start, start + step)
            x, y = (np.asarray(v) for v in to_grid.transform(lon[part], lat[part]))
            corner_lon, corner_lat = from_grid.transform(x[:, None] + dx, y[:, None] + dy)
            corners = np.stack([np.asarray(corner_lon), np.asarray(corner_lat)], axis=-1)
            rings[part] = shapely.polygons(np.concatenate([corners, corners[:, :1]], axis=1))
        return gpd.GeoDataFrame(frame, geometry=rings, crs=WGS84)


def check_demand(demand: object) -> Demand:
    """Check that ``demand`` is a :class:`Demand` (e.g. not a path or a table)."""
    if not isinstance(demand, Demand):
        msg = (
            f"demand is a {type(demand).__name__}, not a Demand: build one with "
            "estimate_demand(), demand_from_raster(path) or demand_from_points(path)"
        )
        raise ValidationError(msg)
    return demand


# --- the estimate --------------------------------------------------------------------------

# The last few estimates, by what they are made of: the county layer's content and the cell
# area. An edited or rebuilt layer has another fingerprint, so it is never served a stale grid.
_ESTIMATES: dict[tuple[str, float], Demand] = {}


def _fallback_points(counties: gpd.GeoDataFrame, which: npt.NDArray[np.intp]) -> FloatArray:
    """A point for each county that got no cell: its seat if inside it, else a point inside."""
    points = np.empty((which.size, 2))
    for row, i in enumerate(which):
        geometry = counties.geometry.iloc[i]
        seat = shapely.Point(counties["seat_lon"].iloc[i], counties["seat_lat"].iloc[i])
        point = seat if geometry.contains(seat) else geometry.representative_point()
        points[row] = point.x, point.y
    return points


def estimate_demand(counties: gpd.GeoDataFrame, *, cell_area_km2: float | None = None) -> Demand:
    """Estimate the population of every cell of an equal-area grid over the province.

    Parameters
    ----------
    counties : geopandas.GeoDataFrame
        The county layer with its census columns (``locator.datasets.counties()``: the
        shipped 117 counties, 2020 census).
    cell_area_km2 : float, optional
        Area of one square cell (default ``settings.cell_area_km2``, 1 km²), between
        0.01 and 100 km² (see :data:`locator._validate.MAX_CELL_AREA_KM2` for why).

    Returns
    -------
    Demand
        One cell per grid square whose centre lies in a county, in county order.

    Notes
    -----
    **This is an estimate**, not a population map. The grid is square in
    :data:`locator.counties.SHANXI_EQUAL_AREA` (Albers equal-area), so every cell has
    the same area. In each county:

    - the *urban* population (城镇人口) is spread by an exponential distance-decay
      kernel around the county seat, ``exp(-d / s)`` with
      ``s = max(MIN_URBAN_SCALE_KM, sqrt(urban / (2 π URBAN_CORE_DENSITY_PER_KM2)))``,
      the scale at which an unclipped kernel holding the urban population peaks at
      ``URBAN_CORE_DENSITY_PER_KM2`` residents per km² (5,000); a district of a
      million urban residents spreads over a few km, a small county seat over one;
    - the *rural* population (乡村人口) is spread evenly over the county's cells;
    - residents aged 65+: the county census gives their total but not where they live.
      Nationally the 2020 census found a 65+ share of 17.72 % in rural areas against
      11.11 % in towns and cities (:data:`RURAL_SHARE_65PLUS`, :data:`URBAN_SHARE_65PLUS`),
      so a cell's urban residents get share ``c * 11.11 %`` and its rural residents
      ``c * 17.72 %``, with ``c`` solved per county so that the county's 65+ total is
      exact. When the county's 65+ are too many for that (the rural share would pass
      100 %), every rural resident counts as 65+ and the rest go to the urban ones; a
      county without urban (or rural) residents has one share, its census share.
      A raster or points file with its own 65+ replaces the estimate.

    Both kernels are normalised within the county, so each county's total, urban and
    65+ population are preserved exactly (to floating-point rounding). A county smaller
    than a cell, with no cell centre inside it, gets one extra cell at its seat (or,
    if the seat lies outside it, at a point inside it) holding its whole population.
    The last few estimates are cached by the cell area and a fingerprint of the
    county layer's content (adcodes, populations, seats, polygons), so the same counties
    read twice share one grid and an edited layer gets a new one.
    """
    area = check_cell_area(settings.cell_area_km2 if cell_area_km2 is None else cell_area_km2)
    table = county_table(counties, "counties")
    key = (fingerprint(table), area)
    cached = _ESTIMATES.get(key)
    if cached is not None:
        return cached
    demand = _estimate(table, area)
    if len(_ESTIMATES) >= 3:
        _ESTIMATES.pop(next(iter(_ESTIMATES)))
    _ESTIMATES[key] = demand
    return demand


def _grid_cells(
    counties: gpd.GeoDataFrame, area_km2: float
) -> tuple[IntArray, FloatArray, FloatArray, float]:
    """The grid's cells in counties: county row, equal-area x and y, in county order; the side."""
    size = math.sqrt(area_km2) * 1000.0
    projected = counties.geometry.to_crs(SHANXI_EQUAL_AREA).to_numpy()
    minx, miny, maxx, maxy = shapely.total_bounds(projected)
    x0, y1 = math.floor(minx / size) * size, math.ceil(maxy / size) * size
    ncols = max(1, math.ceil((maxx - x0) / size))
    nrows = max(1, math.ceil((y1 - miny) / size))
    if ncols * nrows > MAX_CELLS:
        msg = (
            f"cell_area_km2={area_km2} needs a grid of {ncols * nrows:,} cells, more than "
            f"{MAX_CELLS:,}; use a cell area of at least {area_km2 * ncols * nrows / MAX_CELLS:.4f} km²"
        )
        raise ValidationError(msg)
    transform = Affine(size, 0.0, x0, 0.0, -size, y1)
    labels, xs, ys = [], [], []
    step = chunk_rows(ncols)
    for r0 in range(0, nrows, step):
        burned = burn(
            projected, (min(step, nrows - r0), ncols), transform @ Affine.translation(0, r0)
        )
        rows, cols = np.nonzero(burned)
        labels.append(burned[rows, cols] - 1)
        xs.append(x0 + (cols + 0.5) * size)
        ys.append(y1 - (r0 + rows + 0.5) * size)
    county_i = np.concatenate(labels).astype(np.intp)
    x, y = np.concatenate(xs), np.concatenate(ys)
    to_grid = Transformer.from_crs(WGS84, SHANXI_EQUAL_AREA, always_xy=True)
    n_counties = len(counties)
    empty = np.flatnonzero(np.bincount(county_i, minlength=n_counties) == 0)
    if empty.size:
        lonlat = _fallback_points(counties, empty)
        fx, fy = to_grid.transform(lonlat[:, 0], lonlat[:, 1])
        county_i = np.concatenate([county_i, empty])
        x, y = np.concatenate([x, fx]), np.concatenate([y, fy])
    order = np.argsort(county_i, kind="stable")
    county_i, x, y = county_i[order], x[order], y[order]
    return county_i, x, y, size


def _estimate(counties: gpd.GeoDataFrame, area_km2: float) -> Demand:
    county_i, x, y, size = _grid_cells(counties, area_km2)
    to_grid = Transformer.from_crs(WGS84, SHANXI_EQUAL_AREA, always_xy=True)
    n_counties = len(counties)

    population = counties["population"].to_numpy(dtype=np.float64)
    if not population.sum() > 0:
        msg = "counties: the population of every county is 0; give a county layer with residents"
        raise DataFileError(msg)
    urban_in = counties["urban_population"].to_numpy(dtype=np.float64)
    urban = np.clip(urban_in, 0.0, population)
    rural = population - urban
    seat_x, seat_y = to_grid.transform(
        counties["seat_lon"].to_numpy(dtype=np.float64),
        counties["seat_lat"].to_numpy(dtype=np.float64),
    )
    scale_km = np.maximum(
        MIN_URBAN_SCALE_KM, np.sqrt(urban / (2 * np.pi * URBAN_CORE_DENSITY_PER_KM2))
    )
    z = np.hypot(x - seat_x[county_i], y - seat_y[county_i]) / 1000.0 / scale_km[county_i]
    starts = np.searchsorted(county_i, np.arange(n_counties))
    counts = np.bincount(county_i, minlength=n_counties)
    # Subtracting each county's smallest exponent keeps the kernel from underflowing to 0
    # when a seat lies far from every cell of its county.
    z -= np.minimum.reduceat(z, starts)[county_i]
    kernel = np.exp(-z)
    kernel_sum = np.bincount(county_i, weights=kernel, minlength=n_counties)
    cell_urban = urban[county_i] * kernel / kernel_sum[county_i]
    cell_rural = (rural / counts)[county_i]
    urban_share, rural_share = _shares_65plus(
        urban, rural, counties["population_65plus"].to_numpy(dtype=np.float64)
    )
    older = urban_share[county_i] * cell_urban + rural_share[county_i] * cell_rural
    lon, lat = Transformer.from_crs(SHANXI_EQUAL_AREA, WGS84, always_xy=True).transform(x, y)
    cells = cells_in_counties(counties, county_i, lon, lat, cell_urban + cell_rural)
    return Demand(
        **{**cells._asdict(), "population_65plus": older},
        cell_size_m=size,
        source="estimate",
        population_rural=cell_rural,
    )


def _shares_65plus(
    urban: FloatArray, rural: FloatArray, older: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Each county's 65+ share among its urban and its rural residents.

    The shares keep the census's national rural/urban ratio, scaled so that
    ``urban * urban_share + rural * rural_share == older`` in every county. Where that
    would put the rural share above 1, the rural share is 1 and the urban share takes the
    rest (at most 1 too, since the county layer has no more 65+ than residents).
    """
    base = urban * URBAN_SHARE_65PLUS + rural * RURAL_SHARE_65PLUS
    scale = np.divide(older, base, out=np.zeros_like(older), where=base > 0)
    rural_share = np.minimum(1.0, scale * RURAL_SHARE_65PLUS)
    urban_share = np.where(
        rural_share < 1.0,
        scale * URBAN_SHARE_65PLUS,
        np.divide(older - rural, urban, out=np.zeros_like(older), where=urban > 0),
    )
    return np.clip(urban_share, 0.0, 1.0), rural_share


# --- the other sources (read in locator.planning._population) ---------------------------------


def demand_from_raster(path: Path | str, counties: gpd.GeoDataFrame, *, band: int = 1) -> Demand:
    """Read a population raster (residents per pixel, e.g. WorldPop or GHSL) as demand.

    The raster is read in windows of about ``settings.chunk_size`` pixels over the county
    layer's extent; each pixel with population goes to the county holding its centre
    (pixels in no county are counted in ``outside_population``). Pixel values are taken
    as given (not rescaled to the census); the 65+ population of a pixel is its population
    times its county's 65+ share in the county layer.

    Parameters
    ----------
    path : path
        A GeoTIFF (any raster GDAL reads) with a CRS; values are residents per pixel.
    counties : geopandas.GeoDataFrame
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    band : int
        The band holding the population (1-based).

    Raises
    ------
    DataFileError
        When the file cannot be read, has no CRS or a rotated grid, holds a negative or
        infinite value, or no resident of it lies in a county (e.g. a wrong CRS).

    Warns
    -----
    LocatorWarning
        When part of the raster's residents lie in no county (they are left out).
    """
    cells, grid = read_raster(path, counties, band=band)
    return Demand(**cells._asdict(), **grid._asdict(), source=f"raster:{path}")


def demand_from_points(
    path_or_frame: Path | str | pd.DataFrame,
    counties: gpd.GeoDataFrame,
    *,
    weight: str = "population",
) -> Demand:
    """Read weighted points (e.g. residential buildings, villages) as demand.

    Parameters
    ----------
    path_or_frame : path or DataFrame
        A CSV with columns ``lon``, ``lat`` (WGS-84) and ``weight``, or a GeoJSON of
        points with a ``weight`` property, or such a (Geo)DataFrame. An optional
        ``population_65plus`` column gives the 65+ residents; otherwise they are the
        weight times the county's 65+ share.
    counties : geopandas.GeoDataFrame
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    weight : str
        The column holding the residents of each point.

    Points in no county are left out and counted in ``outside_population`` and
    ``outside_cells``, with a :class:`locator.LocatorWarning` saying how many residents;
    ``cell_size_m`` is None.

    Raises
    ------
    ValidationError
        When a weight is not a number of at least 0, or the 65+ of a point exceed its
        residents; :class:`DataFileError` when no resident lies in a county.

    Examples
    --------
    >>> import warnings
    >>> from locator import datasets
    >>> points = pd.DataFrame({"lon": [112.55, 116.4], "lat": [37.87, 39.9], "population": [10, 5]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     demand = demand_from_points(points, datasets.counties())
    >>> demand.county.tolist(), demand.outside_population
    (['140107'], 5.0)
    >>> print(caught[0].message)
    points: 1 point(s) with 5 residents (33.3% of the source) lie in no county and are left out
    """
    cells, name = read_points(path_or_frame, counties, weight=weight)
    return Demand(**cells._asdict(), cell_size_m=None, source=f"points:{name}")
