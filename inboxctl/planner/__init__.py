"""Planning: desired definitions vs the live server, and applying the difference."""

# Inboxes one apply may delete unless --max-deletes says more. Here, not in service.py, so that the
# CLI's option declarations do not import the whole planner.
DEFAULT_MAX_DELETES = 1
