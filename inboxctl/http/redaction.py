"""Keep credentials out of logs, exception messages and reprs.

Two complementary nets, because neither alone is enough:

* by name: any ``name=value`` pair whose name looks like a credential (``token``, ``hapikey``,
  ``access_token``, ``api_access_token``, ``Authorization``...) has its value replaced, wherever it
  appears in a text (a URL in a log line, a URL inside a ``requests`` exception message);
* by value: the client knows the exact secrets it sends, so any occurrence of them (a server echoing
  a token in an error body, say) is replaced too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

MASK = "***"

# Substrings that mark a header or query parameter as a credential. Generous on purpose:
# masking a harmless value costs nothing, leaking a token costs a rotation.
_SENSITIVE_FRAGMENTS = ("token", "secret", "password", "passwd", "apikey", "api_key", "api-key",
                        "authorization", "cookie", "credential", "signature", "session")
_SENSITIVE_EXACT = frozenset({"key", "auth", "code", "sig"})

# name=value, as found in query strings and in messages that quote them. The value stops at a
# separator, whitespace or a quote so the rest of the text survives.
_PAIR = re.compile(r"(?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&#;\s'\"<>)]*)")
# Basic-auth style credentials inside a URL: scheme://user:password@host. Up to the last "@" of the
# authority, so a password holding an "@" is masked whole.
# Only ASCII whitespace ends it: a password may hold anything, a Unicode line separator included.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\t\n\r\f\v '\"<>]*@")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:/*")

# Secrets shorter than this are not replaced by value: replacing "ab" everywhere would garble
# messages, and no real token is that short.
_MIN_SECRET_LENGTH = 4


def is_sensitive(name: str) -> bool:
    """True when a header or parameter called ``name`` carries a credential."""
    lowered = name.lower()
    return lowered in _SENSITIVE_EXACT or any(fragment in lowered for fragment in _SENSITIVE_FRAGMENTS)


def redact_pairs(text: str) -> str:
    """Mask the values of credential-looking ``name=value`` pairs and URL user-info in ``text``."""

    def mask(match: re.Match[str]) -> str:
        return f"{match['name']}={MASK}" if is_sensitive(match["name"]) and match["value"] else match[0]

    return _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", _PAIR.sub(mask, text))


def without_userinfo(url: str) -> str:
    """``url`` with everything before its last "@" (ahead of any query or fragment) masked.

    For a string known to be a URL (a profile's, INBOXCTL_URL): unlike the patterns above, it needs no
    "://" and no character stops it, so "admin:secret@host", "https:/a:b@host" and a password holding
    a "/", spaces or line separators are all masked. A server URL has no "@" in its path."""
    scheme = _SCHEME.match(url)
    start = scheme.end() if scheme else 0
    end = min((found for found in (url.find(mark, start) for mark in "?#") if found >= 0), default=len(url))
    at = url.rfind("@", start, end)
    return url if at < 0 else f"{url[:start]}{MASK}{url[at:]}"


class Redactor:
    """Masks a known set of secret values, plus anything :func:`redact_pairs` recognises."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values: set[str] = set()
        for secret in secrets:
            values.add(secret)
            values.update(secret.split())  # "Bearer abc": "abc" alone can show up too
        # Longest first, so "Bearer abc" is masked whole before "abc" is looked for.
        self._secrets = sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)
        # "Bearer" on its own is a scheme name, not a secret.
        self._secrets = [v for v in self._secrets if v.lower() not in {"bearer", "basic", "token"}]

    def text(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return redact_pairs(text)

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {name: MASK if is_sensitive(name) else self.text(value) for name, value in headers.items()}


class _RedactingFilter(logging.Filter):
    """Rewrites a record's message with credentials masked.

    urllib3 logs the request line (``"GET /path?hapikey=... HTTP/1.1" 200``) at DEBUG on its own
    logger; when ``--debug`` turns on DEBUG for the root logger, that line would leak query tokens.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_pairs(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def protect_urllib3_logs() -> None:
    """Install the redacting filter on urllib3's request logger, once per process."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(existing, _RedactingFilter) for existing in logger.filters):
        logger.addFilter(_RedactingFilter())
