"""What the fake servers share: seeded fault injection, an HTTP error to raise from a route, and a
request handler that answers JSON over keep-alive, or resets the connection like a dying server.

It imports nothing from inboxctl, so the benchmarks can use the fakes too.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any, TypeVar

Server = TypeVar("Server", bound="FakeServer")


class HttpError(Exception):
    """Raised by a route: answered with ``status`` and ``body``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


@dataclass
class Faults:
    """A seeded share of requests answered badly: deterministic for a given seed and request order.

    ``kinds`` are the fake's own names ("429", "503", "reset"...); a "reset" of a write comes, on an
    even draw, before or after the write was applied: the client cannot tell which.
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("429", "503", "reset")
    seed: int = 0
    methods: tuple[str, ...] = ("GET", "POST", "PATCH", "PUT", "DELETE")
    injected: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def draw(self, method: str) -> tuple[str | None, bool]:
        """(fault kind or None, whether a reset comes after the write was applied)."""
        with self._lock:
            if method not in self.methods or self._random.random() >= self.rate:
                return None, False
            kind = self._random.choice(self.kinds)
            after = kind == "reset" and self._random.random() < 0.5
            self.injected[kind + ("-after" if after else "")] += 1
            return kind, after


class JsonHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1 with TCP_NODELAY; subclasses route the request and call ``send`` or ``reset``."""

    protocol_version = "HTTP/1.1"  # keep-alive, like a real server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in two writes: without this, delayed ACKs add 40 ms to each answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status: int, answer: Any, *, content_type: str | None = None,
             headers: dict[str, str] | None = None, json_type: str = "application/json; charset=utf-8") -> None:
        """Answer JSON (or text, for a string); an answer with no body carries no Content-Type."""
        if isinstance(answer, str):
            payload, kind = answer.encode(), content_type or "text/plain; charset=utf-8"
        else:
            payload = b"" if answer is None else json.dumps(answer).encode()
            kind = json_type
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), and keep the handler from writing to the dead socket."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.wfile = BytesIO()

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket may already be reset
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeServer:
    """A fake on 127.0.0.1, answered by ``handler`` (which finds the fake as ``self.server.fake``) from
    a thread of its own: ``url``, ``start``/``stop``, and a context manager."""

    def _serve(self, handler: type[JsonHandler]) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self: Server) -> Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() would wait forever for a loop that never started
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
