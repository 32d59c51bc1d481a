"""Compliance: the responsible person's register and the compliance pack (Law 94-V Art. 25)."""
