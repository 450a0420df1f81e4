"""Shared fixtures: the repository's example flows and a small router configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FLOWS = REPO / "examples" / "flows"


def router_config(strategy: str) -> str:
    """Two agents of one tenant: 1001 with English at level 3, 1002 at level 9."""
    return f"""
[[queue]]
id = "sales"
tenant = "acme"
strategy = "{strategy}"
ring_timeout_ms = 10000

[[agent]]
id = "1001"
tenants = {{ acme = {{ "lang:en" = 3 }} }}

[[agent]]
id = "1002"
tenants = {{ acme = {{ "lang:en" = 9, billing = 5 }} }}
"""


@pytest.fixture
def hotline_flow() -> str:
    return (FLOWS / "it_hotline.flow").read_text(encoding="utf-8")


@pytest.fixture
def hotline_env() -> str:
    return (FLOWS / "it_hotline.env.toml").read_text(encoding="utf-8")


@pytest.fixture
def front_door_flow() -> str:
    return (FLOWS / "front_door.flow").read_text(encoding="utf-8")


@pytest.fixture
def front_door_env() -> str:
    return (FLOWS / "front_door.env.toml").read_text(encoding="utf-8")
