"""Who may call derbes: API keys and their scopes (staff identities next)."""
