#!/usr/bin/env bash
# Regenerates the completion scripts from the installed inboxctl (tests/cli/test_completions.py checks them).
set -euo pipefail
cd "$(dirname "$0")"
_INBOXCTL_COMPLETE=bash_source inboxctl > inboxctl.bash
_INBOXCTL_COMPLETE=zsh_source inboxctl > _inboxctl
_INBOXCTL_COMPLETE=fish_source inboxctl > inboxctl.fish
