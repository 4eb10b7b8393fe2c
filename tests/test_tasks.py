"""The routing table against DOMAIN.md's "where it can be done"."""

from __future__ import annotations

import re

import pytest

from locator._errors import UnknownTaskError
from locator.tasks import KIND_LABELS, KINDS, ONE_STOP_KINDS, TASKS, default_services, get_task

REQUIRED_CODES = {
    "reactivate", "activate_finance", "reset_card_pin", "reset_bank_password",
    "unfreeze_account", "renew", "apply", "instant_issue", "transit_topup",
}  # fmt: skip


def test_every_code_of_the_issue_is_routed():
    assert set(TASKS) >= REQUIRED_CODES


@pytest.mark.parametrize(
    ("code", "kinds", "own_bank", "online"),
    [
        ("reactivate", {"government", "bank"}, False, True),
        ("activate_finance", {"bank", "branch"}, True, False),
        ("reset_card_pin", {"government"}, False, False),
        ("reset_bank_password", {"bank", "branch"}, True, False),
        ("reset_ecard_password", set(), False, True),
        ("unfreeze_account", {"bank", "branch"}, True, False),
        ("renew", {"government", "bank"}, False, True),
        ("apply", {"government", "bank"}, False, True),
        ("instant_issue", {"bank"}, False, True),
        ("transit_topup", {"bank"}, False, False),
    ],
)
def test_routing(code, kinds, own_bank, online):
    task = get_task(code)
    assert set(task.kinds) == kinds
    assert task.own_bank is own_bank
    assert (task.online("zh") is not None) is online
    assert task.label("zh") and task.label("en") and task.bring("zh") and task.bring("en")


def test_default_services_follow_kind_and_equipment():
    government = default_services("government", instant_issue=False, transit_topup=False)
    assert "reset_card_pin" in government and "activate_finance" not in government
    plain_bank = default_services("bank", instant_issue=False, transit_topup=False)
    assert "reset_card_pin" not in plain_bank and "instant_issue" not in plain_bank
    equipped = default_services("bank", instant_issue=True, transit_topup=True)
    assert {"instant_issue", "transit_topup"} <= set(equipped)
    for code in equipped:
        assert "bank" in TASKS[code].kinds


def test_ordinary_branches_do_the_own_bank_tasks_only():
    branch = default_services("branch", instant_issue=True, transit_topup=True)
    assert branch, "an ordinary branch does at least the own-bank tasks"
    assert set(branch) == {code for code, task in TASKS.items() if task.own_bank}
    for code, task in TASKS.items():
        # every task an ordinary branch can do is one the card's own bank must do
        assert ("branch" in task.kinds) is task.own_bank, code


def test_one_stop_kinds_and_labels():
    assert set(ONE_STOP_KINDS) == set(KINDS) - {"branch"}
    for kind in KINDS:
        assert KIND_LABELS[kind]["zh"] and KIND_LABELS[kind]["en"]
    assert KIND_LABELS["bank"]["zh"] != KIND_LABELS["branch"]["zh"]
    assert "一站式" in KIND_LABELS["bank"]["zh"]


def test_unknown_task_lists_codes():
    with pytest.raises(UnknownTaskError, match="'pin'.*reset_card_pin"):
        get_task("pin")


def test_is_far_follows_the_setting_and_own_bank_tasks_only(monkeypatch):
    from locator import settings
    from locator.tasks import is_far

    own, anywhere = get_task("unfreeze_account"), get_task("reactivate")
    assert is_far(own, settings.far_branch_km + 0.1) and not is_far(own, settings.far_branch_km)
    assert is_far(own, None)  # no branch of the bank at all
    assert not is_far(anywhere, 500.0) and not is_far(None, 500.0)
    monkeypatch.setattr(settings, "far_branch_km", 5.0)
    assert is_far(own, 6.0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_far_alternatives_name_home_service_the_bank_and_12333(lang):
    from locator.banks import BANKS
    from locator.tasks import HOTLINE, far_alternatives

    for bank in BANKS:
        lines = far_alternatives(bank.short, lang)
        assert len(lines) == 3
        assert "上门服务" in lines[0] and "代理办理" in lines[0]
        assert HOTLINE in lines[2]
        if bank.hotline:
            assert bank.hotline in lines[1]
        else:
            assert ("卡背面" if lang == "zh" else "back of your card") in lines[1]
            assert not any(ch.isdigit() for ch in lines[1])  # no invented number
        assert bank.name in lines[1]


# --- online first (issue 11 §1) -------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(TASKS))
def test_a_task_has_an_online_channel_exactly_when_it_can_be_done_online(code):
    task = get_task(code)
    for lang in ("zh", "en"):
        channel = task.online_channel(lang)
        assert (channel is not None) is (task.online(lang) is not None)
        if channel is None:
            continue
        assert channel.outlet_also is bool(task.kinds)
        assert all(
            isinstance(text, str) and text.strip()
            for text in (channel.app, channel.steps, channel.cost, channel.hotline)
        )
        assert "12333" in channel.hotline


def test_online_only_and_outlet_too():
    assert get_task("reset_ecard_password").online_channel().outlet_also is False
    assert get_task("apply").online_channel().outlet_also is True
    assert get_task("activate_finance").online_channel() is None


@pytest.mark.parametrize("code", [c for c, t in TASKS.items() if t.online("zh")])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_price_or_delivery_time_is_invented(code, lang):
    # Our sources give neither a price nor a number of days: no figure but 12333 and the
    # 60 days of renewal (DOMAIN.md) may appear, and the cost says to look in the app.
    channel = get_task(code).online_channel(lang)
    texts = [channel.app, channel.steps, channel.cost, channel.delivery or "", channel.hotline]
    numbers = {n for text in texts for n in re.findall(r"\d+", text)}
    assert numbers <= {"12333", "60"}, numbers
    assert not re.search(r"元|yuan|RMB|¥|工作日|个月|周内|weeks?\b|days? to", " ".join(texts))
    assert ("App" if lang == "zh" else "app") in channel.cost
    if channel.delivery is not None:
        assert ("App" if lang == "zh" else "app") in channel.delivery


def test_the_card_is_posted_through_the_app_the_report_names():
    # DOMAIN.md: "card application / replacement in the 民生山西 app, posted nationwide".
    for code in ("apply", "renew", "instant_issue"):
        zh, en = (get_task(code).online_channel(lang) for lang in ("zh", "en"))
        assert "民生山西" in zh.app and "民生山西" in en.app
        assert "全国" in zh.delivery and "anywhere in China" in en.delivery
    assert "不能立等可取" in get_task("instant_issue").online_channel().delivery
    # The e-card password: the button the report names.
    assert "忘记密码" in get_task("reset_ecard_password").online_channel("en").steps
    assert get_task("reset_ecard_password").online_channel().delivery is None
