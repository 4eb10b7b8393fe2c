"""locator.output: the one JSON-safe writer and the one CSV-for-Excel writer."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from locator import datasets
from locator.output import (
    EXCEL_CELL_LIMIT,
    csv_bytes,
    display_width,
    excel_safe,
    jsonable,
    render_table,
    to_json,
    write_csv,
)
from locator.registry import outlets_to_geojson

LOCATOR = Path(__file__).resolve().parents[1] / "locator"


def test_jsonable_turns_numpy_and_missing_values_into_plain_json():
    value = {
        "i": np.int32(-5),
        "f": np.float64(2.5),
        "b": np.bool_(True),
        "a": np.array([1, 2]),
        "nan": float("nan"),
        "npnan": np.float32("nan"),
        "inf": -math.inf,
        "na": pd.NA,
        "nat": pd.NaT,
        "nested": [{"s": {"b", "a"}}, (np.int64(1),)],
        "text": "太原",
    }
    out = jsonable(value)
    assert out == {
        "i": -5, "f": 2.5, "b": True, "a": [1, 2], "nan": None, "npnan": None, "inf": None,
        "na": None, "nat": None, "nested": [{"s": ["a", "b"]}, [1]], "text": "太原",
    }  # fmt: skip
    assert type(out["i"]) is int and type(out["b"]) is bool
    json.dumps(out, allow_nan=False)  # strict JSON: no NaN or Infinity left


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
))  # fmt: skip
def test_jsonable_output_is_always_strict_json(value):
    json.dumps(jsonable(value), allow_nan=False)


def test_to_json_keeps_chinese_and_writes_null_for_nan():
    text = to_json({"name": "小店区", "km": float("nan"), "n": np.int64(2)})
    assert "小店区" in text
    assert json.loads(text) == {"name": "小店区", "km": None, "n": 2}


def test_registry_geojson_goes_through_jsonable():
    outlets = datasets.outlets().head(3)
    outlets["score"] = [np.float64("nan"), np.int16(4), math.inf]
    properties = [f["properties"] for f in outlets_to_geojson(outlets)["features"]]
    assert [p["score"] for p in properties] == [None, 4.0, None]
    json.dumps(properties, allow_nan=False)


def test_no_other_json_or_csv_writer_in_the_package():
    # One writer each: a private copy (`_jsonable`, `_csv`, a `to_csv`) would drift from it.
    for path in LOCATOR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "def _jsonable" not in text and "def _csv(" not in text, path
        if path != LOCATOR / "output.py":
            assert ".to_csv(" not in text, path


def test_csv_bytes_is_excel_csv_with_inert_cells(tmp_path):
    frame = pd.DataFrame({"name": ["=1+1", "太原", "@SUM(A1)"], "n": [-1, 2, 3]})
    data = csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["name"].tolist() == ["'=1+1", "太原", "'@SUM(A1)"]
    assert back["n"].tolist() == [-1, 2, 3]
    path = write_csv(frame, tmp_path / "x.csv")
    assert path.read_bytes() == data


def test_excel_safe_cuts_text_longer_than_a_cell():
    cut = excel_safe(pd.DataFrame({"a": ["x" * (EXCEL_CELL_LIMIT + 10)]}))["a"].iloc[0]
    assert len(cut) == EXCEL_CELL_LIMIT and cut.endswith("…[cut]")


def test_render_table_aligns_wide_characters():
    text = render_table(pd.DataFrame({"name": ["小店区", "ab"], "km": [1.234, 10.0]}))
    lines = text.splitlines()
    assert lines[0].startswith("name") and lines[2].startswith("小店区  1.23")
    # The second column starts at the same terminal column on every line.
    starts = [display_width(re.match(r"\S+\s+", line).group(0)) for line in lines]
    assert len(set(starts)) == 1, text
