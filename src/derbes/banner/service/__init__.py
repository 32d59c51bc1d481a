"""Use cases of the cookie banner."""
