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
from locator.i18n import t
from locator.maps._layers import COLORS, MapOptions, county_polygons, figure_text, is_missing
from locator.maps._leaflet import Features

__all__ = [
    "BLUES",
    "METRICS",
    "RED_TO_GREEN",
    "Metric",
    "choropleth_layer",
    "classes",
    "metric_label",
]


@dataclass(frozen=True)
class Metric:
    """A county figure the planner map knows: its label's key in `locator.i18n`, its kind.

    ``kind`` is ``"count"`` (the rule's bins), ``"bool"``, ``"share"`` (0-1), ``"people"``,
    ``"km"`` or ``"number"``.
    """

    label_key: str
    kind: str


#: Columns of a county table that `locator.maps.planner_map` knows how to colour and label.
METRICS: dict[str, Metric] = {
    "outlets": Metric("map_metric_outlets", "count"),
    "meets_rule": Metric("map_metric_meets_rule", "bool"),
    "covered_share": Metric("map_metric_covered_share", "share"),
    "population": Metric("map_population", "people"),
    "covered_population": Metric("map_metric_covered_population", "people"),
    "shortfall": Metric("map_metric_shortfall", "number"),
    "mean_km": Metric("map_metric_mean_km", "km"),
    "median_km": Metric("map_metric_median_km", "km"),
    "p95_km": Metric("map_metric_p95_km", "km"),
    "max_km": Metric("map_metric_max_km", "km"),
    # locator.planning.access.Accessibility.counties, merged into the county table
    "access_per_10k": Metric("map_metric_access_per_10k", "number"),
}


def metric_label(column: str, lang: str) -> str:
    """A county figure's label: from `METRICS`, else the column's own name.

    >>> metric_label("covered_share", "en"), metric_label("my_score", "en")
    ('Share of residents covered', 'my_score')
    """
    return t(METRICS[column].label_key, lang) if column in METRICS else str(column)


def _kind(column: str) -> str:
    return METRICS[column].kind if column in METRICS else "number"


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
        labels = [f"≥ {figure_text(a, kind, 'en')}" for a in edges]
        colors = list(BLUES)[: len(edges)]

    def color(value: Any) -> str:
        index = int(np.searchsorted(edges, float(value), side="right")) - 1
        return colors[min(max(index, 0), len(colors) - 1)]

    return colors, labels, color


def choropleth_layer(
    counties: gpd.GeoDataFrame, county_table: pd.DataFrame, metric: str, options: MapOptions
) -> tuple[Features, list[tuple[str, str, str]], str]:
    """Counties coloured by ``county_table[metric]``: (layer, legend entries, metric label).

    Each county's tooltip lists every figure of `METRICS` in the table, ``metric`` first;
    counties missing from the table, or without a value, are grey ("no data").
    """
    lang = options.lang
    no_data = t("map_no_data", lang)
    if "adcode" not in county_table:
        msg = "county_table: missing column adcode; give the counties table of the coverage report"
        raise ValidationError(msg)
    if metric not in county_table:
        known = ", ".join(c for c in county_table.columns if c in METRICS)
        msg = f"metric {metric!r} is not a column of county_table; choose one of {known}"
        raise ValidationError(msg)
    label, kind = metric_label(metric, lang), _kind(metric)
    table = county_table.assign(adcode=county_table["adcode"].astype(str)).set_index("adcode")
    present = [c for c in METRICS if c in table.columns]
    values = table[metric]
    colors, labels, color_of = classes(values.dropna(), kind)
    shown = [metric, *(c for c in present if c != metric)]

    def fill(row: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        code = str(row.adcode)
        if code not in table.index:
            return _filled(COLORS["no_data"]), [(label, no_data)]
        figures = table.loc[code]
        value = figures[metric]
        extra = [(metric_label(c, lang), figure_text(figures[c], _kind(c), lang)) for c in shown]
        return _filled(COLORS["no_data"] if is_missing(value) else color_of(value)), extra

    layer = county_polygons(counties, options, fill=fill, name=label)
    shown_labels = [t(f"map_{v}", lang) if kind == "bool" else v for v in labels]
    legend = list(zip(colors, ["box"] * len(colors), shown_labels, strict=True))
    if values.isna().any() or not set(counties["adcode"].astype(str)) <= set(table.index):
        legend.append((COLORS["no_data"], "box", no_data))
    return layer, legend, label


def _filled(color: str) -> dict[str, Any]:
    return {"color": "#fff", "weight": 1, "fillColor": color, "fillOpacity": 0.75}
