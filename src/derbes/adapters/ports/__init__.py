"""Ports to services outside derbes (SMS OTP, the eGov consent service), each with a
fake shipped in the package so the demo and the tests need no network."""
