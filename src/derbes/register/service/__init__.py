"""Register use cases: publish, find the one in force, lint, diff, render the notice."""
