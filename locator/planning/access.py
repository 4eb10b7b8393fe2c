"""Accessibility and equity: counters per 10,000 residents near home, and how evenly they fall.

Coverage says whether a resident has an outlet within reach; it does not say whether that
outlet is shared by a hundred residents or by a hundred thousand. The enhanced two-step
floating catchment area (E2SFCA; Luo & Qi 2009) answers that:

1. every outlet ``j`` gets a ratio ``R_j = S_j / Σ_k P_k W(d_kj)``: its service counters
   ``S_j`` over the residents ``P_k`` of the cells within the catchment radius, each weighted
   by the distance decay ``W``;
2. every cell ``i`` gets ``A_i = Σ_j R_j W(d_ij)`` over the outlets in its catchment,
   reported as counters per 10,000 residents.

``W`` is a Gaussian ``exp(-d² / (2 σ²))`` with ``σ = radius / 2`` inside the radius, 0
beyond it (PySAL ``access.weights.gaussian`` with ``max_cost``; the tests check this module
against PySAL ``access`` on a small case). The whole population is conserved: the
population-weighted mean of ``A`` over the cells that reach an outlet equals the
counters those cells can use per resident.

Capacity is the number of service counters of an outlet: the registry's ``capacity``
column where given, else `settings.capacity_by_kind` (a government service hall usually
has several social-security windows, a bank branch one counter that issues the card).

>>> from locator import datasets
>>> from locator.planning.demand import estimate_demand
>>> from locator.planning.inputs import PlanningInputs
>>> counties = datasets.counties()
>>> inputs = PlanningInputs.build(
...     datasets.outlets(), counties, demand=estimate_demand(counties, cell_area_km2=25)
... )
>>> result = accessibility(inputs)
>>> 0 <= result.equity["gini_access"] <= 1
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator.planning.inputs import PlanningInputs

__all__ = [
    "Accessibility",
    "accessibility",
    "e2sfca",
    "gini",
    "lorenz",
    "outlet_capacity",
]

#: Access is reported per this many residents.
PER_RESIDENTS = 10_000
#: The share of residents called "worst served".
WORST_SHARE = 0.10


def outlet_capacity(
    outlets: gpd.GeoDataFrame, *, default_by_kind: Mapping[str, float] | None = None
) -> FloatArray:
    """Service counters of each outlet: its ``capacity``, else the default of its kind.

    Parameters
    ----------
    outlets : GeoDataFrame
        The registry (``kind``; ``capacity`` optional, blank where unknown).
    default_by_kind : mapping of str to float, optional
        Counters by ``kind`` where ``capacity`` is blank (default
        ``settings.capacity_by_kind``); a kind missing from it counts 1.

    Raises
    ------
    ValidationError
        For a capacity (given or default) that is not a positive number, naming the outlet.

    Examples
    --------
    >>> from locator import datasets
    >>> sorted(set(outlet_capacity(datasets.outlets()).tolist()))
    [1.0, 3.0]
    """
    defaults = dict(settings.capacity_by_kind if default_by_kind is None else default_by_kind)
    for kind, value in defaults.items():
        if not _is_positive(value):
            msg = f"default_by_kind[{kind!r}] = {value!r}: a capacity must be a number above 0"
            raise ValidationError(msg)
    kinds = outlets["kind"].astype(str)
    capacity = kinds.map(lambda kind: float(defaults.get(kind, 1.0))).to_numpy(np.float64)
    if "capacity" in outlets.columns:
        given = pd.to_numeric(outlets["capacity"], errors="coerce").to_numpy(np.float64)
        blank = outlets["capacity"].isna().to_numpy(dtype=bool)
        bad = ~blank & ~(np.isfinite(given) & (given > 0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            msg = (
                f"capacity of outlet {_outlet_name(outlets, row)} is "
                f"{outlets['capacity'].iloc[row]!r} ({int(bad.sum())} such row(s)): a capacity "
                "is a number of service counters above 0; leave it blank for the kind's default"
            )
            raise ValidationError(msg)
        capacity = np.where(blank, capacity, given)
    return capacity


def _is_positive(value: Any) -> bool:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return is_number and math.isfinite(value) and value > 0


def _outlet_name(outlets: gpd.GeoDataFrame, row: int) -> str:
    ident = outlets["id"].iloc[row] if "id" in outlets.columns else row
    name = outlets["name"].iloc[row] if "name" in outlets.columns else ""
    return f"{ident} {name}".strip() + f" (row {row + 1})"


def e2sfca(
    cell: IntArray,
    outlet: IntArray,
    distance_km: FloatArray,
    population: FloatArray,
    capacity: FloatArray,
    radius_km: float,
) -> FloatArray:
    """The E2SFCA ratio (counters per resident) of every cell, from its cell–outlet pairs.

    Parameters
    ----------
    cell, outlet : ndarray of int
        One entry per pair within ``radius_km``: the cell's and the outlet's position.
    distance_km : ndarray of float
        The pair's distance.
    population : ndarray of float
        Residents of each cell.
    capacity : ndarray of float
        Counters of each outlet.
    radius_km : float
        The catchment radius; the Gaussian decay has ``σ = radius_km / 2``.

    Examples
    --------
    One outlet of 2 counters, two cells of 100 residents at distance 0: each resident has
    2 / 200 counters.

    >>> e2sfca(np.array([0, 1]), np.array([0, 0]), np.zeros(2), np.full(2, 100.0),
    ...        np.array([2.0]), 5.0).tolist()
    [0.01, 0.01]
    """
    sigma = radius_km / 2.0
    weight = np.exp(-(distance_km**2) / (2 * sigma**2)) * (distance_km <= radius_km)
    demand_at = np.bincount(outlet, weights=population[cell] * weight, minlength=capacity.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(demand_at > 0, capacity / demand_at, 0.0)
    access = np.bincount(cell, weights=ratio[outlet] * weight, minlength=population.size)
    return access.astype(np.float64)


def lorenz(values: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The Lorenz curve of ``values`` over ``weights`` (e.g. residents), from (0, 0) to (1, 1).

    Returns the cumulative share of the weight (x) and of ``values × weights`` (y), with
    the values in ascending order.

    >>> x, y = lorenz(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4))
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0, 1.0])
    """
    order = np.argsort(values, kind="stable")
    w = weights[order]
    x = np.concatenate([[0.0], np.cumsum(w)])
    y = np.concatenate([[0.0], np.cumsum(values[order] * w)])
    return x / x[-1], (y / y[-1] if y[-1] > 0 else x / x[-1])


