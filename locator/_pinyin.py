"""Place names in pinyin: their readings, their romanisation and Latin queries graded.

The romanisation half of `locator.gazetteer`. Names are read with pypinyin plus the
official readings it gets wrong in Shanxi (长治 Changzhi, 洪洞 Hongtong, 繁峙 Fanshi,
尧都 Yaodu, 万柏林 Wanbailin; the usual misreadings Hongdong, Fanzhi, Wanbolin are
kept as variants). A query with Latin letters is folded into words (tone marks, case
and spaces dropped, v read as ü) whose generic words (county / xian, district / qu,
city / shi) stand for 县, 区, 市, and graded against each name's spellings on the scale
the gazetteer uses for Chinese names. Nothing here knows about counties or outlets.

Examples
--------
>>> romanize("万柏林区"), romanize_text("中国银行")
('Wanbailin Qu', 'Zhong Guo Yin Hang')
>>> query = latin_query("Pingyao County")
>>> query.bare, sorted(query.hints)
('pingyao', ['县'])
>>> pinyin_score(query, name_spellings("平遥县"))
100.0
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "LatinQuery",
    "Spelling",
    "latin_query",
    "name_spellings",
    "outlet_pinyin_score",
    "outlet_spellings",
    "piecewise_readings",
    "pinyin_score",
    "query_of",
    "romanize",
    "romanize_text",
    "split_city",
]

# The suffixes written as a word of their own in pinyin (万柏林区 is Wanbailin Qu, not
# Wanbai Linqu: 林区 as a suffix is a forest district, of which Shanxi has none).
_PINYIN_SUFFIXES: tuple[str, ...] = ("自治县", "市", "区", "县", "旗")

# Official readings pypinyin gets wrong in Shanxi's names (and 行 of a bank), the usual
# reading first; later ones are misreadings people type too. One syllable per character.
_READINGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "长治": (("chang", "zhi"),),
    "洪洞": (("hong", "tong"), ("hong", "dong")),
    "繁峙": (("fan", "shi"), ("fan", "zhi")),
    "尧都": (("yao", "du"), ("yao", "dou")),
    "长安": (("chang", "an"),),
    "长乐": (("chang", "le"),),
    "朝阳": (("chao", "yang"),),
    "万柏林": (("wan", "bai", "lin"), ("wan", "bo", "lin")),
    "银行": (("yin", "hang"),),
    "支行": (("zhi", "hang"),),
    "分行": (("fen", "hang"),),
    "商行": (("shang", "hang"),),
    "总行": (("zong", "hang"),),
}
_READING = re.compile("|".join(sorted(_READINGS, key=len, reverse=True)))
_HANZI = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")
_LATIN = re.compile(r"[a-z]")
_WORD = re.compile(r"[a-z0-9]+")
# English and pinyin generic words, and the suffix each stands for ("" for the province).
_GENERIC_WORDS: dict[str, str] = {
    "county": "县",
    "xian": "县",
    "district": "区",
    "qu": "区",
    "city": "市",
    "shi": "市",
    "prefecture": "",
    "province": "",
    "sheng": "",
    "shanxi": "",
    "shanxisheng": "",
}
_PROVINCE_WORDS = frozenset(w for w, suffix in _GENERIC_WORDS.items() if not suffix)


class Spelling(NamedTuple):
    """A county's or city's name in folded pinyin: 平遥县 → pingyao, pingyaoxian, 县, 2."""

    stem: str
    full: str
    suffix: str
    syllables: int


class LatinQuery(NamedTuple):
    """A Latin query, folded: the words and what the generic words among them say."""

    tokens: tuple[str, ...]  # every word but the province's, folded
    bare: str  # the words that are not generic, joined: "pingyao"
    whole: str  # every token joined: "pingyaoxian"
    hints: frozenset[str]  # the suffixes the generic words name: {"县"}
    spans: frozenset[str]  # every run of up to four tokens, joined

    @property
    def named(self) -> bool:
        """Whether any word is more than a generic one."""
        return bool(self.bare)


def _pinyin_stem(name: str) -> str:
    """The name without the suffix its pinyin writes apart (万柏林区 → 万柏林)."""
    for suffix in _PINYIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _readings(text: str) -> list[list[str]]:
    """The syllables of ``text``, other characters kept as they are (长治市 → chang zhi shi).

    The usual reading comes first, then one reading per misreading people also type
    (洪洞: hong tong, then hong dong). Only characters of the name are read: no network.
    """
    # Imported on first use: its dictionaries take 0.3 s to load, which a page that reads
    # no pinyin (the Chinese resident page from a link) does not pay.
    from pypinyin import Style, lazy_pinyin

    syllables: list[str] = []
    variants: list[tuple[int, int, tuple[str, ...]]] = []
    for piece in _HANZI.split(text):
        if not _HANZI.fullmatch(piece):
            if piece:
                syllables.append(piece)
            continue
        read = lazy_pinyin(piece, style=Style.NORMAL, v_to_u=True)
        if len(read) == len(piece):  # one syllable per character, so phrases can be fixed
            at = len(syllables)
            for match in _READING.finditer(piece):
                usual, *others = _READINGS[match.group()]
                read[match.start() : match.end()] = usual
                variants += [(at + match.start(), at + match.end(), o) for o in others]
        syllables.extend(read)
    return [syllables, *(syllables[:a] + list(o) + syllables[b:] for a, b, o in variants)]


def piecewise_readings(
    text: str, words: re.Pattern[str], cache: dict[str, list[list[str]]]
) -> list[list[str]]:
    """`_readings` of a text cut at the place names ``words`` matches, each piece read once.

    A registry's names are made of few pieces (中国银行 | 小店区 | 振兴支行): thousands of
    names hold a few hundred distinct pieces, and a place name is a word of its own.
    """
    pieces = []
    for piece in words.split(text):
        if piece:
            if piece not in cache:
                cache[piece] = _readings(piece)
            pieces.append(cache[piece])
    usual = [syllable for readings in pieces for syllable in readings[0]]
    variants, at = [], 0
    for readings in pieces:
        end = at + len(readings[0])
        variants += [usual[:at] + other + usual[end:] for other in readings[1:]]
        at = end
    return [usual, *variants]


def _plain(text: str) -> str:
    """Lower case without tone marks or the dots of ü: Píngyáo → pingyao, Lǘ → lu."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _ascii(text: str) -> str:
    """Only the ASCII letters and digits of `_plain` text."""
    return "".join(_WORD.findall(_plain(text)))


