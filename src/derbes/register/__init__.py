"""The processing register as code: model, YAML and JSON Schema, lint against
Law 94-V, diff between versions, the generated privacy notice."""
