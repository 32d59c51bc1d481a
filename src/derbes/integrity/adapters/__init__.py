"""Integrity I/O: seals and projection reads, anchor sinks (file, syslog, URL)."""
