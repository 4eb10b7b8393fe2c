r"""The app's upload: a registry file imported in a child process bounded in size, time, memory.

`import_upload` runs :func:`locator.importer.import_registry` in a fresh Python under
``RLIMIT_AS``, killed after ``settings.upload_timeout_s``; only JSON comes back. A file too
large, too slow or too memory-hungry is an `UploadLimitError` naming the setting. Nothing
here imports streamlit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from locator import _errors, datasets, settings
from locator._errors import LocatorError, ResourceLimitError, ValidationError
from locator._validate import check_upload_size
from locator.counties import load_counties
from locator.importer import ImportResult, import_registry
from locator.registry import OUTLET_COLUMNS, outlets_from_records, outlets_to_geojson

__all__ = ["UploadLimitError", "import_upload"]


class UploadLimitError(ResourceLimitError):
    """An upload too large, too slow or too memory-hungry to import in the app.

    ``limit`` says which: ``size`` (``settings.upload_limit_mb``), ``time``
    (``settings.upload_timeout_s``) or ``memory`` (``settings.upload_memory_mb``).
    """

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


# The child runs this; it imports the module, whose `_import_in_child` does the work.
_CHILD_CODE = "from locator.app.upload import _import_in_child; _import_in_child()"
_LIMIT_ADVICE = "split the file, or import it with `locator import` on the command line"


def _positive_setting(name: str) -> float:
    value = getattr(settings, name)
    if not isinstance(value, int | float) or not value > 0:
        msg = f"settings.{name}={value!r} must be a positive number"
        raise ValidationError(msg)
    return float(value)


def _address_space_bytes() -> int:
    """The virtual memory this process has mapped (Linux), 0 when it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


# What running out of memory looks like: Python's MemoryError, GEOS's std::bad_alloc
# (a GEOSException), the C library's ENOMEM; when even the error report fails, Python
# says so through sys.unraisablehook, or with a SystemError for a C function that lost it.
_OUT_OF_MEMORY = (
    "MemoryError", "bad_alloc", "Cannot allocate memory", "unraisablehook", "SystemError",
)  # fmt: skip
_RESERVE_BYTES = 32 * 2**20


