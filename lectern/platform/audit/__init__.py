"""The audit log of administrative actions and its page."""
