"""Access I/O: the API-key table."""
