"""Erlang C staffing figures: pure functions, callable from any thread.

`traffic` is in Erlangs: arrivals per second times the average handle time in seconds
(360 calls an hour of 3 minutes each are 360 / 3600 * 180 = 18 Erlangs).
"""

from __future__ import annotations

import ctypes

from ._lib import LIB, check


def erlang_c(traffic: float, agents: int) -> float:
    """The probability that a contact waits at all (1.0 when ``agents <= traffic``).

    >>> round(erlang_c(10.0, 12), 4)
    0.4494
    """
    out = ctypes.c_double(0.0)
    check(LIB.cc_erlang_c(traffic, agents, ctypes.byref(out)))
    return out.value


def service_level(traffic: float, agents: int, aht_s: float, threshold_s: float) -> float:
    """The fraction of contacts answered within `threshold_s` seconds (0.0 when unstable)."""
    out = ctypes.c_double(0.0)
    check(LIB.cc_erlang_service_level(traffic, agents, aht_s, threshold_s, ctypes.byref(out)))
    return out.value


def asa(traffic: float, agents: int, aht_s: float) -> float:
    """The average speed of answer in seconds (infinity when unstable)."""
    out = ctypes.c_double(0.0)
    check(LIB.cc_erlang_asa(traffic, agents, aht_s, ctypes.byref(out)))
    return out.value


def agents_needed(traffic: float, aht_s: float, threshold_s: float, target: float) -> int:
    """The fewest agents whose service level within `threshold_s` reaches `target` (0 < target < 1)."""
    out = ctypes.c_uint32(0)
    check(LIB.cc_erlang_agents_needed(traffic, aht_s, threshold_s, target, ctypes.byref(out)))
    return out.value
