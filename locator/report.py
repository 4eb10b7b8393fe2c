"""The planner's Excel report: one ``.xlsx`` with what the report is and the coverage tables.

Sheets, in order: what the report is (date, sources, parameters, and, when the registry is the
generated sample, a notice that says so), the province, the cities, the counties (those below
the rule highlighted), the largest gaps, the outlets whose declared county is not where they
lie, and, when given, the suggested sites and the accessibility (E2SFCA counters per 10,000
residents per city and county, and the equity figures). Headers are Chinese (English with ``lang="en"``);
every table has its header row frozen, a filter, thousands separators and percentages.
Written with openpyxl; every text cell is written as text, never as a formula.

Examples
--------
>>> import tempfile, openpyxl
>>> from locator import datasets
>>> from locator.planning.coverage import coverage_report
>>> report = coverage_report(datasets.outlets(), datasets.counties())
>>> path = write_report(Path(tempfile.mkdtemp()) / "覆盖报告.xlsx", report)
>>> openpyxl.load_workbook(path).sheetnames
['说明', '全省', '地市', '区县', '位置不符']
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from locator._errors import ValidationError
from locator._validate import check_output_path
from locator.i18n import COLUMNS, parse_lang
from locator.i18n import column_label as i18n_label
from locator.output import SAMPLE_NOTICE, jsonable

__all__ = [
    "ACCESS_SHEETS",
    "BELOW_RULE_FILL",
    "SHEETS",
    "XLSX_MIME",
    "column_label",
    "report_bytes",
    "write_report",
]

#: The MIME type of an ``.xlsx`` (for a download).
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CoverageReport(Protocol):
    """What the report reads of a :class:`locator.planning.coverage.CoverageReport`.

    A protocol, so this top-level module imports no subpackage (see the README's Code map).
    """

    @property
    def province(self) -> dict[str, Any]: ...  # noqa: D102

    @property
    def cities(self) -> pd.DataFrame: ...  # noqa: D102

    @property
    def counties(self) -> pd.DataFrame: ...  # noqa: D102

    @property
    def mismatches(self) -> pd.DataFrame: ...  # noqa: D102

    @property
    def radius_km(self) -> float: ...  # noqa: D102

    @property
    def radii_km(self) -> tuple[float, ...]: ...  # noqa: D102

    @property
    def detour_factor(self) -> float: ...  # noqa: D102

    @property
    def task(self) -> str | None: ...  # noqa: D102

    @property
    def bank(self) -> str | None: ...  # noqa: D102

    @property
    def repeated_65plus(self) -> dict[str, str]:
        """The county 65+ columns equal to all residents' by construction, shown once."""
        ...


class AccessFigures(Protocol):
    """What the report reads of a :class:`locator.planning.access.Accessibility`."""

    @property
    def cities(self) -> pd.DataFrame: ...  # noqa: D102
    @property
    def counties(self) -> pd.DataFrame: ...  # noqa: D102
    @property
    def equity(self) -> dict[str, float | None]: ...  # noqa: D102


#: Sheet names, in the order written (``sites`` only when sites are given).
SHEETS = {
    "about": ("说明", "About"),
    "province": ("全省", "Province"),
    "cities": ("地市", "Cities"),
    "counties": ("区县", "Counties"),
    "gaps": ("缺口", "Gaps"),
    "mismatches": ("位置不符", "Mismatches"),
    "sites": ("建议网点", "Suggested sites"),
}
#: The sheets written after them when access is given.
ACCESS_SHEETS = {
    "access": ("可达性", "Access"),
    "access_cities": ("地市可达性", "Access by city"),
    "equity": ("公平性", "Equity"),
}
#: Fill (ARGB) of the county rows below the rule of two outlets.
BELOW_RULE_FILL = "FFFFC7CE"

# Columns the word table (locator.i18n.COLUMNS) has no heading for.
_LABELS = {
    "city_adcode": ("地市代码", "City code"),
    "county_adcode": ("区县代码", "County code"),
    "counties": ("区县数", "Counties"),
    "counties_meeting_rule": ("达标区县数", "Counties meeting rule"),
    "covered_population_65plus": ("65岁以上就近覆盖人口", "Covered 65+"),
    "cell": ("网格", "Cell"),
    "declared_adcode": ("登记区县代码", "Declared code"),
    "located_adcode": ("实际所在区县代码", "Located code"),
    "candidate": ("候选点", "Candidate"),
    "sample_data": ("样例数据", "Sample data"),
    "access_per_10k": ("每万人服务窗口数", "Counters per 10,000"),
    "gini_access": ("可达性基尼系数", "Gini of access"),
    "gini_distance": ("距离基尼系数", "Gini of distance"),
    "figure": ("指标", "Figure"),
    "value": ("数值", "Value"),
}
_WITHIN = re.compile(r"^(population|share)(_65plus)?_within_([\d.]+)km$")
_TITLE_FONT = Font(bold=True, size=14)
_NOTICE_FONT = Font(bold=True, color="FFC00000")


def column_label(column: str, lang: str = "zh") -> str:
    """The header of a report column in ``lang`` (the column name when it has none).

    Examples
    --------
    >>> column_label("share_65plus_within_5km"), column_label("p95_km_65plus", "en")
    ('5公里内65岁以上比例 %', 'p95 km 65+')
    """
    en = lang == "en"
    if column in COLUMNS:
        return i18n_label(column, lang)
    if column in _LABELS:
        return _LABELS[column][en]
    within = _WITHIN.match(column)
    if within:
        what, older, radius = within.groups()
        if en:
            return f"Within {radius} km{' 65+' if older else ''}{' %' if what == 'share' else ''}"
        return (
            f"{radius}公里内{'65岁以上' if older else ''}{'比例 %' if what == 'share' else '人口'}"
        )
    if column.endswith("_65plus") and column.removesuffix("_65plus") in COLUMNS:
        base = i18n_label(column.removesuffix("_65plus"), lang)
        return f"{base} 65+" if en else f"65岁以上{base}"
    return column


def _number_format(column: str) -> str | None:
    if "share" in column:
        return "0.0%"
    if "population" in column:
        return "#,##0"
    if column in ("access_per_10k", "gini_access", "gini_distance", "value"):
        return "0.000"
    if column.endswith("_km") or "_km_" in column or column in ("lon", "lat"):
        return "0.000" if column in ("lon", "lat") else "0.00"
    return None


def _put(sheet: Worksheet, row: int, col: int, value: Any) -> Any:
    value = jsonable(value)
    if isinstance(value, list | tuple | dict):
        value = ", ".join(map(str, value)) if not isinstance(value, dict) else str(value)
    cell = sheet.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a name starting with "=" stays a name, never a formula
    return cell


def _table(
    sheet: Worksheet, frame: pd.DataFrame, lang: str, highlight: pd.Series | None = None
) -> None:
    """``frame`` on ``sheet``: labelled header, formats, frozen header, filter, highlights."""
    columns = [c for c in frame.columns if c != "geometry"]
    for j, column in enumerate(columns, start=1):
        _put(sheet, 1, j, column_label(str(column), lang)).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(j)].width = max(
            10, min(30, 2 * len(column_label(str(column), lang)))
        )
    fill = PatternFill("solid", start_color=BELOW_RULE_FILL, end_color=BELOW_RULE_FILL)
    marks = [False] * len(frame) if highlight is None else highlight.tolist()
    formats = [_number_format(str(c)) for c in columns]
    for i, (record, marked) in enumerate(
        zip(frame[columns].itertuples(index=False), marks, strict=True), start=2
    ):
        for j, (value, fmt) in enumerate(zip(record, formats, strict=True), start=1):
            cell = _put(sheet, i, j, value)
            if fmt is not None:
                cell.number_format = fmt
            if marked:
                cell.fill = fill
    sheet.freeze_panes = "A2"
    last = f"{get_column_letter(max(1, len(columns)))}{max(1, len(frame) + 1)}"
    sheet.auto_filter.ref = f"A1:{last}"


