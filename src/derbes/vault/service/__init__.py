"""Vault use cases: subjects (add, read, find, block, destroy) and keys (set up, rotate)."""
