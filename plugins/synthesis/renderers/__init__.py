"""Query renderers: turn an instantiated trace into the user query that asks for it."""