def _about(
    sheet: Worksheet, report: CoverageReport, lang: str, *, sample: bool, once: bool
) -> None:
    en = lang == "en"
    p = report.province
    rows: list[tuple[str, Any]] = [
        ("Coverage report" if en else "社保卡服务网点覆盖报告", ""),
        ("date" if en else "生成日期", dt.date.today().isoformat()),
        (
            "outlet registry" if en else "网点名录",
            ("generated sample (not the real registry)" if en else "生成的样例（非真实名录）")
            if sample
            else ("user-supplied" if en else "用户提供"),
        ),
        (
            "counties and census" if en else "区县与人口",
            "2020 census (data/SOURCES.md)"
            if en
            else "2020年第七次全国人口普查（data/SOURCES.md）",
        ),
        ("where people live" if en else "人口分布", p.get("demand")),
        ("task" if en else "业务", report.task or ("any" if en else "全部")),
        ("bank" if en else "银行", report.bank or ("any" if en else "不限")),
        ("radius (km)" if en else "覆盖半径（公里）", report.radius_km),
        ("detour factor" if en else "绕行系数", report.detour_factor),
        ("distances (km)" if en else "距离档（公里）", list(report.radii_km)),
        ("counties below the rule" if en else "未达标区县数", p.get("counties_below_rule")),
    ]
    if once:
        rows.append(
            (
                "65+ per county" if en else "各县65岁以上",
                "the population source places the 65+ like all residents inside each county, "
                "so per county their shares and distances equal those of all residents: shown "
                "once (the cities and the province still differ)"
                if en
                else "人口来源在县内按全部人口分布65岁以上人口，各县65岁以上的覆盖率和距离与全部人口相同，"
                "只列一次（地市和全省仍有差别）",
            )
        )
    if sample:
        rows.insert(1, ("notice" if en else "提示", SAMPLE_NOTICE))
    for i, (label, value) in enumerate(rows, start=1):
        _put(sheet, i, 1, label).font = Font(bold=True)
        cell = _put(sheet, i, 2, value)
        if label in ("notice", "提示"):
            cell.font = _NOTICE_FONT
            sheet.cell(row=i, column=1).font = _NOTICE_FONT
    sheet.cell(row=1, column=1).font = _TITLE_FONT
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 80


