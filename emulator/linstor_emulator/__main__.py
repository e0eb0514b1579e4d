"""``python -m linstor_emulator``: the same as the ``linstor-emulator`` command."""

import sys

from .cli import main

sys.exit(main())
