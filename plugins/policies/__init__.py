"""Built-in policies, one per module, plus model loading and the tool chat template."""
