"""Integrity: the state the decision point reads is bound to the hash chains.

Every subject's decision-relevant rows carry a keyed seal; ``ledger verify``
replays the consent ledger and the access audit log and compares them with the
rows field by field; the chains' heads are anchored outside the database, so a
cut tail or a reset log is found.
"""
