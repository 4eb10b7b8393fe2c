"""locator: find, check and plan Shanxi's social security card (社保卡) service outlets.

The names a user needs are here; each module documents the rest.

Examples
--------
>>> import locator
>>> index = locator.OutletIndex.from_file()
>>> len(index)
1443
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from locator._errors import (
    BankRequiredError,
    DataFileError,
    UnknownBankError,
    UnknownTaskError,
    ValidationError,
)
from locator.banks import BANK_NAMES, normalize_bank
from locator.coverage import county_rule, coverage_report, gaps
from locator.demand import estimate_demand
from locator.importer import ImportResult, import_registry, validate_registry
from locator.index import OutletIndex
from locator.registry import load_counties, load_outlets, write_outlets
from locator.siting import coverage_gain_curve, suggest_closures, suggest_sites
from locator.tasks import TASKS, get_task

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
    "OutletIndex",
    "UnknownBankError",
    "UnknownTaskError",
    "ValidationError",
    "__version__",
    "county_rule",
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
    "validate_registry",
    "write_outlets",
]
