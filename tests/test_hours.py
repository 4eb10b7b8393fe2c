"""Tests of locator.hours: structured hours on China's official calendar."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import locator.settings
from locator import datasets
from locator._errors import LocatorError, ValidationError
from locator.cli import main
from locator.hours import (
    AT_YEARS,
    TIMEZONE,
    HoursError,
    badge,
    calendar_note,
    day_kind,
    from_chinese,
    hours_status,
    is_open,
    next_change,
    open_at_weekends,
    parse_at,
    parse_hours,
)
from locator.importer import import_registry
from locator.index import OutletIndex
from locator.registry import write_outlets

GOVERNMENT = parse_hours("Mo-Fr 09:00-12:00,14:00-17:00")
WORKING_DAYS = parse_hours("WD 09:00-17:00")

# The list for 2026, written out by hand from the State Council notice.
MAKE_UP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_national_day_closes_weekday_hours() -> None:
    for day in range(1, 8):
        assert not is_open(GOVERNMENT, dt.datetime(2026, 10, day, 10, 0))
        assert day_kind(dt.date(2026, 10, day)) == ("holiday", True)
    assert is_open(GOVERNMENT, at("2026-10-09 10:00"))


def test_make_up_saturdays_open_working_day_hours_only() -> None:
    for text in MAKE_UP_2026:
        day = dt.date.fromisoformat(text)
        assert day.weekday() >= 5
        assert day_kind(day) == ("workday", True)
        assert is_open(WORKING_DAYS, dt.datetime.combine(day, dt.time(10, 0)))
        # a weekday range follows the weekday: Mo-Fr stays closed on a make-up weekend day
        assert not is_open(GOVERNMENT, dt.datetime.combine(day, dt.time(10, 0)))
    assert not is_open(WORKING_DAYS, at("2026-10-17 10:00"))  # an ordinary Saturday


def test_public_holiday_rule_opens_on_holidays() -> None:
    hours_ = parse_hours("Mo-Su 09:00-17:00; PH 10:00-15:00")
    assert not is_open(hours_, at("2026-10-01 09:30"))
    assert is_open(hours_, at("2026-10-01 10:30"))
    assert is_open(hours_, at("2026-10-17 09:30"))
    assert not is_open(parse_hours("Mo-Su 09:00-17:00; PH off"), at("2026-10-01 10:30"))


def test_lunch_break_is_closed() -> None:
    assert is_open(GOVERNMENT, at("2026-12-01 11:59"))
    assert not is_open(GOVERNMENT, at("2026-12-01 12:00"))
    assert not is_open(GOVERNMENT, at("2026-12-01 13:00"))
    assert is_open(GOVERNMENT, at("2026-12-01 14:00"))
    assert not is_open(GOVERNMENT, at("2026-12-01 17:00"))


def test_time_zone_is_shanghai_whatever_the_caller() -> None:
    utc = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
    assert is_open(GOVERNMENT, utc)
    assert not is_open(GOVERNMENT, dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc))
    change = next_change(GOVERNMENT, utc)
    assert change == dt.datetime(2026, 12, 1, 12, 0, tzinfo=TIMEZONE)


def test_years_beyond_the_calendar_fall_back_to_weekdays() -> None:
    assert day_kind(dt.date(2027, 10, 1)) == ("workday", False)  # a Friday
    assert day_kind(dt.date(2027, 10, 2)) == ("restday", False)
    assert is_open(GOVERNMENT, at("2027-10-01 10:00"))
    assert day_kind(dt.date(2026, 12, 31))[1]


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_override_file_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    path = tmp_path / f"days{suffix}"
    days = {"2027-10-01": "holiday", "2027-10-09": "workday", "2026-10-01": "workday"}
    if suffix == ".json":
        path.write_text(json.dumps(days), encoding="utf-8")
    else:
        lines = ["date,kind"] + [f"{key},{value}" for key, value in days.items()]
        path.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(locator.settings, "calendar_override_path", path)
    assert day_kind(dt.date(2027, 10, 1)) == ("holiday", True)
    assert not is_open(GOVERNMENT, at("2027-10-01 10:00"))
    assert is_open(WORKING_DAYS, at("2027-10-09 10:00"))  # a Saturday made a working day
    assert is_open(GOVERNMENT, at("2026-10-01 10:00"))  # the local file wins
    assert day_kind(dt.date(2027, 10, 4)) == ("workday", False)  # not in the file


def test_bad_override_file_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "days.json"
    path.write_text(json.dumps({"2027-10-01": "party"}), encoding="utf-8")
    monkeypatch.setattr(locator.settings, "calendar_override_path", path)
    with pytest.raises(HoursError, match="calendar_override_path.*party.*holiday"):
        day_kind(dt.date(2027, 10, 1))
    monkeypatch.setattr(locator.settings, "calendar_override_path", tmp_path / "missing.csv")
    with pytest.raises(HoursError, match="calendar_override_path.*missing.csv"):
        day_kind(dt.date(2027, 10, 1))


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("Mo-Fr 9-17", "'9-17' is not a time range"),
        ("Monday 09:00-17:00", "'Monday' is not a day selector"),
        ("Mo-Fr", "needs days and times"),
        ("Mo-Fr 17:00-09:00", "ends before it starts"),
        ("Mo-Fr 09:70-17:00", "not a time of day"),
        ("  ", "opening_hours is empty"),
    ],
)
def test_parse_errors_name_the_parameter(text: str, part: str) -> None:
    with pytest.raises(HoursError, match="opening_hours") as caught:
        parse_hours(text)
    assert part in str(caught.value)
    assert isinstance(caught.value, LocatorError)


def test_weekday_ranges_wrap_and_list() -> None:
    assert parse_hours("Fr-Mo 09:00-10:00").rules[0].weekdays == frozenset({4, 5, 6, 0})
    assert parse_hours("Mo,We 09:00-10:00").rules[0].weekdays == frozenset({0, 2})
    assert parse_hours("09:00-10:00").rules == parse_hours("Mo-Su 09:00-10:00").rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("周一至周五 9:00-17:00", "Mo-Fr 09:00-17:00"),
        ("工作日 9:00-17:00", "WD 09:00-17:00"),
        ("工作日 9:00-17:00，午休 12:00-14:00", "WD 09:00-12:00,14:00-17:00"),
        ("周一至周五 9:00-17:00；周六上午", "Mo-Fr 09:00-17:00; Sa 09:00-12:00"),
        ("周一至周五 9:00-17:00，法定节假日休息", "Mo-Fr 09:00-17:00; PH off"),
        ("周一至周日 9:00-17:00，法定节假日照常营业", "Mo-Su 09:00-17:00; PH 09:00-17:00"),
        ("周一至周五 9:00-12:00, 13:30-17:30", "Mo-Fr 09:00-12:00,13:30-17:30"),
        ("星期六、星期日 10:00-16:00", "Sa,Su 10:00-16:00"),
        ("周末 9：00～12：00", "Sa,Su 09:00-12:00"),
        ("9:00-17:00", "Mo-Su 09:00-17:00"),
        ("周一至周日 9:00-17:00，法定节假日 10:00-16:00", "Mo-Su 09:00-17:00; PH 10:00-16:00"),
    ],
)
def test_from_chinese_converts_the_common_texts(text: str, expected: str) -> None:
    assert from_chinese(text) == (expected, [])
    parse_hours(expected)  # what it writes is what it reads


def test_from_chinese_converted_hours_behave() -> None:
    text, _ = from_chinese("工作日 9:00-17:00，午休 12:00-14:00，法定节假日休息")
    assert text is not None
    converted = parse_hours(text)
    assert is_open(converted, at("2026-10-10 10:00"))
    assert not is_open(converted, at("2026-10-10 13:00"))
    assert not is_open(converted, at("2026-10-01 10:00"))


def test_from_chinese_reports_what_it_cannot_parse() -> None:
    assert from_chinese("请电话预约") == (None, ["请电话预约"])
    assert from_chinese("周一至周五 9:00-17:00，另行通知") == ("Mo-Fr 09:00-17:00", ["另行通知"])


_TIMES = st.lists(
    st.tuples(st.integers(0, 23), st.sampled_from([0, 30])), min_size=2, max_size=6, unique=True
).map(sorted)


@settings(max_examples=60, deadline=None)
@given(
    spans=_TIMES,
    selector=st.sampled_from(["Mo-Fr", "WD", "Sa,Su", "Mo-Su", "Tu,Th; PH 10:00-11:00"]),
    moment=st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 3, 1)),
)
def test_next_change_is_later_and_flips_the_state(
    spans: list[tuple[int, int]], selector: str, moment: dt.datetime
) -> None:
    marks = [f"{hour:02d}:{minute:02d}" for hour, minute in spans]
    pairs = [f"{marks[i]}-{marks[i + 1]}" for i in range(0, len(marks) - 1, 2)]
    days, _, rest = selector.partition(";")
    hours_ = parse_hours(f"{days} {','.join(pairs)}" + (f";{rest}" if rest else ""))
    change = next_change(hours_, moment)
    assert change is not None
    local = moment.replace(tzinfo=TIMEZONE)
    assert change > local
    before = is_open(hours_, local)
    assert is_open(hours_, change) != before
    # nothing changes before it: the state holds at every minute boundary in between
    probe = local.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    step = dt.timedelta(minutes=30)
    while probe < change:
        assert is_open(hours_, probe) == before
        probe += step


def test_from_chinese_days_then_times() -> None:
    assert from_chinese("周一至周五，9:00-17:00") == ("Mo-Fr 09:00-17:00", [])
    assert from_chinese("周一至周五 9:00-17:00，周六") == ("Mo-Fr 09:00-17:00", ["周六"])


_WEEKDAY_SELECTORS = st.sampled_from(["Mo-Fr", "Mo-Su", "Sa,Su", "Tu,Th", "Fr-Mo", "We"])


@settings(max_examples=80, deadline=None)
@given(
    spans=_TIMES,
    selector=_WEEKDAY_SELECTORS,
    moment=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)),
)
def test_ordinary_days_agree_with_opening_hours_py(
    spans: list[tuple[int, int]], selector: str, moment: dt.datetime
) -> None:
    """Away from public holidays, the OSM reference implementation (a dev dependency) decides."""
    import opening_hours

    marks = [f"{hour:02d}:{minute:02d}" for hour, minute in spans]
    pairs = [f"{marks[i]}-{marks[i + 1]}" for i in range(0, len(marks) - 1, 2)]
    text = f"{selector} {','.join(pairs)}"
    kind, known = day_kind(moment.date())
    assert known
    if kind == "holiday":  # closed: weekday hours never open on a public holiday
        assert not is_open(parse_hours(text), moment)
    else:  # weekday ranges follow the weekday, make-up working days included
        reference = opening_hours.OpeningHours(text).is_open(moment)
        assert is_open(parse_hours(text), moment) == reference


def test_opening_hours_py_alone_opens_on_national_day() -> None:
    """The reason for China's calendar: the OSM library knows no Chinese holidays."""
    import opening_hours

    text = "Mo-Fr 09:00-17:00; PH off"
    assert opening_hours.OpeningHours(text).is_open(at("2026-10-01 10:00"))
    assert not is_open(parse_hours(text), at("2026-10-01 10:00"))


