"""The inputs of every planning question, resolved and checked once: `PlanningInputs`.

Coverage, gaps, the county rule, new sites and closures all ask about the same things: a
registry, a county layer, where residents live, a task (and the card's bank), a "near home"
distance, a detour factor and how much an older resident counts. `PlanningInputs.build`
reads and checks them once, each value by one rule, and every planning function takes the
result, or builds it from the same keywords:

>>> from locator import datasets
>>> from locator.planning.demand import estimate_demand
>>> counties = datasets.counties()
>>> inputs = PlanningInputs.build(
...     datasets.outlets(), counties, demand=estimate_demand(counties, cell_area_km2=25), radius_km=3
... )
>>> inputs.radius_km, inputs.detour_factor, len(inputs.counties)
(3.0, 1.0, 117)

Why one object rather than a ``plan(...)`` function returning answers: the questions are
asked several times of one setting (the app shows the report, the gaps and the sites of one
distance), and what they share is costly (the outlets located in their counties, the
distance from every cell to the nearest suitable outlet). Those are computed on first use
and kept on the object (`located`, `distance_km`), so their lifetime is the inputs' own;
nothing is cached by ``id()`` of a frame.

A detour factor below 1 is refused everywhere: a road is never shorter than the straight
line, so a factor of 0.5 would only shrink distances below any real journey.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import (
    check_chunk_size,
    check_detour_factor,
    check_path,
    check_radii,
    check_radius,
)
from locator.counties import check_counties, county_of, load_counties
from locator.index import OutletIndex
from locator.planning.demand import Demand, check_demand, estimate_demand
from locator.planning.network import RoadNetwork
from locator.registry import load_outlets
from locator.tasks import ONE_STOP_KINDS, get_task

__all__ = [
    "Counties",
    "Outlets",
    "PlanningInputs",
    "county_layer",
    "one_stop_mask",
    "outlet_index",
    "resolve",
]

#: A registry as the planning functions take it: a frame, an index, or a GeoJSON path.
Outlets: TypeAlias = gpd.GeoDataFrame | OutletIndex | Path | str
#: A county layer as the planning functions take it: a frame or a GeoJSON path.
Counties: TypeAlias = gpd.GeoDataFrame | Path | str

#: The keywords `PlanningInputs.build` takes besides outlets and counties.
KEYWORDS = (
    "demand",
    "task",
    "bank",
    "radius_km",
    "radii_km",
    "detour_factor",
    "weight_65plus",
    "network",
)


def outlet_index(outlets: Outlets) -> OutletIndex:
    """An :class:`~locator.index.OutletIndex` of the registry (itself when it is one)."""
    if isinstance(outlets, OutletIndex):
        return outlets
    if isinstance(outlets, gpd.GeoDataFrame):
        return OutletIndex(outlets)
    if not isinstance(outlets, str | os.PathLike):
        msg = (
            f"outlets is a {type(outlets).__name__}, not a GeoDataFrame, an OutletIndex or a "
            "path; give locator.datasets.outlets() for the shipped sample"
        )
        raise ValidationError(msg)
    return OutletIndex(load_outlets(check_path(outlets, "outlets")))


def county_layer(counties: Counties) -> gpd.GeoDataFrame:
    """The county layer, read from a path if need be, checked, in adcode order."""
    if isinstance(counties, str | os.PathLike):
        counties = load_counties(check_path(counties, "counties"))
    elif not isinstance(counties, gpd.GeoDataFrame):
        msg = (
            f"counties is a {type(counties).__name__}, not a GeoDataFrame or a path; give "
            "locator.datasets.counties() for the shipped 117"
        )
        raise ValidationError(msg)
    check_counties(counties, "counties")
    if counties["adcode"].is_monotonic_increasing:
        return counties
    return counties.sort_values("adcode")


def _check_task(task: str | None) -> str | None:
    if task is not None and not get_task(task).kinds:
        msg = f"task {task!r} is done online only; no outlet does it, so it has no coverage"
        raise ValidationError(msg)
    return task


def one_stop_mask(outlets: gpd.GeoDataFrame) -> BoolArray:
    """Which rows of a registry are one-stop outlets (``kind`` in `~locator.tasks.ONE_STOP_KINDS`).

    Raises
    ------
    ValidationError
        When none is: a registry of ordinary branches only has nothing the county rule counts.
    """
    mask = outlets["kind"].isin(ONE_STOP_KINDS).to_numpy(dtype=bool)
    if not mask.any():
        msg = (
            f"outlets holds no one-stop outlet (kind {' or '.join(ONE_STOP_KINDS)}), only "
            f"{len(outlets):,} other rows (ordinary branches?): the county rule and coverage "
            "count one-stop outlets; give the one-stop registry with the branches "
            "(locator.datasets.registry() for the shipped sample)"
        )
        raise ValidationError(msg)
    return mask


def _check_weight(weight_65plus: Any) -> float:
    is_number = isinstance(weight_65plus, int | float) and not isinstance(weight_65plus, bool)
    weight = float(weight_65plus) if is_number else np.nan
    if not (np.isfinite(weight) and weight >= 0):
        msg = f"weight_65plus={weight_65plus!r} must be a number of at least 0 (1: no extra weight)"
        raise ValidationError(msg)
    return weight


@dataclass(frozen=True, eq=False)
class PlanningInputs:
    """Everything a planning question needs, read and checked once (see `build`).

    Attributes
    ----------
    index : OutletIndex
        The registry.
    counties : geopandas.GeoDataFrame
        The county layer, in adcode order.
    given_demand : Demand or None
        The demand given to `build`, if any.
    demand : Demand
        Where residents live: ``given_demand``, else estimated from the counties on first use.
    task, bank : str or None
        Only outlets that can do ``task`` for a card of ``bank`` count.
    radius_km : float
        The "near home" distance.
    radii_km : tuple of float
        The distances coverage is reported at, ascending.
    detour_factor : float
        Road distance = straight line × factor, at least 1.
    weight_65plus : float
        A resident aged 65+ counts this many times in siting.
    suitable : ndarray of int
        Row positions of the outlets that can serve ``task`` for ``bank``: without task
        and bank, the one-stop outlets; for an own-bank task (or a bank alone), every
        branch of the bank, one-stop or ordinary (see `~locator.index.OutletIndex`).
    one_stop : ndarray of bool
        Which rows of the registry are one-stop outlets (the published figures count
        only these; ordinary branches, ``kind`` ``branch``, serve the own-bank tasks).
    network : RoadNetwork or None
        When given, distances run along its roads (see `nearest_distances`).
    """

    index: OutletIndex
    counties: gpd.GeoDataFrame
    given_demand: Demand | None
    task: str | None
    bank: str | None
    radius_km: float
    radii_km: tuple[float, ...]
    detour_factor: float
    weight_65plus: float
    suitable: IntArray
    one_stop: BoolArray
    network: RoadNetwork | None = None

    @classmethod
    def build(  # noqa: PLR0913 (the one signature that names every planning input)
        cls,
        outlets: Outlets,
        counties: Counties,
        *,
        demand: Demand | None = None,
        task: str | None = None,
        bank: str | None = None,
        radius_km: float | None = None,
        radii_km: Any = None,
        detour_factor: float | None = None,
        weight_65plus: float | None = None,
        network: RoadNetwork | None = None,
    ) -> PlanningInputs:
        """Read and check the inputs of the planning functions, each by one rule.

        Parameters
        ----------
        outlets : GeoDataFrame, OutletIndex or path
            The registry (``locator.datasets.outlets()`` for the shipped sample).
        counties : GeoDataFrame or path
            The county layer (``locator.datasets.counties()`` for the shipped 117).
        demand : Demand, optional
            Where residents live (default: :func:`~locator.planning.demand.estimate_demand`
            of ``counties`` at ``settings.cell_area_km2``).
        task, bank : str, optional
            Count only outlets that can do ``task`` for a card of ``bank`` (``bank`` is
            required for the own-bank tasks; an online-only task is refused).
        radius_km : float, optional
            The "near home" distance (default ``settings.default_radius_km``, 5 km).
        radii_km : sequence of float, optional
            Distances to report coverage at (default ``settings.coverage_radii_km``).
        detour_factor : float, optional
            Road distance = straight line × factor, at least 1 (default
            ``settings.detour_factor``, 1.0; about 1.3 approximates roads).
        weight_65plus : float, optional
            A resident aged 65+ counts this many times in siting (default 1).
        network : RoadNetwork, optional
            Measure along roads instead (:meth:`RoadNetwork.from_osm` of an extract that
            overlaps the counties): the distance from every cell to its nearest outlet comes
            from one pass over the network, and ``detour_factor`` must stay 1.

        Raises
        ------
        ValidationError
            For a value out of range, named with the parameter; `DataFileError` for a file
            that cannot be read.
        """
        radius = check_radius(settings.default_radius_km if radius_km is None else radius_km)
        radii = check_radii(settings.coverage_radii_km if radii_km is None else radii_km)
        factor = check_detour_factor(
            settings.detour_factor if detour_factor is None else detour_factor
        )
        weight = _check_weight(1.0 if weight_65plus is None else weight_65plus)
        if network is not None:
            factor = _check_network(network, detour_factor)
        _check_task(task)
        index = outlet_index(outlets)
        one_stop = one_stop_mask(index.outlets)
        suitable = index.positions(task=task, bank=bank)  # a missing bank is refused here
        if task is None and bank is None:  # what the published figures count
            suitable = suitable[one_stop[suitable]]
        layer = county_layer(counties)
        given = None if demand is None else check_demand(demand)
        if network is not None:
            network.check_overlap(layer.total_bounds, "the counties")
        return cls(
            index, layer, given, task, bank, radius, radii, factor, weight, suitable, one_stop,
            network,
        )  # fmt: skip

    @functools.cached_property
    def demand(self) -> Demand:
        """Where residents live: the demand given, else estimated from the counties once."""
        if self.given_demand is not None:
            return self.given_demand
        return estimate_demand(self.counties)

    @property
    def distance_label(self) -> str:
        """How distances are measured, as the outputs say it."""
        if self.network is not None:
            return self.network.label
        return "great-circle distance × detour_factor"

    @property
    def outlets(self) -> gpd.GeoDataFrame:
        """The registry's frame."""
        return self.index.outlets

    @property
    def counted(self) -> IntArray:
        """The suitable outlets the county rule counts and closures may close: one-stop ones."""
        return self.suitable[self.one_stop[self.suitable]]

    @functools.cached_property
    def located(self) -> pd.DataFrame:
        """The county each outlet lies in, beside the one it declares (computed once).

        Columns ``id``, ``name``, ``declared_adcode``, ``located_adcode`` (None outside
        every county), ``lon``, ``lat``, with the outlets' index.
        """
        frame = self.index.outlets
        lon = frame.geometry.x.to_numpy(dtype=np.float64)
        lat = frame.geometry.y.to_numpy(dtype=np.float64)
        located = [
            None if pd.isna(v) else str(v) for v in county_of(lon, lat, counties=self.counties)
        ]
        declared = [None if pd.isna(v) else str(v) for v in frame["county_adcode"]]
        return pd.DataFrame(
            {
                "id": frame["id"].astype(str).to_numpy(dtype=object),
                "name": frame["name"].to_numpy(dtype=object),
                # object, not str, columns: a missing county stays None (pandas 3 would make NaN)
                "declared_adcode": pd.Series(declared, index=frame.index, dtype=object),
                "located_adcode": pd.Series(located, index=frame.index, dtype=object),
                "lon": lon,
                "lat": lat,
            },
            index=frame.index,
        )

    @functools.cached_property
    def distance_km(self) -> FloatArray:
        """Distance (km) from every demand cell to the nearest suitable outlet (computed once).

        Great-circle distance times ``detour_factor``, or the road distance on ``network``;
        ``inf`` where no outlet can do the task (or reach the cell). Cells are queried in chunks of ``settings.chunk_size``. Read-only.
        """
        distance = nearest_distances(self)
        distance.flags.writeable = False
        return distance


