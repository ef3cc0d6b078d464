"""Hydra configs shipped with orchestrl (``pkg://orchestrl.conf``)."""
