"""Personal-data discovery: find Kazakhstan PD in databases, files and logs, and judge it
against the processing register and its dataset mappings (`derbes scan`)."""
