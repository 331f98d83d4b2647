"""Text from outside made safe to print for a person: no control character reaches the terminal raw.

Subjects, names, messages and server replies are written by customers and servers. A terminal obeys
the control characters in them: ``ESC ] 0 ; ... BEL`` retitles the window, ``ESC [ 2 J`` clears the
screen, OSC 8 hides a link behind innocent text, a carriage return overwrites what a line said, and
bidirectional overrides reorder it. Human output (tables, ``show``, plans, apply steps, errors) shows
each such character as a visible escape (``\\x1b``, ``\\u202e``) instead; the rest of the text is kept,
so a sequence becomes harmless printable text. Machine output keeps the data: JSON escapes these
characters (``json_safe``) so that parsing it gives back exactly what the server sent.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), and the bidirectional
# embeddings, overrides and isolates that reorder how a line reads.
_CONTROL = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_CONTROL}]")
_LINE_BREAKS = re.compile(r"\r\n?|[\v\f\x85\u2028\u2029]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """One line of text for a terminal: tabs and line breaks become spaces, other controls visible escapes."""
    return _UNSAFE.sub(_visible, text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def terminal_safe_lines(text: str) -> str:
    """Several lines of text for a terminal: line breaks are kept (``\\r\\n`` and a lone ``\\r`` become
    ``\\n``, so nothing overwrites a line), tabs too; every other control becomes a visible escape."""
    lines = _LINE_BREAKS.sub("\n", text).split("\n")
    return "\n".join(_UNSAFE.sub(_visible, line.replace("\t", "    ")) for line in lines)


def json_safe(text: str) -> str:
    """JSON text whose strings carry no raw DEL, C1, bidirectional or line-separator character.

    ``json.dumps(ensure_ascii=False)`` escapes C0 controls but writes these as they are; escaped as
    ``\\uXXXX`` they decode to the same data, and a terminal showing the JSON obeys none of them."""
    if text.isascii() and "\x7f" not in text:  # the common case, and a listing calls this per row
        return text
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
