"""The shipped sample of ordinary bank branches: footprints, apartness from outlets, a sample."""

from __future__ import annotations

import importlib.util
import json
import sys
from types import ModuleType

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from locator import datasets
from locator.banks import BANK_NAMES
from locator.counties import county_of
from locator.registry import write_outlets
from locator.tasks import TASKS
from tests.conftest import REPO

BRANCHES_PATH = REPO / "data" / "branches.geojson"
SCRIPTS = REPO / "scripts"
# The footprints the issue asks for, written out by hand from it.
JOINT_STOCK = {"招商银行", "浦发银行", "民生银行", "兴业银行", "光大银行", "中信银行", "渤海银行"}
EVERY_COUNTY = {"中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行"} | {
    "中国邮政储蓄银行",
    "农商行",
}
CITY_BANKS = {"山西银行", "晋商银行"}


def _script(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    # generate_branches imports the outlet generator's helpers as a sibling module, as it
    # does when run as `python scripts/generate_branches.py`.
    monkeypatch.syspath_prepend(str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs: dataclasses look their module up by name.
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def _haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(BRANCHES_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def branches(document) -> pd.DataFrame:
    # Read as plain JSON, not through the registry reader: the file is checked on its own.
    frame = pd.DataFrame([f["properties"] for f in document["features"]])
    coordinates = np.array([f["geometry"]["coordinates"] for f in document["features"]])
    frame["lon"], frame["lat"] = coordinates[:, 0], coordinates[:, 1]
    return frame


def test_generator_reproduces_the_shipped_file_byte_for_byte(monkeypatch, tmp_path):
    module = _script("generate_branches", monkeypatch)
    regenerated = module.generate(datasets.counties(), datasets.outlets())
    path = write_outlets(regenerated, tmp_path / "branches.geojson", metadata=module.METADATA)
    assert path.read_bytes() == BRANCHES_PATH.read_bytes()


def test_outlets_file_is_unchanged_by_the_shared_helpers(monkeypatch, tmp_path):
    module = _script("generate_outlets", monkeypatch)
    path = write_outlets(
        module.generate(datasets.counties()), tmp_path / "outlets.geojson", metadata=module.METADATA
    )
    assert path.read_bytes() == datasets.get_path("outlets").read_bytes()


def test_every_branch_lies_in_its_declared_county(branches, counties):
    located = county_of(branches["lon"], branches["lat"], counties=counties)
    assert (located.to_numpy() == branches["county_adcode"].to_numpy()).all()


def test_joint_stock_banks_only_in_city_districts(branches, counties):
    # City districts (区) have codes 01-20 in their 5th-6th digits; the names must agree.
    by_code = set(counties.loc[counties["adcode"].str[4:6].astype(int) < 21, "adcode"])
    by_name = set(counties.loc[counties["name"].str.endswith("区"), "adcode"])
    assert by_code == by_name and len(by_code) > 11
    joint = branches[branches["bank"].isin(JOINT_STOCK)]
    assert set(joint["bank"]) == JOINT_STOCK
    assert set(joint["county_adcode"]) <= by_code
    # City banks: mostly in city districts, yet a few county seats too.
    city = branches[branches["bank"].isin(CITY_BANKS)]
    in_district = city["county_adcode"].isin(by_code)
    assert in_district.mean() > 0.75 and not in_district.all()


def test_state_postal_and_rural_banks_in_every_county(branches, counties):
    for bank in EVERY_COUNTY:
        present = set(branches.loc[branches["bank"] == bank, "county_adcode"])
        assert present == set(counties["adcode"]), bank


def test_rural_and_postal_banks_reach_beyond_the_seat(branches, counties):
    seats = counties.set_index("adcode")[["seat_lon", "seat_lat"]]
    seat = seats.loc[branches["county_adcode"]].to_numpy()
    away = _haversine_m(branches["lon"], branches["lat"], seat[:, 0], seat[:, 1]) > 5000
    rural = set(counties.loc[~counties["name"].str.endswith("区"), "adcode"])
    for bank in ("农商行", "中国邮政储蓄银行"):
        reached = set(branches.loc[(branches["bank"] == bank) & away, "county_adcode"])
        assert len(reached & rural) >= 0.8 * len(rural), bank
    # Joint-stock banks, by contrast, stay in town.
    joint = branches["bank"].isin(JOINT_STOCK)
    assert away[joint].mean() < away[branches["bank"] == "农商行"].mean()


def test_counts_per_bank_have_realistic_orders(branches, counties):
    counts = branches["bank"].value_counts()
    assert set(counts.index) == set(BANK_NAMES)
    assert 2000 <= len(branches) <= 9000
    assert list(counts.index[:3]) == ["农商行", "中国邮政储蓄银行", "中国农业银行"]
    assert counts[list(JOINT_STOCK)].between(10, 99).all()
    # The everywhere-banks follow population.
    everywhere = branches[branches["bank"].isin(EVERY_COUNTY)]
    per_county = everywhere["county_adcode"].value_counts().reindex(counties["adcode"])
    assert np.corrcoef(per_county.to_numpy(), counties["population"].to_numpy())[0, 1] > 0.9


def test_services_are_exactly_the_bank_side_tasks(branches):
    bank_side = [t.code for t in TASKS.values() if t.own_bank]
    # The routing table (DOMAIN.md): what only the card's own bank does, at any branch.
    assert set(bank_side) == {"activate_finance", "reset_bank_password", "unfreeze_account"}
    assert all(services == bank_side for services in branches["services"])
    assert set(branches["kind"]) == {"branch"}
    assert not branches[["instant_issue", "transit_topup"]].any().any()


def test_no_branch_duplicates_a_one_stop_outlet(branches, outlets):
    assert branches["id"].is_unique and branches["name"].is_unique
    assert not set(branches["id"]) & set(outlets["id"])
    assert not set(branches["name"]) & set(outlets["name"])
    assert branches["id"].str.fullmatch(r"\d{6}-R\d{3}").all()
    for bank in BANK_NAMES:
        mine = branches[branches["bank"] == bank]
        theirs = outlets[outlets["bank"] == bank]
        gap = _haversine_m(
            mine["lon"].to_numpy()[:, None],
            mine["lat"].to_numpy()[:, None],
            theirs.geometry.x.to_numpy()[None, :],
            theirs.geometry.y.to_numpy()[None, :],
        )
        assert gap.min() >= 10, bank
        # Nor do two branches of one bank share a spot.
        among = _haversine_m(
            mine["lon"].to_numpy()[:, None],
            mine["lat"].to_numpy()[:, None],
            mine["lon"].to_numpy()[None, :],
            mine["lat"].to_numpy()[None, :],
        )
        np.fill_diagonal(among, np.inf)
        assert among.min() >= 10, bank


def test_the_file_says_it_is_a_sample(document, branches):
    metadata = document["metadata"]
    assert metadata["sample"] is True
    assert "NOT a real branch directory" in metadata["title"]
    assert "并非真实网点名录" in metadata["title_zh"]
    assert "invented" in metadata["description"]
    assert branches["sample"].map(lambda v: v is True).all()
    assert branches["address"].str.endswith("（示例地址）").all()


def test_sources_shows_the_table_generated_from_the_file(monkeypatch, branches, outlets, counties):
    module = _script("generate_branches", monkeypatch)
    shipped = gpd.GeoDataFrame(
        branches, geometry=gpd.points_from_xy(branches["lon"], branches["lat"]), crs="EPSG:4326"
    )
    table = module.bank_table(shipped, outlets, counties)
    assert table in (REPO / "data" / "SOURCES.md").read_text(encoding="utf-8")


def test_readme_lists_the_file():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "| `data/branches.geojson` |" in readme


def test_merging_the_two_shipped_layers_keeps_every_row_and_merges_none():
    # The generator keeps a bank's points farther apart than the merge distance, so merging
    # the branch layer into the one-stop registry finds no false repeat.
    from locator import datasets, settings
    from locator.importer import merge_registry

    outlets, branches = datasets.outlets(), datasets.branches()
    merged, report = merge_registry(outlets, branches, distance_m=settings.merge_distance_m)
    assert len(report) == 0
    assert sorted(merged["id"]) == sorted([*outlets["id"], *branches["id"]])
