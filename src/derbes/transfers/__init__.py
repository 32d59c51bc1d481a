"""The transfer log: every disclosure to a third party, decided first, then recorded."""
