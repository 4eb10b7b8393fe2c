"""Coverage per partner bank: residents within reach of a branch of each bank.

A card's own bank does the bank-side tasks (activating the financial function, a forgotten
bank password, an account frozen for non-counter use) at any of its branches, one-stop
outlet or ordinary branch (``kind`` ``branch``). :func:`coverage_by_bank` answers, for each
of the 16 partner banks, how many residents (and residents aged 65+) live within
``radius_km`` of one of its branches, per county, city and the province, and which counties
a bank leaves without a branch in reach for most of their residents
(:meth:`BankCoverage.uncovered`).

Distances are exact: each bank's branches form their own sub-tree of the
:class:`~locator.index.OutletIndex` (``bank=`` without a task: every branch of the bank),
great-circle distance times the detour factor, as in :func:`~locator.planning.coverage.coverage_report`.

Examples
--------
>>> from locator import datasets
>>> from locator.planning.demand import estimate_demand
>>> counties = datasets.counties()
>>> demand = estimate_demand(counties, cell_area_km2=25)
>>> by_bank = coverage_by_bank(datasets.registry(), counties, demand=demand)
>>> len(by_bank.banks), len(by_bank.counties) == 16 * 117
(16, True)
>>> bool(by_bank.banks["covered_share"].between(0, 1).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import check_chunk_size
from locator.banks import BANK_NAMES, normalize_bank
from locator.output import to_json
from locator.planning._weighted import sum_by
from locator.planning.coverage import CountiesOnce
from locator.planning.inputs import Counties, Outlets, PlanningInputs, resolve
from locator.tasks import get_task

__all__ = ["UNCOVERED_SHARE", "BankCoverage", "check_bank_task", "coverage_by_bank"]

#: A county is left uncovered by a bank when less than this share of its residents is in reach.
UNCOVERED_SHARE = 0.5

#: The columns of every table, after its keys.
_FIGURES = (
    "branches",
    "one_stop_outlets",
    "population",
    "covered_population",
    "covered_share",
    "population_65plus",
    "covered_population_65plus",
    "covered_share_65plus",
)


#: Why a road network is refused (straight line only for now).
_NETWORK_REFUSED = (
    "network given: coverage by bank measures straight lines (times detour_factor), "
    "one index sub-tree per bank; leave network out, or use coverage_report for roads"
)


@dataclass(frozen=True)
class BankCoverage(CountiesOnce):
    """Residents within ``radius_km`` of a branch of each partner bank.

    Attributes
    ----------
    banks : pandas.DataFrame
        One row per bank (the province): ``bank``, ``branches`` (one-stop and ordinary),
        ``one_stop_outlets``, ``population``, ``covered_population``, ``covered_share``, the
        same for the residents aged 65+ (``*_65plus``), and ``uncovered_counties``: how many
        counties the bank leaves uncovered (see `uncovered`).
    cities, counties : pandas.DataFrame
        The same figures per bank and city (``city_adcode``, ``city``) or per bank and
        county (``adcode``, ``name``, ``city``, ``city_adcode``), bank by bank in the order
        of `~locator.banks.BANK_NAMES`, then by adcode.
    radius_km, detour_factor : float
        The settings the figures were computed with.
    task : str or None
        An own-bank task, when only branches that list it count.

    Notes
    -----
    When the population source places each county's 65+ like all its residents (a raster,
    points without a ``population_65plus`` column), every bank's covered share of the 65+
    equals that of all residents in every county, whatever the bank covers: each cell's
    65+ are the same fraction of its residents throughout the county. The county figures
    then show it once (`repeated_65plus`, `counties_once`), as in
    :class:`~locator.planning.coverage.CoverageReport`. Per city and per bank over the
    province the counties' 65+ fractions differ, and so do the shares: both are kept.
    """

    banks: pd.DataFrame
    cities: pd.DataFrame
    counties: pd.DataFrame
    radius_km: float
    detour_factor: float
    task: str | None = None

    def uncovered(self, bank: str | None = None, *, share: float | None = None) -> pd.DataFrame:
        """Counties where a bank has no branch within reach of most residents.

        Parameters
        ----------
        bank : str, optional
            Only this bank (any name `~locator.banks.normalize_bank` accepts).
        share : float, optional
            The covered share below which a county counts (default `UNCOVERED_SHARE`, 0.5).

        Returns
        -------
        pandas.DataFrame
            Rows of `counties` with ``covered_share`` below ``share``, bank by bank, the
            most residents out of reach first, with ``uncovered_population``.
        """
        limit = UNCOVERED_SHARE if share is None else share
        if not (isinstance(limit, int | float) and 0 < limit <= 1):
            msg = f"share={share!r} must be a number above 0 and at most 1"
            raise ValidationError(msg)
        table = self.counties
        if bank is not None:
            table = table.loc[table["bank"] == normalize_bank(bank)]
        table = table.loc[table["population"].gt(0) & table["covered_share"].lt(limit)].copy()
        table["uncovered_population"] = table["population"] - table["covered_population"]
        order = {name: i for i, name in enumerate(BANK_NAMES)}
        table["_bank"] = table["bank"].map(order)
        table = table.sort_values(["_bank", "uncovered_population"], ascending=[True, False])
        return table.drop(columns="_bank").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready dicts: settings, banks, cities, counties, uncovered.

        The county records (``counties`` and ``uncovered``) leave out the 65+ fields that
        repeat all residents' by construction; ``county_65plus_same_as`` maps each one left
        out to the field that holds its value (``{}`` when none is left out).
        """

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {
                    str(k): round(v, 3) if isinstance(v, float) and "population" in str(k) else v
                    for k, v in row.items()
                }
                for row in frame.to_dict(orient="records")
            ]

        repeated = self.repeated_65plus
        return {
            "radius_km": self.radius_km,
            "detour_factor": self.detour_factor,
            "task": self.task,
            "uncovered_share": UNCOVERED_SHARE,
            "banks": records(self.banks),
            "cities": records(self.cities),
            "counties": records(self.counties_once),
            "county_65plus_same_as": repeated,
            "uncovered": records(self.uncovered().drop(columns=list(repeated))),
        }

    def to_json(self) -> str:
        """The figures as JSON text (Chinese kept readable; NaN as null)."""
        return to_json(self.to_dict())


