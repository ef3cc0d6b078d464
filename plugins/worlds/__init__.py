"""World plugins: one registered :class:`orchestrl.api.World` per family of tasks.

``booking`` is the paper's Booking.com world of ComplexFuncBench (its data formats live in
:mod:`orchestrl.plugins.booking`), ``bfcl`` BFCL's multi-turn world (its support code, over the
``bfcl-eval`` package, lives in :mod:`orchestrl.plugins.bfcl`). Code outside these modules gets
the configured world from :func:`orchestrl.build.build_world` and calls its methods.
"""