def test_hours_status_per_outlet_keeps_the_index() -> None:
    frame = pd.DataFrame(
        {
            "opening_hours": ["WD 09:00-12:00,14:00-17:00", None, None, "nonsense"],
            "hours": ["", "周一至周五 9:00-17:00", "请电话预约", "周一至周日 9:00-17:00"],
        },
        index=[10, 20, 30, 40],
    )
    status = hours_status(frame, at("2026-10-10 13:00"))
    assert status.index.tolist() == [10, 20, 30, 40]
    assert status["opening_hours"].tolist() == [
        "WD 09:00-12:00,14:00-17:00",
        "Mo-Fr 09:00-17:00",
        None,
        None,  # a structured value that does not parse is unknown, not guessed from the text
    ]
    assert status["open_now"].tolist() == [False, False, None, None]
    assert status["next_change"].tolist() == [
        "2026-10-10T14:00+08:00",
        "2026-10-12T09:00+08:00",
        None,
        None,
    ]
    assert status["hours_badge"].tolist() == [
        "已关门 · 14:00 开门",
        "已关门 · 10月12日 9:00 开门",
        "营业时间未知",
        "营业时间未知",
    ]
    # Friday evening before the make-up Saturday: working-day hours open tomorrow, Mo-Fr on Monday
    english = hours_status(frame, at("2026-10-09 17:30"), lang="en")["hours_badge"].tolist()
    assert english == [
        "closed · opens tomorrow 9:00",
        "closed · opens 12 Oct 9:00",
        "hours unknown",
        "hours unknown",
    ]


