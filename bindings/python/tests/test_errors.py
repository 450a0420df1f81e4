"""Bad input raises the right CcError subclass, with the code and the library's message."""

from __future__ import annotations

import pytest
from conftest import router_config

import ccsdk
from ccsdk import (
    AlreadyExistsError,
    ArgumentError,
    CcError,
    ConfigError,
    ConfigurationError,
    Contact,
    InvalidArgumentError,
    InvalidStateError,
    InvalidUtf8Error,
    NotFoundError,
    ParseError,
    Program,
    Router,
    StateError,
)


@pytest.fixture
def router():
    with Router(router_config("longest_idle")) as router:
        yield router


def test_unknown_agent_is_not_found(router: Router) -> None:
    with pytest.raises(NotFoundError) as raised:
        router.login("9999", 0)
    error = raised.value
    assert isinstance(error, StateError) and isinstance(error, CcError)
    assert isinstance(error, LookupError)
    assert (error.code, error.name) == (7101, "CC_NOT_FOUND")
    assert "cc_router_agent_login" in error.message and "9999" in error.message
    assert "CC_NOT_FOUND (7101)" in str(error)


def test_state_errors(router: Router) -> None:
    router.login("1001", 0)
    with pytest.raises(InvalidStateError) as raised:
        router.login("1001", 1)
    assert raised.value.code == 7100
    router.enqueue(Contact("c-1", "sales", language="en"), 2)
    with pytest.raises(AlreadyExistsError):
        router.enqueue(Contact("c-1", "sales", language="en"), 3)
    with pytest.raises(NotFoundError):
        router.enqueue(Contact("c-2", "nowhere"), 3)
    with pytest.raises(InvalidStateError):
        router.accept("c-1", "1002", 4)  # ringing at 1001, not 1002


def test_bad_arguments(router: Router) -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        router.enqueue(Contact("bad id with spaces", "sales"), 0)
    assert isinstance(raised.value, ArgumentError) and isinstance(raised.value, ValueError)
    with pytest.raises(InvalidUtf8Error) as utf8:
        router.login(b"\xff\xfe", 0)
    assert utf8.value.code == 7002
    with pytest.raises(InvalidArgumentError):
        ccsdk.erlang_c(-1.0, 3)
    with pytest.raises(InvalidArgumentError):
        ccsdk.agents_needed(10.0, 180.0, 20.0, 1.5)


def test_bad_configurations() -> None:
    with pytest.raises(ParseError) as parse:
        Router('[[queue]]\nid = "sales"\ncolour = "blue"\n')
    assert parse.value.code == 7200 and "colour" in parse.value.message
    assert isinstance(parse.value, ConfigurationError)
    with pytest.raises(ConfigError) as config:
        Router(router_config("longest_idle").replace("ring_timeout_ms = 10000", "ring_timeout_ms = 0"))
    assert config.value.code == 7201
    with pytest.raises(ParseError):
        ccsdk.Diagnostics("flow x\nmain {\n hangup\n}\n", env="queues = 5")
    with pytest.raises(ccsdk.FlowError):
        Program("flow x\nmain {\n goto nowhere\n}\n")


def test_result_names() -> None:
    assert ccsdk.result_name(7101) == "CC_NOT_FOUND"
    assert ccsdk.result_name(1234) == "CC_UNKNOWN_RESULT"
    assert ccsdk.errors.error_class(7199) is StateError