def check_bank_task(task: str | None) -> str | None:
    """The task a bank's branches must list for coverage by bank: none, or an own-bank task.

    Raises
    ------
    ValidationError
        For a task any one-stop outlet does, whatever the card's bank.
    """
    if task is None:
        return None
    found = get_task(task)
    if not found.own_bank:
        msg = (
            f"task {found.code!r} is done at any one-stop outlet, whatever the card's bank; "
            "coverage by bank counts a bank's own branches: give no task or an own-bank task"
        )
        raise ValidationError(msg)
    return found.code


def _covered(inputs: PlanningInputs, task: str | None, bank: str) -> BoolArray:
    """Whether each demand cell lies within ``radius_km`` of a branch of ``bank``."""
    demand, step = inputs.demand, check_chunk_size(settings.chunk_size)
    covered = np.zeros(len(demand), dtype=bool)
    for start in range(0, len(demand), step):
        part = slice(start, start + step)
        distance, _ = inputs.index.query(
            lon=demand.lon[part], lat=demand.lat[part], k=1, task=task, bank=bank
        )
        covered[part] = distance[:, 0] * inputs.detour_factor <= inputs.radius_km
    return covered


def _group_rows(
    covered: BoolArray,
    counts: tuple[IntArray, IntArray],
    codes: IntArray,
    n_groups: int,
    inputs: PlanningInputs,
) -> dict[str, Any]:
    """The figures of one bank for each group of cells (``codes``: group of each cell)."""
    demand = inputs.demand
    population = sum_by(codes, demand.population, n_groups)
    older = sum_by(codes, demand.population_65plus, n_groups)
    near = sum_by(codes, np.where(covered, demand.population, 0.0), n_groups)
    near_older = sum_by(codes, np.where(covered, demand.population_65plus, 0.0), n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        share: FloatArray = np.where(population > 0, near / population, np.nan)
        share_older: FloatArray = np.where(older > 0, near_older / older, np.nan)
    values = (counts[0], counts[1], population, near, share, older, near_older, share_older)
    return dict(zip(_FIGURES, values, strict=True))


@dataclass(frozen=True)
class _Groups:
    """Where the cells and the branches are: county and city row numbers."""

    layer: pd.DataFrame  # county, city, city_adcode per county
    cells: IntArray  # county row of each demand cell
    city_keys: Any  # city adcodes, sorted
    city_of_county: IntArray
    located: IntArray  # county row each registry row lies in (-1: none)

    @classmethod
    def of(cls, inputs: PlanningInputs) -> _Groups:
        counties = inputs.counties
        adcodes = pd.Index(counties["adcode"].astype(str).to_numpy())
        cells = adcodes.get_indexer(pd.Index(np.asarray(inputs.demand.county, dtype=str)))
        if (cells < 0).any():
            msg = (
                "demand holds cells of a county that is not in the county layer; build the "
                "demand from the same counties"
            )
            raise ValidationError(msg)
        city_keys, city_of_county = np.unique(
            counties["city_adcode"].astype(str).to_numpy(), return_inverse=True
        )
        layer = pd.DataFrame(
            {
                "adcode": adcodes.to_numpy(),
                "name": counties["name"].to_numpy(),
                "city": counties["city"].to_numpy(),
                "city_adcode": counties["city_adcode"].astype(str).to_numpy(),
            }
        )
        located = adcodes.get_indexer(
            pd.Index(inputs.located["located_adcode"].fillna("").astype(str))
        )
        return cls(layer, cells, city_keys, city_of_county, located)


def _one_bank(
    inputs: PlanningInputs, groups: _Groups, task: str | None, bank: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """One bank's rows of the province, city and county tables."""
    positions = inputs.index.positions(task=task, bank=bank)
    where = groups.located[positions]
    inside, one_stop = where >= 0, inputs.one_stop[positions]
    n_counties, n_cities = len(groups.layer), groups.city_keys.size
    per_county = (
        np.bincount(where[inside], minlength=n_counties),
        np.bincount(where[inside & one_stop], minlength=n_counties),
    )
    per_city = (
        np.bincount(groups.city_of_county, weights=per_county[0], minlength=n_cities).astype(int),
        np.bincount(groups.city_of_county, weights=per_county[1], minlength=n_cities).astype(int),
    )
    totals = (np.array([positions.size]), np.array([int(one_stop.sum())]))
    covered = _covered(inputs, task, bank)
    county = groups.layer.assign(
        **_group_rows(covered, per_county, groups.cells, n_counties, inputs)
    )
    first = groups.layer.drop_duplicates("city_adcode").set_index("city_adcode")["city"]
    city = pd.DataFrame(
        {
            "city_adcode": groups.city_keys,
            "city": first.reindex(groups.city_keys).to_numpy(),
            **_group_rows(covered, per_city, groups.city_of_county[groups.cells], n_cities, inputs),
        }
    )
    everyone = np.zeros(groups.cells.size, dtype=np.intp)
    province = pd.DataFrame(_group_rows(covered, totals, everyone, 1, inputs))
    return tuple(  # type: ignore[return-value]
        frame.assign(bank=bank)[["bank", *frame.columns]] for frame in (province, city, county)
    )


def coverage_by_bank(
    outlets: PlanningInputs | Outlets, counties: Counties | None = None, **keywords: Any
) -> BankCoverage:
    """Residents within ``radius_km`` of a branch of each partner bank, by county, city, province.

    Parameters
    ----------
    outlets : PlanningInputs, GeoDataFrame, OutletIndex or path
        The inputs, or the registry to build them from with ``counties`` and ``keywords``
        (``locator.datasets.registry()`` for the shipped one-stop outlets and branches).
    counties : GeoDataFrame or path
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    **keywords
        Those of :meth:`PlanningInputs.build`: ``demand``, ``radius_km``,
        ``detour_factor``; ``bank`` to report one bank only; ``task`` only an own-bank
        task (then only branches that list it count).

    Raises
    ------
    ValidationError
        For a task any one-stop outlet does (the card's bank does not matter for it), or a
        road ``network``, given as a keyword or in the inputs (coverage by bank is
        straight-line for now); a keyword network is refused before any distance is computed.
    """
    # Refused before the inputs are built: a road network's distance pass is the costly part.
    if keywords.get("network") is not None:
        raise ValidationError(_NETWORK_REFUSED)
    inputs = resolve(outlets, counties, keywords)
    if inputs.network is not None:
        raise ValidationError(_NETWORK_REFUSED)
    task = check_bank_task(inputs.task)
    banks = [normalize_bank(inputs.bank)] if inputs.bank is not None else list(BANK_NAMES)
    groups = _Groups.of(inputs)
    parts = [_one_bank(inputs, groups, task, bank) for bank in banks]
    per_county = pd.concat([p[2] for p in parts], ignore_index=True)
    left = per_county["population"].gt(0) & per_county["covered_share"].lt(UNCOVERED_SHARE)
    province = pd.concat([p[0] for p in parts], ignore_index=True)
    counts = per_county.loc[left].groupby("bank").size()
    province["uncovered_counties"] = province["bank"].map(counts).fillna(0).astype(int)
    return BankCoverage(
        banks=province,
        cities=pd.concat([p[1] for p in parts], ignore_index=True),
        counties=per_county,
        radius_km=inputs.radius_km,
        detour_factor=inputs.detour_factor,
        task=task,
    )
