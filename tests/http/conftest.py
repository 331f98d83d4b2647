"""Fixtures for the HTTP client tests: a fake clock (no test ever sleeps) and a real local server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakes.clock import FakeClock
from scripted_server import ScriptedServer

from inboxctl.http import HttpClient

TOKEN = "cw-token-5f2b9c1e7a"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(now=1000.0)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as running:
        yield running


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., HttpClient]]:
    """Build clients that sleep on the fake clock and always draw the largest jitter (deterministic)."""
    clients: list[HttpClient] = []

    def make(base_url: str, **options: Any) -> HttpClient:
        settings: dict[str, Any] = {
            "auth_headers": {"api_access_token": TOKEN}, "timeout": (2.0, 2.0), "max_attempts": 4,
            "sleep": clock.sleep, "monotonic": clock.monotonic, "wallclock": clock.wallclock,
            "random": lambda: 1.0, **options,
        }
        client = HttpClient(base_url, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
