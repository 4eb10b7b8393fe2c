"""The planner's county choropleth: which figures it knows, their colour classes and labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from locator import settings
from locator._errors import ValidationError
from locator.maps._layers import COLORS, TEXT, TileSource, county_layer, fmt, is_missing
from locator.maps._leaflet import Features

__all__ = ["BLUES", "METRICS", "RED_TO_GREEN", "Metric", "choropleth_layer", "classes"]


@dataclass(frozen=True)
class Metric:
    label: dict[str, str]
    kind: str  # "count" (the rule's bins), "bool", "share" (0-1), "people", "km", "number"


#: Columns of a county table that `locator.maps.planner_map` knows how to colour and label.
METRICS: dict[str, Metric] = {
    "outlets": Metric({"zh": "网点数", "en": "Outlets"}, "count"),
    "meets_rule": Metric(
        {"zh": "达到每县至少2个网点", "en": "Meets the rule of 2 per county"}, "bool"
    ),
    "covered_share": Metric(
        {"zh": "附近有网点的人口占比", "en": "Share of residents covered"}, "share"
    ),
    "population": Metric({"zh": "人口", "en": "Population"}, "people"),
    "covered_population": Metric({"zh": "附近有网点的人口", "en": "Residents covered"}, "people"),
    "shortfall": Metric({"zh": "距规则尚缺网点", "en": "Outlets short of the rule"}, "number"),
    "mean_km": Metric({"zh": "平均距离（公里）", "en": "Mean distance (km)"}, "km"),
    "median_km": Metric({"zh": "距离中位数（公里）", "en": "Median distance (km)"}, "km"),
    "p95_km": Metric({"zh": "95%分位距离（公里）", "en": "95th percentile distance (km)"}, "km"),
    "max_km": Metric({"zh": "最远距离（公里）", "en": "Longest distance (km)"}, "km"),
}

BLUES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
RED_TO_GREEN = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")


def classes(values: pd.Series, kind: str) -> tuple[list[str], list[str], Callable[[Any], str]]:
    """Colour classes for a metric: (colours, labels, value -> colour)."""
    if kind == "bool":
        colors, labels = [RED_TO_GREEN[-1], RED_TO_GREEN[0]], ["yes", "no"]
        return colors, labels, lambda v: colors[0] if bool(v) else colors[1]
    if kind == "share":
        edges = [0.0, 0.2, 0.4, 0.6, 0.8]
        labels = [f"{a:.0%}–{b:.0%}" for a, b in zip(edges, [*edges[1:], 1.0], strict=True)]
        colors = list(RED_TO_GREEN)
    elif kind == "count":
        rule = settings.min_outlets_per_county
        edges = sorted({0.0, float(rule), float(rule + 1), 6.0, 11.0, 21.0})
        labels = [
            f"{int(a)}" if b - a == 1 else f"{int(a)}–{int(b) - 1}"
            for a, b in zip(edges, edges[1:], strict=False)
        ] + [f"{int(edges[-1])}+"]
        colors = [RED_TO_GREEN[0], *BLUES][: len(edges)]
    else:
        finite = values.astype(float)
        finite = finite[np.isfinite(finite)]
        quantiles = (
            np.unique(np.quantile(finite, [0, 0.2, 0.4, 0.6, 0.8])) if len(finite) else [0.0]
        )
        edges = [float(q) for q in quantiles]
        labels = [f"≥ {fmt(a, kind, 'en')}" for a in edges]
        colors = list(BLUES)[: len(edges)]

    def color(value: Any) -> str:
        index = int(np.searchsorted(edges, float(value), side="right")) - 1
        return colors[min(max(index, 0), len(colors) - 1)]

    return colors, labels, color


def choropleth_layer(
    counties: gpd.GeoDataFrame,
    county_table: pd.DataFrame,
    metric: str,
    source: TileSource | None,
    lang: str,
) -> tuple[Features, list[tuple[str, str, str]], str]:
    """Counties coloured by ``county_table[metric]``: (layer, legend entries, metric label).

    Each county's tooltip lists every figure of `METRICS` in the table, ``metric`` first;
    counties missing from the table, or without a value, are grey ("no data").
    """
    t = TEXT[lang]
    if "adcode" not in county_table:
        msg = "county_table: missing column adcode; give the counties table of the coverage report"
        raise ValidationError(msg)
    if metric not in county_table:
        known = ", ".join(c for c in county_table.columns if c in METRICS)
        msg = f"metric {metric!r} is not a column of county_table; choose one of {known}"
        raise ValidationError(msg)
    spec = METRICS.get(metric, Metric({"zh": metric, "en": metric}, "number"))
    table = county_table.assign(adcode=county_table["adcode"].astype(str)).set_index("adcode")
    present = [c for c in METRICS if c in table.columns]
    values = table[metric]
    colors, labels, color_of = classes(values.dropna(), spec.kind)

    def fill(row: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        code = str(row.adcode)
        if code not in table.index:
            return _filled(COLORS["no_data"]), [(spec.label[lang], t["no_data"])]
        figures = table.loc[code]
        value = figures[metric]
        shown = [metric, *(c for c in present if c != metric)]
        extra = [
            (
                METRICS[c].label[lang] if c in METRICS else str(c),
                fmt(figures[c], METRICS[c].kind if c in METRICS else "number", lang),
            )
            for c in shown
        ]
        return _filled(COLORS["no_data"] if is_missing(value) else color_of(value)), extra

    layer = county_layer(counties, source, lang, fill=fill, name=spec.label[lang])
    shown_labels = [t[v] if spec.kind == "bool" else v for v in labels]
    legend = list(zip(colors, ["box"] * len(colors), shown_labels, strict=True))
    if values.isna().any() or not set(counties["adcode"].astype(str)) <= set(table.index):
        legend.append((COLORS["no_data"], "box", t["no_data"]))
    return layer, legend, spec.label[lang]


def _filled(color: str) -> dict[str, Any]:
    return {"color": "#fff", "weight": 1, "fillColor": color, "fillOpacity": 0.75}
