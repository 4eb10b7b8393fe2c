"""Read and write outlet registries.

An outlet registry is a GeoJSON FeatureCollection of points (WGS-84) whose
properties follow :data:`OUTLET_COLUMNS`. ``kind`` is ``government`` or ``bank`` for a
one-stop outlet, ``branch`` for an ordinary branch of a partner bank, which serves the
card's own-bank tasks only (`locator.tasks`). The shipped ``data/outlets.geojson`` (one-stop
outlets) and ``data/branches.geojson`` (ordinary branches) are generated samples that
reproduce the published figures, not the real registry (`locator.datasets` reads them);
``locator import`` turns a real one (CSV, Excel, GeoJSON) into this form. The county layer
has its own module, `locator.counties`.

Examples
--------
>>> from locator import datasets
>>> outlets = load_outlets(datasets.get_path("outlets"))
>>> len(outlets), outlets.crs.to_epsg()
(1443, 4326)
>>> sorted(outlets["kind"].unique())
['bank', 'government']
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from locator import settings
from locator._errors import DataFileError, LocatorWarning, ResourceLimitError, ValidationError
from locator._validate import check_output_path, check_path
from locator.banks import normalize_bank
from locator.output import jsonable
from locator.tasks import KINDS, TASK_CODES, TASKS

__all__ = [
    "OUTLET_COLUMNS",
    "load_outlets",
    "outlets_from_records",
    "outlets_to_geojson",
    "parse_services",
    "write_outlets",
]

OUTLET_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "bank",
    "county_adcode",
    "address",
    "phone",
    "hours",
    "services",
    "instant_issue",
    "transit_topup",
)


def _feature_error(path: Path | str, number: int, problem: str) -> DataFileError:
    return DataFileError(f"{path}: feature {number}: {problem}")


# What people type between task codes when a list arrives as one text cell.
_SERVICE_SEPARATORS = re.compile(r"[,，;；、|/\s]+")
_FLAGS = ("instant_issue", "transit_topup")
_TEXT = ("name", "address", "phone", "hours")
# Columns the registry frame builds itself, so a property may not carry them.
_RESERVED = ("geometry",)


def parse_services(value: Any) -> list[str]:
    """Task codes of an outlet: a list of codes, or one text of codes separated by , ; 、 | /.

    Raises
    ------
    ValidationError
        When ``value`` is neither (e.g. a number, or a list holding one).

    Examples
    --------
    >>> parse_services("apply, reset_card_pin；transit_topup")
    ['apply', 'reset_card_pin', 'transit_topup']
    >>> parse_services(None)
    []
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [code for code in _SERVICE_SEPARATORS.split(value) if code]
    if isinstance(value, list | tuple | set | np.ndarray) and all(
        isinstance(code, str) for code in value
    ):
        return [code.strip() for code in value if code.strip()]
    msg = f'services {value!r} is not a list of task codes; give e.g. ["apply", "reset_card_pin"]'
    raise ValidationError(msg)