def _out_of_memory(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it arose from, is a failed allocation."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:  # Python reuses MemoryErrors: cycles
        seen.add(id(error))
        if isinstance(error, MemoryError | SystemError) or any(
            m in str(error) for m in _OUT_OF_MEMORY
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def _drop_tracebacks(error: BaseException | None) -> None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = None
        error = error.__cause__ or error.__context__


def _import_document(data: bytes, config: Mapping[str, Any], counties: gpd.GeoDataFrame) -> str:
    """The import's answer as JSON text: the outlets as GeoJSON, the report as rows."""
    result = import_registry(data, name=config["name"], crs=config["crs"], counties=counties)
    report = result.report.astype(object).where(result.report.notna(), None)
    document = {
        "outlets": outlets_to_geojson(result.outlets),
        "report": {"columns": list(report.columns), "data": report.values.tolist()},
        "counts": [result.read, result.accepted, result.rejected],
        "warnings": result.warnings,
        "source": result.source,
    }
    return json.dumps(document, ensure_ascii=False, default=str)


def _import_in_child() -> None:
    """The child process of :func:`import_upload`: file on stdin, one JSON document on stdout.

    The memory limit counts from the address space mapped once the libraries are loaded
    (about 1.6 GB here, mostly reserved and unused), so ``upload_memory_mb`` is what the
    import itself may add. Nothing of the file leaves this process but JSON data.
    """
    import resource

    # Whatever a library prints goes to stderr; stdout carries the answer alone.
    answer = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    config = json.loads(sys.argv[1])
    data = sys.stdin.buffer.read()
    counties = load_counties(config["counties"])
    limit = _address_space_bytes() + int(config["memory_mb"] * 2**20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    # Room to report running out of memory in: set aside inside the limit, freed first.
    reserve: bytearray | None = bytearray(_RESERVE_BYTES)
    resource.setrlimit(resource.RLIMIT_AS, (limit + _RESERVE_BYTES, hard))
    try:
        text = _import_document(data, config, counties)
    except LocatorError as error:
        text = json.dumps({"error": type(error).__name__, "message": str(error)})
    except Exception as error:
        reserve = None
        # The import's frames, held by the traceback, hold its memory: let go of them too.
        _drop_tracebacks(error)
        if not _out_of_memory(error):
            raise  # a bug: the parent shows it as one
        text = '{"limit": "memory"}'
    del reserve
    answer.write(text.encode("utf-8"))
    answer.close()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # One thread per numeric library: each extra thread maps address space of its own.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _outlets_from_geojson(document: Mapping[str, Any]) -> gpd.GeoDataFrame:
    features = document.get("features", [])
    records = [dict(f["properties"]) for f in features]
    lon = [float(f["geometry"]["coordinates"][0]) for f in features]
    lat = [float(f["geometry"]["coordinates"][1]) for f in features]
    if records:
        outlets = outlets_from_records(records, lon, lat)
    else:
        columns = [*OUTLET_COLUMNS, "precision", "extra", "source_row"]
        outlets = gpd.GeoDataFrame(pd.DataFrame(columns=columns), geometry=[], crs="EPSG:4326")
    for column in ("bank", "address", "phone", "hours"):  # None, not NaN, as the importer
        outlets[column] = outlets[column].astype(object).where(outlets[column].notna(), None)
    outlets.attrs["metadata"] = dict(document.get("metadata", {}))
    return outlets


_ERROR_TYPES: dict[str, type[LocatorError]] = {
    name: getattr(_errors, name)
    for name in _errors.__all__
    if isinstance(getattr(_errors, name), type) and issubclass(getattr(_errors, name), LocatorError)
}


def import_upload(data: bytes, *, name: str, crs: str = "wgs84") -> ImportResult:
    r"""Import an uploaded registry in a child process bounded in size, time and memory.

    The child (a fresh Python, ``spawn``-like: it shares nothing with the server) runs
    :func:`locator.importer.import_registry` under ``RLIMIT_AS`` and is killed after
    ``settings.upload_timeout_s``; what comes back is JSON (the accepted outlets as
    GeoJSON and the report as rows), never objects built from the file. Coordinates come
    back to 1e-6 degree (0.1 m), as in every registry ``locator`` writes.

    Raises
    ------
    UploadLimitError
        When the file is above ``settings.upload_limit_mb``, or its import takes longer
        than ``settings.upload_timeout_s`` or more memory than ``settings.upload_memory_mb``.
    LocatorError
        The importer's own error (a `DataFileError` for an unreadable file, ...).

    Examples
    --------
    >>> result = import_upload(b"name,lon,lat\nA,112.55,37.86\n", name="a.csv")
    >>> result.accepted, result.outlets["name"].tolist()
    (1, ['A'])
    """
    try:
        check_upload_size(len(data), name=name)
    except ValidationError as error:
        raise UploadLimitError(str(error), limit="size") from None
    timeout_s = _positive_setting("upload_timeout_s")
    config = {
        "name": str(name),
        "crs": str(crs),
        "counties": str(datasets.get_path("counties")),
        "memory_mb": _positive_setting("upload_memory_mb"),
    }
    command = [sys.executable, "-c", _CHILD_CODE, json.dumps(config)]
    try:
        done = subprocess.run(  # noqa: S603 (a fixed command; the file goes in on stdin)
            command, input=data, capture_output=True, timeout=timeout_s, env=_child_env()
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        msg = (
            f"{name}: the import did not finish within {timeout_s:g} s "
            f"(settings.upload_timeout_s): {_LIMIT_ADVICE}"
        )
        raise UploadLimitError(msg, limit="time") from None
    memory_msg = (
        f"{name}: the import needed more than {config['memory_mb']:g} MB of memory "
        f"(settings.upload_memory_mb): {_LIMIT_ADVICE}"
    )
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode < 0 or (done.returncode and any(m in stderr for m in _OUT_OF_MEMORY)):
        # Killed by a signal (a native reader that cannot allocate aborts the process), or
        # out of memory so deep that Python could not even answer.
        raise UploadLimitError(memory_msg, limit="memory")
    if done.returncode:
        msg = f"the import process failed with exit status {done.returncode}:\n{stderr[-2000:]}"
        raise RuntimeError(msg)  # a bug, not the user's mistake
    document = json.loads(done.stdout)
    if "limit" in document:
        raise UploadLimitError(memory_msg, limit="memory")
    if "error" in document:
        raise _ERROR_TYPES.get(document["error"], LocatorError)(document["message"])
    report = pd.DataFrame(document["report"]["data"], columns=document["report"]["columns"])
    report["row"] = report["row"].astype("Int64")
    read, accepted, rejected = document["counts"]
    return ImportResult(
        outlets=_outlets_from_geojson(document["outlets"]),
        report=report,
        read=read,
        accepted=accepted,
        rejected=rejected,
        warnings=list(document["warnings"]),
        source=document["source"],
    )