def _check_network(network: Any, detour_factor: float | None) -> float:
    """The detour factor with a road network: 1 (the roads are the detour)."""
    if not isinstance(network, RoadNetwork):
        msg = (
            f"network is a {type(network).__name__}, not a RoadNetwork; build it with "
            "RoadNetwork.from_osm(path_of_extract)"
        )
        raise ValidationError(msg)
    if detour_factor is not None and detour_factor != 1:
        msg = (
            f"detour_factor={detour_factor!r} given with a road network, which measures the "
            "roads themselves; leave detour_factor out (or 1)"
        )
        raise ValidationError(msg)
    return 1.0


def nearest_distances(inputs: PlanningInputs) -> FloatArray:
    """The distance pass behind `PlanningInputs.distance_km` (a new array on every call).

    With a road network, one multi-source pass from the suitable outlets
    (:meth:`RoadNetwork.distance_to_nearest`); else great-circle distance × detour factor.
    """
    if inputs.network is not None:
        frame = inputs.outlets.iloc[inputs.suitable]
        road_km, _ = inputs.network.distance_to_nearest(
            frame.geometry.x.to_numpy(dtype=np.float64),
            frame.geometry.y.to_numpy(dtype=np.float64),
            inputs.demand.lon,
            inputs.demand.lat,
            source_names=[f"{i} {n}" for i, n in zip(frame["id"], frame["name"], strict=True)],
        )
        return road_km
    demand, step = inputs.demand, check_chunk_size(settings.chunk_size)
    distance = np.empty(len(demand))
    for start in range(0, len(demand), step):
        part = slice(start, start + step)
        found, _ = inputs.index.query(
            lon=demand.lon[part], lat=demand.lat[part], k=1, task=inputs.task, bank=inputs.bank
        )
        distance[part] = found[:, 0]
    distance *= inputs.detour_factor
    return distance


def resolve(
    outlets: PlanningInputs | Outlets, counties: Counties | None, keywords: dict[str, Any]
) -> PlanningInputs:
    """The inputs of a planning call: given whole, or built from outlets, counties, keywords.

    Raises
    ------
    ValidationError
        When a `PlanningInputs` comes with counties or keywords too (which would win is
        unclear), when counties are missing, or for a keyword `PlanningInputs.build` does not take.
    """
    unknown = sorted(set(keywords) - set(KEYWORDS))
    if unknown:
        msg = f"{unknown[0]} is no planning input; the inputs are {', '.join(KEYWORDS)}"
        raise ValidationError(msg)
    if isinstance(outlets, PlanningInputs):
        given = [name for name, value in keywords.items() if value is not None]
        if counties is not None or given:
            extra = "counties" if counties is not None else given[0]
            msg = (
                f"{extra} given beside a PlanningInputs; build the inputs with it instead "
                "(PlanningInputs.build)"
            )
            raise ValidationError(msg)
        return outlets
    if counties is None:
        msg = (
            "counties is missing: give the county layer (locator.datasets.counties() for the "
            "shipped 117) or its path"
        )
        raise ValidationError(msg)
    return PlanningInputs.build(outlets, counties, **keywords)
