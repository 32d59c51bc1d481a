"""Transfer I/O: the transfer-log tables."""
