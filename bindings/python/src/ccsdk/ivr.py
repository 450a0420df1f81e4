"""The IVR: check a flow (every diagnostic with its position), compile it, run sessions.

A session is a sans-IO interpreter: feed it events (`Session.press`, `Session.play_done`...)
and drain `Session.actions` after each; arm a timer at `Session.poll_timeout`.
"""

from __future__ import annotations

import ctypes
import enum
import json
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union, overload

from . import _lib
from ._handle import Handle
from ._lib import LIB, Text, arg, check, from_cc_str, utf8


class Severity(enum.IntEnum):
    """The severity of a `Diagnostic` (``cc_severity``)."""

    WARNING = 1
    ERROR = 2


@dataclass(frozen=True)
class Diagnostic:
    """One finding of a check: where (1-based line and column, byte span) and what."""

    severity: Severity
    line: int
    column: int
    start: int
    end: int
    message: str
    rendered: str
    """``file:line:col: error: message``, the source line and a caret line under the span."""

    @property
    def is_error(self) -> bool:
        """Whether the flow must not run because of it."""
        return self.severity == Severity.ERROR


class Diagnostics(Handle, Sequence[Diagnostic]):
    """Every error and warning of a flow, in source order (``cc_ivr_check``).

    A sequence of :class:`Diagnostic`; immutable, readable from several threads.
    `env` is an environment TOML (``queues``, ``prompts``, ``lists``, ``calendars``,
    ``hooks``, ``external``, ``mailboxes``: arrays of names); empty checks the flow alone.
    A bad environment raises :class:`~ccsdk.ParseError`; a flow with errors does not
    raise: the errors are the answer.
    """

    def __init__(self, flow: Text, env: Text = "", file: Text = "") -> None:
        out = _lib.DiagnosticsP()
        check(LIB.cc_ivr_check(*arg(file), *arg(flow), *arg(env), ctypes.byref(out)))
        self._own(out, LIB.cc_ivr_diagnostics_free)

    def __len__(self) -> int:
        return int(LIB.cc_ivr_diagnostics_count(self._live))

    @property
    def error_count(self) -> int:
        """How many diagnostics are errors (none: the flow may be compiled)."""
        return int(LIB.cc_ivr_diagnostics_error_count(self._live))

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return self.error_count == 0

    @property
    def errors(self) -> List[Diagnostic]:
        """The errors alone."""
        return [d for d in self if d.is_error]

    @overload
    def __getitem__(self, index: int) -> Diagnostic: ...

    @overload
    def __getitem__(self, index: slice) -> List[Diagnostic]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"diagnostic {index} of {count}")
        raw = _lib.CcIvrDiagnostic()
        check(LIB.cc_ivr_diagnostics_get(self._live, index, ctypes.byref(raw)))
        return Diagnostic(
            severity=Severity(raw.severity),
            line=raw.line,
            column=raw.column,
            start=raw.start,
            end=raw.end,
            message=from_cc_str(raw.message),
            rendered=from_cc_str(raw.rendered),
        )

    def __iter__(self) -> Iterator[Diagnostic]:
        for index in range(len(self)):
            yield self[index]

    def render(self) -> str:
        """All diagnostics as text, as ``ccd ivr check`` prints them."""
        return "".join(d.rendered for d in self)


class Program(Handle):
    """A compiled flow (``cc_ivr_program_compile``): immutable, shareable by threads.

    Raises :class:`~ccsdk.FlowError` when the flow has errors (check it with
    :class:`Diagnostics` to see them all) and :class:`~ccsdk.ParseError` for a bad `env`.
    Sessions keep what they need: the program may be closed before its sessions.
    """

    def __init__(self, flow: Text, env: Text = "") -> None:
        out = _lib.ProgramP()
        check(LIB.cc_ivr_program_compile(*arg(flow), *arg(env), ctypes.byref(out)))
        self._own(out, LIB.cc_ivr_program_free)

    @property
    def version(self) -> str:
        """The program's content hash (16 hex digits)."""
        live = self._live
        text, _ = _lib.read_buffer(
            lambda buf, size, out: LIB.cc_ivr_program_version(live, buf, size, out), 32
        )
        return text

    def session(
        self,
        *,
        caller: Text = "",
        called: Text = "",
        language: Text = "en",
        now_ms: int = 0,
        wall_unix_ms: Optional[int] = None,
        resources: Union[Resources, Text, None] = None,
    ) -> "Session":
        """Starts a caller's session; see :class:`Session`."""
        return Session(
            self,
            caller=caller,
            called=called,
            language=language,
            now_ms=now_ms,
            wall_unix_ms=wall_unix_ms,
            resources=resources,
        )


def _toml_string(value: str) -> str:
    # A JSON string (ASCII, escaped) is a valid TOML basic string.
    return json.dumps(value)


