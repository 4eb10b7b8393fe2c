"""A bank's own branch list: imported as ordinary branches of one bank, merged into a registry.

Issue 14 §3 and its bad input: another bank's rows, a bank that is none of the 16, a branch
that is a one-stop outlet, a registry of branches only. The merge is checked against what the
test built (which rows copy which one-stop outlet), never against the merge's own report alone.
"""

from __future__ import annotations

import io
import json
import math

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import locator
from locator import datasets
from locator._errors import UnknownBankError, ValidationError
from locator.cli import main
from locator.distance import haversine_km
from locator.importer import MERGE_REASONS, REASONS, import_registry, merge_registry
from locator.registry import load_outlets, write_outlets
from locator.tasks import ONE_STOP_KINDS, default_services

ICBC = "中国工商银行"
OWN_BANK_TASKS = default_services("branch", instant_issue=False, transit_topup=False)
HEADER = ["网点名称", "所属银行", "网点类型", "地址", "联系电话", "经度", "纬度", "区县"]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    """An .xlsx file as a bank sends it: a title row, then Chinese headers and the rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["中国工商银行山西省分行营业网点名录（2026年11月）"])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def moved(lon: float, lat: float, metres: float, bearing_deg: float) -> tuple[float, float]:
    """A point ``metres`` from (lon, lat) towards ``bearing_deg`` (small distances)."""
    north = metres * math.cos(math.radians(bearing_deg)) / 111_195.0
    east = metres * math.sin(math.radians(bearing_deg)) / (111_195.0 * math.cos(math.radians(lat)))  # fmt: skip
    return lon + east, lat + north


def metres_between(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> np.ndarray:
    """Every distance from a row of ``a`` to a row of ``b``, in metres (brute force)."""
    return (
        haversine_km(
            a.geometry.x.to_numpy()[:, None],
            a.geometry.y.to_numpy()[:, None],
            b.geometry.x.to_numpy()[None, :],
            b.geometry.y.to_numpy()[None, :],
        )
        * 1000.0
    )


@pytest.fixture(scope="module")
def icbc_list(outlets):
    """A bank's list: copies of ICBC one-stop outlets (moved a few metres), and new branches.

    Returns the file's bytes, the ids of the copied one-stop outlets by row number, and the
    rows (by number) that are new branches.
    """
    one_stop = outlets[outlets["bank"] == ICBC]
    copied = one_stop.iloc[::9].head(12)
    candidates = datasets.branches()
    candidates = candidates[candidates["bank"] == ICBC]
    far = metres_between(candidates, one_stop).min(axis=1) > 200  # independent of the merge
    fresh = candidates[far & ~candidates["name"].isin(one_stop["name"])].iloc[::7].head(20)
    fresh = fresh[metres_between(fresh, fresh).__lt__(200).sum(axis=1) == 1]  # none near another
    rows, copies, new_rows = [], {}, []
    for k, outlet in enumerate(copied.itertuples()):
        lon, lat = moved(outlet.geometry.x, outlet.geometry.y, 3 + 2 * k, 40.0 * k)
        # every other copy renamed: the same outlet by its place
        name = outlet.name if k % 2 else f"工行{outlet.name[len(ICBC) :]}（自助）"
        bank = "工商银行" if k % 3 else ""
        rows.append([name, bank, "支行", outlet.address, outlet.phone, lon, lat, outlet.county_adcode])  # fmt: skip
        copies[len(rows) + 2] = outlet.id  # row numbers as a spreadsheet shows them
    far_copy = copied.iloc[1]  # same name in the same county, 300 m away: still the same outlet
    lon, lat = moved(far_copy.geometry.x, far_copy.geometry.y, 300, 90)
    rows.append([far_copy["name"], "", "营业部", "", "", lon, lat, far_copy["county_adcode"]])
    copies[len(rows) + 2] = far_copy["id"]
    for branch in fresh.itertuples():
        rows.append([branch.name, "", "分理处", branch.address, branch.phone, branch.geometry.x, branch.geometry.y, branch.county_adcode])  # fmt: skip
        new_rows.append(len(rows) + 2)
    assert len(new_rows) >= 10
    return xlsx(rows), copies, new_rows


@pytest.fixture(scope="module")
def imported(icbc_list, counties):
    data, _, _ = icbc_list
    return import_registry(
        data, name="工行网点.xlsx", kind="branch", bank="工行", counties=counties
    )


# --- the import ---------------------------------------------------------------------------


def test_a_bank_list_in_excel_is_imported_as_branches_of_that_bank(icbc_list, imported):
    _, copies, new_rows = icbc_list
    assert imported.read == imported.accepted == len(copies) + len(new_rows)
    out = imported.outlets
    assert set(out["kind"]) == {"branch"} and set(out["bank"]) == {ICBC}
    assert all(services == OWN_BANK_TASKS for services in out["services"])
    assert not out["instant_issue"].any() and not out["transit_topup"].any()
    # The file's own type column (支行, 营业部, 分理处) is no kind of ours: kept, not used.
    assert {e["网点类型"] for e in out["extra"]} == {"支行", "营业部", "分理处"}
    assert out.attrs["metadata"]["kind"] == "branch" and out.attrs["metadata"]["bank"] == ICBC
    # The list alone has no one-stop outlet: said once, at file level.
    file_level = imported.report[imported.report["row"].isna()]
    assert file_level["reason"].tolist() == ["no_one_stop"]


def test_rows_of_another_bank_are_rejected_naming_both(counties):
    rows = [
        ["工行迎泽支行", "工商银行", "", "", "", 112.5492, 37.8570, ""],
        ["柳巷支行", "建设银行", "", "", "", 112.5592, 37.8670, ""],  # bank column: another bank
        ["中国建设银行并州支行", "", "", "", "", 112.5692, 37.8470, ""],  # the name: another bank
        ["兴业路支行", "", "", "", "", 112.5392, 37.8770, ""],  # a street, not 兴业银行
        ["民生街分理处", "", "", "", "", 112.5292, 37.8370, ""],  # a street, not 民生银行
    ]
    result = import_registry(xlsx(rows), name="icbc.xlsx", kind="branch", bank="ICBC", counties=counties)  # fmt: skip
    other = result.report[result.report["reason"] == "other_bank"]
    assert other["row"].tolist() == [4, 5]
    assert (other["level"] == "error").all()
    for message in other["message"]:
        assert "中国建设银行" in message and ICBC in message
    assert result.outlets["name"].tolist() == ["工行迎泽支行", "兴业路支行", "民生街分理处"]
    assert set(result.outlets["bank"]) == {ICBC}
    assert result.read == result.accepted + result.rejected == 5


def test_a_bank_that_is_none_of_the_16(counties):
    rows = [["迎泽支行", "", "", "", "", 112.5492, 37.8570, ""]]
    with pytest.raises(UnknownBankError, match=r"^bank '花旗银行' is none of the 16"):
        import_registry(xlsx(rows), name="x.xlsx", kind="branch", bank="花旗银行", counties=counties)  # fmt: skip
    rows.append(["花旗太原分行", "花旗银行", "", "", "", 112.5592, 37.8670, ""])
    result = import_registry(xlsx(rows), name="x.xlsx", kind="branch", bank="工行", counties=counties)  # fmt: skip
    assert result.report.loc[result.report["row"] == 4, "reason"].tolist() == ["unknown_bank"]
    assert result.accepted == 1 and result.rejected == 1


@pytest.mark.parametrize(
    ("kind", "bank", "match"),
    [
        ("branchs", None, r"^kind 'branchs' is not one of government, bank, branch"),
        (None, "工行", r"^bank '工行' says whose list.*kind='branch'"),
        ("government", "工行", r"^bank '工行' says whose list.*kind='branch'"),
    ],
)
def test_kind_and_bank_parameters_are_checked(counties, kind, bank, match):
    rows = [["迎泽支行", "", "", "", "", 112.5492, 37.8570, ""]]
    with pytest.raises(ValidationError, match=match):
        import_registry(xlsx(rows), name="x.xlsx", kind=kind, bank=bank, counties=counties)


def test_a_branch_keeps_only_the_own_bank_tasks_and_says_what_it_dropped(counties):
    header = ["网点名称", "经度", "纬度", "服务项目", "交通一卡通"]
    rows = [
        ["工行迎泽支行", 112.5492, 37.8570, "激活金融功能、申领", "是"],
        ["工行柳巷支行", 112.5592, 37.8670, "", ""],
    ]
    result = import_registry(xlsx(rows, header), name="x.xlsx", kind="branch", bank="工行", counties=counties)  # fmt: skip
    out = result.outlets.set_index("name")
    assert out.loc["工行迎泽支行", "services"] == ["activate_finance"]
    assert not out.loc["工行迎泽支行", "transit_topup"]
    assert out.loc["工行柳巷支行", "services"] == OWN_BANK_TASKS
    dropped = result.report[result.report["reason"] == "branch_services"]
    assert dropped["row"].tolist() == [3] and (dropped["level"] == "warning").all()
    assert "apply" in dropped["message"].iloc[0] and "transit_topup" in dropped["message"].iloc[0]


def test_a_kind_column_can_say_branch(counties):
    """A registry written by locator (kind ``branch``) imports as branches, not one-stop outlets."""
    header = ["网点名称", "所属银行", "网点类型", "经度", "纬度"]
    rows = [
        ["工行迎泽支行", "工行", "branch", 112.5492, 37.8570],
        ["工行柳巷支行", "工行", "银行普通网点", 112.5592, 37.8670],
        ["工行并州支行", "工行", "社保卡服务银行网点", 112.5692, 37.8470],
    ]
    result = import_registry(xlsx(rows, header), name="x.xlsx", counties=counties)
    assert result.outlets["kind"].tolist() == ["branch", "branch", "bank"]
    assert result.report.empty


def test_every_new_reason_is_documented():
    for reason in ("other_bank", "branch_services", "no_one_stop"):
        assert reason in REASONS
    assert set(MERGE_REASONS) == {"merged_into_one_stop", "already_in_registry", "id_clash", "no_one_stop"}  # fmt: skip


# --- the merge ----------------------------------------------------------------------------


def test_a_branch_that_is_a_one_stop_outlet_stays_one_once(outlets, icbc_list, imported):
    _, copies, new_rows = icbc_list
    merged, report = merge_registry(outlets, imported.outlets)
    # Every one-stop outlet unchanged, every new branch added once, no copy added.
    assert len(merged) == len(outlets) + len(new_rows)
    kept = merged[merged["kind"].isin(ONE_STOP_KINDS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.DataFrame(kept[list(outlets.columns)]),
        pd.DataFrame(outlets.reset_index(drop=True)),
        check_dtype=False,  # the same values; concatenated text columns are object
    )
    added = merged[merged["kind"] == "branch"]
    assert sorted(added["source_row"].tolist()) == new_rows
    # Reported once each, naming both ids: the copy's and the one-stop outlet's.
    into = report[report["reason"] == "merged_into_one_stop"]
    assert dict(zip(into["row"], into["other_id"], strict=True)) == copies
    by_row = imported.outlets.set_index("source_row")["id"]
    assert into["id"].tolist() == [by_row[r] for r in into["row"]]
    assert set(report["reason"]) == {"merged_into_one_stop"}
    counts = merged.attrs["metadata"]["merge"]
    assert counts["base"] + counts["new"] == counts["merged"] + counts["merged_into_one_stop"]
    assert counts["merged_into_one_stop"] == len(copies) and counts["merged"] == len(merged)


def test_merging_again_adds_nothing(outlets, imported):
    merged, _ = merge_registry(outlets, imported.outlets)
    again, report = merge_registry(merged, imported.outlets)
    assert len(again) == len(merged)
    assert again["id"].tolist() == merged["id"].tolist()
    assert len(report) == len(imported.outlets)  # every row reported, none added
    assert set(report["reason"]) <= {"merged_into_one_stop", "already_in_registry"}


def test_no_row_is_lost_and_a_clashing_id_is_renamed(outlets, imported):
    new = imported.outlets.copy()
    new.loc[new.index[-1], "id"] = outlets["id"].iloc[0]  # a hall's id on a new branch
    new.loc[new.index[-2], "id"] = outlets["id"].iloc[0]  # twice
    merged, report = merge_registry(outlets, new)
    given = set(outlets["id"]) | set(new["id"])
    assert given <= set(merged["id"]) | set(report["id"])
    assert merged["id"].is_unique
    clash = report[report["reason"] == "id_clash"]
    assert clash["id"].tolist() == [outlets["id"].iloc[0]] * 2
    assert clash["new_id"].tolist() == [f"{outlets['id'].iloc[0]}-2", f"{outlets['id'].iloc[0]}-3"]
    assert set(clash["new_id"]) <= set(merged["id"])
    assert merged.set_index("id").loc[clash["new_id"], "name"].tolist() == new["name"].iloc[-2:].tolist()  # fmt: skip
    assert merge_registry(merged, new).outlets["id"].tolist() == merged["id"].tolist()


def test_a_one_stop_outlet_replaces_the_branch_it_is(outlets):
    """Branches first, the one-stop registry merged in: the one-stop outlet stays, once."""
    icbc = outlets[outlets["bank"] == ICBC].iloc[::20].head(5)
    as_branches = icbc.assign(kind="branch", id=[f"R{i}" for i in range(5)])
    branches = datasets.branches()
    branches = branches[branches["bank"] == ICBC]
    one_stop = outlets[outlets["bank"] == ICBC]
    fresh = branches[metres_between(branches, one_stop).min(axis=1) > 200].head(2)
    base = gpd.GeoDataFrame(pd.concat([as_branches, fresh]), crs=4326)
    merged, report = merge_registry(base, outlets)
    assert len(merged) == len(outlets) + 2
    assert set(fresh["id"]) <= set(merged["id"])
    assert not merged["id"].isin(as_branches["id"]).any()
    assert report["side"].tolist() == ["base"] * 5
    assert report["reason"].tolist() == ["merged_into_one_stop"] * 5
    assert dict(zip(report["id"], report["other_id"], strict=True)) == dict(zip(as_branches["id"], icbc["id"], strict=True))  # fmt: skip


def test_halls_are_merged_by_name_not_by_distance_alone(outlets):
    hall = outlets[outlets["kind"] == "government"].head(1)
    x, y = hall.geometry.x.iloc[0], hall.geometry.y.iloc[0]
    near_other = hall.assign(id="H1", name="另一个便民服务站", geometry=[shapely.Point(moved(x, y, 10, 0))])  # fmt: skip
    # the same name in the same county, 400 m away
    same = hall.assign(id="H2", geometry=[shapely.Point(moved(x, y, 400, 0))])
    merged, report = merge_registry(outlets, gpd.GeoDataFrame(pd.concat([near_other, same]), crs=4326))  # fmt: skip
    assert "H1" in set(merged["id"]) and "H2" not in set(merged["id"])
    assert report[["id", "reason", "other_id"]].values.tolist() == [["H2", "already_in_registry", hall["id"].iloc[0]]]  # fmt: skip


def test_merge_refuses_what_is_no_registry(outlets):
    with pytest.raises(ValidationError, match=r"^new lacks the registry column\(s\) kind"):
        merge_registry(outlets, outlets.drop(columns="kind"))
    with pytest.raises(ValidationError, match=r"^base is a DataFrame"):
        merge_registry(pd.DataFrame(outlets), outlets)
    with pytest.raises(ValidationError, match=r"^distance_m=0 must be a number above 0"):
        merge_registry(outlets, outlets, distance_m=0)


_POOL_NAMES = ("迎泽支行", "柳巷支行", "服务中心", "并州支行")
_POOL_BANKS = (None, ICBC, "中国建设银行")


@st.composite
def _registries(draw):
    """Two small registries of outlets within a few hundred metres, with shared ids and names."""
    frames = []
    for side in ("b", "n"):
        n = draw(st.integers(1 if side == "b" else 0, 8))
        records, points = [], []
        for i in range(n):
            bank = draw(st.sampled_from(_POOL_BANKS))
            kind = "government" if bank is None else draw(st.sampled_from(("bank", "branch")))
            outlet_id = draw(st.sampled_from((f"{side}{i}", "b0", "b1", "n0")))
            records.append({"id": outlet_id, "name": draw(st.sampled_from(_POOL_NAMES)), "kind": kind,
                            "bank": bank, "county_adcode": "140106"})  # fmt: skip
            points.append(moved(112.55, 37.86, draw(st.floats(0, 400)), draw(st.floats(0, 360))))
        columns = ["id", "name", "kind", "bank", "county_adcode"]
        frame = gpd.GeoDataFrame(pd.DataFrame(records, columns=columns), geometry=[shapely.Point(p) for p in points], crs=4326)  # fmt: skip
        if side == "b":
            frame = frame.drop_duplicates("id")
        frames.append(frame)
    return frames


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_registries())
def test_merge_loses_nothing_duplicates_nothing_and_is_idempotent(registries):
    base, new = registries
    merged, report = merge_registry(base, new)
    duplicates = report["reason"].isin(["merged_into_one_stop", "already_in_registry"]).sum()
    assert len(base) + len(new) == len(merged) + duplicates
    assert merged["id"].is_unique
    assert set(base["id"]) | set(new["id"]) <= set(merged["id"]) | set(report["id"])
    # A one-stop outlet is never merged away.
    one_stop = pd.concat([base, new])["kind"].isin(ONE_STOP_KINDS).sum()
    gone_one_stop = report[report["reason"].isin(["merged_into_one_stop", "already_in_registry"]) & report["kind"].isin(ONE_STOP_KINDS)]  # fmt: skip
    assert merged["kind"].isin(ONE_STOP_KINDS).sum() == one_stop - len(gone_one_stop)
    assert (gone_one_stop["reason"] == "already_in_registry").all()
    # Each merged row was the same outlet as one still there (by its final id).
    again, report_again = merge_registry(merged, new)
    assert again["id"].tolist() == merged["id"].tolist()
    assert not report_again["reason"].isin(["id_clash"]).any()


# --- a registry of branches only -----------------------------------------------------------


def test_a_registry_of_branches_only_is_refused_by_planning(counties):
    branches = datasets.branches()
    merged, report = merge_registry(branches.head(50), branches.iloc[50:60])
    assert report["reason"].tolist()[-1] == "no_one_stop"
    with pytest.raises(ValidationError, match="one-stop"):
        locator.coverage_report(branches, counties)


# --- the command line ---------------------------------------------------------------------


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_cli_imports_and_merges_a_bank_list(tmp_path, capsys, outlets, icbc_list):
    data, copies, new_rows = icbc_list
    source = tmp_path / "工行网点.xlsx"
    source.write_bytes(data)
    base = write_outlets(outlets, tmp_path / "outlets.geojson")
    out, report = tmp_path / "merged.geojson", tmp_path / "report.csv"
    code, _, err = cli(capsys, "import", source, "--kind", "branch", "--bank", "工行", "--merge", base, "-o", out, "--report", report, "--lang", "en")  # fmt: skip
    assert code == 0
    merged = load_outlets(out)
    assert len(merged) == len(outlets) + len(new_rows)
    assert (merged["kind"] == "branch").sum() == len(new_rows)
    n, d = len(outlets), len(copies)
    assert f"merge: {n} in the registry + {d + len(new_rows)} new = {len(merged)} merged + {d} duplicates" in err  # fmt: skip
    assert "no_one_stop" not in err and "no one-stop" not in err  # merged into one-stop outlets
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    into = table[table["reason"] == "merged_into_one_stop"]
    assert dict(zip(into["row"].astype(int), into["other_id"], strict=True)) == copies
    code, _, err = cli(capsys, "import", source, "--kind", "branch", "--bank", "工行", "--merge", out, "-o", tmp_path / "again.geojson")  # fmt: skip
    assert code == 0 and len(load_outlets(tmp_path / "again.geojson")) == len(merged)
    assert f"= 合并后 {len(merged)} + 重复 {len(copies) + len(new_rows)}" in err


def test_cli_merges_two_registries(tmp_path, capsys, outlets):
    branches = datasets.branches().head(200)
    new = write_outlets(branches, tmp_path / "branches.geojson")
    base = write_outlets(outlets, tmp_path / "outlets.geojson")
    report = tmp_path / "report.csv"
    code, _, _ = cli(capsys, "import", new, "--merge", base, "-o", tmp_path / "both.geojson", "--report", report)  # fmt: skip
    assert code == 0
    both = load_outlets(tmp_path / "both.geojson")
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    merged_away = table[table["reason"].isin(["merged_into_one_stop", "already_in_registry"])]
    assert (both["kind"] == "branch").sum() + len(merged_away) == len(branches)
    assert set(branches["id"]) <= set(both["id"]) | set(merged_away["id"])
    assert both["kind"].isin(ONE_STOP_KINDS).sum() == len(outlets)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--bank", "工行"], "--bank 工行 says whose list the file is: give --kind branch"),
        (["--kind", "branch", "--bank", "花旗"], "--bank '花旗' is none of the 16 partner banks"),
        (["--merge", "missing.geojson"], "missing.geojson: no such file"),
    ],
)
def test_cli_mistakes_are_one_line(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.xlsx").write_bytes(xlsx([["迎泽支行", "", "", "", "", 112.5492, 37.8570, ""]]))
    code, _, err = cli(capsys, "import", "x.xlsx", *argv, "-o", "out.geojson")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert not (tmp_path / "out.geojson").exists()


def test_merged_metadata_is_json(imported):
    """The merged registry's metadata travels into the written GeoJSON."""
    merged, _ = merge_registry(datasets.outlets(), imported.outlets)
    json.dumps(locator.registry.outlets_to_geojson(merged)["metadata"], ensure_ascii=False)


