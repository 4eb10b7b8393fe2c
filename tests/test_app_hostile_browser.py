"""A hostile registry uploaded through the real page: its texts show as written, nothing runs.

`streamlit run app.py` serves the app from an empty working directory of its own; Chromium
(Playwright, every non-local request aborted) uploads `hostile_registry` through the file
uploader, searches for a hostile outlet by name, and opens every popup and tooltip of the
map. Each payload must show as its own text; no template may evaluate it (no ``49`` where
``{{ 7*7 }}`` was, no marker file from the Jinja payloads), no dialog may open, no element
may come from the data, and the server may write no file. When the browser cannot run,
these tests fail; they never skip.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from locator.i18n import t
from tests import test_app_browser as browser_tests
from tests.test_app_browser import ARTIFACTS, MAP_FRAME, REPO, START_TIMEOUT_S, _free_port, _healthy
from tests.test_app_state import CANARIES, PAYLOADS, hostile_registry

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The same Chromium and offline page as the other browser tests.
browser = browser_tests.browser
page = browser_tests.page

MARKERS = CANARIES


def _shown(text: str) -> str:
    """A payload as a Markdown text shows it: control and bidi characters as spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("server-cwd")


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, workdir: Path) -> Iterator[str]:
    """The app served from an empty working directory, with the repository's settings."""
    port = _free_port()
    log_path = workdir.parent / "hostile-server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
            "--server.headless", "true", "--server.port", str(port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true", "--server.maxUploadSize", "60",
            "--server.fileWatcherType", "none",
        ],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    f"streamlit did not serve {url} within {START_TIMEOUT_S} s "
                    f"(exit code {process.poll()}):\n{log_path.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def _go_to(page: Any, name: str) -> None:
    """Search for an outlet by its name: the first place found (itself) is the position."""
    box = page.get_by_role("textbox", name=t("place"))
    box.fill(name)
    box.press("Enter")
    page.get_by_text(t("you_are", where=_shown(name)), exact=True).wait_for()
    # The choice of places found lists the name as plain text.
    page.get_by_role("combobox", name=t("place_pick")).click()
    page.get_by_role("option").filter(has_text=f"{name} · ").first.wait_for()
    page.keyboard.press("Escape")


def _cards(page: Any, first: str) -> list[str]:
    """The result cards' texts, once all five are drawn (Streamlit draws them one by one)."""
    markdown = page.locator('[data-testid="stMarkdownContainer"]')
    markdown.filter(has_text=re.compile(r"^1\. " + re.escape(_shown(first)) + " · ")).wait_for()
    markdown.filter(has_text=re.compile(r"^5\. ")).wait_for()
    cards = [c for c in markdown.all_inner_texts() if re.match(r"\d+\. ", c)]
    assert len(cards) == 5, cards
    return cards


def _map_texts(frame: Any, found: list[str]) -> list[str]:
    """Every tooltip and popup text of the map, once it shows the answer: the ``found`` outlets.

    The map is redrawn after the cards, and the previous answer's map (a few outlets along)
    may already hold some of them: wait for every one.
    """
    frame.locator("path.leaflet-interactive[stroke-dasharray]").first.wait_for(state="attached")
    for _ in range(120):
        texts: list[str] = frame.locator("body").evaluate(f"(body) => ({_OPEN_ALL})()")
        if all(any(x.startswith(p + "\n") for x in texts) for p in found):
            return texts
        frame.locator("body").page.wait_for_timeout(500)
    pytest.fail(f"the map never showed the outlets {found!r}: {texts}")


# Every outlet layer's tooltip and popup, opened one after the other, as a click would.
_OPEN_ALL = """() => {
    const maps = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k]);
    const texts = [];
    for (const map of maps) {
        map.eachLayer(layer => {
            for (const [open, get, close] of [["openTooltip", "getTooltip", "closeTooltip"],
                                              ["openPopup", "getPopup", "closePopup"]]) {
                if (layer[get] && layer[get]()) {
                    layer[open]();
                    const element = layer[get]().getElement();
                    if (element) { texts.push(element.innerText); }
                    layer[close]();
                }
            }
        });
    }
    return texts;
}"""


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

    # The resident page, at hostile outlets found by their names: the 5 nearest of each
    # of these three are all 15 (they lie in a row, 0.001 degree apart).
    page.get_by_text(t("view_resident")).click()
    frame = page.frame_locator(MAP_FRAME).first
    seen: set[str] = set()
    for anchor in (PAYLOADS[1], PAYLOADS[7], PAYLOADS[12]):
        _go_to(page, anchor)
        cards = _cards(page, anchor)
        for card in cards:  # name · kind · distance, then address · phone · hours
            name = card.split(" · ")[0].split(". ", 1)[1]
            assert name in {_shown(p) for p in PAYLOADS}, card
            assert card.count(name) == 4, card  # the same payload in every field
        found = [p for p in PAYLOADS if any(c.split(" · ")[0].endswith(_shown(p)) for c in cards)]
        assert len(found) == 5
        texts = _map_texts(frame, found)
        for payload in found:  # its tooltip, and its popup with every field
            assert f"{payload} · " in "\n".join(texts), payload
            popup = next(x for x in texts if x.startswith(payload + "\n"))
            for field in (t("col_address"), t("col_phone"), t("col_hours")):
                assert f"{field}\t{payload}\n" in popup, popup
        seen.update(found)
        # Where `{{ 7*7 }}` or `${7*7}` is, no template made 49 of it.
        mine = [x for x in [*cards, *texts] if "7*7" in x and "__globals__" not in x]
        assert not [x for x in mine if "49" in x], mine
    assert seen == set(PAYLOADS)
    links = frame.locator("a[href]").evaluate_all("(links) => links.map(a => a.href)")
    assert all(link.startswith(("https://", "http://127.0.0.1")) for link in links), links

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "resident_hostile.png"), full_page=True)

    # Nothing of the data became an element, a script, a dialog or a file.
    for scope in (page, frame):
        assert scope.locator('img[src="x"]').count() == 0
        assert scope.locator('a[href^="javascript"]').count() == 0
    assert not dialogs
    assert not [m for m in MARKERS if m.exists()]
    assert set(workdir.iterdir()) == before
    assert not [e for e in page.errors if "alert" in e], page.errors
