"""Workflow templates, dependency mining and the pieces of constrained trace synthesis."""
