"""Built-in reward terms, one per module."""
