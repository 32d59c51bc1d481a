"""The cabinet's adapters: its SQL stores, its rule table, its pages."""
