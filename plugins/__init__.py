"""Built-in plugins. Each module registers its components through the public hooks only."""
