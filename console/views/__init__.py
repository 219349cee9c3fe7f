"""Pages of the administrator console, one module per concept.

Every object is looked up through the signed-in administrator's own pools, so
a URL naming another administrator's pool, app or user is a 404. The base
classes that enforce this live in :mod:`console.views.base`.
"""

from .base import AppView, ConsoleView, EndUserView, PoolView

__all__ = ["AppView", "ConsoleView", "EndUserView", "PoolView"]
