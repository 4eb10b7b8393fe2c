"""The Streamlit app's logic: everything the page shows, computed and tested without a browser.

`locator.app.state` holds the page's state and answers (URL parameters, the resident's answer,
the planner's tables, the bounded upload); the page layout itself is ``app.py`` at the top of
the repository (``make run``).
"""

from __future__ import annotations

__all__: list[str] = []
