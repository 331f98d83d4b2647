"""Planning: desired definitions vs the live server, and applying the difference."""
