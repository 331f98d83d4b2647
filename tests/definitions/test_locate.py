"""Where each key stands (line, column), for every way TOML lets a file write it.

A wrong position sends a user to the wrong line; a scanner that loses its way in a string
sends every later error there too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from inboxctl.definitions.locate import key_positions, nearest_position


def positions_of(source: str) -> dict[tuple, tuple[int, int]]:
    tomlkit.parse(source)  # every source here is valid TOML: the scanner only follows valid files
    return key_positions(source)


def test_table_headers_with_spaces_quotes_and_comments() -> None:
    source = ('#:schema ./schema/inbox.schema.json\n'
              '[ inbox ]  # the inbox [not a header]\n'
              'name = "A"\n'
              '\n'
              '[ "business_hours" ]\n'
              'timezone = "UTC"\n')
    positions = positions_of(source)
    assert positions[("inbox",)] == (2, 1)
    assert positions[("inbox", "name")] == (3, 1)
    assert positions[("business_hours",)] == (5, 1)
    assert positions[("business_hours", "timezone")] == (6, 1)
    assert ("not a header",) not in positions


def test_dotted_keys_locate_the_key_and_the_tables_they_declare() -> None:
    source = ('# comment\n'
              'inbox.name = "A"\n'
              'routing . mode = "contact_owner"\n'
              '"ticket_defaults"."stage" = "New"\n')
    positions = positions_of(source)
    assert positions[("inbox", "name")] == (2, 1)
    assert positions[("inbox",)] == (2, 1)  # so that "missing key inbox.members" points here, not at line 1
    assert positions[("routing", "mode")] == (3, 1)
    assert positions[("routing",)] == (3, 1)
    assert positions[("ticket_defaults", "stage")] == (4, 1)


def test_a_sub_table_header_declares_its_parent_tables() -> None:
    positions = positions_of('# no [inbox] header\n\n[inbox.extra]\nx = 1\n\n[[business_hours.hours]]\ndays = "mon"\n')
    assert positions[("inbox",)] == (3, 1)
    assert positions[("business_hours",)] == (6, 1)
    assert positions[("business_hours", "hours", 0)] == (6, 1)


def test_a_missing_key_of_a_dotted_table_is_reported_at_that_table(run, tmp_path: Path) -> None:
    path = tmp_path / "dotted.toml"
    path.write_text('# Partners\n\ninbox.members = ["alice@acme.example"]\n', encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 5
    assert result.stderr.startswith(f"{path}:3:1: inbox.name: missing required key 'name'")


def test_quoted_keys_are_one_key_even_with_dots_spaces_or_escapes() -> None:
    source = ('[channels_x]\n'
              '"from" = "a@acme.example"\n'
              "'a.b' = 1\n"
              '"with space" = 2\n'
              '  plain-key_2 = 3\n'
              '"caf\\u00e9" = 4\n'
              '"say \\"hi\\"" = 5\n'
              "'C:\\x' = 6\n")
    positions = positions_of(source)
    assert positions[("channels_x", "café")] == (6, 1)  # the key as the parser reads it, escapes decoded
    assert positions[("channels_x", 'say "hi"')] == (7, 1)
    assert positions[("channels_x", "C:\\x")] == (8, 1)  # literal: no escapes
    assert positions[("channels_x", "from")] == (2, 1)
    assert positions[("channels_x", "a.b")] == (3, 1)
    assert ("channels_x", "a", "b") not in positions
    assert positions[("channels_x", "with space")] == (4, 1)
    assert positions[("channels_x", "plain-key_2")] == (5, 3)


def test_arrays_of_tables_are_numbered_and_sub_tables_attach_to_the_latest_one() -> None:
    source = ('[[channels]]\n'            # 1
              'type = "email"\n'          # 2
              '\n'
              '[[channels]]\n'            # 4
              'type = "chat"\n'           # 5
              '\n'
              '[channels.heading]\n'      # 7
              'mode = "custom"\n'         # 8
              '\n'
              '[[channels]]\n'            # 10
              'type = "form"\n'           # 11
              '[channels.ticket_defaults]\n'  # 12
              'stage = "New"\n'           # 13
              '\n'
              '[business_hours]\n'        # 15
              '[[business_hours.hours]]\n'  # 16
              'days = "mon"\n'            # 17
              '[[business_hours.hours]]\n'  # 18
              'days = "tue"\n')           # 19
    positions = positions_of(source)
    assert positions[("channels",)] == (1, 1)
    assert [positions[("channels", index)] for index in range(3)] == [(1, 1), (4, 1), (10, 1)]
    assert positions[("channels", 1, "type")] == (5, 1)
    assert positions[("channels", 1, "heading")] == (7, 1)
    assert positions[("channels", 1, "heading", "mode")] == (8, 1)
    assert positions[("channels", 2, "ticket_defaults", "stage")] == (13, 1)
    assert positions[("business_hours", "hours", 0, "days")] == (17, 1)
    assert positions[("business_hours", "hours", 1, "days")] == (19, 1)


def test_keys_inside_inline_tables_have_their_own_columns() -> None:
    line = 'heading = { mode = "custom", name = "Acme, {inc}", avatar = { url = "https://a.example/#x" } }'
    positions = positions_of(f"[[channels]]\n{line}\nnext = 1\n")
    assert positions[("channels", 0, "heading")] == (2, 1)
    assert positions[("channels", 0, "heading", "mode")] == (2, line.index("mode") + 1)
    assert positions[("channels", 0, "heading", "name")] == (2, line.index("name") + 1)
    assert positions[("channels", 0, "heading", "avatar", "url")] == (2, line.index("url") + 1)
    assert positions[("channels", 0, "next")] == (3, 1)


def test_multi_line_arrays_with_comments_holding_brackets_and_commas() -> None:
    source = ('hours = [ # opening ranges, [see below]\n'                          # 1
              '  { days = "mon-fri", open = "09:00", close = "12:30" },  # a ] comment, {\n'  # 2
              '  # { days = "sun" } is commented out\n'                         # 3
              '\n'
              '  { days = "sat", open = "10:00",\n'                             # 5
              '    close = "14:00" },\n'                                        # 6
              ']\n'                                                             # 7
              'members = [\n  "a@acme.example", # first\n  "b@acme.example"\n]\n'  # 8-11
              'after = true\n')                                                 # 12
    positions = positions_of(source)
    assert positions[("hours", 0)] == (2, 3)
    assert positions[("hours", 0, "close")] == (2, source.splitlines()[1].index("close") + 1)
    assert positions[("hours", 1)] == (5, 3)
    assert positions[("hours", 1, "close")] == (6, 5)
    assert ("hours", 2) not in positions
    assert positions[("members", 1)] == (10, 3)
    assert positions[("after",)] == (12, 1)


def test_multi_line_strings_holding_brackets_quotes_hashes_and_key_lines() -> None:
    source = ('signature = """\n'                                         # 1
              'Thanks! [team] {x} "Acme" # not a comment\n'               # 2
              'provider = "not a key"\n'                                  # 3
              '[[not_a_header]]\n'                                        # 4
              '"""\n'                                                     # 5
              "literal = '''It's \"fine\" ] } { # ''' \n"                 # 6
              'escaped = """He said \\"""hi\\""" [and left]"""\n'        # 7: an escaped triple quote
              'closing = """ends with two quotes"""""\n'                  # 8: the string ends with ""
              'one_line = "a \\" ] # [b]"\n'                              # 9
              "windows = 'C:\\forms\\'\n"                                 # 10: a literal string ending in \
              'provider = "gmail"\n')                                     # 11
    positions = positions_of(source)
    assert positions[("provider",)] == (11, 1)
    assert ("not_a_header",) not in positions
    assert [positions[(key,)][0] for key in ("literal", "escaped", "closing", "one_line", "windows")] == [
        6, 7, 8, 9, 10]


