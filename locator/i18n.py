"""The app's words, Chinese first, with English.

Every text of the app's interface is here under a key; :func:`t` returns it in
the language asked for (``zh`` by default), filled in with ``str.format`` fields.
Task, bank and outlet-kind names live with their data (:mod:`locator.tasks`,
:mod:`locator.banks`).

Examples
--------
>>> t("title")
'山西社保卡服务网点'
>>> t("title", "en")
'Shanxi social security card outlets'
>>> t("n_found", "en", n=3)
'3 nearest outlets'
>>> parse_lang("EN")
'en'
"""

from __future__ import annotations

from typing import Any

from locator._errors import ValidationError

__all__ = [
    "COLUMNS",
    "LANGS",
    "LANG_NAMES",
    "PARAMETERS",
    "STRINGS",
    "column_label",
    "parameter_label",
    "parse_lang",
    "t",
]

#: The languages of the app, the maps and the command line's ``--lang``; the first is the default.
LANGS: tuple[str, ...] = ("zh", "en")
LANG_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "title": {"zh": "山西社保卡服务网点", "en": "Shanxi social security card outlets"},
    "language": {"zh": "语言 Language", "en": "Language 语言"},
    "view": {"zh": "页面", "en": "Page"},
    "view_resident": {"zh": "就近办理", "en": "Find an outlet"},
    "view_planner": {"zh": "规划与覆盖", "en": "Planning and coverage"},
    "sample_note": {
        "zh": "当前网点数据为生成的示例数据（名称、地址、电话、位置均为虚构），不是真实名录。",
        "en": "The outlet data is a generated sample (names, addresses, phones and positions "
        "are invented), not the real registry.",
    },
    "imported_note": {
        "zh": "正在使用本次上传的网点名录：{name}（{n} 个网点）。",
        "en": "Using the registry uploaded in this session: {name} ({n} outlets).",
    },
    "use_shipped": {"zh": "改回示例数据", "en": "Back to the sample data"},
    "task": {"zh": "您要办理什么？", "en": "What do you need to do?"},
    "bank": {"zh": "社保卡上印的银行", "en": "Bank printed on your card"},
    "bank_placeholder": {"zh": "请选择银行", "en": "Choose the bank"},
    "bank_needed": {
        "zh": "这项业务须到社保卡所属银行的网点办理：请先选择卡面上印的银行。",
        "en": "Only a branch of your card's own bank can do this: choose the bank printed "
        "on your card first.",
    },
    "k": {"zh": "显示最近的网点数", "en": "How many outlets"},
    "where": {"zh": "您在哪里？", "en": "Where are you?"},
    "where_help": {
        "zh": "在地图上点击您的位置，或输入区县、城市或网点名称。",
        "en": "Click your position on the map, or type a county, city or outlet name.",
    },
    "place": {"zh": "输入地名", "en": "Type a place"},
    "place_placeholder": {
        "zh": "如：小店、太原、晋城城区、网点名称",
        "en": "e.g. 小店, 太原, 晋城城区, an outlet name",
    },
    "place_hint": {
        "zh": "可输入区县、城市或网点名称（可省略“区”“县”“市”）。乡镇没有离线坐标："
        "请输入所属区县，或直接在地图上点击。",
        "en": "Counties, districts, cities and outlet names work (the 区/县/市 suffix may be "
        "left out). Towns and townships have no offline coordinates: type their county, or "
        "click the map.",
    },
    "place_none": {
        "zh": "没有找到“{query}”。乡镇没有离线坐标：请输入所属区县，或在地图上点击。",
        "en": "Nothing found for “{query}”. Towns have no offline coordinates: type the "
        "county, or click the map.",
    },
    "place_pick": {
        "zh": "有几个同名的地方，您指的是哪一个？",
        "en": "Several places have this name: which one?",
    },
    "you_are": {"zh": "您的位置：{where}", "en": "Your position: {where}"},
    "map_click": {"zh": "地图点选", "en": "clicked on the map"},
    "from_link": {"zh": "来自链接", "en": "from the link"},
    "no_location": {
        "zh": "请在地图上点击您的位置，或在上方输入地名。",
        "en": "Click your position on the map, or type a place above.",
    },
    "outside": {
        "zh": "该位置不在山西省内；下面仍列出最近的山西网点。所属银行的业务在全国任一网点均可办理。",
        "en": "This point is outside Shanxi; these are the nearest Shanxi outlets all the "
        "same. Your card's bank can serve you at any of its branches nationwide.",
    },
    "bring": {"zh": "请携带", "en": "Bring"},
    "online": {"zh": "也可线上办理", "en": "Also online"},
    "online_only": {"zh": "这项业务只能线上办理", "en": "This can only be done online"},
    "hotline": {"zh": "咨询电话 12333", "en": "Hotline 12333"},
    "n_found": {"zh": "最近的 {n} 个网点", "en": "{n} nearest outlets"},
    "none_found": {"zh": "没有可办理这项业务的网点。", "en": "No outlet can do this task."},
    "navigate": {"zh": "高德导航", "en": "Navigate (Amap)"},
    "table_view": {"zh": "表格", "en": "Table"},
    "share": {
        "zh": "本页链接已包含位置、业务和银行，可直接分享。",
        "en": "This page's link carries the position, task and bank: share it as it is.",
    },
    "col_name": {"zh": "名称", "en": "Name"},
    "col_kind": {"zh": "类型", "en": "Kind"},
    "col_bank": {"zh": "银行", "en": "Bank"},
    "col_distance": {"zh": "距离（公里）", "en": "Distance (km)"},
    "col_address": {"zh": "地址", "en": "Address"},
    "col_phone": {"zh": "电话", "en": "Phone"},
    "col_hours": {"zh": "营业时间", "en": "Hours"},
    "col_bring": {"zh": "请携带", "en": "Bring"},
    "col_nav": {"zh": "导航", "en": "Navigate"},
    "download_html": {"zh": "下载地图（HTML）", "en": "Download the map (HTML)"},
    "download_xlsx": {"zh": "下载Excel报告", "en": "Download the Excel report"},
    "tiles": {"zh": "底图", "en": "Base map"},
    "tiles_osm": {"zh": "OpenStreetMap", "en": "OpenStreetMap"},
    "tiles_amap": {"zh": "高德地图", "en": "Amap (Gaode)"},
    "tiles_none": {"zh": "无底图（离线）", "en": "None (offline)"},
    # Planner view
    "radius": {"zh": "“就近”距离（公里）", "en": "“Nearby” distance (km)"},
    "task_filter": {"zh": "按业务筛选网点", "en": "Outlets that can do"},
    "any_task": {"zh": "全部网点（不限业务）", "en": "All outlets (any task)"},
    "metric": {"zh": "地图显示", "en": "Map shows"},
    "metric_outlets": {"zh": "网点数", "en": "Outlet count"},
    "metric_meets_rule": {"zh": "是否达到每县至少2个", "en": "Meets the rule of two"},
    "metric_covered_share": {"zh": "覆盖人口比例", "en": "Covered share"},
    "p_outlets": {"zh": "网点", "en": "Outlets"},
    "p_rule": {"zh": "达标区县", "en": "Counties meeting the rule"},
    "p_share": {"zh": "{r:g} 公里内人口", "en": "Population within {r:g} km"},
    "p_mean": {"zh": "平均距离（公里）", "en": "Mean distance (km)"},
    "p_gap": {"zh": "未覆盖人口", "en": "Residents not covered"},
    "rule_table": {"zh": "各区县覆盖与达标情况", "en": "Counties: coverage and the rule"},
    "mismatch_table": {
        "zh": "登记区县与实际位置不符的网点",
        "en": "Outlets whose declared county differs from their location",
    },
    "below_rule": {
        "zh": "{n} 个区县未达到每县至少2个网点：",
        "en": "{n} counties have fewer than two outlets:",
    },
    "show_outlets": {"zh": "显示网点", "en": "Show the outlets"},
    "show_gaps": {"zh": "显示覆盖缺口", "en": "Show the gaps"},
    "show_gaps_help": {
        "zh": "在地图上画出离最近网点超过“就近”距离的居民区（每种设置首次计算需要一些时间）。",
        "en": "Draw where residents live farther than the “nearby” distance from an outlet "
        "(the first time for each setting takes a while).",
    },
    "no_mismatch": {"zh": "没有不符的网点。", "en": "No mismatch."},
    "gaps": {"zh": "覆盖缺口（按人口排序）", "en": "Gaps (largest population first)"},
    "download_csv": {"zh": "下载区县表（CSV）", "en": "Download the county table (CSV)"},
    "download_mismatch": {"zh": "下载不符网点（CSV）", "en": "Download the mismatches (CSV)"},
    "download_gaps": {"zh": "下载缺口（GeoJSON）", "en": "Download the gaps (GeoJSON)"},
    "download_json": {"zh": "下载全部数据（JSON）", "en": "Download all figures (JSON)"},
    "upload": {"zh": "上传网点名录", "en": "Upload an outlet registry"},
    "upload_help": {
        "zh": "CSV、Excel 或 GeoJSON，最大 {mb:g} MB；上传后本次会话的两个页面都使用它。",
        "en": "CSV, Excel or GeoJSON, at most {mb:g} MB; once imported, both pages use it "
        "for this session.",
    },
    "upload_crs": {"zh": "坐标系", "en": "Coordinate system"},
    "upload_report": {"zh": "导入报告（未导入的行及原因）", "en": "Import report (rows not used)"},
    "upload_counts": {
        "zh": "读取 {read} 行：导入 {accepted} 行，未导入 {rejected} 行。",
        "en": "Read {read} rows: {accepted} imported, {rejected} not used.",
    },
    "upload_none": {
        "zh": "文件中没有可用的网点，继续使用原数据。",
        "en": "No usable outlet in the file; the previous data stays in use.",
    },
    "upload_error": {"zh": "无法导入", "en": "Cannot import"},
    "importing": {"zh": "正在导入…", "en": "Importing…"},
    "upload_limit_size": {
        "zh": "文件太大，无法在网页上导入：请拆分文件，或在命令行用 locator import 导入",
        "en": "The file is too large to import here: split it, or import it on the command "
        "line with locator import",
    },
    "upload_limit_time": {
        "zh": "文件导入时间过长，已停止：请拆分文件，或在命令行用 locator import 导入",
        "en": "Importing the file took too long and was stopped: split it, or import it on "
        "the command line with locator import",
    },
    "upload_limit_memory": {
        "zh": "文件导入所需内存过多，已停止：请拆分文件，或在命令行用 locator import 导入",
        "en": "Importing the file needed too much memory and was stopped: split it, or import "
        "it on the command line with locator import",
    },
    "input_error": {"zh": "输入的内容无法使用", "en": "The value given cannot be used"},
    "place_error": {"zh": "无法查找该地名", "en": "Cannot search for this place"},
    "answer_error": {"zh": "无法查询最近的网点", "en": "Cannot find the nearest outlets"},
    "coverage_error": {"zh": "无法计算覆盖情况", "en": "Cannot compute the coverage"},
    # Leads of errors by kind (locator.app.state.error_markdown); the detail follows.
    "error_task": {"zh": "没有这项业务", "en": "There is no such task"},
    "error_bank": {"zh": "不是社保卡合作银行", "en": "Not one of the card's partner banks"},
    "error_bank_required": {
        "zh": "这项业务须选择社保卡上印的银行",
        "en": "This task needs the bank printed on the card",
    },
    "error_parameter": {"zh": "{name}无法使用", "en": "The {name} given cannot be used"},
    "siting": {"zh": "新增网点选址建议", "en": "Where to add outlets"},
    "siting_n": {"zh": "新增网点数", "en": "New outlets"},
    "siting_curve": {
        "zh": "新增网点后的覆盖人口比例",
        "en": "Covered share as outlets are added",
    },
    "computing": {"zh": "正在计算…", "en": "Computing…"},
    # Maps (locator.maps): layer names, legends, tooltips and popups drawn in the page
    "map_title": {"zh": "山西省社保卡服务网点地图", "en": "Shanxi social security card outlets"},
    "map_legend": {"zh": "图例", "en": "Legend"},
    "map_you": {"zh": "您的位置", "en": "You are here"},
    "map_distance": {"zh": "直线距离", "en": "Straight-line distance"},
    "map_km": {"zh": "公里", "en": "km"},
    "map_address": {"zh": "地址", "en": "Address"},
    "map_phone": {"zh": "电话", "en": "Phone"},
    "map_hours": {"zh": "营业时间", "en": "Hours"},
    "map_bank": {"zh": "银行", "en": "Bank"},
    "map_navigate": {"zh": "在高德地图中导航", "en": "Navigate in Amap"},
    "map_counties": {"zh": "区县", "en": "Counties"},
    "map_outlets": {"zh": "网点", "en": "Outlets"},
    "map_routes": {"zh": "到各网点的直线", "en": "Straight lines to the outlets"},
    "map_gaps": {"zh": "服务空白区", "en": "Gaps in service"},
    "map_gap": {"zh": "服务空白", "en": "Gap in service"},
    "map_suggestions": {"zh": "建议新增网点", "en": "Suggested new outlets"},
    "map_suggestion": {"zh": "建议新增网点", "en": "Suggested new outlet"},
    "map_population": {"zh": "人口", "en": "Population"},
    "map_people": {"zh": "{n} 人", "en": "{n}"},
    "map_no_data": {"zh": "无数据", "en": "no data"},
    "map_yes": {"zh": "是", "en": "yes"},
    "map_no": {"zh": "否", "en": "no"},
    "map_metric_outlets": {"zh": "网点数", "en": "Outlets"},
    "map_metric_meets_rule": {"zh": "达到每县至少2个网点", "en": "Meets the rule of 2 per county"},
    "map_metric_covered_share": {"zh": "附近有网点的人口占比", "en": "Share of residents covered"},
    "map_metric_covered_population": {"zh": "附近有网点的人口", "en": "Residents covered"},
    "map_metric_shortfall": {"zh": "距规则尚缺网点", "en": "Outlets short of the rule"},
    "map_metric_mean_km": {"zh": "平均距离（公里）", "en": "Mean distance (km)"},
    "map_metric_median_km": {"zh": "距离中位数（公里）", "en": "Median distance (km)"},
    "map_metric_p95_km": {"zh": "95%分位距离（公里）", "en": "95th percentile distance (km)"},
    "map_metric_max_km": {"zh": "最远距离（公里）", "en": "Longest distance (km)"},
    # Residents, the branch layer (issue 14): the card's bank far away, and what else to do.
    "far_branch": {
        "zh": "社保卡所属银行最近的网点也在 **{km} 公里**外（超过 {limit} 公里）。也可以：",
        "en": "The nearest branch of the card's bank is **{km} km** away (more than {limit} km). "
        "Instead:",
    },
    "no_branch": {
        "zh": "附近找不到社保卡所属银行的网点。也可以：",
        "en": "No branch of the card's bank was found. Instead:",
    },
    "branches_searched": {
        "zh": "已查找该银行的全部网点（一站式网点和普通网点均可办理）。",
        "en": "Every branch of the card's bank was searched (one-stop outlets and ordinary "
        "branches can both do this).",
    },
}


