"""Routing decisions per second through the Python binding.

Workload: one queue (`most_skilled`), 50 agents with English at levels 1-10, all logged
in. Each decision is one contact's whole life through the binding: enqueue, drain the
commands (an offer), accept, complete, drain again — five C calls and their checks.

    target/py-venv/bin/python bindings/python/bench/decisions.py [contacts]
"""

from __future__ import annotations

import sys
import time

from ccsdk import CommandKind, Contact, Router

AGENTS = 50


def config() -> str:
    parts = ['[[queue]]\nid = "sales"\ntenant = "acme"\nstrategy = "most_skilled"\n']
    for i in range(AGENTS):
        level = i % 10 + 1
        parts.append(f'[[agent]]\nid = "a{i}"\ntenants = {{ acme = {{ "lang:en" = {level} }} }}\n')
    return "\n".join(parts)


def main() -> None:
    contacts = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    with Router(config()) as router:
        for i in range(AGENTS):
            router.login(f"a{i}", 0)
        now = 1
        started = time.perf_counter()
        for n in range(contacts):
            contact = f"c-{n}"
            router.enqueue(Contact(contact, "sales", language="en"), now)
            agent = ""
            for command in router.commands():
                if command.kind == CommandKind.OFFER:
                    agent = command.agent
            router.accept(contact, agent, now)
            router.complete(contact, now + 1)
            list(router.commands())
            now += 2
        elapsed = time.perf_counter() - started
    print(
        f"{contacts} decisions in {elapsed:.2f} s: {contacts / elapsed:,.0f} decisions/s "
        f"({elapsed / contacts * 1e6:.1f} µs each: enqueue, offer, accept, complete)"
    )


if __name__ == "__main__":
    main()
