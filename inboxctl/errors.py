"""The typed errors of inboxctl and the exit code each one ends the program with.

The core raises these; only the CLI layer turns them into messages and exit codes
(see ``inboxctl.cli.errors``). Every error carries an actionable message: what went
wrong and, where we know it, how to fix it.

The exit codes are a contract, documented in the README and in ``inboxctl --help``
(``inboxctl.cli.exit_codes``). What to fix decides the code: the command line (64, which
includes a name or id it gives that does not exist), the definitions (5, which includes
names the server does not have), a few items of a run that changes many (3), or nothing
the user typed (1, 4, 6).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    CHANGES_PENDING = 2  # only with --detailed-exitcode
    PARTIAL_FAILURE = 3  # a run that changes many items: some (or all) of them failed, each says why
    AUTHENTICATION = 4
    INVALID_DEFINITION = 5  # offline (validate) or against the server (plan: unknown names, unsupported settings)
    RATE_LIMITED = 6
    USAGE = 64  # the command line: an unknown option, a bad value, or a name or id that does not exist
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


def _errors_in(problems: list) -> int:
    """How many of ``problems`` are errors: warnings ride along to be shown with them, not counted."""
    return sum(1 for problem in problems if getattr(problem, "severity", "error") == "error")


class InvalidDefinitionError(InboxctlError):
    """One or more definition files are invalid; ``problems`` holds every one of them (and their warnings)."""

    exit_code = ExitCode.INVALID_DEFINITION

    def __init__(self, problems: list) -> None:  # list[Problem], kept untyped to avoid an import cycle
        count = _errors_in(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found in the definitions")
        self.problems = problems


class PlanError(InboxctlError):
    """The definitions are valid but cannot be planned against this server (unknown names, capabilities).

    Exits like an invalid definition: the fix is in the definitions, whoever found the problem."""

    exit_code = ExitCode.INVALID_DEFINITION

    def __init__(self, problems: list) -> None:
        count = _errors_in(problems)
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
    """Something the command names (an inbox, a user, a conversation) does not exist: fix the command line.

    Within a run over many items (apply, bulk actions), one item not found is that item's failure (exit 3)."""

    exit_code = ExitCode.USAGE


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
