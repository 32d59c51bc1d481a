"""Adapters of the compliance slice: the SQL store and the pack's documents."""
