"""The cabinet's use cases: signing in (``signin``) and what a signed-in subject does
(``mine``)."""
