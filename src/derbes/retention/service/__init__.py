"""Retention use cases: clocks moved by events, the plan, the sweep, acts."""
