"""Scan reports: a terminal table, HTML with charts, JSON and SARIF (for CI).

Every report is built from the same :class:`~derbes.scanner.service.ScanReport`; values
appear only in their masked form, as the findings hold them.
"""
