"""Installation I/O: the invented operator database the demo answers requests from."""
