"""Routing with a policy of your own around the SDK's router: VIP customers first.

The router (strategies, skills, leases, statistics) stays ours; the policy decides what it
is told. Here `VipFirstPolicy` looks each caller up in a CRM table: VIPs enter with a high
priority and their account manager as the preferred agent, everyone else with priority 0.
A simulated clock drives the router; agents answer at once and talk for three minutes.

Run it with the Python that has the package installed:

    target/py-venv/bin/python examples/python/route_with_policy.py
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Dict, List, Tuple

import ccsdk
from ccsdk import CommandKind, Contact, Router

CONFIG = """
[[queue]]
id = "support"
tenant = "acme"
strategy = "longest_idle"
ring_timeout_ms = 15000

[[agent]]
id = "alice"
tenants = { acme = { "lang:en" = 9 } }

[[agent]]
id = "bob"
tenants = { acme = { "lang:en" = 6 } }
"""

# The CRM: caller number -> (tier, account manager).
CRM: Dict[str, Tuple[str, str]] = {
    "+8613700000001": ("vip", "bob"),
    "+8613700000002": ("vip", "alice"),
}

TALK_MS = 180_000


@dataclass
class VipFirstPolicy:
    """Turns a call into a routed contact: VIPs first, to their account manager if free."""

    vip_priority: int = 9

    def contact(self, contact_id: str, caller: str, queue: str) -> Contact:
        tier, manager = CRM.get(caller, ("standard", ""))
        if tier == "vip":
            return Contact(
                contact_id,
                queue,
                language="en",
                priority=self.vip_priority,
                preferred_agent=manager,
            )
        return Contact(contact_id, queue, language="en")


def main() -> None:
    policy = VipFirstPolicy()
    # (time, contact id, caller): two standard callers, then two VIPs while all are busy.
    arrivals = [
        (1_000, "c-1", "+8613800000001"),
        (2_000, "c-2", "+8613800000002"),
        (3_000, "c-3", "+8613800000003"),
        (4_000, "c-4", "+8613700000001"),
        (5_000, "c-5", "+8613700000002"),
    ]
    hangups: List[Tuple[int, str]] = []  # (time, contact) of calls in progress
    served: List[str] = []

    print(f"ccsdk {ccsdk.library_version()} (ABI {ccsdk.abi_version()})")
    with Router(CONFIG) as router:
        router.login("alice", 0)
        router.login("bob", 0)

        def drain(now: int) -> None:
            for command in router.commands():
                if command.kind == CommandKind.OFFER:
                    router.accept(command.contact, command.agent, now)
                    served.append(command.contact)
                    heapq.heappush(hangups, (now + TALK_MS, command.contact))
                    print(f"t={now / 1000:6.1f}s {command.contact} -> {command.agent}")
                elif command.kind == CommandKind.ANNOUNCE:
                    print(
                        f"t={now / 1000:6.1f}s {command.contact} waits: position "
                        f"{command.position}, about {command.estimated_wait_ms // 1000} s"
                    )

        for at, contact_id, caller in arrivals:
            while hangups and hangups[0][0] <= at:
                end, done = heapq.heappop(hangups)
                router.complete(done, end)
                drain(end)
            router.enqueue(policy.contact(contact_id, caller, "support"), at)
            drain(at)
        while hangups:
            end, done = heapq.heappop(hangups)
            router.complete(done, end)
            drain(end)

        stats = router.queue_stats("support", 10 * TALK_MS)
        print(
            f"support: {stats.entered} entered, {stats.answered} answered, "
            f"ASA {stats.asa_ms / 1000:.1f} s"
        )
    # The VIPs (c-4, c-5) overtook c-3, who arrived earlier.
    assert served.index("c-4") < served.index("c-3")
    assert served.index("c-5") < served.index("c-3")


if __name__ == "__main__":
    main()
