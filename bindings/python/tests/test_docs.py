"""The examples in the package's docstrings hold."""

from __future__ import annotations

import doctest

import pytest

import ccsdk.ivr
import ccsdk.staffing


@pytest.mark.parametrize("module", [ccsdk.ivr, ccsdk.staffing])
def test_docstring_examples(module: object) -> None:
    failed, attempted = doctest.testmod(module)  # type: ignore[arg-type]
    assert attempted > 0 and failed == 0
