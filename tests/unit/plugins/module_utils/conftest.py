"""Fixtures of the module_utils unit tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from ansible_collections.linstor.incus.plugins.module_utils import _client


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Makes ``_client`` fail to open the files given, as it would a root-only file (chmod 000 does not stop root,
    which the tests may run as)."""
    refused: set[str] = set()
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if str(path) in refused:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(_client, "open", refusing_open, raising=False)
    return lambda path: refused.add(str(path))
