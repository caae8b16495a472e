"""How every operator shows a user's mistake: an ``AmbiblendError`` raised by ``execute`` (or
``invoke``) becomes an ERROR report and CANCELLED (the core raises before it changes the scene)."""
from __future__ import annotations

import functools

from ..core.errors import AmbiblendError


def _reported(self, call):
    try:
        return call()
    except AmbiblendError as exc:
        self.report({"ERROR"}, str(exc))
        return {"CANCELLED"}


def reports_errors(method):
    """Decorator for ``Operator.execute(self, context)`` and ``invoke(self, context, event)``
    (Blender checks the argument count of each, so the wrapper keeps the method's own)."""
    if method.__code__.co_argcount == 3:
        @functools.wraps(method)
        def wrapper(self, context, event):
            return _reported(self, lambda: method(self, context, event))
    else:
        @functools.wraps(method)
        def wrapper(self, context):
            return _reported(self, lambda: method(self, context))
    return wrapper
