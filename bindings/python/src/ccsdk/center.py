"""A whole running contact center: SIP, media, IVR, queues, recording and storage.

:class:`Center` starts one from its TOML configuration file (the file ``ccd run`` takes)
on the library's own threads. Agents log in and out through it, :meth:`Center.snapshot`
reads the queues, and every event of the center (numbered, JSON) reaches your
``on_event`` function as a dict::

    def show(event):
        print(event["seq"], event["tenant"], event["event"], event.get("status"))

    with Center("center.toml", on_event=show) as center:
        center.login("1001")
        center.not_ready("1001", "lunch")
        print(center.snapshot()["queues"])
        center.stop(drain_s=5)
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import threading
from typing import Any, Callable, Dict, List, Optional, Set, Union

from . import _lib
from ._handle import Handle
from ._lib import LIB, Text, arg, check

#: An event of a running center, as parsed from its JSON: ``seq`` (1, 2, 3...; a gap means
#: events were missed), ``tenant`` (``None`` for center-wide events), ``event`` (``"agent"``,
#: ``"contact_ended"``, ``"registered"``) and the fields of that kind (for ``agent``:
#: ``agent``, ``status``, ``reason``).
CenterEvent = Dict[str, Any]

_MAX_DRAIN_MS = 2**32 - 1


def _free_center(ptr: Any, _keep_alive: Any) -> None:
    """Frees the handle; `_keep_alive` (the C callback object) lives until this returns."""
    LIB.cc_center_free(ptr)


class Center(Handle):
    """A running contact center (``cc_center_start``).

    Args:
        config_path: the center's TOML file; relative paths in it resolve against its
            folder. A missing file raises :class:`~ccsdk.CcIOError`, malformed TOML
            :class:`~ccsdk.ParseError` (naming line and key), a configuration with problems
            :class:`~ccsdk.ConfigError` (every problem, one per line).
        on_event: called with each event as a dict (see :data:`CenterEvent`), from one
            thread the library starts: never two calls at once, none after :meth:`stop`
            returns. It runs with the GIL held (ctypes takes it), so keep it short; it may
            call this center's other methods, but not :meth:`stop` or :meth:`close`. An
            exception it raises is kept in :attr:`callback_errors` and does not reach the
            library.

    All methods but :meth:`close` may be called from several threads at once; each
    releases the GIL while the library works. Leaving a ``with`` block (or :meth:`close`)
    stops a running center at once, ending live calls; call :meth:`stop` with a drain time
    first for a graceful stop.
    """

    def __init__(
        self,
        config_path: Union[str, "os.PathLike[str]"],
        on_event: Optional[Callable[[CenterEvent], None]] = None,
    ) -> None:
        path = os.fspath(config_path)
        if not isinstance(path, str):
            raise TypeError("config_path must be a str or a path of one, not bytes")
        errors: List[BaseException] = []
        self._callback_errors = errors
        # The library's event thread (one per center): `close()` refuses to run on it.
        delivering: Set[int] = set()
        self._delivering = delivering
        self._callback: Any
        if on_event is None:
            self._callback = _lib.CenterEventCb()  # a NULL function pointer
        else:
            handler = on_event

            def trampoline(_userdata: Any, data: Any, length: int) -> None:
                delivering.add(threading.get_ident())
                try:
                    handler(json.loads(ctypes.string_at(data, length).decode("utf-8")))
                except BaseException as err:  # noqa: BLE001 - must not unwind into C
                    errors.append(err)

            self._callback = _lib.CenterEventCb(trampoline)
        out = _lib.CenterP()
        check(LIB.cc_center_start(*arg(path), self._callback, None, ctypes.byref(out)))
        # The finalizer holds the callback object (not `self`), so C can call it until the
        # free has returned, however the handle is freed.
        self._own(out, functools.partial(_free_center, _keep_alive=self._callback))

    # Agents.
    def login(self, agent: Text, ready: bool = True) -> None:
        """Logs an agent in, ready or not ready.

        Raises :class:`~ccsdk.NotFoundError` for an agent not in the configuration and
        :class:`~ccsdk.InvalidStateError` when the router refuses (already logged in) or the
        center has stopped.
        """
        check(LIB.cc_center_agent_login(self._live, *arg(agent), bool(ready)))

    def ready(self, agent: Text) -> None:
        """Makes a logged-in agent ready; a waiting contact may be offered at once."""
        check(LIB.cc_center_agent_ready(self._live, *arg(agent)))

    def not_ready(self, agent: Text, reason: Text = "") -> None:
        """Makes an agent not ready, with an optional reason."""
        check(LIB.cc_center_agent_not_ready(self._live, *arg(agent), *arg(reason)))

    def logout(self, agent: Text) -> None:
        """Logs an agent out (:class:`~ccsdk.InvalidStateError` while it holds a contact)."""
        check(LIB.cc_center_agent_logout(self._live, *arg(agent)))

    # Supervisors.
    _MODES = {"listen": 0, "whisper": 1, "barge": 2}

    def supervise(self, supervisor: Text, contact: Text, mode: str = "listen") -> None:
        """A supervisor joins a call between a customer and an agent — ``"listen"`` (heard
        by nobody), ``"whisper"`` (heard by the agent only) or ``"barge"`` (heard by both) —
        or, already on it, changes mode. The center calls the supervisor's phone.

        Raises :class:`ValueError` for another mode, :class:`~ccsdk.NotFoundError` for a
        supervisor not in the configuration or a contact not in progress, and
        :class:`~ccsdk.InvalidStateError` when the agent does not supervise the contact's
        tenant, the contact is not talking to an agent, or another supervisor is on it.
        """
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {sorted(self._MODES)}, not {mode!r}")
        check(LIB.cc_center_supervise(self._live, *arg(supervisor), *arg(contact), self._MODES[mode]))

    def end_supervision(self, supervisor: Text, contact: Text) -> None:
        """The supervisor leaves the call; customer and agent talk on."""
        check(LIB.cc_center_end_supervision(self._live, *arg(supervisor), *arg(contact)))

    def force_release(self, supervisor: Text, contact: Text) -> None:
        """A supervisor ends a call: every leg is hung up (the record says who released it)."""
        check(LIB.cc_center_force_release(self._live, *arg(supervisor), *arg(contact)))

    # State.
    def snapshot(self) -> Dict[str, Any]:
        """The center now: ``{"queues": [...], "summary": {...}}``.

        Every configured queue of every tenant, with ``queue``, ``tenant``, ``waiting``,
        ``longest_wait_s``, ``in_service``, ``agents_ready``, ``agents_busy``,
        ``agents_wrap_up``, ``agents_not_ready``; ``summary`` holds the totals since start
        and ``live_calls``. :class:`~ccsdk.InvalidStateError` once stopped.
        """
        ptr = self._live
        text, _ = _lib.read_buffer(
            lambda buf, size, written: LIB.cc_center_snapshot_json(ptr, buf, size, written), 4096
        )
        result: Dict[str, Any] = json.loads(text)
        return result

    def contacts(self, tenant: Text) -> List[str]:
        """The ids of one tenant's contacts in progress, never another tenant's (``[]`` for a
        tenant not configured; :class:`~ccsdk.InvalidArgumentError` for a malformed id)."""
        ptr = self._live
        data, length = arg(tenant)
        text, _ = _lib.read_buffer(
            lambda buf, size, written: LIB.cc_center_contacts_json(ptr, data, length, buf, size, written)
        )
        result: List[str] = json.loads(text)
        return result

    def registrations(self, user: Text) -> List[str]:
        """The SIP contacts registered now for an agent's SIP user (a fixed ``contact`` from
        the configuration is not a registration)."""
        ptr = self._live
        data, length = arg(user)
        text, _ = _lib.read_buffer(
            lambda buf, size, written: LIB.cc_center_registrations_json(
                ptr, data, length, buf, size, written
            )
        )
        result: List[str] = json.loads(text)
        return result

    @property
    def sip_port(self) -> int:
        """The port the center's SIP endpoint listens on (the one chosen for ``:0``)."""
        port = ctypes.c_uint16(0)
        check(LIB.cc_center_sip_port(self._live, ctypes.byref(port)))
        return int(port.value)

    @property
    def http_port(self) -> int:
        """The port of the center's HTTP API (``[http] listen``), 0 when it has none."""
        port = ctypes.c_uint16(0)
        check(LIB.cc_center_http_port(self._live, ctypes.byref(port)))
        return int(port.value)

    @property
    def callback_errors(self) -> List[BaseException]:
        """Exceptions raised by ``on_event``, oldest first (the event was dropped)."""
        return list(self._callback_errors)

    def close(self) -> None:
        """Stops the center at once if it runs (live calls end), then frees it; later calls
        do nothing. Raises :class:`RuntimeError` when called from ``on_event``."""
        if threading.get_ident() in self._delivering:
            raise RuntimeError("Center.close() called from on_event; close it from another thread")
        super().close()

    def stop(self, drain_s: float = 0.0) -> None:
        """Stops gracefully: new calls are refused, live calls may go on for `drain_s`
        seconds and are then ended.

        Returns when the center has stopped, every record is written and ``on_event`` has
        had its last call. Stopping again does nothing. Must not be called from
        ``on_event`` (:class:`~ccsdk.InvalidStateError`).
        """
        drain_ms = round(float(drain_s) * 1000)
        if not 0 <= drain_ms <= _MAX_DRAIN_MS:
            raise ValueError(f"drain_s {drain_s} is not within 0 to {_MAX_DRAIN_MS / 1000} s")
        check(LIB.cc_center_stop(self._live, drain_ms))
