"""The index against brute-force haversine over the same outlets."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from locator import datasets
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


# --- Both layers: one-stop outlets and ordinary branches (issue 14) ---------------------------

ONE_STOP_TASKS = [t for t, v in TASKS.items() if v.kinds and not v.own_bank]
OWN_BANK_TASKS = [t for t, v in TASKS.items() if v.own_bank]


@pytest.fixture(scope="module")
def both():
    return datasets.registry()


@pytest.fixture(scope="module")
def both_index(both):
    return OutletIndex(both)


def suitable_in_both(both, task=None, bank=None):
    """Which rows may answer, written from the issue's rules, not from the index's code."""
    ordinary = (both["kind"] == "branch").to_numpy()
    lists = np.array([task in s for s in both["services"]]) if task else np.ones(len(both), bool)
    of_bank = (both["bank"] == bank).to_numpy() if bank else np.ones(len(both), bool)
    if task is None and bank is None:
        return ~ordinary
    if task is None:
        return of_bank
    if TASKS[task].own_bank:
        return lists & of_bank
    return lists & ~ordinary


def test_the_shipped_registry_has_both_kinds_and_the_published_one_stop_count(both):
    assert (both["kind"] == "branch").sum() == len(datasets.branches()) > 0
    assert (both["kind"] != "branch").sum() == 1443


def test_both_layers_unfiltered_equal_the_one_stop_brute_force(both_index, both):
    lon, lat = random_points(2000, seed=11)
    mask = suitable_in_both(both)
    assert mask.sum() == 1443
    assert_same_neighbours(both_index, mask, lon, lat, k=5)
    found, _ = both_index.query_radius(lon=lon[:50], lat=lat[:50], radius_km=20.0)
    assert all(mask[f].all() for f in found)


@pytest.mark.parametrize("task", ONE_STOP_TASKS)
def test_both_layers_one_stop_task_equals_brute_force(both_index, both, task):
    lon, lat = random_points(1000, seed=12)
    assert_same_neighbours(both_index, suitable_in_both(both, task), lon, lat, k=3, task=task)


@pytest.mark.parametrize("bank", ["中国工商银行", "农商行", "招商银行", "渤海银行", "山西银行"])
@pytest.mark.parametrize("task", [*OWN_BANK_TASKS, None])
def test_both_layers_own_bank_and_bank_only_equal_brute_force(both_index, both, task, bank):
    lon, lat = random_points(800, seed=13)
    mask = suitable_in_both(both, task, bank)
    assert (both.loc[mask, "kind"] == "branch").any(), "the bank has ordinary branches"
    assert_same_neighbours(
        both_index, mask, lon, lat, k=min(4, int(mask.sum())), task=task, bank=bank
    )


@pytest.mark.parametrize("bank", ["中国工商银行", "招商银行", "中国邮政储蓄银行", "中信银行"])
@pytest.mark.parametrize("task", OWN_BANK_TASKS)
def test_a_bank_side_task_reaches_an_ordinary_branch_nearer_than_any_one_stop_outlet(
    both_index, both, task, bank
):
    # From the data: the ordinary branch of this bank farthest from the bank's one-stop outlets.
    ordinary = both[(both["kind"] == "branch") & (both["bank"] == bank)]
    one_stop = both[(both["kind"] == "bank") & (both["bank"] == bank)]
    assert len(ordinary) and len(one_stop)
    gap = haversine_km(
        ordinary.geometry.x.to_numpy()[:, None],
        ordinary.geometry.y.to_numpy()[:, None],
        one_stop.geometry.x.to_numpy()[None, :],
        one_stop.geometry.y.to_numpy()[None, :],
    ).min(axis=1)
    branch = ordinary.iloc[int(np.argmax(gap))]
    lon, lat = branch.geometry.x + 0.001, branch.geometry.y
    nearest_one_stop = haversine_km(lon, lat, one_stop.geometry.x, one_stop.geometry.y).min()
    found = both_index.nearest(lon=lon, lat=lat, k=3, task=task, bank=bank)
    assert found["kind"].iloc[0] == "branch" and set(found["bank"]) == {bank}
    assert found["distance_km"].iloc[0] < nearest_one_stop
    assert found["id"].iloc[0] == branch["id"] or found["distance_km"].iloc[0] <= haversine_km(
        lon, lat, branch.geometry.x, branch.geometry.y
    )
    # The one-stop layer alone sends the resident farther: what the branch layer fixes.
    alone = OutletIndex(both[both["kind"] != "branch"]).nearest(
        lon=lon, lat=lat, k=1, task=task, bank=bank
    )
    assert alone["distance_km"].iloc[0] == pytest.approx(nearest_one_stop, abs=1e-6)


def test_the_cmb_card_of_the_issue_finds_a_nearer_branch(both_index):
    # Issue 14: a 招商银行 card at 36.0 N, 111.5 E was sent 136 km to 晋城 by the one-stop layer.
    found = both_index.nearest(lon=111.5, lat=36.0, k=1, task="activate_finance", bank="招行")
    assert found["bank"].iloc[0] == "招商银行"
    alone = OutletIndex(datasets.outlets()).nearest(
        lon=111.5, lat=36.0, k=1, task="activate_finance", bank="招行"
    )
    assert found["distance_km"].iloc[0] <= alone["distance_km"].iloc[0]


@settings(max_examples=60, deadline=None)
@given(
    st.floats(110.0, 114.8),
    st.floats(34.4, 40.9),
    st.sampled_from(ONE_STOP_TASKS),
    st.integers(1, 30),
    st.one_of(st.none(), st.sampled_from(["工行", "招行", "邮储", "山西银行"])),
)
def test_a_one_stop_task_never_returns_an_ordinary_branch(lon, lat, task, k, bank):
    index = _BOTH_INDEX()
    found = index.nearest(lon=lon, lat=lat, k=k, task=task, bank=bank)
    assert len(found) == min(k, int(suitable_in_both(index.outlets, task).sum()))
    assert "branch" not in set(found["kind"])
    near = index.within(lon=lon, lat=lat, radius_km=25.0, task=task, bank=bank)
    assert "branch" not in set(near["kind"])


@functools.cache
def _BOTH_INDEX():  # noqa: N802 (a cached constant: hypothesis tests cannot take module fixtures)
    return OutletIndex(datasets.registry())


# --- filters before the search (issue 11 §4) ------------------------------------------------


def _with_unknown_hours(outlets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sample with every 7th outlet's hours unknown: the filters must keep those."""
    changed = outlets.copy()
    unknown = np.arange(len(changed)) % 7 == 3
    changed.loc[unknown, "opening_hours"] = None
    changed.loc[unknown, "hours"] = "请电话预约"
    return changed


