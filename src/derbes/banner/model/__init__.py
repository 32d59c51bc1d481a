"""Pure rules of the cookie banner."""
