"""The Booking.com travel world of ComplexFuncBench: the world object
(:mod:`~orchestrl.plugins.worlds.booking.world`) and its data files as orchestrl types
(:mod:`~orchestrl.plugins.worlds.booking.data`)."""
