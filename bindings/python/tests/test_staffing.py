"""Erlang C through the C ABI against known figures."""

from __future__ import annotations

import math

import pytest

import ccsdk


def test_probability_of_wait_known_value() -> None:
    # 10 Erlangs on 12 agents: the textbook P(wait) = 0.4494.
    assert ccsdk.erlang_c(10.0, 12) == pytest.approx(0.4494, abs=5e-5)


def test_service_level_and_asa() -> None:
    # 10 Erlangs, 12 agents, AHT 180 s: ASA = P(wait) * AHT / (N - A) = 40.44 s;
    # SL(20 s) = 1 - P(wait) * exp(-(N - A) * 20 / AHT) = 0.640.
    assert ccsdk.asa(10.0, 12, 180.0) == pytest.approx(0.4494 * 180 / 2, rel=1e-3)
    expected = 1 - ccsdk.erlang_c(10.0, 12) * math.exp(-2 * 20 / 180)
    assert ccsdk.service_level(10.0, 12, 180.0, 20.0) == pytest.approx(expected, rel=1e-9)
    assert ccsdk.service_level(10.0, 12, 180.0, 20.0) == pytest.approx(0.6402, abs=5e-4)


def test_agents_needed() -> None:
    # 18 Erlangs (360 calls an hour of 3 minutes), 80% within 20 s.
    needed = ccsdk.agents_needed(18.0, 180.0, 20.0, 0.8)
    assert ccsdk.service_level(18.0, needed, 180.0, 20.0) >= 0.8
    assert ccsdk.service_level(18.0, needed - 1, 180.0, 20.0) < 0.8
    assert ccsdk.agents_needed(10.0, 180.0, 20.0, 0.8) == 14


def test_unstable_queue() -> None:
    assert ccsdk.erlang_c(12.0, 12) == 1.0
    assert ccsdk.asa(12.0, 10, 180.0) == math.inf
    assert ccsdk.service_level(12.0, 10, 180.0, 20.0) == 0.0
