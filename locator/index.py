"""The nearest-outlet index: exact great-circle k-NN and radius queries, by task and bank.

A scikit-learn BallTree over 3-D unit vectors answers with chord lengths, which
convert exactly to great-circle distances (see :mod:`locator.distance`); it is
several times faster than ``BallTree(metric="haversine")`` for the same answer
(``benchmarks/bench_index.py``). Filters are applied *before* the search, with
one sub-tree per (task, bank) built on first use, so a filtered query never
returns fewer than ``k`` outlets while ``k`` suitable ones exist.

Which outlets suit, over a registry of both layers (`locator.datasets.registry`):

================================ ==================================================
query                            searches
================================ ==================================================
no task, no bank                 the one-stop outlets (what the published figures count)
a one-stop task                  the one-stop outlets that list it, whatever the bank
an own-bank task and its bank    every branch of that bank (one-stop or ``branch``)
                                 that lists it
no task, a bank                  every branch of that bank, of either kind
================================ ==================================================

Every answer keeps the registry's ``kind``, so the caller can say which kind each is.

Examples
--------
>>> from locator import datasets
>>> index = OutletIndex(datasets.registry())
>>> found = index.nearest(lon=112.549, lat=37.857, k=3, task="reset_card_pin")
>>> list(found["kind"].unique()), bool(found["distance_km"].is_monotonic_increasing)
(['government'], True)
>>> mine = index.nearest(lon=111.5, lat=36.0, k=1, task="activate_finance", bank="招行")
>>> mine[["bank", "kind"]].iloc[0].tolist()
['招商银行', 'branch']
>>> d, pos = index.query(lon=[112.5, 113.0], lat=[37.8, 38.0], k=2)
>>> d.shape, pos.shape
((2, 2), (2, 2))
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.neighbors import BallTree

from locator import hours, settings
from locator._errors import BankRequiredError, ResourceLimitError, ValidationError
from locator._typing import BoolArray, FloatArray, IntArray
from locator._validate import check_columns, check_k, check_lonlat_arrays, check_positive
from locator.banks import BANK_NAMES, normalize_bank
from locator.distance import chord_to_km, km_to_chord, unit_vectors
from locator.registry import load_outlets, parse_services
from locator.tasks import Task, get_task

__all__ = ["OutletIndex"]


_SORT_FROM = 4096
# Largest (points x k) answer of one query: 50 million distances and positions, 800 MB.
_MAX_ANSWERS = 50_000_000


def _spread_bits(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Interleave zeros between the low 16 bits of ``v`` (for a Morton code)."""
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    return (v | (v << np.uint64(1))) & np.uint64(0x55555555)


def _spatial_order(lon: FloatArray, lat: FloatArray) -> IntArray:
    """Permutation that sorts points along a Z-order (Morton) curve over their bounding box."""
    cells = []
    for values in (lon, lat):
        span = float(np.ptp(values)) or 1.0
        cells.append(((values - values.min()) * (65535.0 / span)).astype(np.uint64))
    return np.argsort(_spread_bits(cells[0]) | (_spread_bits(cells[1]) << np.uint64(1)))


