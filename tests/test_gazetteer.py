"""Offline place search over the shipped counties, cities and outlets."""

from __future__ import annotations

from collections import defaultdict
from unittest import mock

import geopandas as gpd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from locator.counties import county_of
from locator.gazetteer import MAX_QUERY_CHARS, Gazetteer, Place, Resolution, romanize, search_places
from locator.registry import outlets_from_records


@pytest.fixture(scope="module")
def gazetteer(counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame) -> Gazetteer:
    return Gazetteer(counties, outlets)


def _seat(counties: gpd.GeoDataFrame, name: str, city: str | None = None) -> tuple:
    rows = counties[counties["name"] == name]
    if city is not None:
        rows = rows[rows["city"] == city]
    row = rows.iloc[0]
    return (row["name"], float(row["seat_lon"]), float(row["seat_lat"]), row["adcode"])


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("小店", "小店区"),  # suffix left out
        ("小店区", "小店区"),
        (" 小 店 ", "小店区"),  # spaces
        ("山西省太原市小店区", "小店区"),  # province and city in front
        ("太原小店", "小店区"),
        ("太原市小店区振兴街110号", "小店区"),  # a whole address
        ("杏花", "杏花岭区"),  # the beginning of a name
        ("杏岭", "杏花岭区"),  # characters in order
        ("盂", "盂县"),  # one-character stem
        ("古交", "古交市"),  # county-level city
        ("临县", "临县"),
    ],
)
def test_counties_are_found_forgivingly(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, query: str, name: str
) -> None:
    best = gazetteer.search(query)[0]
    assert best.kind == "county"
    assert tuple(best[:4]) == _seat(counties, name)


