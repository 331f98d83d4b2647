"""One module per noun or verb; each exposes click commands registered in ``inboxctl.cli.main``."""