def test_badge_closing_soon_and_tomorrow() -> None:
    moment = parse_at("2026-12-01 16:00")
    assert badge(True, parse_at("2026-12-01 17:00"), moment, "zh") == "营业中 · 17:00 关门"
    assert badge(False, parse_at("2026-12-02 09:00"), moment, "zh") == "已关门 · 明天 9:00 开门"
    assert badge(True, None, moment, "zh") == "营业中"


def test_parse_at_names_the_parameter() -> None:
    assert parse_at("2026-10-01 10:00") == dt.datetime(2026, 10, 1, 10, 0, tzinfo=TIMEZONE)
    now = parse_at(None)
    assert now.tzinfo == TIMEZONE
    with pytest.raises(LocatorError, match=r"^at '2026-13-01 10:00' .*YYYY-MM-DD HH:MM"):
        parse_at("2026-13-01 10:00")


def test_at_years_are_the_links_years() -> None:
    # the calendar package's first year to 2100, as a shared link accepts (issue 11)
    assert AT_YEARS == (2004, 2100)
    assert parse_at("2004-01-01 00:00") == dt.datetime(2004, 1, 1, tzinfo=TIMEZONE)
    assert parse_at("2100-12-31 23:59") == dt.datetime(2100, 12, 31, 23, 59, tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("9999-12-31 23:59", "9999-12-31 23:59"),
        ("2003-12-31 23:59", "2003-12-31 23:59"),
        ("2101-01-01 00:00", "2101-01-01 00:00"),
        ("0001-01-01 00:00", "0001-01-01 00:00"),
        # a year Shanghai time cannot hold: 9999-12-31 23:59 UTC is year 10000 there
        ("9999-12-31T23:59+00:00", "9999-12-31T23:59+00:00"),
        # 2100-12-31 20:00 in New York is already 2101 in Shanghai
        ("2100-12-31T20:00-05:00", "2100-12-31T20:00-05:00"),
        (dt.datetime(9999, 1, 1), "9999-01-01 00:00:00"),
        (dt.datetime.max.replace(tzinfo=dt.UTC), "9999-12-31 23:59:59.999999+00:00"),
    ],
)
def test_parse_at_refuses_years_outside_the_range(value: str | dt.datetime, shown: str) -> None:
    expected = f"at {shown!r} is outside the years 2004-2100; give a date and time within them"
    with pytest.raises(ValidationError, match=f"^{re.escape(expected)}$"):
        parse_at(value)


