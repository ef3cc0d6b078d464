"""World plugins: one registered :class:`orchestrl.api.World` per family of tasks, one package
per world.

``booking`` is the paper's Booking.com world of ComplexFuncBench, ``bfcl`` BFCL's multi-turn
world over the ``bfcl-eval`` package. Each package holds the world object in ``world.py`` (the
registered plugin module) and the world's support code beside it (data formats, executor,
checker, environment...). Components of other kinds that serve one world (its sampler, its
benchmark, its gold policy) stay in their kind's package and import the support modules; nothing
imports a ``world.py``: code outside it gets the configured world from
:func:`orchestrl.build.build_world` and calls its methods.
"""
