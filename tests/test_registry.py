from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locator._errors import (
    DataFileError,
    LocatorError,
    LocatorWarning,
    ResourceLimitError,
    ValidationError,
)
from locator.counties import load_counties
from locator.index import OutletIndex
from locator.registry import (
    OUTLET_COLUMNS,
    load_outlets,
    parse_services,
    write_outlets,
)


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


# --- hostile files: only LocatorError escapes, and no feature is dropped silently -------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Values near the registry's shape, so the fuzzing reaches past the first checks.
GEOMETRIES = JSON_VALUES | st.fixed_dictionaries(
    {"type": st.sampled_from(["Point", "LineString", "point"]), "coordinates": JSON_VALUES}
)
PROPERTIES = JSON_VALUES | st.dictionaries(
    st.sampled_from([*OUTLET_COLUMNS, "geometry", "lon", "distance_km", "extra"]),
    JSON_VALUES,
    max_size=8,
)
FEATURES = JSON_VALUES | st.fixed_dictionaries(
    {"type": st.just("Feature"), "geometry": GEOMETRIES, "properties": PROPERTIES}
)
DOCUMENTS = JSON_VALUES | st.fixed_dictionaries(
    {"type": st.just("FeatureCollection"), "features": st.lists(FEATURES, max_size=5) | JSON_VALUES}
)


def load_both(path: Path) -> None:
    """Load ``path`` as the CLI would; on success the index must answer a query too."""
    try:
        outlets = load_outlets(path)
    except LocatorError:
        return
    index = OutletIndex.from_file(path)
    assert len(index) == len(outlets) > 0
    index.nearest(lon=112.55, lat=37.87, k=3)


@pytest.mark.filterwarnings("ignore::locator._errors.LocatorWarning")
@settings(max_examples=300, deadline=None)
@given(DOCUMENTS)
def test_random_json_only_raises_locator_errors(document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.geojson"
        path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
        load_both(path)


@pytest.mark.filterwarnings("ignore::locator._errors.LocatorWarning")
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_locator_errors(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.geojson"
        path.write_bytes(data)
        load_both(path)


# One feature: (its JSON, whether it is usable). Each aspect is drawn good or bad by hand,
# so the test knows which feature the loader must name.
GOOD_ASPECTS = {
    "coordinates": st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list),
    "kind": st.sampled_from(["government", "bank"]),
    "services": st.sampled_from(
        [["apply"], [], None, "apply, reset_card_pin", "apply；transit_topup"]
    ),
    "bank": st.sampled_from([None, "中国银行", "工行"]),
    "transit_topup": st.sampled_from([True, False, None, 0, 1]),
}
BAD_ASPECTS = {
    "coordinates": st.sampled_from(
        [[500, 37], [112, 200], [math.nan, 37], [112, math.inf], ["x", 37], [112], None, 112]
    ),
    "kind": st.sampled_from([["bank"], "shop", None, 1]),
    "services": st.sampled_from([5, [1, 2], {"a": 1}, [["apply"]]]),
    "bank": st.sampled_from([["工行"], 3, {"name": "工行"}, "Citibank"]),
    "transit_topup": st.sampled_from(["yes", 2, [True]]),
}


@st.composite
def drawn_feature(draw, number: int):
    bad = (
        draw(st.sets(st.sampled_from(sorted(GOOD_ASPECTS)), max_size=2))
        if draw(st.booleans())
        else set()
    )
    aspects = {
        name: draw((BAD_ASPECTS if name in bad else GOOD_ASPECTS)[name]) for name in GOOD_ASPECTS
    }
    properties = {"id": f"o{number}", "name": f"网点{number}", "kind": aspects["kind"]}
    for name in ("services", "bank", "transit_topup"):
        properties[name] = aspects[name]
    geometry = {"type": "Point", "coordinates": aspects["coordinates"]}
    return {"type": "Feature", "properties": properties, "geometry": geometry}, not bad


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*(drawn_feature(i + 1) for i in range(n)))))
def test_every_feature_is_loaded_or_named(drawn):
    features = [f for f, _ in drawn]
    usable = [ok for _, ok in drawn]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.geojson"
        path.write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=True),
            encoding="utf-8",
        )
        if all(usable):
            outlets = load_outlets(path)
            assert outlets["id"].tolist() == [f"o{i + 1}" for i in range(len(features))]
            expected = [f["geometry"]["coordinates"] for f in features]
            assert np.allclose(np.column_stack([outlets.geometry.x, outlets.geometry.y]), expected)
            for got, f in zip(outlets["services"], features, strict=True):
                assert got == parse_services(f["properties"]["services"])
        else:
            first = usable.index(False) + 1
            with pytest.raises(DataFileError, match=f"r.geojson: feature {first}: "):
                load_outlets(path)


