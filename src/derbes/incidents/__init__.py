"""Incidents: breaches of PD security, their notification clock and their record."""
