"""What a registry's columns and cells mean: header names, coordinates, flags, tasks.

The text-level half of :mod:`locator.importer`. Registries exported from office systems
and web maps name their columns in Chinese or English, in many ways (网点名称, 名称,
``name``; 经度(高德), ``bd_lng``); cells hold degrees as ``112.55``, ``112.55°``, in
full-width digits, or as a pair in one column (``112.55,37.87``).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from locator._errors import ValidationError
from locator.tasks import TASKS

__all__ = [
    "FIELDS",
    "to_simplified",
    "crs_hints",
    "map_headers",
    "parse_capacity",
    "parse_degrees",
    "parse_flag",
    "parse_kind",
    "parse_pair",
    "parse_services",
]

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "网点编号", "网点代码", "网点id", "机构代码", "outletid"),
    "name": ("name", "outlet", "outletname", "名称", "网点", "网点名", "网点名称", "网点全称",
             "机构名称", "服务网点", "服务网点名称", "营业网点", "营业网点名称", "单位名称",
             "站点名称", "服务机构", "服务机构名称", "银行网点名称"),
    "kind": ("kind", "type", "category", "outlettype", "类型", "类别", "网点类型", "网点类别",
             "机构类型", "网点性质"),
    "bank": ("bank", "bankname", "银行", "所属银行", "合作银行", "发卡银行", "银行名称", "服务银行",
             "开户银行"),
    "county": ("county", "district", "adcode", "countyadcode", "区县", "县区", "县市区", "所属区县",
               "区县名称", "县区名称", "所在区县", "行政区", "行政区划", "区县代码", "行政区划代码",
               "区划代码"),
    "city": ("city", "prefecture", "市", "地市", "城市", "所属市", "所属地市", "设区市"),
    "address": ("address", "addr", "地址", "详细地址", "网点地址", "地点", "位置", "办公地址",
                "营业地址", "服务地址", "所在地址"),
    "phone": ("phone", "tel", "telephone", "contact", "电话", "联系电话", "咨询电话", "服务电话",
              "联系方式", "办公电话", "电话号码"),
    "hours": ("hours", "openhours", "businesshours", "营业时间", "办公时间", "服务时间", "工作时间",
              "开放时间"),
    # OSM opening_hours syntax (locator.hours); Chinese text here is converted like hours
    "opening_hours": ("openinghours", "osmopeninghours", "structuredhours", "结构化营业时间"),
    "services": ("services", "service", "tasks", "服务项目", "业务范围", "可办业务", "服务内容",
                 "办理业务", "可办理业务", "办理事项", "服务事项"),
    "instant_issue": ("instantissue", "instant", "即时制卡", "立等可取", "是否即时制卡",
                      "是否立等可取", "即时发卡"),
    "transit_topup": ("transittopup", "transit", "交通一卡通", "一卡通充值", "交通卡充值",
                      "是否交通一卡通", "交通一卡通充值", "交通一卡通换卡"),
    "lon": ("lon", "lng", "long", "longitude", "x", "经度", "东经", "经度坐标"),
    "lat": ("lat", "latitude", "y", "纬度", "北纬", "纬度坐标"),
    "lonlat": ("lonlat", "lnglat", "coordinates", "coordinate", "location", "坐标", "经纬度",
               "位置坐标", "经纬度坐标", "坐标经度纬度"),
    # service counters (locator.planning.access); blank: the kind's default
    "capacity": ("capacity", "counters", "windows", "servicecounters", "servicewindows",
                 "numberofcounters", "numberofwindows", "窗口数", "窗口数量", "窗口个数", "服务窗口",
                 "服务窗口数", "服务窗口数量", "柜台数", "柜台数量", "柜台个数"),
}  # fmt: skip
#: Fields a column can map onto (``columns={COLUMN: FIELD}``); ``extra`` keeps a column as it is.
FIELDS: tuple[str, ...] = (*_SYNONYMS, "extra")
_LOOKUP = {word: f for f, words in _SYNONYMS.items() for word in words}
_FIELD_ALIASES = {"county_adcode": "county", "longitude": "lon", "latitude": "lat"}

# Words that name a coordinate system: in a header they are dropped before the lookup
# (经度(高德) is a longitude), and anywhere in the file they hint at the CRS.
_CRS_WORDS: dict[str, tuple[str, ...]] = {
    "gcj02": ("高德", "腾讯", "火星", "gcj", "amap", "gaode", "autonavi", "tencent"),
    "bd09": ("百度", "bd09", "bd-09", "baidu", "bmap"),
    "wgs84": ("wgs84", "wgs-84", "wgs 84", "gps", "crs84", "epsg:4326", "epsg::4326"),
}
_CRS_TOKENS = {"gcj", "gcj02", "bd", "bd09", "wgs", "wgs84", "amap", "gaode", "baidu", "gps"}
_CJK_CRS = ("高德", "百度", "腾讯", "火星", "坐标系")
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


# Traditional → simplified, for the characters of the header words, the partner banks and
# Shanxi's county names (a Big5 or traditional-Chinese export writes 網點名稱, 中國銀行, 晉城).
_TRADITIONAL = str.maketrans(
    "網點稱銀屬經緯聯繫電話營業時間區縣類務項號碼機構開戶標東處辦單詳細數據證種別應發製換補場"
    "國農設儲郵晉興華發滬廣陽濟運臨長遼壽鄉鎮澤離陰溝關靈渾寧門嶺嵐義絳聞陸壺遙蘭汾鐵礦團韓"
    "臺沁襄潞黃與為會內這裡個們來對於從時間夥結構壩倉滿盧孫趙劉楊吳鄭陳馮衛萬龍寶豐鳳鳴塊層"
    "廳隊際攜帶證件諮詢電話開放聯繫方式卡通充值即時發卡製卡辦理事項業務範圍內容櫃檯",
    "网点称银属经纬联系电话营业时间区县类务项号码机构开户标东处办单详细数据证种别应发制换补场"
    "国农设储邮晋兴华发沪广阳济运临长辽寿乡镇泽离阴沟关灵浑宁门岭岚义绛闻陆壶遥兰汾铁矿团韩"
    "台沁襄潞黄与为会内这里个们来对于从时间伙结构坝仓满卢孙赵刘杨吴郑陈冯卫万龙宝丰凤鸣块层"
    "厅队际携带证件咨询电话开放联系方式卡通充值即时发卡制卡办理事项业务范围内容柜台",
)


def to_simplified(text: str) -> str:
    """``text`` with the traditional characters of headers, banks and counties simplified."""
    return text.translate(_TRADITIONAL)


def _fold(text: str) -> str:
    return to_simplified(unicodedata.normalize("NFKC", str(text)).casefold().strip())


def _header_key(header: str, *, loose: bool) -> str:
    text = _fold(header)
    if loose:
        text = _BRACKETS.sub("", text)
        for word in _CJK_CRS:
            text = text.replace(word, "")
        tokens = [t for t in re.split(r"[\W_]+", text) if t and t not in _CRS_TOKENS]
        return "".join(tokens)
    return re.sub(r"[\W_]+", "", text)


def field_of_header(header: str) -> str | None:
    """The field a header names, or None (e.g. ``经度(高德)`` → ``lon``)."""
    return _LOOKUP.get(_header_key(header, loose=False)) or _LOOKUP.get(
        _header_key(header, loose=True)
    )


def map_headers(
    header: Sequence[str], columns: Mapping[str, str] | None, source: str
) -> dict[int, str]:
    """Map column positions onto fields: ``columns`` (column → field) first, then the headers.

    Each field goes to one column (the first that names it); columns that map onto no
    field are absent from the result and end up under ``extra``.

    Raises
    ------
    ValidationError
        When ``columns`` names a column the file does not have, or an unknown field.
    """
    fields: dict[int, str] = {}
    taken: set[str] = set()
    for column, target in (columns or {}).items():
        field = _FIELD_ALIASES.get(str(target).strip(), str(target).strip())
        if field not in FIELDS:
            msg = f"columns={{{column!r}: {target!r}}}: unknown field {target!r}; use one of {', '.join(FIELDS)}"
            raise ValidationError(msg)
        if column not in header:
            msg = f"{source}: columns={{{column!r}: {target!r}}}: no column {column!r}; the columns are {', '.join(map(repr, header))}"
            raise ValidationError(msg)
        position = list(header).index(column)
        fields[position] = field
        taken.add(field)
    for position, name in enumerate(header):
        if position in fields:
            continue
        named = field_of_header(name)
        if named is not None and named not in taken:
            fields[position] = named
            taken.add(named)
    return {p: f for p, f in fields.items() if f != "extra"}


def _mentions(folded: str, tokens: set[str], word: str) -> bool:
    if word.isascii() and word.isalnum():
        return any(t.startswith(word) for t in tokens)  # "gcj" in lng_gcj02, not in "xgcj"
    return word in folded


def crs_hints(texts: Iterable[str]) -> dict[str, str]:
    """Coordinate systems that ``texts`` (headers, titles, metadata) hint at, with the evidence."""
    found: dict[str, str] = {}
    for text in texts:
        folded = _fold(text)
        tokens = {t for t in re.split(r"[\W_]+", folded) if t}
        for crs, words in _CRS_WORDS.items():
            hit = any(_mentions(folded, tokens, w) for w in words) or (
                crs == "bd09" and "bd" in tokens
            )
            if hit and crs not in found:
                found[crs] = str(text).strip()[:60]
    return found


_DMS = re.compile(
    r"^([+-]?\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′分]\s*)?"
    r"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|′′|''|秒)\s*)?$"
)
_PLAIN_NUMBER = re.compile(r"[+-]?\d{1,4}(?:\.\d{1,20})?")
_HEMISPHERE = re.compile(r"^(东经|北纬|西经|南纬|[ensw])\s*|\s*(东经|北纬|西经|南纬|[ensw])$")


def parse_degrees(text: str) -> float | None:
    """Degrees from ``112.55``, ``112.55°``, ``１１２．５５``, ``112°33′0″E``; None when empty.

    Raises
    ------
    ValueError
        When the text is not a finite number of degrees.
    """
    if _PLAIN_NUMBER.fullmatch(text):  # the common case, without the normalizations below
        return float(text)
    value = unicodedata.normalize("NFKC", text).strip().lower()
    if not value:
        return None
    sign = 1.0
    match = _HEMISPHERE.search(value)
    if match:
        word = match.group(1) or match.group(2)
        sign = -1.0 if word in ("w", "s", "西经", "南纬") else 1.0
        value = _HEMISPHERE.sub("", value).strip()
    dms = _DMS.match(value)
    if dms:
        degrees, minutes, seconds = (float(g) if g else 0.0 for g in dms.groups())
        if minutes >= 60 or seconds >= 60:
            raise ValueError(text)
        number = abs(degrees) + minutes / 60 + seconds / 3600
        return sign * math.copysign(number, degrees)
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")  # decimal comma
    number = float(value.replace(" ", ""))
    if not math.isfinite(number):
        raise ValueError(text)
    return sign * number


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def parse_pair(text: str) -> tuple[float, float] | None:
    """Two numbers from one cell (``112.55,37.87``, ``POINT (112.55 37.87)``); None when empty.

    Raises
    ------
    ValueError
        When the cell does not hold exactly two numbers.
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    parts = [p for p in re.split(r"[,;/|\s]+", value.strip("()[]{} ")) if p]
    if len(parts) == 2:
        try:
            a, b = parse_degrees(parts[0]), parse_degrees(parts[1])
        except ValueError:
            a = b = None
        if a is not None and b is not None:
            return a, b
    numbers = _NUMBER.findall(value)
    if len(numbers) != 2:
        raise ValueError(text)
    return float(numbers[0]), float(numbers[1])