def test_next_change_near_the_last_date_never_overflows() -> None:
    weekdays = parse_hours("Mo-Fr 09:00-17:00")
    # 9999-12-31 is a Friday (weekday 4, by hand: 9999-12-31 is 3652058 days after
    # 0001-01-01, a Monday, and 3652058 % 7 == 4); nothing follows its 17:00 closing
    assert dt.date(9999, 12, 31).weekday() == 4
    assert next_change(weekdays, dt.datetime(9999, 12, 30, 18, 0)) == dt.datetime(
        9999, 12, 31, 9, 0, tzinfo=TIMEZONE
    )
    assert next_change(weekdays, dt.datetime(9999, 12, 31, 9, 30)) == dt.datetime(
        9999, 12, 31, 17, 0, tzinfo=TIMEZONE
    )
    assert next_change(weekdays, dt.datetime(9999, 12, 31, 18, 0)) is None
    # open all day: the next change would be 24:00 on the last day, past datetime.max
    assert next_change(parse_hours("Mo-Su 00:00-24:00"), dt.datetime.max) is None
    # an aware moment Shanghai time cannot hold is a mistake named, not an OverflowError
    with pytest.raises(ValidationError, match=r"^at '9999-12-31T23:59:59.999999\+00:00' lies"):
        next_change(weekdays, dt.datetime.max.replace(tzinfo=dt.UTC))


