"""The shipped data, read in one place: names, the folder override, copies, re-reading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from locator import datasets, settings
from locator._errors import DataFileError, ValidationError
from locator.counties import load_counties
from locator.registry import load_outlets


def test_every_name_is_a_file_inside_the_package():
    package = Path(datasets.__file__).parent
    for name, file_name in datasets.NAMES.items():
        path = datasets.get_path(name)
        assert path.name == file_name and path.parent == package and path.is_file()


def test_an_unknown_name_is_refused_naming_the_parameter():
    with pytest.raises(
        ValidationError,
        match=r"name 'branches' is no shipped data set; choose one of outlets, counties",
    ):
        datasets.get_path("branches")


def test_readers_equal_the_loaders_on_the_same_file():
    assert datasets.outlets().equals(load_outlets(datasets.get_path("outlets")))
    assert datasets.counties().equals(load_counties(datasets.get_path("counties")))


def test_each_call_hands_out_its_own_copy():
    first = datasets.outlets()
    first.loc[0, "name"] = "改了"
    first.attrs["metadata"]["sample"] = False
    again = datasets.outlets()
    assert again.loc[0, "name"] != "改了"
    assert datasets.is_sample(again)


def test_data_dir_points_every_name_at_another_folder(tmp_path, monkeypatch, outlets):
    document = json.loads(datasets.get_path("outlets").read_text(encoding="utf-8"))
    document["features"] = document["features"][:3]
    document.pop("metadata", None)
    for feature in document["features"]:
        feature["properties"]["sample"] = False
    path = tmp_path / "outlets.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    assert datasets.get_path("outlets") == path
    assert list(datasets.outlets()["id"]) == list(outlets["id"][:3])
    assert not datasets.is_sample(datasets.outlets())
    # Changed on disk: read anew, not answered from the cache.
    document["features"] = document["features"][:2]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert len(datasets.outlets()) == 2
    # A folder without the file: the reader names the file.
    with pytest.raises(DataFileError, match="counties.geojson: no such file"):
        datasets.counties()


def test_is_sample_reads_the_metadata_or_the_rows(outlets):
    assert datasets.is_sample(outlets)
    real = outlets.drop(columns="sample")
    real.attrs = {"metadata": {}}
    assert not datasets.is_sample(real)
    one = real.assign(sample=[True] + [False] * (len(real) - 1))
    assert datasets.is_sample(one)
