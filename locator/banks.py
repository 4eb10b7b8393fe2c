"""The 16 partner banks that issue and service Shanxi's social security cards.

A card belongs to one bank, printed on it; bank-side tasks need a branch of
that bank. Registries and residents name banks in many ways (工行, 中国工商银行
股份有限公司太原分行, ICBC); :func:`normalize_bank` maps them onto the 16 names.

Examples
--------
>>> normalize_bank("工行")
'中国工商银行'
>>> normalize_bank("中国邮政储蓄银行股份有限公司晋中市分行")
'中国邮政储蓄银行'
>>> normalize_bank("icbc")
'中国工商银行'
>>> bank_hotline("招行"), bank_hotline("山西银行")
('95555', None)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from locator._errors import UnknownBankError

__all__ = ["BANKS", "BANK_NAMES", "Bank", "bank_hotline", "normalize_bank"]


@dataclass(frozen=True)
class Bank:
    """One partner bank: its name as the province lists it, English name, other names.

    ``hotline`` is the bank's national customer-service number where it is one well-known
    number; None where it is not (the rural commercial banks, city banks): then the
    number is the one on the back of the card. Never a guess.
    """

    name: str
    name_en: str
    short: str
    aliases: tuple[str, ...]
    hotline: str | None = None


BANKS: tuple[Bank, ...] = (
    Bank(
        "中国工商银行",
        "Industrial and Commercial Bank of China",
        "ICBC",
        ("工行", "工商银行"),
        "95588",
    ),
    Bank("中国农业银行", "Agricultural Bank of China", "ABC", ("农行", "农业银行"), "95599"),
    Bank("中国银行", "Bank of China", "BOC", ("中行",), "95566"),
    Bank("中国建设银行", "China Construction Bank", "CCB", ("建行", "建设银行"), "95533"),
    Bank(
        "农商行",
        "Rural commercial banks",
        "RCB",
        ("农商银行", "农村商业银行", "农村信用社", "农信社", "山西农信", "rural commercial bank"),
    ),
    Bank(
        "中国邮政储蓄银行",
        "Postal Savings Bank of China",
        "PSBC",
        ("邮储", "邮储银行", "邮政储蓄银行", "邮政储蓄", "邮政银行"),
        "95580",
    ),
    Bank("招商银行", "China Merchants Bank", "CMB", ("招行",), "95555"),
    Bank(
        "浦发银行",
        "Shanghai Pudong Development Bank",
        "SPDB",
        ("上海浦东发展银行", "浦发"),
        "95528",
    ),
    Bank("民生银行", "China Minsheng Bank", "CMBC", ("中国民生银行", "民生"), "95568"),
    Bank("交通银行", "Bank of Communications", "BOCOM", ("交行",), "95559"),
    Bank("渤海银行", "China Bohai Bank", "CBHB", ("渤海",), "95541"),
    Bank("晋商银行", "Jinshang Bank", "JSB", ("晋商",)),
    Bank("兴业银行", "Industrial Bank", "CIB", ("兴业",), "95561"),
    Bank("光大银行", "China Everbright Bank", "CEB", ("中国光大银行", "光大"), "95595"),
    Bank("山西银行", "Bank of Shanxi", "BOSX", ()),
    Bank("中信银行", "China CITIC Bank", "CITIC", ("中信",), "95558"),
)

BANK_NAMES: tuple[str, ...] = tuple(b.name for b in BANKS)


def _fold(text: str) -> str:
    # NFKC turns full-width letters and spaces (common in Chinese exports) into ASCII.
    return re.sub(r"[\s·・()（）\-_.,，]+", "", unicodedata.normalize("NFKC", text)).casefold()


_EXACT: dict[str, str] = {}
for _b in BANKS:
    for _n in (_b.name, _b.name_en, _b.short, *_b.aliases):
        _EXACT[_fold(_n)] = _b.name
# Longest first, so that 中国工商银行 wins over 工商银行 and 中国银行 never shadows a longer name.
_SUBSTRINGS: tuple[tuple[str, str], ...] = tuple(
    sorted(((k, v) for k, v in _EXACT.items() if len(k) >= 2), key=lambda kv: -len(kv[0]))
)


def normalize_bank(name: str) -> str:
    """Return the canonical name of the partner bank that ``name`` refers to.

    Accepts the 16 names, their full legal names with branch suffixes
    (``中国工商银行股份有限公司太原迎泽支行``), common short names (工行, 建行, 邮储)
    and English names or abbreviations, in any case and width.

    Raises
    ------
    UnknownBankError
        When ``name`` matches none of them; the message lists the valid names.
    """
    folded = _fold(str(name))
    if folded in _EXACT:
        return _EXACT[folded]
    # Only CJK names are matched inside longer text: a Latin abbreviation such as
    # "ABC" inside an arbitrary word would be a false friend.
    for key, canonical in _SUBSTRINGS:
        if not key.isascii() and key in folded:
            return canonical
    msg = f"unknown bank {name!r}: use one of {', '.join(BANK_NAMES)} (short names such as 工行, 建行, 邮储 work too)"
    raise UnknownBankError(msg)


def bank_hotline(name: str) -> str | None:
    """The national customer-service number of the bank ``name`` refers to, or None.

    None means there is no one number we are sure of: use the number on the back of the card.

    Raises
    ------
    UnknownBankError
        When ``name`` is none of the 16 partner banks.
    """
    canonical = normalize_bank(name)
    return next(b.hotline for b in BANKS if b.name == canonical)
