"""Planner coverage: the two-per-county rule, residents near an outlet, and the gaps.

- :func:`county_rule`: outlets per county, counted where they *are* (point in polygon),
  and the counties below the rule of ``settings.min_outlets_per_county`` (2), per task;
- :func:`mismatches`: outlets whose declared county is not where they are;
- :func:`coverage_report`: per county, city and province, the population (and the 65+)
  within each distance of the nearest suitable outlet, and population-weighted mean,
  median, p95 and max distances;
- :func:`gaps`: the demand cells farther than a distance from a suitable outlet.

Distances are great-circle distances to the nearest outlet that can do the task (see
:class:`locator.index.OutletIndex`), times a detour factor (default 1.0) as a rough
road distance. Residents come from a :class:`locator.planning.demand.Demand` (default: the
census-based estimate at ``settings.cell_area_km2``).

Examples
--------
>>> report = coverage_report(None)
>>> report.province["counties_meeting_rule"], round(report.province["population"])
(117, 34915616)
>>> pin = county_rule(None, task="reset_card_pin")
>>> int(pin["meets_rule"].sum()) <= 117
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._validate import (
    check_chunk_size,
    check_detour_factor,
    check_output_path,
    check_radii,
    check_radius,
)
from locator.index import OutletIndex
from locator.output import to_json, write_csv
from locator.planning._weighted import distance_label, group_figures
from locator.planning.demand import Demand, check_demand, estimate_demand
from locator.planning.rule import (
    Outlets,
    county_column,
    county_layer,
    county_rule,
    locate_outlets,
    mismatch_table,
    mismatches,
    outlet_index,
    rule_table,
)
from locator.tasks import get_task

__all__ = [
    "CoverageReport",
    "county_rule",
    "coverage_report",
    "gaps",
    "locate_outlets",
    "mismatches",
    "nearest_distance_km",
    "write_gaps",
]

FloatArray = npt.NDArray[np.float64]


def _inputs(
    outlets: Outlets, counties: gpd.GeoDataFrame | None, demand: Demand | None
) -> tuple[OutletIndex, gpd.GeoDataFrame, Demand]:
    """The outlet index, the county layer in adcode order and the demand (default: estimated)."""
    index = outlet_index(outlets)
    counties = county_layer(counties)
    return index, counties, estimate_demand(counties) if demand is None else check_demand(demand)


# --- distances ------------------------------------------------------------------------------


def nearest_distance_km(
    outlets_or_index: Outlets,
    demand: Demand,
    *,
    task: str | None = None,
    bank: str | None = None,
    detour_factor: float | None = None,
) -> FloatArray:
    """Distance (km) from every demand cell to the nearest suitable outlet.

    Great-circle distance times ``detour_factor`` (default ``settings.detour_factor``);
    ``inf`` where no outlet can do the task. Cells are queried in chunks of
    ``settings.chunk_size``, so the working memory does not grow with the grid.

    Examples
    --------
    >>> from locator.planning.demand import demand_from_points
    >>> here = demand_from_points(pd.DataFrame({"lon": [112.55], "lat": [37.87], "population": [1]}))
    >>> bool(nearest_distance_km(None, here)[0] < 5)
    True
    """
    index = outlet_index(outlets_or_index)
    factor = check_detour_factor(settings.detour_factor if detour_factor is None else detour_factor)
    step = check_chunk_size(settings.chunk_size)
    index.positions(task=task, bank=bank)  # a missing bank is an error even for no cells
    distance = np.empty(len(demand))
    for start in range(0, len(demand), step):
        part = slice(start, start + step)
        found, _ = index.query(
            lon=demand.lon[part], lat=demand.lat[part], k=1, task=task, bank=bank
        )
        distance[part] = found[:, 0]
    distance *= factor
    return distance


def _settings(
    task: str | None,
    radius_km: float | None,
    radii_km: Any,
    detour_factor: float | None,
) -> tuple[float, tuple[float, ...], float]:
    if task is not None and not get_task(task).kinds:
        msg = f"task {task!r} is done online only; no outlet does it, so it has no coverage"
        raise ValidationError(msg)
    radius = check_radius(settings.default_radius_km if radius_km is None else radius_km)
    radii = check_radii(settings.coverage_radii_km if radii_km is None else radii_km)
    factor = check_detour_factor(settings.detour_factor if detour_factor is None else detour_factor)
    return radius, radii, factor


# --- the report -----------------------------------------------------------------------------


def _round_populations(record: dict[Any, Any]) -> dict[str, Any]:
    return {
        str(k): round(v, 3)
        if isinstance(v, float) and np.isfinite(v) and "population" in str(k)
        else v
        for k, v in record.items()
    }


@dataclass(frozen=True)
class CoverageReport:
    """Coverage figures for the province, its cities and its counties.

    Attributes
    ----------
    province : dict
        The province's figures and the settings they were computed with.
    cities, counties : pandas.DataFrame
        One row per city / county: outlets, the rule, population, ``covered_*`` at
        ``radius_km``, population-weighted ``mean_km``, ``median_km``, ``p95_km``,
        ``max_km`` (and ``*_65plus``), and ``population_within_<r>km`` /
        ``share_within_<r>km`` (and ``*_65plus_*``) for each of ``radii_km``.
    mismatches : pandas.DataFrame
        Outlets whose declared county is not where they lie (see :func:`mismatches`).
    """

    province: dict[str, Any]
    cities: pd.DataFrame
    counties: pd.DataFrame
    mismatches: pd.DataFrame
    radius_km: float
    radii_km: tuple[float, ...]
    detour_factor: float
    task: str | None
    bank: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready dicts: province, cities, counties, mismatches.

        Populations are rounded to 0.001 resident (sums of estimated cells carry
        floating-point dust such as 34915615.99999946); everything else is as computed.
        """
        return {
            "province": _round_populations(self.province),
            "cities": [_round_populations(r) for r in self.cities.to_dict(orient="records")],
            "counties": [_round_populations(r) for r in self.counties.to_dict(orient="records")],
            "mismatches": self.mismatches.to_dict(orient="records"),
        }

    def to_json(self) -> str:
        """The report as JSON text (Chinese kept readable; NaN and inf as null)."""
        return to_json(self.to_dict())

    def curve(self, level: str = "province", *, older: bool = False) -> pd.DataFrame:
        """Share of residents within each distance, one column per province/city/county.

        Examples
        --------
        >>> report = coverage_report(None)
        >>> curve = report.curve()
        >>> bool(curve["山西省"].is_monotonic_increasing)
        True
        """
        key = "share_65plus_within" if older else "share_within"
        labels = [f"{key}_{distance_label(r)}" for r in self.radii_km]
        if level == "province":
            values = {"山西省": [self.province[c] for c in labels]}
        elif level in ("city", "county"):
            frame = self.cities if level == "city" else self.counties
            name = "city" if level == "city" else "name"
            values = {str(row[name]): [row[c] for c in labels] for _, row in frame.iterrows()}
        else:
            msg = f"level={level!r} must be one of province, city, county"
            raise ValidationError(msg)
        return pd.DataFrame(values, index=pd.Index(self.radii_km, name="distance_km"))


