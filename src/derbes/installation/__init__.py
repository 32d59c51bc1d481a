"""Setting up an installation: the database schema, the key store, the demo."""
