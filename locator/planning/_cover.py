"""The array core of siting: coverage sets and greedy selection on sparse matrices.

Rows are sites (candidates or outlets), columns are demand points, and ``weights`` say
what covering a point is worth. Nothing here knows geography beyond turning lon/lat into
coverage sets; :mod:`locator.planning.siting` adapts outlets, counties and demand to these arrays.

Examples
--------
>>> from scipy.sparse import csr_matrix
>>> coverage = csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
>>> chosen, gains = greedy_max_cover(coverage, [5.0, 1.0, 1.0, 5.0], 2)
>>> chosen.tolist(), gains.tolist()
([0, 2], [6.0, 6.0])
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.neighbors import BallTree

from locator import settings
from locator._errors import ResourceLimitError, ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import (
    check_count,
    check_detour_factor,
    check_lonlat_arrays,
    check_positive,
)
from locator.distance import km_to_chord, unit_vectors

if TYPE_CHECKING:
    from locator.planning.network import RoadNetwork

__all__ = [
    "coverage_sets",
    "covered_by",
    "gain_sums",
    "greedy_close",
    "greedy_max_cover",
    "loss_sums",
    "repair_rule",
    "resolve_detour",
    "swap_improve",
]


def resolve_detour(detour_factor: float | None) -> float:
    """``detour_factor``, or ``settings.detour_factor`` when None, checked (at least 1)."""
    detour = settings.detour_factor if detour_factor is None else detour_factor
    return check_detour_factor(detour)


def _check_pairs(
    tree: BallTree, sites: FloatArray, chord: float, radius_km: float, n_cells: int
) -> None:
    """Refuse coverage sets too large to hold, from a count over a sample of the sites.

    A wide radius over fine cells (100 km at 1 km²: 31,000 cells per site) would fill
    the memory before any answer; counting 1,000 evenly spaced sites costs little.
    """
    limit = int(settings.max_coverage_pairs)
    sample = np.unique(np.linspace(0, len(sites) - 1, min(len(sites), 1000)).astype(np.intp))
    counts = tree.query_radius(sites[sample], r=chord, count_only=True)
    estimate = float(np.mean(counts)) * len(sites)
    if estimate > limit:
        msg = (
            f"radius_km={radius_km:g}: {len(sites):,} candidate sites over {n_cells:,} demand "
            f"cells would each reach about {np.mean(counts):,.0f} cells, {estimate:,.0f} pairs "
            f"in all, more than settings.max_coverage_pairs ({limit:,}): use a smaller "
            "radius_km, coarser cells (cell_area_km2) or fewer candidates (e.g. seats)"
        )
        raise ResourceLimitError(msg)


def coverage_sets(
    site_lon: npt.ArrayLike,
    site_lat: npt.ArrayLike,
    demand_lon: npt.ArrayLike,
    demand_lat: npt.ArrayLike,
    radius_km: float,
    *,
    detour_factor: float | None = None,
    network: RoadNetwork | None = None,
) -> sparse.csr_matrix:
    """Which demand points each site covers, as a sparse sites x demand boolean matrix.

    With a ``network``, by road: of the pairs within reach in a straight line, those
    within ``radius_km`` along the roads (`RoadNetwork.reach`).

    A site covers a point when the great-circle distance times ``detour_factor`` is at
    most ``radius_km``: radius queries of a BallTree over unit vectors (exact).

    Examples
    --------
    >>> m = coverage_sets([112.0], [37.0], [112.0, 112.05, 112.2], [37.0, 37.0, 37.0], 5.0)
    >>> m.toarray().tolist()  # 0 km, 4.4 km, 17.8 km away
    [[True, True, False]]
    """
    radius_km = check_positive(radius_km, "radius_km")
    detour = resolve_detour(detour_factor)
    s_lon, s_lat = check_lonlat_arrays(site_lon, site_lat)
    d_lon, d_lat = check_lonlat_arrays(demand_lon, demand_lat)
    shape = (s_lon.size, d_lon.size)
    if s_lon.size == 0 or d_lon.size == 0:
        return sparse.csr_matrix(shape, dtype=bool)
    tree = BallTree(unit_vectors(d_lon, d_lat))
    chord = float(km_to_chord(radius_km / detour))
    sites = unit_vectors(s_lon, s_lat)
    _check_pairs(tree, sites, chord, radius_km, d_lon.size)
    parts: list[npt.NDArray[np.intp]] = []
    step = max(1, settings.chunk_size // 64)  # a site covers tens to thousands of cells
    for start in range(0, s_lon.size, step):
        parts.extend(tree.query_radius(sites[start : start + step], r=chord))
    counts = np.fromiter((p.size for p in parts), dtype=np.int64, count=len(parts))
    indptr = np.concatenate(([0], np.cumsum(counts)))
    indices = np.concatenate(parts) if indptr[-1] else np.empty(0, dtype=np.intp)
    index_type = np.int32 if max(indptr[-1], d_lon.size) < np.iinfo(np.int32).max else np.int64
    matrix = sparse.csr_matrix(
        (np.ones(indices.size, dtype=bool), indices.astype(index_type), indptr.astype(index_type)),
        shape=shape,
    )
    matrix.sort_indices()
    if network is not None:
        return network.reach(s_lon, s_lat, d_lon, d_lat, radius_km, within=matrix)
    return matrix


# --- bookkeeping shared by the greedy loops and the adapters ---------------------------------


def _cols(matrix: sparse.csr_matrix, row: int) -> IntArray:
    return matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]


def _counts(matrix: sparse.csr_matrix, rows: npt.ArrayLike | None = None) -> IntArray:
    """How many of ``rows`` (all when None) cover each column."""
    part = matrix if rows is None else matrix[np.asarray(rows, dtype=np.intp)]
    return np.bincount(part.indices, minlength=matrix.shape[1]).astype(np.intp)


def covered_by(matrix: sparse.csr_matrix, rows: npt.ArrayLike | None = None) -> BoolArray:
    """Whether any of ``rows`` (all when None) covers each column."""
    return _counts(matrix, rows) > 0


def gain_sums(
    matrix: sparse.csr_matrix,
    rows: IntArray,
    values: list[FloatArray],
    covered: BoolArray | None = None,
) -> list[FloatArray]:
    """Adding ``rows`` in order: what each newly covers.

    Each row's sum of each of ``values`` over the columns it newly covers (columns
    ``covered`` beforehand add nothing).
    """
    hit = np.zeros(matrix.shape[1], dtype=bool) if covered is None else covered.copy()
    sums = [np.zeros(rows.size) for _ in values]
    for k, row in enumerate(rows):
        cols = _cols(matrix, int(row))
        new = cols[~hit[cols]]
        hit[new] = True
        for total, value in zip(sums, values, strict=True):
            total[k] = value[new].sum()
    return sums


def loss_sums(
    matrix: sparse.csr_matrix, rows: IntArray, values: list[FloatArray]
) -> list[FloatArray]:
    """Closing ``rows`` in order, all rows open before: what each leaves uncovered.

    Each row's sum of each of ``values`` over the columns it leaves covered by no open row.
    """
    count = _counts(matrix)
    sums = [np.zeros(rows.size) for _ in values]
    for k, row in enumerate(rows):
        cols = _cols(matrix, int(row))
        count[cols] -= 1
        gone = cols[count[cols] == 0]
        for total, value in zip(sums, values, strict=True):
            total[k] = value[gone].sum()
    return sums


def _gains(values: FloatArray, matrix: sparse.csr_matrix, row: int | None = None) -> FloatArray:
    """Sum of ``values`` over the columns of each row (of ``row`` alone when given).

    ``np.add.reduceat`` sums each row left to right, alone or among others, so a row's
    sum is bit-for-bit the same either way: exact ties stay ties.
    """
    indptr, indices = matrix.indptr, matrix.indices
    if row is None:
        starts, ends, gathered = indptr[:-1], indptr[1:], values[indices]
    else:
        starts, ends = np.array([0]), np.array([indptr[row + 1] - indptr[row]])
        gathered = values[_cols(matrix, row)]
    out = np.zeros(starts.size)
    full = ends > starts
    if full.any():
        out[full] = np.add.reduceat(gathered, starts[full])
    return out


def _celf(
    keys: list[tuple[float, ...]],
    rows: list[int],
    key_of: Callable[[int], tuple[float, ...]],
    take: Callable[[int], None],
    n: int,
    limits: tuple[IntArray, IntArray],
    *,
    stop: Callable[[tuple[float, ...]], bool] | None = None,
) -> tuple[list[int], list[tuple[float, ...]]]:
    """Lazy greedy (CELF): take up to ``n`` rows, each time the one of smallest key.

    ``keys`` are the first keys of ``rows``. A row's key may only grow as rows are
    taken, so a key computed in an earlier round is a lower bound: a row whose key is
    fresh and on top of the heap is the exact best, the smallest row number among equal
    keys. ``take`` updates the state ``key_of`` reads; ``limits`` are each row's group
    and each group's quota: a row of a group whose quota is used up is dropped; ``stop``
    ends the search at a fresh key.
    """
    group, quota = limits
    heap = [(*key, row) for key, row in zip(keys, rows, strict=True)]
    heapq.heapify(heap)
    fresh = np.zeros(group.size, dtype=np.int64)  # round in which each key was computed
    chosen: list[int] = []
    taken: list[tuple[float, ...]] = []
    while heap and len(chosen) < n:
        row = int(heap[0][-1])
        if group[row] >= 0 and quota[group[row]] <= 0:
            heapq.heappop(heap)
            continue
        if fresh[row] != len(chosen):
            fresh[row] = len(chosen)
            heapq.heapreplace(heap, (*key_of(row), row))
            continue
        key = heap[0][:-1]
        if stop is not None and stop(key):
            break
        heapq.heappop(heap)
        chosen.append(row)
        taken.append(key)
        take(row)
        if group[row] >= 0:
            quota[group[row]] -= 1
    return chosen, taken


def _lazy_greedy(
    matrix: sparse.csr_matrix,
    remaining: FloatArray,
    n: int,
    allowed: BoolArray,
    *,
    group: IntArray | None = None,
    quota: IntArray | None = None,
    stop_at_zero: bool = True,
) -> tuple[IntArray, FloatArray]:
    """Pick up to ``n`` rows, each adding the most of ``remaining`` (zeroed as covered).

    Gains only shrink as rows are picked, so their negatives suit :func:`_celf`.
    """
    rows = np.flatnonzero(allowed)
    first = (-_gains(remaining, matrix)[rows]).tolist()

    def key_of(row: int) -> tuple[float]:
        return (-float(_gains(remaining, matrix, row)[0]),)

    def take(row: int) -> None:
        remaining[_cols(matrix, row)] = 0.0

    chosen, keys = _celf(
        [(k,) for k in first],
        rows.tolist(),
        key_of,
        take,
        n,
        (
            np.full(matrix.shape[0], -1, dtype=np.intp) if group is None else group,
            np.zeros(0, dtype=np.intp) if quota is None else quota,
        ),
        stop=(lambda key: key[0] >= 0.0) if stop_at_zero else None,
    )
    gains = [-key[0] for key in keys]
    return np.asarray(chosen, dtype=np.intp), np.asarray(gains, dtype=np.float64)


# --- input checks ----------------------------------------------------------------------------


def _as_csr(coverage: Any) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(coverage)
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    if matrix.nnz and not (matrix.data != 0).all():
        matrix.eliminate_zeros()
    return matrix


def _weights(
    weights: npt.ArrayLike, size: int, already_covered: npt.ArrayLike | None = None
) -> FloatArray:
    """A checked copy of ``weights``, zero where ``already_covered``."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.size != size:
        msg = f"weights has {w.size} values for {size} demand points: give one per point"
        raise ValidationError(msg)
    if not (np.isfinite(w) & (w >= 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
        msg = f"weights[{i}]={w[i]!r}: weights must be finite and at least 0"
        raise ValidationError(msg)
    w = w.copy()
    w[_mask(already_covered, size, "already_covered")] = 0.0
    return w


def _mask(mask: npt.ArrayLike | None, size: int, name: str) -> BoolArray:
    if mask is None:
        return np.zeros(size, dtype=bool)
    m = np.asarray(mask, dtype=bool).ravel()
    if m.size != size:
        msg = f"{name} has {m.size} values where {size} are needed: give one per row"
        raise ValidationError(msg)
    return m


def _groups(
    group: npt.ArrayLike | None, quota: npt.ArrayLike | None, rows: int, name: str = "quota"
) -> tuple[IntArray, IntArray]:
    """Group numbers (-1: none), one per row, and a copy of the ``quota`` of each group."""
    groups = (
        np.full(rows, -1, dtype=np.intp) if group is None else np.asarray(group, np.intp).ravel()
    )
    left = np.zeros(0, dtype=np.intp) if quota is None else np.asarray(quota, np.intp).ravel()
    if groups.size != rows:
        msg = f"group has {groups.size} values for {rows} rows: give one each (-1: no group)"
        raise ValidationError(msg)
    if groups.max(initial=-1) >= left.size:
        msg = f"group number {int(groups.max())} has no {name} entry ({left.size} given)"
        raise ValidationError(msg)
    return groups, left.copy()


# --- the models --------------------------------------------------------------------------------


def greedy_max_cover(
    coverage: sparse.csr_matrix,
    weights: npt.ArrayLike,
    n: int,
    *,
    already_covered: npt.ArrayLike | None = None,
    forbidden: npt.ArrayLike | None = None,
) -> tuple[IntArray, FloatArray]:
    """Pick up to ``n`` candidates (rows) covering the most weight, greedily with CELF.

    Parameters
    ----------
    coverage : sparse matrix, candidates x demand
        True where a candidate covers a demand point (:func:`coverage_sets`).
    weights : array of float, one per demand point
        What covering a point is worth (residents); at least 0.
    n : int
        How many candidates to pick at most.
    already_covered : array of bool, one per demand point, optional
        Points covered before any pick (by existing outlets); they add nothing.
    forbidden : array of bool, one per candidate, optional
        Candidates that may not be picked.

    Returns
    -------
    chosen, gains : ndarray
        The picked rows in the order picked and the weight each newly covers. Equal
        gains go to the smaller row number. Picking stops early when no allowed
        candidate adds any weight.
    """
    matrix = _as_csr(coverage)
    remaining = _weights(weights, matrix.shape[1], already_covered)
    allowed = ~_mask(forbidden, matrix.shape[0], "forbidden")
    return _lazy_greedy(matrix, remaining, check_count(n, "n"), allowed)


def swap_improve(
    coverage: sparse.csr_matrix,
    weights: npt.ArrayLike,
    chosen: npt.ArrayLike,
    *,
    already_covered: npt.ArrayLike | None = None,
    forbidden: npt.ArrayLike | None = None,
) -> IntArray:
    """Improve a set of picks by single swaps (vertex substitution) until none helps.

    Each chosen row in turn is replaced by the allowed row that covers the most weight
    given the others, when that covers more than keeping it; passes repeat until one
    changes nothing. The result covers at least as much as ``chosen``, and no single
    swap improves it. Greedy picks form a sequence (every prefix is a good smaller
    answer); swapping trades that for a better set of exactly this size.

    Returns
    -------
    ndarray of int
        The improved rows, ordered greedily among themselves (each adds the most).
    """
    matrix = _as_csr(coverage)
    w = _weights(weights, matrix.shape[1], already_covered)
    blocked = _mask(forbidden, matrix.shape[0], "forbidden")
    picks = [int(r) for r in np.asarray(chosen, dtype=np.intp).ravel()]
    if len(set(picks)) != len(picks) or any(not 0 <= r < matrix.shape[0] for r in picks):
        msg = "chosen must hold distinct row numbers of the coverage matrix"
        raise ValidationError(msg)
    if not picks:
        return np.zeros(0, dtype=np.intp)
    count = _counts(matrix, picks)
    tolerance = 1e-12 * max(float(w.sum()), 1.0)  # ignore rounding-level "improvements"
    improved = True
    while improved:
        improved = False
        for k, row in enumerate(picks):
            cols = _cols(matrix, row)
            count[cols] -= 1
            gains = matrix @ np.where(count == 0, w, 0.0)
            gains[blocked] = -np.inf
            gains[picks] = -np.inf
            best = int(np.argmax(gains))
            keep = float(w[cols][count[cols] == 0].sum())
            if gains[best] > keep + tolerance:
                picks[k] = best
                row = best
                improved = True
            count[_cols(matrix, row)] += 1
    rows = np.asarray(picks, dtype=np.intp)
    order, _ = _lazy_greedy(
        matrix[rows], w, len(picks), np.ones(len(picks), bool), stop_at_zero=False
    )
    return rows[order]


def repair_rule(
    coverage: sparse.csr_matrix,
    weights: npt.ArrayLike,
    group: npt.ArrayLike,
    shortfall: npt.ArrayLike,
    *,
    already_covered: npt.ArrayLike | None = None,
    forbidden: npt.ArrayLike | None = None,
) -> tuple[IntArray, FloatArray]:
    """Pick ``shortfall[g]`` candidates inside every group (county) ``g``, best first.

    ``group`` gives each candidate's group number (-1: none). Each pick is the
    candidate, among the groups still short, that newly covers the most weight, so a
    county short of two gets two different sites. A pick is made even when it covers
    nothing new: the rule asks for the outlet. Fewer picks than ``shortfall`` in a group
    means it has too few allowed candidates.

    Returns
    -------
    chosen, gains : ndarray
        Picked rows in order, and the weight each newly covers.
    """
    matrix = _as_csr(coverage)
    remaining = _weights(weights, matrix.shape[1], already_covered)
    groups, quota = _groups(group, shortfall, matrix.shape[0], "shortfall")
    quota = np.maximum(quota, 0)
    short = np.zeros(groups.size, dtype=bool)
    short[groups >= 0] = quota[groups[groups >= 0]] > 0
    allowed = short & ~_mask(forbidden, matrix.shape[0], "forbidden")
    return _lazy_greedy(
        matrix,
        remaining,
        int(quota.sum()),
        allowed,
        group=groups,
        quota=quota,
        stop_at_zero=False,
    )


def greedy_close(
    coverage: sparse.csr_matrix,
    weights: npt.ArrayLike,
    n: int,
    *,
    group: npt.ArrayLike | None = None,
    quota: npt.ArrayLike | None = None,
) -> tuple[IntArray, FloatArray]:
    """Close up to ``n`` outlets (rows), each losing the least covered weight (reverse greedy).

    Closing an outlet loses the points no other open outlet covers. Among equal losses
    (many outlets lose nothing at all) the most redundant one closes first: the one
    whose covered residents have, on a weighted average, the most other open outlets
    within reach (an outlet covering no weight at all first of all); then the smaller
    row number. A loss only grows as others close and that average only falls, so a
    key computed earlier is a lower bound and the lazy heap (CELF, for a minimum) gives
    exactly what recomputing every key would. At most ``quota[g]`` outlets of group
    ``g`` close (group -1: no limit).

    Returns
    -------
    chosen, losses : ndarray
        Closed rows in order, and the weight each one's closing uncovers.

    Examples
    --------
    >>> from scipy.sparse import csr_matrix
    >>> coverage = csr_matrix([[1, 1, 0], [0, 1, 1], [0, 1, 0], [0, 0, 1]], dtype=bool)
    >>> chosen, losses = greedy_close(coverage, [1.0, 1.0, 1.0], 2)
    >>> chosen.tolist(), losses.tolist()  # rows 1-3 lose nothing; row 2's point has 2 others
    ([2, 1], [0.0, 0.0])
    """
    matrix = _as_csr(coverage)
    w = _weights(weights, matrix.shape[1])
    n = check_count(n, "n")
    groups, left = _groups(group, quota, matrix.shape[0])
    open_count = _counts(matrix)
    unique = np.where(open_count == 1, w, 0.0)  # lost when its one open outlet closes
    spare = w * (open_count - 1)  # weighted other open outlets within reach
    reach = _gains(w, matrix)  # each row's covered weight, which never changes

    def redundancy(total: float, row: int) -> float:
        return total / float(reach[row]) if reach[row] > 0 else math.inf

    def key_of(row: int) -> tuple[float, float]:
        loss = float(_gains(unique, matrix, row)[0])
        return loss, -redundancy(float(_gains(spare, matrix, row)[0]), row)

    def take(row: int) -> None:
        cols = _cols(matrix, row)
        open_count[cols] -= 1
        unique[cols] = np.where(open_count[cols] == 1, w[cols], 0.0)
        spare[cols] = w[cols] * (open_count[cols] - 1)

    first: list[tuple[float, ...]] = [
        (loss, -redundancy(total, row))
        for row, (loss, total) in enumerate(
            zip(_gains(unique, matrix).tolist(), _gains(spare, matrix).tolist(), strict=True)
        )
    ]
    chosen, keys = _celf(first, list(range(matrix.shape[0])), key_of, take, n, (groups, left))
    losses = [key[0] for key in keys]
    return np.asarray(chosen, dtype=np.intp), np.asarray(losses, dtype=np.float64)
