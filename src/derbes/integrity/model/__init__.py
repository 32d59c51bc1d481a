"""Integrity's pure rules: replaying the chains, state seals, signed anchors."""
