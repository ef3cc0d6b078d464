"""The Booking.com travel world of ComplexFuncBench: its data files as orchestrl types."""
