"""locator: find, check and plan Shanxi's social security card (社保卡) service outlets.

The names a user needs are here; each module documents the rest.

Examples
--------
>>> import locator
>>> index = locator.OutletIndex(locator.datasets.outlets())  # the shipped sample
>>> len(index)
1443
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from locator import datasets
from locator._errors import (
    BankRequiredError,
    DataFileError,
    LocatorError,
    LocatorWarning,
    ResourceLimitError,
    UnknownBankError,
    UnknownTaskError,
    ValidationError,
)
from locator.banks import BANK_NAMES, normalize_bank
from locator.tasks import TASKS, get_task

if TYPE_CHECKING:
    from locator.counties import load_counties
    from locator.importer import ImportResult, import_registry
    from locator.index import OutletIndex
    from locator.planning.coverage import county_rule, coverage_report, gaps
    from locator.planning.demand import estimate_demand
    from locator.planning.inputs import PlanningInputs
    from locator.planning.siting import coverage_gain_curve, suggest_closures, suggest_sites
    from locator.registry import load_outlets, write_outlets

# The heavy names (scikit-learn, geopandas, rasterio behind them) load on first use, so
# that `locator banks` or `import locator.tasks` does not pay for all of them.
_LAZY: dict[str, str] = {
    "OutletIndex": "locator.index",
    "ImportResult": "locator.importer",
    "import_registry": "locator.importer",
    "county_rule": "locator.planning.coverage",
    "coverage_report": "locator.planning.coverage",
    "gaps": "locator.planning.coverage",
    "estimate_demand": "locator.planning.demand",
    "PlanningInputs": "locator.planning.inputs",
    "load_counties": "locator.counties",
    "load_outlets": "locator.registry",
    "write_outlets": "locator.registry",
    "coverage_gain_curve": "locator.planning.siting",
    "suggest_closures": "locator.planning.siting",
    "suggest_sites": "locator.planning.siting",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'locator' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


try:
    __version__ = version("locator")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = [
    "BANK_NAMES",
    "TASKS",
    "BankRequiredError",
    "DataFileError",
    "ImportResult",
    "LocatorError",
    "LocatorWarning",
    "OutletIndex",
    "PlanningInputs",
    "ResourceLimitError",
    "UnknownBankError",
    "UnknownTaskError",
    "ValidationError",
    "__version__",
    "county_rule",
    "datasets",
    "coverage_gain_curve",
    "coverage_report",
    "estimate_demand",
    "gaps",
    "get_task",
    "import_registry",
    "load_counties",
    "load_outlets",
    "normalize_bank",
    "suggest_closures",
    "suggest_sites",
    "write_outlets",
]
