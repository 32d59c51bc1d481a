"""Retention's pure rules: clocks, due dates, holds, destruction acts."""