@functools.lru_cache(maxsize=4096)
def _syllable(text: str) -> str:
    """`_ascii` of one syllable of a name (a few hundred distinct ones: read each once)."""
    return _ascii(text)


@functools.lru_cache(maxsize=4096)
def _capitalized(text: str) -> str:
    """One syllable of a name as a word: zhong → Zhong."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def name_spellings(name: str) -> list[Spelling]:
    """The ways a county's or city's name is spelled in folded pinyin (usual first)."""
    stem = _pinyin_stem(name)
    suffix = name[len(stem) :]
    suffix_py = "".join(_ascii(s) for s in _readings(suffix)[0])
    spellings = []
    for reading in _readings(stem):
        folded = "".join(_ascii(s) for s in reading)
        spellings.append(Spelling(folded, folded + suffix_py, suffix, len(reading)))
    return spellings


def outlet_spellings(readings: list[list[str]]) -> list[tuple[str, frozenset[int]]]:
    """An outlet name's folded pinyin, and where its syllables start and end."""
    spellings = []
    for reading in readings:
        parts = [word for syllable in reading if (word := _syllable(syllable))]
        bounds = frozenset(itertools.accumulate(map(len, parts), initial=0))
        spellings.append(("".join(parts), bounds))
    return spellings


def _word(syllables: list[str]) -> str:
    """Syllables written as one word, capitalised: [ping, yao] → Pingyao."""
    text = "".join(s.strip() for s in syllables)
    return text[:1].upper() + text[1:]


@functools.lru_cache(maxsize=4096)
def romanize(name: str, *, generic: bool = True) -> str:
    """A place name in pinyin, written as Chinese place names are in Latin letters.

    The specific part and the generic suffix are two words (平遥县 → Pingyao Xian), one
    when the specific part is a single character (祁县 → Qixian, 城区 → Chengqu).
    ``generic=False`` leaves the suffix out where it is a word of its own (阳泉市 →
    Yangquan), as a page does after the Chinese name.

    Examples
    --------
    >>> romanize("平遥县"), romanize("城区"), romanize("阳泉市", generic=False)
    ('Pingyao Xian', 'Chengqu', 'Yangquan')
    >>> romanize("长治市"), romanize("吕梁市"), romanize("洪洞县")
    ('Changzhi Shi', 'Lüliang Shi', 'Hongtong Xian')
    """
    stem = _pinyin_stem(name)
    if len(stem) < 2 or stem == name:
        return _word(_readings(name)[0])
    words = [_word(_readings(stem)[0]), _word(_readings(name[len(stem) :])[0])]
    return " ".join(words if generic else words[:1])


