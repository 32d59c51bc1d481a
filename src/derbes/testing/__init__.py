"""Fakes of the ports and builders of test worlds, for tests and benchmarks: production code
never imports this package."""
