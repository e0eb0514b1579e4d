"""A LINSTOR controller emulator: the /v1 REST API of LINSTOR's controller, state kept in SQLite.

``backend`` holds the state and LINSTOR's rules (no HTTP), ``errors`` the ApiCallRc codes and the
typed error the backend raises, ``rest`` the thin HTTP layer, ``cli`` the command line.
"""

from .backend import Backend
from .errors import LinstorError

__all__ = ["Backend", "LinstorError"]
__version__ = "0.1.0"