def test_calendar_note_only_beyond_the_calendar() -> None:
    assert calendar_note(dt.date(2026, 12, 31)) is None
    note = calendar_note(dt.date(2027, 1, 4))
    assert note is not None
    assert "2027" in note
    assert "calendar_override_path" in note


# --- locator nearest --open-now / --at -------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _open_by_hand(outlets: pd.DataFrame, moment: dt.datetime) -> list[bool]:
    """Open at ``moment``, from each row's structured hours: the check the CLI must match."""
    return [is_open(parse_hours(text), moment) for text in outlets["opening_hours"]]


@pytest.mark.parametrize("when", ["2026-10-01 10:00", "2026-10-10 10:00", "2026-12-01 12:30"])
def test_open_now_finds_the_nearest_open_outlets(
    capsys: pytest.CaptureFixture[str], when: str
) -> None:
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--task", "apply",
        "-k", "6", "--open-now", "--at", when, "--format", "json",
    )  # fmt: skip
    assert code == 0
    items = json.loads(out)
    registry = datasets.registry()
    open_ = registry[_open_by_hand(registry, parse_at(when))]
    expected = OutletIndex(open_).nearest(lon=112.55, lat=37.87, k=6, task="apply")
    assert [item["id"] for item in items] == expected["id"].tolist()
    assert len(items) == 6
    assert all(item["open_now"] is True for item in items)
    assert all(item["hours_badge"].startswith("营业中 · ") for item in items)
    for item in items:
        assert dt.datetime.fromisoformat(item["next_change"]) > parse_at(when)


def test_national_day_closes_the_halls_and_working_day_hours_return(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outlets = datasets.outlets()
    hall = outlets[outlets["kind"] == "government"].iloc[0]
    lat, lon = str(hall.geometry.y), str(hall.geometry.x)

    def halls(when: str) -> list[dict[str, object]]:
        code, out, _ = run(
            capsys, "nearest", "--lat", lat, "--lon", lon, "-k", "10",
            "--at", when, "--format", "json",
        )  # fmt: skip
        assert code == 0
        return [item for item in json.loads(out) if item["kind"] == "government"]

    national_day = halls("2026-10-01 10:00")
    assert national_day  # shown though closed: --open-now was not asked for
    assert {item["open_now"] for item in national_day} == {False}
    assert {item["next_change"] for item in national_day} == {"2026-10-08T09:00+08:00"}
    assert {item["hours_badge"] for item in national_day} == {"已关门 · 10月8日 9:00 开门"}
    make_up_saturday = halls("2026-10-10 10:00")
    assert {item["open_now"] for item in make_up_saturday} == {True}


def test_unknown_hours_are_shown_and_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outlets = datasets.outlets().head(3).copy()
    outlets["hours"] = ["请电话预约", "周一至周五 9:00-17:00", "周一至周五 9:00-17:00"]
    outlets = outlets.drop(columns=["opening_hours"])
    path = tmp_path / "outlets.geojson"
    write_outlets(outlets, path)
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--outlets", str(path),
        "--open-now", "--at", "2026-10-03 10:00", "--format", "json", "--lang", "en",
    )  # fmt: skip
    assert code == 0
    items = json.loads(out)
    assert [item["id"] for item in items] == [outlets["id"].iloc[0]]
    assert items[0]["open_now"] is None
    assert items[0]["opening_hours"] is None
    assert items[0]["hours_badge"] == "hours unknown"
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--outlets", str(path),
        "--at", "2026-10-03 10:00",
    )  # fmt: skip
    assert code == 0
    assert "营业时间未知" in out
    assert out.count("已关门 · 10月8日 9:00 开门") == 2


def test_at_mistake_and_unknown_year(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--at", "tomorrow")
    assert code == 2
    assert err.strip().splitlines() == [
        "locator: error: --at 'tomorrow' is not a date and time; "
        "write YYYY-MM-DD HH:MM (Asia/Shanghai time)"
    ]
    code, _, err = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--at", "2027-10-01 10:00"
    )
    assert code == 0
    assert "official calendar for 2027 is not known" in err
    code, _, err = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "--at", "2026-10-01 10:00"
    )
    assert "official calendar" not in err


