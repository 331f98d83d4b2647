"""The typed errors of inboxctl and the exit code each one ends the program with.

The core raises these; only the CLI layer turns them into messages and exit codes
(see ``inboxctl.cli.errors``). Every error carries an actionable message: what went
wrong and, where we know it, how to fix it.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES_PENDING = 2  # only with --detailed-exitcode
    PARTIAL_FAILURE = 3
    AUTHENTICATION = 4
    INVALID_DEFINITION = 5
    RATE_LIMITED = 6
    USAGE = 64
    INTERRUPTED = 130


class InboxctlError(Exception):
    """Root of every error a user can cause or fix. Anything else is a bug."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(InboxctlError):
    exit_code = ExitCode.USAGE


class InvalidDefinitionError(InboxctlError):
    """One or more definition files are invalid; ``problems`` holds every one of them."""

    exit_code = ExitCode.INVALID_DEFINITION

    def __init__(self, problems: list) -> None:  # list[Problem], kept untyped to avoid an import cycle
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found in the definitions")
        self.problems = problems


class PlanError(InboxctlError):
    """The definitions are valid but cannot be planned against this server (unknown names, capabilities)."""

    def __init__(self, problems: list) -> None:
        count = len(problems)
        super().__init__(f"cannot plan: {count} problem{'s' if count != 1 else ''}")
        self.problems = problems


class StalePlanError(InboxctlError):
    pass


class BackendError(InboxctlError):
    """A server refused or failed a call; ``reason`` is the server's own words."""

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message if not reason else f"{message}: {reason}", hint=hint)
        self.reason = reason
        self.status = status


class NotFoundError(BackendError):
    pass


class UnsupportedError(BackendError):
    """The server cannot do this at all; said plainly instead of faking it."""


class AuthenticationError(BackendError):
    exit_code = ExitCode.AUTHENTICATION


class RateLimitedError(BackendError):
    exit_code = ExitCode.RATE_LIMITED

    def __init__(self, message: str, *, resets_at: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.resets_at = resets_at


class PartialFailureError(InboxctlError):
    exit_code = ExitCode.PARTIAL_FAILURE


class RefusedError(InboxctlError):
    """inboxctl refused to act (no terminal to confirm, above --max, protected inbox...)."""


class RequestCancelled(InboxctlError):
    """The run was interrupted and the HTTP client cancelled before this request went out: nothing was sent.

    Not a BackendError, so that no backend mistakes it for one conversation's failure.
    """

    exit_code = ExitCode.INTERRUPTED
