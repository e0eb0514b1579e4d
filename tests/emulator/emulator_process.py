"""Start and stop the emulator as its own process, as users and the demo do.

The helper lives in the emulator package (``linstor_emulator.testing``) so that the collection's
client tests and the reliability scripts use the same one; this module keeps the old import.
"""

from __future__ import annotations

from linstor_emulator.testing import DebugApi, EmulatorProcess, free_port

__all__ = ["DebugApi", "EmulatorProcess", "free_port"]
