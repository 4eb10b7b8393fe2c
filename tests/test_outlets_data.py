"""The shipped sample registry reproduces the published figures, and says it is a sample."""

from __future__ import annotations

import importlib.util
import json

import numpy as np

from locator import datasets
from locator.banks import BANK_NAMES
from locator.counties import county_of
from locator.registry import outlets_to_geojson
from locator.tasks import default_services
from tests.conftest import REPO


def test_exactly_1443_outlets_with_unique_ids(outlets):
    assert len(outlets) == 1443
    assert outlets["id"].is_unique


def test_every_county_has_at_least_two_outlets_by_polygon(outlets, counties):
    located = county_of(outlets.geometry.x, outlets.geometry.y, counties=counties)
    assert located.notna().all()
    per_county = located.value_counts().reindex(counties["adcode"], fill_value=0)
    assert len(per_county) == 117 and per_county.min() >= 2
    # Points lie inside the county they declare.
    assert (located.to_numpy() == outlets["county_adcode"].to_numpy()).all()


def test_counts_follow_population(outlets, counties):
    per_county = outlets["county_adcode"].value_counts().reindex(counties["adcode"]).to_numpy()
    correlation = np.corrcoef(per_county, counties["population"].to_numpy())[0, 1]
    assert correlation > 0.95


def test_kinds_banks_and_equipment(outlets):
    assert set(outlets["kind"]) == {"government", "bank"}
    government = outlets["kind"] == "government"
    assert outlets.loc[government, "bank"].isna().all()
    assert set(outlets.loc[~government, "bank"]) == set(BANK_NAMES)
    assert int(outlets["transit_topup"].sum()) == 443
    assert not outlets.loc[government, ["transit_topup", "instant_issue"]].any().any()
    instant = outlets.loc[~government, "instant_issue"]
    assert 0 < instant.sum() < len(instant)  # part of the bank outlets, not none, not all


def test_services_follow_the_routing_table(outlets):
    for kind, instant, transit, services in zip(
        outlets["kind"],
        outlets["instant_issue"],
        outlets["transit_topup"],
        outlets["services"],
        strict=True,
    ):
        assert services == default_services(kind, instant_issue=instant, transit_topup=transit)


def test_every_county_has_a_government_hall(outlets):
    halls = outlets.loc[outlets["kind"] == "government", "county_adcode"].nunique()
    assert halls == 117


def test_the_file_says_it_is_a_sample():
    document = json.loads(datasets.get_path("outlets").read_text(encoding="utf-8"))
    assert document["metadata"]["sample"] is True
    assert "NOT the real registry" in document["metadata"]["title"]
    assert all(f["properties"]["sample"] is True for f in document["features"])
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "generated sample" in readme.lower()


def test_generator_reproduces_the_shipped_file():
    spec = importlib.util.spec_from_file_location(
        "generate_outlets", REPO / "scripts" / "generate_outlets.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    regenerated = outlets_to_geojson(module.generate(datasets.counties()), metadata=module.METADATA)
    shipped = json.loads(datasets.get_path("outlets").read_text(encoding="utf-8"))
    assert regenerated["features"] == shipped["features"]
