"""Retention I/O: its tables, the acts renderer and the rules files."""