def parse_lang(value: Any) -> str:
    """Return ``zh`` or ``en`` for a language given as text (``ZH``, ``en-US``, ``中文``).

    Raises
    ------
    ValidationError
        When ``value`` names neither language.
    """
    text = str(value).strip().casefold()
    if text in ("zh", "cn", "中文", "chinese") or text.startswith(("zh-", "zh_")):
        return "zh"
    if text in ("en", "english", "英文") or text.startswith(("en-", "en_")):
        return "en"
    msg = f"language {value!r} is not supported: use zh (中文) or en (English)"
    raise ValidationError(msg)


# Column names of the planners' tables (coverage, rule, mismatches, gaps, sites).
COLUMNS: dict[str, dict[str, str]] = {
    "adcode": {"zh": "区划代码", "en": "Code"},
    "id": {"zh": "编号", "en": "ID"},
    "name": {"zh": "名称", "en": "Name"},
    "city": {"zh": "城市", "en": "City"},
    "rank": {"zh": "排名", "en": "Rank"},
    "outlets": {"zh": "网点数", "en": "Outlets"},
    "meets_rule": {"zh": "达标", "en": "Meets rule"},
    "shortfall": {"zh": "还差", "en": "Shortfall"},
    "population": {"zh": "人口", "en": "Population"},
    "population_65plus": {"zh": "65岁以上人口", "en": "Aged 65+"},
    "covered_population": {"zh": "就近覆盖人口", "en": "Covered"},
    "covered_share": {"zh": "覆盖比例 %", "en": "Covered %"},
    "covered_share_65plus": {"zh": "65岁以上覆盖比例 %", "en": "Covered 65+ %"},
    "mean_km": {"zh": "平均距离 km", "en": "Mean km"},
    "median_km": {"zh": "中位距离 km", "en": "Median km"},
    "p95_km": {"zh": "95%分位距离 km", "en": "p95 km"},
    "max_km": {"zh": "最远距离 km", "en": "Max km"},
    "declared_county": {"zh": "登记区县", "en": "Declared county"},
    "located_county": {"zh": "实际所在区县", "en": "Located in"},
    "problem": {"zh": "问题", "en": "Problem"},
    "county_name": {"zh": "区县", "en": "County"},
    "distance_km": {"zh": "最近网点距离 km", "en": "Nearest outlet km"},
    "reason": {"zh": "原因", "en": "Reason"},
    "new_population": {"zh": "新增覆盖人口", "en": "Newly covered"},
    "new_population_65plus": {"zh": "新增覆盖65岁以上", "en": "Newly covered 65+"},
    "cumulative_population": {"zh": "累计覆盖人口", "en": "Covered so far"},
    "cumulative_share": {"zh": "累计覆盖比例 %", "en": "Covered so far %"},
    "lon": {"zh": "经度", "en": "Lon"},
    "lat": {"zh": "纬度", "en": "Lat"},
}


