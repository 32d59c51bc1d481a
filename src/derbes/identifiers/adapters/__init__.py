"""Identifier I/O: phone numbers through Google's metadata."""