def _toml_array(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


@dataclass(frozen=True)
class Calendar:
    """Business hours a flow consults with ``open("name")`` and ``holiday("name")``.

    `hours` maps ``mon`` ... ``sun`` to ``HH:MM-HH:MM`` ranges (a day not listed is
    closed); `holidays` are dates or inclusive ranges (``2026-10-01..2026-10-07``);
    `working_days` are closed weekdays that are worked (调休), with `working_day_hours`
    (Monday's hours when None).
    """

    time_zone: str
    hours: Mapping[str, Sequence[str]] = field(default_factory=dict)
    holidays: Sequence[str] = ()
    working_days: Sequence[str] = ()
    working_day_hours: Optional[Sequence[str]] = None


@dataclass(frozen=True)
class Resources:
    """The number lists and calendars a session's flow consults.

    >>> Resources(lists={"vip": ["+8613700000000"]}).to_toml()
    '[lists]\\n"vip" = ["+8613700000000"]\\n'
    """

    lists: Mapping[str, Iterable[str]] = field(default_factory=dict)
    calendars: Mapping[str, Calendar] = field(default_factory=dict)

    def to_toml(self) -> str:
        """The TOML of ``cc_ivr_session_new_with_resources``."""
        lines: List[str] = []
        if self.lists:
            lines.append("[lists]")
            for name, numbers in self.lists.items():
                lines.append(f"{_toml_string(name)} = {_toml_array(numbers)}")
        for name, calendar in self.calendars.items():
            lines.append(f"[calendars.{_toml_string(name)}]")
            lines.append(f"time_zone = {_toml_string(calendar.time_zone)}")
            lines.append(f"holidays = {_toml_array(calendar.holidays)}")
            lines.append(f"working_days = {_toml_array(calendar.working_days)}")
            if calendar.working_day_hours is not None:
                lines.append(f"working_day_hours = {_toml_array(calendar.working_day_hours)}")
            lines.append(f"[calendars.{_toml_string(name)}.hours]")
            for day, ranges in calendar.hours.items():
                lines.append(f"{_toml_string(day)} = {_toml_array(ranges)}")
        return "".join(line + "\n" for line in lines)


class ActionKind(str, enum.Enum):
    """The kind of an `Action` (its JSON ``action`` field)."""

    PLAY = "play"
    STOP_PLAY = "stop_play"
    HOOK = "hook"
    SET_LANGUAGE = "set_language"
    SET_ATTRIBUTE = "set_attribute"
    ENQUEUE = "enqueue"
    LEAVE_QUEUE = "leave_queue"
    TRANSFER = "transfer"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    RECORD = "record"
    HANGUP = "hangup"
    FAILED = "failed"


@dataclass(frozen=True)
class Action:
    """One thing a session asks the host to do.

    `fields` holds the rest of the action's JSON object, e.g. for ``PLAY``:
    ``{"items": [{"kind": "prompt", "value": "welcome"}], "language": "en", "barge": True}``;
    ``action["items"]`` reads a field.
    """

    kind: ActionKind
    fields: Dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        """A field, or `default`."""
        return self.fields.get(name, default)

    @property
    def prompts(self) -> List[str]:
        """The prompt keys of a ``PLAY`` (empty for other kinds)."""
        return [i["value"] for i in self.fields.get("items", []) if i.get("kind") == "prompt"]

    @classmethod
    def from_json(cls, text: str) -> "Action":
        """Parses the JSON object of ``cc_ivr_session_poll_action``."""
        data = json.loads(text)
        kind = ActionKind(data.pop("action"))
        return cls(kind, data)


class EventKind(enum.IntEnum):
    """The kind of an `Event` (``cc_ivr_event_kind``)."""

    DIGIT = 1
    PLAY_DONE = 2
    HOOK_RESULT = 3
    QUEUE_ANSWERED = 4
    QUEUE_DONE = 5
    QUEUE_GAVE_BACK = 6
    TRANSFER_RESULT = 7
    CALLBACK_RESULT = 8
    VOICEMAIL_RESULT = 9
    TIMEOUT = 10
    HANGUP = 11


@dataclass(frozen=True)
class Event:
    """What happened to a session's caller (``cc_ivr_event``); unused fields are ignored."""

    kind: EventKind
    digit: str = ""
    ok: bool = False
    hook_id: int = 0
    text: str = ""


class Session(Handle):
    """One caller's walk through a flow (``cc_ivr_session_new``); one thread at a time.

    The flow runs until it first waits: drain :meth:`actions` after creating it and after
    every event. `now_ms` is your monotonic clock; `wall_unix_ms` (default: now) is the
    wall-clock time that calendars judge. `resources` gives the lists and calendars the flow
    consults (a :class:`Resources` or its TOML); without them a flow that consults one
    fails there. A bad resources text raises :class:`~ccsdk.ParseError`, a refused calendar
    :class:`~ccsdk.ConfigError`.
    """

    def __init__(
        self,
        program: Program,
        *,
        caller: Text = "",
        called: Text = "",
        language: Text = "en",
        now_ms: int = 0,
        wall_unix_ms: Optional[int] = None,
        resources: Union[Resources, Text, None] = None,
    ) -> None:
        if wall_unix_ms is None:
            wall_unix_ms = int(time.time() * 1000)
        out = _lib.SessionP()
        if resources is None:
            check(
                LIB.cc_ivr_session_new(
                    program._live,
                    *arg(caller),
                    *arg(called),
                    *arg(language),
                    now_ms,
                    wall_unix_ms,
                    ctypes.byref(out),
                )
            )
        else:
            text = resources.to_toml() if isinstance(resources, Resources) else resources
            check(
                LIB.cc_ivr_session_new_with_resources(
                    program._live,
                    *arg(caller),
                    *arg(called),
                    *arg(language),
                    *arg(text),
                    now_ms,
                    wall_unix_ms,
                    ctypes.byref(out),
                )
            )
        self._own(out, LIB.cc_ivr_session_free)

    def handle_event(self, event: Event, now_ms: int) -> None:
        """Feeds one event (``InvalidStateError`` once the session has ended)."""
        digit = utf8(event.digit)
        if len(digit) > 1:
            raise ValueError(f"one key at a time, not {event.digit!r}")
        text = utf8(event.text)
        raw = _lib.CcIvrEvent(
            kind=int(event.kind),
            digit=digit or b"\0",
            ok=event.ok,
            hook_id=event.hook_id,
            text=_lib.cc_str(text),
        )
        check(LIB.cc_ivr_session_handle_event(self._live, ctypes.byref(raw), now_ms))

    def press(self, digits: str, now_ms: int) -> None:
        """The caller pressed each key of `digits` (``0``-``9``, ``*``, ``#``, ``A``-``D``)."""
        for digit in digits:
            self.handle_event(Event(EventKind.DIGIT, digit=digit), now_ms)

    def play_done(self, now_ms: int) -> None:
        """The last play finished."""
        self.handle_event(Event(EventKind.PLAY_DONE), now_ms)

    def hook_result(self, hook_id: int, ok: bool, text: str, now_ms: int) -> None:
        """Answers hook request `hook_id`: `text` is the answer, or the failure's reason."""
        self.handle_event(Event(EventKind.HOOK_RESULT, ok=ok, hook_id=hook_id, text=text), now_ms)

    def queue_answered(self, now_ms: int) -> None:
        """An agent answered the queued caller."""
        self.handle_event(Event(EventKind.QUEUE_ANSWERED), now_ms)

    def queue_done(self, now_ms: int) -> None:
        """The agent hung up; the caller is still on the line."""
        self.handle_event(Event(EventKind.QUEUE_DONE), now_ms)

    def queue_gave_back(self, reason: str, now_ms: int) -> None:
        """The queue gave the caller back."""
        self.handle_event(Event(EventKind.QUEUE_GAVE_BACK, text=reason), now_ms)

    def transfer_result(self, ok: bool, now_ms: int) -> None:
        """The transfer connected or failed."""
        self.handle_event(Event(EventKind.TRANSFER_RESULT, ok=ok), now_ms)

    def callback_result(self, ok: bool, now_ms: int) -> None:
        """The callback was registered or not."""
        self.handle_event(Event(EventKind.CALLBACK_RESULT, ok=ok), now_ms)

    def voicemail_result(self, ok: bool, now_ms: int) -> None:
        """The voicemail was recorded or not."""
        self.handle_event(Event(EventKind.VOICEMAIL_RESULT, ok=ok), now_ms)

    def hangup(self, now_ms: int) -> None:
        """The caller hung up."""
        self.handle_event(Event(EventKind.HANGUP), now_ms)

    def handle_timeout(self, now_ms: int) -> None:
        """Fires the session's timer if due (an early call does nothing)."""
        check(LIB.cc_ivr_session_handle_timeout(self._live, now_ms))

    def poll_timeout(self) -> Optional[int]:
        """When :meth:`handle_timeout` is next needed, or None."""
        out = ctypes.c_uint64(0)
        check(LIB.cc_ivr_session_poll_timeout(self._live, ctypes.byref(out)))
        return None if out.value == _lib.NO_TIMEOUT else out.value

    @property
    def finished(self) -> bool:
        """Whether the flow is over (hung up, transferred, failed or finished)."""
        return bool(LIB.cc_ivr_session_is_finished(self._live))

    def poll_action(self) -> Optional[Action]:
        """The next pending action, or None."""
        live = self._live
        text, length = _lib.read_buffer(
            lambda buf, size, out: LIB.cc_ivr_session_poll_action(live, buf, size, out), 512
        )
        return Action.from_json(text) if length else None

    def actions(self) -> List[Action]:
        """Drains every pending action, in order."""
        out: List[Action] = []
        while True:
            action = self.poll_action()
            if action is None:
                return out
            out.append(action)


def check_flow(flow: Text, env: Text = "", file: Text = "") -> Diagnostics:
    """Checks a flow against an environment: see :class:`Diagnostics`."""
    return Diagnostics(flow, env, file)


def compile_flow(flow: Text, env: Text = "") -> Program:
    """Compiles a flow: see :class:`Program`."""
    return Program(flow, env)
