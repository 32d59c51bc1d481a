"""``derbes retention`` and ``derbes acts``."""
