"""Errors that services raise and views turn into messages for people."""


class DomainError(Exception):
    """A business rule said no. The message is plain English, fit to show the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    """The signed-in person may not do this to this object (a 403)."""


class NotFound(DomainError):
    """No such object, or one the person may not know exists (a 404)."""
