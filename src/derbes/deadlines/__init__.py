"""Deadlines: the regime table of statutory terms with citations, the Kazakhstan
working calendar, periods, due dates."""
