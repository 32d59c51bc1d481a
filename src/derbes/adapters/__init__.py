"""I/O: databases, files, documents, crypto, ports to the outside world."""
