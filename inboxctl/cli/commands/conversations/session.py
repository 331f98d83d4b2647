"""One command's use of the backend: the users directory, who "I" am, and building queries."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from inboxctl.backends.base import Backend, User
from inboxctl.cli.context import AppContext
from inboxctl.conversations.filters import FilterSpec, build_query, current_user, resolve_user
from inboxctl.conversations.model import ConversationQuery


class Session:
    def __init__(self, app: AppContext, *, as_user: str | None = None, rate: float | None = None) -> None:
        if rate is not None:
            app.rate = rate  # read by the HTTP client when the backend opens
        self.backend: Backend = app.backend()
        self.profile = app.profile().name
        self.as_user = as_user

    @cached_property
    def users(self) -> tuple[User, ...]:
        return self.backend.directory().users

    def me(self) -> str:
        return current_user(self.as_user, backend_name=self.backend.name, users=self.users)

    def comment_author(self) -> str | None:
        """Who a comment is from: on the local backend you (--as, $INBOXCTL_USER); elsewhere the server
        writes it as the token's user or app, and only an explicit --as is checked against that (a
        global $INBOXCTL_USER, set for "mine", must not block every comment)."""
        if self.backend.name == "local" or self.as_user:
            return self.me()
        return None

    def user(self, email: str, *, option: str) -> str:
        return resolve_user(email, self.users, option=option, allow_deactivated=False).email

    def query(self, filters: FilterSpec, *, sort: str = "newest", limit: int | None = None,
              scope: dict[str, Any] | None = None) -> ConversationQuery:
        mine = filters.view == "mine"
        users = self.users if (filters.assignee or mine) else ()
        return build_query(filters, users=users, me=self.me() if mine else None, sort=sort, limit=limit, scope=scope)