def _checked_outlets(outlets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The outlets in EPSG:4326, after checking what the index needs of them."""
    if not isinstance(outlets, gpd.GeoDataFrame):
        msg = (
            f"outlets is a {type(outlets).__name__}, not a GeoDataFrame; "
            "give locator.datasets.registry() or load_outlets(path)"
        )
        raise ValidationError(msg)
    check_columns(outlets.columns, ("kind", "bank", "services"), "outlets")
    if outlets.crs is not None and outlets.crs.to_epsg() != 4326:
        outlets = outlets.to_crs("EPSG:4326")
    geometry = outlets.geometry
    not_point = (geometry.isna() | (geometry.geom_type != "Point") | geometry.is_empty).to_numpy()
    if not_point.any():
        row = int(np.flatnonzero(not_point)[0])
        msg = f"outlets: row {row + 1}: the geometry is not a point; every outlet needs one"
        raise ValidationError(msg)
    lon = geometry.x.to_numpy(dtype=np.float64)
    lat = geometry.y.to_numpy(dtype=np.float64)
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (
            f"outlets: row {row + 1}: ({lon[row]}, {lat[row]}) is not a lon, lat in decimal "
            f"degrees (-180..180, -90..90); {int(bad.sum())} row(s) in all"
        )
        raise ValidationError(msg)
    return outlets


def _bank(value: Any, row: int) -> str | None:
    """The canonical partner-bank name of one outlet (None for no bank)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return normalize_bank(value)
        except ValidationError as error:
            msg = f"outlets: row {row + 1}: {error}"
            raise ValidationError(msg) from None
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    msg = f"outlets: row {row + 1}: bank {value!r} must be a bank name (text) or empty"
    raise ValidationError(msg)


class OutletIndex:
    """Exact nearest-outlet queries over a registry.

    Parameters
    ----------
    outlets : geopandas.GeoDataFrame
        Outlet points in EPSG:4326 with ``kind``, ``bank`` and ``services`` columns,
        as returned by :func:`locator.registry.load_outlets` or
        :func:`locator.datasets.registry` (one-stop outlets and ordinary branches).
    leaf_size : int
        BallTree leaf size.

    Notes
    -----
    Positions returned by :meth:`query` and :meth:`query_radius` are row positions
    in ``outlets`` (use ``outlets.iloc``). The index never modifies ``outlets``.
    """

    def __init__(self, outlets: gpd.GeoDataFrame, *, leaf_size: int = 10) -> None:
        outlets = _checked_outlets(outlets)
        self.outlets = outlets
        self.lon: FloatArray = outlets.geometry.x.to_numpy(dtype=np.float64)
        self.lat: FloatArray = outlets.geometry.y.to_numpy(dtype=np.float64)
        self._xyz = unit_vectors(self.lon, self.lat)
        self._leaf_size = leaf_size
        self._services = []
        for row, value in enumerate(outlets["services"]):
            try:
                self._services.append(set(parse_services(value)))
            except ValidationError as error:
                msg = f"outlets: row {row + 1}: {error}"
                raise ValidationError(msg) from None
        self._banks = np.array([_bank(b, row) for row, b in enumerate(outlets["bank"])], object)
        # Anything but an ordinary branch counts as one-stop (ONE_STOP_KINDS in a checked registry).
        self._one_stop = outlets["kind"].to_numpy(dtype=object) != "branch"
        self._trees: dict[tuple[str | None, str | None], tuple[IntArray, BallTree | None]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | str) -> OutletIndex:
        """Build the index over a registry file (`locator.registry.load_outlets`).

        Examples
        --------
        >>> from locator import datasets
        >>> len(OutletIndex.from_file(datasets.get_path("outlets")))
        1443
        """
        return cls(load_outlets(path))

    def __len__(self) -> int:
        return len(self.lon)

    def _has(self, flag: str) -> BoolArray:
        """The outlets with equipment ``flag``: its column, else the task code in ``services``."""
        if flag in self.outlets.columns:
            return self.outlets[flag].fillna(False).astype(bool).to_numpy()
        return np.fromiter((flag in s for s in self._services), bool, len(self))

    def filtered(
        self,
        *,
        open_at: dt.datetime | None = None,
        weekends: bool = False,
        instant_issue: bool = False,
        transit_topup: bool = False,
    ) -> OutletIndex:
        """The index of the outlets every filter asked for keeps.

        Outlets whose hours are unknown are kept by the hours filters (and marked by
        `locator.hours.hours_status`): unknown is shown, never hidden. Filtering before the
        search means ``k`` suitable outlets are found while ``k`` exist.

        Parameters
        ----------
        open_at : datetime.datetime or None
            Keep the outlets open at this moment (naive: Asia/Shanghai time), on China's
            official calendar (`locator.hours.open_or_unknown`); None: no hours filter.
        weekends : bool
            Keep the outlets open on ordinary Saturdays or Sundays (`locator.hours.open_at_weekends`).
        instant_issue, transit_topup : bool
            Keep the outlets that issue cards while you wait (立等可取), or top up the
            transport function (交通一卡通).

        Returns
        -------
        OutletIndex
            ``self`` when nothing is filtered out; otherwise a new index over the rows kept,
            in their order.

        Examples
        --------
        >>> from locator import datasets
        >>> index = OutletIndex(datasets.registry())
        >>> index.filtered() is index, len(index.filtered(transit_topup=True))
        (True, 443)
        """
        keep = np.ones(len(self), dtype=bool)
        if open_at is not None:
            keep &= hours.open_or_unknown(self.outlets, open_at)
        if weekends:
            keep &= hours.open_at_weekends(self.outlets)
        for flag, wanted in (("instant_issue", instant_issue), ("transit_topup", transit_topup)):
            if wanted:
                keep &= self._has(flag)
        return self if keep.all() else self._subset(keep)

    def _subset(self, keep: BoolArray) -> OutletIndex:
        """The index of the rows ``keep`` selects, from this one's checked arrays (no re-checks)."""
        sub = copy.copy(self)
        sub.outlets = self.outlets[keep]
        sub.lon, sub.lat, sub._xyz = self.lon[keep], self.lat[keep], self._xyz[keep]
        sub._services = [s for s, kept in zip(self._services, keep, strict=True) if kept]
        sub._banks, sub._one_stop = self._banks[keep], self._one_stop[keep]
        sub._trees, sub._lock = {}, threading.Lock()
        return sub

    def _key(self, task: str | None, bank: str | None) -> tuple[str | None, str | None]:
        """Resolve a (task, bank) filter; the bank counts only where it restricts the answer."""
        task_obj: Task | None = get_task(task) if task is not None else None
        bank_name = normalize_bank(bank) if bank is not None else None
        if task_obj is not None and task_obj.own_bank and bank_name is None:
            msg = (
                f"task {task_obj.code!r} needs a branch of the bank printed on the card: "
                f"give bank=<its name>, one of {', '.join(BANK_NAMES)}"
            )
            raise BankRequiredError(msg)
        if task_obj is not None and not task_obj.own_bank:
            bank_name = None  # any outlet that does the task will do, whatever the card's bank
        return (task_obj.code if task_obj else None, bank_name)

    def positions(self, *, task: str | None = None, bank: str | None = None) -> IntArray:
        """Row positions of the outlets that can serve ``task`` for a card of ``bank``.

        ``bank`` restricts the answer when the task needs the card's own bank, or when
        no task is given (then: all branches of that bank, of either kind). Ordinary
        branches (``kind`` ``branch``) suit only a task whose kinds include them, or a
        bank without a task; with neither, the one-stop outlets suit.

        Examples
        --------
        >>> from locator import datasets
        >>> index = OutletIndex(datasets.registry())
        >>> len(index.positions()), len(index.positions(bank="工行")) > 100
        (1443, True)
        """
        return self._tree(self._key(task, bank))[0]

    def _kind_mask(self, task_code: str | None, bank_name: str | None) -> BoolArray:
        """The rows whose kind may serve: ordinary branches only for their own bank's tasks."""
        if task_code is None:
            branches_too = bank_name is not None
        else:
            branches_too = "branch" in get_task(task_code).kinds
        return np.ones(len(self), dtype=bool) if branches_too else self._one_stop.copy()

    def _tree(self, key: tuple[str | None, str | None]) -> tuple[IntArray, BallTree | None]:
        with self._lock:
            if key not in self._trees:
                task_code, bank_name = key
                mask = self._kind_mask(task_code, bank_name)
                if task_code is not None:
                    mask &= np.fromiter((task_code in s for s in self._services), bool, len(self))
                if bank_name is not None:
                    mask &= self._banks == bank_name
                positions = np.flatnonzero(mask).astype(np.intp)
                tree = (
                    BallTree(self._xyz[positions], leaf_size=self._leaf_size)
                    if positions.size
                    else None
                )
                self._trees[key] = (positions, tree)
            return self._trees[key]

    def query(
        self,
        *,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        k: int = 1,
        task: str | None = None,
        bank: str | None = None,
    ) -> tuple[FloatArray, IntArray]:
        """The ``k`` nearest suitable outlets of every point, vectorized.

        Returns
        -------
        distance_km, positions : ndarray of shape (n_points, min(k, n_suitable)) (at least 1 column)
            Sorted by distance. ``k`` is capped at the number of suitable outlets, so
            a huge ``k`` costs no memory; where no outlet suits, the one column holds
            ``inf`` and ``-1``.

        Raises
        ------
        ResourceLimitError
            When the answer would hold more than ``_MAX_ANSWERS`` distances: ask for
            fewer points at a time, or a smaller ``k``.
        """
        k = check_k(k)
        lon_a, lat_a = check_lonlat_arrays(lon, lat)
        positions, tree = self._tree(self._key(task, bank))
        width = max(1, min(k, positions.size))
        if lon_a.size * width > _MAX_ANSWERS:
            msg = (
                f"k={k} nearest of {lon_a.size:,} points is {lon_a.size * width:,} distances, "
                f"more than {_MAX_ANSWERS:,}: query fewer points at a time or a smaller k"
            )
            raise ResourceLimitError(msg)
        distance = np.full((lon_a.size, width), np.inf)
        found = np.full((lon_a.size, width), -1, dtype=np.intp)
        if tree is None or lon_a.size == 0:
            return distance, found
        k_found = min(k, positions.size)
        # Queries in space-filling-curve order walk the tree along warm cache lines.
        order = _spatial_order(lon_a, lat_a) if lon_a.size >= _SORT_FROM else slice(None)
        chord, local = tree.query(unit_vectors(lon_a[order], lat_a[order]), k=k_found)
        distance[order, :k_found] = chord_to_km(chord)
        found[order, :k_found] = positions[local]
        return distance, found

    def query_radius(
        self,
        *,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        radius_km: float,
        task: str | None = None,
        bank: str | None = None,
    ) -> tuple[list[IntArray], list[FloatArray]]:
        """Every suitable outlet within ``radius_km`` of each point, nearest first."""
        radius_km = check_positive(radius_km, "radius_km")
        lon_a, lat_a = check_lonlat_arrays(lon, lat)
        positions, tree = self._tree(self._key(task, bank))
        if tree is None:
            empty = [np.empty(0, dtype=np.intp) for _ in range(lon_a.size)]
            return empty, [np.empty(0) for _ in range(lon_a.size)]
        local, chord = tree.query_radius(
            unit_vectors(lon_a, lat_a),
            r=float(km_to_chord(radius_km)),
            return_distance=True,
            sort_results=True,
        )
        return [positions[i] for i in local], [chord_to_km(c) for c in chord]

    def _frame(self, positions: IntArray, distance_km: FloatArray) -> pd.DataFrame:
        found = self.outlets.iloc[positions]
        # lon, lat and distance_km are the index's own; a registry column of the same
        # name (e.g. a table written from an earlier answer) would clash with them.
        derived = [c for c in ("lon", "lat", "distance_km") if c in found.columns]
        frame = pd.DataFrame(found.drop(columns=[found.geometry.name, *derived]))
        frame.insert(len(frame.columns), "lon", self.lon[positions])
        frame.insert(len(frame.columns), "lat", self.lat[positions])
        frame["distance_km"] = distance_km
        return frame.reset_index(drop=True)

    def nearest(
        self,
        *,
        lon: float,
        lat: float,
        k: int | None = None,
        task: str | None = None,
        bank: str | None = None,
    ) -> pd.DataFrame:
        """The ``k`` nearest suitable outlets of one point, as a table sorted by distance.

        Columns are the registry's (without geometry) plus ``lon``, ``lat`` and
        ``distance_km``; fewer than ``k`` rows only when fewer outlets suit.
        """
        k = settings.default_k if k is None else k
        distance, found = self.query(lon=[lon], lat=[lat], k=k, task=task, bank=bank)
        keep = found[0] >= 0
        return self._frame(found[0][keep], distance[0][keep])

    def within(
        self,
        *,
        lon: float,
        lat: float,
        radius_km: float,
        task: str | None = None,
        bank: str | None = None,
    ) -> pd.DataFrame:
        """Every suitable outlet within ``radius_km`` of one point, nearest first."""
        found, distance = self.query_radius(
            lon=[lon], lat=[lat], radius_km=radius_km, task=task, bank=bank
        )
        return self._frame(found[0], distance[0])