def gini(values: FloatArray, weights: FloatArray) -> float:
    """The Gini coefficient of ``values`` over ``weights``: 0 equal, towards 1 concentrated.

    Twice the area between the Lorenz curve and the diagonal (trapezoids); for equal
    weights it equals ``Σ|x_i - x_j| / (2 n² mean)``.

    >>> gini(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4))
    0.75
    """
    x, y = lorenz(values, weights)
    return float(1.0 - np.sum(np.diff(x) * (y[1:] + y[:-1])))


@dataclass(frozen=True)
class Accessibility:
    """The E2SFCA access of one planning setting.

    Attributes
    ----------
    per_cell : ndarray of float
        Counters per 10,000 residents at each demand cell.
    counties, cities : pandas.DataFrame
        Population-weighted access per county (``adcode``, ``name``, ``city``) and per
        city, with ``population`` and ``access_per_10k`` (cities also ``gini_access`` and
        ``gini_distance``, the Gini of the distance to the nearest outlet, over their
        residents); ``province`` the same for all.
    equity : dict
        ``gini_access``, ``gini_distance`` (over residents), ``worst10_access_per_10k``
        (mean access of the worst-served 10 % of residents), ``worst10_threshold_per_10k``,
        ``share_without_access`` (residents beyond every catchment),
        ``access_65plus_per_10k`` against ``province_access_per_10k``, and
        ``access_rural_per_10k`` against ``access_urban_per_10k`` (None when the demand
        does not tell rural residents apart: a raster or points).
    lorenz_x, lorenz_y : ndarray of float
        The Lorenz curve of access over residents.
    curves : dict
        Lorenz curves at every 5 % of residents, by area (``"province"`` and each city):
        ``{"access_share": [...], "distance_share": [...]}``; the distance curve leaves out
        residents with no suitable outlet at all and is None when none is left.
    """

    per_cell: FloatArray
    counties: pd.DataFrame
    cities: pd.DataFrame
    province: float
    equity: dict[str, float | None]
    lorenz_x: FloatArray
    lorenz_y: FloatArray
    curves: dict[str, dict[str, list[float] | None]]

    def to_dict(self) -> dict[str, Any]:
        """The figures as plain data (``province``, ``equity``, ``counties``, ``cities``).

        The Lorenz curves are given at 21 points (every 5 % of residents): of access and of
        distance for the province (``lorenz``) and for each city (``lorenz_by_city``).
        """
        cities = {k: v for k, v in self.curves.items() if k != "province"}
        return {
            "unit": f"service counters per {PER_RESIDENTS:,} residents (E2SFCA)",
            "province": dict(self.equity),
            "lorenz": {"residents_share": LORENZ_AT.tolist(), **self.curves["province"]},
            "lorenz_by_city": cities,
            "counties": self.counties.to_dict("records"),
            "cities": self.cities.to_dict("records"),
        }


