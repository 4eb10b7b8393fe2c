"""What a resident comes to do with the card, and where it can be done.

The routing table of the provincial HR&SS department as data. Each task has a
stable code; an outlet can do a task when the code is in its ``services``.
:func:`default_services` derives the list for a registry that does not carry one.

Examples
--------
>>> get_task("reset_card_pin").kinds
frozenset({'government'})
>>> get_task("activate_finance").own_bank
True
>>> sorted(get_task("activate_finance").kinds)
['bank', 'branch']
>>> default_services("branch", instant_issue=False, transit_topup=False)
['activate_finance', 'reset_bank_password', 'unfreeze_account']
>>> default_services("bank", instant_issue=False, transit_topup=True)
['reactivate', 'activate_finance', 'reset_bank_password', 'unfreeze_account', 'renew', 'apply', 'transit_topup']
"""

from __future__ import annotations

from dataclasses import dataclass

from locator import settings
from locator._errors import UnknownTaskError
from locator.banks import BANKS, normalize_bank

__all__ = [
    "HOTLINE",
    "KINDS",
    "KIND_LABELS",
    "ONE_STOP_KINDS",
    "OnlineChannel",
    "TASKS",
    "TASK_CODES",
    "Task",
    "default_services",
    "far_alternatives",
    "get_task",
    "is_far",
]

HOTLINE = "12333"
#: Outlet kinds. ``government`` halls and one-stop ``bank`` outlets (社保卡"一站式"服务网点) are
#: the one-stop registry every published figure counts; ``branch`` is an ordinary branch of a
#: partner bank, which does the bank-side (own-bank) tasks only.
KINDS: tuple[str, ...] = ("government", "bank", "branch")
ONE_STOP_KINDS: tuple[str, ...] = ("government", "bank")
KIND_LABELS: dict[str, dict[str, str]] = {
    "government": {"zh": "社保卡服务机构网点", "en": "Card service hall (government)"},
    "bank": {"zh": "一站式银行网点", "en": "One-stop bank outlet"},
    "branch": {"zh": "银行普通网点", "en": "Bank branch (not one-stop)"},
}

_ONLINE_APP_ZH = "“民生山西”App"
_ONLINE_APP_EN = "the 民生山西 (Minsheng Shanxi) app"


@dataclass(frozen=True)
class OnlineChannel:
    """How a task is done online, in one language: where to tap, what it costs, how long.

    Only what our sources say (the provincial report: application and replacement in the
    民生山西 app, posted nationwide; the e-card's 忘记密码). Where they give no price or
    delivery time, the text says to check in the app; it never guesses one.

    Attributes
    ----------
    app : str
        Where: the app or online service.
    steps : str
        What to tap or choose there.
    cost : str
        What it costs, or where to see it.
    delivery : str or None
        How the card comes and how long it takes; None when no card is made.
    hotline : str
        Whom to ask (the HR&SS hotline 12333).
    outlet_also : bool
        An outlet can do the task too (the page then lists outlets below).
    """

    app: str
    steps: str
    cost: str
    delivery: str | None
    hotline: str
    outlet_also: bool


_COST_IN_APP = (
    "我们的资料没有公布费用：请以App内显示为准。",
    "Our sources give no price: the app shows what it costs.",
)
_POSTED = (
    "邮寄到家，全国可寄；多久寄到，请以App内显示为准。",
    "Posted to you anywhere in China; the app shows how long it takes.",
)
_ASK = (
    f"有疑问请拨打人社服务热线 {HOTLINE}。",
    f"Questions: call the HR&SS hotline {HOTLINE}.",
)
# Per task that can be done online: (app, steps, delivery or None), each (zh, en).
_CHANNELS: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str] | None]] = {
    "reactivate": (
        ("跨省通办线上服务", "the online cross-province service"),
        (
            "在线上跨省通办服务中申请恢复社保功能。",
            "Ask there for the social security function to be re-enabled.",
        ),
        None,
    ),
    "reset_ecard_password": (
        ("电子社保卡App", "the electronic social security card app"),
        (
            "打开电子社保卡，点“忘记密码”，按提示重设密码。",
            "Open the electronic card, tap 忘记密码 (forgot password) and follow the steps.",
        ),
        None,
    ),
    "renew": (
        (_ONLINE_APP_ZH, _ONLINE_APP_EN),
        (
            "到期前60天起，在App中申请换卡，与申领新卡相同。",
            "From 60 days before the card expires, apply for the new card in the app, "
            "as for a new card.",
        ),
        _POSTED,
    ),
    "apply": (
        (_ONLINE_APP_ZH, _ONLINE_APP_EN),
        ("在App中申领新卡或补换卡。", "Apply there for a new card or a replacement."),
        _POSTED,
    ),
    "instant_issue": (
        (_ONLINE_APP_ZH, _ONLINE_APP_EN),
        ("在App中申领新卡或补换卡。", "Apply there for a new card or a replacement."),
        (
            "邮寄到家，全国可寄，不能立等可取；多久寄到，请以App内显示为准。",
            "Posted to you anywhere in China, not while you wait; the app shows how long it takes.",
        ),
    ),
}


