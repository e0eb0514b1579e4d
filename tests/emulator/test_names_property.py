"""Property test: the emulator's name check agrees with LINSTOR's rule written as a regular expression."""

from __future__ import annotations

import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from linstor_emulator.names import InvalidName, check_resource_name  # noqa: E402

RULE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def linstor_accepts(name: str) -> bool:
    return (2 <= len(name.encode()) <= 48 and RULE.fullmatch(name) is not None
            and re.search(r"[A-Za-z]", name) is not None and name.lower() not in ("all", "proxy"))


names = st.one_of(
    st.text(alphabet="abcXYZ019_-.é ", min_size=0, max_size=52),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,50}", fullmatch=True),
    st.sampled_from(["all", "ALL", "proxy", "Proxy", "__", "_1", "a", "a" * 48, "a" * 49]),
)


@given(names)
def test_name_check_matches_the_rule(name):
    try:
        check_resource_name(name)
        accepted = True
    except InvalidName:
        accepted = False
    assert accepted == linstor_accepts(name)
