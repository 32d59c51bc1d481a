"""The console's pages (Jinja2 templates, their labels) and its static files."""
