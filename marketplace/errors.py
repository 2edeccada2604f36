"""Errors that services raise and views turn into messages for people."""


class DomainError(Exception):
    """A business rule said no. The message is plain English, fit to show the person."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def kept(self) -> list[object]:
        """Records to write again after the refused work is undone (see transactions.atomic).
        Most refusals keep nothing."""
        return []


class NoAccess(Exception):
    """The person may not have this object. Views let it go: marketplace.web turns it into the
    error page, once for every view, and the request's changes are rolled back."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(NoAccess):
    """The signed-in person may not do this to this object (the 403 page)."""


class NotFound(NoAccess):
    """No such object, or one the person may not know exists (the 404 page)."""
