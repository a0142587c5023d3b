"""Start the dashboard: ``solara run restructuring_sim.viz.dashboard`` on 127.0.0.1.

The scenario is checked here first (a bad file exits 2 with one line), then handed to the app
through the environment (``RESTRUCTURING_SIM_SCENARIO``). Solara's telemetry is switched off:
the dashboard needs no network beyond the local machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from restructuring_sim.errors import UserError

APP_MODULE = "restructuring_sim.viz.dashboard"
#: firms in a dashboard run unless the slider says otherwise (the baseline's 10,000 step slowly)
DEFAULT_FIRMS = 300


def size_note(scenario, n_firms: int = DEFAULT_FIRMS) -> str:
    """What size the dashboard runs at, against the scenario's own size."""
    own = scenario.simulation.n_firms
    if own == n_firms:
        return f"{n_firms:,} firms at the start, as the scenario"
    return (f"{n_firms:,} firms at the start (the scenario has {own:,}; "
            "'Firms at the start' and Reset change it)")


def server_env(scenario: Path | None) -> dict[str, str]:
    """Environment of the server process: scenario path, no telemetry."""
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env.pop("RESTRUCTURING_SIM_SCENARIO", None)
    if scenario is not None:
        env["RESTRUCTURING_SIM_SCENARIO"] = str(Path(scenario).resolve())
    return env


def command(port: int) -> list[str]:
    """The server command line (production mode, loopback only)."""
    return [sys.executable, "-m", "solara", "run", APP_MODULE, "--production",
            "--host", "127.0.0.1", "--port", str(int(port))]


def serve(scenario: Path | None, port: int) -> int:
    """Check the scenario and the port, then run the server until interrupted."""
    from restructuring_sim.scenario import load_scenario

    loaded = load_scenario(scenario)  # raises UserError on a bad file
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: must be in 1..65535")
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UserError(f"--port {port}: in use on 127.0.0.1; choose another") from None
    print(f"dashboard: http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)
    print(f"dashboard: {loaded.name}, {size_note(loaded)}", flush=True)
    return run_server(command(port), server_env(scenario))


def run_server(cmd: list[str], env: dict[str, str]) -> int:
    """Run the server process until it ends or this process is told to stop.

    SIGTERM or SIGHUP to this process, and Ctrl-C, stop the server too (it is sent SIGTERM, and
    SIGKILL if it has not ended 10 s later); on Linux the server also gets SIGTERM should this
    process die without a chance to pass it on. Returns 0 after a stop, else the server's exit
    status.
    """
    proc = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent)  # noqa: PLW1509
    stopped = False

    def stop(_signum, _frame) -> None:
        nonlocal stopped
        stopped = True
        if proc.poll() is None:
            proc.terminate()

    handled = (signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in handled}
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        stopped = True
        code = 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _end(proc)
    return 0 if stopped else code


def _end(proc: subprocess.Popen) -> None:
    """Make sure the server process has ended."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _die_with_parent() -> None:
    """In the server process before it starts (Linux): ask the kernel for SIGTERM when the
    dashboard process dies, whatever kills it."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
