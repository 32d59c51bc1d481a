"""Retention and destruction: lifecycle events start per-purpose clocks, legal holds stop
them, a resumable sweep destroys what is due and issues the destruction act."""
