"""Where the outlets are: the county each lies in, the registry's mismatches, the county rule.

Outlets are counted where they *are* (point in polygon), not where the registry says;
a county meets the rule with at least ``settings.min_outlets_per_county`` (2) outlets
that can do the task. The public functions are re-exported by :mod:`locator.planning.coverage`.

Examples
--------
>>> located = locate_outlets(None)
>>> bool((located["declared_adcode"] == located["located_adcode"]).all())
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import settings
from locator._validate import check_count, check_path
from locator.counties import county_of
from locator.index import OutletIndex
from locator.registry import check_counties, load_counties, load_outlets

__all__ = [
    "Outlets",
    "county_column",
    "county_layer",
    "county_rule",
    "locate_outlets",
    "mismatch_table",
    "mismatches",
    "outlet_index",
    "rule_table",
]

#: The registry as the planner functions take it (None: the shipped sample).
Outlets: TypeAlias = gpd.GeoDataFrame | OutletIndex | Path | str | None


def outlet_index(outlets: Outlets) -> OutletIndex:
    """An :class:`~locator.index.OutletIndex` of the registry (itself when it is one)."""
    if isinstance(outlets, OutletIndex):
        return outlets
    if isinstance(outlets, gpd.GeoDataFrame):
        return OutletIndex(outlets)
    return OutletIndex(load_outlets(None if outlets is None else check_path(outlets, "outlets")))


def county_layer(counties: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The county layer in adcode order (None: the shipped 117 counties)."""
    if counties is None:
        return load_counties()
    check_counties(counties, "counties")
    # The same frame when already in order, so the demand estimate cached for it is found.
    return (
        counties if counties["adcode"].is_monotonic_increasing else counties.sort_values("adcode")
    )


def county_column(counties: gpd.GeoDataFrame, column: str) -> dict[str, Any]:
    """One column of the county layer by adcode (str), e.g. ``name`` or ``city``."""
    return dict(zip(counties["adcode"].astype(str), counties[column], strict=True))


def locate_outlets(outlets: Outlets, counties: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The county each outlet lies in, beside the one its registry declares.

    Returns
    -------
    pandas.DataFrame
        With the outlets' index: ``id``, ``name``, ``declared_adcode``,
        ``located_adcode`` (None outside every county), ``lon``, ``lat``.
    """
    frame = outlet_index(outlets).outlets
    counties = county_layer(counties)
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
    counties = county_layer(counties)
    return mismatch_table(locate_outlets(outlets, counties), counties)


def mismatch_table(located: pd.DataFrame, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The rows of :func:`locate_outlets` whose two counties differ, with the problem."""
    names = county_column(counties, "name")
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
    index = outlet_index(outlets)
    counties = county_layer(counties)
    return rule_table(index, counties, locate_outlets(index, counties), task, bank, minimum)


def rule_table(
    index: OutletIndex,
    counties: gpd.GeoDataFrame,
    located_outlets: pd.DataFrame,
    task: str | None,
    bank: str | None,
    minimum: int | None,
) -> pd.DataFrame:
    """:func:`county_rule` from outlets already located by :func:`locate_outlets`."""
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