def test_cli_refuses_the_output_before_reading_the_registry(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.xlsx").write_bytes(xlsx([["迎泽支行", "", "", "", "", 112.5492, 37.8570, ""]]))
    code, _, err = cli(capsys, "import", "x.xlsx", "--merge", "missing.geojson", "-o", "out.xlsx")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "-o 'out.xlsx'" in err and "missing.geojson" not in err


_NAMES = ("迎泽支行", "兴业路支行", "中国建设银行柳巷支行", "工行并州支行", "民生街分理处", "邮储太原分行", "")  # fmt: skip
_BANK_CELLS = ("", "工行", "中国工商银行股份有限公司太原分行", "建设银行", "花旗银行", "无")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_BANK_CELLS)), min_size=1, max_size=12))  # fmt: skip
def test_every_row_of_a_bank_list_is_its_bank_or_reported(counties, cells):
    rows = [[name, bank, "", "", "", 112.50 + 0.01 * i, 37.80, ""] for i, (name, bank) in enumerate(cells)]  # fmt: skip
    result = import_registry(xlsx(rows), name="x.xlsx", kind="branch", bank="工行", counties=counties)  # fmt: skip
    assert result.read == result.accepted + result.rejected == len(rows)
    assert set(result.outlets["kind"]) <= {"branch"} and set(result.outlets["bank"]) <= {ICBC}
    rejected = set(result.report.loc[result.report["level"] == "error", "row"])
    for number, (name, bank) in enumerate(cells, start=3):
        other = any(b in name for b in ("建设银行", "邮储")) or bank in ("建设银行", "花旗银行")
        assert (number in rejected) == (other or not name), (name, bank)
