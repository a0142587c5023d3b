from restructuring_sim.cli import app

app(prog_name="restructuring-sim")