# A count of counters: digits (full-width too, NFKC), ``.0`` allowed (3.0 from a
# spreadsheet), then at most a counting word (3个, 3个窗口, 2台).
_CAPACITY = re.compile(r"\+?(\d{1,9})(?:\.0*)?\s*(?:个窗口|个柜台|个|窗口|柜台|台)?")


def parse_capacity(text: str) -> int | None:
    """Service counters from a capacity cell (``3``, ``3个``, ``３``, ``3.0``); None when empty.

    Raises
    ------
    ValueError
        When the cell is not a whole number above 0 (``0``, ``-1``, ``2.5``, ``三``).

    Examples
    --------
    >>> parse_capacity("３"), parse_capacity("3个"), parse_capacity("3.0"), parse_capacity(" ")
    (3, 3, 3, None)
    """
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    match = _CAPACITY.fullmatch(value)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(text)
    return int(match.group(1))


_TRUE = {"是", "有", "支持", "可", "可以", "能", "开通", "已开通", "可办理", "y", "yes", "true",
         "t", "1", "√", "✓", "✔", "○", "●"}  # fmt: skip
_FALSE = {"否", "无", "没有", "不支持", "不可", "不能", "未开通", "不可办理", "n", "no", "false",
          "f", "0", "×", "✗", "✘", "-", "—", "/"}  # fmt: skip


