"""Mesa's ``Model``, ``Agent``, ``AgentSet`` and ``DataCollector`` (imported on first use) without
the rest of Mesa's package start-up.

``import mesa`` runs the package's ``__init__``, which loads the batch runner, the experimental
continuous space (with scipy.spatial) and the grid spaces: about 0.3 s of every command's start
on a 2-core machine, none of which a run uses. This module imports the four
classes from their own modules instead. It registers the ``mesa`` package without running its
``__init__`` and lets the first use of any other name of ``mesa`` (``mesa.batch_run``,
``mesa.__version__``, ``from mesa import ...`` in a user's code) run it then, so that the
package behaves as an ordinary import everywhere else.
"""

from __future__ import annotations

import importlib.util
import sys


def _register_mesa_package() -> None:
    """Put the ``mesa`` package in ``sys.modules`` with its ``__init__`` deferred to the first
    attribute its namespace lacks (PEP 562 module ``__getattr__``)."""
    if "mesa" in sys.modules:
        return
    spec = importlib.util.find_spec("mesa")
    package = importlib.util.module_from_spec(spec)

    def complete(name: str):
        """Run Mesa's own ``__init__`` in the package (once) and look ``name`` up in it."""
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete
    sys.modules["mesa"] = package


class _FrameLookup:
    """The three calls Mesa's logging makes of :mod:`inspect` while ``mesa.model`` is
    imported, answered from the frames themselves: the same frames, function names and
    modules, without the source context of every frame on the stack and the scan of every
    loaded module for each frame that :mod:`inspect` makes (0.1-0.2 s of a run's start once
    pandas and scipy are loaded)."""

    @staticmethod
    def currentframe():
        return sys._getframe(1)

    @staticmethod
    def getouterframes(frame, context: int = 1):
        out = []
        while frame is not None:
            out.append((frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                        None, None))
            frame = frame.f_back
        return out

    @classmethod
    def stack(cls, context: int = 1):
        return cls.getouterframes(sys._getframe(1), context)

    @staticmethod
    def getmodule(frame):
        return sys.modules.get(frame.f_globals.get("__name__"))


def _import_model():
    """``mesa.model.Model``, imported with Mesa's logging reading the importing frames through
    :class:`_FrameLookup` (its loggers get the same names)."""
    # imported by name: ``from mesa import ...`` would run the package's ``__init__``
    mesa_logging = importlib.import_module("mesa.mesa_logging")
    inspect = getattr(mesa_logging, "inspect", None)
    if inspect is None:  # a Mesa whose logging no longer reads frames: nothing to answer
        from mesa.model import Model

        return Model
    mesa_logging.inspect = _FrameLookup
    try:
        from mesa.model import Model
    finally:
        mesa_logging.inspect = inspect
    return Model


_register_mesa_package()

from mesa.agent import Agent, AgentSet  # noqa: E402

Model = _import_model()


def __getattr__(name: str):
    """``DataCollector`` on first use: Mesa's data collection imports pandas (about 0.2 s),
    which a run that nobody watches does not need."""
    if name == "DataCollector":
        from mesa.datacollection import DataCollector

        globals()[name] = DataCollector
        return DataCollector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Agent", "AgentSet", "DataCollector", "Model"]  # noqa: F822 (see __getattr__)
