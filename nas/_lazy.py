"""Lazy re-exports for package ``__init__`` modules (PEP 562), so that ``import nas`` and the
command line's start-up do not pay for torch, optuna or scikit-learn until they are used."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def attach(package: str, submodules: dict[str, list[str]]
           ) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """Return ``__getattr__``, ``__dir__`` and ``__all__`` for ``package``, exporting each
    name listed under its module, imported on first access: a submodule of ``package``
    (``"_search"``), or another package by its full name (``"nas.scoring"``), whose names are
    then re-exported as the very same objects."""
    owner = {name: module if "." in module else f"{package}.{module}"
             for module, names in submodules.items() for name in names}

    def __getattr__(name: str) -> object:
        if name not in owner:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(owner[name]), name)

    def __dir__() -> list[str]:
        return sorted(owner)

    return __getattr__, __dir__, sorted(owner)