def test_parse_services_reads_lists_and_texts():
    assert parse_services(["apply", " reset_card_pin ", ""]) == ["apply", "reset_card_pin"]
    for text in ("apply,reset_card_pin", "apply ， reset_card_pin", "apply; reset_card_pin",
                 "apply；reset_card_pin", "apply、reset_card_pin", "apply|reset_card_pin",
                 "apply/reset_card_pin", "apply\treset_card_pin", " apply  reset_card_pin "):  # fmt: skip
        assert parse_services(text) == ["apply", "reset_card_pin"], text
    assert parse_services("") == [] and parse_services(math.nan) == []
    for bad in (5, [1], {"apply": True}, True):
        with pytest.raises(ValidationError, match="services .* is not a list of task codes"):
            parse_services(bad)


def test_metadata_that_is_not_an_object_is_ignored(tmp_path):
    feature = {"type": "Feature", "properties": {"id": "x", "name": "n", "kind": "bank"},
               "geometry": {"type": "Point", "coordinates": [112, 37]}}  # fmt: skip
    path = write(
        tmp_path,
        json.dumps({"type": "FeatureCollection", "metadata": [1], "features": [feature]}),
    )
    assert load_outlets(path).attrs["metadata"] == {}


def test_more_features_than_the_import_limit_are_refused(tmp_path, monkeypatch):
    from locator import settings as locator_settings

    features = [
        {"type": "Feature", "properties": {"id": f"o{i}", "name": "n", "kind": "bank"},
         "geometry": {"type": "Point", "coordinates": [112, 37]}}
        for i in range(3)
    ]  # fmt: skip
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}))
    monkeypatch.setattr(locator_settings, "import_max_rows", 3)
    assert len(load_outlets(path)) == 3
    monkeypatch.setattr(locator_settings, "import_max_rows", 2)
    with pytest.raises(ResourceLimitError, match="3 features, more than settings.import_max_rows"):
        load_outlets(path)


def test_bank_names_are_read_as_the_partner_bank_they_name(tmp_path):
    def outlet(i, bank):
        return {"type": "Feature",
                "properties": {"id": f"o{i}", "name": "n", "kind": "bank", "bank": bank,
                               "services": ["activate_finance"]},
                "geometry": {"type": "Point", "coordinates": [112.5 + i / 100, 37.8]}}  # fmt: skip

    banks = ["工行", "ICBC", "中国工商银行股份有限公司太原迎泽支行", "", None]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection",
                                       "features": [outlet(i, b) for i, b in enumerate(banks)]}))  # fmt: skip
    outlets = load_outlets(path)
    assert outlets["bank"].tolist()[:3] == ["中国工商银行"] * 3
    assert outlets["bank"].isna().tolist() == [False, False, False, True, True]
    found = OutletIndex(outlets).nearest(
        lon=112.5, lat=37.8, k=10, task="activate_finance", bank="中国工商银行"
    )
    assert sorted(found["id"]) == ["o0", "o1", "o2"]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection",
                                       "features": [outlet(0, "工行"), outlet(1, "Citibank")]}))  # fmt: skip
    with pytest.raises(DataFileError, match="feature 2: unknown bank 'Citibank'"):
        load_outlets(path)


def test_records_with_a_services_text_keep_their_services():
    from locator.registry import outlets_from_records

    frame = outlets_from_records(
        [{"id": "a", "services": "apply、reset_card_pin"}, {"id": "b", "services": ["apply"]}],
        [112.5, 112.6],
        [37.8, 37.9],
    )
    assert frame["services"].tolist() == [["apply", "reset_card_pin"], ["apply"]]


