"""Pure rules of the console: languages, urgency of a request, masking, navigation."""
