"""A damaged local file is the one clear error, "not a usable inboxctl database", wherever it is read.

(Random damage is fuzzed in tests/fuzz/test_fuzz_database_bytes.py; these are the kinds it found.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inboxctl.backends.local.backend import default_database_path

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
UNUSABLE = "is not a usable inboxctl database"


def damage(offset: int, value: int) -> None:
    path = default_database_path()
    content = bytearray(path.read_bytes())
    content[offset] = value
    path.write_bytes(bytes(content))


@pytest.mark.parametrize(("sql", "command"), [
    ("UPDATE conversations SET subject = CAST(x'c3' AS TEXT) WHERE id = 5", ("conv", "show", "5")),
    ("UPDATE conversations SET subject = CAST(x'c328' AS TEXT)", ("conv", "list", "--all", "-o", "ids")),
    ("UPDATE inboxes SET settings = '{\"routing\": ' WHERE name = 'Support'", ("plan", str(CONFIGS))),
    ("UPDATE inboxes SET settings = '[1, 2]' WHERE name = 'Support'", ("export", "--dir", "{tmp}")),
    ("UPDATE channels SET type = 'pigeon' WHERE key = 'Website chat'", ("plan", str(CONFIGS))),
    ("UPDATE users SET email = x'00' WHERE email LIKE 'bob%'", ("conv", "assign", "7", "--to", "bob@acme.example",
                                                             "--yes")),
    ("UPDATE conversations SET created_at = x'00ff' WHERE id = 9", ("conv", "list", "--all", "-o", "json")),
])
def test_values_inboxctl_never_writes_are_a_clear_error(run, db, tmp_path, sql, command):
    db.execute(sql)
    db.commit()
    result = run(*(part.replace("{tmp}", str(tmp_path)) for part in command))
    assert result.exit_code == 1, result.stderr
    assert UNUSABLE in result.stderr and "local reset" in result.stderr and "Internal error" not in result.stderr


def test_a_header_that_makes_the_file_read_only_is_called_damaged_not_a_permission_problem(run, db):
    db.close()
    damage(18, 3)  # the "write version": above 2, SQLite opens the file read-only
    result = run("apply", str(CONFIGS), "--yes")
    assert result.exit_code == 3 and UNUSABLE in result.stderr, result.stderr


@pytest.mark.parametrize("size", [0, 100, 4096, 50_000])
def test_a_file_cut_short_is_a_clear_error(run, db, size):
    db.close()
    path = default_database_path()
    path.write_bytes(path.read_bytes()[:size])
    result = run("conv", "list", "--limit", "3")
    assert result.exit_code == 1 and UNUSABLE in result.stderr, result.stderr
