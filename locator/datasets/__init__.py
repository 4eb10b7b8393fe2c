"""The data shipped with ``locator``, read in one place.

Two files travel inside the package (and stay at the top of the repository, in ``data/``,
where the README documents them):

========== ===================================================================
name       what
========== ===================================================================
outlets    the **generated sample** outlet registry (1,443 one-stop outlets)
counties   the 117 county-level divisions of Shanxi, 2020 census population
========== ===================================================================

`get_path` returns a file's path; `outlets` and `counties` read it once per process and
hand out copies, so callers may change what they get. ``LOCATOR_DATA_DIR`` in the
environment (or `locator.settings.data_dir`) points every name at another folder with the
same file names, e.g. a folder holding the real registry.

Examples
--------
>>> from locator import datasets
>>> datasets.get_path("outlets").name
'outlets.geojson'
>>> len(datasets.outlets()), len(datasets.counties())
(1443, 117)
>>> datasets.is_sample(datasets.outlets())
True
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locator import settings
from locator._errors import ValidationError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["NAMES", "counties", "get_path", "is_sample", "outlets"]

#: The shipped files, by name.
NAMES: dict[str, str] = {"outlets": "outlets.geojson", "counties": "counties.geojson"}


def get_path(name: str) -> Path:
    """Path of a shipped file: ``"outlets"`` or ``"counties"``.

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


@functools.lru_cache(maxsize=4)
def _read(kind: str, path: Path, mtime_ns: int) -> Any:  # noqa: ARG001 (mtime_ns: cache key)
    if kind == "outlets":
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


def counties() -> gpd.GeoDataFrame:
    """The 117 county-level divisions (WGS-84, 2020 census population), as a new copy."""
    return _cached("counties")


def is_sample(outlets: gpd.GeoDataFrame) -> bool:
    """Whether a registry is (or contains) the generated sample: outputs made from it say so."""
    if bool((outlets.attrs.get("metadata") or {}).get("sample")):
        return True
    return "sample" in outlets.columns and bool(outlets["sample"].fillna(False).astype(bool).any())
