"""Scores of responses and unit subtrees, computed in SQL (DESIGN.md §3–§4)."""
