"""The routing table against DOMAIN.md's "where it can be done"."""

from __future__ import annotations

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
