"""Findings as data, the code registry, the report and its text, JSON and HTML renderings (the lowest layer)."""
