"""The deterministic tool environment: schemas and validation, the cached environment, miss
policies, response rendering for the model, and counters."""
