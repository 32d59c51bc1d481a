"""``derbes init``, ``derbes db`` and ``derbes demo``."""
