"""The one exception type that services raise when a rule refuses an action."""


class DomainError(Exception):
    """A rule refused the action. `message` is translated and safe to show to the user;
    `field` names the form field it belongs to, when there is one."""

    def __init__(self, message, *, field=None, code=None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        self.code = code


class ConcurrentUpdate(DomainError):
    """Someone else changed the row first (a compare-and-set matched no row)."""
