"""Integrity use cases: verify projections against the chains, seal subjects, anchor heads."""
