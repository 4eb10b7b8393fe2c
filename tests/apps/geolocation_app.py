"""A page with only the "use my location" button, for tests/test_geolocation_browser.py.

It shows what `locate_me` returned as plain text (position or error), the resident's message,
and how many distinct presses (``at`` values) it has seen. ``?lang=en`` switches the words.
"""

from __future__ import annotations

import streamlit as st

from locator.app.geolocation import locate_me

lang = "en" if st.query_params.get("lang") == "en" else "zh"
found = locate_me(lang)
presses: set[float | None] = st.session_state.setdefault("presses", set())
if found is None:
    st.text("value: none")
else:
    presses.add(found.at)
    if found.found:
        st.text(f"position: lon={found.lon!r} lat={found.lat!r} accuracy_m={found.accuracy_m!r}")
    else:
        st.text(f"error: {found.error}")
    st.text(f"message: {found.message(lang)}")
st.text(f"presses: {len(presses)}")
