"""``validate`` and ``calibrate`` on a Dask cluster (``--executor dask``): the same table and the
same calibration record as on local processes, resumption after an interrupted cluster
calibration, the firm panel streamed to Parquet, and the executor options' errors.

The clusters are in-process ``LocalCluster`` threads (as in ``test_sweep``), kept small; the
killed-worker test runs one worker process, which its task kills.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BASELINE, assert_one_line_error, invoke

from restructuring_sim import load_scenario
from restructuring_sim.calibration.run import calibrate
from restructuring_sim.errors import UserError
from restructuring_sim.experiments.executors import open_executor
from restructuring_sim.panel import ParquetStream
from restructuring_sim.paper.ensemble import run_ensemble
from restructuring_sim.paper.validate import run_validate

SMALL = ["simulation.n_firms=300"]


def test_validate_on_dask_gives_the_local_table(tmp_path, capsys):
    local = run_validate([BASELINE], 3, 2, True, tmp_path / "local", SMALL)
    dask = run_validate([BASELINE], 3, 1, True, tmp_path / "dask", SMALL, executor="dask",
                        dask_workers=2, dask_processes=False)
    assert local == dask
    a = json.loads((tmp_path / "local" / "moments.json").read_text())
    b = json.loads((tmp_path / "dask" / "moments.json").read_text())
    assert a == b and len(a["source"]["seeds"]) == 3
    capsys.readouterr()


SPEC = """
name = "tiny"
scenario = "{scenario}"
seed = 7
overrides = ["simulation.n_firms=150"]
moments = ["late_share", "year_2000_share", "sme_only_share"]

[parameters."behaviour.sample_size"]
low = 2.0
high = 8.0

[budget]
population_size = 3
generations = 2
replicates = 2
check_replicates = 2
"""


def _spec(folder: Path, design: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "tiny.toml"
    text = SPEC.format(scenario=BASELINE.as_posix())
    if design:
        text = text.replace("population_size = 3\ngenerations = 2\n",
                            'method = "design"\ndesign_points = 5\nrefine_points = 2\n')
    path.write_text(text)
    return path


def _record(out: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    best = json.loads((out / "best.json").read_text())
    return (best, pd.read_csv(out / "history.csv"), pd.read_csv(out / "posterior.csv"))


def test_calibrate_on_dask_gives_the_local_record_and_resumes(tmp_path):
    local_spec = _spec(tmp_path / "local")
    calibrate(local_spec)
    dask_spec = _spec(tmp_path / "dask")

    def stop(done, total, line):
        raise KeyboardInterrupt  # Ctrl-C after the first generation

    with open_executor("dask", dask_workers=2, dask_processes=False) as (pool, _):
        with pytest.raises(KeyboardInterrupt):
            calibrate(dask_spec, progress=stop, executor=pool)
        assert not (tmp_path / "dask" / "tiny" / "best.json").exists()
    with open_executor("dask", dask_workers=2, dask_processes=False) as (pool, _):
        calibrate(dask_spec, executor=pool)  # resumes at the second generation
    best_local, history_local, posterior_local = _record(tmp_path / "local" / "tiny")
    best_dask, history_dask, posterior_dask = _record(tmp_path / "dask" / "tiny")
    assert best_local == best_dask
    pd.testing.assert_frame_equal(history_local, history_dask)
    pd.testing.assert_frame_equal(posterior_local, posterior_dask)
    assert list(history_dask["generation"]) == [0, 1]


def test_a_design_on_dask_gives_the_local_record_and_resumes(tmp_path):
    calibrate(_spec(tmp_path / "local", design=True))
    dask_spec = _spec(tmp_path / "dask", design=True)

    def stop(done, total, line):
        if done == 3:
            raise KeyboardInterrupt  # Ctrl-C after the third point

    with open_executor("dask", dask_workers=2, dask_processes=False) as (pool, _):
        with pytest.raises(KeyboardInterrupt):
            calibrate(dask_spec, progress=stop, executor=pool)
        assert len(pd.read_csv(tmp_path / "dask" / "tiny" / "design.csv")) == 3
        calibrate(dask_spec, executor=pool)  # resumes at the fourth point
    local, dask = (tmp_path / where / "tiny" for where in ("local", "dask"))
    assert json.loads((local / "best.json").read_text()) == json.loads(
        (dask / "best.json").read_text())
    pd.testing.assert_frame_equal(pd.read_csv(local / "design.csv"),
                                  pd.read_csv(dask / "design.csv"))


@pytest.mark.parametrize("command", ["validate", "calibrate"])
def test_executor_options_errors(tmp_path, command):
    target = BASELINE if command == "validate" else _spec(tmp_path)
    r = invoke(command, target, "--executor", "local", "--scheduler", "tcp://127.0.0.1:1")
    assert_one_line_error(r, "--scheduler", "only with --executor dask")
    r = invoke(command, target, "--executor", "cloud")
    assert_one_line_error(r, "--executor 'cloud'", "allowed: local, dask")
    r = invoke(command, target, "--dask-workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert_one_line_error(r, "--dask-workers and --scheduler")
    r = invoke(command, target, "--dask-workers", "0")
    assert_one_line_error(r, "--dask-workers 0", ">= 1")


def test_validate_workers_contradict_a_cluster():
    r = invoke("validate", BASELINE, "-n", "2", "--workers", "2", "--executor", "dask")
    assert_one_line_error(r, "--workers 2", "only with --executor local")


def _written_table_by_table(path, parts, row_group_rows=None):
    """The file pyarrow's own writer makes of ``parts``, each table written on its own."""
    with pq.ParquetWriter(path, parts[0].schema, compression="zstd") as writer:
        for part in parts:
            writer.write_table(part.combine_chunks(), row_group_size=row_group_rows)
    return path.read_bytes()


