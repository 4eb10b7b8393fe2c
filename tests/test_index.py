"""The index against brute-force haversine over the same outlets."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from locator._errors import BankRequiredError, UnknownTaskError, ValidationError
from locator.distance import haversine_km
from locator.index import OutletIndex
from locator.tasks import TASKS
from tests.conftest import random_points


def brute_force(index: OutletIndex, mask: np.ndarray, lon, lat, k):
    """k nearest by haversine to every point, among the outlets in ``mask``."""
    candidates = np.flatnonzero(mask)
    d = haversine_km(
        lon[:, None], lat[:, None], index.lon[candidates][None, :], index.lat[candidates][None, :]
    )
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, order, axis=1), candidates[order]


def suitable(outlets, task=None, bank=None):
    mask = np.ones(len(outlets), dtype=bool)
    if task is not None:
        mask &= np.array([task in s for s in outlets["services"]])
    if bank is not None:
        mask &= (outlets["bank"] == bank).to_numpy()
    return mask


def assert_same_neighbours(index, mask, lon, lat, k, **filters):
    distance, found = index.query(lon=lon, lat=lat, k=k, **filters)
    expected_d, expected_pos = brute_force(index, mask, lon, lat, k)
    np.testing.assert_allclose(distance, expected_d, rtol=0, atol=1e-9)
    # Positions agree wherever the distance is not tied with the next one.
    agree = (found == expected_pos) | np.isclose(distance, expected_d, atol=1e-12)
    assert agree.all()
    assert (found >= 0).all() and mask[found].all()


def test_unfiltered_knn_equals_brute_force(index):
    lon, lat = random_points(3000, seed=1)
    assert_same_neighbours(index, np.ones(len(index), bool), lon, lat, k=5)


@pytest.mark.parametrize("task", [t for t, v in TASKS.items() if v.kinds and not v.own_bank])
def test_task_filter_equals_brute_force(index, outlets, task):
    lon, lat = random_points(2000, seed=2)
    assert_same_neighbours(index, suitable(outlets, task), lon, lat, k=3, task=task)


@pytest.mark.parametrize("bank", ["中国工商银行", "农商行", "渤海银行", "中信银行"])
@pytest.mark.parametrize("task", ["activate_finance", "reset_bank_password"])
def test_own_bank_filter_equals_brute_force(index, outlets, task, bank):
    lon, lat = random_points(1000, seed=3)
    mask = suitable(outlets, task, bank)
    k = min(4, int(mask.sum()))
    assert_same_neighbours(index, mask, lon, lat, k=k, task=task, bank=bank)


def test_short_bank_name_gives_the_same_answer(index):
    a = index.nearest(lon=112.5, lat=37.8, k=5, task="activate_finance", bank="工行")
    b = index.nearest(lon=112.5, lat=37.8, k=5, task="activate_finance", bank="中国工商银行")
    assert a["id"].tolist() == b["id"].tolist()
    assert set(a["bank"]) == {"中国工商银行"}


def test_filter_never_returns_fewer_than_k_while_k_exist(index, outlets):
    # The rarest bank: a k-NN-then-filter search would come back with almost nothing.
    rarest = outlets["bank"].value_counts().idxmin()
    n = int(suitable(outlets, "activate_finance", rarest).sum())
    found = index.nearest(lon=111.0, lat=35.2, k=n, task="activate_finance", bank=rarest)
    assert len(found) == n
    more = index.nearest(lon=111.0, lat=35.2, k=n + 3, task="activate_finance", bank=rarest)
    assert len(more) == n  # only n exist: fewer rows, no padding rows
    distance, positions = index.query(
        lon=[111.0], lat=[35.2], k=n + 3, task="activate_finance", bank=rarest
    )
    # k is capped at the n suitable outlets: n columns, every one a real outlet.
    assert distance.shape == positions.shape == (1, n)
    assert np.isfinite(distance).all() and set(positions[0]) == set(
        np.flatnonzero(suitable(outlets, "activate_finance", rarest))
    )


def test_radius_query_equals_brute_force(index, outlets):
    lon, lat = random_points(300, seed=4)
    found, distance = index.query_radius(lon=lon, lat=lat, radius_km=8.0, task="reset_card_pin")
    mask = suitable(outlets, "reset_card_pin")
    for i in range(lon.size):
        d = haversine_km(lon[i], lat[i], index.lon, index.lat)
        expected = np.flatnonzero(mask & (d <= 8.0))
        assert set(found[i].tolist()) == set(expected.tolist())
        np.testing.assert_allclose(distance[i], np.sort(d[found[i]]), atol=1e-9)


def test_within_is_sorted_and_bounded(index):
    near = index.within(lon=112.55, lat=37.87, radius_km=3.0)
    assert len(near) > 0
    assert near["distance_km"].is_monotonic_increasing and (near["distance_km"] <= 3.0).all()


def test_nearest_frame_carries_coordinates_and_registry_columns(index, outlets):
    found = index.nearest(lon=112.55, lat=37.87, k=3)
    assert {"id", "name", "kind", "bank", "county_adcode", "lon", "lat", "distance_km"} <= set(
        found.columns
    )
    first = outlets.set_index("id").loc[found["id"].iloc[0]]
    assert found["lon"].iloc[0] == pytest.approx(first.geometry.x)


def test_own_bank_task_without_bank_is_refused_with_the_bank_list(index):
    with pytest.raises(BankRequiredError, match="activate_finance.*give bank=.*中国工商银行"):
        index.nearest(lon=112.5, lat=37.8, task="activate_finance")


def test_bad_queries_are_refused(index):
    with pytest.raises(UnknownTaskError):
        index.nearest(lon=112.5, lat=37.8, task="nope")
    with pytest.raises(ValidationError, match="k=0"):
        index.nearest(lon=112.5, lat=37.8, k=0)
    with pytest.raises(ValidationError, match="lat=95"):
        index.query(lon=[112.5], lat=[95.0])
    with pytest.raises(ValidationError, match="radius_km"):
        index.within(lon=112.5, lat=37.8, radius_km=-1)


def test_online_only_task_has_no_outlets(index):
    assert index.nearest(lon=112.5, lat=37.8, task="reset_ecard_password").empty


def test_index_does_not_modify_the_registry(outlets):
    before = outlets.copy()
    index = OutletIndex(outlets)
    index.nearest(lon=112.5, lat=37.8, k=3, task="transit_topup")
    assert outlets.equals(before)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(100, 125), st.floats(20, 50), st.sampled_from(["government", "bank"])),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 6),
    st.integers(0, 2**32 - 1),
)
def test_any_registry_matches_brute_force(rows, k, seed):
    lon = np.array([r[0] for r in rows])
    lat = np.array([r[1] for r in rows])
    frame = gpd.GeoDataFrame(
        {
            "kind": [r[2] for r in rows],
            "bank": [None if r[2] == "government" else "中国银行" for r in rows],
            "services": [["reset_card_pin"] if r[2] == "government" else ["apply"] for r in rows],
        },
        geometry=shapely.points(lon, lat),
        crs="EPSG:4326",
    )
    index = OutletIndex(frame)
    qlon, qlat = (
        np.random.default_rng(seed).uniform(100, 125, 50),
        np.random.default_rng(seed + 1).uniform(20, 50, 50),
    )
    mask = (frame["kind"] == "government").to_numpy()
    k_eff = min(k, int(mask.sum()))
    if k_eff:
        assert_same_neighbours(index, mask, qlon, qlat, k=k_eff, task="reset_card_pin")
    assert_same_neighbours(index, np.ones(len(rows), bool), qlon, qlat, k=min(k, len(rows)))
