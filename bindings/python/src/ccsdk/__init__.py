"""ccsdk: the contact-center SDK's engines from Python, over its C ABI (cc-ffi).

- :class:`Router`: the sans-IO ACD router (queues, agents, skills, strategies), driven by
  your own clock;
- :class:`Diagnostics`, :class:`Program`, :class:`Session`: check an IVR flow, compile it,
  run caller sessions;
- :func:`erlang_c`, :func:`service_level`, :func:`asa`, :func:`agents_needed`: staffing;
- :class:`Center`: a whole running contact center (SIP, media, IVR, queues, storage)
  started from its TOML file, with agent controls, snapshots and events as dicts.

Every failed call raises a :class:`CcError` subclass carrying the ``cc_result`` code and the
library's message. Each handle is owned by one object and freed exactly once: by
``close()``, a ``with`` block, or the garbage collector.
"""

from __future__ import annotations

from ._lib import ABI_VERSION, LIB, result_name
from .center import Center, CenterEvent
from .errors import (
    AlreadyExistsError,
    ArgumentError,
    BufferTooSmallError,
    CcError,
    CcIOError,
    ConfigError,
    ConfigurationError,
    FlowError,
    InvalidArgumentError,
    InvalidStateError,
    InvalidUtf8Error,
    NotFoundError,
    NullParameterError,
    PanicError,
    ParseError,
    StateError,
)
from .ivr import (
    Action,
    ActionKind,
    Calendar,
    Diagnostic,
    Diagnostics,
    Event,
    EventKind,
    Program,
    Resources,
    Session,
    Severity,
    check_flow,
    compile_flow,
)
from .router import Channel, Command, CommandKind, Contact, QueueStats, Router
from .staffing import agents_needed, asa, erlang_c, service_level

__version__ = "0.1.0"


def library_version() -> str:
    """The SDK version of the loaded library (``cc_version``)."""
    version: bytes = LIB.cc_version()
    return version.decode("utf-8")


def abi_version() -> int:
    """The ABI version of the loaded library (``cc_abi_version``)."""
    return int(LIB.cc_abi_version())


__all__ = [
    "ABI_VERSION",
    "abi_version",
    "library_version",
    "result_name",
    # errors
    "CcError",
    "ArgumentError",
    "NullParameterError",
    "InvalidArgumentError",
    "InvalidUtf8Error",
    "BufferTooSmallError",
    "StateError",
    "InvalidStateError",
    "NotFoundError",
    "AlreadyExistsError",
    "ConfigurationError",
    "ParseError",
    "ConfigError",
    "FlowError",
    "CcIOError",
    "PanicError",
    # router
    "Router",
    "Contact",
    "Channel",
    "Command",
    "CommandKind",
    "QueueStats",
    # ivr
    "Diagnostics",
    "Diagnostic",
    "Severity",
    "Program",
    "Session",
    "Resources",
    "Calendar",
    "Action",
    "ActionKind",
    "Event",
    "EventKind",
    "check_flow",
    "compile_flow",
    # center
    "Center",
    "CenterEvent",
    # staffing
    "erlang_c",
    "service_level",
    "asa",
    "agents_needed",
]
