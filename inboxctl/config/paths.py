"""XDG locations of inboxctl's files, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """``$INBOXCTL_HOME``, else ``$XDG_DATA_HOME/inboxctl``, else ``~/.local/share/inboxctl``."""
    explicit = os.environ.get("INBOXCTL_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inboxctl"


def config_dir() -> Path:
    """``$INBOXCTL_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/inboxctl``, else ``~/.config/inboxctl``."""
    explicit = os.environ.get("INBOXCTL_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "inboxctl"