def parse_flag(text: str) -> bool | None:
    """A yes/no cell (是/否, √/×, 1/0, yes/no, true/false); None when empty.

    Raises
    ------
    ValueError
        When the cell says neither yes nor no.
    """
    value = _fold(text)
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(text)


_GOVERNMENT_WORDS = ("人社", "社保", "社会保障", "人力资源", "经办", "服务机构", "服务中心",
                     "服务站", "政务", "便民服务", "大厅", "government", "hall")  # fmt: skip
_BANK_WORDS = ("银行", "支行", "分行", "信用社", "农商", "储蓄所", "bank")
# An ordinary branch, not a one-stop outlet: what a registry written by locator says
# (``branch``, 银行普通网点), checked before the bank words (普通网点 is a bank's too).
_BRANCH_WORDS = ("branch", "普通网点", "非一站式")


def parse_kind(text: str) -> str | None:
    """The kind a kind cell names (社保卡服务银行网点, 人社, bank, branch); None when empty.

    ``government`` or ``bank`` (one-stop outlets), or ``branch`` (an ordinary branch of a
    partner bank: ``branch``, 银行普通网点, 非一站式).

    Raises
    ------
    ValueError
        When the cell names no kind.

    Examples
    --------
    >>> parse_kind("社保卡服务银行网点"), parse_kind("银行普通网点"), parse_kind("人社")
    ('bank', 'branch', 'government')
    """
    value = _fold(text)
    if not value:
        return None
    if any(w in value for w in _BRANCH_WORDS):
        return "branch"
    if any(w in value for w in _BANK_WORDS):
        return "bank"
    if any(w in value for w in _GOVERNMENT_WORDS):
        return "government"
    raise ValueError(text)


