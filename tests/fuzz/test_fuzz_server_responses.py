"""Fuzz: servers that lie, trickle, stall and flood.

Lies go through the CLI: the fake Chatwoot and HubSpot servers of the test suite answer as the real
ones do, except that one endpoint's answer is replaced (null, the wrong type, ``{"payload":
"surprise"}``, JSON nested past any parser) or damaged inside (a field removed or of another
type). Every run ends with an answer or a clear error naming the endpoint, never an internal error,
never the token.

Misbehaving transports go through the HTTP client against a scripted server on 127.0.0.1, with
short limits: whatever the server does, the request ends in a typed error within its time budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzkit import JSON, REMOVE, assert_clean, assert_clean_run, count, deeply_nested, fuzz_settings, paths_in, \
    replaced
from hypothesis import given
from hypothesis import strategies as st

from fakes.chatwoot_server import ADMIN_TOKEN, FakeChatwoot
from fakes.hubspot_server import TOKEN as HUBSPOT_TOKEN
from fakes.hubspot_server import FakeHubSpot
from inboxctl.backends.hubspot import backend as hubspot_backend
from inboxctl.cli.main import cli
from inboxctl.errors import InboxctlError
from inboxctl.http import HttpClient
from scripted_server import Reply, ScriptedServer

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
COMMANDS = {
    "chatwoot": (("plan", str(CONFIGS / "chatwoot")), ("conv", "list", "--limit", "30", "-o", "json"),
                 ("conv", "show", "3"), ("auth", "status"), ("export", "--dir", "{home}/export")),
    # Not yet `plan` and `export`: HubSpot's configuration is read by backends/hubspot/configuration.py with its
    # own unchecked `_listing`/`_results`, not through the shaped calls of backends/hubspot/api.py.
    "hubspot": (("conv", "list", "--limit", "30", "-o", "json"), ("conv", "show", "7100000003"), ("auth", "status"),
                ("conv", "list", "--inbox", "Support", "--status", "open", "--sort", "oldest")),
}
TOKENS = {"chatwoot": ADMIN_TOKEN, "hubspot": HUBSPOT_TOKEN}


class Lying:
    """Wraps a fake's ``handle``: the answer to requests for ``path`` goes through ``lie`` first."""

    def __init__(self, fake: Any) -> None:
        self.original = fake.handle
        self.path: str | None = None
        self.lie: Callable[[Any], Any] = lambda answer: answer
        self.seen: list[str] = []
        fake.handle = self.handle

    def handle(self, method: str, path: str, *rest: Any) -> Any:
        answered = self.original(method, path, *rest)
        self.seen.append(path)
        if path != self.path or answered[0] >= 300:
            return answered
        return (answered[0], self.lie(answered[1]), *answered[2:])


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("home")
    fast = {**hubspot_backend.CLIENT_OPTIONS, "backoff_base": 0.002, "backoff_cap": 0.02}
    original_options, hubspot_backend.CLIENT_OPTIONS = hubspot_backend.CLIENT_OPTIONS, fast
    with FakeChatwoot(bulk_delay=0.01) as chatwoot, FakeHubSpot(rate_max=100_000, rate_interval_ms=1000) as hubspot:
        chatwoot.seed_conversations(30)
        chatwoot.add_messages(3, 25)  # more than one page of messages
        for name, url, extra in (("chatwoot", chatwoot.url, ["--account-id", "1", "--rate", "1000"]),
                                 ("hubspot", hubspot.url, [])):
            added = invoke(home, None, "profile", "add", name, "--backend", name, "--url", url, *extra)
            assert added.exit_code == 0, added.stderr
        yield {"home": home, "chatwoot": Lying(chatwoot), "hubspot": Lying(hubspot)}
    hubspot_backend.CLIENT_OPTIONS = original_options


def invoke(home: Path, backend: str | None, *args: str) -> Any:
    env = {"INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "INBOXCTL_URL": None,
           "INBOXCTL_PROFILE": backend, "INBOXCTL_TOKEN": TOKENS.get(backend or ""), "INBOXCTL_USER": None}
    return CliRunner().invoke(cli, [arg.replace("{home}", str(home)) for arg in args], env=env)


# ---------------------------------------------------------------------------------------------
# Lies


