"""Installation use cases: migrate the schema, seed the demo customer."""
