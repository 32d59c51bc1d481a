"""The delivery slice's adapters: the SQL store, the SMS gateways, the mail server."""
