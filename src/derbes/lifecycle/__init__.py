"""Lifecycle events of a subject's relationship with the operator, and contract state."""
