"""The main job: synthesize -> warm start -> GRPO -> evaluate, with content-hashed stages."""
