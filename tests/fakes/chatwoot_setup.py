"""Paths and fast settings shared by the Chatwoot tests (import this, not ``conftest``, whose
module name is ambiguous when several test folders are collected together)."""

from __future__ import annotations

from pathlib import Path

from inboxctl.backends.chatwoot.conversations import Settle

REPO_DIR = Path(__file__).resolve().parents[2]
CONFIGS = REPO_DIR / "configs" / "chatwoot"
# Retries and read-backs wait milliseconds here, not seconds: the fake applies bulk actions 10 ms later.
FAST_CLIENT = {"backoff_base": 0.005, "backoff_cap": 0.02, "max_attempts": 8, "timeout": (2.0, 5.0)}
FAST_SETTLE = Settle(first_wait=0.02, max_wait=1.0)
