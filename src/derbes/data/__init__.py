"""Shipped data: taxonomy, regime, calendar overrides."""
