"""Registration of ``g4f.providers`` plugins into every g4f layer.

g4f has no plugin hook, so this package is one, for any distribution:

* :mod:`.discovery`: the installed entry points, selected by ``G4F_LOAD_PLUGINS``;
* :mod:`.lazy`: stand-ins that import a provider on first use;
* :mod:`.layers`: the table of g4f layers (module, register, check), one adapter each;
* :mod:`.activation`: the naming rule, clashes, and running the layers.

Importing this package imports neither g4f nor any plugin.
"""

from __future__ import annotations

from .activation import activate, adopt, entries, registered, status
from .discovery import Entry, discover, g4f_name, selected_distributions
from .layers import LAYERS, Layer

__all__ = [
    "LAYERS", "Entry", "Layer", "activate", "adopt", "arm", "discover", "entries",
    "g4f_name", "registered", "selected_distributions", "status",
]


def arm() -> None:
    """Called by the start-up hook when g4f is first imported (or found imported)."""
    activate()
