"""Use cases: plain functions that load, call the domain, commit, audit."""
