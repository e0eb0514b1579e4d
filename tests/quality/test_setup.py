"""What scripts/setup promises: the checkout is the installed collection, found from any directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def test_modules_resolve_from_any_directory(tmp_path: Path) -> None:
    listing = subprocess.run([str(VENV_BIN / "ansible-doc"), "-l", "linstor.incus"], cwd=tmp_path,
                             capture_output=True, text=True, check=True).stdout
    listed = {line.split()[0] for line in listing.splitlines() if line.startswith("linstor.incus.")}
    on_disk = {"linstor.incus." + path.stem for path in (REPO / "plugins" / "modules").glob("*.py")}
    assert listed == on_disk


def test_the_installed_collection_is_the_checkout(tmp_path: Path) -> None:
    import ansible_collections.linstor.incus as collection  # the link scripts/setup makes

    installed = Path(next(iter(collection.__path__)))
    assert installed.resolve() == REPO, "edits to the checkout are what Ansible runs"
    assert "site-packages" in installed.parts
