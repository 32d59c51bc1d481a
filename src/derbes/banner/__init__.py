"""The cookie banner: what an operator's site asks its visitors, and the proof of each
answer in the consent ledger."""
