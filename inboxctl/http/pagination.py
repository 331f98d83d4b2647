"""Lazy pagination: generators that fetch the next page only when the caller wants more items.

A caller that stops early (``--limit``, ``itertools.islice``) stops the requests too, and no
listing is ever held in memory whole. Every page request is a read, so it is sent as idempotent
(retried on 5xx) even when the method is POST (Chatwoot's ``/conversations/filter``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

from inboxctl.errors import BackendError
from inboxctl.http.shapes import kind_of

Extract = Callable[[Any], Any]


class JsonRequester(Protocol):
    """The part of :class:`inboxctl.http.HttpClient` the pagination helpers need."""

    server_name: str

    def request_json(self, method: str, path: str, **options: Any) -> Any: ...


def dig(*keys: str) -> Extract:
    """An extractor walking nested objects: ``dig("data", "payload")(body)``; None if a level is missing."""

    def extract(body: Any) -> Any:
        for key in keys:
            if not isinstance(body, dict):
                return None
            body = body.get(key)
        return body

    return extract


# HubSpot's shape: {"results": [...], "paging": {"next": {"after": "..."}}}
RESULTS = dig("results")
NEXT_AFTER = dig("paging", "next", "after")


def iterate_pages(
    client: JsonRequester,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    items: Extract,
    total: Extract | None = None,
    page_param: str = "page",
    first_page: int = 1,
    page_size: int | None = None,
    method: str = "GET",
    json: Any = None,
) -> Iterator[Any]:
    """Yield the items of a page-numbered listing (``?page=1``, ``2``, ...), one request per page.

    Stops at an empty page, once ``total(body)`` items have been seen (Chatwoot's ``meta.all_count``,
    which saves the final empty request), or, if ``page_size`` is given, after a short page. Only pass
    ``page_size`` when the server's page size is certain: Chatwoot's is configurable per instance.
    """
    seen = 0
    previous: list[Any] | None = None
    for page in itertools.count(first_page):
        body = client.request_json(method, path, params={**(params or {}), page_param: page}, json=json,
                                   idempotent=True)
        page_items = _items_of(body, items, client, path)
        if not page_items:
            return
        if page_items == previous:
            # A server that ignores the page parameter would otherwise be paged forever.
            raise BackendError(f"{client.server_name} returned the same items for page {page} of {path} "
                               f"as for page {page - 1}; this listing does not seem to support paging")
        yield from page_items
        seen += len(page_items)
        if _reached(total, body, seen) or (page_size is not None and len(page_items) < page_size):
            return
        previous = page_items


def iterate_cursor(
    client: JsonRequester,
    path: str,
    params: Mapping[str, Any] | None = None,
    *,
    items: Extract = RESULTS,
    next_cursor: Extract = NEXT_AFTER,
    cursor_param: str = "after",
    method: str = "GET",
    json: Any = None,
) -> Iterator[Any]:
    """Yield the items of a cursor-paged listing (HubSpot: ``paging.next.after``, absent on the last page)."""
    cursor: str | None = None
    used: set[str] = set()
    while True:
        query = {**(params or {}), **({cursor_param: cursor} if cursor is not None else {})}
        body = client.request_json(method, path, params=query, json=json, idempotent=True)
        yield from _items_of(body, items, client, path)
        cursor = _cursor_of(body, next_cursor)
        if cursor is None:
            return
        if cursor in used:
            raise BackendError(f"{client.server_name} sent the same paging cursor twice for {path}; stopping "
                               "instead of looping forever")
        used.add(cursor)


def _items_of(body: Any, items: Extract, client: JsonRequester, path: str) -> list[Any]:
    if not isinstance(body, dict):
        # Every paged listing answers an object; null (or a list) would otherwise read as "no items".
        raise _unexpected(client, path, f"expected a JSON object, got {kind_of(body)}")
    try:
        found = items(body)
    except (KeyError, IndexError, TypeError, AttributeError) as error:
        raise _unexpected(client, path, f"could not find the items ({type(error).__name__}: {error})") from None
    if found is None:
        return []
    if not isinstance(found, list):
        raise _unexpected(client, path, f"the items are {kind_of(found)}, not a list")
    return found


def _reached(total: Extract | None, body: Any, seen: int) -> bool:
    if total is None:
        return False
    # A missing count (None) only costs one extra request, for the empty page.
    expected = total(body)
    return isinstance(expected, int) and not isinstance(expected, bool) and seen >= expected


def _cursor_of(body: Any, next_cursor: Extract) -> str | None:
    cursor = next_cursor(body)
    return str(cursor) if cursor not in (None, "") else None


def _unexpected(client: JsonRequester, path: str, what: str) -> BackendError:
    return BackendError(f"unexpected answer from {client.server_name} for {path}: {what}",
                        hint="the server's API may have changed; please report this")
