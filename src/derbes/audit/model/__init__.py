"""The audit log's pure rules: entries, chain verification, alert rules."""
