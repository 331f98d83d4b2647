"""One attempt on the wire, bounded: a total deadline, and a cap on the size of the answer.

Timeouts alone do not bound a request: the read timeout applies to each wait for bytes, so a
server sending one byte every two seconds never triggers it, and a 300 MB answer is read whole.
So every attempt runs under a :class:`Watchdog`: when its deadline passes, it shuts down the
socket the attempt is using (found through the connection classes below), which ends any read
at once, in the status line, the headers or the body. The body is streamed and reading stops as
soon as it passes the cap.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_CHUNK = 64 * 1024
_current = threading.local()  # the watchdog of the attempt this thread is making, if any


class DeadlineExceeded(requests.exceptions.Timeout):
    """No complete answer within the attempt's deadline: a server that hangs or trickles its answer."""

    def __init__(self, seconds: float) -> None:
        shown = f"{seconds:.1f}".rstrip("0").rstrip(".")
        super().__init__(f"no complete answer within {shown} s")
        self.seconds = seconds


class AnswerTooLarge(Exception):
    """The answer is larger than the client accepts; reading stopped there."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit // (1024 * 1024) or 1} MiB")
        self.limit = limit


class Watchdog:
    """Cuts the connection of the attempt made inside ``with Watchdog(seconds)`` once they are up."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        _current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _current.watchdog = None

    def attach(self, connection: HTTPConnection) -> None:
        """Called by the connection the attempt uses, right before it sends the request."""
        with self._lock:
            self._connection = connection
            if self.expired:
                _cut(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._connection is not None:
                _cut(self._connection)


def _cut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        # socket.socket's own shutdown, also for a TLS socket: it wakes the blocked reader with an
        # end of file without touching the TLS object another thread is reading through.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _watch(connection: HTTPConnection) -> None:
    watchdog = getattr(_current, "watchdog", None)
    if watchdog is not None:
        watchdog.attach(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections a :class:`Watchdog` can cut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def read_answer(response: requests.Response, *, limit: int, error_limit: int) -> None:
    """Read the streamed body into ``response`` (so ``.content`` and ``.json()`` work as usual).

    A success larger than ``limit`` raises :class:`AnswerTooLarge`; an error's body is only needed
    for its reason, so it is cut at ``error_limit`` instead."""
    is_error = response.status_code >= 300
    cap = error_limit if is_error else limit
    declared = response.headers.get("Content-Length", "")
    if not is_error and declared.isdigit() and int(declared) > cap:
        response.close()
        raise AnswerTooLarge(cap)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            response.close()  # the rest is never read; the connection is not reused
            if not is_error:
                raise AnswerTooLarge(cap)
            break
    response._content = b"".join(chunks)[:cap]  # noqa: SLF001 - what requests itself fills on .content
    response._content_consumed = True  # noqa: SLF001
