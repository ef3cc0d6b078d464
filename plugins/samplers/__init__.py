"""Built-in task samplers: the constrained template sampler and the unconstrained baseline."""
