"""Deadline I/O: the holidays package with override tables, the regime file."""
