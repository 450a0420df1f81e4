"""IVR flows through the C ABI: every diagnostic with its position; sessions stepped."""

from __future__ import annotations

from datetime import datetime

import pytest

import ccsdk
from ccsdk import ActionKind, Calendar, Diagnostics, FlowError, Program, Resources, Severity


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


# The lists and the office calendar of examples/flows/it_hotline.test, for sessions.
HOTLINE_RESOURCES = Resources(
    lists={"blacklist": ["+8613900000000"], "vip": ["+8613700000000"]},
    calendars={
        "office": Calendar(
            time_zone="Asia/Shanghai",
            hours={day: ["09:00-12:00", "13:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            holidays=["2026-10-01..2026-10-07"],
            working_days=["2026-10-10"],
        )
    },
)


def wall_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def test_the_hotline_stepped_with_digits(hotline_flow: str, hotline_env: str) -> None:
    # A Monday morning: open. The caller picks Chinese, the CRM says VIP, the caller skips
    # the welcome with key 1, talks to an agent and answers the survey with 5 and 1.
    monday = wall_ms("2026-11-23T10:00:00+08:00")
    with Program(hotline_flow, hotline_env) as program, program.session(
        caller="+8613800138000",
        called="+864001234567",
        language="en",
        now_ms=0,
        wall_unix_ms=monday,
        resources=HOTLINE_RESOURCES,
    ) as session:
        [menu] = session.actions()
        assert menu.prompts == ["choose_language"]
        session.press("1", 1_000)
        actions = session.actions()
        assert [a.kind for a in actions] == [
            ActionKind.STOP_PLAY,
            ActionKind.SET_LANGUAGE,
            ActionKind.HOOK,
        ]
        assert actions[1]["language"] == "zh-CN"
        hook = actions[2]
        assert hook["hook"] == "crm_tier" and hook["args"] == ["+8613800138000"]
        session.hook_result(hook["id"], True, "vip", 1_500)
        actions = session.actions()
        assert actions[0].kind == ActionKind.SET_ATTRIBUTE
        assert (actions[0]["name"], actions[0]["value"]) == ("tier", "vip")
        assert actions[-1].prompts == ["welcome"] and actions[-1]["language"] == "zh-CN"
        session.press("1", 2_000)  # barge into the welcome: the menu's key 1
        actions = session.actions()
        assert actions[-1].kind == ActionKind.ENQUEUE
        assert actions[-1]["queue"] == "vip" and actions[-1]["priority"] == 9
        session.queue_answered(5_000)
        assert session.actions() == []
        session.queue_done(605_000)
        [question] = session.actions()
        assert question.prompts == ["survey_satisfaction"]
        session.play_done(606_000)
        session.press("5", 607_000)
        assert [a.prompts for a in session.actions()] == [["survey_resolved"]]
        session.press("1", 608_000)
        actions = session.actions()
        attributes = {a["name"]: a["value"] for a in actions if a.kind == ActionKind.SET_ATTRIBUTE}
        assert attributes == {"satisfaction": 5, "resolved": 1}
        assert actions[-1].prompts == ["thanks_goodbye"]
        session.play_done(610_000)
        assert [a.kind for a in session.actions()] == [ActionKind.HANGUP]
        assert session.finished


def test_the_hotline_turns_away_the_blacklist_and_closes_on_holidays(
    hotline_flow: str, hotline_env: str
) -> None:
    with Program(hotline_flow, hotline_env) as program:
        with program.session(
            caller="+8613900000000",
            wall_unix_ms=wall_ms("2026-11-23T10:00:00+08:00"),
            resources=HOTLINE_RESOURCES.to_toml(),  # the same resources as TOML text
        ) as blocked:
            assert [a.prompts for a in blocked.actions()] == [["blocked"]]
            blocked.play_done(1_000)
            assert [a.kind for a in blocked.actions()] == [ActionKind.HANGUP]

        # National Day: after choosing a language, the holiday greeting and voicemail.
        with program.session(
            caller="+8613800138000",
            wall_unix_ms=wall_ms("2026-10-02T10:00:00+08:00"),
            resources=HOTLINE_RESOURCES,
        ) as holiday:
            holiday.actions()
            holiday.press("2", 1_000)
            actions = holiday.actions()
            assert actions[-1].prompts == ["holiday_greeting"]
            holiday.play_done(2_000)
            [voicemail] = holiday.actions()
            assert voicemail.kind == ActionKind.VOICEMAIL
            assert voicemail["mailbox"] == "after_hours"


def test_without_resources_the_hotline_fails_at_its_blacklist(
    hotline_flow: str, hotline_env: str
) -> None:
    with Program(hotline_flow, hotline_env) as program, program.session(
        caller="+8613800138000", language="zh-CN"
    ) as session:
        actions = session.actions()
        assert [a.kind for a in actions] == [ActionKind.FAILED, ActionKind.HANGUP]
        assert "blacklist" in actions[0]["reason"]
        assert session.finished


def test_bad_resources_raise(hotline_flow: str, hotline_env: str) -> None:
    with Program(hotline_flow, hotline_env) as program:
        with pytest.raises(ccsdk.ParseError, match="lists"):
            program.session(resources="lists = 5")
        with pytest.raises(ccsdk.ConfigError, match="calendars.office"):
            program.session(resources=Resources(calendars={"office": Calendar("Mars/Base")}))


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
