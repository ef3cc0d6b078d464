"""The BFCL multi-turn world from ``bfcl-eval``: tasks, stateful backends, checker, environment."""
