"""Where the outlets are: the county each lies in, the registry's mismatches, the county rule.

Outlets are counted where they *are* (point in polygon), not where the registry says;
a county meets the rule with at least ``settings.min_outlets_per_county`` (2) one-stop
outlets that can do the task. The rule and the mismatches are about one-stop outlets
(``kind`` ``government`` or ``bank``): ordinary branches (``kind`` ``branch``) in the same
registry are neither counted nor listed, so the published figures stay those of the
one-stop registry. The public functions are re-exported by :mod:`locator.planning.coverage`.

Examples
--------
>>> from locator import datasets
>>> located = locate_outlets(datasets.outlets(), datasets.counties())
>>> bool((located["declared_adcode"] == located["located_adcode"]).all())
True
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from locator import settings
from locator._validate import check_count
from locator.counties import county_names
from locator.planning.inputs import Counties, Outlets, PlanningInputs, resolve

__all__ = [
    "county_rule",
    "locate_outlets",
    "mismatch_table",
    "mismatches",
    "rule_table",
]


def locate_outlets(
    outlets: PlanningInputs | Outlets, counties: Counties | None = None
) -> pd.DataFrame:
    """The county each outlet lies in, beside the one its registry declares.

    Takes a `PlanningInputs`, or the registry and the county layer.

    Returns
    -------
    pandas.DataFrame
        With the outlets' index: ``id``, ``name``, ``declared_adcode``,
        ``located_adcode`` (None outside every county), ``lon``, ``lat``.
    """
    return resolve(outlets, counties, {}).located.copy()


def mismatches(outlets: PlanningInputs | Outlets, counties: Counties | None = None) -> pd.DataFrame:
    """One-stop outlets whose declared county differs from where they are, or lie in no county.

    A mismatch is a data error in the registry: either the county field or the
    position is wrong. Every one is listed, with ``problem`` saying which kind.
    Ordinary branches (``kind`` ``branch``) are not listed.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name``, ``declared_adcode``, ``declared_county``, ``located_adcode``,
        ``located_county``, ``lon``, ``lat``, ``problem``.

    Examples
    --------
    >>> from locator import datasets
    >>> len(mismatches(datasets.outlets(), datasets.counties()))  # the sample is consistent
    0
    """
    inputs = resolve(outlets, counties, {})
    return mismatch_table(inputs.located.loc[inputs.one_stop], inputs.counties)


def mismatch_table(located: pd.DataFrame, counties: gpd.GeoDataFrame) -> pd.DataFrame:
    """The rows of :func:`locate_outlets` whose two counties differ, with the problem."""
    names = county_names(counties)
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
    outlets: PlanningInputs | Outlets,
    counties: Counties | None = None,
    *,
    minimum: int | None = None,
    **keywords: Any,
) -> pd.DataFrame:
    """One-stop outlets per county (where they are) and whether each county meets the rule.

    Ordinary branches (``kind`` ``branch``) do not count, even for the own-bank tasks
    they serve: the rule is about one-stop outlets.

    Parameters
    ----------
    outlets : PlanningInputs, GeoDataFrame, OutletIndex or path
        The inputs, or the registry to build them from with ``counties`` and ``keywords``.
    counties : GeoDataFrame or path
        The county layer (``locator.datasets.counties()`` for the shipped 117).
    minimum : int, optional
        Outlets a county needs (default ``settings.min_outlets_per_county``, 2).
    **keywords
        Those of :meth:`PlanningInputs.build`; ``task`` and ``bank`` matter here.

    Returns
    -------
    pandas.DataFrame
        One row per county, by adcode: ``adcode``, ``name``, ``city``, ``city_adcode``,
        ``outlets``, ``meets_rule``, ``shortfall`` (outlets missing to meet the rule).

    Examples
    --------
    >>> from locator import datasets
    >>> rule = county_rule(datasets.outlets(), datasets.counties())
    >>> len(rule), int(rule["shortfall"].sum())
    (117, 0)
    """
    return rule_table(resolve(outlets, counties, keywords), minimum)


def rule_table(inputs: PlanningInputs, minimum: int | None = None) -> pd.DataFrame:
    """:func:`county_rule` of resolved inputs."""
    need = check_count(settings.min_outlets_per_county if minimum is None else minimum, "minimum")
    located = inputs.located["located_adcode"].to_numpy(dtype=object)[inputs.counted]
    counts = pd.Series(located).value_counts()
    counties = inputs.counties
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