@dataclass(frozen=True)
class Task:
    """One thing a resident comes to do.

    Attributes
    ----------
    code : str
        Stable identifier used by the API, the command line and registries.
    kinds : frozenset of str
        Outlet kinds that can do it (``government``, ``bank``, ``branch``); empty when online
        only. Ordinary branches (``branch``) do the own-bank tasks only.
    own_bank : bool
        Only a branch of the bank printed on the card can do it (any branch nationwide).
    flag : str or None
        Outlet attribute that must be true as well (``instant_issue``, ``transit_topup``).
    """

    code: str
    label_zh: str
    label_en: str
    kinds: frozenset[str]
    own_bank: bool
    bring_zh: str
    bring_en: str
    online_zh: str | None = None
    online_en: str | None = None
    note_zh: str = ""
    note_en: str = ""
    flag: str | None = None

    def label(self, lang: str = "zh") -> str:
        """The task's name in ``lang`` (``zh`` or ``en``)."""
        return self.label_en if lang == "en" else self.label_zh

    def bring(self, lang: str = "zh") -> str:
        """What to bring, in ``lang``."""
        return self.bring_en if lang == "en" else self.bring_zh

    def online(self, lang: str = "zh") -> str | None:
        """Where it can be done online, in ``lang``, or None."""
        return self.online_en if lang == "en" else self.online_zh

    def note(self, lang: str = "zh") -> str:
        """Where else it can be done and what to know, in ``lang``."""
        return self.note_en if lang == "en" else self.note_zh

    def online_channel(self, lang: str = "zh") -> OnlineChannel | None:
        """How to do it online, in ``lang``; None when it cannot be done online.

        Examples
        --------
        >>> channel = get_task("reset_ecard_password").online_channel("zh")
        >>> channel.steps, channel.outlet_also
        ('打开电子社保卡，点“忘记密码”，按提示重设密码。', False)
        >>> get_task("reset_card_pin").online_channel() is None
        True
        """
        if self.code not in _CHANNELS:
            return None
        i = 1 if lang == "en" else 0
        app, steps, delivery = _CHANNELS[self.code]
        return OnlineChannel(
            app=app[i],
            steps=steps[i],
            cost=_COST_IN_APP[i],
            delivery=None if delivery is None else delivery[i],
            hotline=_ASK[i],
            outlet_also=bool(self.kinds),
        )


_ID = ("身份证、社保卡", "ID card and social security card")

TASKS: dict[str, Task] = {
    t.code: t
    for t in (
        Task(
            "reactivate",
            "社保卡显示“封存”：恢复社保功能",
            "Sealed card (封存): re-enable the social security function",
            frozenset({"government", "bank"}),
            own_bank=False,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            online_zh="跨省通办线上服务（国家社会保险公共服务平台、电子社保卡）",
            online_en="online cross-province service (national social insurance platform, e-card)",
            note_zh="任一社保卡服务网点（经办机构或银行）均可办理。",
            note_en="Any card service outlet, government or bank, can do it.",
        ),
        Task(
            "activate_finance",
            "激活金融（银行）功能",
            "Activate the financial (bank) function",
            frozenset({"bank", "branch"}),
            own_bank=True,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            note_zh="须到社保卡所属银行的柜台（全国任一网点），多年后也可激活；"
            "高龄、重病、残疾人员可申请上门服务。",
            note_en="At a counter of the card's own bank, any branch nationwide, even years "
            "later; home service for the very old, ill or disabled on request.",
        ),
        Task(
            "reset_card_pin",
            "忘记实体社保卡密码",
            "Forgot the physical card's PIN",
            frozenset({"government"}),
            own_bank=False,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            note_zh="须到社保卡服务机构网点（经办机构）办理。",
            note_en="Only at a government card service outlet.",
        ),
        Task(
            "reset_bank_password",
            "忘记银行账户密码",
            "Forgot the bank account password",
            frozenset({"bank", "branch"}),
            own_bank=True,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            note_zh="须到社保卡所属银行网点办理。",
            note_en="At a branch of the card's own bank.",
        ),
        Task(
            "reset_ecard_password",
            "忘记电子社保卡密码",
            "Forgot the electronic card password",
            frozenset(),
            own_bank=False,
            bring_zh="手机",
            bring_en="your phone",
            online_zh="在电子社保卡App中点“忘记密码”",
            online_en="in the electronic card app, tap 忘记密码 (forgot password)",
            note_zh="仅线上办理，无需到网点。",
            note_en="Online only; no outlet needed.",
        ),
        Task(
            "unfreeze_account",
            "长期未用账户被限制非柜面交易",
            "Account frozen for non-counter use after long inactivity",
            frozenset({"bank", "branch"}),
            own_bank=True,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            note_zh="到社保卡所属银行网点解除限制（不是挂失）。",
            note_en="At a branch of the card's own bank (this is not a loss report).",
        ),
        Task(
            "renew",
            "社保卡到期换卡（到期前60天起）",
            "Renew before expiry (from 60 days before)",
            frozenset({"government", "bank"}),
            own_bank=False,
            bring_zh=_ID[0],
            bring_en=_ID[1],
            online_zh=_ONLINE_APP_ZH,
            online_en=_ONLINE_APP_EN,
            note_zh="与新申领相同：发卡地社保卡服务网点，或线上办理；过期卡仍可办理人社业务。",
            note_en="As a new application: a service outlet of the issuing place, or online; "
            "an expired card keeps working for HR&SS business.",
        ),
        Task(
            "apply",
            "申领新卡或补换卡",
            "New card or replacement",
            frozenset({"government", "bank"}),
            own_bank=False,
            bring_zh="身份证",
            bring_en="ID card",
            online_zh=f"{_ONLINE_APP_ZH}申领，邮寄到家（全国可寄）",
            online_en=f"{_ONLINE_APP_EN}, posted to you anywhere in China",
            note_zh="各社保卡服务网点可办理；部分银行网点可即时制卡、立等可取。",
            note_en="Any card service outlet; some bank outlets issue the card while you wait.",
        ),
        Task(
            "instant_issue",
            "即时制卡（立等可取）",
            "Instant issuance (while you wait)",
            frozenset({"bank"}),
            own_bank=False,
            bring_zh="身份证",
            bring_en="ID card",
            online_zh=f"{_ONLINE_APP_ZH}（邮寄，非即时）",
            online_en=f"{_ONLINE_APP_EN} (posted, not instant)",
            note_zh="具备即时制卡条件的银行网点。",
            note_en="Bank outlets equipped for instant issuance.",
            flag="instant_issue",
        ),
        Task(
            "transit_topup",
            "交通一卡通功能换卡或充值",
            "Exchange or top up the transport function",
            frozenset({"bank"}),
            own_bank=False,
            bring_zh="社保卡",
            bring_en="social security card",
            note_zh="全省443个银行网点可办理；可在全省11市公交（含太原地铁）及全国340个城市使用。",
            note_en="At one of the 443 bank outlets for it; works on buses in all 11 cities "
            "(Taiyuan metro too) and in 340 cities nationwide.",
            flag="transit_topup",
        ),
    )
}

