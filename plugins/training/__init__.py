"""Training on TRL: SFT warm start and GRPO, chats, the TRL tool environment, run records."""