def _workbook(
    report: CoverageReport,
    *,
    gaps: pd.DataFrame | None,
    sites: pd.DataFrame | None,
    lang: str,
    access: AccessFigures | None = None,
) -> Workbook:
    """The report's workbook (see `write_report`)."""
    lang = parse_lang(lang)
    en = lang == "en"
    sample = bool(report.province.get("sample_registry"))
    book = Workbook()
    about = book.active
    assert about is not None  # a new workbook has its one sheet
    about.title = SHEETS["about"][en]
    once = list(report.repeated_65plus)
    _about(about, report, lang, sample=sample, once=bool(once))
    province = pd.DataFrame(
        [{k: v for k, v in report.province.items() if k in report.cities.columns or k == "name"}]
    )
    tables: list[tuple[str, pd.DataFrame, pd.Series | None]] = [
        ("province", province, None),
        ("cities", report.cities, None),
        (
            "counties",
            report.counties.drop(columns=once),
            ~report.counties["meets_rule"].astype(bool),
        ),
    ]
    if gaps is not None:
        tables.append(("gaps", pd.DataFrame(gaps).drop(columns="geometry", errors="ignore"), None))
    tables.append(("mismatches", report.mismatches, None))
    if sites is not None:
        tables.append(
            ("sites", pd.DataFrame(sites).drop(columns="geometry", errors="ignore"), None)
        )
    if access is not None:
        tables.append(("access", access.counties, None))
        tables.append(("access_cities", access.cities, None))
        figures = pd.DataFrame(
            {"figure": list(access.equity), "value": list(access.equity.values())}
        )
        tables.append(("equity", figures, None))
    for key, frame, highlight in tables:
        names = SHEETS.get(key) or ACCESS_SHEETS[key]
        _table(book.create_sheet(names[en]), frame, lang, highlight)
    return book


def report_bytes(
    report: CoverageReport,
    *,
    gaps: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    lang: str = "zh",
    access: AccessFigures | None = None,
) -> bytes:
    """The workbook of `write_report` as bytes (the app's download)."""
    buffer = io.BytesIO()
    _workbook(report, gaps=gaps, sites=sites, lang=lang, access=access).save(buffer)
    return buffer.getvalue()


def write_report(
    path: Path | str,
    report: CoverageReport,
    *,
    gaps: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    lang: str = "zh",
    access: AccessFigures | None = None,
) -> Path:
    """Write the planner's Excel report of ``report`` to ``path`` (an ``.xlsx``).

    Parameters
    ----------
    path : path
        The workbook to write (replaced if it exists).
    report : CoverageReport
        The figures (:func:`locator.coverage_report`); whether its registry is the generated
        sample (``report.province["sample_registry"]``) decides the notice.
    gaps : DataFrame, optional
        The gaps to list (e.g. the first rows of :func:`locator.gaps`); none: no gaps sheet.
    sites : DataFrame, optional
        Suggested sites (:func:`locator.suggest_sites`); none: no sites sheet.
    lang : {"zh", "en"}
        Language of the sheet names and headers.
    access : Accessibility, optional
        :func:`locator.planning.access.accessibility` of the same inputs: adds an access sheet
        per county, one per city and an equity sheet.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValidationError
        When ``path`` does not end in ``.xlsx`` or cannot be written there.
    """
    path = check_output_path(path, "path")
    if path.suffix.lower() != ".xlsx":
        msg = f"path {str(path)!r}: the report is an Excel workbook; end the name in .xlsx"
        raise ValidationError(msg)
    _workbook(report, gaps=gaps, sites=sites, lang=lang, access=access).save(path)
    return path