def lie_for(data: st.DataObject) -> Callable[[Any], Any]:
    """A lie, drawn here: it is told in the server's thread, where hypothesis cannot draw."""
    kind = data.draw(st.sampled_from(["body", "body", "inside", "inside", "inside", "remove", "deep"]), label="lie")
    if kind == "body":
        new = data.draw(st.one_of(JSON, st.sampled_from([None, {"payload": "surprise"}, {"results": None}, [],
                                                         "surprise", {"data": None}])), label="body")
        return lambda answer: new
    if kind == "deep":
        text = deeply_nested(data.draw(st.integers(min_value=50, max_value=50_000), label="depth"))
        return lambda answer: text
    where = data.draw(st.floats(min_value=0, max_value=1, exclude_max=True), label="place (share of the answer)")
    value = REMOVE if kind == "remove" else data.draw(JSON, label="value")
    return lambda answer: _inside(answer, where, value)


def _inside(answer: Any, where: float, value: Any) -> Any:
    places = [place for place in paths_in(answer) if place]
    return replaced(answer, places[int(where * len(places))], value) if places else answer


def requested_paths(servers: dict[str, Any], backend: str, command: tuple[str, ...]) -> list[str]:
    """The endpoints a command asks for, from an honest run of it."""
    lying: Lying = servers[backend]
    lying.path, lying.seen = None, []
    honest = invoke(servers["home"], backend, *command)
    assert honest.exit_code in (0, 2, 5), f"{command}: {honest.stderr}"
    return sorted(set(lying.seen))


@fuzz_settings(80)
@given(data=st.data())
def test_a_lying_server_gets_a_clear_error_never_an_internal_one(servers, data):
    backend = data.draw(st.sampled_from(["chatwoot", "hubspot"]), label="backend")
    command = data.draw(st.sampled_from(COMMANDS[backend]), label="command")
    lying: Lying = servers[backend]
    endpoint = data.draw(st.sampled_from(requested_paths(servers, backend, command)), label="endpoint")
    lying.path, lying.lie = endpoint, lie_for(data)
    try:  # --debug: the HTTP log must not show the token either, and an internal error shows its traceback
        result = invoke(servers["home"], backend, "--debug", *command)
    finally:
        lying.path = None
    count("server responses: lies (Chatwoot, HubSpot)", result.exit_code)
    assert_clean_run(result, secrets=[TOKENS[backend]], what=f"{backend} {' '.join(command)}, lying about {endpoint}")


# ---------------------------------------------------------------------------------------------
# Trickles, stalls, floods


TOKEN = "scripted-token-7c41a9e2"
LIMITS = {"deadline": 0.3, "retry_budget": 1.5, "max_body_bytes": 64 * 1024, "timeout": (0.5, 0.25),
          "backoff_base": 0.01, "backoff_cap": 0.05}
BEHAVIOURS = st.one_of(
    st.builds(lambda pause: Reply(200, {"payload": list(range(40))}, trickle=pause),
              st.floats(min_value=0.005, max_value=0.1)),
    st.builds(lambda delay: Reply(200, {"ok": True}, delay=delay), st.floats(min_value=0.0, max_value=0.6)),
    st.builds(lambda size, hidden: Reply(200, flood=size, hide_length=hidden),
              st.integers(min_value=0, max_value=4 * 1024 * 1024), st.booleans()),
    st.builds(lambda status, body: Reply(status, body), st.sampled_from([200, 204, 301, 400, 401, 404, 429, 500, 503]),
              st.one_of(JSON, st.text(max_size=40), st.just(TOKEN), st.builds(deeply_nested,
                                                                           st.integers(1000, 100_000)))),
    st.just(Reply(drop=True)))


@fuzz_settings(40)
@given(replies=st.lists(BEHAVIOURS, min_size=1, max_size=3), method=st.sampled_from(["GET", "POST"]))
def test_a_misbehaving_server_ends_in_a_typed_error_within_the_budget(replies, method):
    with ScriptedServer() as server:
        server.script(method, "/api/items", *replies)
        client = HttpClient(server.url, auth_headers={"api_access_token": TOKEN}, **LIMITS)
        started = time.monotonic()
        try:
            client.request_json(method, "/api/items")
            outcome, code = "answer", 0
        except InboxctlError as error:
            outcome, code = str(error), int(error.exit_code)
        finally:
            client.close()
        elapsed = time.monotonic() - started
    count("server responses: trickle, stall, flood", code)
    assert_clean(code, outcome, secrets=[TOKEN], what=f"{method} against {replies!r}")
    # The budget, plus one attempt's connect time and the scheduling of a busy test machine.
    assert elapsed < LIMITS["retry_budget"] + 1.0, (elapsed, replies)


def test_json_from_the_fakes_round_trips():
    assert json.loads(json.dumps({"payload": "surprise"})) == {"payload": "surprise"}
