"""The app's words: every key in both languages, fields filled in, languages parsed."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from locator._errors import ValidationError
from locator.app.page import TILES
from locator.app.planner import METRICS
from locator.app.state import VIEWS
from locator.i18n import LANGS, STRINGS, parse_lang, t

HAN = re.compile(r"[\u4e00-\u9fff]")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_both_languages_with_the_same_fields(key: str) -> None:
    entry = STRINGS[key]
    assert set(entry) == set(LANGS)
    assert all(entry[lang].strip() for lang in LANGS)
    assert _fields(entry["zh"]) == _fields(entry["en"])


def test_chinese_first_and_english_is_english() -> None:
    chinese = [key for key, entry in STRINGS.items() if HAN.search(entry["zh"])]
    # Nearly all Chinese texts are Chinese; the few that are not are proper names (OpenStreetMap).
    assert len(chinese) >= len(STRINGS) - 3
    assert t("title") == t("title", "zh") == STRINGS["title"]["zh"]
    assert not HAN.search(t("no_location", "en"))


def test_fields_are_filled_in() -> None:
    assert t("n_found", "zh", n=4) == "最近的 4 个网点"
    assert t("p_share", "en", r=5.0) == "Population within 5 km"
    assert t("upload_counts", "en", read=3, accepted=2, rejected=1) == (
        "Read 3 rows: 2 imported, 1 not used."
    )


def test_unknown_language_falls_back_to_chinese_and_unknown_key_fails() -> None:
    assert t("title", "fr") == t("title", "zh")
    with pytest.raises(KeyError):
        t("no such key")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("zh", "zh"), ("ZH", "zh"), ("zh-CN", "zh"), ("中文", "zh"), ("en", "en"), (" en-US ", "en")],
)
def test_parse_lang(given: str, expected: str) -> None:
    assert parse_lang(given) == expected


def test_parse_lang_rejects_others() -> None:
    with pytest.raises(ValidationError, match="'fr' is not supported: use zh"):
        parse_lang("fr")


ROOT = Path(__file__).resolve().parents[1]
# Every module that may show a text, but the word table itself.
SOURCES = [ROOT / "app.py", *(p for p in (ROOT / "locator").rglob("*.py") if p.name != "i18n.py")]
# Keys made from a prefix and a value (`t(f"view_{v}")`): the prefix and the values it takes.
FAMILIES: dict[str, tuple[str, ...]] = {
    "view_": VIEWS,
    "tiles_": TILES,
    "metric_": METRICS,
    "upload_limit_": ("size", "time", "memory"),  # locator.app.upload.UploadLimitError.limit
    "siting_reason_": ("rule", "coverage"),  # the reason column of locator.planning.siting
}


def _code() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)


def test_every_key_the_app_uses_exists() -> None:
    code = _code()
    used = set(re.findall(r"""\bt\(\s*["']([a-z_0-9]+)["']\s*[,)]""", code))
    assert len(used) > 50, "the page uses t()"
    assert used <= set(STRINGS), sorted(used - set(STRINGS))
    for prefix, values in FAMILIES.items():
        assert re.search(rf"""f["']{prefix}\{{|["']{prefix}["']\s*\+""", code), prefix
        assert {f"{prefix}{v}" for v in values} <= set(STRINGS), prefix


def test_every_key_is_used_somewhere_in_the_code() -> None:
    # A key is used when the code names it in quotes, or it is a member of a family the
    # code builds (`f"view_{v}"`); a text nobody shows is dead weight to translate.
    quoted = set(re.findall(r"""["']([a-z][a-z_0-9]*)["']""", _code()))
    family = {f"{prefix}{v}" for prefix, values in FAMILIES.items() for v in values}
    unused = sorted(set(STRINGS) - quoted - family)
    assert not unused, unused


def test_the_languages_are_defined_once() -> None:
    defined = [p for p in SOURCES if re.search(r"^LANGS\b.*=", p.read_text("utf-8"), re.M)]
    assert not defined, defined  # every other module imports locator.i18n.LANGS
    assert LANGS[0] == "zh"


# Streamlit loads its emoji plugin for a whole Markdown text when the source holds
# `:word:`; the plugin then turns escaped data such as `\:smile\:` into an emoji too.
_STREAMLIT_EMOJI = re.compile(r":(?!material\/|streamlit:)[\w+-][\w_+-]*:")


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_no_text_wakes_streamlit_markdown_extras(key: str) -> None:
    for lang in LANGS:
        text = STRINGS[key][lang]
        assert not _STREAMLIT_EMOJI.search(text), text
        assert "$" not in text and "<" not in text and ":material" not in text, text


def test_data_in_a_field_is_not_formatted_again() -> None:
    assert t("place_none", "en", query="{n} {0} {{x}}") == (
        "Nothing found for “{n} {0} {{x}}”. Towns have no offline coordinates: type the "
        "county, or click the map."
    )


def test_every_upload_limit_has_a_lead_that_says_what_to_do() -> None:
    for limit in ("size", "time", "memory"):
        assert "locator import" in t(f"upload_limit_{limit}", "en")
        assert "locator import" in t(f"upload_limit_{limit}", "zh")
