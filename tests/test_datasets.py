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
        match=r"name 'stations' is no shipped data set; choose one of outlets, branches, counties",
    ):
        datasets.get_path("stations")


def test_readers_equal_the_loaders_on_the_same_file():
    assert datasets.outlets().equals(load_outlets(datasets.get_path("outlets")))
    assert datasets.counties().equals(load_counties(datasets.get_path("counties")))
    assert datasets.branches().equals(load_outlets(datasets.get_path("branches")))


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


def test_registry_is_both_layers_whole_and_once():
    one_stop, branches = datasets.outlets(), datasets.branches()
    both = datasets.registry()
    assert len(both) == len(one_stop) + len(branches)
    assert both["id"].is_unique
    assert both["id"].tolist() == [*one_stop["id"], *branches["id"]]
    assert set(both.loc[both["id"].isin(branches["id"]), "kind"]) == {"branch"}
    assert set(one_stop["kind"]) == {"government", "bank"}
    assert both.crs == one_stop.crs
    assert (both.geometry.x.to_numpy()[: len(one_stop)] == one_stop.geometry.x.to_numpy()).all()
    assert datasets.is_sample(both)
    assert both.attrs["metadata"]["layers"] == ["outlets", "branches"]
    assert both.attrs["metadata"]["title"] == one_stop.attrs["metadata"]["title"]


def _layer(path, source, n, **change):
    document = json.loads(source.read_text(encoding="utf-8"))
    document["features"] = document["features"][:n]
    for feature in document["features"]:
        feature["properties"].update(change)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def test_registry_of_a_folder_without_branches_is_its_one_stop_layer(tmp_path, monkeypatch):
    shipped_branches = datasets.get_path("branches")
    _layer(tmp_path / "outlets.geojson", datasets.get_path("outlets"), 4)
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    both = datasets.registry()
    assert len(both) == 4 and set(both["kind"]) <= {"government", "bank"}
    assert both.attrs["metadata"]["layers"] == ["outlets"]
    _layer(tmp_path / "branches.geojson", shipped_branches, 3)
    assert len(datasets.registry()) == 7


def test_registry_refuses_an_id_in_both_layers(tmp_path, monkeypatch):
    _layer(tmp_path / "outlets.geojson", datasets.get_path("outlets"), 2)
    _layer(tmp_path / "branches.geojson", datasets.get_path("branches"), 1, id="140105-G001")
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    with pytest.raises(
        DataFileError, match=r"id '140105-G001' is used in .*outlets.geojson and in"
    ):
        datasets.registry()
