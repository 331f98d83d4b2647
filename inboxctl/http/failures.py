"""Turn what went wrong on the wire into inboxctl's typed errors, keeping the server's own words.

Error bodies differ per server and per endpoint (Chatwoot alone has ``{error}``, ``{message,
attributes}`` and a documented-but-unused ``{description, errors[]}``; HubSpot has ``{message,
errors: [{message}]}``), so :func:`reason_from_body` treats every field as optional and never
fails: at worst the reason is the HTTP reason phrase.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, ReadTimeoutError

from inboxctl.errors import AuthenticationError, BackendError, NotFoundError, RateLimitedError
from inboxctl.http.transport import DeadlineExceeded

_MAX_REASON_LENGTH = 300
# Preferred order: a human sentence beats a short code ("error": "invalid_grant").
_HEADLINE_KEYS = ("message", "error_description", "description", "detail", "error", "title")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class OutcomeUnknownError(BackendError):
    """A request that is not safe to repeat was sent, and no usable answer came back.

    The server may or may not have applied it, so it was not retried: the caller (and the user)
    must look at the current state before trying again.
    """


@enum.unique
class TransportFailure(enum.Enum):
    NOT_SENT = "not sent"    # no connection was made: the server never saw the request
    NO_ANSWER = "no answer"  # sent, then a timeout or a dropped connection: outcome unknown
    FATAL = "fatal"          # TLS failure, malformed URL...: trying again will not help


# --------------------------------------------------------------------------------------------
# The server's reason


def reason_from_body(body: Any) -> str | None:
    """The most useful sentence in a decoded JSON error body, or None."""
    if isinstance(body, str):
        return _clean(body)
    if isinstance(body, list):
        return _join(reason_from_body(item) for item in body)
    if not isinstance(body, dict):
        return None
    headline = next((text for text in (reason_from_body(body.get(key)) for key in _HEADLINE_KEYS) if text), None)
    details = _error_details(body.get("errors"))
    return _combine(headline, details) or _attributes(body.get("attributes"))


def reason_from_response(response: requests.Response) -> str | None:
    """The server's reason for an error response, from a JSON, text or HTML body; None if silent."""
    content = response.content or b""
    try:
        text = content.decode(response.encoding or "utf-8", errors="replace").strip()
    except LookupError:  # a charset Python does not know
        text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        return reason_from_body(json.loads(text))
    except (ValueError, RecursionError):  # not JSON, or nested deeper than anyone writes an error
        pass
    if text.startswith("<"):  # an HTML error page from a proxy: its title is the only useful part
        title = _HTML_TITLE.search(text)
        return _clean(title.group(1)) if title else None
    return _clean(text)


def _error_details(errors: Any) -> str | None:
    if isinstance(errors, dict):  # Rails style: {"name": ["can't be blank"]}
        return _join(f"{field} {message}" for field, messages in errors.items()
                     for message in (messages if isinstance(messages, list) else [messages])
                     if isinstance(message, str))
    return reason_from_body(errors) if isinstance(errors, list) else None


def _attributes(attributes: Any) -> str | None:
    if isinstance(attributes, list) and attributes:
        return "invalid " + ", ".join(str(name) for name in attributes)
    return None


def _combine(headline: str | None, details: str | None) -> str | None:
    if not details or (headline and details in headline):
        return headline
    return f"{headline}: {details}" if headline else details


def _join(parts: Any) -> str | None:
    unique = list(dict.fromkeys(part for part in parts if part))
    return _clean("; ".join(unique)) if unique else None


def _clean(text: str) -> str | None:
    collapsed = " ".join(text.split())
    if len(collapsed) > _MAX_REASON_LENGTH:
        collapsed = collapsed[: _MAX_REASON_LENGTH - 1] + "…"
    return collapsed or None


# --------------------------------------------------------------------------------------------
# HTTP statuses


