"""The app's words: every key in both languages, fields filled in, languages parsed."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from locator._errors import ValidationError
from locator.i18n import LANGS, STRINGS, parse_lang, t

APP = Path(__file__).resolve().parents[1] / "app.py"
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


def test_every_key_the_app_uses_exists() -> None:
    used = set(
        re.findall(r"""\bt\(\s*["']([a-z_0-9]+)["']\s*[,)]""", APP.read_text(encoding="utf-8"))
    )
    assert used, "app.py uses t()"
    assert used <= set(STRINGS), sorted(used - set(STRINGS))


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
