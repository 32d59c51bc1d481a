"""derbes — the personal-data system of a Kazakhstan operator (Law 94-V)."""

__version__ = "0.1.0"
