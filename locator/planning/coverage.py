"""Planner coverage: the two-per-county rule, residents near an outlet, and the gaps.

- :func:`county_rule`: outlets per county, counted where they *are* (point in polygon),
  and the counties below the rule of ``settings.min_outlets_per_county`` (2), per task;
- :func:`mismatches`: outlets whose declared county is not where they are;
- :func:`coverage_report`: per county, city and province, the population (and the 65+)
  within each distance of the nearest suitable outlet, and population-weighted mean,
  median, p95 and max distances;
- :func:`gaps`: the demand cells farther than a distance from a suitable outlet.

Without a task the figures count one-stop outlets only, whatever else the registry holds
(ordinary branches, ``kind`` ``branch``, do the own-bank tasks only); for an own-bank task
the distances reach every branch of the card's bank, while the rule still counts one-stop
outlets. Coverage per partner bank is :func:`locator.planning.bank_coverage.coverage_by_bank`.

Distances are great-circle distances to the nearest outlet that can do the task (see
:class:`locator.index.OutletIndex`), times a detour factor (default 1.0) as a rough
road distance. Residents come from a :class:`locator.planning.demand.Demand` (default: the
census-based estimate at ``settings.cell_area_km2``).

Every function takes a :class:`~locator.planning.inputs.PlanningInputs`, or builds one from
the registry, the county layer and the keywords of :meth:`PlanningInputs.build
<locator.planning.inputs.PlanningInputs.build>`. Asked of one inputs object, the distance pass
runs once: :func:`gaps` after :func:`coverage_report` reuses it (or pass ``report=``).

Examples
--------
>>> from locator import datasets
>>> inputs = PlanningInputs.build(datasets.outlets(), datasets.counties())
>>> report = coverage_report(inputs)
>>> report.province["counties_meeting_rule"], round(report.province["population"])
(117, 34915616)
>>> pin = county_rule(datasets.outlets(), datasets.counties(), task="reset_card_pin")
>>> int(pin["meets_rule"].sum()) <= 117
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._typing import FloatArray, IntArray
from locator._validate import check_count, check_output_path
from locator.counties import city_names, county_names
from locator.output import to_json, write_csv
from locator.planning._weighted import distance_label, group_figures
from locator.planning.demand import Demand
from locator.planning.inputs import Counties, Outlets, PlanningInputs, resolve
from locator.planning.rule import (
    county_rule,
    locate_outlets,
    mismatch_table,
    mismatches,
    rule_table,
)

__all__ = [
    "CoverageReport",
    "PlanningInputs",
    "coinciding_65plus",
    "county_rule",
    "coverage_report",
    "gaps",
    "locate_outlets",
    "mismatches",
    "nearest_distance_km",
    "write_gaps",
]


# --- distances ------------------------------------------------------------------------------


def nearest_distance_km(
    outlets: PlanningInputs | Outlets, counties: Counties | None = None, **keywords: Any
) -> FloatArray:
    """Distance (km) from every demand cell to the nearest suitable outlet.

    Great-circle distance times ``detour_factor``; ``inf`` where no outlet can do the task.
    Cells are queried in chunks of ``settings.chunk_size``, so the working memory does not
    grow with the grid. Takes a `PlanningInputs`, or the registry, the county layer and the
    keywords of :meth:`PlanningInputs.build`; the answer is kept on the inputs.

    Examples
    --------
    >>> from locator import datasets
    >>> from locator.planning.demand import demand_from_points
    >>> counties = datasets.counties()
    >>> points = pd.DataFrame({"lon": [112.55], "lat": [37.87], "population": [1]})
    >>> here = demand_from_points(points, counties)
    >>> bool(nearest_distance_km(datasets.outlets(), counties, demand=here)[0] < 5)
    True
    """
    return np.array(resolve(outlets, counties, keywords).distance_km)


# --- the report -----------------------------------------------------------------------------


def coinciding_65plus(counties: pd.DataFrame) -> dict[str, str]:
    """The county 65+ columns that repeat an all-residents column by construction.

    When the population source has no 65+ by location (a raster, points without a
    ``population_65plus`` column), each cell's 65+ are its county's share of its residents,
    so within every county the 65+ shares and distances equal those of all residents. Every
    output then shows them once. Cities and the province still differ (their counties' 65+
    shares differ), and so do the counts (``*population_65plus``).

    Returns
    -------
    dict
        Each repeating 65+ column (``covered_share_65plus``, ``mean_km_65plus``,
        ``share_65plus_within_5km`` ...) and the all-residents column it equals; empty
        when any county's figures differ (as with the census-based estimate, which places
        the 65+ by the rural/urban gap).

    Examples
    --------
    >>> table = pd.DataFrame({"covered_share": [0.5, 0.8], "covered_share_65plus": [0.5, 0.8]})
    >>> coinciding_65plus(table)
    {'covered_share_65plus': 'covered_share'}
    >>> coinciding_65plus(table.assign(covered_share_65plus=[0.4, 0.8]))
    {}
    """
    pairs = {
        column: column.replace("_65plus", "")
        for column in counties.columns
        if "_65plus" in column and ("share" in column or column.endswith("_km_65plus"))
    }
    for older, everyone in pairs.items():
        if everyone not in counties:
            return {}
        a = counties[older].to_numpy(dtype=float)
        b = counties[everyone].to_numpy(dtype=float)
        if not np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True):
            return {}
    return pairs


def _round_populations(record: dict[Any, Any]) -> dict[str, Any]:
    return {
        str(k): round(v, 3)
        if isinstance(v, float) and np.isfinite(v) and "population" in str(k)
        else v
        for k, v in record.items()
    }


class CountiesOnce:
    """For a result with a ``counties`` table: its 65+ columns that repeat, shown once."""

    counties: pd.DataFrame

    @property
    def repeated_65plus(self) -> dict[str, str]:
        """The county 65+ columns equal to all residents' by construction (`coinciding_65plus`)."""
        return coinciding_65plus(self.counties)

    @property
    def counties_once(self) -> pd.DataFrame:
        """The county table as every output shows it: `repeated_65plus` columns left out."""
        return self.counties.drop(columns=list(self.repeated_65plus))


