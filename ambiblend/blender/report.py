"""How every operator shows a user's mistake: an ``AmbiblendError`` raised by ``execute``
becomes an ERROR report and CANCELLED (the core raises before it changes the scene)."""
from __future__ import annotations

import functools

from ..core.errors import AmbiblendError


def reports_errors(execute):
    """Decorator for ``Operator.execute(self, context)``."""
    @functools.wraps(execute)
    def wrapper(self, context):
        try:
            return execute(self, context)
        except AmbiblendError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
    return wrapper
