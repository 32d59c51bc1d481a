"""Consent's pure rules: scopes, checks against the register, withdrawal, the ledger."""
