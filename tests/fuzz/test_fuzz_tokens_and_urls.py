"""Fuzz: tokens and server URLs as users (and CI secrets) give them, with secrets that must never show.

Tokens in ``INBOXCTL_TOKEN`` with line breaks, control characters, spaces, non-ASCII letters; URLs in
``INBOXCTL_URL`` and ``profile add --url`` with a user:password part, bad ports, odd schemes. The
server (on 127.0.0.1) echoes every header it receives in its error, as a careless proxy would. Every
run ends with an answer or a clear error, and neither the token nor the password appears in any
output, ``--debug`` logs included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzkit import assert_clean_run, count, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inboxctl.cli.main import cli
from scripted_server import Received, Reply, ScriptedServer, closed_port

MARK = "SeCrEt"  # every secret starts with it and goes on with 8 letters, so finding it by chance is impossible
SECRET_CORE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=8).map(MARK.__add__)
# No NUL: no environment variable can hold one.
JUNK = st.text(alphabet=st.sampled_from(["\n", "\r", "\t", " ", "\x7f", "\x1b", "é", "ж", "\u2028", "\ufeff", "'",
                                         '"', "\\", "/", "@", ":", "%", "x", "7"]), max_size=4)


def echoing(request: Received) -> Reply:
    """A 401 whose body repeats the request's headers: the token comes back in the server's words."""
    return Reply(401, {"error": "You are not authorized to do this", "echo": request.headers})


@pytest.fixture(scope="module")
def server() -> Any:
    with ScriptedServer() as running:
        for path in ("/api/v1/profile", "/api/v1/accounts/1/agents", "/api/v1/accounts/1/conversations"):
            running.script("GET", path, echoing)
        yield running


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, server: ScriptedServer) -> Path:
    made = tmp_path_factory.mktemp("home")
    added = invoke(made, {}, "profile", "add", "cw", "--backend", "chatwoot", "--url", server.url, "--account-id", "1")
    assert added.exit_code == 0, added.stderr
    return made


def invoke(home: Path, env: dict[str, str | None], *args: str) -> Any:
    base = {"INBOXCTL_HOME": str(home), "INBOXCTL_CONFIG_DIR": str(home / "config"), "INBOXCTL_PROFILE": None,
            "INBOXCTL_URL": None, "INBOXCTL_TOKEN": None}
    return CliRunner().invoke(cli, list(args), env={**base, **env})


@fuzz_settings(60)
@given(core=SECRET_CORE, before=JUNK, inside=JUNK, after=JUNK, debug=st.booleans(),
       command=st.sampled_from([("auth", "status"), ("conv", "list", "--limit", "1"), ("plan", "configs/chatwoot")]))
def test_a_token_is_never_shown_whatever_it_holds(home, core, before, inside, after, debug, command):
    token = f"{before}{core[:9]}{inside}{core[9:]}{after}"
    args = ("--profile", "cw", *(["--debug"] if debug else []), *command)
    result = invoke(home, {"INBOXCTL_TOKEN": token}, *args)
    count("tokens (INBOXCTL_TOKEN)", result.exit_code)
    # The whole core, and each half of it around what was slipped in, must stay out of every output.
    assert_clean_run(result, secrets=[core, core[:9] + inside[:1], core[9:]] if inside else [core],
                     what=f"{args} with token {token!r}")


HOSTS = st.sampled_from(["127.0.0.1", "localhost", "[::1]", "chat.example.com", "", "[::1", "127.0.0.1:"])
PORTS = st.one_of(st.just(""), st.builds(lambda port: f":{port}", st.sampled_from(
    [str(closed_port()), "badport", "99999999999999999999", "-1", "0", "65536", "80 80"])))


@fuzz_settings(60)
@given(scheme=st.sampled_from(["https://", "http://", "ftp://", "", "https:/", "HTTPS://"]),
       user=st.text(alphabet="abcdefgh", min_size=0, max_size=5), password=SECRET_CORE, junk=JUNK, host=HOSTS,
       port=PORTS, rest=st.sampled_from(["", "/", "/chat", "/?q=1", "#top", "/@x"]),
       where=st.sampled_from(["profile add", "INBOXCTL_URL"]))
def test_a_password_in_a_url_is_never_shown(home, scheme, user, password, junk, host, port, rest, where):
    url = f"{scheme}{user}:{password}{junk}@{host}{port}{rest}"
    if where == "profile add":
        result = invoke(home, {}, "profile", "add", "other", "--backend", "chatwoot", "--url", url,
                        "--account-id", "1", "--replace")
    else:
        result = invoke(home, {"INBOXCTL_URL": url, "INBOXCTL_TOKEN": "cw-token-1234"}, "--profile", "cw", "--debug",
                        "conv", "list", "--limit", "1")
    count(f"URLs with a password ({where})", result.exit_code)
    assert_clean_run(result, secrets=[password], what=f"{where} {url!r}")
