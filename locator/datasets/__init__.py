"""The data shipped with ``locator``, read in one place.

Three files travel inside the package (and stay at the top of the repository, in ``data/``,
where the README documents them):

========== ===================================================================
name       what
========== ===================================================================
outlets    the **generated sample** one-stop registry (1,443 one-stop outlets)
branches   the **generated sample** of ordinary branches of the 16 partner banks
           (``kind`` ``branch``: the card's own-bank tasks only)
counties   the 117 county-level divisions of Shanxi, 2020 census population
========== ===================================================================

`get_path` returns a file's path; `outlets`, `branches` and `counties` read it once per
process and hand out copies, so callers may change what they get. `registry` is both
layers in one frame, what the command line and the app search by default; the published
figures count the one-stop layer (`outlets`) only. ``LOCATOR_DATA_DIR`` in the environment
(or `locator.settings.data_dir`) points every name at another folder with the same file
names, e.g. a folder holding the real registry.

Examples
--------
>>> from locator import datasets
>>> datasets.get_path("outlets").name
'outlets.geojson'
>>> len(datasets.outlets()), len(datasets.branches()), len(datasets.counties())
(1443, 5423, 117)
>>> both = datasets.registry()
>>> len(both), both["kind"].value_counts().to_dict()
(6866, {'branch': 5423, 'bank': 1262, 'government': 181})
>>> datasets.is_sample(both), both.attrs["metadata"]["layers"]
(True, ['outlets', 'branches'])
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locator import settings
from locator._errors import DataFileError, ValidationError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["NAMES", "branches", "counties", "get_path", "is_sample", "outlets", "registry"]

#: The shipped files, by name.
NAMES: dict[str, str] = {
    "outlets": "outlets.geojson",
    "branches": "branches.geojson",
    "counties": "counties.geojson",
}


def get_path(name: str) -> Path:
    """Path of a shipped file: ``"outlets"``, ``"branches"`` or ``"counties"``.

    Raises
    ------
    ValidationError
        For a name that is not shipped.
    """
    if name not in NAMES:
        msg = f"name {name!r} is no shipped data set; choose one of {', '.join(NAMES)}"
        raise ValidationError(msg)
    if settings.data_dir is not None:
        return Path(settings.data_dir) / NAMES[name]
    return Path(str(resources.files(__name__).joinpath(NAMES[name])))


@functools.lru_cache(maxsize=8)
def _read(kind: str, path: Path, mtime_ns: int) -> Any:  # noqa: ARG001 (mtime_ns: cache key)
    if kind in ("outlets", "branches"):
        from locator.registry import load_outlets

        return load_outlets(path)
    from locator.counties import load_counties

    return load_counties(path)


def _cached(kind: str) -> gpd.GeoDataFrame:
    path = get_path(kind)
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        mtime_ns = -1  # the reader names the missing file
    frame = _read(kind, path, mtime_ns).copy()
    frame.attrs = dict(frame.attrs)
    return frame


def outlets() -> gpd.GeoDataFrame:
    """The shipped outlet registry (a generated sample; see `is_sample`), as a new copy."""
    return _cached("outlets")


def branches() -> gpd.GeoDataFrame:
    """The shipped ordinary branches (``kind`` ``branch``; a generated sample), as a new copy."""
    return _cached("branches")


def registry() -> gpd.GeoDataFrame:
    """Both layers in one frame: the one-stop outlets, then the ordinary branches.

    What the command line and the app search by default: a bank-side task reaches every
    branch of the card's bank, a one-stop task the one-stop outlets only (`locator.index`).
    The metadata is the one-stop layer's, with ``layers`` naming the layers read. When
    ``settings.data_dir`` names a folder without ``branches.geojson`` (a real one-stop
    registry and no branch list yet), the frame is that folder's one-stop layer alone,
    ``layers`` says so; the shipped sample branches are never mixed into another registry.

    Raises
    ------
    DataFileError
        When an id is used in both layers (ids must be unique across the registry).
    """
    import pandas as pd

    one_stop = outlets()
    layers = ["outlets"]
    frames = [one_stop]
    if settings.data_dir is None or get_path("branches").exists():
        frames.append(branches())
        layers.append("branches")
    both = pd.concat(frames, ignore_index=True)
    duplicated = both["id"].duplicated()
    if duplicated.any():
        first = both.loc[duplicated, "id"].iloc[0]
        msg = (
            f"id {first!r} is used in {get_path('outlets')} and in {get_path('branches')}; "
            "ids must be unique across the registry: rename one"
        )
        raise DataFileError(msg)
    both.attrs = {
        "metadata": {**one_stop.attrs.get("metadata", {}), "layers": layers},
        "source": " + ".join(str(get_path(name)) for name in layers),
    }
    return both


def counties() -> gpd.GeoDataFrame:
    """The 117 county-level divisions (WGS-84, 2020 census population), as a new copy."""
    return _cached("counties")


def is_sample(outlets: gpd.GeoDataFrame) -> bool:
    """Whether a registry is (or contains) the generated sample: outputs made from it say so."""
    if bool((outlets.attrs.get("metadata") or {}).get("sample")):
        return True
    return "sample" in outlets.columns and bool(outlets["sample"].fillna(False).astype(bool).any())
