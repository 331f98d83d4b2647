"""The one rule for telling whether two names are the same name: Unicode caseless matching.

Inbox, team, pipeline, stage, form and page names, channel keys and e-mail addresses are compared
with :func:`name_key`: canonical composition (NFC, so a decomposed "U+0308" umlaut equals the composed
one) and full case folding (``casefold``: "Über" = "über", the Kelvin sign "K" = "k", "Straße" =
"STRASSE"). Python's ``lower()`` and SQLite's ``NOCASE`` (ASCII letters only) are not used for names:
mixing them made a plan say "update" while the server said "does not exist".
"""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """What two names have in common when they are the same name, whatever their case."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def same_name(first: str, second: str) -> bool:
    return name_key(first) == name_key(second)