def _pairs(inputs: PlanningInputs) -> tuple[IntArray, IntArray, FloatArray]:
    demand = inputs.demand
    factor = inputs.detour_factor
    found, chord_km = inputs.index.query_radius(
        lon=demand.lon,
        lat=demand.lat,
        radius_km=inputs.radius_km / factor,
        task=inputs.task,
        bank=inputs.bank,
    )
    counts = np.array([f.size for f in found], dtype=np.intp)
    cell = np.repeat(np.arange(len(demand), dtype=np.intp), counts)
    outlet = np.concatenate([*found, np.empty(0, dtype=np.intp)]).astype(np.intp)
    distance = np.concatenate([*chord_km, np.empty(0)]) * factor
    return cell, outlet, distance


def _weighted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(by, sort=True)[["population", "weighted"]].sum().reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        grouped["access_per_10k"] = np.where(
            grouped["population"] > 0, grouped["weighted"] / grouped["population"], 0.0
        )
    return grouped.drop(columns="weighted")


def accessibility(
    inputs: PlanningInputs, *, capacity_by_kind: Mapping[str, float] | None = None
) -> Accessibility:
    """Counters per 10,000 residents (E2SFCA) per cell, county, city and the province.

    Parameters
    ----------
    inputs : PlanningInputs
        The setting: outlets that can do ``inputs.task`` count, within ``inputs.radius_km``
        (straight line × ``inputs.detour_factor``).
    capacity_by_kind : mapping of str to float, optional
        Overrides `settings.capacity_by_kind` (see `outlet_capacity`).

    Raises
    ------
    ValidationError
        For a capacity that is not above 0 (naming the outlet), or a road network in
        ``inputs`` (access is measured along the straight line times the detour factor).
    """
    if inputs.network is not None:
        msg = (
            "network: accessibility measures the straight line x detour_factor; drop the "
            "road network (give detour_factor=1.3 to approximate roads)"
        )
        raise ValidationError(msg)
    demand = inputs.demand
    population = np.asarray(demand.population, dtype=np.float64)
    capacity = outlet_capacity(inputs.outlets, default_by_kind=capacity_by_kind)
    cell, outlet, distance = _pairs(inputs)
    per_cell = e2sfca(cell, outlet, distance, population, capacity, inputs.radius_km)
    per_cell = per_cell * PER_RESIDENTS
    table = pd.DataFrame(
        {"adcode": demand.county, "population": population, "weighted": population * per_cell}
    )
    counties = inputs.counties[["adcode", "name", "city"]].astype(str)
    by_county = counties.merge(_weighted(table, ["adcode"]), on="adcode", how="left")
    by_county[["population", "access_per_10k"]] = by_county[
        ["population", "access_per_10k"]
    ].fillna(0.0)
    table = table.merge(counties[["adcode", "city"]], on="adcode", how="left")
    total = float(population.sum())
    province = float(table["weighted"].sum() / total) if total > 0 else 0.0
    cities = _weighted(table, ["city"])
    city_of = table["city"].to_numpy()
    distance = np.asarray(inputs.distance_km, dtype=np.float64)
    cities["gini_access"] = [
        gini(per_cell[city_of == city], population[city_of == city]) for city in cities["city"]
    ]
    cities["gini_distance"] = [
        _gini_distance(distance, population, city_of == city) for city in cities["city"]
    ]
    return Accessibility(
        per_cell=per_cell,
        counties=by_county,
        cities=cities,
        province=province,
        equity=_equity(inputs, per_cell, population, province),
        lorenz_x=(curve := lorenz(per_cell, population))[0],
        lorenz_y=curve[1],
        curves={
            "province": _curves(per_cell, distance, population, np.ones(population.size, bool)),
            **{c: _curves(per_cell, distance, population, city_of == c) for c in cities["city"]},
        },
    )


