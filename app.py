"""The web app for ``make run`` (``streamlit run app.py``): the page is `locator.app.page`."""

from locator.app.page import main

main()
