"""Server errors become typed errors that keep the server's own words (``responses`` fixtures)."""

from __future__ import annotations

import pytest
import requests
import responses

from inboxctl.errors import AuthenticationError, BackendError, ExitCode, NotFoundError, RateLimitedError
from inboxctl.http import HttpClient, OutcomeUnknownError, reason_from_body

BASE = "https://chat.example.com"
INBOXES = f"{BASE}/api/v1/accounts/1/inboxes"


@pytest.fixture
def client():
    with HttpClient(BASE, auth_headers={"api_access_token": "cw-token-5f2b9c1e7a"}, max_attempts=2,
                    sleep=lambda seconds: None, server_name="Chatwoot") as made:
        yield made


def fail(status, body=None, **kwargs):
    if isinstance(body, (dict, list)):
        responses.add(responses.GET, INBOXES, status=status, json=body, **kwargs)
    else:
        responses.add(responses.GET, INBOXES, status=status, body=body or "", **kwargs)


@responses.activate
def test_401_is_an_authentication_error_that_keeps_chatwoots_words(client):
    # Chatwoot answers 401 for permission problems too: status and message let a backend refine.
    fail(401, {"error": "You are not authorized to do this action"})
    with pytest.raises(AuthenticationError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    error = raised.value
    assert error.exit_code == ExitCode.AUTHENTICATION
    assert error.status == 401 and error.reason == "You are not authorized to do this action"
    assert "HTTP 401" in str(error) and "GET /api/v1/accounts/1/inboxes" in str(error)


@responses.activate
def test_403_is_a_permission_problem_not_an_authentication_one(client):
    fail(403, {"message": "Only administrators can do this"})
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert not isinstance(raised.value, AuthenticationError)
    assert raised.value.status == 403 and "Only administrators can do this" in str(raised.value)
    assert "permission" in str(raised.value)


@responses.activate
def test_404_is_not_found(client):
    fail(404, {"error": "Resource could not be found"})
    with pytest.raises(NotFoundError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert raised.value.reason == "Resource could not be found"


@pytest.mark.parametrize(("status", "body", "reason"), [
    (402, {"error": "Account limit exceeded. Upgrade to a higher plan"},
     "Account limit exceeded. Upgrade to a higher plan"),
    (422, {"message": "Name can't be blank, Email is invalid", "attributes": ["name", "email"]},
     "Name can't be blank, Email is invalid"),
    (400, {"status": "error", "message": "Invalid input JSON", "correlationId": "a-b",
           "errors": [{"message": "threadStatus must be OPEN or CLOSED", "in": "threadStatus"}]},
     "Invalid input JSON: threadStatus must be OPEN or CLOSED"),
    (409, "Conflict: already exists\n", "Conflict: already exists"),
])
@responses.activate
def test_other_client_errors_carry_the_servers_reason(client, status, body, reason):
    fail(status, body)
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert type(raised.value) is BackendError
    assert raised.value.status == status and raised.value.reason == reason
    assert str(raised.value).endswith(reason)
    assert len(responses.calls) == 1  # a refusal is not retried


@responses.activate
def test_500_is_a_backend_error_without_retry(client):
    fail(500, {"error": "undefined method `id' for nil"})
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert raised.value.status == 500 and "server side" in str(raised.value)
    assert len(responses.calls) == 1


@responses.activate
def test_an_html_error_page_gives_its_title_not_the_markup(client):
    fail(503, "<html><head><title>503 Service Temporarily Unavailable</title></head><body><hr>nginx</body></html>")
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert raised.value.reason == "503 Service Temporarily Unavailable"
    assert "<" not in str(raised.value)


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00garbage", b"{not json", b"null", b"[]", b"42"])
@responses.activate
def test_odd_error_bodies_never_crash(client, body):
    responses.add(responses.GET, INBOXES, status=422, body=body)
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert "HTTP 422 (Unprocessable Entity)" in str(raised.value)


@responses.activate
def test_429_after_the_last_attempt_is_rate_limited(client):
    fail(429, "Retry later\n")
    with pytest.raises(RateLimitedError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert raised.value.exit_code == ExitCode.RATE_LIMITED
    assert len(responses.calls) == 2


@responses.activate
def test_redirects_are_not_followed_so_the_token_goes_nowhere_else(client):
    responses.add(responses.GET, INBOXES, status=302, headers={"Location": "https://evil.example.net/steal"})
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert len(responses.calls) == 1
    assert "https://evil.example.net/steal" in str(raised.value) and "redirect" in str(raised.value)


@responses.activate
def test_success_bodies_are_decoded_and_empty_ones_are_none(client):
    responses.add(responses.GET, INBOXES, json={"payload": [{"id": 1, "name": "Support"}]})
    responses.add(responses.DELETE, f"{BASE}/api/v1/accounts/1/inbox_members", status=200, body="")
    assert client.get("/api/v1/accounts/1/inboxes") == {"payload": [{"id": 1, "name": "Support"}]}
    assert client.delete("/api/v1/accounts/1/inbox_members", json={"inbox_id": 1, "user_ids": [2]}) is None
    assert responses.calls[1].request.body == b'{"inbox_id": 1, "user_ids": [2]}'


@responses.activate
def test_a_web_page_instead_of_json_says_to_check_the_url(client):
    responses.add(responses.GET, INBOXES, body="<!DOCTYPE html><html>Sign in</html>", content_type="text/html")
    with pytest.raises(BackendError) as raised:
        client.get("/api/v1/accounts/1/inboxes")
    assert "not JSON (text/html)" in str(raised.value) and "server URL" in str(raised.value)


@responses.activate
def test_a_dropped_post_is_outcome_unknown(client):
    dropped = requests.ConnectionError("('Connection aborted.', RemoteDisconnected('Remote end closed connection'))")
    responses.add(responses.POST, f"{BASE}/api/v1/accounts/1/bulk_actions", body=dropped)
    with pytest.raises(OutcomeUnknownError):
        client.post("/api/v1/accounts/1/bulk_actions", json={"type": "Conversation", "ids": [1]})
    assert len(responses.calls) == 1


@pytest.mark.parametrize(("body", "reason"), [
    ({"error": "Invalid Access Token"}, "Invalid Access Token"),
    ({"message": "Title has already been taken", "attributes": ["title"]}, "Title has already been taken"),
    ({"attributes": ["title"]}, "invalid title"),
    ({"description": "Invalid request", "errors": [{"field": "name", "message": "is required"}, "too long"]},
     "Invalid request: is required; too long"),
    ({"errors": {"name": ["can't be blank", "is too short"]}}, "name can't be blank; name is too short"),
    ({"message": "Property values were not valid: bad email", "errors": [{"message": "bad email"}]},
     "Property values were not valid: bad email"),
    ({"error": {"message": "nested"}}, "nested"),
    ({"error": "invalid_grant", "error_description": "Token expired"}, "Token expired"),
    ({"status": "error"}, None),
    ({"message": None, "errors": None}, None),
    ({"errors": [{}, {"code": 3}]}, None),
    ([], None),
    (None, None),
    ("  multi\n line  ", "multi line"),
])
def test_reason_is_found_in_every_known_error_shape(body, reason):
    assert reason_from_body(body) == reason


def test_very_long_reasons_are_shortened():
    reason = reason_from_body({"message": "x" * 5000})
    assert reason is not None and len(reason) <= 300 and reason.endswith("…")
