"""Fixtures for the Chatwoot backend: a fake Chatwoot on 127.0.0.1 and backends with short waits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot, Faults  # noqa: E402

from inboxctl.backends.chatwoot.backend import ChatwootBackend  # noqa: E402
from inboxctl.backends.chatwoot.conversations import Settle  # noqa: E402

CONFIGS = REPO_DIR / "configs" / "chatwoot"
# Retries and read-backs wait milliseconds here, not seconds: the fake applies bulk actions 10 ms later.
FAST_CLIENT = {"backoff_base": 0.005, "backoff_cap": 0.02, "max_attempts": 8, "timeout": (2.0, 5.0)}
FAST_SETTLE = Settle(first_wait=0.02, max_wait=1.0)


@pytest.fixture
def fake() -> Iterator[FakeChatwoot]:
    with FakeChatwoot(bulk_delay=0.01) as running:
        yield running


@pytest.fixture
def make_backend() -> Iterator[Callable[..., ChatwootBackend]]:
    backends: list[ChatwootBackend] = []

    def make(server: FakeChatwoot, *, token: str = ADMIN_TOKEN, settle: Settle = FAST_SETTLE,
             **client: Any) -> ChatwootBackend:
        backend = ChatwootBackend(server.url, 1, token, rate=1000.0, client_options={**FAST_CLIENT, **client},
                                  settle=settle)
        backends.append(backend)
        return backend

    yield make
    for backend in backends:
        backend.close()


@pytest.fixture
def backend(fake: FakeChatwoot, make_backend: Callable[..., ChatwootBackend]) -> ChatwootBackend:
    return make_backend(fake)


__all__ = ["ADMIN_TOKEN", "CONFIGS", "FakeChatwoot", "Faults"]
