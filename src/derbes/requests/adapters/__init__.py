"""Request I/O: its tables, the request-types file, the letter renderer."""
