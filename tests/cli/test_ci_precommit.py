"""The pre-commit hook (.pre-commit-hooks.yaml), run by the real ``pre-commit`` tool in a temporary git
repository of definitions: a broken definition stops the commit with every problem on its line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / ".pre-commit-hooks.yaml"
BROKEN = '[inbox]\nname = "Broken"\nmembers = ["alice@acme"]\n'
GIT_IDENTITY = ["-c", "user.name=inboxctl tests", "-c", "user.email=tests@acme.example", "-c", "commit.gpgsign=false"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def pre_commit(cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, check=False, timeout=300)


def definitions_repository(path: Path, config: dict) -> Path:
    """A git repository of inbox definitions: one valid, one broken, and a pyproject.toml."""
    (path / "configs").mkdir(parents=True)
    shutil.copy(REPO / "configs" / "minimal.toml", path / "configs")
    (path / "configs" / "broken.toml").write_text(BROKEN, encoding="utf-8")
    (path / "pyproject.toml").write_text('[project]\nname = "not-a-definition"\n', encoding="utf-8")
    (path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    git(path, "init", "-q")
    git(path, "add", "-A")
    return path


def the_hook() -> dict:
    (hook,) = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return hook


def test_the_manifest_is_valid_and_declares_the_hook(tmp_path: Path) -> None:
    result = pre_commit(REPO, "validate-manifest", str(MANIFEST), home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    hook = the_hook()
    assert (hook["id"], hook["language"], hook["files"], hook["entry"]) == (
        "inboxctl-validate", "python", r"\.toml$", "inboxctl validate")


def assert_stops_on_the_broken_file_then_passes(repository: Path, home: Path) -> None:
    failed = pre_commit(repository, "run", "--all-files", home=home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "- exit code: 5" in failed.stdout
    assert "configs/broken.toml:3:12: inbox.members[0]: 'alice@acme' is not an e-mail address" in failed.stdout
    assert "pyproject.toml" not in failed.stdout  # another tool's TOML is not a definition
    (repository / "configs" / "broken.toml").write_text(BROKEN.replace("alice@acme", "alice@acme.example"))
    git(repository, "add", "-A")
    passed = pre_commit(repository, "run", "--all-files", home=home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "inboxctl validate" in passed.stdout and "Passed" in passed.stdout


def test_the_hook_as_declared_runs_offline_with_this_inboxctl(tmp_path: Path) -> None:
    """The manifest's hook (files, exclude, entry...) as a local hook on the inboxctl of this environment:
    what pre-commit runs, without building an environment for it."""
    inboxctl = shutil.which("inboxctl", path=str(Path(sys.executable).parent)) or "inboxctl"
    hook = {**the_hook(), "language": "system", "entry": f"{inboxctl} validate"}
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    assert_stops_on_the_broken_file_then_passes(definitions_repository(tmp_path / "defs", config), tmp_path / "pc")


@pytest.mark.slow
def test_the_hook_installs_from_a_repository_and_runs(tmp_path: Path) -> None:
    """As a user's config would use it: pre-commit clones this repository, installs inboxctl in an environment
    of its own and runs the hook (about 15 s: pip installs inboxctl and its dependencies)."""
    source = tmp_path / "inboxctl"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):  # the working tree as it is, committed changes or not
        if (REPO / name).is_file() and not name.startswith((".hypothesis/", "tests/", "benchmarks/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "inboxctl")
    config = {"repos": [{"repo": str(source), "rev": git(source, "rev-parse", "HEAD"),
                         "hooks": [{"id": "inboxctl-validate"}]}]}
    assert_stops_on_the_broken_file_then_passes(definitions_repository(tmp_path / "defs", config), tmp_path / "pc")
