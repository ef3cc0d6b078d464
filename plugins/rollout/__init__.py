"""The rollout engine: multi-turn episodes of a policy against a tool environment."""