def test_a_city_resolves_to_its_most_populous_district(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    for query in ("太原", "太原市", "山西太原"):
        best = gazetteer.search(query)[0]
        assert (best.name, best.kind) == ("太原市", "city")
        districts = counties[(counties["city"] == "太原市") & counties["name"].str.endswith("区")]
        core = districts.sort_values("population").iloc[-1]
        assert (best.context, best.adcode) == (core["name"], core["adcode"])
        assert (best.lon, best.lat) == (float(core["seat_lon"]), float(core["seat_lat"]))


def test_two_counties_named_the_same_are_told_apart_by_their_city(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    assert tuple(gazetteer.search("晋城城区")[0][:4]) == _seat(counties, "城区", "晋城市")
    assert tuple(gazetteer.search("阳泉市城区")[0][:4]) == _seat(counties, "城区", "阳泉市")
    both = [p for p in gazetteer.search("城区") if p.kind == "county"]
    assert {p.context for p in both[:2]} == {"阳泉市", "晋城市"}


def test_outlets_are_found_by_name_and_address(
    gazetteer: Gazetteer, outlets: gpd.GeoDataFrame
) -> None:
    row = outlets.iloc[10]
    best = gazetteer.search(row["name"])[0]
    assert (best.name, best.kind, best.context) == (row["name"], "outlet", row["address"])
    assert (best.lon, best.lat) == (row.geometry.x, row.geometry.y)
    street = row["address"].split("区", 1)[-1][:3]  # e.g. 振兴街
    assert any(p.kind == "outlet" and street in p.context for p in gazetteer.search(street))


def test_counties_rank_above_outlets_named_after_them(gazetteer: Gazetteer) -> None:
    found = gazetteer.search("娄烦", limit=20)
    assert found[0].name == "娄烦县"
    assert [p.kind for p in found[1:]] == ["outlet"] * (len(found) - 1)
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)


@pytest.mark.parametrize(
    "query", ["", "   ", "上海", "北格镇", "!!!", "London", "qwertyuiop", "shanxi", "Shaanxi"]
)
def test_unknown_places_and_towns_find_nothing(gazetteer: Gazetteer, query: str) -> None:
    assert gazetteer.search(query) == []


def test_towns_are_documented_as_not_placeable() -> None:
    import locator.gazetteer

    assert "no township coordinates" in (locator.gazetteer.__doc__ or "")


def test_limit_and_search_places(counties: gpd.GeoDataFrame) -> None:
    assert len(search_places("城区", counties=counties, limit=1)) == 1
    assert search_places("小店", counties=counties, limit=0) == []
    assert all(isinstance(p, Place) for p in search_places("区", counties=counties))


def test_outlets_without_a_name_or_position_are_skipped(counties: gpd.GeoDataFrame) -> None:
    records = [
        {"id": "a", "name": "测试网点", "kind": "bank", "address": "某路1号"},
        {"id": "b", "name": None, "kind": "bank", "address": None},
        {"id": "c", "name": "无坐标网点", "kind": "bank", "address": "某路2号"},
    ]
    frame = outlets_from_records(records, [112.5, 112.6, float("nan")], [37.8, 37.9, float("nan")])
    gazetteer = Gazetteer(counties, frame)
    assert [p.name for p in gazetteer.search("网点")] == ["测试网点"]
    assert [p.name for p in gazetteer.search("某路")] == ["测试网点"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_gives_a_ranked_list_of_places_in_shanxi(gazetteer: Gazetteer, query: str) -> None:
    found = gazetteer.search(query)
    assert len(found) <= 10
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert all(110.0 < p.lon < 115.0 and 34.0 < p.lat < 41.0 for p in found)


# ----------------------------------------------------------------------------- pinyin, English
def _county_at(place: Place, counties: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The county row whose polygon holds the place's point (point in polygon, not names)."""
    adcode = county_of([place.lon], [place.lat], counties=counties).iloc[0]
    return counties.set_index("adcode").loc[adcode]


@pytest.mark.parametrize(
    ("query", "county", "city"),
    [
        ("Pingyao", "平遥县", "晋中市"),
        ("pingyao", "平遥县", "晋中市"),
        ("Ping Yao", "平遥县", "晋中市"),
        ("pingyao county", "平遥县", "晋中市"),
        ("Pingyao Xian", "平遥县", "晋中市"),
        ("Píngyáo", "平遥县", "晋中市"),  # tone marks
        ("PINGYAO", "平遥县", "晋中市"),
        ("ＰＩＮＧＹＡＯ", "平遥县", "晋中市"),  # full-width letters
        ("Shanxi Province, Pingyao", "平遥县", "晋中市"),
        ("平遥 county", "平遥县", "晋中市"),  # mixed
        ("xiaodian", "小店区", "太原市"),
        ("Xiaodian District", "小店区", "太原市"),
        ("Taiyuan Xiaodian", "小店区", "太原市"),
        ("xiaodian qu, taiyuan shi", "小店区", "太原市"),
        ("Qi Xian", "祁县", "晋中市"),  # 祁县: a one-syllable name and xian
        ("Qixian", "祁县", "晋中市"),
        ("Yang Qu", "阳曲县", "太原市"),  # qu here is a syllable of the name, not 区
        ("Li Shi", "离石区", "吕梁市"),  # and shi of 离石
        ("Hongtong", "洪洞县", "临汾市"),  # the official reading
        ("Hongdong", "洪洞县", "临汾市"),  # the common misreading
        ("Fanshi", "繁峙县", "忻州市"),
        ("Wanbailin", "万柏林区", "太原市"),
        ("Wanbolin", "万柏林区", "太原市"),
        ("Yaodu District", "尧都区", "临汾市"),
        ("Zhangzi", "长子县", "长治市"),  # 长 read zhang here, chang in Changzhi
        ("Pinglu Qu", "平鲁区", "朔州市"),
        ("Pinglu County", "平陆县", "运城市"),
        ("Kuangqu", "矿区", "阳泉市"),
    ],
)
def test_pinyin_and_english_names_find_their_county(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, query: str, county: str, city: str
) -> None:
    found = gazetteer.resolve(query)
    assert not found.ambiguous
    best = found.places[0]
    assert (best.kind, best.name, best.county, best.city) == ("county", county, county, city)
    row = _county_at(best, counties)
    assert (row["name"], row["city"]) == (county, city)


@pytest.mark.parametrize(
    ("query", "city"),
    [
        ("Taiyuan", "太原市"),
        ("taiyuan shi", "太原市"),
        ("Taiyuan City", "太原市"),
        ("shanxitaiyuan", "太原市"),
        ("Datong", "大同市"),
        ("Yangquan", "阳泉市"),
        ("Changzhi", "长治市"),
        ("Jincheng", "晋城市"),
        ("Shuozhou", "朔州市"),
        ("Jinzhong", "晋中市"),
        ("Yuncheng", "运城市"),
        ("Xinzhou", "忻州市"),
        ("Linfen", "临汾市"),
        ("Lüliang", "吕梁市"),
        ("Lvliang", "吕梁市"),
        ("Luliang City", "吕梁市"),
    ],
)
def test_pinyin_and_english_names_find_their_city(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, query: str, city: str
) -> None:
    found = gazetteer.resolve(query)
    assert not found.ambiguous
    best = found.places[0]
    assert (best.kind, best.name, best.county, best.city) == ("city", city, "", city)
    assert _county_at(best, counties)["city"] == city
    assert gazetteer.search(city)[0][:6] == best[:6]  # the place the Chinese name finds


def test_every_county_is_found_by_its_pinyin(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    """Brute force: each county's pypinyin reading finds it, or every county read alike."""
    read_alike: dict[str, set[str]] = defaultdict(set)
    for row in counties.itertuples():
        read_alike["".join(lazy_pinyin(row.name))].add(row.adcode)
    for row in counties.itertuples():
        syllables = lazy_pinyin(row.name)
        for query in (" ".join(syllables), "".join(syllables).title()):
            found = gazetteer.resolve(query)
            best = found.places if found.ambiguous else found.places[:1]
            assert {p.adcode for p in best} == read_alike["".join(syllables)], query
            assert all(p.kind == "county" for p in best), query
            assert found.ambiguous == (len(read_alike["".join(syllables)]) > 1), query


def test_chengqu_is_ambiguous_and_lists_every_county_of_that_name(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    named = counties[counties["name"] == "城区"]
    assert len(named) >= 2
    for query in ("城区", "Chengqu", "Cheng Qu", "chengqu district"):
        found = gazetteer.resolve(query)
        assert found.ambiguous, query
        assert sorted(p.adcode for p in found.places) == sorted(named["adcode"]), query
        assert {(p.county, p.city) for p in found.places} == {("城区", c) for c in named["city"]}
        assert len({(p.lon, p.lat) for p in found.places}) == len(named)


@pytest.mark.parametrize(("city", "romanized"), [("阳泉市", "Yangquan"), ("晋城市", "Jincheng")])
def test_a_city_qualified_query_is_not_ambiguous(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, city: str, romanized: str
) -> None:
    short = city.removesuffix("市")
    queries = [
        f"{short}城区",
        f"{short} 城区",
        f"城区 {short}",
        f"{city}城区",
        f"Chengqu {romanized}",
        f"{romanized} Chengqu",
        f"{romanized.lower()}chengqu",
        f"chengqu, {romanized} City",
    ]
    for query in queries:
        found = gazetteer.resolve(query)
        assert not found.ambiguous, query
        best = found.places[0]
        assert (best.name, best.city) == ("城区", city), query
        row = _county_at(best, counties)
        assert (row["name"], row["city"]) == ("城区", city), query


def test_homophones_are_ambiguous_until_the_generic_word_says(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame
) -> None:
    # 平鲁区 and 平陆县 are both Pinglu: the tones differ, the letters do not.
    pinglu = counties[counties["name"].isin(["平鲁区", "平陆县"])]
    found = gazetteer.resolve("Pinglu")
    assert found.ambiguous
    assert sorted(p.adcode for p in found.places) == sorted(pinglu["adcode"])
    assert gazetteer.resolve("pinglu xian").places[0].name == "平陆县"
    assert gazetteer.resolve("Pinglu District").places[0].name == "平鲁区"


def test_a_unique_name_is_not_ambiguous(gazetteer: Gazetteer) -> None:
    for query in ("小店", "平遥县", "太原", "Pingyao", "盂县"):
        found = gazetteer.resolve(query)
        assert isinstance(found, Resolution)
        assert not found.ambiguous
        assert found.places == gazetteer.search(query)
    assert gazetteer.resolve("nowhere at all") == Resolution([], False)
    assert gazetteer.resolve("城区", limit=1).places == gazetteer.resolve("城区").places[:1]


def test_places_carry_their_county_city_and_pinyin(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame
) -> None:
    names = counties.set_index("adcode")
    for query in ("小店", "太原", "娄烦"):
        for place in gazetteer.search(query, limit=20):
            if place.kind == "county":
                assert (place.county, place.city) == (place.name, names.loc[place.adcode, "city"])
            elif place.kind == "city":
                assert (place.county, place.city) == ("", place.name)
            else:
                rows = outlets[(outlets["name"] == place.name)]
                adcode = rows["county_adcode"].iloc[0]
                assert (place.county, place.city) == tuple(names.loc[adcode, ["name", "city"]])
    spelled = {
        "平遥": "Pingyao Xian",
        "城区": "Chengqu",
        "祁县": "Qixian",
        "太原": "Taiyuan Shi",
        "长治": "Changzhi Shi",
        "吕梁": "Lüliang Shi",
        "万柏林": "Wanbailin Qu",
        "洪洞": "Hongtong Xian",
    }
    for query, pinyin in spelled.items():
        assert gazetteer.search(query)[0].pinyin == pinyin
    assert romanize("阳泉市", generic=False) == "Yangquan"
    assert romanize("城区", generic=False) == "Chengqu"
    outlet = gazetteer.search("小店区社会保障卡服务中心")[0]
    assert outlet.pinyin.replace(" ", "").lower() == "".join(lazy_pinyin(outlet.name))


def test_outlets_are_found_by_their_pinyin(gazetteer: Gazetteer, outlets: gpd.GeoDataFrame) -> None:
    row = outlets[outlets["name"] == "小店区社会保障卡服务中心"].iloc[0]
    found = gazetteer.search(" ".join(lazy_pinyin(row["name"])))
    assert (found[0].kind, found[0].name) == ("outlet", row["name"])
    assert (found[0].lon, found[0].lat) == (row.geometry.x, row.geometry.y)
    # Part of a name, in whole syllables: the places the same words in Chinese find.
    found = gazetteer.search("Xiaodianqu Shehui Baozhang", limit=50)
    chinese = gazetteer.search("小店区社会保障", limit=50)
    assert {p[:6] for p in found} == {p[:6] for p in chinese}
    assert {p.name for p in found if p.kind == "outlet"} == {
        n for n in outlets["name"] if "小店区社会保障" in n
    }


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
        | st.sampled_from("0123456789 市区县·,（）"),
        max_size=20,
    )
)
def test_chinese_queries_never_reach_the_pinyin_reading(gazetteer: Gazetteer, query: str) -> None:
    """Chinese results are what they were: a query without Latin letters is not read as pinyin."""
    with mock.patch.object(Gazetteer, "_score_latin", side_effect=AssertionError(query)):
        gazetteer.search(query)
        gazetteer.resolve(query)


HOSTILE = [
    "",
    " \t\n ",
    "\x00\x07\x1b[2J\x7f",
    "{{7*7}}",
    "{{ config.items() }}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "Pingyao\u202e\u200b",
    "a" * 1000,
    "平" * 1000,
    "pingyao " * 125,
    "Ping 平 " * 150,
    "\ud800",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_find_only_places_of_the_data(
    gazetteer: Gazetteer, counties: gpd.GeoDataFrame, outlets: gpd.GeoDataFrame, query: str
) -> None:
    known = set(counties["name"]) | set(counties["city"]) | set(outlets["name"])
    for found in (gazetteer.search(query), gazetteer.resolve(query).places):
        assert all(isinstance(p, Place) and p.name in known for p in found)
    assert gazetteer.search("<script>") == []


def test_only_the_start_of_a_long_query_counts(gazetteer: Gazetteer) -> None:
    padding = " " * (MAX_QUERY_CHARS - 2)
    assert gazetteer.search("小店" + padding + "城区") == gazetteer.search("小店")
    assert gazetteer.resolve("Pingyao" + padding + "Chengqu").places[0].name == "平遥县"
    assert gazetteer.search("小店城区") != gazetteer.search("小店")  # the padding matters


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30) | st.from_regex(r"[A-Za-zü ]{1,20}", fullmatch=True))
def test_resolve_is_the_search_or_its_equally_good_places(gazetteer: Gazetteer, query: str) -> None:
    found = gazetteer.resolve(query)
    ranked = gazetteer.search(query, limit=10_000)
    if found.ambiguous:
        best = ranked[0]
        tied = [p for p in ranked if (p.kind, p.score) == (best.kind, best.score)]
        assert found.places == tied[:10]
        assert len({(p.lon, p.lat) for p in tied}) > 1
    else:
        assert found.places == ranked[:10]
