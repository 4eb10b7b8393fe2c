"""Settings in one place.

Every function that has a setting takes ``None`` for it and reads the value
here at call time, so changing a setting after import takes effect (a default
argument would freeze it at import).

Attributes
----------
data_dir : pathlib.Path or None
    A folder that replaces the shipped data (the same file names, e.g. the real
    registry as ``outlets.geojson``); None: the data inside the package. Read by
    `locator.datasets`, the one place that reads the shipped files.
    ``LOCATOR_DATA_DIR`` in the environment sets it.
earth_radius_km : float
    Mean Earth radius (IUGG, 6,371.0088 km) used for every great-circle distance.
default_k : int
    How many outlets ``nearest`` returns when no ``k`` is given.
coverage_radii_km : tuple of float
    The distances at which coverage is reported.
default_radius_km : float
    The "near home" distance used by coverage, gaps and siting when none is given.
detour_factor : float
    Road distance is estimated as straight-line distance times this factor (1.0: none).
cell_area_km2 : float
    Area of one demand-grid cell.
chunk_size : int
    Demand cells processed per chunk; bounds memory on fine grids.
min_outlets_per_county : int
    The provincial rule: at least this many outlets in every county-level division.
upload_limit_mb : float
    Largest registry file the app accepts for upload.
upload_timeout_s : float
    Seconds the app lets the import of an uploaded registry run before it stops it.
upload_memory_mb : float
    Memory (MB) the import of an uploaded registry may use on top of the libraries it
    loads; the import runs in a child process held to this limit.
import_max_rows : int
    Most data rows (features) a registry file may hold; more raises a ``ResourceLimitError``.
import_max_columns : int
    Most columns a registry file may use: a cell with a value right of this column (or a
    GeoJSON with more property names) raises a ``ResourceLimitError``.
import_max_record_lines : int
    Most lines one CSV record may span through a quoted cell with line breaks; a quote that
    does not close within them is taken as a stray quote (``bad_quote``).
import_max_unzipped_mb : float
    Largest unzipped size of an .xlsx workbook the importer reads.
merge_distance_m : float
    Two bank outlets of the same partner bank this close (metres) are the same outlet when
    registries are merged (`locator.importer.merge_registry`): the one-stop one is kept.
max_coverage_pairs : int
    Most (site, demand cell) pairs within reach that siting may hold in memory (about
    5 bytes each); more raises a ``ResourceLimitError`` before the memory is taken.
exact_time_limit_s : float
    Seconds exact siting (``suggest_sites(exact=True)``) lets HiGHS search; then the best
    answer found is given with its proven optimality gap.
far_branch_km : float
    For a task the card's own bank must do: when its nearest branch (one-stop or
    ordinary) is farther than this, the resident's answer says so and lists what can be
    done instead (home service or an agent on application, the bank's hotline and app, 12333).
cache_dir : pathlib.Path
    Where a road network built from an OpenStreetMap extract is cached when the extract's
    own folder is not writable. ``LOCATOR_CACHE_DIR`` in the environment sets it.
network_dir : pathlib.Path or None
    The folder of OpenStreetMap extracts (``.osm.pbf``) the app's planner page offers for
    road distance: it lists the extracts directly in it, and uses no other file. None: the
    page offers none and measures straight lines. ``LOCATOR_NETWORK_DIR`` in the
    environment sets it.
road_snap_km : float
    Points (outlets, demand cells) farther than this from any road of a road network are
    reported; their way to the road still counts, as straight line.
calendar_override_path : pathlib.Path or None
    A local file of official days (JSON ``{"2027-10-01": "holiday"}`` or CSV ``date,kind``;
    kind ``workday``, ``restday`` or ``holiday``) that `locator.hours` reads before China's
    calendar package, e.g. for years the package does not know yet.
    ``LOCATOR_CALENDAR_OVERRIDE`` in the environment sets it.
capacity_by_kind : dict of str to float
    Service counters of an outlet whose registry row gives no ``capacity``, by ``kind``
    (`locator.planning.access`): a government service hall (``government``) usually runs
    several social-security windows, 3; a bank outlet (``bank``, ``branch``) one counter
    that issues the card, 1.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "cell_area_km2",
    "chunk_size",
    "coverage_radii_km",
    "data_dir",
    "default_k",
    "default_radius_km",
    "detour_factor",
    "earth_radius_km",
    "min_outlets_per_county",
    "upload_limit_mb",
    "upload_memory_mb",
    "upload_timeout_s",
    "import_max_columns",
    "import_max_record_lines",
    "import_max_rows",
    "import_max_unzipped_mb",
    "max_coverage_pairs",
    "exact_time_limit_s",
    "far_branch_km",
    "merge_distance_m",
    "cache_dir",
    "network_dir",
    "road_snap_km",
    "capacity_by_kind",
    "calendar_override_path",
]

data_dir: Path | None = (
    Path(os.environ["LOCATOR_DATA_DIR"]) if os.environ.get("LOCATOR_DATA_DIR") else None
)
earth_radius_km: float = 6371.0088
default_k: int = 5
coverage_radii_km: tuple[float, ...] = (1.0, 3.0, 5.0, 10.0, 15.0)
default_radius_km: float = 5.0
detour_factor: float = 1.0
cell_area_km2: float = 1.0
chunk_size: int = 200_000
min_outlets_per_county: int = 2
upload_limit_mb: float = 50.0
upload_timeout_s: float = 60.0
upload_memory_mb: float = 1024.0
import_max_rows: int = 1_000_000
import_max_columns: int = 1_000
import_max_record_lines: int = 10
import_max_unzipped_mb: float = 1_000.0
max_coverage_pairs: int = 200_000_000
exact_time_limit_s: float = 60.0
merge_distance_m: float = 50.0
far_branch_km: float = 30.0
cache_dir: Path = Path(os.environ.get("LOCATOR_CACHE_DIR") or Path.home() / ".cache" / "locator")
network_dir: Path | None = (
    Path(os.environ["LOCATOR_NETWORK_DIR"]) if os.environ.get("LOCATOR_NETWORK_DIR") else None
)
road_snap_km: float = 1.0
calendar_override_path: Path | None = (
    Path(os.environ["LOCATOR_CALENDAR_OVERRIDE"])
    if os.environ.get("LOCATOR_CALENDAR_OVERRIDE")
    else None
)
capacity_by_kind: dict[str, float] = {"government": 3.0, "bank": 1.0, "branch": 1.0}
