"""Errors the services raise. Each message is written for the person who caused it."""

from collections.abc import Iterable
from typing import Any


class ReturnsError(Exception):
    """Base class: the message is safe and useful to show to the user."""

    def __init__(self, message: str, *, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})" if self.rule else self.message


class InvalidTransition(ReturnsError):
    """The request is not in a state that allows this step."""


class NotAllowed(ReturnsError):
    """The user's role does not allow this step."""


class PolicyViolation(ReturnsError):
    """The request breaks a rule of the policy; ``problems`` lists each one."""

    def __init__(self, message: str, *, problems: Iterable[Any] | None = None, rule: str | None = None) -> None:
        super().__init__(message, rule=rule)
        self.problems = list(problems or [])


class AlreadyDone(ReturnsError):
    """The step was already taken (a second click, a retried task): nothing happened twice."""


class ImportErrors(ReturnsError):
    """An import file has problems; ``problems`` lists each (where, which field, what). Nothing was written.

    ``count`` is how many there are: of a file with very many, only the first are kept.
    """

    def __init__(self, problems: Iterable[Any], *, count: int | None = None, message: str | None = None) -> None:
        self.problems = list(problems)
        self.count = count = count if count is not None else len(self.problems)
        super().__init__(message or f"The file has {count} problem{'' if count == 1 else 's'}; nothing was written.")


class EndpointRefused(ReturnsError):
    """A webhook endpoint cannot be added as given (its URL, its event types)."""


class CustomerDataError(ReturnsError):
    """A customer's data cannot be erased now (an open return, a blocked address, a staff account)."""


class ApiKeyRefused(ReturnsError):
    """An API key cannot be added as asked (no name for the system that holds it)."""
