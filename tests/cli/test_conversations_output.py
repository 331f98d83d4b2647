"""The shared output helper: every format streams, the table aligns on a terminal, a closed pipe is quiet."""

from __future__ import annotations

import csv
import io
import json

import pytest

from inboxctl.cli import output
from inboxctl.cli.output import Column, RowWriter

COLUMNS = [Column("id", "ID"), Column("name", "NAME", max_width=8)]
ROWS = [{"id": "1", "name": "short", "extra": {"a": 1}}, {"id": "22", "name": "a much longer name", "extra": None}]


def render(fmt: str, rows=ROWS) -> str:
    stream = io.StringIO()
    writer = RowWriter(fmt, COLUMNS, stream=stream)
    for row in rows:
        writer.write(row)
    writer.close()
    return stream.getvalue()


def test_json_is_one_valid_array_even_when_empty():
    assert json.loads(render("json")) == ROWS
    assert json.loads(render("json", [])) == []


def test_jsonl_csv_and_ids():
    assert [json.loads(line) for line in render("jsonl").splitlines()] == ROWS
    rows = list(csv.DictReader(io.StringIO(render("csv"))))
    assert rows[0] == {"id": "1", "name": "short", "extra": '{"a": 1}'} and rows[1]["extra"] == ""
    assert render("ids") == "1\n22\n"


def test_piped_table_is_tab_separated_and_untruncated():
    assert render("table") == "1\tshort\n22\ta much longer name\n"


def test_table_on_a_terminal_is_aligned_and_cuts_long_values(monkeypatch):
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    assert render("table").splitlines() == ["ID    NAME", "----  --------", "1     short", "22    a much …"]


def test_each_row_streams_before_the_next_is_given(monkeypatch):
    stream = io.StringIO()
    writer = RowWriter("jsonl", COLUMNS, stream=stream)
    writer.write(ROWS[0])
    assert stream.getvalue() == json.dumps(ROWS[0]) + "\n"


def test_long_terminal_tables_buffer_one_block_at_a_time(monkeypatch):
    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
    monkeypatch.setattr(output, "TABLE_BLOCK", 3)
    stream = io.StringIO()
    writer = RowWriter("table", COLUMNS, stream=stream)
    for index in range(4):
        writer.write({"id": str(index), "name": "x"})
    assert stream.getvalue().splitlines()[0].startswith("ID")  # the first block went out already
    assert len(stream.getvalue().splitlines()) == 5
    writer.close()
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "3     x" and lines[-2] == "2     x"  # still aligned with the first block


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError


def test_a_reader_that_goes_away_stops_the_writer_quietly():
    writer = RowWriter("jsonl", COLUMNS, stream=ClosedPipe())
    assert writer.write(ROWS[0]) is False
    assert writer.write(ROWS[1]) is False
    writer.close()


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv", "ids"])
def test_list_accepts_every_format(run, fmt):
    result = run("conv", "list", "--limit", "2", "-o", fmt)
    assert result.exit_code == 0 and result.stdout
