"""The terminal of the command line: its two consoles, the one-line error and progress bars.

Every command module prints through :data:`console` (stdout: tables, summaries, ``--json``) and
:data:`err_console` (stderr: progress, notes, errors), and reports a bad input with :func:`fail`.
The module imports nothing of the package, so command modules and :mod:`restructuring_sim.cli`
can both use it without importing each other (``cli`` registers the commands; the commands never
import ``cli``).

A progress bar (:func:`progress_bar`) goes to stderr and is drawn only when stderr is a terminal:
piped or redirected output, and ``--json`` on stdout, stay exactly as without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    #: stdout: tables, summaries and machine-readable output
    console: Console
    #: stderr: progress bars, notes and one-line errors
    err_console: Console

#: the two consoles by name, and whether each writes to stderr
_CONSOLES = {"console": False, "err_console": True}


def __getattr__(name: str):
    """:data:`console` and :data:`err_console`, made when first asked for (PEP 562): a quiet
    run that succeeds prints nothing and so does not import rich (some 0.02 s of its start).
    Once made (or replaced, as tests do), each is an ordinary attribute of the module."""
    if name in _CONSOLES:
        return _console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _console(name: str) -> Console:
    """The console ``name`` of this module, made if it is not yet."""
    made = globals().get(name)
    if made is None:
        from rich.console import Console

        made = globals()[name] = Console(stderr=_CONSOLES[name])
    return made


def fail(message: str) -> None:
    """Print a one-line error on stderr and exit with status 2."""
    _console("err_console").print(f"error: {message}", markup=False, highlight=False,
                                  soft_wrap=True)
    raise typer.Exit(2)


def show_progress(quiet: bool = False) -> bool:
    """Whether a progress bar is drawn: not ``quiet`` (``--quiet``, ``--json``) and stderr is a
    terminal (rich's test; ``TTY_COMPATIBLE=1`` or ``FORCE_COLOR`` in the environment force it)."""
    return not quiet and _console("err_console").is_terminal


def progress_bar(unit: str, *, quiet: bool = False, transient: bool = True, eta: bool = True,
                 extra: str | None = None):
    """A rich :class:`~rich.progress.Progress` on stderr counting ``unit`` (e.g. ``"years"``,
    ``"replicates"``, ``"runs"``), disabled unless :func:`show_progress`.

    ``extra`` names a task field shown after the count (e.g. ``"failed"``: pass
    ``failed="..."`` to ``add_task`` and ``update``). Use it as a context manager.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn(unit)]
    if extra:
        columns.append(TextColumn(f"{{task.fields[{extra}]}}"))
    columns.append(TimeElapsedColumn())
    if eta:
        columns += [TextColumn("ETA"), TimeRemainingColumn()]
    return Progress(*columns, console=_console("err_console"), transient=transient,
                    disable=not show_progress(quiet))
