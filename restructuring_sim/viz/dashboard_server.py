"""Start the dashboard: ``solara run restructuring_sim.viz.dashboard`` on 127.0.0.1.

The scenario is checked here first (a bad file exits 2 with one line), then handed to the app
through the environment (``RESTRUCTURING_SIM_SCENARIO``). Solara's telemetry is switched off:
the dashboard needs no network beyond the local machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from restructuring_sim.errors import UserError

APP_MODULE = "restructuring_sim.viz.dashboard"


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

    load_scenario(scenario)  # raises UserError on a bad file
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: must be in 1..65535")
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise UserError(f"--port {port}: in use on 127.0.0.1; choose another") from None
    print(f"dashboard: http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True)
    try:
        return subprocess.call(command(port), env=server_env(scenario))
    except KeyboardInterrupt:
        return 0