def _coordinate(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


def _point(geometry: Any) -> tuple[float, float]:
    """The (lon, lat) of a GeoJSON Point geometry; ValueError saying what is wrong."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        msg = "geometry is not a Point; every outlet needs one"
        raise ValueError(msg)
    coordinates = geometry.get("coordinates")
    try:
        if not isinstance(coordinates, list) or len(coordinates) < 2:
            raise TypeError(coordinates)
        x, y = _coordinate(coordinates[0]), _coordinate(coordinates[1])
    except (TypeError, ValueError, OverflowError):
        msg = f"bad coordinates {coordinates!r}; give [lon, lat] in decimal degrees (WGS-84)"
        raise ValueError(msg) from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        msg = (
            f"coordinates {coordinates!r} are not [lon, lat] within -180..180, -90..90; "
            "GeoJSON is [lon, lat] in decimal degrees (WGS-84), Shanxi lies at lon 110.2-114.6, "
            "lat 34.5-40.8"
        )
        raise ValueError(msg)
    return x, y


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def _check_identity(record: Mapping[str, Any]) -> None:
    """Reserved names, the id and the kind of one feature's properties."""
    for name in _RESERVED:
        if name in record:
            msg = f"property {name!r} is reserved; rename it"
            raise ValueError(msg)
    outlet_id = record.get("id")
    if outlet_id in (None, ""):
        msg = "no id; every outlet needs a unique id"
        raise ValueError(msg)
    if isinstance(outlet_id, bool) or not isinstance(outlet_id, str | int):
        msg = f"id {outlet_id!r} must be text or a whole number"
        raise ValueError(msg)
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        msg = f"kind {kind!r} must be one of {', '.join(KINDS)}"
        raise ValueError(msg)


def _clean_bank(bank: Any) -> str | None:
    if bank is not None and not isinstance(bank, str):
        msg = f"bank {bank!r} must be a bank name (text) or null"
        raise ValueError(msg)
    if bank is None or not bank.strip():
        return None
    # The index matches a card's bank by its canonical name: a registry saying 工行
    # would otherwise never be found for a card of 中国工商银行.
    try:
        return normalize_bank(bank)
    except ValidationError as error:
        raise ValueError(str(error)) from None


def _clean_flag(flag: str, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
        return bool(value)
    msg = f"{flag} {value!r} must be true or false"
    raise ValueError(msg)


def _clean_capacity(value: Any, outlet_id: Any) -> float | None:
    """Service counters: a whole number above 0 (``3`` or ``3.0``), or None (the kind's default).

    The same rule as `locator.importer.import_registry` (its ``bad_capacity``): a counter is not
    split, so ``2.5`` is refused as ``0`` and ``-1`` are.
    """
    if value is None:
        return None
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if not (is_number and math.isfinite(value) and value > 0 and float(value).is_integer()):
        msg = (
            f"capacity {value!r} of outlet {outlet_id!r} is not a whole number of service "
            "counters above 0: give the number of counters (窗口/柜台), e.g. 3, or leave it out "
            "for the kind's default (settings.capacity_by_kind)"
        )
        raise ValueError(msg)
    return float(value)


def _branch_services(record: dict[str, Any]) -> list[str]:
    """Drop from an ordinary branch the task codes only a one-stop outlet does; return them.

    A branch serves the card's own-bank tasks only; keeping ``apply`` on it would send a
    resident to a counter that cannot make a card. Unknown codes stay (warned separately).
    """
    if record.get("kind") != "branch":
        return []
    services = record["services"]
    dropped = [c for c in services if c in TASKS and "branch" not in TASKS[c].kinds]
    record["services"] = [c for c in services if c not in dropped]
    return dropped


def _clean_properties(properties: Any) -> dict[str, Any]:
    """The properties of one feature, checked and normalized; ValueError saying what is wrong."""
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        msg = f"properties must be an object of name: value, not {type(properties).__name__}"
        raise ValueError(msg)
    record = dict(properties)
    _check_identity(record)
    if "bank" in record:
        record["bank"] = _clean_bank(record["bank"])
    if record["kind"] == "branch" and record.get("bank") is None:
        msg = (
            "kind 'branch' without a bank; an ordinary branch serves only its own bank's "
            "cards: give the partner bank (e.g. 中国工商银行) in bank"
        )
        raise ValueError(msg)
    for name in ("county_adcode", *_TEXT):
        value = record.get(name)
        if isinstance(value, bool) or not _scalar(value):
            msg = f"{name} {value!r} must be text"
            raise ValueError(msg)
    try:
        record["services"] = parse_services(record.get("services"))
    except ValidationError as error:
        raise ValueError(str(error)) from None
    for flag in _FLAGS:
        record[flag] = _clean_flag(flag, record.get(flag))
    if "capacity" in record:
        record["capacity"] = _clean_capacity(record["capacity"], record["id"])
    return record


def outlets_from_records(
    records: Sequence[Mapping[str, Any]], lon: Sequence[float], lat: Sequence[float]
) -> gpd.GeoDataFrame:
    """Build an outlet GeoDataFrame from property dicts and WGS-84 coordinates."""
    frame = pd.DataFrame.from_records(list(records))
    for column in OUTLET_COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["id"] = frame["id"].astype(str)
    frame["county_adcode"] = frame["county_adcode"].map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    )
    frame["services"] = frame["services"].map(
        lambda v: (
            parse_services(v) if isinstance(v, str) else list(v) if isinstance(v, list) else []
        )
    )
    for flag in _FLAGS:
        frame[flag] = frame[flag].fillna(False).astype(bool)
    ordered = [*OUTLET_COLUMNS, *[c for c in frame.columns if c not in OUTLET_COLUMNS]]
    geometry = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return gpd.GeoDataFrame(frame[ordered], geometry=geometry, crs="EPSG:4326")


def _warn_unknown_services(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    """Warn about task codes no search will ever match (e.g. a typo, or a Chinese label)."""
    unknown: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        for code in record["services"]:
            if code not in TASK_CODES:
                unknown.setdefault(code, number)
    if unknown:
        shown = ", ".join(f"{code!r} (feature {n})" for code, n in list(unknown.items())[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        message = (
            f"{path}: services not in the task list, so no search finds them: {shown}{more}; "
            "use the codes of `locator tasks`, or import the registry with `locator import`"
        )
        warnings.warn(message, LocatorWarning, stacklevel=3)


def _warn_dropped_services(path: Path, dropped: Mapping[int, list[str]]) -> None:
    """One warning for the one-stop task codes taken off ordinary branches."""
    if not dropped:
        return
    shown = "; ".join(f"feature {n}: {', '.join(codes)}" for n, codes in list(dropped.items())[:5])
    more = f" and {len(dropped) - 5} more features" if len(dropped) > 5 else ""
    message = (
        f"{path}: {len(dropped)} ordinary branches (kind 'branch') listed tasks only a one-stop "
        f"outlet does, dropped from their services ({shown}{more}); a branch serves the "
        "card's own-bank tasks only: make it kind 'bank' if it is a one-stop outlet"
    )
    warnings.warn(message, LocatorWarning, stacklevel=4)


def _read_json(path: Path, what: str) -> Any:
    """The JSON document in ``path``, or a DataFileError naming the file and the problem."""
    if path.is_dir():
        msg = f"{path}: is a folder; give the path of {what}"
        raise DataFileError(msg)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        msg = f"{path}: no such file; give the path of {what}"
        raise DataFileError(msg) from None
    except OSError as error:
        msg = f"{path}: cannot be read ({error.strerror or error}); give the path of {what}"
        raise DataFileError(msg) from None
    if not raw.strip():
        msg = f"{path}: the file is empty; give {what}"
        raise DataFileError(msg)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text, so not GeoJSON; convert it with `locator import`"
        raise DataFileError(msg) from None
    except RecursionError:
        msg = f"{path}: nested too deeply to be GeoJSON; convert it with `locator import`"
        raise DataFileError(msg) from None
    except ValueError as error:  # JSONDecodeError, or an integer of thousands of digits
        problem = str(error).splitlines()[0][:200]
        msg = f"{path}: not a GeoJSON file ({problem}); convert it with `locator import`"
        raise DataFileError(msg) from None


def _features(path: Path, document: Any) -> list[Any]:
    """The features of a registry document; DataFileError when it holds none or too many."""
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        msg = f"{path}: not a GeoJSON FeatureCollection; convert it with `locator import`"
        raise DataFileError(msg)
    features = document.get("features")
    if not isinstance(features, list):
        msg = (
            f"{path}: 'features' is {type(features).__name__ if features is not None else 'null'}, "
            "not a list of outlets; convert the registry with `locator import`"
        )
        raise DataFileError(msg)
    if not features:
        msg = f"{path}: no outlets in the file (0 features); give a registry with outlets"
        raise DataFileError(msg)
    if len(features) > settings.import_max_rows:
        msg = (
            f"{path}: {len(features):,} features, more than settings.import_max_rows "
            f"({settings.import_max_rows:,}); the province has about 1,443 outlets"
        )
        raise ResourceLimitError(msg)
    return features


def _read_features(
    path: Path, features: list[Any]
) -> tuple[list[dict[str, Any]], list[float], list[float]]:
    """Properties and coordinates of every feature; DataFileError naming the first bad one."""
    records: list[dict[str, Any]] = []
    lon: list[float] = []
    lat: list[float] = []
    dropped: dict[int, list[str]] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            problem = f"is {type(feature).__name__}, not a GeoJSON Feature object"
            raise _feature_error(path, number, problem)
        try:
            x, y = _point(feature.get("geometry"))
            records.append(_clean_properties(feature.get("properties")))
        except ValueError as error:
            raise _feature_error(path, number, str(error)) from None
        if codes := _branch_services(records[-1]):
            dropped[number] = codes
        lon.append(x)
        lat.append(y)
    _warn_dropped_services(path, dropped)
    return records, lon, lat


def load_outlets(path: Path | str) -> gpd.GeoDataFrame:
    """Read an outlet registry GeoJSON.

    Returns a GeoDataFrame in EPSG:4326 with the :data:`OUTLET_COLUMNS`, a
    ``services`` column of task-code lists (a text of codes separated by commas,
    semicolons, 、, | or / is read as a list), and any other properties kept as
    columns. The file's top-level ``metadata`` is in ``.attrs["metadata"]``.

    Raises
    ------
    ResourceLimitError
        When the file holds more than ``settings.import_max_rows`` features.
    DataFileError
        When the file is missing, not GeoJSON, holds no outlet, or a feature lacks a
        point within -180..180, -90..90, an id or a kind, holds a value of the wrong
        type, or is a ``branch`` without a partner bank; the message names the feature
        (numbered from 1).

    Warns
    -----
    LocatorWarning
        When ``services`` hold codes that are not task codes (no search would find them),
        and, once for the file, when ordinary branches list tasks only a one-stop outlet
        does: those codes are dropped from the branch's ``services`` (the warning names
        the features and the codes).
    """
    path = check_path(path, "path")
    document = _read_json(path, "an outlet registry GeoJSON")
    records, lon, lat = _read_features(path, _features(path, document))
    _warn_unknown_services(path, records)
    outlets = outlets_from_records(records, lon, lat)
    duplicated = outlets["id"].duplicated()
    if duplicated.any():
        first = outlets.loc[duplicated, "id"].iloc[0]
        number = int(np.flatnonzero(duplicated.to_numpy())[0]) + 1
        msg = f"{path}: id {first!r} is used by more than one outlet (again in feature {number}); ids must be unique"
        raise DataFileError(msg)
    metadata = document.get("metadata")
    outlets.attrs["metadata"] = metadata if isinstance(metadata, dict) else {}
    outlets.attrs["source"] = str(path)
    return outlets


def outlets_to_geojson(
    outlets: gpd.GeoDataFrame, *, metadata: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the registry as a GeoJSON FeatureCollection dict (coordinates to 1e-6 degree)."""
    columns = [c for c in outlets.columns if c != outlets.geometry.name]
    features = []
    xs = np.round(outlets.geometry.x.to_numpy(), 6)
    ys = np.round(outlets.geometry.y.to_numpy(), 6)
    for row, x, y in zip(outlets[columns].itertuples(index=False), xs, ys, strict=True):
        properties = {c: jsonable(v) for c, v in zip(columns, row, strict=True)}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            }
        )
    document: dict[str, Any] = {"type": "FeatureCollection"}
    meta = dict(metadata if metadata is not None else outlets.attrs.get("metadata", {}))
    if meta:
        document["metadata"] = meta
    document["features"] = features
    return document


def write_outlets(
    outlets: gpd.GeoDataFrame,
    path: Path | str,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> Path:
    """Write the registry as GeoJSON (UTF-8, Chinese kept readable), one feature per line.

    Raises
    ------
    ValidationError
        When no file can be written at ``path`` (no such folder, no permission).
    """
    path = check_output_path(path, "path")
    document = outlets_to_geojson(outlets, metadata=metadata)
    features = document.pop("features")
    head = json.dumps(document, ensure_ascii=False)[:-1]
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    path.write_text(f'{head}, "features": [\n{lines}\n]}}\n', encoding="utf-8")
    return path
