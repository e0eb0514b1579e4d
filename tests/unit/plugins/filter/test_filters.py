"""The collection's filters: the modules' rules, for roles and playbooks."""

from __future__ import annotations

import pytest
from ansible_collections.linstor.incus.plugins.filter.pool_name_problem import FilterModule as PoolNameFilters
from ansible_collections.linstor.incus.plugins.filter.prefix_problem import FilterModule as PrefixFilters

pool_name_problem = PoolNameFilters().filters()["pool_name_problem"]
prefix_problem = PrefixFilters().filters()["prefix_problem"]


@pytest.mark.parametrize("name", ["remote", "pool-1", "a", "p" * 64, "fast_ssd.2"])
def test_pool_names_incus_takes(name: str) -> None:
    assert pool_name_problem(name) == ""


@pytest.mark.parametrize(("name", "reason"), [
    ("my pool", "white space"), ("a/b", "'/'"), ("-pool", "start and end"), ("pool-", "start and end"),
    ("p" * 65, "64 bytes"), ("é" * 33, "64 bytes"), ("a$b", "'$'"), ("", "non-empty string"),
    (None, "non-empty string"),
])
def test_pool_names_incus_refuses(name: object, reason: str) -> None:
    problem = pool_name_problem(name)
    assert "is not a valid Incus storage pool name" in problem and reason in problem


def test_prefix_problem_is_the_modules_rule() -> None:
    assert prefix_problem("incus-volume-") == ""
    assert "must start with a letter" in prefix_problem("9 vol/")
    assert prefix_problem(None) != ""
