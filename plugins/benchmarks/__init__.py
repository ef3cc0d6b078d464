"""Built-in benchmarks, one per module; ``cfb/`` is ComplexFuncBench's protocol, the support
code of :mod:`~orchestrl.plugins.benchmarks.complexfuncbench`."""