# Planners, coverage per partner bank (issue 14): the by-bank table and its columns.
STRINGS.update(
    {
        "bank_coverage": {"zh": "各合作银行的覆盖", "en": "Coverage by partner bank"},
        "bank_coverage_help": {
            "zh": "距该银行任一网点（一站式网点或普通网点）{r:g} 公里以内的居民比例；未覆盖区县："
            "多数居民 {r:g} 公里内没有该银行网点的区县。激活金融功能、忘记银行密码、账户解限"
            "须到社保卡所属银行办理。",
            "en": "Share of residents within {r:g} km of a branch of the bank (one-stop or "
            "ordinary); uncovered counties: where most residents have no branch of the bank "
            "within {r:g} km. Activating the financial function, a forgotten bank password and "
            "unfreezing an account need the card's own bank.",
        },
        "bank_uncovered_pick": {
            "zh": "查看某银行未覆盖的区县",
            "en": "Counties a bank leaves uncovered",
        },
        "bank_uncovered": {
            "zh": "{bank}：{n} 个区县的多数居民 {r:g} 公里内没有其网点",
            "en": "{bank}: in {n} counties most residents have no branch within {r:g} km",
        },
        "bank_none_uncovered": {
            "zh": "{bank}：每个区县的多数居民 {r:g} 公里内都有其网点",
            "en": "{bank}: in every county most residents have a branch within {r:g} km",
        },
        "download_banks": {
            "zh": "下载各银行分区县覆盖 (CSV)",
            "en": "Download coverage by bank and county (CSV)",
        },
    }
)
COLUMNS.update(
    {
        "bank": {"zh": "银行", "en": "Bank"},
        "branches": {"zh": "网点数（含普通网点）", "en": "Branches (all kinds)"},
        "one_stop_outlets": {"zh": "一站式网点数", "en": "One-stop outlets"},
        "uncovered_counties": {"zh": "未覆盖区县数", "en": "Uncovered counties"},
        "uncovered_population": {"zh": "未覆盖人口", "en": "Not covered"},
    }
)


