"""A hostile registry uploaded through the real page: its texts show as written, nothing runs.

`streamlit run app.py` serves the app from an empty working directory of its own; Chromium
(Playwright, every non-local request aborted) uploads `hostile_registry` through the file
uploader on the planner page; on the resident page it chooses a task every outlet does,
types a hostile outlet's name as the place, reads the five result cards and the table view,
and opens the popup of every numbered pin of the map. Each payload must show as its own text
(name, address, phone, hours); no template may evaluate it (no ``49`` where
``{{ 7*7 }}`` was, no marker file from the Jinja payloads), no dialog may open, no element
may come from the data, and the server may write no file. When the browser cannot run,
these tests fail; they never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from locator.i18n import t
from locator.tasks import get_task
from tests import test_app_browser as browser_tests
from tests.test_app_browser import ARTIFACTS, MAP_FRAME, REPO, streamlit_server
from tests.test_app_state import CANARIES, PAYLOADS, hostile_registry
from tests.test_resident_browser import CARD_KEYS, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The same Chromium and offline page as the other browser tests.
browser = browser_tests.browser
page = browser_tests.page

MARKERS = CANARIES
TASK = "apply"  # 申领新卡或补换卡: done at government halls and at banks, any outlet


def _shown(text: str) -> str:
    """A payload as a Markdown text shows it: control and bidi characters as spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-cwd")


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[str]:
    """The app served from an empty working directory, with the repository's settings."""
    extra = ["--server.enableStaticServing", "true", "--server.maxUploadSize", "60"]
    extra += ["--server.fileWatcherType", "none"]
    log_path = workdir.parent / "hostile-server.log"
    with streamlit_server(REPO / "app.py", cwd=workdir, log_path=log_path, extra=extra) as url:
        yield url


def _go_to(page: Any, name: str) -> None:
    """Search for an outlet by its name as the place: the outlet itself is where you are.

    When the search asks which place was meant, the one whose label holds the name is taken.
    The questions then fold into one line that names the place; "change" unfolds them.
    """
    change = page.get_by_role("button", name=t("change"), exact=True)
    if change.count():
        change.click()
    box = page.get_by_role("textbox", name=t("place"))
    box.fill(name)
    box.press("Enter")
    question = page.get_by_role("radiogroup", name=t("place_pick"))
    answered = page.locator(".st-key-summary").filter(has_text=_shown(name))
    answered.or_(question).first.wait_for()
    if question.count():
        print(f"{name!r}: the place search asked which one; the label holding it is taken")
        question.locator("label").filter(has_text=_shown(name)).first.click()
        answered.wait_for()
    # The place taken is the outlet itself: its label is its name · county · city.
    said = answered.inner_text()
    assert f"{get_task(TASK).label('zh')} · {_shown(name)} · " in said, said


def _cards(page: Any, first: str) -> list[str]:
    """The result cards' texts, once the answer for ``first`` is drawn, all five of them,
    and the run is over (while it runs, the previous answer's cards may still be there)."""
    page.wait_for_function(_ANSWERED, arg=f"1. {_shown(first)}")
    settle(page)
    page.wait_for_function(_ANSWERED, arg=f"1. {_shown(first)}")
    ranks = page.evaluate(CARD_KEYS)
    assert ranks == [1, 2, 3, 4, 5], ranks
    return [page.locator(f".st-key-result-{rank}").inner_text().strip() for rank in ranks]


# One card of each rank 1..5, the first headed ``head``.
_ANSWERED = """(head) => {
    const ranks = [1, 2, 3, 4, 5].map((n) => document.querySelectorAll('.st-key-result-' + n));
    return ranks.every((r) => r.length === 1)
        && ranks[0][0].innerText.trim().split('\\n')[0] === head;
}"""


def _table(page: Any) -> list[list[str]]:
    """The rows of the answer's table view, as its grid gives them to screen readers.

    The grid lists only the cells in view: scroll it right, a view at a time, to read all.
    """
    page.get_by_text(t("table_view"), exact=True).click()
    grid = page.locator('[data-testid="stDataFrame"]')
    grid.locator('[role="gridcell"]').first.wait_for(state="attached")
    cells: dict[tuple[int, int], str] = {}
    for _ in range(40):
        page.wait_for_timeout(300)
        shown = grid.locator('[role="gridcell"]').evaluate_all(_CELLS)
        cells.update({(row, col): text for row, col, text in shown})
        if grid.locator(".dvn-scroller").evaluate(_SCROLL_RIGHT):
            break
    page.get_by_text(t("table_view"), exact=True).click()
    rows = sorted({row for row, _ in cells})
    cols = sorted({col for _, col in cells})
    return [[cells.get((row, col), "") for col in cols] for row in rows]


# Each cell in view: its row and column numbers and its text.
_CELLS = """(cells) => cells.map((c) => [Number(c.closest('[role="row"]')
    .getAttribute('aria-rowindex')), Number(c.getAttribute('aria-colindex')), c.textContent])"""
# Scroll the grid one view to the right; true once it was already at its right end.
_SCROLL_RIGHT = """(s) => { const end = s.scrollLeft + s.clientWidth >= s.scrollWidth - 1;
    s.scrollLeft += s.clientWidth / 2; return end; }"""