def test_parquet_stream_starts_a_row_group_with_each_table(tmp_path):
    """Each table streamed is row groups of its own, cut at ``row_group_rows``: a yearly panel's
    groups are its years. The rows are the tables' concatenation, and the bytes those of
    pyarrow's writer given the same tables."""
    parts = [pa.table({"x": list(range(k, k + n)), "y": [float(i) for i in range(n)]})
             for k, n in ((0, 5), (5, 7), (12, 1), (13, 6))]
    stream = ParquetStream(tmp_path / "s.parquet", row_group_rows=4)
    for part in parts:
        stream.write(part)
    assert not (tmp_path / "s.parquet").exists()  # the name appears only when complete
    stream.close()
    file = pq.ParquetFile(tmp_path / "s.parquet")
    sizes = [file.metadata.row_group(g).num_rows for g in range(file.metadata.num_row_groups)]
    assert sizes == [4, 1, 4, 3, 1, 4, 2]
    assert file.read().equals(pa.concat_tables(parts))
    assert ((tmp_path / "s.parquet").read_bytes()
            == _written_table_by_table(tmp_path / "w.parquet", parts, 4))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.parquet", "w.parquet"]


def test_parquet_stream_waited_for_writes_the_same_file(tmp_path):
    """Waiting for the writer after each table (as the model does before building the next)
    and dictionary columns change no byte."""
    labels = pa.array(["a", "b", "c"])
    parts = [pa.table({"x": list(range(k, k + n)),
                       "s": pa.DictionaryArray.from_arrays(pa.array([i % 3 for i in range(n)],
                                                                    pa.int32()), labels)})
             for k, n in ((0, 5), (5, 7), (12, 1), (13, 6), (19, 4))]
    stream = ParquetStream(tmp_path / "s.parquet", row_group_rows=4)
    for part in parts:
        stream.write(part)
        stream.wait()
    stream.close()
    assert ((tmp_path / "s.parquet").read_bytes()
            == _written_table_by_table(tmp_path / "w.parquet", parts, 4))


def test_event_log_streamed_by_row_group_writes_the_same_file(tmp_path):
    """A log of several row groups is written one group at a time: the file of its whole table
    (the observer's draws included, which are made for the whole log)."""
    from restructuring_sim import RestructuringModel, load_scenario

    model = RestructuringModel(load_scenario(BASELINE, ["simulation.n_firms=300"]), seed=2)
    model.run()
    log = model.events
    assert len(log) > 3 * 100
    log.write(tmp_path / "s.parquet", row_group_rows=100)
    pq.write_table(log.to_arrow(), tmp_path / "w.parquet", compression="zstd",
                   row_group_size=100)
    assert (tmp_path / "s.parquet").read_bytes() == (tmp_path / "w.parquet").read_bytes()
    assert pq.ParquetFile(tmp_path / "s.parquet").metadata.num_row_groups > 3