# The library's parameters as the page names them: an error never shows `lat` or a flag.
PARAMETERS: dict[str, dict[str, str]] = {
    "lat": {"zh": "纬度", "en": "latitude"},
    "lon": {"zh": "经度", "en": "longitude"},
    "k": {"zh": "网点数", "en": "number of outlets"},
    "task": {"zh": "业务", "en": "task"},
    "bank": {"zh": "银行", "en": "bank"},
    "radius_km": {"zh": "“就近”距离（公里）", "en": "“nearby” distance (km)"},
    "radii_km": {"zh": "距离（公里）", "en": "distances (km)"},
    "detour_factor": {"zh": "绕行系数", "en": "detour factor"},
    "weight_65plus": {"zh": "65岁以上人口权重", "en": "weight of residents aged 65+"},
    "new": {"zh": "新增网点数", "en": "number of new outlets"},
    "crs": {"zh": "坐标系", "en": "coordinate system"},
    "lang": {"zh": "语言", "en": "language"},
    "view": {"zh": "页面", "en": "page"},
}


def parameter_label(name: str, lang: str = "zh") -> str:
    """A library parameter as the page names it; unknown names stay as they are.

    Examples
    --------
    >>> parameter_label("lat"), parameter_label("lat", "en")
    ('纬度', 'latitude')
    """
    entry = PARAMETERS.get(name)
    return entry.get(lang, entry["zh"]) if entry else name