def _county_codes(demand: Demand, adcodes: npt.NDArray[np.str_]) -> npt.NDArray[np.intp]:
    found, uniques = pd.factorize(demand.county, use_na_sentinel=False)
    positions = pd.Index(adcodes).get_indexer(pd.Index(np.asarray(uniques, dtype=str)))
    if (positions < 0).any():
        first = str(uniques[np.flatnonzero(positions < 0)[0]])
        msg = (
            f"demand cell county {first!r} is not in the county layer; build the demand "
            "from the same counties as the report"
        )
        raise ValidationError(msg)
    return positions[found].astype(np.intp)


def coverage_report(
    outlets: Outlets,
    counties: gpd.GeoDataFrame | None = None,
    *,
    demand: Demand | None = None,
    task: str | None = None,
    bank: str | None = None,
    radius_km: float | None = None,
    radii_km: Any = None,
    detour_factor: float | None = None,
) -> CoverageReport:
    """Outlets, the county rule and population coverage per county, city and province.

    Parameters
    ----------
    outlets : GeoDataFrame, OutletIndex, path or None
        The registry (None: the shipped sample).
    counties : geopandas.GeoDataFrame, optional
        The county layer (default: the shipped 117 counties).
    demand : Demand, optional
        Where residents live (default: :func:`locator.planning.demand.estimate_demand`).
    task, bank : str, optional
        Count and measure only outlets that can do ``task`` for a card of ``bank``
        (``bank`` is required for the own-bank tasks).
    radius_km : float, optional
        The "near home" distance of ``covered_*`` and of the gaps
        (default ``settings.default_radius_km``, 5 km).
    radii_km : sequence of float, optional
        The distances reported (default ``settings.coverage_radii_km``).
    detour_factor : float, optional
        Road distance = straight line × factor (default ``settings.detour_factor``, 1.0).
    """
    radius, radii, factor = _settings(task, radius_km, radii_km, detour_factor)
    index, counties, demand = _inputs(outlets, counties, demand)
    where = locate_outlets(index, counties)
    rule = rule_table(index, counties, where, task, bank, None)
    distance = nearest_distance_km(index, demand, task=task, bank=bank, detour_factor=factor)
    adcodes = rule["adcode"].to_numpy(dtype=str)
    codes = _county_codes(demand, adcodes)
    by_distance = np.argsort(distance, kind="stable")  # one sort for every grouping

    def figures(group_codes: npt.NDArray[np.intp], n_groups: int) -> pd.DataFrame:
        columns = group_figures(
            distance,
            demand.population,
            demand.population_65plus,
            group_codes,
            n_groups,
            radius_km=radius,
            radii_km=radii,
            by_distance=by_distance,
        )
        return pd.DataFrame(columns)

    county_table = pd.concat([rule, figures(codes, len(rule))], axis=1)
    city_keys, city_of_county = np.unique(
        rule["city_adcode"].to_numpy(dtype=str), return_inverse=True
    )
    per_city = rule.groupby("city_adcode", sort=True).agg(
        city=("city", "first"),
        counties=("adcode", "size"),
        counties_meeting_rule=("meets_rule", "sum"),
        outlets=("outlets", "sum"),
    )
    city_table = pd.concat(
        [
            per_city.reset_index(),
            figures(city_of_county[codes], city_keys.size),
        ],
        axis=1,
    )
    province_row = figures(np.zeros(len(demand), dtype=np.intp), 1).iloc[0]
    found = mismatch_table(where, counties)
    suitable = index.positions(task=task, bank=bank)
    metadata = index.outlets.attrs.get("metadata", {})
    province: dict[str, Any] = {
        "name": "山西省",
        "outlets": int(suitable.size),
        "outlets_outside_counties": int(where["located_adcode"].iloc[suitable].isna().sum()),
        "counties": len(rule),
        "counties_meeting_rule": int(rule["meets_rule"].sum()),
        "counties_below_rule": int((~rule["meets_rule"]).sum()),
        "min_outlets_per_county": int(settings.min_outlets_per_county),
        "mismatches": len(found),
        **{str(k): float(v) for k, v in province_row.items()},
        "task": task,
        "bank": bank,
        "radius_km": radius,
        "radii_km": list(radii),
        "detour_factor": factor,
        "distance": "great-circle distance × detour_factor",
        "demand": demand.source,
        "cell_area_km2": demand.cell_area_km2,
        "demand_outside_population": demand.outside_population,
        "sample_registry": bool(isinstance(metadata, dict) and metadata.get("sample", False)),
    }
    return CoverageReport(
        province=province,
        cities=city_table,
        counties=county_table,
        mismatches=found,
        radius_km=radius,
        radii_km=radii,
        detour_factor=factor,
        task=task,
        bank=bank,
    )


