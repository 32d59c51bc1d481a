"""The banner script, the demo page and their rendering."""
