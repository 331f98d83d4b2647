"""Where each key of a TOML document stands: key path -> (line, column).

tomlkit round-trips a document exactly but does not record positions, and a user needs
"file:line:column" for every mistake. The document has already parsed, so this scanner
only has to follow valid TOML: table headers, keys, strings, arrays and inline tables.
Paths are tuples such as ``("channels", 1, "color")`` or ``("business_hours", "hours", 0, "open")``.
Each key's value has a position too, so that a bad value is reported where the value is written.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column


class Positions(dict[Path, Position]):
    """Key path -> where its key is written; ``value_starts``: key path -> where its value is written."""

    def __init__(self, keys: dict[Path, Position] | None = None,
                 value_starts: dict[Path, Position] | None = None) -> None:
        super().__init__(keys or {})
        self.value_starts: dict[Path, Position] = dict(value_starts or {})


_BARE_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_ESCAPED = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", "e": "\x1b", '"': '"', "\\": "\\"}


def _unescape(raw: str) -> str:
    """A quoted key as the parser reads it: "caf\\u00e9" is the key café."""
    return _ESCAPE.sub(lambda m: chr(int(m[1][1:], 16)) if len(m[1]) > 1 else _ESCAPED.get(m[1], m[1]), raw)


class _Scanner:
    def __init__(self, source: str) -> None:
        self.text = source
        self.pos = 0
        self.positions: dict[Path, Position] = {}
        self.value_starts: dict[Path, Position] = {}
        self.array_of_tables_count: dict[Path, int] = {}

    # -- low level ---------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def position(self) -> Position:
        line = self.text.count("\n", 0, self.pos) + 1
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return line, column

    def skip_blank(self, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r" or (newlines and char == "\n"):
                self.pos += 1
            elif char == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.pos += 1
            else:
                return

    def record(self, path: Path, position: Position) -> None:
        self.positions.setdefault(path, position)

    # -- keys and strings ------------------------------------------------------------------
    def read_string(self) -> str:
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            start = self.pos = self.pos + 3
            # a multi-line basic string may hold an escaped quote, even three: \"""
            while self.peek() and not self.text.startswith(quote * 3, self.pos):
                self.pos += 2 if (quote == '"' and self.peek() == "\\") else 1
            while self.text.startswith(quote, self.pos + 3):  # up to two quotes may close the string
                self.pos += 1
            value = self.text[start:self.pos]
            self.pos += 3
            return value
        start = self.pos + 1
        self.pos = start
        while self.peek() and self.peek() != quote:
            self.pos += 2 if (quote == '"' and self.peek() == "\\") else 1
        value = self.text[start:self.pos]
        self.pos += 1
        return value

    def read_key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            if self.peek() in "\"'":
                basic = self.peek() == '"'
                parts.append(_unescape(self.read_string()) if basic else self.read_string())
            else:
                start = self.pos
                while self.peek() in _BARE_KEY_CHARS and self.peek():
                    self.pos += 1
                parts.append(self.text[start:self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.pos += 1

    # -- values --------------------------------------------------------------------------------
    def read_value(self, path: Path) -> None:
        self.value_starts.setdefault(path, self.position())
        char = self.peek()
        if char in "\"'":
            self.read_string()
        elif char == "[":
            self.read_array(path)
        elif char == "{":
            self.read_inline_table(path)
        else:
            while self.peek() and self.peek() not in ",]}\n#":
                self.pos += 1

    def read_array(self, path: Path) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() in ("]", ""):
                self.pos += 1
                return
            self.record(path + (index,), self.position())
            self.read_value(path + (index,))
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def read_inline_table(self, path: Path) -> None:
        self.pos += 1
        while True:
            self.skip_blank(newlines=True)
            if self.peek() in ("}", ""):
                self.pos += 1
                return
            self.read_key_value(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def read_key_value(self, table: Path) -> None:
        start = self.position()
        keys = self.read_key()
        for length in range(1, len(keys) + 1):  # a dotted key also declares its tables: routing.mode -> routing
            self.record(table + tuple(keys[:length]), start)
        path = table + tuple(keys)
        self.skip_blank(newlines=False)
        self.pos += 1  # "="
        self.skip_blank(newlines=False)
        self.read_value(path)

    # -- headers -------------------------------------------------------------------------------
    def resolve_header(self, keys: list[str]) -> Path:
        """Insert the current index after every array-of-tables prefix: channels.routing -> channels.2.routing."""
        path: Path = ()
        for key in keys:
            path = path + (key,)
            if path in self.array_of_tables_count:
                path = path + (self.array_of_tables_count[path] - 1,)
        return path

    def read_header(self) -> Path:
        start = self.position()
        is_array = self.text.startswith("[[", self.pos)
        self.pos += 2 if is_array else 1
        keys = self.read_key()
        self.pos += 2 if is_array else 1
        if not is_array:
            path = self.resolve_header(keys)
        else:
            array_path = self.resolve_header(keys[:-1]) + (keys[-1],)
            index = self.array_of_tables_count.get(array_path, 0)
            self.array_of_tables_count[array_path] = index + 1
            path = array_path + (index,)
        for length in range(1, len(path) + 1):  # [a.b] also declares a, if nothing did before
            self.record(path[:length], start)
        return path

    def scan(self) -> Positions:
        table: Path = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return Positions(self.positions, self.value_starts)
            if self.peek() == "[":
                table = self.read_header()
            else:
                self.read_key_value(table)


def key_positions(source: str) -> Positions:
    """Map every key path and array element of a valid TOML document to its position (and its value's)."""
    return _Scanner(source).scan()


def nearest_position(positions: dict[Path, Position], path: Path) -> Position:
    """The position of ``path``, else of its closest recorded ancestor, else the top of the file."""
    for length in range(len(path), 0, -1):
        if path[:length] in positions:
            return positions[path[:length]]
    return (1, 1)


def value_position(positions: dict[Path, Position], path: Path) -> Position:
    """Where the value of ``path`` is written; else where its key (or closest ancestor) is."""
    starts = getattr(positions, "value_starts", {})
    return starts[path] if path in starts else nearest_position(positions, path)
