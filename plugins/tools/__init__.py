"""Tool schemas: loading them, canonical argument values by declared type, and checking calls
against them. Below both the response cache (keys normalise by declared types) and the
environment (which validates calls), so neither depends on the other for them."""