def _pins(page: Any, names: list[str]) -> list[tuple[int, str, str]]:
    """Each numbered pin's (number, title, popup text), once the pins are those of ``names``.

    The map is redrawn after the cards, and the previous answer's map may still be shown:
    wait until pin N is titled after card N.
    """
    frame = page.frame_locator(MAP_FRAME).first
    wanted = [f"{n}. {name}" for n, name in enumerate(names, start=1)]
    pins: list[tuple[int, str, str]] = []
    for _ in range(120):
        try:
            pins = [tuple(p) for p in frame.locator("body").evaluate(f"(body) => ({_OPEN_ALL})()")]
        except Exception:  # noqa: BLE001 - the frame is being replaced: look again
            pins = []
        if [title for _, title, _ in sorted(pins)] == wanted:
            return sorted(pins)
        page.wait_for_timeout(500)
    pytest.fail(f"the map never showed the pins {wanted!r}: {pins}")


# Every numbered pin's popup, opened one after the other, as a click would.
_OPEN_ALL = """() => {
    const maps = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k]);
    const pins = [];
    for (const map of maps) {
        map.eachLayer(layer => {
            if (layer.locatorRank === undefined || !layer.getPopup()) { return; }
            layer.openPopup();
            const element = layer.getPopup().getElement();
            pins.push([layer.locatorRank, layer.options.title, element ? element.innerText : ""]);
            layer.closePopup();
        });
    }
    return pins;
}"""


def _answer_at(page: Any, anchor: str) -> tuple[list[str], list[str]]:
    """The payloads of the 5 outlets shown at ``anchor``, checked in cards, table and pins;
    and every text that showed them."""
    _go_to(page, anchor)
    cards = _cards(page, anchor)
    shown = {_shown(p): p for p in PAYLOADS}
    found = []
    for rank, card in enumerate(cards, start=1):  # number and name, kind · distance, address
        lines = card.split("\n")
        head, name = lines[0].split(". ", 1)
        assert head == str(rank) and name in shown, card
        assert lines[2] == name, card  # the address: the same payload, as written
        found.append(shown[name])
    # The table view: name, address, phone and hours of each, as written.
    table = _table(page)
    for payload in found:
        assert [payload] * 4 in [[r[1], r[6], r[7], r[8]] for r in table], (payload, table)
    # Pin N is titled "N. name" (checked in `_pins`); its popup holds the payload in every field.
    pins = _pins(page, found)
    for (_, _, popup), payload in zip(pins, found, strict=True):
        for field in (t("map_address"), t("map_phone"), t("map_hours")):
            assert f"{field}\t{payload}\n" in popup + "\n", popup
        assert popup.count(payload) >= 4, popup  # and its name, the popup's title
    return found, [*cards, *(popup for *_, popup in pins), *(" ".join(r) for r in table)]


def test_a_hostile_registry_shows_as_text_and_runs_nothing(
    server: str, page: Any, workdir: Path
) -> None:
    before = set(workdir.iterdir())
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(f"{server}/?view=planner")
    page.get_by_text(t("upload")).first.click()  # open the upload panel
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "hostile.csv", "mimeType": "text/csv", "buffer": hostile_registry()}]
    )
    n = len(PAYLOADS)
    page.get_by_text(t("upload_counts", read=2 * n + 1, accepted=n + 1, rejected=n)).wait_for()

    # The resident page, for a task every outlet does, at hostile outlets found by their
    # names: the 5 nearest of each of these three are all 15 (in a row, 0.001 degree apart).
    page.get_by_text(t("view_resident")).click()
    page.get_by_role("combobox", name=t("task")).click()
    page.get_by_role("option", name=get_task(TASK).label("zh"), exact=True).click()
    seen: set[str] = set()
    texts: list[str] = []
    for anchor in (PAYLOADS[1], PAYLOADS[7], PAYLOADS[12]):
        found, shown = _answer_at(page, anchor)
        seen.update(found)
        texts += shown
    # Where `{{ 7*7 }}` or `${7*7}` is, no template made 49 of it.
    mine = [x for x in texts if "7*7" in x and "__globals__" not in x]
    assert mine and not [x for x in mine if "49" in x], mine
    assert seen == set(PAYLOADS)
    frame = page.frame_locator(MAP_FRAME).first
    links = frame.locator("a[href]").evaluate_all("(links) => links.map(a => a.href)")
    assert all(link.startswith(("https://", "http://127.0.0.1")) for link in links), links

    ARTIFACTS.mkdir(exist_ok=True)
    settle(page)
    page.get_by_role("heading", name=t("title")).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "resident_hostile.png"), full_page=True)

    # Nothing of the data became an element, a script, a dialog or a file.
    for scope in (page, frame):
        assert scope.locator('img[src="x"]').count() == 0
        assert scope.locator('a[href^="javascript"]').count() == 0
    assert not dialogs
    assert not [m for m in MARKERS if m.exists()]
    assert set(workdir.iterdir()) == before
    assert not [e for e in page.errors if "alert" in e], page.errors
