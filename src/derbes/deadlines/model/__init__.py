"""Deadlines' pure rules: periods, the working calendar, the regime table, wording."""
