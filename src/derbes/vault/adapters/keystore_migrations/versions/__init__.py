"""Key-store revisions ("k0001", ...), applied in order."""