def column_label(column: str, lang: str = "zh") -> str:
    """The heading of a planner-table column in ``lang``; unknown columns keep their name."""
    entry = COLUMNS.get(column)
    return entry.get(lang, entry["zh"]) if entry else column


def t(key: str, lang: str = "zh", **fields: Any) -> str:
    """The text ``key`` in ``lang`` (``zh`` or ``en``), with ``fields`` filled in.

    An unknown ``lang`` falls back to Chinese; an unknown ``key`` raises ``KeyError``,
    so a typo fails in the tests rather than showing a blank label.
    """
    entry = STRINGS[key]
    text = entry.get(lang, entry["zh"])
    return text.format(**fields) if fields else text


# Planner map (issue 12): the cluster legend, one entry per size class markercluster draws.
STRINGS.update(
    {
        "map_cluster_small": {"zh": "网点群：少于 10 个", "en": "Group of fewer than 10 outlets"},
        "map_cluster_medium": {"zh": "网点群：10–99 个", "en": "Group of 10–99 outlets"},
        "map_cluster_large": {"zh": "网点群：100 个及以上", "en": "Group of 100 or more outlets"},
    }
)


# Accessibility (issue 13 §2): the county choropleth of E2SFCA access.
STRINGS.update(
    {
        "map_metric_access_per_10k": {
            "zh": "每万人服务窗口数（可达性）",
            "en": "Service counters per 10,000 residents (access)",
        },
        "metric_access_per_10k": {"zh": "每万人服务窗口数", "en": "Counters per 10,000 residents"},
        "access_title": {"zh": "可达性与公平性", "en": "Access and equity"},
        "access_caption": {
            "zh": "全省每万人 {all:.3f} 个服务窗口（两步移动搜寻法 E2SFCA）；居民间基尼系数 "
            "{gini:.3f}；最差 10% 居民平均 {worst:.3f}；65 岁以上 {older:.3f}。",
            "en": "{all:.3f} service counters per 10,000 residents in the province (E2SFCA); "
            "Gini over residents {gini:.3f}; the worst-served 10 % {worst:.3f} on average; "
            "residents aged 65+ {older:.3f}.",
        },
        "access_residents": {"zh": "居民累计占比", "en": "Share of residents"},
        "access_share": {"zh": "服务窗口累计占比", "en": "Share of counters"},
        "access_distance_share": {"zh": "距离累计占比", "en": "Share of distance"},
        "access_cumulative": {"zh": "累计占比", "en": "Cumulative share"},
    }
)


