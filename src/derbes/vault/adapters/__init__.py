"""Vault I/O: its tables, the key store, the KEK providers, the rules file."""
