"""Audit I/O: the log's tables and the alert-rules file."""
