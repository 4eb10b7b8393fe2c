"""Population-weighted distance figures of groups of cells, on plain arrays.

The array core of :func:`locator.planning.coverage.coverage_report`: given each cell's distance
to the nearest outlet, its residents (and residents aged 65+) and its group (county,
city or the whole province), the weighted mean, median, p95 and max distance of every
group and the residents (and their share) within each distance.

Examples
--------
>>> import numpy as np
>>> distance = np.array([1.0, 4.0, 2.0, 9.0])
>>> figures = group_figures(
...     distance, (np.ones(4), np.zeros(4)), np.array([0, 0, 1, 1]), 2, radius_km=3, radii_km=(3,)
... )
>>> figures["mean_km"].tolist(), figures["covered_population"].tolist()
([2.5, 5.5], [1.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from locator._typing import FloatArray, IntArray

__all__ = ["STATS", "distance_label", "group_figures", "sum_by", "weighted_stats"]


#: The population-weighted distance statistics, by column name.
STATS = ("mean_km", "median_km", "p95_km", "max_km")


def distance_label(radius_km: float) -> str:
    """The column suffix of a distance: ``5km``, ``2.5km``."""
    return f"{radius_km:g}km"


def sum_by(codes: IntArray, weights: FloatArray, n_groups: int) -> FloatArray:
    """The sum of ``weights`` in each group ``0 .. n_groups - 1``."""
    return np.bincount(codes, weights=weights, minlength=n_groups).astype(np.float64)


def weighted_stats(
    sorted_distance: FloatArray,
    sorted_weight: FloatArray,
    starts: IntArray,
    ends: IntArray,
    radii_km: tuple[float, ...],
    suffix: str,
) -> dict[str, FloatArray]:
    """Population-weighted distance figures of groups of cells sorted by (group, distance).

    Group ``g`` is ``sorted_*[starts[g]:ends[g]]``, nearest first. The weighted
    q-quantile of a group is the smallest distance ``d`` of one of its cells such that
    the population within ``d`` is at least ``q`` times the total. Figures of a group
    without residents are NaN.
    """
    n_groups = starts.size
    group_of = np.repeat(np.arange(n_groups), ends - starts)
    # cumulative[i] is the population of the first i sorted cells.
    cumulative = np.concatenate(([0.0], np.cumsum(sorted_weight)))
    total = sum_by(group_of, sorted_weight, n_groups)
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
    within = np.empty((n_groups, len(radii_km)))
    limits = np.asarray(radii_km, dtype=np.float64)
    for g in range(n_groups):
        s, e = starts[g], ends[g]
        reach = s + np.searchsorted(sorted_distance[s:e], limits, side="right")
        within[g] = cumulative[reach] - cumulative[s]
    for j, radius in enumerate(radii_km):
        out[f"population{suffix}_within_{distance_label(radius)}"] = within[:, j]
        out[f"share{suffix}_within_{distance_label(radius)}"] = np.where(
            has_people, within[:, j] / safe_total, np.nan
        )
    return out


def group_figures(
    distance: FloatArray,
    populations: tuple[FloatArray, FloatArray],
    codes: IntArray,
    n_groups: int,
    *,
    radius_km: float,
    radii_km: tuple[float, ...],
    by_distance: IntArray | None = None,
) -> dict[str, FloatArray]:
    """The coverage columns of each group, everyone and the 65+, in report order.

    ``populations`` are the residents of each cell and those aged 65+; ``codes`` gives each cell's group; ``by_distance`` is ``argsort(distance)``
    (computed when None; pass it to share one sort between several groupings).
    Returns ``population``, ``population_65plus``, ``covered_*`` at ``radius_km``, the
    :data:`STATS` (and ``*_65plus``), then ``population_within_<r>km``,
    ``share_within_<r>km`` and their ``_65plus`` forms for each of ``radii_km``.
    """
    population, population_65plus = populations
    if by_distance is None:
        by_distance = np.argsort(distance, kind="stable")
    both = tuple(sorted({radius_km, *radii_km}))
    # A stable sort of the groups keeps each group's cells in distance order.
    order = by_distance[np.argsort(codes[by_distance], kind="stable")]
    sorted_codes = codes[order]
    groups = np.arange(n_groups)
    starts = np.searchsorted(sorted_codes, groups, side="left")
    ends = np.searchsorted(sorted_codes, groups, side="right")
    sorted_distance = distance[order]
    everyone = weighted_stats(sorted_distance, population[order], starts, ends, both, "")
    older = weighted_stats(sorted_distance, population_65plus[order], starts, ends, both, "_65plus")
    columns: dict[str, FloatArray] = {
        "population": sum_by(codes, population, n_groups),
        "population_65plus": sum_by(codes, population_65plus, n_groups),
    }
    label = distance_label(radius_km)
    columns["covered_population"] = everyone[f"population_within_{label}"]
    columns["covered_share"] = everyone[f"share_within_{label}"]
    columns["covered_population_65plus"] = older[f"population_65plus_within_{label}"]
    columns["covered_share_65plus"] = older[f"share_65plus_within_{label}"]
    for stat in STATS:
        columns[stat] = everyone[stat]
    for stat in STATS:
        columns[f"{stat}_65plus"] = older[f"{stat}_65plus"]
    for r in radii_km:
        for key in ("population_within", "share_within"):
            columns[f"{key}_{distance_label(r)}"] = everyone[f"{key}_{distance_label(r)}"]
        for key in ("population_65plus_within", "share_65plus_within"):
            columns[f"{key}_{distance_label(r)}"] = older[f"{key}_{distance_label(r)}"]
    return columns
