"""Consent I/O: its tables, the rules file, the eGov port, the evidence renderer."""
