"""REST API (FastAPI). Routers call service functions; no rules live here."""
