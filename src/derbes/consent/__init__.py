"""The consent ledger: consents with evidence, withdrawals under Art. 8 p.2, the
hash-chained ledger, the eGov consent service."""
