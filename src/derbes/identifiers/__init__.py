"""Kazakhstan identifiers: IIN, BIN, IBAN, card numbers, phones, e-mail addresses."""
