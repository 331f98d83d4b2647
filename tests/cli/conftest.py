"""Fixtures of the CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    """A private copy of configs/, so tests can edit definitions."""
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    return target
