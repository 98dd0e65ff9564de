"""HTML views of the assessments app, by topic."""
