from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from locator._errors import UnknownBankError
from locator.banks import BANK_NAMES, BANKS, bank_hotline, normalize_bank


def test_sixteen_partner_banks():
    assert len(BANK_NAMES) == 16 == len(set(BANK_NAMES))


@pytest.mark.parametrize("bank", BANKS, ids=lambda b: b.short)
def test_every_name_and_alias_maps_to_its_bank(bank):
    for name in (bank.name, bank.name_en, bank.short, bank.short.lower(), *bank.aliases):
        assert normalize_bank(name) == bank.name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("中国工商银行股份有限公司太原迎泽支行", "中国工商银行"),
        ("中国银行股份有限公司大同分行", "中国银行"),
        ("上海浦东发展银行太原分行营业部", "浦发银行"),
        ("  建行 ", "中国建设银行"),
        ("ＩＣＢＣ", "中国工商银行"),  # full-width, as Chinese spreadsheets often have
        ("太原农村商业银行股份有限公司", "农商行"),
        ("中国邮政储蓄银行股份有限公司晋中市分行", "中国邮政储蓄银行"),
        ("山西银行", "山西银行"),
    ],
)
def test_legal_and_branch_names(raw, expected):
    assert normalize_bank(raw) == expected


def test_unknown_bank_lists_the_valid_names():
    with pytest.raises(UnknownBankError, match="花旗银行.*中国工商银行.*中信银行"):
        normalize_bank("花旗银行")


@given(st.text(max_size=12))
def test_any_text_either_maps_to_a_partner_bank_or_raises_the_clear_error(text):
    try:
        assert normalize_bank(text) in BANK_NAMES
    except UnknownBankError as error:
        assert "use one of" in str(error)


# The national customer-service numbers the banks publish; the others have none we are sure of.
KNOWN_HOTLINES = {
    "ICBC": "95588", "ABC": "95599", "BOC": "95566", "CCB": "95533", "BOCOM": "95559",
    "PSBC": "95580", "CMB": "95555", "SPDB": "95528", "CMBC": "95568", "CIB": "95561",
    "CEB": "95595", "CITIC": "95558", "CBHB": "95541",
}  # fmt: skip


@pytest.mark.parametrize("bank", BANKS, ids=lambda b: b.short)
def test_hotlines_are_the_published_numbers_or_none(bank):
    assert bank.hotline == KNOWN_HOTLINES.get(bank.short)
    assert bank_hotline(bank.short) == bank.hotline
    assert bank_hotline(bank.aliases[0] if bank.aliases else bank.name) == bank.hotline


def test_hotline_of_an_unknown_bank_is_refused():
    with pytest.raises(UnknownBankError, match="unknown bank 'Citibank'"):
        bank_hotline("Citibank")
