"""``derbes register`` and ``derbes notice``."""