# Planner siting (issue 12 §3): rule repairs apart from coverage sites, the gain curve's axes.
STRINGS.update(
    {
        "siting_reason_rule": {"zh": "补足每县2个", "en": "Meets the rule"},
        "siting_reason_coverage": {"zh": "扩大覆盖", "en": "Wider coverage"},
        "siting_rule_title": {"zh": "先补足每县2个网点", "en": "First, the rule of two per county"},
        "siting_rule_why": {
            "zh": "该业务下有 {counties} 个区县不足 2 个网点（{names}），按规定须先补足：需 {sites} 个新网点，"
            "排在扩大覆盖的网点之前。",
            "en": "For this task {counties} counties have fewer than 2 outlets ({names}); the rule "
            "comes first, and meeting it takes {sites} new outlets, placed before those for coverage.",
        },
        "siting_coverage_title": {
            "zh": "再扩大覆盖：{n} 个新网点",
            "en": "Then wider coverage: {n} new outlets",
        },
        "siting_curve_x": {"zh": "新增网点数", "en": "Number of new outlets"},
        "siting_curve_y": {
            "zh": "{r:g} 公里内居民比例（%）",
            "en": "Residents within {r:g} km (%)",
        },
    }
)


# Import (issue 13 §2): service counters read from a capacity column (窗口数, 柜台数).
STRINGS.update(
    {
        "import_capacity": {
            "zh": "；服务窗口数（capacity）：{given} 行已给出，其余 {default} 行按网点类型取默认值",
            "en": "; capacity (service counters) given on {given} rows, the kind's default on "
            "the other {default}",
        },
    }
)


# Residents: "use my location" (issue 11 §2), the browser's position (locator.app.geolocation).
STRINGS.update(
    {
        "geo_button": {"zh": "📍 使用我的位置", "en": "📍 Use my location"},
        "geo_busy": {"zh": "正在获取位置…", "en": "Finding your location…"},
        "geo_found": {
            "zh": "已使用浏览器提供的位置（误差约 {accuracy_m} 米）。",
            "en": "Using the position your browser gave (within about {accuracy_m} m).",
        },
        "geo_denied": {
            "zh": "浏览器未允许获取位置。请在浏览器设置中允许，或在下方输入地名、在地图上点选。",
            "en": "The browser did not allow your location. Allow it in the browser's settings, "
            "or type a place below or click the map.",
        },
        "geo_unavailable": {
            "zh": "暂时无法确定您的位置。请稍后再试，或在下方输入地名、在地图上点选。",
            "en": "Your location could not be found just now. Try again later, or type a place "
            "below or click the map.",
        },
        "geo_timeout": {
            "zh": "获取位置超时。请再试一次，或在下方输入地名、在地图上点选。",
            "en": "Finding your location took too long. Try again, or type a place below or "
            "click the map.",
        },
        "geo_insecure": {
            "zh": "此网址不安全（不是 https），浏览器不提供位置。请在下方输入地名、在地图上点选。",
            "en": "This address is not secure (not https), so the browser gives no location. "
            "Type a place below or click the map.",
        },
        "geo_unsupported": {
            "zh": "此浏览器不能提供位置。请在下方输入地名、在地图上点选。",
            "en": "This browser cannot give your location. Type a place below or click the map.",
        },
    }
)


