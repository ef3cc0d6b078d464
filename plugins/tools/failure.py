"""The one rule for a tool response that reports its own failure."""

from __future__ import annotations

from typing import Any


def response_failed(response: Any) -> bool:
    """Whether a response reports a failure itself: a dict with an ``error`` key or with
    ``status`` false (the Booking APIs' and BFCL backends' convention). The ``paper`` reward
    preset keeps the reference's looser test (``status == False``) on purpose."""
    return isinstance(response, dict) and ("error" in response or response.get("status") is False)
