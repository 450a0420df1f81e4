"""Routing contacts to agents through the C ABI, driven by a clock of our own."""

from __future__ import annotations

import math

import pytest
from conftest import router_config

import ccsdk
from ccsdk import Command, CommandKind, Contact, Router


def offers(commands: list[Command]) -> list[tuple[str, str]]:
    return [(c.contact, c.agent) for c in commands if c.kind == CommandKind.OFFER]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        # 1001 has waited longest (logged in first); 1002 has the higher English level.
        ("longest_idle", "1001"),
        ("most_skilled", "1002"),
    ],
)
def test_two_strategies_choose_different_agents(strategy: str, expected: str) -> None:
    with Router(router_config(strategy)) as router:
        router.login("1001", now_ms=0)
        router.login("1002", now_ms=5_000)
        assert list(router.commands()) == []
        router.enqueue(Contact("c-1", "sales", language="en"), now_ms=10_000)
        commands = list(router.commands())
        assert offers(commands) == [("c-1", expected)]
        offer = next(c for c in commands if c.kind == CommandKind.OFFER)
        assert offer.queue == "sales"
        assert offer.lease_until_ms == 20_000  # the ring timeout after the offer
        assert router.poll_timeout() == 20_000


def test_a_day_of_contacts_accept_complete_and_ring_timeout() -> None:
    with Router(router_config("longest_idle")) as router:
        now = 1_000
        router.login("1001", now)
        router.login("1002", now)
        taken: dict[str, str] = {}
        for i, skills in enumerate([{}, {"billing": 5}, {}]):
            router.enqueue(Contact(f"c-{i + 1}", "sales", language="en", skills=skills), now)
            for command in router.commands():
                if command.kind == CommandKind.OFFER:
                    router.accept(command.contact, command.agent, now)
                    taken[command.contact] = command.agent
            now += 500
        # Only 1002 has billing; the third contact waits for a free agent.
        assert taken["c-2"] == "1002"
        assert set(taken) == {"c-1", "c-2"}
        stats = router.queue_stats("sales", now)
        assert (stats.entered, stats.answered, stats.waiting) == (3, 2, 1)
        assert stats.agents_logged_in == 2 and stats.agents_busy == 2

        # c-1 ends: its agent is offered c-3 but does not answer before the ring timeout.
        now += 60_000
        router.complete("c-1", now)
        assert offers(list(router.commands())) == [("c-3", taken["c-1"])]
        at = router.poll_timeout()
        assert at is not None and at > now
        router.handle_timeout(at)
        kinds = [c.kind for c in router.commands()]
        assert CommandKind.CANCEL_OFFER in kinds

        tenant = router.tenant_stats("acme", at)
        assert tenant.entered == 3 and tenant.completed == 1
        assert not math.isnan(tenant.asa_ms)


def test_priority_serves_vip_first() -> None:
    with Router(router_config("longest_idle")) as router:
        router.login("1001", 0)
        router.not_ready("1001", 0, reason="lunch")
        router.enqueue(Contact("normal", "sales", language="en"), 100)
        router.enqueue(Contact("vip", "sales", language="en", priority=9), 200)
        list(router.commands())
        router.ready("1001", 300)
        assert offers(list(router.commands())) == [("vip", "1001")]


def test_closed_router_refuses_use() -> None:
    router = Router(router_config("longest_idle"))
    router.close()
    router.close()  # a second close does nothing
    assert router.closed
    with pytest.raises(ValueError, match="closed"):
        router.login("1001", 0)


def test_library_versions() -> None:
    assert ccsdk.abi_version() == ccsdk.ABI_VERSION
    assert ccsdk.library_version().count(".") == 2