# Resident map (issue 11 §3): numbered pins, Amap routes from the resident, a call link.
STRINGS.update(
    {
        "map_route_in": {"zh": "高德地图路线：", "en": "Route in Amap:"},
        "map_route_start": {"zh": "我的位置", "en": "My location"},
        "map_route_walk": {"zh": "步行", "en": "Walk"},
        "map_route_bus": {"zh": "公交", "en": "Transit"},
        "map_route_car": {"zh": "驾车", "en": "Drive"},
        "map_call": {"zh": "拨打电话", "en": "Call"},
    }
)


# Residents (issue 11 §3-§5): the answer's cards, the calendar, a bad link in resident words.
STRINGS.update(
    {
        "card_distance": {"zh": "直线距离 {km} 公里", "en": "{km} km in a straight line"},
        "col_rank": {"zh": "序号", "en": "No."},
        "col_open": {"zh": "营业状态", "en": "Open now"},
        "route_walk": {"zh": "步行", "en": "Walk"},
        "route_transit": {"zh": "公交", "en": "Transit"},
        "route_drive": {"zh": "驾车", "en": "Drive"},
        "calendar_note": {
            "zh": "{year} 年的法定节假日和调休安排尚未收录：营业状态按周一至周五为工作日估算，"
            "节假日前后可能不准。",
            "en": "The official holidays and make-up working days of {year} are not known here "
            "yet: opening is judged with Monday to Friday as working days, so days around a "
            "holiday may be wrong.",
        },
        "url_bad_task": {
            "zh": "这个链接里的业务无法识别，请在下面重新选择要办的事。",
            "en": "The task in this link is not one we know: choose below what you need to do.",
        },
        "url_bad_position": {
            "zh": "链接里的位置不完整或不在地图上，请重新选择位置。",
            "en": "The position in this link is incomplete or not on the map: choose your "
            "position again.",
        },
        "url_bad_bank": {
            "zh": "链接里的银行无法识别，请在下面重新选择社保卡上印的银行。",
            "en": "The bank in this link is not one we know: choose below the bank printed on "
            "your card.",
        },
        "url_bad_lang": {
            "zh": "链接里的语言无法识别，页面使用中文。",
            "en": "The language in this link is not one we know, so the page opened in Chinese.",
        },
        "url_bad_view": {
            "zh": "链接里的页面不存在，已打开“就近办理”。",
            "en": "The page in this link does not exist, so Find an outlet opened.",
        },
        "url_bad_k": {
            "zh": "链接里的网点数无法使用（应为 1 到 {max} 的整数），已按默认数目显示。",
            "en": "The number of outlets in this link cannot be used (a whole number from 1 to "
            "{max}), so the usual number is shown.",
        },
        "url_bad_at": {
            "zh": "链接里的时间无法识别，营业状态按现在的时间显示。",
            "en": "The time in this link cannot be read, so opening hours are shown for now.",
        },
    }
)


