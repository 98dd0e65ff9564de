"""HTML views of the activities app, by topic."""