def _hours_mask(outlets, moment=None, weekends=False):
    """Row by row from the parsed hours: open at ``moment``, open on an ordinary weekend."""
    import datetime as dt

    from locator.hours import intervals_on, is_open, parse_hours

    keep = []
    # 2026-11-14/15: an ordinary Saturday and Sunday (no holiday, no make-up working day).
    saturday, sunday = dt.date(2026, 11, 14), dt.date(2026, 11, 15)
    for text in outlets["opening_hours"]:
        if not isinstance(text, str):
            keep.append(True)  # unknown hours are kept, never hidden
            continue
        hours = parse_hours(text)
        ok = moment is None or is_open(hours, moment)
        if weekends:
            ok &= bool(intervals_on(hours, saturday) or intervals_on(hours, sunday))
        keep.append(ok)
    return np.array(keep, dtype=bool)


@pytest.mark.parametrize(
    ("at", "weekends", "instant_issue", "transit_topup"),
    [
        ("2026-10-01 10:00", False, False, False),  # 国庆节: halls closed, banks on PH hours
        ("2026-10-10 10:00", False, False, False),  # make-up working Saturday
        ("2026-12-01 12:30", False, False, False),  # lunch break of the WD halls
        ("2026-12-01 20:00", False, False, False),  # everything closed but unknown hours
        (None, True, False, False),
        (None, False, True, False),
        (None, False, False, True),
        ("2026-10-03 10:00", True, False, True),
    ],
)
def test_filtered_index_equals_brute_force(outlets, at, weekends, instant_issue, transit_topup):
    from locator.hours import parse_at

    changed = _with_unknown_hours(outlets)
    index = OutletIndex(changed)
    moment = None if at is None else parse_at(at)
    mask = _hours_mask(changed, moment, weekends)
    if instant_issue:
        mask &= changed["instant_issue"].to_numpy(dtype=bool)
    if transit_topup:
        mask &= changed["transit_topup"].to_numpy(dtype=bool)
    assert 0 < mask.sum() < len(changed)
    kept = index.filtered(
        open_at=moment, weekends=weekends, instant_issue=instant_issue, transit_topup=transit_topup
    )
    assert kept.outlets["id"].tolist() == changed["id"][mask].tolist()
    # The nearest of the filtered index are the brute-force nearest among the rows kept.
    lon, lat = random_points(300, seed=5)
    distance, positions = kept.query(lon=lon, lat=lat, k=3, task="apply")
    expected_d, expected_pos = brute_force(index, mask & suitable(changed, "apply"), lon, lat, 3)
    np.testing.assert_allclose(distance, expected_d, rtol=0, atol=1e-9)
    ids = kept.outlets["id"].to_numpy()[positions]
    tied = np.isclose(distance, expected_d, atol=1e-12)
    assert ((ids == changed["id"].to_numpy()[expected_pos]) | tied).all()


