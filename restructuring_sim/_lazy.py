"""Exports imported on first use (PEP 562), for packages whose command modules must load
without the heavy libraries their exports need (Mesa, pandas, pyabc); packages whose
``__init__`` waits for first use; imports made without the garbage collector."""

from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
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


def defer_package_init(package: str) -> None:
    """Put ``package`` in ``sys.modules`` with its ``__init__`` not yet run, so that one of its
    submodules can be imported without the rest of the package's start-up; the first use of a
    name the package's namespace lacks (``package.name``, ``from package import name``) runs
    the ``__init__`` then (PEP 562 module ``__getattr__``), so that the package behaves as an
    ordinary import everywhere else. Nothing happens if the package is imported already.

    For example ``scipy.special``'s ``__init__`` loads scipy's array-API layer (0.15-0.2 s on
    a 2-core machine, ``numpy.f2py`` included) for a module that needs two of its ufuncs:
    ``defer_package_init("scipy.special")`` and then
    ``from scipy.special._ufuncs import ndtr, ndtri``.
    """
    if package in sys.modules:
        return
    import importlib.util

    parent, _, child = package.rpartition(".")
    if parent:
        import_module(parent)
        if package in sys.modules:  # the parent's own start-up imported it
            return
    spec = importlib.util.find_spec(package)
    module = importlib.util.module_from_spec(spec)

    def complete(name: str):
        """Run the package's own ``__init__`` (once) and look ``name`` up in it."""
        del module.__getattr__
        spec.loader.exec_module(module)
        return getattr(module, name)

    module.__getattr__ = complete
    sys.modules[package] = module
    if parent:
        setattr(sys.modules[parent], child, module)


@contextmanager
def lasting_imports():
    """Run a block of imports with the cyclic garbage collector off, and keep it from ever
    going through what they made.

    A command's imports (numpy, scipy, pyarrow, pydantic's models, the model's modules) make
    some hundred thousand objects that live as long as the process, and next to no garbage:
    the collections they set off (a full one among them) free nothing and take some 0.05 s of
    a run's start. When the block has imported modules, whatever exists then is moved to the
    collector's permanent generation (:func:`gc.freeze`), so that later collections skip it
    too; garbage of earlier work would be kept with it, which is why a block that imported
    nothing (a second run in the same process, as in a test session) freezes nothing. The
    collector is then on again if it was before."""
    enabled = gc.isenabled()
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
        if enabled:
            gc.enable()
