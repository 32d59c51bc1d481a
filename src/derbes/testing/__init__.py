"""Fakes of the ports and builders of test worlds, for tests and benchmarks: in-memory
repositories, key stores, a unit of work, contexts.

Production code never imports this package; each fake keeps the behaviour of
the adapter it stands in for (the same contract tests run on both).
"""