TASK_CODES: tuple[str, ...] = tuple(TASKS)


def get_task(code: str) -> Task:
    """Return the task with this code.

    Raises
    ------
    UnknownTaskError
        When ``code`` is not a task code; the message lists the valid codes.
    """
    try:
        return TASKS[code]
    except KeyError:
        msg = f"unknown task {code!r}: use one of {', '.join(TASK_CODES)}"
        raise UnknownTaskError(msg) from None


def default_services(kind: str, *, instant_issue: bool, transit_topup: bool) -> list[str]:
    """The task codes an outlet of this kind and equipment can do, by the routing table."""
    flags = {"instant_issue": instant_issue, "transit_topup": transit_topup}
    return [t.code for t in TASKS.values() if kind in t.kinds and (t.flag is None or flags[t.flag])]


def is_far(task: Task | None, nearest_km: float | None) -> bool:
    """Whether the card's own bank is too far for a task only it can do.

    True for an own-bank task when its nearest branch is farther than
    ``settings.far_branch_km`` or there is none (``nearest_km`` None); False otherwise.

    Examples
    --------
    >>> is_far(get_task("activate_finance"), 136.0), is_far(get_task("apply"), 136.0)
    (True, False)
    """
    if task is None or not task.own_bank:
        return False
    return nearest_km is None or nearest_km > settings.far_branch_km


def far_alternatives(bank: str | None, lang: str = "zh") -> list[str]:
    """What the FAQ offers when the card's bank has no branch near: one line each, in ``lang``.

    Home service or an agent for the very old, the seriously ill and the disabled (on
    application); the bank's own hotline (where we are sure of it; else the number on the
    back of the card) and app for what can be done remotely; the 12333 hotline.

    Examples
    --------
    >>> far_alternatives("招行", "en")[1]
    'China Merchants Bank (招商银行): hotline 95555 and its mobile banking app, for what can be done remotely'
    >>> "卡背面" in far_alternatives("山西银行")[1]
    True
    """
    canonical = normalize_bank(bank) if bank else None
    info = next((b for b in BANKS if b.name == canonical), None)
    if lang == "en":
        who = f"{info.name_en} ({info.name})" if info else "The card's bank"
        number = (
            f"hotline {info.hotline}"
            if info and info.hotline
            else "the customer-service number on the back of your card"
        )
        return [
            "The very old, the seriously ill and the disabled: home service (上门服务) or an "
            "agent acting for you (代理办理), on application to the card's bank",
            f"{who}: {number} and its mobile banking app, for what can be done remotely",
            f"The HR&SS hotline {HOTLINE}: where else and how it can be done",
        ]
    who = info.name if info else "社保卡所属银行"
    number = f"客服热线 {info.hotline}" if info and info.hotline else "客服电话（见社保卡背面）"
    return [
        "高龄、重病、残疾人员：可向社保卡所属银行申请上门服务，或委托他人代理办理",
        f"{who}{number}及手机银行App：可远程办理的业务不必到网点",
        f"人社服务热线 {HOTLINE}：咨询其他办理地点和方式",
    ]
