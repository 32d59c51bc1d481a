"""Decision I/O: the facts read model over vault, consents and audit; the rules file."""
