"""The access audit log: every read and change of PD, hash-chained, with alerts on
unusual access."""