def romanize_text(text: str, readings: list[list[str]] | None = None) -> str:
    """Any name (an outlet's) as capitalised syllables: Xiao Dian Qu She Hui ..."""
    syllables = (readings or _readings(text))[0]
    return " ".join(_capitalized(s) for s in syllables if s.strip())


def latin_query(query: str) -> LatinQuery | None:
    """The query read as pinyin or English, or None when it has no Latin letter.

    Chinese characters in a mixed query are read too (平遥 county → ping yao county).
    """
    text = unicodedata.normalize("NFKC", str(query)).casefold()
    if not _LATIN.search(_plain(text)):
        return None
    tokens: list[str] = []
    for piece in _HANZI.split(text):
        if _HANZI.fullmatch(piece):
            tokens += [_ascii(s) for s in _readings(piece)[0]]
        else:
            tokens += _WORD.findall(_plain(piece))
    if tokens and tokens[0] not in _PROVINCE_WORDS:  # shanxitaiyuan, written as one word
        for word in ("shanxisheng", "shanxi"):
            if tokens[0].startswith(word):
                tokens[0] = tokens[0][len(word) :]
                break
    return query_of([t for t in tokens if t and t not in _PROVINCE_WORDS])


def query_of(tokens: list[str]) -> LatinQuery:
    """The folded words of a Latin query as a `LatinQuery` (the province's already left out)."""
    # v stands for ü (lv → lü); no generic word and no pinyin syllable has a v otherwise.
    tokens = [t if t in _GENERIC_WORDS else t.replace("v", "u") for t in tokens]
    spans = frozenset(
        "".join(tokens[i : i + n]) for n in range(1, 5) for i in range(len(tokens) - n + 1)
    )
    return LatinQuery(
        tuple(tokens),
        "".join(t for t in tokens if t not in _GENERIC_WORDS),
        "".join(tokens),
        frozenset(_GENERIC_WORDS[t] for t in tokens if t in _GENERIC_WORDS),
        spans,
    )


def _spelling_score(
    text: str, hints: frozenset[str], spans: frozenset[str], spelling: Spelling
) -> float:
    """How well folded pinyin ``text`` names a place spelled ``spelling`` (0: not at all).

    The grades the gazetteer gives Chinese names: the name, the name without its suffix (a generic
    word that names another suffix costs 5), an address that starts with the name, the
    start of a name, the name among the words.
    """
    if not text:
        return 0.0
    if text == spelling.full:
        return 100.0
    if text == spelling.stem:
        return 95.0 + (5.0 if spelling.suffix in hints else -5.0 if hints else 0.0)
    if spelling.syllables >= 2 and text.startswith(spelling.stem):
        return 85.0 if text.startswith(spelling.full) else 80.0
    if len(text) >= 3 and spelling.stem.startswith(text):
        return 70.0 + 10.0 * len(text) / len(spelling.stem)
    if spelling.syllables >= 2 and (spelling.stem in spans or spelling.full in spans):
        return 60.0 + min(spelling.syllables, 6)
    return 0.0


def pinyin_score(query: LatinQuery, spellings: list[Spelling]) -> float:
    """The best grade of the query (its words, or every word) over a name's spellings."""
    if not query.bare:
        return 0.0
    empty: frozenset[str] = frozenset()
    return max(
        max(
            _spelling_score(query.bare, query.hints, query.spans, spelling),
            _spelling_score(query.whole, empty, query.spans, spelling),
        )
        for spelling in spellings
    )


def outlet_pinyin_score(query: LatinQuery, spellings: list[tuple[str, frozenset[int]]]) -> float:
    """The whole name (90), or whole syllables of it (50-60, more for more of the name)."""
    best = 0.0
    for text in {query.bare, query.whole}:
        if len(text) < 4:
            continue
        for joined, bounds in spellings:
            if text == joined:
                return 90.0
            at = joined.find(text)
            while at >= 0 and not (at in bounds and at + len(text) in bounds):
                at = joined.find(text, at + 1)
            if at >= 0:
                best = max(best, 50.0 + 10.0 * len(text) / len(joined))
    return best


def split_city(tokens: tuple[str, ...], key: str) -> list[str] | None:
    """The tokens without the city spelled ``key`` (words of it, or the start or end of one)."""
    for start in range(len(tokens)):
        for stop in range(start + 1, min(start + 5, len(tokens) + 1)):
            if "".join(tokens[start:stop]) == key:
                return [*tokens[:start], *tokens[stop:]]
    for at, token in enumerate(tokens):
        if len(token) > len(key) and (token.startswith(key) or token.endswith(key)):
            left = token[len(key) :] if token.startswith(key) else token[: -len(key)]
            return [*tokens[:at], left, *tokens[at + 1 :]]
    return None
