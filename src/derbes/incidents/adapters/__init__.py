"""Adapters of the incidents slice: the SQL store."""
