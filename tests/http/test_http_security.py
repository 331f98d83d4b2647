"""Credentials stay safe: no plain http off this machine, nothing in logs, messages or reprs."""

from __future__ import annotations

import logging
import traceback

import pytest
import requests
import responses

from inboxctl import __version__
from inboxctl.errors import BackendError, UsageError
from inboxctl.http import HttpClient, Redactor, redact_pairs

TOKEN = "cw-token-5f2b9c1e7a"
HAPIKEY = "hub-key-77aa99bb"
BASE = "https://chat.example.com"


def quiet(**options):
    return {"sleep": lambda seconds: None, **options}


# ---------------------------------------------------------------------------------------------
# Plain http only to this machine


@pytest.mark.parametrize("url", ["http://example.com", "http://chat.example.com:3000/", "http://10.0.0.5",
                                 "http://[2001:db8::1]:8080", "http://localhost.example.com"])
def test_a_token_is_never_sent_over_plain_http_to_another_machine(url):
    with pytest.raises(UsageError) as raised:
        HttpClient(url, auth_headers={"api_access_token": TOKEN})
    message = str(raised.value)
    assert "plain http" in message and "https://" in message
    assert TOKEN not in message


@pytest.mark.parametrize("url", ["http://localhost:3000", "http://LOCALHOST", "http://127.0.0.1:8080",
                                 "http://127.3.2.1", "http://[::1]:3000", "https://chat.example.com"])
def test_plain_http_is_fine_on_loopback_and_https_anywhere(url):
    HttpClient(url, auth_headers={"api_access_token": TOKEN}).close()


def test_plain_http_without_credentials_is_allowed():
    HttpClient("http://example.com").close()


@pytest.mark.parametrize("url", ["chat.example.com", "ftp://chat.example.com", "https://",
                                 "https://chat.example.com/?token=abc", f"https://admin:{TOKEN}@chat.example.com"])
def test_malformed_server_urls_are_usage_errors_without_secrets(url):
    with pytest.raises(UsageError) as raised:
        HttpClient(url, auth_headers={"api_access_token": TOKEN})
    assert TOKEN not in str(raised.value) and "abc" not in str(raised.value)


def test_absolute_urls_to_another_origin_are_refused():
    client = HttpClient(BASE, auth_headers={"api_access_token": TOKEN})
    with pytest.raises(ValueError):
        client.get("https://elsewhere.example.net/api")


# ---------------------------------------------------------------------------------------------
# Logging


@responses.activate
def test_debug_log_shows_method_url_status_and_time_with_tokens_masked(caplog):
    responses.add(responses.GET, f"{BASE}/api/v1/accounts/1/inboxes", json={"payload": []})
    caplog.set_level(logging.DEBUG, logger="inboxctl.http")
    client = HttpClient(BASE, auth_headers={"api_access_token": TOKEN}, **quiet())
    client.get("/api/v1/accounts/1/inboxes", params={"hapikey": HAPIKEY, "access_token": "at-123456", "page": 2})
    line = [record.getMessage() for record in caplog.records if "->" in record.getMessage()][0]
    assert line.startswith("GET https://chat.example.com/api/v1/accounts/1/inboxes?")
    assert "hapikey=***" in line and "access_token=***" in line and "page=2" in line
    assert "-> 200 in " in line and " ms" in line
    assert all(record.name == "inboxctl.http" for record in caplog.records)
    assert TOKEN not in caplog.text and HAPIKEY not in caplog.text and "at-123456" not in caplog.text


@responses.activate
def test_retries_are_logged_without_tokens(caplog):
    url = f"{BASE}/items"
    responses.add(responses.GET, url, status=503)
    responses.add(responses.GET, url, json={})
    caplog.set_level(logging.DEBUG, logger="inboxctl.http")
    client = HttpClient(BASE, auth_headers={"Authorization": f"Bearer {TOKEN}"}, **quiet())
    client.get("/items", params={"token": TOKEN})
    assert "retrying in" in caplog.text and "-> 503" in caplog.text
    assert TOKEN not in caplog.text