def test_unknown_hours_are_kept_when_everything_is_closed(outlets):
    from locator.hours import parse_at

    changed = _with_unknown_hours(outlets)
    kept = OutletIndex(changed).filtered(open_at=parse_at("2026-12-01 23:00"))
    assert set(kept.outlets["hours"]) == {"请电话预约"}
    assert len(kept) == int((np.arange(len(changed)) % 7 == 3).sum())


def test_no_filter_returns_the_index_itself(index):
    assert index.filtered() is index
    # A filter that keeps every outlet returns it too: every sample outlet is open at 10:00
    # on an ordinary Tuesday.
    from locator.hours import parse_at

    assert index.filtered(open_at=parse_at("2026-12-01 10:00")) is index


def test_a_registry_without_flag_columns_filters_on_its_services(outlets):
    bare = outlets.drop(columns=["instant_issue", "transit_topup"])
    kept = OutletIndex(bare).filtered(transit_topup=True)
    expected = [
        i for i, s in zip(bare["id"], bare["services"], strict=True) if "transit_topup" in s
    ]
    assert kept.outlets["id"].tolist() == expected
    assert len(expected) == int(outlets["transit_topup"].sum()) == 443


def test_a_filter_that_keeps_nothing_answers_empty(outlets):
    none = OutletIndex(outlets.iloc[:5].assign(instant_issue=False)).filtered(instant_issue=True)
    assert len(none) == 0
    assert none.nearest(lon=112.5, lat=37.8, k=3).empty


def test_a_filtered_index_answers_as_one_built_from_the_rows_kept():
    both = datasets.registry()
    kept = _BOTH_INDEX().filtered(weekends=True)
    fresh = OutletIndex(both[_hours_mask(both, weekends=True)])
    assert 0 < len(kept) == len(fresh) < len(both)
    for task, bank in [("activate_finance", "工行"), ("apply", None), (None, "招行"), (None, None)]:
        a = kept.nearest(lon=112.3, lat=37.5, k=8, task=task, bank=bank)
        b = fresh.nearest(lon=112.3, lat=37.5, k=8, task=task, bank=bank)
        assert a["id"].tolist() == b["id"].tolist()
        assert set(a["kind"]) <= (
            {"government", "bank", "branch"} if bank else {"government", "bank"}
        )
