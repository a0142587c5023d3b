"""The package's structure: no import cycle among its modules, and a command line that starts
without loading what it does not use (the calibration stack, scipy.stats, matplotlib)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
from conftest import python_stdout

PACKAGE = Path(__file__).resolve().parents[1] / "restructuring_sim"
HEAVY = ("pyabc", "scipy.stats", "matplotlib", "restructuring_sim.calibration.run", "mesa")


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def import_graph() -> nx.DiGraph:
    """Every import between the package's modules, at module level or inside a function (a
    deferred import back is still a loop), ``TYPE_CHECKING`` blocks included. ``from pkg import
    name`` is an edge to ``pkg.name`` if that is a module, else to ``pkg``."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = nx.DiGraph()
    for mod, path in mods.items():
        graph.add_node(mod)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        pkg = pkg.rpartition(".")[0]
                    base = f"{pkg}.{base}" if base else pkg
                targets = [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                found = resolve(target)
                if found and found != mod:
                    graph.add_edge(mod, found)
    return graph


def test_import_graph_sees_the_package():
    graph = import_graph()
    assert graph.has_edge("restructuring_sim.cli", "restructuring_sim.console")
    assert graph.has_edge("restructuring_sim.cli", "restructuring_sim.paper.validate")
    assert graph.number_of_nodes() > 40


def test_no_import_cycle():
    graph = import_graph()
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        cycle = None
    assert cycle is None, f"import cycle: {cycle}"


def test_command_modules_do_not_import_cli():
    graph = import_graph()
    assert sorted(graph.predecessors("restructuring_sim.cli")) == ["restructuring_sim.__main__"]


def _loaded_after(args: list[str]) -> set[str]:
    """Modules loaded by the command line after running it with ``args`` in a fresh process."""
    code = (
        "import json, sys\n"
        "from restructuring_sim.cli import app\n"
        "try:\n"
        f"    app({args!r}, prog_name='restructuring-sim')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    return set(json.loads(python_stdout(code).strip().splitlines()[-1]))


def _heavy(loaded: set[str], names=HEAVY) -> list[str]:
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in names))


def test_help_loads_no_model_nor_calibration_stack():
    loaded = _loaded_after(["--help"])
    assert "typer" in loaded
    assert _heavy(loaded) == []
    assert _heavy(loaded, ("pandas", "pydantic", "restructuring_sim.model")) == []


def test_small_run_loads_no_calibration_stack_nor_plotting(tmp_path):
    loaded = _loaded_after(["run", "experiments/scenarios/baseline.toml", "--set",
                            "simulation.n_firms=100", "--set", "simulation.end_year=1989",
                            "--out", str(tmp_path / "run"), "--quiet"])
    assert "restructuring_sim.model" in loaded
    assert _heavy(loaded, ("pyabc", "scipy.stats", "matplotlib",
                           "restructuring_sim.calibration.run")) == []
    # a run uses Mesa's Model and Agent, not its batch runner or continuous space
    assert _heavy(loaded, ("scipy.spatial", "mesa.batchrunner", "mesa.experimental")) == []
    # the network metrics are numpy's; a quiet run draws no progress bar; the other commands
    # are made only when asked for
    assert _heavy(loaded, ("scipy.sparse", "rich.progress", "restructuring_sim.viz",
                           "restructuring_sim.experiments", "restructuring_sim.paper",
                           "restructuring_sim.calibration")) == []


def test_a_run_does_not_import_numpy_ma(tmp_path):
    """``np.unique`` imports ``numpy.ma`` (some 8 ms of a run's start); the mechanisms use
    :func:`restructuring_sim.columns.distinct` and ``first_of_each`` instead. A run of 2,000
    firms over the whole decade goes through acquisitions, cluster spillovers and knowledge
    updates, which used ``np.unique``."""
    loaded = _loaded_after(["run", "experiments/scenarios/baseline.toml", "--set",
                            "simulation.n_firms=2000", "--out", str(tmp_path / "run"),
                            "--quiet"])
    assert "restructuring_sim.mechanisms.acquisitions" in loaded
    assert _heavy(loaded, ("numpy.ma",)) == []


def test_mesa_package_completes_on_first_use_after_a_run_import():
    """The model imports Mesa's core classes without the package's ``__init__``; any other
    name of ``mesa`` then runs it, so users' ``import mesa`` code works as usual."""
    code = (
        "import restructuring_sim.model, sys\n"
        "assert 'mesa.batchrunner' not in sys.modules\n"
        "import mesa\n"
        "from mesa import DataCollector, batch_run\n"
        "assert mesa.Model is restructuring_sim.model.RestructuringModel.__mro__[1]\n"
        "assert callable(batch_run) and mesa.__version__.startswith('3.')\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
