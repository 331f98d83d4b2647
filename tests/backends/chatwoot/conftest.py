"""Fixtures for the Chatwoot backend: a fake Chatwoot on 127.0.0.1 and backends with short waits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
if str(TESTS_DIR) not in sys.path:  # tests/fakes is shared with the benchmark, not a package
    sys.path.insert(0, str(TESTS_DIR))

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot  # noqa: E402

from fakes.chatwoot_setup import FAST_CLIENT, FAST_SETTLE  # noqa: E402

from inboxctl.backends.chatwoot.backend import ChatwootBackend  # noqa: E402
from inboxctl.backends.chatwoot.conversations import Settle  # noqa: E402


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



@pytest.fixture
def cw(fake: FakeChatwoot, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``inboxctl --profile cw ...`` with the token from the environment, as in CI."""
    added = run("profile", "add", "cw", "--backend", "chatwoot", "--url", fake.url, "--account-id", "1",
                "--rate", "500")
    assert added.exit_code == 0, added.output
    monkeypatch.setenv("INBOXCTL_TOKEN", ADMIN_TOKEN)
    return lambda *args, input=None: run("--profile", "cw", *args, input=input)
