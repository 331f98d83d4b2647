"""Conversations: the query and action model, filters and views, the bulk runner, the journal and undo.

Nothing here imports click or prints: the CLI (``inboxctl.cli.commands.conversations``) renders.
"""
