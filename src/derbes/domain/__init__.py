"""Pure rules of derbes. Standard library only (import-linter enforces it)."""
