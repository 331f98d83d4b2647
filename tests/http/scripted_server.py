"""A real HTTP server on 127.0.0.1 that answers from a script, for end-to-end client tests.

    with ScriptedServer() as server:
        server.script("GET", "/items", Reply(503), Reply(200, {"ok": True}))
        ...  # point a client at server.url
        assert len(server.received) == 2

Each scripted route answers its replies in order and keeps repeating the last one. A reply can
also be a function of the received request. Besides normal answers a reply can wait before
answering (to provoke read timeouts), drop the connection without answering, trickle its body
one byte at a time (``trickle``: seconds between bytes), or flood (``flood``: a body of that many
bytes, written in chunks and never held in memory), with or without a Content-Length.
"""

from __future__ import annotations

import json
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # dict/list: JSON; str: text/plain; bytes: as is; None: empty
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (cut short when the server stops)
    drop: bool = False  # read the request, then close the connection without a word
    trickle: float = 0.0  # send the body one byte at a time, this many seconds apart
    flood: int = 0  # instead of ``body``, this many bytes of one JSON string
    hide_length: bool = False  # no Content-Length: the body ends when the connection closes

    def chunks(self) -> Iterator[bytes]:
        """The body as written: whole, byte by byte (trickle), or in large pieces (flood)."""
        if self.flood:
            filler = b"x" * 65536
            yield b'"'
            for start in range(0, self.flood, len(filler)):
                yield filler[: min(len(filler), self.flood - start)]
            yield b'"'
            return
        body, _ = self.encoded()
        if self.trickle:
            yield from (body[index:index + 1] for index in range(len(body)))
        else:
            yield body

    def length(self) -> int:
        return self.flood + 2 if self.flood else len(self.encoded()[0])

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return (self.body or b""), "application/octet-stream"


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float  # the server's clock when the request arrived

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Responder = Callable[[Received], Reply]


class ScriptedServer:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.received: list[Received] = []
        self._scripts: dict[tuple[str, str], list[Reply | Responder]] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.scripted = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, method: str, path: str, *replies: Reply | Responder) -> None:
        with self._lock:
            self._scripts[(method.upper(), path)] = list(replies)

    def requests_to(self, path: str) -> list[Received]:
        return [request for request in self.received if request.path == path]

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes handlers that are delaying their answer
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _next_reply(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            replies = self._scripts.get((request.method, request.path))
            if not replies:
                return Reply(404, {"error": f"nothing scripted for {request.method} {request.path}"})
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request) if callable(reply) else reply


def closed_port() -> int:
    """A local port with nothing listening on it (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like real servers

    def _handle(self) -> None:
        server: ScriptedServer = self.server.scripted  # type: ignore[attr-defined]
        reply = server._next_reply(self._received(server))
        if reply.delay:
            server.stopping.wait(reply.delay)
        if reply.drop:
            self._drop()
            return
        self._answer(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _received(self, server: ScriptedServer) -> Received:
        length = int(self.headers.get("Content-Length") or 0)
        parts = urlsplit(self.path)
        return Received(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                        self.rfile.read(length) if length else b"", server.clock())

    def _answer(self, reply: Reply) -> None:
        content_type = "application/json" if reply.flood else reply.encoded()[1]
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": content_type, **reply.headers}
            if reply.hide_length:
                headers["Connection"] = "close"
                self.close_connection = True
            else:
                headers["Content-Length"] = str(reply.length())
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self._write_body(reply)
        except OSError:  # the client gave up waiting (read timeout): nothing left to do
            self.close_connection = True

    def _write_body(self, reply: Reply) -> None:
        server: ScriptedServer = self.server.scripted  # type: ignore[attr-defined]
        for chunk in reply.chunks():
            self.wfile.write(chunk)
            if reply.trickle:
                self.wfile.flush()
                if server.stopping.wait(reply.trickle):
                    return

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client may have closed first
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass
