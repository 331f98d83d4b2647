"""The exit-code contract, in one place: the README's table and ``inboxctl --help`` both say this.

What to fix decides the code. The command line: 64, also when a name or id it gives (an inbox, a user,
a team, a conversation, a profile, a journal) does not exist. The definitions: 5, also when the server
does not have a name they give. Some items of a run that changes many (apply, bulk actions): 3, whatever
the reason of each, "not found" included; each item says why. ``tests/cli/test_contract_exit_codes.py``
holds every command to it.
"""

from __future__ import annotations

from inboxctl.errors import ExitCode

EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success (with --detailed-exitcode: no changes)"),
    (ExitCode.ERROR, "error: the server refused or failed, or inboxctl refused to act"),
    (ExitCode.CHANGES_PENDING, "changes pending (only with --detailed-exitcode)"),
    (ExitCode.PARTIAL_FAILURE, "partial failure: items failed, each says why; re-run to complete the rest"),
    (ExitCode.AUTHENTICATION, "authentication failed or missing credentials"),
    (ExitCode.INVALID_DEFINITION, "invalid definition, offline or for this server (unknown names...)"),
    (ExitCode.RATE_LIMITED, "rate limited or quota exhausted"),
    (ExitCode.USAGE, "usage error: bad option or value, or a name or id that does not exist"),
    (ExitCode.INTERRUPTED, "interrupted (Ctrl-C, SIGTERM or SIGHUP)"),
)

# The epilog of ``inboxctl --help``; ``\b`` keeps click from rewrapping it.
EXIT_CODES_HELP = "\b\nExit codes:\n" + "".join(f"  {int(code):<4} {meaning}\n" for code, meaning in EXIT_CODES)
