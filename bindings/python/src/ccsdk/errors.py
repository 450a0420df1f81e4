"""Exceptions raised for the `cc_result` codes of the C ABI.

Every failed call raises a subclass of :class:`CcError` that carries the numeric code, its
name (``"CC_NOT_FOUND"``) and the library's message for that failure. The classes follow the
code families of ``ccsdk.h``: arguments (7000), state (7100), configuration (7200),
I/O (7300) and internal errors (7900).
"""

from __future__ import annotations

from typing import Dict, Type


class CcError(Exception):
    """A `cc_*` call failed.

    Attributes:
        code: the ``cc_result`` number (e.g. 7101).
        name: its name in ``ccsdk.h`` (e.g. ``"CC_NOT_FOUND"``).
        message: the library's text: the function, the bad value and what would be right.
    """

    def __init__(self, code: int, name: str, message: str) -> None:
        super().__init__(f"{name} ({code}): {message}")
        self.code = code
        self.name = name
        self.message = message


# 7000: arguments.
class ArgumentError(CcError, ValueError):
    """An argument was refused (family 7000)."""


class NullParameterError(ArgumentError):
    """A required pointer was NULL (``CC_NULL_PARAMETER``); a bug of the binding."""


class InvalidArgumentError(ArgumentError):
    """An argument was out of range or malformed (``CC_INVALID_ARGUMENT``)."""


class InvalidUtf8Error(ArgumentError):
    """A string argument was not valid UTF-8 (``CC_INVALID_UTF8``)."""


class BufferTooSmallError(ArgumentError):
    """An output buffer was too small (``CC_BUFFER_TOO_SMALL``); the binding retries."""


# 7100: state.
class StateError(CcError):
    """The call does not fit the current state (family 7100)."""


class InvalidStateError(StateError):
    """Not allowed now (``CC_INVALID_STATE``), e.g. a busy agent logging out."""


class NotFoundError(StateError, LookupError):
    """A named queue, agent, contact or tenant does not exist (``CC_NOT_FOUND``)."""


class AlreadyExistsError(StateError):
    """A queue, agent or contact with that id exists already (``CC_ALREADY_EXISTS``)."""


# 7200: configuration and source text.
class ConfigurationError(CcError):
    """A configuration, environment or flow was refused (family 7200)."""


class ParseError(ConfigurationError):
    """A configuration or environment text could not be parsed (``CC_PARSE_ERROR``)."""


class ConfigError(ConfigurationError):
    """A configuration parsed but was refused (``CC_CONFIG_ERROR``)."""


class FlowError(ConfigurationError):
    """An IVR flow has errors and was not compiled (``CC_FLOW_ERROR``)."""


# 7300: input and output.
class CcIOError(CcError, OSError):
    """An input or output error (``CC_IO_ERROR``)."""


# 7900: internal.
class PanicError(CcError):
    """A bug inside the library (``CC_PANIC``); the handle involved should be closed."""


_BY_CODE: Dict[int, Type[CcError]] = {
    7000: NullParameterError,
    7001: InvalidArgumentError,
    7002: InvalidUtf8Error,
    7003: BufferTooSmallError,
    7100: InvalidStateError,
    7101: NotFoundError,
    7102: AlreadyExistsError,
    7200: ParseError,
    7201: ConfigError,
    7202: FlowError,
    7300: CcIOError,
    7900: PanicError,
}

_BY_FAMILY: Dict[int, Type[CcError]] = {
    7000: ArgumentError,
    7100: StateError,
    7200: ConfigurationError,
    7300: CcIOError,
    7900: PanicError,
}


def error_class(code: int) -> Type[CcError]:
    """The exception class for a ``cc_result`` code (its family's for an unknown one)."""
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = _BY_FAMILY.get(code - code % 100, CcError)
    return cls


__all__ = [
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
    "error_class",
]
