"""The pages: every module here that defines ``ROUTES`` (a list of starlette ``Route``s) is
served. A new page module needs no edit here: it is found by name, in name order."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def _collect() -> list[Any]:
    routes: list[Any] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return routes


ROUTES = _collect()
