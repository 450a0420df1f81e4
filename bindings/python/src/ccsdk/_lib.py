"""Loading libcc_ffi and declaring every function of ``ccsdk.h`` for ctypes.

Private: the public classes (`Router`, `Program`, `Session`...) are the API. Every prototype
is declared here with its argument and result types, so ctypes converts and checks each
argument; `check` turns a `cc_result` into an exception with the library's message.
"""

from __future__ import annotations

import ctypes
import os
import sys
from ctypes import (
    POINTER,
    Structure,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint16,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any, Tuple, Union

from .errors import error_class

#: The ABI this binding was written against (``CC_ABI_VERSION`` of ``ccsdk.h``).
ABI_VERSION = 1
#: ``CC_NO_TIMEOUT``: no timer armed.
NO_TIMEOUT = 2**64 - 1

CC_OK = 0
CC_BUFFER_TOO_SMALL = 7003

_LIB_NAME = "libcc_ffi.dylib" if sys.platform == "darwin" else "libcc_ffi.so"


class CcStr(Structure):
    """``cc_str``: a borrowed UTF-8 string (pointer, length)."""

    _fields_ = [("ptr", POINTER(c_char)), ("len", c_size_t)]


class CcIvrDiagnostic(Structure):
    """``cc_ivr_diagnostic``."""

    _fields_ = [
        ("severity", c_uint32),
        ("line", c_uint32),
        ("column", c_uint32),
        ("start", c_uint32),
        ("end", c_uint32),
        ("message", CcStr),
        ("rendered", CcStr),
    ]


class CcIvrEvent(Structure):
    """``cc_ivr_event``."""

    _fields_ = [
        ("kind", c_uint32),
        ("digit", c_char),
        ("ok", c_bool),
        ("hook_id", c_uint32),
        ("text", CcStr),
    ]


class CcContact(Structure):
    """``cc_contact``."""

    _fields_ = [
        ("id", CcStr),
        ("queue", CcStr),
        ("channel", c_uint32),
        ("priority", c_uint8),
        ("language", CcStr),
        ("skills", CcStr),
        ("preferred_agent", CcStr),
    ]


class CcCommand(Structure):
    """``cc_command``."""

    _fields_ = [
        ("kind", c_uint32),
        ("contact", CcStr),
        ("agent", CcStr),
        ("queue", CcStr),
        ("text", CcStr),
        ("lease_until_ms", c_uint64),
        ("position", c_uint64),
        ("estimated_wait_ms", c_uint64),
    ]


class CcQueueStats(Structure):
    """``cc_queue_stats``."""

    _fields_ = [
        ("entered", c_uint64),
        ("offers", c_uint64),
        ("answered", c_uint64),
        ("answered_in_sl", c_uint64),
        ("abandoned", c_uint64),
        ("overflowed", c_uint64),
        ("rejected", c_uint64),
        ("callbacks", c_uint64),
        ("completed", c_uint64),
        ("waiting", c_uint64),
        ("in_service", c_uint64),
        ("longest_wait_ms", c_uint64),
        ("estimated_wait_ms", c_uint64),
        ("service_level", c_double),
        ("asa_ms", c_double),
        ("aht_ms", c_double),
        ("agents_logged_in", c_uint32),
        ("agents_ready", c_uint32),
        ("agents_busy", c_uint32),
    ]


# Opaque handle types: distinct pointer types, so a router cannot be passed as a session.
class _Router(Structure):
    pass


class _Diagnostics(Structure):
    pass


class _Program(Structure):
    pass


class _Session(Structure):
    pass


class _Center(Structure):
    pass


RouterP = POINTER(_Router)
DiagnosticsP = POINTER(_Diagnostics)
ProgramP = POINTER(_Program)
SessionP = POINTER(_Session)
CenterP = POINTER(_Center)

#: ``cc_center_event_cb``: ``void (*)(void *userdata, const char *json, size_t len)``.
#: ctypes takes the GIL around each call of a Python function wrapped in it.
CenterEventCb = ctypes.CFUNCTYPE(None, c_void_p, POINTER(c_char), c_size_t)

_R = c_uint32  # cc_result
_S = (c_char_p, c_size_t)  # a (pointer, length) string argument

_PROTOTYPES: Tuple[Tuple[str, Any, Tuple[Any, ...]], ...] = (
    ("cc_abi_version", c_uint32, ()),
    ("cc_version", c_char_p, ()),
    ("cc_error_message", _R, (POINTER(c_char), c_size_t, POINTER(c_size_t))),
    ("cc_result_name", c_char_p, (c_uint32,)),
    # IVR
    ("cc_ivr_check", _R, (*_S, *_S, *_S, POINTER(DiagnosticsP))),
    ("cc_ivr_diagnostics_count", c_size_t, (DiagnosticsP,)),
    ("cc_ivr_diagnostics_error_count", c_size_t, (DiagnosticsP,)),
    ("cc_ivr_diagnostics_get", _R, (DiagnosticsP, c_size_t, POINTER(CcIvrDiagnostic))),
    ("cc_ivr_diagnostics_free", None, (DiagnosticsP,)),
    ("cc_ivr_program_compile", _R, (*_S, *_S, POINTER(ProgramP))),
    ("cc_ivr_program_version", _R, (ProgramP, POINTER(c_char), c_size_t, POINTER(c_size_t))),
    ("cc_ivr_program_free", None, (ProgramP,)),
    ("cc_ivr_session_new", _R, (ProgramP, *_S, *_S, *_S, c_uint64, c_int64, POINTER(SessionP))),
    (
        "cc_ivr_session_new_with_resources",
        _R,
        (ProgramP, *_S, *_S, *_S, *_S, c_uint64, c_int64, POINTER(SessionP)),
    ),
    ("cc_ivr_session_free", None, (SessionP,)),
    ("cc_ivr_session_handle_event", _R, (SessionP, POINTER(CcIvrEvent), c_uint64)),
    ("cc_ivr_session_handle_timeout", _R, (SessionP, c_uint64)),
    ("cc_ivr_session_poll_timeout", _R, (SessionP, POINTER(c_uint64))),
    ("cc_ivr_session_is_finished", c_bool, (SessionP,)),
    ("cc_ivr_session_poll_action", _R, (SessionP, POINTER(c_char), c_size_t, POINTER(c_size_t))),
    # Router
    ("cc_router_new", _R, (*_S, POINTER(RouterP))),
    ("cc_router_free", None, (RouterP,)),
    ("cc_router_agent_login", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_agent_ready", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_agent_logout", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_agent_wrap_up_done", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_agent_not_ready", _R, (RouterP, *_S, *_S, c_uint64)),
    ("cc_router_enqueue", _R, (RouterP, POINTER(CcContact), c_uint64)),
    ("cc_router_accept", _R, (RouterP, *_S, *_S, c_uint64)),
    ("cc_router_reject", _R, (RouterP, *_S, *_S, c_uint64)),
    ("cc_router_complete", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_abandon", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_request_callback", _R, (RouterP, *_S, c_uint64)),
    ("cc_router_poll_command", _R, (RouterP, POINTER(CcCommand))),
    ("cc_router_poll_timeout", _R, (RouterP, POINTER(c_uint64))),
    ("cc_router_handle_timeout", _R, (RouterP, c_uint64)),
    ("cc_router_queue_stats", _R, (RouterP, *_S, c_uint64, POINTER(CcQueueStats))),
    ("cc_router_tenant_stats", _R, (RouterP, *_S, c_uint64, POINTER(CcQueueStats))),
    # Center
    ("cc_center_start", _R, (*_S, CenterEventCb, c_void_p, POINTER(CenterP))),
    ("cc_center_agent_login", _R, (CenterP, *_S, c_bool)),
    ("cc_center_agent_ready", _R, (CenterP, *_S)),
    ("cc_center_agent_not_ready", _R, (CenterP, *_S, *_S)),
    ("cc_center_agent_logout", _R, (CenterP, *_S)),
    ("cc_center_snapshot_json", _R, (CenterP, POINTER(c_char), c_size_t, POINTER(c_size_t))),
    ("cc_center_contacts_json", _R, (CenterP, *_S, POINTER(c_char), c_size_t, POINTER(c_size_t))),
    (
        "cc_center_registrations_json",
        _R,
        (CenterP, *_S, POINTER(c_char), c_size_t, POINTER(c_size_t)),
    ),
    ("cc_center_sip_port", _R, (CenterP, POINTER(c_uint16))),
    ("cc_center_http_port", _R, (CenterP, POINTER(c_uint16))),
    ("cc_center_supervise", _R, (CenterP, *_S, *_S, c_uint32)),
    ("cc_center_end_supervision", _R, (CenterP, *_S, *_S)),
    ("cc_center_force_release", _R, (CenterP, *_S, *_S)),
    ("cc_center_stop", _R, (CenterP, c_uint32)),
    ("cc_center_free", None, (CenterP,)),
    # Staffing
    ("cc_erlang_c", _R, (c_double, c_uint32, POINTER(c_double))),
    ("cc_erlang_service_level", _R, (c_double, c_uint32, c_double, c_double, POINTER(c_double))),
    ("cc_erlang_asa", _R, (c_double, c_uint32, c_double, POINTER(c_double))),
    ("cc_erlang_agents_needed", _R, (c_double, c_double, c_double, c_double, POINTER(c_uint32))),
)


def _library_path() -> str:
    override = os.environ.get("CCSDK_LIBRARY")
    if override:
        return override
    return str(Path(__file__).resolve().parent / _LIB_NAME)


def _load() -> ctypes.CDLL:
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as err:
        raise ImportError(
            f"ccsdk: cannot load the C ABI library {path}: {err}; reinstall the package "
            "(it builds libcc_ffi with cargo) or set CCSDK_LIBRARY to a libcc_ffi.so"
        ) from err
    for name, restype, argtypes in _PROTOTYPES:
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = list(argtypes)
    abi = lib.cc_abi_version()
    if abi != ABI_VERSION:
        raise ImportError(
            f"ccsdk: {path} has ABI version {abi}, this binding needs {ABI_VERSION}; "
            "reinstall the package from the same checkout"
        )
    return lib


LIB = _load()


def last_error() -> str:
    """The message of the last failed call on this thread (``cc_error_message``)."""
    buf = ctypes.create_string_buffer(4096)
    written = c_size_t(0)
    if LIB.cc_error_message(buf, len(buf), ctypes.byref(written)) != CC_OK:
        return ""
    return buf.raw[: written.value].decode("utf-8", "replace")


def result_name(code: int) -> str:
    """``cc_result_name``: ``"CC_NOT_FOUND"`` for 7101."""
    return (LIB.cc_result_name(code) or b"CC_UNKNOWN_RESULT").decode("ascii", "replace")


def check(code: int) -> None:
    """Raises the exception for a `cc_result` other than ``CC_OK``, with the library's text."""
    if code != CC_OK:
        raise error_class(code)(code, result_name(code), last_error())


Text = Union[str, bytes]


def utf8(value: Text) -> bytes:
    """A string argument as UTF-8 bytes; `bytes` pass unchanged (the library validates them)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"expected str or bytes, got {type(value).__name__}")


def arg(value: Text) -> Tuple[bytes, int]:
    """A string as the (pointer, length) pair of a C call."""
    data = utf8(value)
    return data, len(data)


def cc_str(data: bytes) -> CcStr:
    """A `cc_str` over `data`; the caller keeps `data` alive for the call."""
    if not data:
        return CcStr(None, 0)
    return CcStr(ctypes.cast(c_char_p(data), POINTER(c_char)), len(data))


def from_cc_str(value: CcStr) -> str:
    """Copies a borrowed `cc_str` into a Python string."""
    if value.len == 0 or not value.ptr:
        return ""
    return ctypes.string_at(value.ptr, value.len).decode("utf-8")


def read_buffer(call: Any, initial: int = 1024) -> Tuple[str, int]:
    """Runs a `(buf, len, &out_len)` call, growing the buffer on ``CC_BUFFER_TOO_SMALL``.

    Returns the text and its length in bytes.
    """
    size = initial
    while True:
        buf = ctypes.create_string_buffer(size)
        written = c_size_t(0)
        code = call(buf, size, ctypes.byref(written))
        if code == CC_BUFFER_TOO_SMALL and written.value > size:
            size = written.value
            continue
        check(code)
        return buf.raw[: written.value].decode("utf-8"), written.value