# --- the importer: opening_hours from a column or from the hours text ---------------------


def test_import_converts_hours_and_reports_what_it_cannot(tmp_path: Path) -> None:
    lines = [
        "网点名称,所属银行,经度,纬度,营业时间,opening_hours",
        "工行迎泽支行,工商银行,112.5492,37.857,周一至周五 9:00-17:00，午休 12:00-14:00,",
        "建行迎泽支行,建设银行,112.5592,37.858,请电话预约,",
        "农行迎泽支行,农业银行,112.5692,37.859,周一至周五 9:00-17:00，另行通知,",
        "中行迎泽支行,中国银行,112.5792,37.860,上午,Mo-Fr 09:00-12:00; PH off",
        "交行迎泽支行,交通银行,112.5892,37.861,,工作日 8:30-17:30",
    ]
    path = tmp_path / "registry.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = import_registry(path, counties=datasets.counties())
    assert (result.read, result.accepted) == (5, 5)
    out = result.outlets
    assert out["opening_hours"].tolist() == [
        "Mo-Fr 09:00-12:00,14:00-17:00",
        None,
        "Mo-Fr 09:00-17:00",
        "Mo-Fr 09:00-12:00; PH off",  # a valid structured cell is taken as it is
        "WD 08:30-17:30",  # Chinese text in the structured column is converted too
    ]
    assert out["hours"].tolist() == [
        "周一至周五 9:00-17:00，午休 12:00-14:00",
        "请电话预约",  # the text is kept
        "周一至周五 9:00-17:00，另行通知",
        "上午",
        "工作日 8:30-17:30",  # no hours text: the structured column's text stands for it
    ]
    report = result.report[result.report["reason"] == "unparsed_hours"]
    assert report["row"].tolist() == [3, 4]
    assert set(report["level"]) == {"warning"}
    assert report["column"].tolist() == ["营业时间", "营业时间"]  # the file's own column
    assert report["value"].tolist() == ["请电话预约", "周一至周五 9:00-17:00，另行通知"]
    assert "另行通知" in report["message"].iloc[1]


def test_import_of_the_shipped_sample_keeps_its_hours(tmp_path: Path) -> None:
    outlets = datasets.outlets().head(40)
    path = tmp_path / "outlets.geojson"
    write_outlets(outlets, path)
    result = import_registry(path, counties=datasets.counties())
    assert result.accepted == 40
    assert result.outlets["opening_hours"].tolist() == outlets["opening_hours"].tolist()
    assert result.outlets["hours"].tolist() == outlets["hours"].tolist()
    assert "unparsed_hours" not in set(result.report["reason"])


def test_weekend_instant_and_transit_filters(capsys: pytest.CaptureFixture[str]) -> None:
    registry = datasets.registry()
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "-k", "8", "--weekends",
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    saturday = _open_by_hand(registry, at("2026-10-17 10:00"))  # an ordinary Saturday
    expected = OutletIndex(registry[saturday]).nearest(lon=112.55, lat=37.87, k=8)
    assert [item["id"] for item in json.loads(out)] == expected["id"].tolist()
    code, out, _ = run(
        capsys, "nearest", "--lat", "37.87", "--lon", "112.55", "-k", "8", "--instant-issue",
        "--transit-topup", "--format", "json",
    )  # fmt: skip
    assert code == 0
    both = registry[registry["instant_issue"] & registry["transit_topup"]]
    expected = OutletIndex(both).nearest(lon=112.55, lat=37.87, k=8)
    items = json.loads(out)
    assert [item["id"] for item in items] == expected["id"].tolist()
    assert all(item["instant_issue"] and item["transit_topup"] for item in items)


def test_open_at_weekends_ignores_make_up_days() -> None:
    frame = pd.DataFrame(
        {"opening_hours": ["WD 09:00-17:00", "Mo-Su 09:00-17:00; Sa,Su off", "Sa 09:00-12:00"]}
    )
    assert open_at_weekends(frame).tolist() == [False, False, True]
