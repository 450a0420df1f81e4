"""Handles: each freed exactly once; 100,000 created and freed without memory growth."""

from __future__ import annotations

import gc
import os

import pytest
from conftest import router_config

from ccsdk import Diagnostics, Program, Router

FLOW = 'flow tiny\nmain {\n    play "welcome"\n    hangup\n}\n'
ENV = 'prompts = ["welcome"]\n'


def resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def churn(config: str, rounds: int) -> int:
    """Creates and frees `rounds` handles of each kind in four ways; returns the count."""
    made = 0
    for i in range(rounds):
        with Router(config) as router:  # context manager
            router.login("1001", i)
        diagnostics = Diagnostics(FLOW, ENV)  # explicit close
        assert diagnostics.ok
        diagnostics.close()
        program = Program(FLOW, ENV)
        session = program.session(language="en", now_ms=0, wall_unix_ms=0)
        del program  # finalizer on garbage collection (reference counting)
        session.actions()
        session.close()
        made += 4
    return made


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_100k_handles_without_memory_growth() -> None:
    config = router_config("longest_idle")
    churn(config, 500)  # warm up allocators and caches
    gc.collect()
    before = resident_bytes()
    made = churn(config, 25_000)
    gc.collect()
    growth = resident_bytes() - before
    assert made == 100_000
    assert growth < 20 * 1024 * 1024, f"resident size grew by {growth / 2**20:.1f} MiB"


def test_free_exactly_once_under_every_path() -> None:
    router = Router(router_config("longest_idle"))
    finalizer = router._finalizer
    assert finalizer is not None and finalizer.alive
    with router:
        pass
    assert router.closed and not finalizer.alive
    router.close()  # already freed: nothing happens
    del router
    gc.collect()
