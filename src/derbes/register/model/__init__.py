"""The register's pure rules: the model, its builder, lint and diff."""
