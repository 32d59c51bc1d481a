"""Staff: the people who run an operator's PD work, their roles, credentials and sessions."""
