"""Experiments at scale: sweep specs, executors (local processes or Dask), the result store,
run metrics, comparisons against a baseline and sensitivity analysis.

Typical use from Python::

    from restructuring_sim.experiments.spec import load_plan
    from restructuring_sim.experiments.sweep import run_sweep

    report = run_sweep(load_plan("experiments/sweeps/example.toml"), "runs/example")
"""
