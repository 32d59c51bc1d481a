"""API, CLI and web: thin shells over the same service functions."""
