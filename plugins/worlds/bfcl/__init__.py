"""The BFCL multi-turn world from ``bfcl-eval``: the world object
(:mod:`~orchestrl.plugins.worlds.bfcl.world`) and its support code: tasks, stateful backends,
checker, environment, prompt, split."""
