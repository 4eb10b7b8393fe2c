"""The Streamlit app's logic: everything the page shows, computed and tested without a browser.

`locator.app.state` holds the page's state and words (URL parameters, markdown escaping, error
text, the planner's tables), `locator.app.answer` the resident's answer (nearest outlets, cards,
table), `locator.app.upload` the bounded upload; none of them imports streamlit.
`locator.app.page` lays the page out, with `locator.app.resident` and `locator.app.planner`
for the two pages and `locator.app.common` for what they share; `locator.app.launch` serves
it (``locator app``, ``python -m locator.app``).
``make run`` runs the repository's ``app.py``, which calls the same page.
"""

from __future__ import annotations

__all__: list[str] = []