def error_for_status(response: requests.Response, *, doing: str, server: str, reason: str | None,
                     attempts: int = 1) -> BackendError:
    """The typed error for a non-success ``response`` to the request described by ``doing``."""
    status = response.status_code
    message = f"{server} returned HTTP {status}{_phrase(response)} for {doing}"
    if attempts > 1:
        message += f" (after {attempts} attempts)"
    if status == 401:
        return AuthenticationError(message, reason=reason, status=status, hint=(
            "check the API token of this profile; some servers (Chatwoot) also answer 401 when the "
            "token's user is not allowed to do this"))
    if status == 403:
        return BackendError(message, reason=reason, status=status,
                            hint="the token is valid but lacks the permission (or scope) for this")
    if status == 404:
        return NotFoundError(message, reason=reason, status=status)
    if status == 429:
        return RateLimitedError(message, reason=reason, status=status,
                                hint="lower --rate or --concurrency, or try again later")
    if 300 <= status < 400:
        return _redirect_error(response, message, status)
    if status >= 500:
        return BackendError(message, reason=reason, status=status,
                            hint="this is a problem on the server side; try again later")
    return BackendError(message, reason=reason, status=status)


def _redirect_error(response: requests.Response, message: str, status: int) -> BackendError:
    # Redirects are never followed: a redirect could carry the token to another host or downgrade
    # it to plain http. Telling the user where the server points is enough to fix the profile URL.
    target = response.headers.get("Location")
    return BackendError(f"{message}, a redirect" + (f" to {target}" if target else ""), status=status,
                        hint="inboxctl does not follow redirects; set the profile URL to the server's final address")


def _phrase(response: requests.Response) -> str:
    return f" ({response.reason})" if response.reason else ""


# --------------------------------------------------------------------------------------------
# Failures before any answer


def classify_transport_failure(error: requests.RequestException) -> TransportFailure:
    """Whether the server may have seen a request that failed without an HTTP answer."""
    if isinstance(error, requests.exceptions.SSLError):
        return TransportFailure.FATAL
    if isinstance(error, (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError)):
        return TransportFailure.NOT_SENT
    if isinstance(error, requests.exceptions.Timeout):
        return TransportFailure.NO_ANSWER
    if isinstance(error, requests.exceptions.ConnectionError):
        return _connection_failure(error)
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return TransportFailure.NO_ANSWER
    return TransportFailure.FATAL


def _connection_failure(error: requests.exceptions.ConnectionError) -> TransportFailure:
    # requests wraps urllib3's errors: MaxRetryError(reason=NewConnectionError) means the TCP
    # connection never opened (refused, unreachable, DNS); anything else may have sent bytes.
    cause = error.args[0] if error.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, NameResolutionError) and "temporary" not in str(cause).lower():
        return TransportFailure.FATAL  # a mistyped host name will not resolve on the next try either
    return TransportFailure.NOT_SENT if isinstance(cause, ConnectTimeoutError) else TransportFailure.NO_ANSWER


def describe_transport_failure(error: requests.RequestException) -> str:
    """A short, human description of a failure below HTTP ("connection refused", "timed out")."""
    text = str(error).lower()
    if isinstance(error, DeadlineExceeded):
        return str(error)
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS/SSL error (certificate or protocol)"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return "timed out while connecting"
    if isinstance(error, requests.exceptions.ReadTimeout) or _caused_by(error, ReadTimeoutError):
        return "timed out waiting for the answer"
    for needle, description in (("refused", "connection refused"),
                                ("name or service not known", "unknown host name"),
                                ("nodename nor servname", "unknown host name"),
                                ("failed to resolve", "unknown host name"),
                                ("reset", "connection reset by the server"),
                                ("remote end closed", "the server closed the connection without answering"),
                                ("aborted", "connection aborted"),
                                ("unreachable", "network unreachable")):
        if needle in text:
            return description
    return type(error).__name__


def _caused_by(error: requests.RequestException, kind: type[BaseException]) -> bool:
    return bool(error.args) and isinstance(error.args[0], kind)
