"""Merge two outlet registries without losing or duplicating an outlet.

The usual case: the one-stop registry (government halls and one-stop bank outlets), and a
bank's own list of its branches imported with ``kind="branch"``. Many branches on the
bank's list are one-stop outlets already; each of them must stay one outlet, the one-stop
one. Every outlet of either input is in the result or named in the report:
``len(base) + len(new) == len(merged) + duplicates``.

Two rows are the same outlet when they are
- bank outlets (``bank`` or ``branch``) of the same partner bank within
  ``settings.merge_distance_m`` (50 m), or with the same name in the same county, or with
  the same id and name;
- government halls with the same name, and in the same county, within that distance or
  with the same id.

An id alone does not tell: an import makes ids of county and row number.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator._validate import check_positive
from locator.distance import haversine_km, unit_vectors
from locator.importer._rows import close_pairs, fold_name
from locator.tasks import ONE_STOP_KINDS

__all__ = ["MERGE_REASONS", "MERGE_REPORT_COLUMNS", "MergeResult", "merge_registry"]

#: Reason codes of the merge report, and what each means.
MERGE_REASONS: dict[str, str] = {
    "merged_into_one_stop": "an ordinary branch that is a one-stop outlet of the same bank (same name in the county, or within the merge distance): the one-stop outlet stays, the branch is not added again (merged)",
    "already_in_registry": "the same outlet is already in the registry (same id and name, same bank within the merge distance, or same name in the county): not added again (merged)",
    "id_clash": "a new outlet's id is taken by another outlet: it gets the new id named (warning, kept)",
    "no_one_stop": "the merged registry holds no one-stop outlet: the planning functions refuse it (warning)",
}  # fmt: skip
MERGE_REPORT_COLUMNS: tuple[str, ...] = ("row", "level", "reason", "side", "id", "name", "kind", "bank", "other_id", "other_name", "distance_m", "new_id", "message")  # fmt: skip
_DUPLICATES = ("merged_into_one_stop", "already_in_registry")
_NEEDED = ("id", "name", "kind", "bank", "county_adcode")


class MergeResult(NamedTuple):
    """What `merge_registry` gives: the merged registry and the report of what was merged.

    Unpacks as ``merged, report = merge_registry(base, new)``. ``merged.attrs["metadata"]
    ["merge"]`` holds the counts: ``base + new == merged + merged_into_one_stop +
    already_in_registry``.
    """

    outlets: gpd.GeoDataFrame
    report: pd.DataFrame

    def summary(self, lang: str = "zh") -> str:
        """One line with the counts, in ``lang`` (``zh`` or ``en``)."""
        n = self.outlets.attrs["metadata"]["merge"]
        one_stop, repeat, renamed = n["merged_into_one_stop"], n["already_in_registry"], n["id_clash"]  # fmt: skip
        if lang == "en":
            return (
                f"merge: {n['base']} in the registry + {n['new']} new = {n['merged']} merged "
                f"+ {one_stop + repeat} duplicates ({one_stop} merged into one-stop outlets, "
                f"{repeat} already in the registry); {renamed} given a new id"
            )
        return (
            f"合并：原名录 {n['base']} + 新增 {n['new']} = 合并后 {n['merged']} + 重复 "
            f"{one_stop + repeat}（并入一站式网点 {one_stop}，已在名录中 {repeat}）；"
            f"重新编号 {renamed}"
        )


def _check_frame(frame: Any, name: str) -> gpd.GeoDataFrame:
    """A registry frame with the columns a merge compares, in WGS-84 lon/lat."""
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{name} is a {type(frame).__name__}, not a registry GeoDataFrame: read it with locator.load_outlets or import it with locator.import_registry"  # fmt: skip
        raise ValidationError(msg)
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        msg = f"{name} lacks the registry column(s) {', '.join(missing)}: read it with locator.load_outlets or import it with locator.import_registry"  # fmt: skip
        raise ValidationError(msg)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        msg = f"{name} is in {frame.crs.to_string()}, not WGS-84 lon/lat: give {name}.to_crs(4326)"
        raise ValidationError(msg)
    if len(frame) and not (frame.geometry.geom_type == "Point").all():
        msg = f"{name} holds geometries that are not points: a registry holds one point per outlet"
        raise ValidationError(msg)
    return frame


class _Outlets:
    """The rows of both inputs side by side (base first), with what the matching compares."""

    def __init__(self, both: gpd.GeoDataFrame, n_base: int, distance_m: float) -> None:
        self.n_base = n_base
        self.ids = both["id"].astype(str).tolist()
        self.names = [fold_name(str(v)) for v in both["name"]]
        self.kinds = both["kind"].tolist()
        self.banks = [b if isinstance(b, str) else None for b in both["bank"]]
        self.counties = [c if isinstance(c, str) else None for c in both["county_adcode"]]
        self.lon, self.lat = both.geometry.x.to_numpy(), both.geometry.y.to_numpy()
        self.near: dict[int, dict[int, float]] = defaultdict(dict)
        xyz = unit_vectors(self.lon, self.lat) * (settings.earth_radius_km * 1000.0)
        # Chords are shorter than arcs: every pair within the distance is among these.
        for i, j in close_pairs(xyz, distance_m * 1.001):
            metres = float(haversine_km(self.lon[i], self.lat[i], self.lon[j], self.lat[j])) * 1000  # fmt: skip
            if metres <= distance_m:
                self.near[i][j] = self.near[j][i] = metres
        self.by_name: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.by_id: dict[str, list[int]] = defaultdict(list)
        for i in range(len(self.ids)):
            self.by_name[self._name_key(i)].append(i)
            self.by_id[self.ids[i]].append(i)

    def _group(self, i: int) -> str:
        return "government" if self.kinds[i] == "government" else f"bank {self.banks[i]}"

    def _name_key(self, i: int) -> tuple[str, ...]:
        return (self._group(i), self.names[i], self.counties[i] or "")

    def metres(self, i: int, j: int) -> float:
        """Great-circle distance between rows ``i`` and ``j``, in metres."""
        return self.near[i].get(j) or float(haversine_km(self.lon[i], self.lat[i], self.lon[j], self.lat[j])) * 1000  # fmt: skip

    def same_as(self, i: int, alive: np.ndarray) -> int | None:
        """The row in the registry so far that is the same outlet as row ``i``, or None.

        A one-stop row is preferred to a branch, then the nearer one.
        """
        group = self._group(i)
        found = {j for j in self.by_name[self._name_key(i)] if alive[j]}
        found |= {j for j in self.by_id[self.ids[i]] if alive[j] and self._group(j) == group and self.names[j] == self.names[i]}  # fmt: skip
        found |= {j for j in self.near[i] if alive[j] and self._group(j) == group and (group != "government" or self.names[j] == self.names[i])}  # fmt: skip
        found.discard(i)
        if not found:
            return None
        return min(found, key=lambda j: (self.kinds[j] not in ONE_STOP_KINDS, self.metres(i, j), j))  # fmt: skip


def merge_registry(
    base: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, distance_m: float | None = None
) -> MergeResult:
    """Merge ``new`` into ``base``: every outlet kept once, every merged one reported.

    Each row of ``new`` (its one-stop outlets first, then its ordinary branches, each in
    order) is compared with the registry so far (``base`` and the new rows added before it). When it is an outlet already there (see the module's
    docstring for "the same outlet"), it is not added: ``merged_into_one_stop`` when it is an
    ordinary branch and the outlet there a one-stop outlet of its bank, else
    ``already_in_registry``. A one-stop outlet of ``new`` that is an ordinary branch in
    ``base`` replaces that branch (``merged_into_one_stop``, reported on the branch). An
    added row whose id is taken gets ``ID-2`` (``-3`` ...; ``id_clash``). Merging the
    result with ``new`` again adds nothing.

    Parameters
    ----------
    base : GeoDataFrame
        The registry to merge into, e.g. ``locator.datasets.outlets()`` or ``load_outlets``.
    new : GeoDataFrame
        The outlets to add, e.g. ``import_registry(..., kind="branch", bank="工行").outlets``.
    distance_m : float, optional
        Bank outlets of one bank this close are the same outlet (default
        ``settings.merge_distance_m``, 50 m).

    Returns
    -------
    MergeResult
        ``outlets``: base's rows (less the branches a new one-stop outlet replaced), then
        the added rows, EPSG:4326; ``report``: one row per merged outlet or new id, columns
        :data:`MERGE_REPORT_COLUMNS` (``side``: ``base`` or ``new``, ``row``: the imported
        file's row when known, ``other_id``: the outlet it was merged with).

    Raises
    ------
    ValidationError
        When ``base`` or ``new`` is no registry frame, or ``distance_m`` is not above 0.

    Examples
    --------
    >>> from locator import datasets
    >>> one_stop = datasets.outlets()
    >>> icbc = one_stop[one_stop["bank"] == "中国工商银行"].head(2).assign(kind="branch", id=["a", "b"])
    >>> merged, report = merge_registry(one_stop, icbc)
    >>> len(merged), report["reason"].tolist()
    (1443, ['merged_into_one_stop', 'merged_into_one_stop'])
    """
    distance = check_positive(settings.merge_distance_m if distance_m is None else distance_m, "distance_m")  # fmt: skip
    base, new = _check_frame(base, "base"), _check_frame(new, "new")
    if base["id"].astype(str).duplicated().any():
        first = base.loc[base["id"].astype(str).duplicated(), "id"].iloc[0]
        msg = f"base uses id {first!r} for more than one outlet: ids must be unique; read it with locator.load_outlets, which says where"  # fmt: skip
        raise ValidationError(msg)
    both = pd.concat([base.to_crs(4326) if base.crs else base, new.to_crs(4326) if new.crs else new], ignore_index=True)  # fmt: skip
    both = gpd.GeoDataFrame(both, geometry=both.geometry.name, crs="EPSG:4326")
    rows = _Outlets(both, len(base), distance)
    alive = np.zeros(len(both), dtype=bool)
    alive[: len(base)] = True
    final_ids = list(rows.ids)
    entries = _merge_rows(rows, both, alive, final_ids)
    merged = both[alive].copy()
    merged["id"] = [final_ids[i] for i in np.flatnonzero(alive)]
    merged = merged.reset_index(drop=True)
    if "source_row" in merged.columns:
        merged["source_row"] = merged["source_row"].astype("Int64")
    if len(merged) and not merged["kind"].isin(ONE_STOP_KINDS).any():
        message = f"the merged registry holds {len(merged)} ordinary branches and no one-stop outlet: the county rule, coverage and siting refuse it; merge into the one-stop registry"  # fmt: skip
        entries.append({"level": "warning", "reason": "no_one_stop", "message": message})
    report = pd.DataFrame(entries, columns=list(MERGE_REPORT_COLUMNS))
    report["row"] = report["row"].astype("Int64")
    counts = report["reason"].value_counts()
    merged.attrs["metadata"] = _metadata(base, new, merged, counts)
    return MergeResult(merged, report)


def _merge_rows(
    rows: _Outlets, both: gpd.GeoDataFrame, alive: np.ndarray, final_ids: list[str]
) -> list[dict[str, Any]]:
    """Add each new row unless it is there already; the report's entries, in order."""
    taken = set(rows.ids)  # every id of either input: a renamed row never takes a later one's
    in_use = set(rows.ids[: rows.n_base])  # the ids of the registry so far (a replaced one too)
    source_rows = both["source_row"].tolist() if "source_row" in both.columns else [None] * len(both)  # fmt: skip

    def entry(i: int, reason: str, other: int | None, message: str) -> dict[str, Any]:
        row = source_rows[i]
        return {
            "row": int(row) if isinstance(row, int | float) and np.isfinite(row) else None,
            "level": "warning" if reason == "id_clash" else "merged",
            "reason": reason,
            "side": "base" if i < rows.n_base else "new",
            "id": rows.ids[i],
            "name": both["name"].iat[i],
            "kind": rows.kinds[i],
            "bank": rows.banks[i],
            "other_id": None if other is None else final_ids[other],
            "other_name": None if other is None else both["name"].iat[other],
            "distance_m": None if other is None else round(rows.metres(i, other), 1),
            "new_id": final_ids[i] if reason == "id_clash" else None,
            "message": message,
        }

    entries: list[dict[str, Any]] = []
    # One-stop outlets first: a branch they replace is gone before any branch is compared
    # with it, so a branch is merged with what stays (and merging again adds nothing).
    added = range(rows.n_base, len(both))
    order = [i for i in added if rows.kinds[i] in ONE_STOP_KINDS] + [i for i in added if rows.kinds[i] not in ONE_STOP_KINDS]  # fmt: skip
    for i in order:
        j = rows.same_as(i, alive)
        if j is not None and not (rows.kinds[j] == "branch" and rows.kinds[i] == "bank"):
            one_stop = rows.kinds[i] == "branch" and rows.kinds[j] == "bank"
            reason = "merged_into_one_stop" if one_stop else "already_in_registry"
            what = "the one-stop outlet" if one_stop else "the outlet"
            entries.append(entry(i, reason, j, f"the same outlet as {what} {final_ids[j]!r} ({both['name'].iat[j]}), {rows.metres(i, j):.0f} m apart; not added again"))  # fmt: skip
            continue
        if rows.ids[i] in in_use:
            final_ids[i] = _free_id(rows.ids[i], taken)
            entries.append(entry(i, "id_clash", None, f"id {rows.ids[i]!r} is taken by another outlet; added as {final_ids[i]!r}"))  # fmt: skip
        alive[i] = True
        in_use.add(final_ids[i])
        if j is not None:  # a one-stop outlet replaces the ordinary branch it is
            alive[j] = False
            entries.append(entry(j, "merged_into_one_stop", i, f"an ordinary branch that is the one-stop outlet {final_ids[i]!r} ({both['name'].iat[i]}), {rows.metres(i, j):.0f} m apart: replaced by it"))  # fmt: skip
    return entries


def _free_id(outlet_id: str, taken: set[str]) -> str:
    """``ID-2``, ``ID-3`` ...: the first not taken (then taken)."""
    k = 2
    while f"{outlet_id}-{k}" in taken:
        k += 1
    taken.add(f"{outlet_id}-{k}")
    return f"{outlet_id}-{k}"


def _metadata(
    base: gpd.GeoDataFrame, new: gpd.GeoDataFrame, merged: gpd.GeoDataFrame, counts: pd.Series
) -> dict[str, Any]:
    """The merged registry's metadata: the base's, the sources, the counts."""
    base_meta = dict(base.attrs.get("metadata") or {})
    new_meta = dict(new.attrs.get("metadata") or {})
    merge = {
        "base": len(base),
        "new": len(new),
        "merged": len(merged),
        **{reason: int(counts.get(reason, 0)) for reason in (*_DUPLICATES, "id_clash")},
        "base_source": base_meta.get("source") or base.attrs.get("source"),
        "new_source": new_meta.get("source") or new.attrs.get("source"),
    }
    sample = bool(base_meta.get("sample")) or bool(new_meta.get("sample"))
    return {**base_meta, "sample": sample, "merge": merge}
