"""``derbes subject`` and ``derbes keys``."""