def test_parquet_stream_sealed_finishes_on_its_thread(tmp_path):
    """``seal`` lets the writer finish the file while the caller goes on (``run`` writes the
    other files meanwhile); the file is the same, named only at ``close``, and takes no more
    tables."""
    parts = [pa.table({"x": list(range(k, k + n))}) for k, n in ((0, 5), (5, 7))]
    stream = ParquetStream(tmp_path / "s.parquet")
    for part in parts:
        stream.write(part)
    assert stream.rows == 12 and stream.row_group_rows == 1024 * 1024
    stream.seal()
    with pytest.raises(ValueError, match="closed"):
        stream.write(parts[0])
    stream.close()
    assert stream.closed
    stream.close()  # a second close does nothing
    assert (tmp_path / "s.parquet").read_bytes() == _written_table_by_table(
        tmp_path / "w.parquet", parts)


def test_parquet_stream_abort_leaves_no_file(tmp_path):
    stream = ParquetStream(tmp_path / "s.parquet")
    stream.write(pa.table({"x": [1]}))
    stream.abort()
    assert list(tmp_path.iterdir()) == []


def test_parquet_stream_reports_a_writer_error(tmp_path):
    stream = ParquetStream(tmp_path / "s.parquet")
    stream.write(pa.table({"x": [1]}))
    stream.write(pa.table({"x": ["not an integer"]}))  # another schema: the writer fails
    stream.wait()  # returns: the writer has stopped
    with pytest.raises(pa.ArrowInvalid, match="(?i)schema"):
        stream.close()
    assert list(tmp_path.iterdir()) == []


def test_streamed_firm_panel_equals_the_kept_one(tmp_path):
    """``run`` streams firms.parquet year by year; its rows are the model's firm table."""
    from restructuring_sim import RestructuringModel, load_scenario

    r = invoke("run", BASELINE, "--seed", "3", "--set", "simulation.n_firms=200",
               "--out", tmp_path / "run", "-q")
    assert r.exit_code == 0, r.stderr
    model = RestructuringModel(load_scenario(BASELINE, ["simulation.n_firms=200"]), seed=3)
    model.run()
    assert pq.read_table(tmp_path / "run" / "firms.parquet").equals(model.firms_table())
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.startswith(".")]
    # a row group per year, which a reader of one year can pick by the year's statistics
    meta = pq.ParquetFile(tmp_path / "run" / "firms.parquet").metadata
    year = meta.schema.names.index("year")
    spans = [(meta.row_group(g).column(year).statistics.min,
              meta.row_group(g).column(year).statistics.max) for g in range(meta.num_row_groups)]
    assert spans == [(y, y) for y in range(1988, 2001)]
    # the file a kept panel makes is the streamed one, byte for byte
    from restructuring_sim.runner import write_run

    write_run(model, tmp_path / "kept", 0.0, lambda: None)
    assert ((tmp_path / "kept" / "firms.parquet").read_bytes()
            == (tmp_path / "run" / "firms.parquet").read_bytes())


def test_a_dask_worker_killed_on_every_try_is_a_one_line_error():
    """A replicate whose worker process dies each time it runs (as when its machine runs out of
    memory) ends the ensemble with a one-line error, not Dask's KilledWorker traceback."""
    import dask
    import distributed  # noqa: F401  (its config defaults first: leaving the set below would
    # otherwise drop the whole "distributed" section, and later clusters fail to start)

    def killed(data, seed):  # pickled by value: the worker process needs no test module
        import os

        os._exit(9)

    scenario = load_scenario(BASELINE, SMALL)
    with (dask.config.set({"distributed.scheduler.allowed-failures": 0}),
          open_executor("dask", dask_workers=1) as (executor, _),
          pytest.raises(UserError, match="a worker process was killed")):
        run_ensemble(scenario, 1, task=killed, executor=executor)
