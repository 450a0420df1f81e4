"""The ACD router: queues, agents and contacts, driven by your own clock.

A sans-IO core: after every input (`Router.login`, `Router.enqueue`, `Router.accept`...)
drain `Router.commands`, then arm one timer at `Router.poll_timeout` and call
`Router.handle_timeout` when it fires. Times are milliseconds on your monotonic clock.
"""

from __future__ import annotations

import ctypes
import enum
from dataclasses import dataclass, field
from typing import Iterator, Mapping, Optional, Union

from . import _lib
from ._handle import Handle
from ._lib import LIB, Text, arg, check, from_cc_str, utf8


class Channel(enum.IntEnum):
    """Media channels (``cc_channel``)."""

    VOICE = 0
    CALLBACK = 1
    CHAT = 2
    EMAIL = 3
    SMS = 4
    FAX = 5
    VIDEO = 6
    SOCIAL = 7


class CommandKind(enum.IntEnum):
    """What a `Command` asks for (``cc_command_kind``)."""

    OFFER = 1
    """Ring `agent` with `contact`; report `Router.accept` or `Router.reject`."""
    DIAL_CALLBACK = 2
    """A callback reached `agent`: dial the customer, then `Router.accept`."""
    CANCEL_OFFER = 3
    """Stop ringing `agent`; `text` says why."""
    OVERFLOW = 4
    """Send `contact` to `text` (``queue:ID``, ``agent:ID``, ``flow:ID``, an address)."""
    REJECT = 5
    """End `contact`; `text` says why."""
    ANNOUNCE = 6
    """Tell the caller `position` and `estimated_wait_ms`."""


@dataclass(frozen=True)
class Contact:
    """A contact entering a queue (``cc_contact``).

    `skills` are extra required skills with minimum levels (``{"billing": 5}``);
    `language` (e.g. ``"yue"``) routes as skill ``lang:<tag>``.
    """

    id: str
    queue: str
    channel: Channel = Channel.VOICE
    priority: int = 0
    language: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    preferred_agent: str = ""


@dataclass(frozen=True)
class Command:
    """One thing the router asks the host to do (``cc_command``), copied out of the router."""

    kind: CommandKind
    contact: str
    agent: str = ""
    queue: str = ""
    text: str = ""
    lease_until_ms: int = 0
    position: int = 0
    estimated_wait_ms: int = 0


@dataclass(frozen=True)
class QueueStats:
    """A statistics snapshot of a queue or of a tenant's queues (``cc_queue_stats``).

    Rates are NaN before the first contact, answer or completion.
    """

    entered: int
    offers: int
    answered: int
    answered_in_sl: int
    abandoned: int
    overflowed: int
    rejected: int
    callbacks: int
    completed: int
    waiting: int
    in_service: int
    longest_wait_ms: int
    estimated_wait_ms: int
    service_level: float
    asa_ms: float
    aht_ms: float
    agents_logged_in: int
    agents_ready: int
    agents_busy: int


def _skills_text(skills: Union[Mapping[str, int], str]) -> str:
    if isinstance(skills, str):
        return skills
    return ",".join(f"{name}={int(level)}" for name, level in skills.items())


