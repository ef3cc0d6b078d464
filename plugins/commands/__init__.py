"""Built-in CLI subcommands, one per module."""
