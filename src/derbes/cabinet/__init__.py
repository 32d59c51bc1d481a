"""The subject's cabinet (``/my/<operator>``): a customer signs in with the phone and an
SMS code, sees what the operator holds about them, withdraws consents and files requests."""
