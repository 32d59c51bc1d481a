"""Lifecycle I/O: the events table and the contracts projected from it."""
