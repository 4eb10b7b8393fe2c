"""The few exceptions ``locator`` raises for a user's mistake.

They subclass built-ins so callers may catch ``ValueError``; the command line
turns any of them into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

__all__ = [
    "BankRequiredError",
    "DataFileError",
    "UnknownBankError",
    "UnknownTaskError",
    "ValidationError",
]


class ValidationError(ValueError):
    """A value given by the user cannot be used; the message says what to do."""


class UnknownTaskError(ValidationError):
    """A task code that is not in the routing table."""


class UnknownBankError(ValidationError):
    """A bank name that is none of the 16 partner banks, nor a known short name."""


class BankRequiredError(ValidationError):
    """The task needs a branch of the card's own bank, and no bank was given."""


class DataFileError(ValidationError):
    """A data file is missing, unreadable, or lacks what ``locator`` needs."""
