"""Register I/O: YAML loading, the JSON Schema, its table, the notice renderer."""
