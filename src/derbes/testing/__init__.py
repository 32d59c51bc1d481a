"""Fakes of the ports, for tests and benchmarks: production code never imports this package."""
