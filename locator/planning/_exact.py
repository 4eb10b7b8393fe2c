"""The exact maximal covering location problem (MCLP), solved by HiGHS.

The same arrays as :mod:`locator.planning._cover`: rows are candidate sites, columns are
demand cells, ``weights`` say what newly covering a cell is worth. :func:`solve_mclp`
picks at most ``n`` candidates covering the most weight, as a mixed-integer programme::

    maximise   sum_g w_g y_g
    subject to y_g <= sum of x_j over the candidates j that cover cell group g
               sum_j x_j <= n,   x_j in {0, 1},   0 <= y_g <= 1

HiGHS (``highspy``) solves it from the greedy answer as its first incumbent, within a time
limit, and reports the bound it proved: the answer is optimal, or within ``gap`` of it.

Before HiGHS sees it, :func:`reduce_model` shrinks the model without changing its optimum:

- cells worth nothing (weight 0: already covered, or by a fixed site) and cells no
  allowed candidate reaches leave it: no choice changes what they add;
- candidates that may not be chosen, fixed ones and those reaching no cell left leave it;
- candidates reaching exactly the same cells are one (the first is kept): choosing two
  of them adds what one adds;
- cells reached by exactly the same candidates are one, their weights summed: they are
  covered together or not at all.

Examples
--------
>>> from scipy.sparse import csr_matrix
>>> coverage = csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
>>> result = solve_mclp(coverage, [5.0, 1.0, 1.0, 5.0], 2)
>>> result.chosen.tolist(), result.objective, result.status, result.gap
([0, 2], 12.0, 'optimal', 0.0)
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from locator import settings
from locator._errors import LocatorError, ResourceLimitError, ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import check_count, check_positive
from locator.planning._cover import _as_csr, _mask, _weights, covered_by, greedy_max_cover

__all__ = ["ExactResult", "Reduced", "reduce_model", "solve_mclp"]

#: HiGHS model statuses that come with an answer, by the name ``ExactResult.status`` gives.
_ANSWERED = {"kOptimal": "optimal", "kTimeLimit": "time_limit"}


@dataclass(frozen=True)
class ExactResult:
    """The answer of :func:`solve_mclp`.

    Attributes
    ----------
    chosen : ndarray of int
        The chosen rows, ordered by marginal gain (each adds the most given those before it
        and the fixed sites); rows that would add nothing are left out.
    gains : ndarray of float
        The weight each chosen row newly covers, in that order.
    covered : ndarray of bool
        Per cell: whether a fixed or a chosen site covers it.
    objective : float
        The weight the chosen rows newly cover (beyond the fixed sites): ``gains.sum()``.
    start_objective : float
        The same for the starting answer (the greedy's when none was given).
    first_incumbent : float or None
        The objective of the first answer HiGHS held: ``start_objective`` when it took up
        the start (None when HiGHS did not run, or found nothing).
    bound : float
        A proven upper bound on the best ``objective`` of any ``n`` rows.
    gap : float
        ``(bound - objective) / bound`` (0 when ``bound`` is 0): the answer reaches at least
        ``1 - gap`` of the optimum; 0 when it is proven optimal.
    status : str
        ``"optimal"`` or ``"time_limit"`` (the best found when the time ran out).
    seconds : float
        The solver's own run time; 0 when the reduced model left nothing to solve.
    """

    chosen: IntArray
    gains: FloatArray
    covered: BoolArray
    objective: float
    start_objective: float
    first_incumbent: float | None
    bound: float
    gap: float
    status: str
    seconds: float


@dataclass(frozen=True)
class Reduced:
    """The model HiGHS sees: the candidates that can matter x the groups of alike cells.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Kept candidates x cell groups, True where the candidate covers the group's cells.
    weights : ndarray of float
        Per group: the summed weight of its cells.
    rows : ndarray of int
        The original row of each kept candidate.
    representative : ndarray of int
        Per original row: the kept candidate (index into ``rows``) that covers the same
        cells of the model, -1 for rows left out.
    cells : int
        Cells left in the model before the alike ones were merged into groups.
    """

    matrix: sparse.csr_matrix
    weights: FloatArray
    rows: IntArray
    representative: IntArray
    cells: int


def _alike(matrix: sparse.csr_matrix) -> IntArray:
    """A label per row of a CSR matrix with sorted indices: rows with the same columns share one.

    Labels are numbered in order of first appearance, so label ``k``'s first row is the
    ``k``-th of ``np.unique(labels, return_index=True)[1]``.
    """
    indptr, indices = matrix.indptr, matrix.indices
    seen: dict[bytes, int] = {}
    labels = np.empty(matrix.shape[0], dtype=np.intp)
    for i in range(matrix.shape[0]):
        labels[i] = seen.setdefault(indices[indptr[i] : indptr[i + 1]].tobytes(), len(seen))
    return labels


def reduce_model(
    coverage: sparse.csr_matrix, weights: npt.ArrayLike, blocked: npt.ArrayLike | None = None
) -> Reduced:
    """The model with the same optimum and fewer rows and columns (see the module text).

    Parameters
    ----------
    coverage : sparse matrix, candidates x cells
        True where a candidate covers a cell.
    weights : array of float, one per cell
        What newly covering each cell is worth; 0 for cells already covered.
    blocked : array of bool, one per candidate, optional
        Candidates that may not be chosen (forbidden, or already fixed open).

    Returns
    -------
    Reduced
        The smaller model and the way back to the original rows.

    Examples
    --------
    >>> from scipy.sparse import csr_matrix
    >>> coverage = csr_matrix([[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0]], dtype=bool)
    >>> reduced = reduce_model(coverage, [1.0, 1.0, 2.0, 4.0])
    >>> reduced.rows.tolist(), reduced.weights.tolist(), reduced.representative.tolist()
    ([0, 2], [1.0, 1.0, 2.0], [0, 0, 1])
    """
    matrix = _as_csr(coverage).astype(bool)
    w = _weights(weights, matrix.shape[1])
    allowed = np.flatnonzero(~_mask(blocked, matrix.shape[0], "blocked"))
    sub = matrix[allowed]
    live = (w > 0) & covered_by(sub)
    sub = sub[:, np.flatnonzero(live)].tocsr()
    sub.sort_indices()
    reaching = sub.getnnz(axis=1) > 0
    allowed, sub = allowed[reaching], sub[reaching]

    labels = _alike(sub)
    _, first = np.unique(labels, return_index=True)
    representative = np.full(matrix.shape[0], -1, dtype=np.intp)
    representative[allowed] = labels
    sub = sub[first]

    by_cell = sub.T.tocsr()
    by_cell.sort_indices()
    groups = _alike(by_cell)
    _, cell_first = np.unique(groups, return_index=True)
    group_weights = np.bincount(groups, weights=w[live], minlength=cell_first.size)
    grouped = sparse.csr_matrix(by_cell[cell_first].T, dtype=bool)
    grouped.sort_indices()
    return Reduced(
        grouped,
        group_weights.astype(np.float64),
        allowed[first],
        representative,
        int(live.sum()),
    )


def _highspy() -> Any:
    """The ``highspy`` module; missing, a LocatorError saying what to install."""
    try:
        import highspy
    except ImportError:
        msg = "exact=True needs HiGHS: pip install highspy (or leave exact=False for the greedy)"
        raise LocatorError(msg) from None
    return highspy


def _new_highs() -> Any:
    """A silent HiGHS solver."""
    highspy = _highspy()
    # The first solver of a process writes HiGHS's banner to the process's own stdout (C
    # level, out of reach of sys.stdout); the library never prints, so that goes to devnull.
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no stdout to guard
        solver = highspy.Highs()
    else:
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                solver = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    solver.setOptionValue("output_flag", False)
    return solver


def _model(reduced: Reduced, n: int) -> Any:
    """The HiGHS model of the reduced problem: columns x (candidates), then y (groups)."""
    highspy = _highspy()

    k, g = reduced.matrix.shape
    # Rows 0..g-1: y_g - (x covering g) <= 0; row g: sum x <= n.
    x_part = sparse.vstack([-reduced.matrix.T.astype(np.float64), np.ones((1, k))])
    y_part = sparse.vstack([sparse.identity(g), sparse.csr_matrix((1, g))])
    a = sparse.hstack([x_part, y_part]).tocsc()
    a.sort_indices()

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = k + g, g + 1
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate((np.zeros(k), reduced.weights))
    lp.col_lower_ = np.zeros(k + g)
    lp.col_upper_ = np.ones(k + g)
    lp.row_lower_ = np.full(g + 1, -highspy.kHighsInf)
    lp.row_upper_ = np.concatenate((np.zeros(g), [float(n)]))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = k + g, g + 1
    lp.integrality_ = [highspy.HighsVarType.kInteger] * k + [highspy.HighsVarType.kContinuous] * g
    return lp


def _start_values(reduced: Reduced, start: IntArray) -> FloatArray:
    """The start as values of every column of the model (x, then y)."""
    k, g = reduced.matrix.shape
    x = np.zeros(k)
    picked = reduced.representative[start]
    x[picked[picked >= 0]] = 1.0
    y = covered_by(reduced.matrix, np.flatnonzero(x)).astype(np.float64)
    return np.concatenate((x, y))


@dataclass(frozen=True)
class _Run:
    """What one HiGHS run gives back."""

    chosen: IntArray  # original row numbers
    bound: float  # inf when HiGHS proved none
    status: str
    seconds: float
    first_incumbent: float | None


def _solve(reduced: Reduced, n: int, start: IntArray, time_limit_s: float) -> _Run:
    """Run HiGHS on the reduced model from ``start``."""
    solver = _new_highs()
    highspy = _highspy()
    solver.setOptionValue("time_limit", float(time_limit_s))
    solver.setOptionValue("mip_rel_gap", 0.0)  # "optimal" means optimal, not within 0.01 %
    solver.passModel(_model(reduced, n))
    warm = highspy.HighsSolution()
    warm.col_value = _start_values(reduced, start).tolist()
    warm.value_valid = True
    solver.setSolution(warm)
    incumbents: list[float] = []
    solver.cbMipImprovingSolution.subscribe(
        lambda event: incumbents.append(float(event.data_out.objective_function_value))
    )
    solver.run()
    name = solver.getModelStatus().name
    if name == "kMemoryLimit":
        msg = "the exact siting model does not fit in memory: give fewer candidates or leave exact=False"
        raise ResourceLimitError(msg)
    if name not in _ANSWERED:
        text = solver.modelStatusToString(solver.getModelStatus())
        msg = (
            f"HiGHS stopped on the exact siting model without an answer ({text}); "
            "leave exact=False for the greedy answer"
        )
        raise LocatorError(msg)
    info = solver.getInfo()
    chosen = np.zeros(0, dtype=np.intp)
    if info.primal_solution_status == 2:  # a feasible solution is at hand
        values = np.asarray(solver.getSolution().col_value[: reduced.matrix.shape[0]])
        chosen = reduced.rows[np.flatnonzero(values > 0.5)]
    return _Run(
        chosen,
        float(info.mip_dual_bound),
        _ANSWERED[name],
        float(solver.getRunTime()),
        incumbents[0] if incumbents else None,
    )


def _rows(value: npt.ArrayLike | None, size: int, name: str) -> IntArray:
    rows = np.zeros(0, dtype=np.intp) if value is None else np.asarray(value).ravel()
    if rows.size and not np.issubdtype(rows.dtype, np.integer):
        msg = f"{name} must hold row numbers of the coverage matrix (whole numbers)"
        raise ValidationError(msg)
    rows = rows.astype(np.intp)
    if np.unique(rows).size != rows.size or ((rows < 0) | (rows >= size)).any():
        msg = f"{name} must hold distinct row numbers of the coverage matrix (0 to {size - 1})"
        raise ValidationError(msg)
    return rows


def _cheap_bound(reduced: Reduced, n: int, start: IntArray) -> float:
    """A bound proven without search, from coverage being submodular.

    For any set S, no n rows cover more than S covers plus the n largest gains single rows
    would add to S (Nemhauser, Wolsey and Fisher 1978); S empty gives the n largest rows
    alone, S the start is often tighter. Nor do they cover more than all cells left.
    """
    matrix = reduced.matrix.astype(np.float64)
    bound = float(reduced.weights.sum())
    k = reduced.matrix.shape[0]
    for covered in (np.zeros(reduced.weights.size), _start_values(reduced, start)[k:]):
        gains = np.sort(matrix @ (reduced.weights * (1.0 - covered)))[::-1]
        bound = min(bound, float(reduced.weights @ covered) + float(gains[:n].sum()))
    return bound


def solve_mclp(
    coverage: sparse.csr_matrix,
    weights: npt.ArrayLike,
    n: int,
    *,
    time_limit_s: float | None = None,
    start: npt.ArrayLike | None = None,
    fixed: npt.ArrayLike | None = None,
    forbidden: npt.ArrayLike | None = None,
) -> ExactResult:
    """Pick at most ``n`` candidates (rows) covering the most weight: the exact MCLP.

    Parameters
    ----------
    coverage : sparse matrix, candidates x cells
        True where a candidate covers a cell (:func:`~locator.planning._cover.coverage_sets`).
    weights : array of float, one per cell
        What newly covering each cell is worth (residents), at least 0; 0 for cells that
        existing outlets already cover, which so add nothing.
    n : int
        How many candidates to pick at most, beyond ``fixed``.
    time_limit_s : float, optional
        Seconds HiGHS may take (``settings.exact_time_limit_s`` when None); then the best
        answer found so far is returned with ``status`` ``"time_limit"`` and its ``gap``.
    start : array of int, optional
        Rows of a starting answer (at most ``n``), HiGHS's first incumbent; by default the
        greedy answer (:func:`~locator.planning._cover.greedy_max_cover`). The answer never
        covers less than the start.
    fixed : array of int, optional
        Rows open whatever is chosen (the rule repair): what they cover adds nothing.
    forbidden : array of bool, one per candidate, optional
        Candidates that may not be chosen.

    Returns
    -------
    ExactResult
        The chosen rows in order of marginal gain, the bound, gap and status.
    """
    matrix = _as_csr(coverage).astype(bool)
    m, cells = matrix.shape
    n = check_count(n, "n")
    limit = check_positive(
        settings.exact_time_limit_s if time_limit_s is None else time_limit_s, "time_limit_s"
    )
    fixed_rows = _rows(fixed, m, "fixed")
    open_cells = covered_by(matrix, fixed_rows)
    w = _weights(weights, cells, open_cells)
    blocked = _mask(forbidden, m, "forbidden").copy()
    blocked[fixed_rows] = True
    if start is None:
        start_rows, _ = greedy_max_cover(matrix, w, n, forbidden=blocked)
    else:
        start_rows = _rows(start, m, "start")
        if start_rows.size > n or blocked[start_rows].any():
            msg = f"start must hold at most n={n} rows, none of them forbidden or fixed"
            raise ValidationError(msg)
    start_objective = float(w[covered_by(matrix, start_rows)].sum())

    reduced = reduce_model(matrix, w, blocked)
    run = _Run(start_rows, 0.0, "optimal", 0.0, None)  # nothing left to choose
    if n and reduced.matrix.nnz:
        run = _solve(reduced, n, start_rows, limit)
    bound = min(run.bound, _cheap_bound(reduced, n, start_rows))
    chosen = run.chosen
    # Should the time run out before HiGHS took up the start, the start stands.
    if float(w[covered_by(matrix, chosen)].sum()) < start_objective:
        chosen = start_rows

    order, gains = greedy_max_cover(matrix[chosen], w, chosen.size)
    chosen = chosen[order]
    objective = float(gains.sum())
    bound = max(bound, objective)  # the solver's tolerances may leave it a hair below
    gap = (bound - objective) / bound if bound > 0 else 0.0
    if run.status == "optimal":
        gap = 0.0 if math.isclose(objective, bound, rel_tol=1e-9, abs_tol=1e-6) else gap
    return ExactResult(
        chosen=chosen,
        gains=gains,
        covered=open_cells | covered_by(matrix, chosen),
        objective=objective,
        start_objective=start_objective,
        first_incumbent=run.first_incumbent,
        bound=bound,
        gap=gap,
        status=run.status,
        seconds=run.seconds,
    )
