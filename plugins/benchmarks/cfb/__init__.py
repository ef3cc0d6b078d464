"""ComplexFuncBench: loaders, the deterministic turn-by-turn protocol, metrics and reports."""
