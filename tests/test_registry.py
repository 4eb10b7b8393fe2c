from __future__ import annotations

import json

import pytest

from locator._errors import DataFileError
from locator.registry import OUTLET_COLUMNS, load_counties, load_outlets, write_outlets


def test_write_then_load_round_trip(outlets, tmp_path):
    path = write_outlets(outlets.head(20), tmp_path / "o.geojson", metadata={"sample": True})
    again = load_outlets(path)
    assert again["id"].tolist() == outlets["id"].head(20).tolist()
    assert again["services"].tolist() == outlets["services"].head(20).tolist()
    assert abs(again.geometry.x - outlets.geometry.x.head(20)).max() < 1e-6
    assert abs(again.geometry.y - outlets.geometry.y.head(20)).max() < 1e-6
    assert again.attrs["metadata"] == {"sample": True}
    assert list(again.columns[: len(OUTLET_COLUMNS)]) == list(OUTLET_COLUMNS)
    assert "小店区" in path.read_text(
        encoding="utf-8"
    )  # Chinese is written readable, not \\u-escaped


def write(tmp_path, content: str):
    path = tmp_path / "bad.geojson"
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "bad.geojson: not a GeoJSON file"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": [{"properties": {"id": "a"}, "geometry": null}]}',
         "feature 1: geometry is not a Point"),
        ('{"type": "FeatureCollection", "features": [{"properties": {"name": "x"}, '
         '"geometry": {"type": "Point", "coordinates": [112, 37]}}]}', "feature 1: no id"),
        ('{"type": "FeatureCollection", "features": [{"properties": {"id": "a"}, '
         '"geometry": {"type": "Point", "coordinates": ["x", 37]}}]}', "feature 1: bad coordinates"),
    ],
)  # fmt: skip
def test_bad_files_are_named_with_the_problem(tmp_path, content, message):
    with pytest.raises(DataFileError, match=message):
        load_outlets(write(tmp_path, content))


def test_duplicate_ids_are_refused(tmp_path):
    feature = {"type": "Feature", "properties": {"id": "x", "name": "n", "kind": "bank"},
               "geometry": {"type": "Point", "coordinates": [112, 37]}}  # fmt: skip
    path = write(
        tmp_path, json.dumps({"type": "FeatureCollection", "features": [feature, feature]})
    )
    with pytest.raises(DataFileError, match="id 'x' is used by more than one outlet"):
        load_outlets(path)


def test_missing_files(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_outlets(tmp_path / "none.geojson")
    with pytest.raises(DataFileError, match="no such file"):
        load_counties(tmp_path / "none.geojson")