def test_services_that_no_search_finds_are_a_warning(capsys, tmp_path):
    from locator.cli import main

    def outlet(i, services):
        return {"type": "Feature", "properties": {"id": f"o{i}", "name": "n", "kind": "government",
                "services": services}, "geometry": {"type": "Point", "coordinates": [112.55, 37.87]}}  # fmt: skip

    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": [
        outlet(1, ["apply"]), outlet(2, "apply, 补卡"), outlet(3, ["PIN", "补卡"])]}))  # fmt: skip
    with pytest.warns(
        LocatorWarning, match=r"'补卡' \(feature 2\), 'PIN' \(feature 3\);"
    ) as caught:
        outlets = load_outlets(path)
    assert len(caught) == 1 and outlets["services"].tolist()[2] == ["PIN", "补卡"]
    assert main(["nearest", "--lat", "37.87", "--lon", "112.55", "--outlets", str(path)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"locator: warning: {path}: services not in")


def _branch(i, bank, services):
    return {"type": "Feature", "properties": {"id": f"b{i}", "name": "n", "kind": "branch",
            "bank": bank, "services": services},
            "geometry": {"type": "Point", "coordinates": [112.5 + i / 100, 37.8]}}  # fmt: skip


def test_a_branch_keeps_only_its_own_bank_tasks_with_one_warning(tmp_path):
    features = [
        _branch(1, "工行", ["activate_finance", "apply"]),
        _branch(2, "工行", ["unfreeze_account"]),
        _branch(3, "招行", ["reset_card_pin", "transit_topup", "reset_bank_password"]),
    ]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.warns(LocatorWarning, match="ordinary branches") as caught:
        outlets = load_outlets(path)
    dropped = [w for w in caught if "ordinary branches" in str(w.message)]
    assert len(dropped) == 1
    message = str(dropped[0].message)
    assert "feature 1: apply" in message
    assert "feature 3: reset_card_pin, transit_topup" in message
    assert "feature 2" not in message
    assert outlets["services"].tolist() == [
        ["activate_finance"],
        ["unfreeze_account"],
        ["reset_bank_password"],
    ]
    assert outlets["kind"].tolist() == ["branch"] * 3
    assert outlets["bank"].tolist() == ["中国工商银行", "中国工商银行", "招商银行"]


@pytest.mark.parametrize("bank", [None, "", "  "])
def test_a_branch_without_a_bank_is_refused_naming_the_feature(tmp_path, bank):
    features = [_branch(1, "工行", ["activate_finance"]), _branch(2, bank, ["activate_finance"])]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(DataFileError, match="feature 2: kind 'branch' without a bank"):
        load_outlets(path)


def test_a_one_stop_bank_outlet_keeps_every_task(tmp_path):
    feature = _branch(1, "工行", ["activate_finance", "apply", "transit_topup"])
    feature["properties"]["kind"] = "bank"
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": [feature]}))
    outlets = load_outlets(path)
    assert outlets["services"].tolist() == [["activate_finance", "apply", "transit_topup"]]


def _with_capacity(number: int, capacity: object) -> dict[str, object]:
    return {"type": "Feature", "properties": {"id": f"o{number}", "name": "n", "kind": "government",
            "capacity": capacity},
            "geometry": {"type": "Point", "coordinates": [112.5 + number / 100, 37.8]}}  # fmt: skip


def test_whole_capacities_are_read_and_a_missing_one_is_the_default(tmp_path):
    capacities = [1, 3, 3.0, 12, None]
    features = [_with_capacity(i, c) for i, c in enumerate(capacities, start=1)]
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": features}))
    got = load_outlets(path)["capacity"].tolist()
    assert got[:4] == [1.0, 3.0, 3.0, 12.0]
    assert math.isnan(got[4])


# A counter is not split: the importer refuses 2.5 as it refuses 0 and -1 (bad_capacity).
@pytest.mark.parametrize(
    ("capacity", "shown"),
    [(2.5, "2.5"), (0.5, "0.5"), (0, "0"), (0.0, "0.0"), (-1, "-1"), (-2.0, "-2.0"),
     (math.inf, "inf"), (math.nan, "nan"), (True, "True"), ("3", "'3'")],
)  # fmt: skip
def test_a_capacity_that_is_no_whole_count_is_refused_naming_file_outlet_and_value(
    tmp_path, capacity, shown
):
    features = [_with_capacity(1, 2), _with_capacity(2, capacity)]
    text = json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=True)
    path = write(tmp_path, text)
    expected = (
        f"{path}: feature 2: capacity {shown} of outlet 'o2' is not a whole number of service "
        "counters above 0: give the number of counters (窗口/柜台), e.g. 3, or leave it out for "
        "the kind's default (settings.capacity_by_kind)"
    )
    with pytest.raises(DataFileError) as caught:
        load_outlets(path)
    assert str(caught.value) == expected


@pytest.mark.parametrize(
    ("text", "whole"), [("3", True), ("2.5", False), ("0", False), ("-1", False)]
)
def test_the_loader_and_the_importer_agree_on_capacity(tmp_path, text, whole):
    from locator import datasets
    from locator.importer import import_registry

    csv = tmp_path / "registry.csv"
    csv.write_text(f"网点名称,所属银行,经度,纬度,capacity\n工行迎泽支行,工商银行,112.5492,37.857,{text}\n",
                   encoding="utf-8")  # fmt: skip
    imported = import_registry(csv, counties=datasets.counties())
    assert imported.accepted == (1 if whole else 0)
    feature = _with_capacity(1, json.loads(text))
    path = write(tmp_path, json.dumps({"type": "FeatureCollection", "features": [feature]}))
    if whole:
        assert load_outlets(path)["capacity"].tolist() == [float(text)]
    else:
        with pytest.raises(DataFileError, match=f"capacity {text} of outlet 'o1'"):
            load_outlets(path)
