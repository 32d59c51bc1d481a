"""The PD vault: subjects and their values encrypted under per-subject keys, blind
indexes, card tokens, blocking and crypto-shredding; the key store and the KEK."""
