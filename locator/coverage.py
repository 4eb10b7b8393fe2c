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
road distance. Residents come from a :class:`locator.demand.Demand` (default: the
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
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._format import to_json, write_csv
from locator._validate import check_count, check_detour_factor, check_positive, check_radii
from locator.demand import Demand, estimate_demand
from locator.geography import county_of
from locator.index import OutletIndex
from locator.registry import load_counties, load_outlets
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
Outlets: TypeAlias = gpd.GeoDataFrame | OutletIndex | Path | str | None

_STATS = ("mean_km", "median_km", "p95_km", "max_km")


def _index(outlets: Outlets) -> OutletIndex:
    if isinstance(outlets, OutletIndex):
        return outlets
    if isinstance(outlets, gpd.GeoDataFrame):
        return OutletIndex(outlets)
    return OutletIndex(load_outlets(outlets))


def _counties(counties: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if counties is None:
        return load_counties()
    # The same frame when already in order, so the demand estimate cached for it is found.
    return (
        counties if counties["adcode"].is_monotonic_increasing else counties.sort_values("adcode")
    )


def _label(radius_km: float) -> str:
    return f"{radius_km:g}km"


def _sum_by(codes: npt.NDArray[np.intp], weights: FloatArray, n_groups: int) -> FloatArray:
    return np.bincount(codes, weights=weights, minlength=n_groups).astype(np.float64)


# --- where the outlets are ------------------------------------------------------------------


def locate_outlets(outlets: Outlets, counties: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The county each outlet lies in, beside the one its registry declares.

    Returns
    -------
    pandas.DataFrame
        With the outlets' index: ``id``, ``name``, ``declared_adcode``,
        ``located_adcode`` (None outside every county), ``lon``, ``lat``.
    """
    frame = _index(outlets).outlets
    counties = _counties(counties)
    lon = frame.geometry.x.to_numpy(dtype=np.float64)
    lat = frame.geometry.y.to_numpy(dtype=np.float64)
    located = np.asarray(
        [None if pd.isna(v) else str(v) for v in county_of(lon, lat, counties=counties)],
        dtype=object,
    )
    declared = [None if pd.isna(v) else str(v) for v in frame["county_adcode"]]
    return pd.DataFrame(
        {
            "id": frame["id"].astype(str).to_numpy(dtype=object),
            "name": frame["name"].to_numpy(dtype=object),
            # object, not str, columns: a missing county stays None (pandas 3 would make it NaN)
            "declared_adcode": pd.Series(declared, index=frame.index, dtype=object),
            "located_adcode": pd.Series(located, index=frame.index, dtype=object),
            "lon": lon,
            "lat": lat,
        },
        index=frame.index,
    )


def mismatches(outlets: Outlets, counties: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Outlets whose declared county differs from where they are, or that lie in no county.

    A mismatch is a data error in the registry: either the county field or the
    position is wrong. Every one is listed, with ``problem`` saying which kind.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``declared_adcode``, ``declared_county``, ``located_adcode``,
        ``located_county``, ``lon``, ``lat``, ``problem``.

    Examples
    --------
    >>> len(mismatches(None))  # the shipped sample is consistent
    0
    """
    counties = _counties(counties)
    return _mismatch_table(locate_outlets(outlets, counties), counties)


def _mismatch_table(located: pd.DataFrame, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    names = dict(zip(counties["adcode"].astype(str), counties["name"], strict=True))
    differs = located["declared_adcode"].to_numpy(dtype=object) != located[
        "located_adcode"
    ].to_numpy(dtype=object)
    found = located.loc[differs].copy()
    found.insert(3, "declared_county", found["declared_adcode"].map(names))
    found.insert(5, "located_county", found["located_adcode"].map(names))
    problems = []
    for declared, where in zip(found["declared_adcode"], found["located_adcode"], strict=True):
        if pd.isna(where):
            problems.append("lies outside every county: check its coordinates (WGS-84?)")
        elif pd.isna(declared):
            problems.append(f"declares no county; it lies in {where} {names[where]}")
        elif declared not in names:
            problems.append(
                f"declares {declared}, which is no county code; it lies in {where} {names[where]}"
            )
        else:
            problems.append(
                f"declares {declared} {names[declared]} but lies in {where} {names[where]}"
            )
    found["problem"] = problems
    return found.reset_index(drop=True)


def county_rule(
    outlets: Outlets,
    counties: gpd.GeoDataFrame | None = None,
    *,
    task: str | None = None,
    bank: str | None = None,
    minimum: int | None = None,
) -> pd.DataFrame:
    """Outlets per county (where they are) and whether each county meets the rule.

    Parameters
    ----------
    outlets : GeoDataFrame, OutletIndex, path or None
        The registry (None: the shipped sample).
    counties : geopandas.GeoDataFrame, optional
        The county layer (default: the shipped 117 counties).
    task, bank : str, optional
        Count only outlets that can do ``task`` (for a card of ``bank``).
    minimum : int, optional
        Outlets a county needs (default ``settings.min_outlets_per_county``, 2).

    Returns
    -------
    pandas.DataFrame
        One row per county, by adcode: ``adcode``, ``name``, ``city``, ``city_adcode``,
        ``outlets``, ``meets_rule``, ``shortfall`` (outlets missing to meet the rule).

    Examples
    --------
    >>> rule = county_rule(None)
    >>> len(rule), int(rule["shortfall"].sum())
    (117, 0)
    """
    index = _index(outlets)
    counties = _counties(counties)
    return _rule_table(index, counties, locate_outlets(index, counties), task, bank, minimum)


def _rule_table(
    index: OutletIndex,
    counties: gpd.GeoDataFrame,
    located_outlets: pd.DataFrame,
    task: str | None,
    bank: str | None,
    minimum: int | None,
) -> pd.DataFrame:
    need = check_count(settings.min_outlets_per_county if minimum is None else minimum, "minimum")
    positions = index.positions(task=task, bank=bank)
    located = located_outlets["located_adcode"].to_numpy(dtype=object)[positions]
    counts = pd.Series(located).value_counts()
    rule = pd.DataFrame(
        {
            "adcode": counties["adcode"].astype(str).to_numpy(),
            "name": counties["name"].to_numpy(),
            "city": counties["city"].to_numpy(),
            "city_adcode": counties["city_adcode"].astype(str).to_numpy(),
        }
    )
    rule["outlets"] = rule["adcode"].map(counts).fillna(0).astype(int)
    rule["meets_rule"] = rule["outlets"] >= need
    rule["shortfall"] = (need - rule["outlets"]).clip(lower=0).astype(int)
    return rule


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
    >>> from locator.demand import demand_from_points
    >>> here = demand_from_points(pd.DataFrame({"lon": [112.55], "lat": [37.87], "population": [1]}))
    >>> bool(nearest_distance_km(None, here)[0] < 5)
    True
    """
    index = _index(outlets_or_index)
    factor = check_detour_factor(settings.detour_factor if detour_factor is None else detour_factor)
    step = int(settings.chunk_size)
    if step < 1:
        msg = f"settings.chunk_size={step!r} must be a whole number of at least 1"
        raise ValidationError(msg)
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
    radius = check_positive(
        settings.default_radius_km if radius_km is None else radius_km, "radius_km"
    )
    radii = check_radii(settings.coverage_radii_km if radii_km is None else radii_km)
    factor = check_detour_factor(settings.detour_factor if detour_factor is None else detour_factor)
    return radius, radii, factor


# --- population-weighted figures ------------------------------------------------------------


def _group_stats(
    sorted_distance: FloatArray,
    sorted_weight: FloatArray,
    starts: npt.NDArray[np.intp],
    ends: npt.NDArray[np.intp],
    radii: tuple[float, ...],
    suffix: str,
) -> dict[str, FloatArray]:
    """Population-weighted distance figures of groups of cells sorted by (group, distance).

    Group ``g`` is ``sorted_*[starts[g]:ends[g]]``, nearest first. The weighted
    q-quantile of a group is the smallest distance ``d`` of one of its cells such that
    the population within ``d`` is at least ``q`` times the total.
    """
    n_groups = starts.size
    group_of = np.repeat(np.arange(n_groups), ends - starts)
    # cumulative[i] is the population of the first i sorted cells.
    cumulative = np.concatenate(([0.0], np.cumsum(sorted_weight)))
    total = np.bincount(group_of, weights=sorted_weight, minlength=n_groups).astype(np.float64)
    positive = sorted_weight > 0
    weighted = np.where(positive, sorted_weight * sorted_distance, 0.0)  # 0 * inf would be nan
    has_people = total > 0
    safe_total = np.where(has_people, total, 1.0)
    out: dict[str, FloatArray] = {}
    weighted_sum = np.bincount(group_of, weights=weighted, minlength=n_groups)
    out[f"mean_km{suffix}"] = np.where(has_people, weighted_sum / safe_total, np.nan)
    last = max(sorted_distance.size - 1, 0)
    for name, q in (("median_km", 0.5), ("p95_km", 0.95)):
        at = np.searchsorted(cumulative[1:], cumulative[starts] + q * total, side="left")
        at = np.minimum(np.clip(at, starts, np.maximum(ends - 1, starts)), last)
        value = sorted_distance[at] if sorted_distance.size else np.zeros(n_groups)
        out[f"{name}{suffix}"] = np.where(has_people, value, np.nan)
    # The farthest cell with people: the last positive-weight cell before each group's end.
    peopled = np.flatnonzero(positive)
    at = np.searchsorted(peopled, ends, side="left") - 1
    farthest = sorted_distance[peopled[np.maximum(at, 0)]] if peopled.size else np.zeros(n_groups)
    out[f"max_km{suffix}"] = np.where(has_people, farthest, np.nan)
    within = np.empty((n_groups, len(radii)))
    limits = np.asarray(radii, dtype=np.float64)
    for g in range(n_groups):
        s, e = starts[g], ends[g]
        reach = s + np.searchsorted(sorted_distance[s:e], limits, side="right")
        within[g] = cumulative[reach] - cumulative[s]
    for j, radius in enumerate(radii):
        out[f"population{suffix}_within_{_label(radius)}"] = within[:, j]
        out[f"share{suffix}_within_{_label(radius)}"] = np.where(
            has_people, within[:, j] / safe_total, np.nan
        )
    return out


def _figures(
    distance: FloatArray,
    by_distance: npt.NDArray[np.intp],
    demand: Demand,
    codes: npt.NDArray[np.intp],
    n_groups: int,
    radius: float,
    radii: tuple[float, ...],
) -> pd.DataFrame:
    """The figures of each group; ``by_distance`` is ``argsort(distance)``."""
    both = tuple(sorted({radius, *radii}))
    # A stable sort of the groups keeps each group's cells in distance order.
    order = by_distance[np.argsort(codes[by_distance], kind="stable")]
    sorted_codes = codes[order]
    groups = np.arange(n_groups)
    starts = np.searchsorted(sorted_codes, groups, side="left")
    ends = np.searchsorted(sorted_codes, groups, side="right")
    sorted_distance = distance[order]
    everyone = _group_stats(sorted_distance, demand.population[order], starts, ends, both, "")
    older = _group_stats(
        sorted_distance, demand.population_65plus[order], starts, ends, both, "_65plus"
    )
    columns: dict[str, FloatArray] = {
        "population": _sum_by(codes, demand.population, n_groups),
        "population_65plus": _sum_by(codes, demand.population_65plus, n_groups),
    }
    label = _label(radius)
    columns["covered_population"] = everyone[f"population_within_{label}"]
    columns["covered_share"] = everyone[f"share_within_{label}"]
    columns["covered_population_65plus"] = older[f"population_65plus_within_{label}"]
    columns["covered_share_65plus"] = older[f"share_65plus_within_{label}"]
    for stat in _STATS:
        columns[stat] = everyone[stat]
    for stat in _STATS:
        columns[f"{stat}_65plus"] = older[f"{stat}_65plus"]
    for r in radii:
        for key in ("population_within", "share_within"):
            columns[f"{key}_{_label(r)}"] = everyone[f"{key}_{_label(r)}"]
        for key in ("population_65plus_within", "share_65plus_within"):
            columns[f"{key}_{_label(r)}"] = older[f"{key}_{_label(r)}"]
    return pd.DataFrame(columns)


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
        labels = [f"{key}_{_label(r)}" for r in self.radii_km]
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


def _demand(demand: Demand | None, counties: gpd.GeoDataFrame) -> Demand:
    return estimate_demand(counties) if demand is None else demand


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
        Where residents live (default: :func:`locator.demand.estimate_demand`).
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
    index = _index(outlets)
    counties = _counties(counties)
    demand = _demand(demand, counties)
    where = locate_outlets(index, counties)
    rule = _rule_table(index, counties, where, task, bank, None)
    distance = nearest_distance_km(index, demand, task=task, bank=bank, detour_factor=factor)
    adcodes = rule["adcode"].to_numpy(dtype=str)
    codes = _county_codes(demand, adcodes)
    by_distance = np.argsort(distance, kind="stable")

    county_table = pd.concat(
        [rule, _figures(distance, by_distance, demand, codes, len(rule), radius, radii)], axis=1
    )
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
            _figures(
                distance, by_distance, demand, city_of_county[codes], city_keys.size, radius, radii
            ),
        ],
        axis=1,
    )
    province_row = _figures(
        distance, by_distance, demand, np.zeros(len(demand), dtype=np.intp), 1, radius, radii
    ).iloc[0]
    found = _mismatch_table(where, counties)
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
    index = _index(outlets)
    counties = _counties(counties)
    demand = _demand(demand, counties)
    distance = nearest_distance_km(index, demand, task=task, bank=bank, detour_factor=factor)
    far = np.flatnonzero((distance > radius) & (demand.population > 0))
    order = np.lexsort((-distance[far], -demand.population[far]))
    positions = far[order]
    layer = demand.to_geodataframe(polygons=True, positions=positions)
    names = dict(zip(counties["adcode"].astype(str), counties["name"], strict=True))
    cities = dict(zip(counties["adcode"].astype(str), counties["city"], strict=True))
    layer.insert(0, "rank", np.arange(1, len(layer) + 1))
    layer.insert(3, "county_name", layer["county_adcode"].map(names))
    layer.insert(4, "city", layer["county_adcode"].map(cities))
    found = distance[positions]
    layer.insert(7, "distance_km", np.where(np.isfinite(found), found, np.nan))
    layer.attrs.update({"radius_km": radius, "detour_factor": factor, "task": task, "bank": bank})
    return layer


def write_gaps(layer: gpd.GeoDataFrame, path: Path | str) -> Path:
    """Write a gap layer as GeoJSON (``.geojson``/``.json``) or CSV for Excel (``.csv``)."""
    path = Path(path)
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
