"""Exports imported on first use (PEP 562), for packages whose command modules must load
without the heavy libraries their exports need (Mesa, pandas, pyabc)."""

from __future__ import annotations

import sys
from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``: each name of ``exports`` is read from the
    module it maps to the first time it is asked for, then kept in the package's namespace."""
    def getattr_(name: str):
        if name in exports:
            value = getattr(import_module(exports[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return getattr_, dir_