class Router(Handle):
    """An ACD router made from a TOML configuration (``cc_router_new``).

    Use it from one thread at a time. Close it with :meth:`close` or a ``with`` block (a
    finalizer frees it otherwise)::

        with Router(config) as router:
            router.login("1001", now_ms=0)
            router.enqueue(Contact("c-1", "sales", language="en"), now_ms=0)
            for command in router.commands():
                ...

    Raises :class:`~ccsdk.ParseError` for a configuration that does not parse (the message
    names the line and key) and :class:`~ccsdk.ConfigError` for one the router refuses.
    """

    def __init__(self, config: Text) -> None:
        out = _lib.RouterP()
        check(LIB.cc_router_new(*arg(config), ctypes.byref(out)))
        self._own(out, LIB.cc_router_free)

    # Agents.
    def login(self, agent: Text, now_ms: int) -> None:
        """Logs an agent in, ready (``NotFoundError`` for an agent not configured)."""
        check(LIB.cc_router_agent_login(self._live, *arg(agent), now_ms))

    def ready(self, agent: Text, now_ms: int) -> None:
        """Makes a logged-in agent ready; waiting contacts may be offered at once."""
        check(LIB.cc_router_agent_ready(self._live, *arg(agent), now_ms))

    def not_ready(self, agent: Text, now_ms: int, reason: Text = "") -> None:
        """Makes an agent not ready, with an optional reason."""
        check(LIB.cc_router_agent_not_ready(self._live, *arg(agent), *arg(reason), now_ms))

    def logout(self, agent: Text, now_ms: int) -> None:
        """Logs an agent out (``InvalidStateError`` while it holds a contact)."""
        check(LIB.cc_router_agent_logout(self._live, *arg(agent), now_ms))

    def wrap_up_done(self, agent: Text, now_ms: int) -> None:
        """Ends an agent's wrap-up early."""
        check(LIB.cc_router_agent_wrap_up_done(self._live, *arg(agent), now_ms))

    # Contacts.
    def enqueue(self, contact: Contact, now_ms: int) -> None:
        """A contact enters its queue; drain :meth:`commands` next."""
        if not 0 <= int(contact.priority) <= 255:
            raise ValueError(f"priority {contact.priority} is not within 0 to 255")
        keep = [
            utf8(contact.id),
            utf8(contact.queue),
            utf8(contact.language),
            utf8(_skills_text(contact.skills)),
            utf8(contact.preferred_agent),
        ]
        raw = _lib.CcContact(
            id=_lib.cc_str(keep[0]),
            queue=_lib.cc_str(keep[1]),
            channel=int(contact.channel),
            priority=int(contact.priority),
            language=_lib.cc_str(keep[2]),
            skills=_lib.cc_str(keep[3]),
            preferred_agent=_lib.cc_str(keep[4]),
        )
        check(LIB.cc_router_enqueue(self._live, ctypes.byref(raw), now_ms))
        del keep

    def accept(self, contact: Text, agent: Text, now_ms: int) -> None:
        """The agent answered the offer (or the dialled callback connected)."""
        check(LIB.cc_router_accept(self._live, *arg(contact), *arg(agent), now_ms))

    def reject(self, contact: Text, agent: Text, now_ms: int) -> None:
        """The agent declined the offer; the contact goes back to its place."""
        check(LIB.cc_router_reject(self._live, *arg(contact), *arg(agent), now_ms))

    def complete(self, contact: Text, now_ms: int) -> None:
        """A connected contact ended normally."""
        check(LIB.cc_router_complete(self._live, *arg(contact), now_ms))

    def abandon(self, contact: Text, now_ms: int) -> None:
        """The customer hung up while waiting or ringing."""
        check(LIB.cc_router_abandon(self._live, *arg(contact), now_ms))

    def request_callback(self, contact: Text, now_ms: int) -> None:
        """A waiting caller asks to be called back, keeping their place."""
        check(LIB.cc_router_request_callback(self._live, *arg(contact), now_ms))

    # Output.
    def poll_command(self) -> Optional[Command]:
        """The next pending command, copied, or None when there is none."""
        raw = _lib.CcCommand()
        check(LIB.cc_router_poll_command(self._live, ctypes.byref(raw)))
        if raw.kind == 0:
            return None
        return Command(
            kind=CommandKind(raw.kind),
            contact=from_cc_str(raw.contact),
            agent=from_cc_str(raw.agent),
            queue=from_cc_str(raw.queue),
            text=from_cc_str(raw.text),
            lease_until_ms=raw.lease_until_ms,
            position=raw.position,
            estimated_wait_ms=raw.estimated_wait_ms,
        )

    def commands(self) -> Iterator[Command]:
        """Drains the pending commands. Calling the router while iterating is allowed."""
        while True:
            command = self.poll_command()
            if command is None:
                return
            yield command

    def poll_timeout(self) -> Optional[int]:
        """When :meth:`handle_timeout` should next be called, or None when no timer is armed."""
        out = ctypes.c_uint64(0)
        check(LIB.cc_router_poll_timeout(self._live, ctypes.byref(out)))
        return None if out.value == _lib.NO_TIMEOUT else out.value

    def handle_timeout(self, now_ms: int) -> None:
        """Fires every timer due at `now_ms` (leases, wrap-ups, max waits)."""
        check(LIB.cc_router_handle_timeout(self._live, now_ms))

    # Statistics.
    def queue_stats(self, queue: Text, now_ms: int) -> QueueStats:
        """A snapshot of one queue (``NotFoundError`` for an unknown queue)."""
        raw = _lib.CcQueueStats()
        check(LIB.cc_router_queue_stats(self._live, *arg(queue), now_ms, ctypes.byref(raw)))
        return _stats(raw)

    def tenant_stats(self, tenant: Text, now_ms: int) -> QueueStats:
        """A snapshot of all queues of one tenant (``NotFoundError`` for an unknown tenant)."""
        raw = _lib.CcQueueStats()
        check(LIB.cc_router_tenant_stats(self._live, *arg(tenant), now_ms, ctypes.byref(raw)))
        return _stats(raw)


def _stats(raw: _lib.CcQueueStats) -> QueueStats:
    return QueueStats(**{spec[0]: getattr(raw, spec[0]) for spec in raw._fields_})