# Planners: the planner page's 65+ shown once and its road network (issues 12 and 13).
STRINGS.update(
    {
        "same_65plus": {
            "zh": "各县65岁以上人口的覆盖率和距离与全部人口完全相同（人口来源在县内按全部人口分布"
            "65岁以上人口时即如此），只列一次。",
            "en": "In every county the 65+ shares and distances equal those of all residents (as "
            "when the population source places the 65+ like all residents inside each county): "
            "shown once.",
        },
        "p_share_road": {
            "zh": "{r:g} 公里内人口（道路）",
            "en": "Population within {r:g} km by road",
        },
        "p_mean_road": {"zh": "平均道路距离（公里）", "en": "Mean road distance (km)"},
        "distance_note": {"zh": "距离：{kind}", "en": "Distances: {kind}"},
        "distance_straight": {"zh": "直线距离", "en": "straight line"},
        "distance_road": {
            "zh": "道路距离（OSM 路网，{mode}）",
            "en": "road distance (OSM road network, {mode})",
        },
        "network_title": {"zh": "道路距离（OSM 路网）", "en": "Road distance (OSM road network)"},
        "network_extract": {
            "zh": "服务器上的 OSM 路网文件",
            "en": "OSM extract on the server",
        },
        "network_extract_help": {
            "zh": "服务器路网文件夹中的 .osm.pbf 文件。选择后，覆盖、缺口、选址和可达性都按道路距离"
            "计算；路网首次读取后缓存，再次使用更快。",
            "en": "The .osm.pbf files of the server's road network folder. When one is chosen, "
            "coverage, gaps, sites and access are measured along its roads; the network is "
            "cached after the first read.",
        },
        "network_choice_none": {"zh": "不使用路网（直线距离）", "en": "None (straight line)"},
        "network_off": {
            "zh": "本服务器未设置路网文件夹，距离按直线计算。服务器管理员可在启动应用前将环境变量 "
            "LOCATOR_NETWORK_DIR 设为存放 .osm.pbf 文件的文件夹，此处即可选择其中的路网。",
            "en": "No road network folder is set on this server: distances are straight lines. "
            "A server operator enables road distance by setting LOCATOR_NETWORK_DIR to a "
            "folder of .osm.pbf files before starting the app; its extracts are then offered "
            "here.",
        },
        "network_empty": {
            "zh": "服务器的路网文件夹中没有 .osm.pbf 文件，距离按直线计算。",
            "en": "The server's road network folder holds no .osm.pbf file: distances are "
            "straight lines.",
        },
        "network_mode": {"zh": "出行方式", "en": "Travel by"},
        "network_mode_drive": {"zh": "驾车", "en": "car"},
        "network_mode_walk": {"zh": "步行", "en": "foot"},
        "network_building": {"zh": "正在读取路网…", "en": "Reading the road network…"},
        "network_error": {
            "zh": "无法使用该路网文件，仍按直线距离计算",
            "en": "Cannot use this road network; distances stay straight lines",
        },
        "network_on": {
            "zh": "按道路距离计算：{name}（{nodes} 个路网节点）",
            "en": "Measured along the roads of {name} ({nodes} network nodes)",
        },
        "network_warning": {"zh": "路网提示", "en": "Road network note"},
        "bank_show": {"zh": "计算各银行的覆盖", "en": "Compute coverage by bank"},
        "bank_show_help": {
            "zh": "逐一计算 16 家合作银行的网点覆盖，每个新的“就近”距离约需 1 秒。",
            "en": "Coverage of each of the 16 partner banks' branches: about a second for each "
            "new “nearby” distance.",
        },
        "bank_straight": {
            "zh": "各银行的覆盖按直线距离计算（不使用路网）。",
            "en": "Coverage by bank is measured in straight lines (not along the roads).",
        },
    }
)


# Residents (issue 11): the task first, where you are, results people can act on.
STRINGS.update(
    {
        "task_placeholder": {"zh": "请选择要办理的业务", "en": "Choose what you need to do"},
        "intro": {
            "zh": "先选择要办理的业务；本页告诉您能否线上办理，以及离您最近、能办理的网点。",
            "en": "Choose what you need to do first: this page says whether it can be done "
            "online, and which outlets near you can do it.",
        },
        "from_geolocation": {"zh": "浏览器定位", "en": "from your browser"},
        "change": {"zh": "更改", "en": "Change"},
        "filters": {"zh": "筛选与时间", "en": "Filters and time"},
        "when": {"zh": "什么时候去？", "en": "When will you go?"},
        "when_now": {"zh": "现在", "en": "Now"},
        "when_at": {"zh": "选择日期和时间", "en": "Choose a date and time"},
        "at_date": {"zh": "日期", "en": "Date"},
        "at_time": {"zh": "时间", "en": "Time"},
        "f_open": {"zh": "只看营业中的网点", "en": "Open at that time only"},
        "f_weekends": {"zh": "周末营业", "en": "Open at weekends"},
        "f_instant": {"zh": "立等可取（即时制卡）", "en": "Issues cards while you wait"},
        "f_topup": {"zh": "可办交通一卡通充值", "en": "Transport card top-up"},
        "show_more": {"zh": "显示更多网点", "en": "Show more outlets"},
        "call": {"zh": "☎ 拨打 {phone}", "en": "☎ Call {phone}"},
        "route": {"zh": "{mode}路线", "en": "{mode} route"},
        "show_on_map": {"zh": "在地图上显示第 {n} 个", "en": "Show number {n} on the map"},
    }
)
