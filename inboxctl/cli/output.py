"""Rows on stdout in the format asked for, streamed; progress on stderr, only on a terminal.

``-o table`` is an aligned table on a terminal and tab-separated lines (no header) when piped,
as gh does. ``jsonl``, ``csv``, ``ids`` and tab-separated output write each row as it comes,
so memory stays constant however many rows there are; ``json`` streams one array. Only the
aligned table buffers, and only up to ``TABLE_BLOCK`` rows at a time.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, TypeVar

import click

from inboxctl.cli.safe_text import json_safe, terminal_safe

FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv", "ids")
TABLE_BLOCK = 1000
# json.dumps(row, ensure_ascii=False) without building an encoder for every row (a listing writes 100,000).
_json_text = json.JSONEncoder(ensure_ascii=False).encode

F = TypeVar("F", bound=Callable[..., Any])


def stdout_is_terminal() -> bool:
    """Whether a person reads stdout. Tests replace this to see the aligned table."""
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    """Whether a person reads stderr (progress bars). Tests replace this."""
    return sys.stderr.isatty()


def output_option(default: str | None = "table", help: str | None = None) -> Callable[[F], F]:
    return click.option(
        "-o", "--output", "output", type=click.Choice(FORMATS), default=default, show_default=default is not None,
        help=help or "table: aligned on a terminal, tab-separated when piped; json: one array; "
                     "jsonl: one object per line; csv: with a header; ids: one id per line.")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    max_width: int | None = None  # cut longer values in the aligned table only


class RowWriter:
    """Writes rows one at a time. ``write`` returns False once the reader has gone away."""

    def __init__(self, fmt: str, columns: Sequence[Column], *, id_key: str = "id",
                 stream: IO[str] | None = None) -> None:
        self.fmt = fmt
        self.columns = columns
        self.id_key = id_key
        self.stream = stream if stream is not None else sys.stdout
        self.aligned = fmt == "table" and stdout_is_terminal()
        self.count = 0
        self.closed = False
        self._block: list[list[str]] = []
        self._widths: list[int] | None = None
        self._csv: Any = None

    def write(self, row: Mapping[str, Any]) -> bool:
        if self.closed:
            return False
        try:
            self._write(row)
            if self.count == 0:
                self.stream.flush()  # the first row shows at once; the rest go out in buffered blocks
        except BrokenPipeError:
            self._reader_gone()
            return False
        self.count += 1
        return True

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self.fmt == "json":
                self.stream.write("[]\n" if self.count == 0 else "\n]\n")
            self._flush_block()
            self.stream.flush()
        except BrokenPipeError:
            self._reader_gone()
        self.closed = True

    def _write(self, row: Mapping[str, Any]) -> None:
        if self.fmt == "json":
            text = json_safe(_json_text(row))
            self.stream.write(("[\n  " if self.count == 0 else ",\n  ") + text)
        elif self.fmt == "jsonl":
            self.stream.write(json_safe(_json_text(row)) + "\n")
        elif self.fmt == "ids":
            self.stream.write(f"{row[self.id_key]}\n")
        elif self.fmt == "csv":
            self._write_csv(row)
        elif self.aligned:
            self._block.append([cell_text(row.get(c.key), c.max_width) for c in self.columns])
            if len(self._block) >= TABLE_BLOCK:
                self._flush_block()
        else:
            self.stream.write("\t".join(_tsv(row.get(c.key)) for c in self.columns) + "\n")

    def _write_csv(self, row: Mapping[str, Any]) -> None:
        if self._csv is None:
            import csv  # only for -o csv

            # RFC 4180 line ends: csv quotes only the characters of its line terminator, so with "\n" alone a
            # carriage return in a subject would end the record for every reader.
            self._csv = csv.DictWriter(self.stream, fieldnames=list(row), extrasaction="ignore", lineterminator="\r\n")
            self._csv.writeheader()
        self._csv.writerow({key: _csv_value(value) for key, value in row.items()})

    def _flush_block(self) -> None:
        if not self._block:
            return
        if self._widths is None:
            from tabulate import tabulate  # only for a table on a terminal: importing it takes a while

            table = tabulate(self._block, headers=[c.header for c in self.columns], tablefmt="simple",
                             disable_numparse=True)
            self.stream.write(table + "\n")
            self._widths = [len(rule) for rule in table.splitlines()[1].split("  ")]  # the "----  ---" line
        else:
            # Later blocks of a very long table keep the first block's column widths.
            for cells in self._block:
                line = "  ".join(cell.ljust(width) for cell, width in zip(cells, self._widths, strict=True))
                self.stream.write(line.rstrip() + "\n")
        self._block = []

    def _reader_gone(self) -> None:
        # `inboxctl conv list --all -o ids | head` closes the pipe early: stop quietly, and point
        # stdout at /dev/null so that Python's own flush at exit does not complain either.
        self.closed = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass


def write_rows(rows: Iterable[Mapping[str, Any]], fmt: str, columns: Sequence[Column], *, id_key: str = "id") -> int:
    """Write every row; stop early if the reader goes away. Returns how many rows were written."""
    writer = RowWriter(fmt, columns, id_key=id_key)
    for row in rows:
        if not writer.write(row):
            break
    writer.close()
    return writer.count


def cell_text(value: Any, max_width: int | None = None) -> str:
    """A value as the aligned table shows it: '-' for nothing, no control character (see ``safe_text``),
    cut to ``max_width`` with an ellipsis."""
    text = "-" if value is None or value == "" else terminal_safe(str(value))
    if max_width is not None and len(text) > max_width:
        return text[: max_width - 1] + "…"
    return text


def _tsv(value: Any) -> str:
    """A cell of the tab-separated table: one line, no tab, no control character."""
    return "" if value is None else terminal_safe(str(value))


def _csv_value(value: Any) -> Any:
    """CSV keeps the data as JSON spells it: true/false, and lists and tables as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


@contextmanager
def progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for bulk work (see ``progress``), only when a person watches stderr; else a no-op."""
    if length < 2 or not stderr_is_terminal():
        yield lambda steps: None
        return
    from inboxctl.cli.progress import progress_bar

    with progress_bar(length, label) as advance:
        yield advance
