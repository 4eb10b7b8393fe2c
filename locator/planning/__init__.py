"""Planning: the county rule, where residents live, coverage, gaps and siting.

Modules, each with one job:

- `locator.planning.inputs`: `PlanningInputs`, the inputs of every question, checked once;
- `locator.planning.rule`: where each outlet lies, the rule of two per county, mismatches;
- `locator.planning.demand`: where residents live (census estimate, raster, points);
- `locator.planning.coverage`: distances to the nearest suitable outlet, coverage and gaps;
- `locator.planning.bank_coverage`: residents within reach of a branch of each partner bank;
- `locator.planning.siting`: new sites and closures (array core in ``_cover``).
"""

from __future__ import annotations

from locator.planning.bank_coverage import BankCoverage, coverage_by_bank
from locator.planning.coverage import CoverageReport, county_rule, coverage_report, gaps
from locator.planning.demand import Demand, estimate_demand
from locator.planning.inputs import PlanningInputs
from locator.planning.siting import coverage_gain_curve, suggest_closures, suggest_sites

__all__ = [
    "BankCoverage",
    "CoverageReport",
    "Demand",
    "PlanningInputs",
    "county_rule",
    "coverage_by_bank",
    "coverage_gain_curve",
    "coverage_report",
    "estimate_demand",
    "gaps",
    "suggest_closures",
    "suggest_sites",
]
