"""Dataset I/O: the dataset YAML and its schema, connectors to SQL stores."""
