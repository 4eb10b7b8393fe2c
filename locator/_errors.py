"""The few exceptions ``locator`` raises for a user's mistake.

Every one of them is a `LocatorError`: a caller (the command line, the app) that catches
`LocatorError` catches every user mistake and nothing else, so anything else that escapes
is a bug. Those about a wrong value also subclass ``ValueError``. The command line turns any
of them into one line on stderr and exit status 2; the app shows them in the page's language.
"""

from __future__ import annotations

__all__ = [
    "BankRequiredError",
    "DataFileError",
    "LocatorError",
    "LocatorWarning",
    "ResourceLimitError",
    "UnknownBankError",
    "UnknownTaskError",
    "ValidationError",
]


class LocatorError(Exception):
    """A user's mistake or a file that cannot be used; the message says what to do."""


class ValidationError(LocatorError, ValueError):
    """A value given by the user cannot be used; the message says what to do."""


class UnknownTaskError(ValidationError):
    """A task code that is not in the routing table."""


class UnknownBankError(ValidationError):
    """A bank name that is none of the 16 partner banks, nor a known short name."""


class BankRequiredError(ValidationError):
    """The task needs a branch of the card's own bank, and no bank was given."""


class DataFileError(ValidationError):
    """A data file is missing, unreadable, or lacks what ``locator`` needs."""


class ResourceLimitError(LocatorError):
    """A file or a request would cost more time or memory than the set limits allow."""


class LocatorWarning(UserWarning):
    """Something the user should know about an answer that is still given.

    For example: residents of a population source that lie outside the province and are
    left out. The command line prints each as one ``locator: warning: ...`` line on stderr.
    """