# --- the gap layer ---------------------------------------------------------------------------


def gaps(
    outlets: Outlets,
    counties: gpd.GeoDataFrame | None = None,
    *,
    demand: Demand | None = None,
    task: str | None = None,
    bank: str | None = None,
    radius_km: float | None = None,
    detour_factor: float | None = None,
) -> gpd.GeoDataFrame:
    """Demand cells farther than ``radius_km`` from a suitable outlet, largest first.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, one cell polygon (a point for weighted-point demand) per row,
        ranked by population (descending): ``rank``, ``cell``, ``county_adcode``,
        ``county_name``, ``city``, ``population``, ``population_65plus``,
        ``distance_km`` (empty where no outlet can do the task), ``lon``, ``lat``.
        ``attrs`` holds the radius, detour factor, task and bank.

    Examples
    --------
    >>> far = gaps(None, radius_km=15)
    >>> bool(far["distance_km"].gt(15).all()), bool(far["population"].is_monotonic_decreasing)
    (True, True)
    """
    radius, _, factor = _settings(task, radius_km, None, detour_factor)
    index, counties, demand = _inputs(outlets, counties, demand)
    distance = nearest_distance_km(index, demand, task=task, bank=bank, detour_factor=factor)
    far = np.flatnonzero((distance > radius) & (demand.population > 0))
    order = np.lexsort((-distance[far], -demand.population[far]))
    positions = far[order]
    layer = demand.to_geodataframe(polygons=True, positions=positions)
    names = county_column(counties, "name")
    cities = county_column(counties, "city")
    layer.insert(0, "rank", np.arange(1, len(layer) + 1))
    layer.insert(3, "county_name", layer["county_adcode"].map(names))
    layer.insert(4, "city", layer["county_adcode"].map(cities))
    found = distance[positions]
    layer.insert(7, "distance_km", np.where(np.isfinite(found), found, np.nan))
    layer.attrs.update({"radius_km": radius, "detour_factor": factor, "task": task, "bank": bank})
    return layer


def write_gaps(layer: gpd.GeoDataFrame, path: Path | str) -> Path:
    """Write a gap layer as GeoJSON (``.geojson``/``.json``) or CSV for Excel (``.csv``).

    Raises
    ------
    ValidationError
        When the suffix is neither, or the file cannot be written there (no such folder,
        no permission); the message names the path.
    """
    path = check_output_path(path, "path")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(pd.DataFrame(layer.drop(columns=layer.geometry.name)), path)
    if suffix not in (".geojson", ".json"):
        msg = f"{path}: unknown output type {suffix!r}; name it .geojson or .csv"
        raise ValidationError(msg)
    if path.exists():
        path.unlink()  # the GeoJSON driver will not overwrite
    layer.to_file(path, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    return path
