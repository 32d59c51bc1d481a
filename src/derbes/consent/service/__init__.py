"""Consent use cases: give, withdraw, show, expire, verify, export evidence, eGov."""