def _equity(
    inputs: PlanningInputs, per_cell: FloatArray, population: FloatArray, province: float
) -> dict[str, float | None]:
    order = np.argsort(per_cell, kind="stable")
    total = float(population.sum())
    share = np.cumsum(population[order]) / max(total, 1e-300)
    worst = order[: int(np.searchsorted(share, WORST_SHARE)) + 1]
    older = np.asarray(inputs.demand.population_65plus, dtype=np.float64)
    distance = np.asarray(inputs.distance_km, dtype=np.float64)
    return {
        "province_access_per_10k": province,
        "gini_access": gini(per_cell, population),
        "gini_distance": _gini_distance(distance, population, np.ones(distance.size, dtype=bool)),
        "share_without_access": float(population[per_cell <= 0].sum() / max(total, 1e-300)),
        "worst10_threshold_per_10k": float(per_cell[worst[-1]]),
        "worst10_access_per_10k": float(
            np.average(per_cell[worst], weights=population[worst])
            if population[worst].sum() > 0
            else 0.0
        ),
        "access_65plus_per_10k": _mean(per_cell, older),
        **_rural_urban(inputs, per_cell, population),
    }


def _gini_distance(distance_km: FloatArray, population: FloatArray, where: BoolArray) -> float:
    """The Gini of the distance to the nearest outlet over the residents of the cells ``where``.

    Cells with no suitable outlet at all (infinite distance) are left out; NaN when no
    resident is left (no cell, or none that reaches an outlet).
    """
    keep = where & np.isfinite(distance_km)
    if not population[keep].sum() > 0:
        return math.nan
    return gini(distance_km[keep], population[keep])


#: Where the Lorenz curves are given: every 5 % of residents.
LORENZ_AT = np.linspace(0.0, 1.0, 21)


def _curves(
    per_cell: FloatArray, distance_km: FloatArray, population: FloatArray, where: BoolArray
) -> dict[str, list[float] | None]:
    """The Lorenz curves of access and of distance over the residents of the cells ``where``."""

    def points(values: FloatArray, weights: FloatArray) -> list[float] | None:
        if not weights.sum() > 0:
            return None
        x, y = lorenz(values, weights)
        return [float(v) for v in np.interp(LORENZ_AT, x, y)]

    reach = where & np.isfinite(distance_km)
    return {
        "access_share": points(per_cell[where], population[where]),
        "distance_share": points(distance_km[reach], population[reach]),
    }


def _mean(values: FloatArray, weights: FloatArray) -> float:
    return float(np.average(values, weights=weights)) if weights.sum() > 0 else 0.0


def _rural_urban(
    inputs: PlanningInputs, per_cell: FloatArray, population: FloatArray
) -> dict[str, float | None]:
    """Mean access of rural and of urban residents (None when the demand does not tell)."""
    rural = inputs.demand.population_rural
    if rural is None:
        return {"access_rural_per_10k": None, "access_urban_per_10k": None}
    rural = np.asarray(rural, dtype=np.float64)
    return {
        "access_rural_per_10k": _mean(per_cell, rural),
        "access_urban_per_10k": _mean(per_cell, np.clip(population - rural, 0.0, None)),
    }