@dataclass(frozen=True)
class CoverageReport(CountiesOnce):
    """Coverage figures for the province, its cities and its counties.

    Attributes
    ----------
    province : dict
        The province's figures and the settings they were computed with: ``outlets`` the
        suitable one-stop outlets (what the rule counts), ``branches`` the suitable ordinary
        branches (kind ``branch``: only for an own-bank task or a bank; they count in the
        distances, not in the rule).
    cities, counties : pandas.DataFrame
        One row per city / county: outlets, the rule, population, ``covered_*`` at
        ``radius_km``, population-weighted ``mean_km``, ``median_km``, ``p95_km``,
        ``max_km`` (and ``*_65plus``), and ``population_within_<r>km`` /
        ``share_within_<r>km`` (and ``*_65plus_*``) for each of ``radii_km``.
    mismatches : pandas.DataFrame
        Outlets whose declared county is not where they lie (see :func:`mismatches`).
    radius_km, radii_km, detour_factor, task, bank
        The settings the figures were computed with.
    distance_km : ndarray of float
        Distance from each demand cell to the nearest suitable outlet: :func:`gaps` of the
        same inputs reuses it (``gaps(..., report=report)``).
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
    #: Distance (km) from each demand cell to the nearest suitable outlet, for `gaps`.
    distance_km: FloatArray | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready dicts: province, cities, counties, mismatches.

        Populations are rounded to 0.001 resident (sums of estimated cells carry
        floating-point dust such as 34915615.99999946); everything else is as computed.
        The county records leave out the 65+ fields that repeat all residents' by
        construction; ``county_65plus_same_as`` maps each one left out to the field that
        holds its value (``{}`` when none is left out).
        """
        return {
            "province": _round_populations(self.province),
            "cities": [_round_populations(r) for r in self.cities.to_dict(orient="records")],
            "counties": [
                _round_populations(r) for r in self.counties_once.to_dict(orient="records")
            ],
            "county_65plus_same_as": self.repeated_65plus,
            "mismatches": self.mismatches.to_dict(orient="records"),
        }

    def to_json(self) -> str:
        """The report as JSON text (Chinese kept readable; NaN and inf as null)."""
        return to_json(self.to_dict())

    def curve(self, level: str = "province", *, older: bool = False) -> pd.DataFrame:
        """Share of residents within each distance, one column per province/city/county.

        Examples
        --------
        >>> from locator import datasets
        >>> report = coverage_report(datasets.outlets(), datasets.counties())
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


def _county_codes(demand: Demand, adcodes: npt.NDArray[np.str_]) -> IntArray:
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


def _figures(
    inputs: PlanningInputs, codes: IntArray, n_groups: int, by_distance: IntArray
) -> pd.DataFrame:
    """Population-weighted distance figures of the demand cells grouped by ``codes``."""
    demand, distance = inputs.demand, inputs.distance_km
    columns = group_figures(
        distance,
        (demand.population, demand.population_65plus),
        codes,
        n_groups,
        radius_km=inputs.radius_km,
        radii_km=inputs.radii_km,
        by_distance=by_distance,
    )
    return pd.DataFrame(columns)


def _city_table(
    inputs: PlanningInputs, rule: pd.DataFrame, codes: IntArray, by_distance: IntArray
) -> pd.DataFrame:
    city_keys, city_of_county = np.unique(
        rule["city_adcode"].to_numpy(dtype=str), return_inverse=True
    )
    per_city = rule.groupby("city_adcode", sort=True).agg(
        city=("city", "first"),
        counties=("adcode", "size"),
        counties_meeting_rule=("meets_rule", "sum"),
        outlets=("outlets", "sum"),
    )
    figures = _figures(inputs, city_of_county[codes], city_keys.size, by_distance)
    return pd.concat([per_city.reset_index(), figures], axis=1)


def _province(
    inputs: PlanningInputs, rule: pd.DataFrame, found: pd.DataFrame, figures: pd.Series
) -> dict[str, Any]:
    where, demand = inputs.located, inputs.demand
    metadata = inputs.outlets.attrs.get("metadata", {})
    return {
        "name": "山西省",
        "outlets": int(inputs.counted.size),
        "branches": int(inputs.suitable.size - inputs.counted.size),
        "outlets_outside_counties": int(where["located_adcode"].iloc[inputs.counted].isna().sum()),
        "counties": len(rule),
        "counties_meeting_rule": int(rule["meets_rule"].sum()),
        "counties_below_rule": int((~rule["meets_rule"]).sum()),
        "min_outlets_per_county": int(settings.min_outlets_per_county),
        "mismatches": len(found),
        **{str(k): float(v) for k, v in figures.items()},
        "task": inputs.task,
        "bank": inputs.bank,
        "radius_km": inputs.radius_km,
        "radii_km": list(inputs.radii_km),
        "detour_factor": inputs.detour_factor,
        "distance": inputs.distance_label,
        "demand": demand.source,
        "cell_area_km2": demand.cell_area_km2,
        "demand_outside_population": demand.outside_population,
        "sample_registry": bool(isinstance(metadata, dict) and metadata.get("sample", False)),
    }


def coverage_report(
    outlets: PlanningInputs | Outlets, counties: Counties | None = None, **keywords: Any
) -> CoverageReport:
    """Outlets, the county rule and population coverage per county, city and province.

    Parameters
    ----------
    outlets : PlanningInputs, GeoDataFrame, OutletIndex or path
        The inputs, or the registry to build them from with ``counties`` and ``keywords``
        (``locator.datasets.outlets()`` for the shipped sample).
    counties : GeoDataFrame or path
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    **keywords
        ``demand``, ``task``, ``bank``, ``radius_km`` (the "near home" distance of
        ``covered_*``), ``radii_km`` (the distances reported) and ``detour_factor``: see
        :meth:`PlanningInputs.build`.
    """
    inputs = resolve(outlets, counties, keywords)
    rule = rule_table(inputs)
    codes = _county_codes(inputs.demand, rule["adcode"].to_numpy(dtype=str))
    by_distance = np.argsort(inputs.distance_km, kind="stable")  # one sort for every grouping
    county_table = pd.concat([rule, _figures(inputs, codes, len(rule), by_distance)], axis=1)
    city_table = _city_table(inputs, rule, codes, by_distance)
    everyone = np.zeros(len(inputs.demand), dtype=np.intp)
    whole = _figures(inputs, everyone, 1, by_distance).iloc[0]
    found = mismatch_table(inputs.located.loc[inputs.one_stop], inputs.counties)
    return CoverageReport(
        province=_province(inputs, rule, found, whole),
        cities=city_table,
        counties=county_table,
        mismatches=found,
        radius_km=inputs.radius_km,
        radii_km=inputs.radii_km,
        detour_factor=inputs.detour_factor,
        task=inputs.task,
        bank=inputs.bank,
        distance_km=inputs.distance_km,
    )


# --- the gap layer ---------------------------------------------------------------------------


def _report_distances(inputs: PlanningInputs, report: CoverageReport | None) -> FloatArray:
    """The report's distances when it was made of the same setting, else the inputs' own."""
    if report is None or report.distance_km is None:
        return inputs.distance_km
    same = (
        report.task == inputs.task
        and report.bank == inputs.bank
        and report.detour_factor == inputs.detour_factor
        and report.province.get("distance") == inputs.distance_label
        and report.distance_km.size == len(inputs.demand)
    )
    if not same:
        msg = (
            "report was computed with another task, bank, detour_factor, network or demand than "
            "these gaps; give the report of the same inputs, or none"
        )
        raise ValidationError(msg)
    return report.distance_km


def gaps(
    outlets: PlanningInputs | Outlets,
    counties: Counties | None = None,
    *,
    report: CoverageReport | None = None,
    top: int | None = None,
    **keywords: Any,
) -> gpd.GeoDataFrame:
    """Demand cells farther than ``radius_km`` from a suitable outlet, largest first.

    Parameters
    ----------
    outlets : PlanningInputs, GeoDataFrame, OutletIndex or path
        The inputs, or the registry to build them from with ``counties`` and ``keywords``.
    counties : GeoDataFrame or path
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    report : CoverageReport, optional
        A report of the same registry, demand, task, bank and detour factor: its distances
        are reused instead of computed again (``radius_km`` may differ).
    top : int, optional
        Only the ``top`` largest cells (the first rows of the whole layer): their shapes
        alone are built, which is what a page showing the largest gaps needs.
    **keywords
        Those of :meth:`PlanningInputs.build`.

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
    >>> from locator import datasets
    >>> far = gaps(datasets.outlets(), datasets.counties(), radius_km=15)
    >>> bool(far["distance_km"].gt(15).all()), bool(far["population"].is_monotonic_decreasing)
    (True, True)
    """
    inputs = resolve(outlets, counties, keywords)
    demand, radius = inputs.demand, inputs.radius_km
    distance = _report_distances(inputs, report)
    far = np.flatnonzero((distance > radius) & (demand.population > 0))
    order = np.lexsort((-distance[far], -demand.population[far]))
    positions = far[order] if top is None else far[order][: check_count(top, "top")]
    layer = demand.to_geodataframe(polygons=True, positions=positions)
    layer.insert(0, "rank", np.arange(1, len(layer) + 1))
    layer.insert(3, "county_name", layer["county_adcode"].map(county_names(inputs.counties)))
    layer.insert(4, "city", layer["county_adcode"].map(city_names(inputs.counties)))
    found = distance[positions]
    layer.insert(7, "distance_km", np.where(np.isfinite(found), found, np.nan))
    layer.attrs.update(
        {
            "radius_km": radius,
            "detour_factor": inputs.detour_factor,
            "distance": inputs.distance_label,
            "task": inputs.task,
            "bank": inputs.bank,
        }
    )
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
