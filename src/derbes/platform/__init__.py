"""Shared plumbing that knows no slice: database engines, schema and migrations,
the chain store, crypto primitives, i18n, the clock, one-time codes."""