def test_crlf_line_ends_and_tabs() -> None:
    positions = positions_of('[inbox]\r\n\tname\t= "A"\r\nmembers = [\r\n  "a@acme.example",\r\n]\r\n')
    assert positions[("inbox", "name")] == (2, 2)
    assert positions[("inbox", "members")] == (3, 1)
    assert positions[("inbox", "members", 0)] == (4, 3)


def test_nearest_position_falls_back_to_the_closest_recorded_ancestor() -> None:
    positions = positions_of('\n[routing]\nmode = "contact_owner"\n')
    assert nearest_position(positions, ("routing", "fallback")) == (2, 1)  # a missing key: its table
    assert nearest_position(positions, ("routing", "mode")) == (3, 1)
    assert nearest_position(positions, ("inbox", "name")) == (1, 1)  # nothing recorded: top of the file


def test_an_error_after_a_tricky_string_is_reported_on_its_own_line(run, tmp_path: Path) -> None:
    path = tmp_path / "signature.toml"
    path.write_text('[inbox]\nname = "A"\n\n[[channels]]\ntype = "email"\naddress = "help@acme.example"\n'
                    'signature = """\n<p class="sig">Best, [Acme] \\"""team\\"""</p>\nprovider = "gmial"\n"""\n'
                    'provider = "gmial"\n', encoding="utf-8")
    result = run("validate", str(path))
    assert result.exit_code == 5
    assert result.stderr.startswith(f"{path}:11:12: channels[0].provider: 'gmial' is not a valid value")


# -- any document tomlkit writes: every key is found where it is written -----------------------------

key_text = st.text(alphabet=st.sampled_from(list("abz_-09 .\"'#[]=é")), min_size=1, max_size=6)
leaves = st.one_of(st.integers(), st.booleans(), st.text(alphabet=st.sampled_from(list("ab \"'#[]{}\\\n=,")),
                                                          max_size=12))
documents = st.recursive(
    st.dictionaries(key_text, leaves, max_size=4),
    lambda inner: st.dictionaries(key_text, inner | st.lists(inner, min_size=1, max_size=3) | leaves, max_size=4),
    max_leaves=15)


def paths_in(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, child in items:
        found.append(prefix + (key,))
        found += paths_in(child, prefix + (key,))
    return found


@settings(max_examples=150, deadline=None)
@given(document=documents)
def test_every_key_of_any_document_is_found_on_the_line_that_writes_it(document: dict[str, Any]) -> None:
    source = tomlkit.dumps(document)
    parsed = tomlkit.parse(source).unwrap()
    positions = key_positions(source)
    lines = source.split("\n")
    for path in paths_in(parsed):
        assert path in positions, (path, source)
        line, column = positions[path]
        if isinstance(path[-1], str) and '"' not in path[-1] and "\\" not in path[-1]:
            # the key itself (bare or quoted), or the [header] / [[header]] that declares it
            assert path[-1] in lines[line - 1][column - 1:], (path, line, column, source)
