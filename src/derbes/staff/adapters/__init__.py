"""Adapters of the staff slice: SQL stores, the Argon2id hasher, rule loaders, the access list."""