def test_urllib3_request_log_is_masked_too(caplog):
    # --debug may turn on DEBUG for every logger; urllib3 logs the request line with the query.
    HttpClient(BASE)  # installs the filter
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug('%s://%s:%s "%s %s %s" %s %s', "https", "h", 443, "GET",
                                                      f"/x?hapikey={HAPIKEY}&a=1", "HTTP/1.1", 200, 2)
    assert HAPIKEY not in caplog.text and "hapikey=***&a=1" in caplog.text


# ---------------------------------------------------------------------------------------------
# Messages and reprs


@responses.activate
def test_error_messages_never_contain_tokens_even_when_the_server_echoes_them():
    responses.add(responses.GET, f"{BASE}/me", status=401, json={"error": f"Invalid Access Token {TOKEN}"})
    with pytest.raises(BackendError) as raised:
        HttpClient(BASE, auth_headers={"api_access_token": TOKEN}, **quiet()).get("/me")
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)
    assert "Invalid Access Token ***" in str(raised.value)


@responses.activate
def test_connection_error_messages_never_contain_query_tokens():
    responses.add(responses.GET, f"{BASE}/x", body=requests.ConnectionError(
        f"HTTPSConnectionPool(host='chat.example.com', port=443): Max retries exceeded with url: /x?hapikey={HAPIKEY}"))
    with pytest.raises(BackendError) as raised:
        HttpClient(BASE, max_attempts=1, **quiet()).get("/x", params={"hapikey": HAPIKEY})
    shown_with_debug = "".join(traceback.format_exception(raised.value))
    assert HAPIKEY not in str(raised.value) and HAPIKEY not in shown_with_debug


def test_reprs_never_contain_tokens():
    client = HttpClient(BASE, auth_headers={"Authorization": f"Bearer {TOKEN}"}, rate=5)
    assert TOKEN not in repr(client) and "Authorization=***" in repr(client)
    assert TOKEN not in repr(client._session.auth) and TOKEN not in repr(client._session.headers)


def test_redaction_by_name_and_by_value():
    assert redact_pairs("https://h/x?token=abc&page=2&api_key=k#f") == "https://h/x?token=***&page=2&api_key=***#f"
    assert redact_pairs("https://user:pw@h/x") == "https://***@h/x"
    assert Redactor([f"Bearer {TOKEN}"]).text(f"sent Bearer {TOKEN}, then {TOKEN}") == "sent ***, then ***"
    assert Redactor(["Bearer x"]).text("Bearer tokens are fine") == "Bearer tokens are fine"


# ---------------------------------------------------------------------------------------------
# What every request carries


@responses.activate
def test_user_agent_accept_and_timeouts_on_every_call():
    responses.add(responses.GET, f"{BASE}/a", json={})
    responses.add(responses.POST, f"{BASE}/b", json={})
    client = HttpClient(BASE, auth_headers={"api_access_token": TOKEN}, timeout=(3, 20))
    client.get("/a")
    client.post("/b", json={}, timeout=(1, 90))
    first, second = (call.request for call in responses.calls)
    assert first.headers["User-Agent"] == f"inboxctl/{__version__}"
    assert first.headers["Accept"] == "application/json" and first.headers["api_access_token"] == TOKEN
    assert first.req_kwargs["timeout"] == (3.0, 20.0)
    assert second.req_kwargs["timeout"] == (1.0, 90.0)


@pytest.mark.parametrize("options", [{"timeout": 0}, {"timeout": (5, -1)}, {"max_attempts": 0}, {"rate": 0},
                                     {"rate": -3.0}])
def test_nonsense_settings_are_usage_errors(options):
    with pytest.raises(UsageError):
        HttpClient(BASE, **options)