def kind_from_name(name: str) -> str | None:
    """The kind an outlet's name suggests (人社, 社保中心, 服务中心 / 银行, 支行), or None."""
    value = _fold(name)
    if any(w in value for w in _BANK_WORDS):
        return "bank"
    if any(w in value for w in _GOVERNMENT_WORDS):
        return "government"
    return None


_TASK_WORDS: dict[str, str] = {
    "解除封存": "reactivate", "恢复社保功能": "reactivate", "封存恢复": "reactivate",
    "激活金融功能": "activate_finance", "金融激活": "activate_finance",
    "金融功能激活": "activate_finance", "激活": "activate_finance",
    "社保卡密码重置": "reset_card_pin", "实体卡密码重置": "reset_card_pin",
    "银行密码重置": "reset_bank_password", "银行卡密码重置": "reset_bank_password",
    "电子社保卡密码重置": "reset_ecard_password",
    "解除限制": "unfreeze_account", "账户解冻": "unfreeze_account", "解冻": "unfreeze_account",
    "到期换卡": "renew", "换卡": "renew",
    "申领": "apply", "新卡申领": "apply", "补换卡": "apply", "补卡": "apply", "申领补换卡": "apply",
    "即时制卡": "instant_issue", "立等可取": "instant_issue",
    "replace": "apply", "replacement": "apply", "reissue": "apply", "newcard": "apply",
    "补换": "apply", "新办": "apply", "制卡": "apply",
    "交通一卡通": "transit_topup", "一卡通充值": "transit_topup", "交通卡充值": "transit_topup",
}  # fmt: skip


def _task_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", _fold(text))


_TASK_LOOKUP: dict[str, str] = {_task_key(k): v for k, v in _TASK_WORDS.items()}
for _task in TASKS.values():
    for _label in (_task.code, _task.label_zh, _task.label_en):
        _TASK_LOOKUP[_task_key(_label)] = _task.code


def parse_services(text: str) -> tuple[list[str], list[str]]:
    """Task codes from a services cell (``reset_card_pin;apply``, 申领、补换卡); and unknown names.

    Names are separated by any of ``, ， ; ； 、 | /``, line breaks, or spaces (``apply
    replace``); a name with spaces that is a task as a whole (``Reset card PIN``) stays one.

    Examples
    --------
    >>> parse_services("apply replace；reset_card_pin、咨询")
    (['apply', 'reset_card_pin'], ['咨询'])
    """
    codes, unknown = _parse_services(text)
    return list(codes), list(unknown)


@functools.lru_cache(maxsize=4096)  # a registry repeats a few service lists on every row
def _parse_services(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    codes: list[str] = []
    unknown: list[str] = []
    for token in re.split(r"[;,，；、|/\n]+", unicodedata.normalize("NFKC", text)):
        if not token.strip():
            continue
        code = _TASK_LOOKUP.get(_task_key(token))
        words = [(w, _TASK_LOOKUP.get(_task_key(w))) for w in token.split()]
        if code is None and len(words) > 1 and any(c is not None for _, c in words):
            found = words
        else:
            found = [(token.strip(), code)]
        for word, word_code in found:
            if word_code is None:
                unknown.append(word)
            elif word_code not in codes:
                codes.append(word_code)
    return tuple(codes), tuple(unknown)
