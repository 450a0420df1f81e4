"""IVR flows through the C ABI: every diagnostic with its position; a session stepped."""

from __future__ import annotations

import pytest

import ccsdk
from ccsdk import ActionKind, Diagnostics, FlowError, Program, Severity


def test_the_hotline_flow_checks_clean(hotline_flow: str, hotline_env: str) -> None:
    with Diagnostics(hotline_flow, hotline_env, "it_hotline.flow") as diagnostics:
        assert diagnostics.ok
        assert diagnostics.error_count == 0
        assert diagnostics.render() == ""


def test_a_broken_hotline_gives_every_error_with_its_position(
    hotline_flow: str, hotline_env: str
) -> None:
    # Two mistakes: a queue the environment lacks, and a call with a missing argument.
    broken = hotline_flow.replace('enqueue "aftersales"', 'enqueue "aftersale"').replace(
        'call queue_for("presales", "sales")', 'call queue_for("presales")'
    )
    lines = broken.splitlines()
    call_line = next(i for i, text in enumerate(lines, 1) if 'queue_for("presales")' in text)
    queue_line = next(i for i, text in enumerate(lines, 1) if '"aftersale"' in text)

    with ccsdk.check_flow(broken, hotline_env, "it_hotline.flow") as diagnostics:
        errors = diagnostics.errors
        assert diagnostics.error_count == len(errors) >= 2
        by_line = {d.line: d for d in errors}
        call = by_line[call_line]
        assert call.severity == Severity.ERROR
        assert call.column == lines[call_line - 1].index("call queue_for") + 1
        assert "queue_for" in call.message and "argument" in call.message
        assert call.rendered.startswith(f"it_hotline.flow:{call_line}:{call.column}: error:")
        assert "^" in call.rendered
        assert broken.encode()[call.start : call.end].decode().startswith("call queue_for")
        assert "aftersale" in by_line[queue_line].message
        assert diagnostics[-1] == list(diagnostics)[-1]

        with pytest.raises(FlowError) as raised:
            Program(broken, hotline_env)
        assert raised.value.code == 7202
        assert raised.value.name == "CC_FLOW_ERROR"
        assert "error" in raised.value.message


def test_the_hotline_compiles(hotline_flow: str, hotline_env: str) -> None:
    with ccsdk.compile_flow(hotline_flow, hotline_env) as program:
        version = program.version
        assert len(version) == 16 and int(version, 16) >= 0
        # The same source gives the same content hash.
        with Program(hotline_flow, hotline_env) as again:
            assert again.version == version


def test_the_hotline_session_stops_at_its_blacklist(hotline_flow: str, hotline_env: str) -> None:
    # This ABI version gives sessions no lists or calendars: the hotline's first statement
    # consults the "blacklist" list, so the call fails cleanly at once.
    with Program(hotline_flow, hotline_env) as program, program.session(
        caller="+8613800138000", language="zh-CN"
    ) as session:
        actions = session.actions()
        assert [a.kind for a in actions] == [ActionKind.FAILED, ActionKind.HANGUP]
        assert "blacklist" in actions[0]["reason"]
        assert session.finished


def test_a_session_stepped_with_digits(front_door_flow: str, front_door_env: str) -> None:
    program = Program(front_door_flow, front_door_env)
    session = program.session(
        caller="+8613800138000", called="+864001234567", language="zh-CN", now_ms=0
    )
    program.close()  # the session keeps what it needs
    with session:
        [welcome] = session.actions()
        assert welcome.kind == ActionKind.PLAY
        assert welcome.prompts == ["欢迎致电"] and welcome["barge"] is True
        session.play_done(1_000)
        [menu] = session.actions()
        assert menu.prompts == ["请选择公司"]
        assert session.poll_timeout() is None or session.poll_timeout() >= 1_000

        session.press("2", 2_000)  # globex: queued with skill lang:zh-CN
        actions = session.actions()
        kinds = [a.kind for a in actions]
        assert kinds[-1] == ActionKind.ENQUEUE
        enqueue = actions[-1]
        assert enqueue["queue"] == "globex_support"
        assert enqueue["language"] == "zh-CN"
        assert enqueue["music"] == "等待音乐"

        session.queue_answered(5_000)
        session.queue_done(65_000)
        session.actions()
        assert session.finished
        with pytest.raises(ccsdk.InvalidStateError):
            session.press("1", 66_000)


def test_an_invalid_key_replays_the_menu(front_door_flow: str, front_door_env: str) -> None:
    with Program(front_door_flow, front_door_env) as program, program.session(
        language="zh-CN"
    ) as session:
        session.actions()
        session.play_done(1_000)
        session.actions()
        session.press("7", 2_000)
        prompts = [p for a in session.actions() for p in a.prompts]
        assert "输入有误" in prompts
        session.hangup(3_000)
        session.actions()
        assert session.finished
