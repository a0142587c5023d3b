"""The run directory contract: every file present, with the documented columns and Arrow types.

Users and later stages (trends, paper comparison, sweeps) read these files without the model, so
their schemas are a contract: ``events.parquet`` must match :data:`restructuring_sim.events.SCHEMA`
exactly, and the other files must carry the documented columns with the documented types.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from restructuring_sim import Scenario, __version__
from restructuring_sim.events import KINDS, SCHEMA
from restructuring_sim.network import (
    DEGREE_SCHEMA,
    EDGE_SCHEMA,
    LAYERS,
    METRIC_LAYERS,
    METRIC_SCHEMA,
    PATH_SOURCES,
    layer_rows,
)
from restructuring_sim.runner import RUN_FILES

N_FIRMS = 3000  # the size of the shared baseline_run fixture
N_YEARS = 13
N_STEPS = 52

STRING = "string"
INT = "int"


def is_string_like(t: pa.DataType) -> bool:
    """A text column: plain or dictionary-encoded strings."""
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and pa.types.is_string(t.value_type))


def check_columns(schema: pa.Schema, expected: dict[str, object]) -> None:
    """Every expected column is present with its type (``STRING``: text, ``INT``: any integer)."""
    missing = [name for name in expected if name not in schema.names]
    assert not missing, f"missing columns: {missing}"
    for name, want in expected.items():
        got = schema.field(name).type
        if want == STRING:
            assert is_string_like(got), f"{name}: {got} is not a string column"
        elif want == INT:
            assert pa.types.is_integer(got), f"{name}: {got} is not an integer column"
        else:
            assert got == want, f"{name}: {got} != {want}"


def test_all_seven_files_are_written(run_dir):
    assert set(RUN_FILES) == {"events.parquet", "firms.parquet", "timeseries.parquet",
                              "network_edges.parquet", "network_metrics.parquet",
                              "network_degrees.parquet", "manifest.json"}
    for name in RUN_FILES:
        assert (run_dir / name).is_file(), name
        assert (run_dir / name).stat().st_size > 0, name
    # atomic writes leave no temporary files behind
    assert not [p.name for p in run_dir.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ events


def test_events_schema_is_the_contract(run_dir):
    table = pq.read_table(run_dir / "events.parquet")
    assert table.schema.remove_metadata().equals(SCHEMA), table.schema
    assert table.schema.names == [
        "run_id", "seed", "step", "year", "quarter", "kind", "deal_id", "firm_ids",
        "size_classes", "countries", "regions", "sector", "sector_group", "purposes",
        "joint_venture", "equity", "cross_border", "involves_sme", "motive", "channel", "value",
        "reported", "value_disclosed", "named_at_home",
    ]
    assert table.num_rows > 0


def test_event_schema_types_match_the_design():
    expected = {
        "run_id": pa.string(), "seed": pa.int64(), "kind": pa.string(), "deal_id": pa.int64(),
        "firm_ids": pa.list_(pa.int64()), "size_classes": pa.list_(pa.string()),
        "countries": pa.list_(pa.string()), "regions": pa.list_(pa.string()),
        "sector": pa.string(), "sector_group": pa.string(), "purposes": pa.list_(pa.string()),
        "joint_venture": pa.bool_(), "equity": pa.bool_(), "cross_border": pa.bool_(),
        "involves_sme": pa.bool_(), "motive": pa.string(), "channel": pa.string(),
        "value": pa.float64(), "step": INT, "year": INT, "quarter": INT,
        "reported": pa.bool_(), "named_at_home": pa.list_(pa.bool_()),
    }
    check_columns(SCHEMA, expected)


def test_events_in_memory_equal_events_on_disk(run_dir, baseline_model):
    on_disk = pq.read_table(run_dir / "events.parquet").to_pandas()
    pd.testing.assert_frame_equal(on_disk, baseline_model.events.to_pandas())


def test_events_identify_the_run(run_dir, baseline_model):
    events = pq.read_table(run_dir / "events.parquet").to_pandas()
    assert set(events["run_id"]) == {baseline_model.run_id}
    assert set(events["seed"]) == {5}
    assert set(events["kind"]) <= set(KINDS)
    assert "alliance_formed" in set(events["kind"])


def test_empty_event_log_still_has_the_schema(tmp_path):
    from restructuring_sim.events import EventLog

    log = EventLog("r", 1)
    log.write(tmp_path / "e.parquet")
    table = pq.read_table(tmp_path / "e.parquet")
    assert table.num_rows == 0
    assert table.schema.remove_metadata().equals(SCHEMA)


# ------------------------------------------------------------------ firms


FIRM_COLUMNS = {
    "firm_id": pa.int64(), "year": INT, "employees": pa.float64(), "size_class": STRING,
    "sector": STRING, "sector_group": STRING, "country": STRING, "region": STRING,
    "cluster": INT, "mne": pa.bool_(), "knowledge": pa.float64(), "capability": pa.float64(),
    "capital": pa.float64(), "n_markets": INT, "live_alliances": INT, "status": STRING,
    "revenue": pa.float64(), "deal_revenue": pa.float64(), "export_revenue": pa.float64(),
    "export_markets": INT, "cross_border_revenue_share": pa.float64(),
}


def test_firms_schema(run_dir):
    table = pq.read_table(run_dir / "firms.parquet")
    check_columns(table.schema, FIRM_COLUMNS)


def test_firms_one_row_per_firm_per_year(run_dir):
    firms = pq.read_table(run_dir / "firms.parquet").to_pandas()
    assert sorted(firms["year"].unique()) == list(range(1988, 2001))
    assert not firms.duplicated(["firm_id", "year"]).any()
    first = firms[firms["year"] == 1988]
    assert set(first["firm_id"]) >= set(range(N_FIRMS))
    # every firm that ever existed appears in the last year (exited firms keep a status row)
    assert set(firms[firms["year"] == 2000]["firm_id"]) == set(firms["firm_id"])
    assert set(firms["size_class"].astype(str)) <= {"small", "medium", "large"}
    assert set(firms["sector_group"].astype(str)) <= {"manufacturing", "services"}
    assert set(firms["status"].astype(str)) <= {"active", "acquired", "exited"}
    assert (firms["employees"] >= 1).all()
    assert firms["capability"].between(0, 1).all()
    assert (firms["n_markets"] >= 1).all()
    assert (firms["live_alliances"] >= 0).all()
    assert firms["export_markets"].between(0, len(Scenario().countries) - 1).all()
    assert (firms["export_revenue"] >= 0).all()
    assert (firms["export_revenue"] <= firms["revenue"] + 1e-9).all()
    assert firms["cross_border_revenue_share"].between(0, 1).all()
    exporters = firms[(firms["status"] == "active") & (firms["export_markets"] > 0)]
    assert len(exporters) and (exporters["export_revenue"] > 0).all()


# ------------------------------------------------------------------ timeseries


TIMESERIES_COLUMNS = {
    "step": INT, "year": INT, "quarter": INT, "active_firms": INT, "live_alliances": INT,
    "alliances_formed": INT, "alliances_dissolved": INT, "ict_cost": pa.float64(),
    "trade_openness": pa.float64(), "mean_knowledge": pa.float64(),
    "mean_sme_capability": pa.float64(), "exporting_sme_share": pa.float64(),
    "mean_export_markets": pa.float64(),
}


def test_timeseries_schema_and_rows(run_dir):
    table = pq.read_table(run_dir / "timeseries.parquet")
    check_columns(table.schema, TIMESERIES_COLUMNS)
    ts = table.to_pandas()
    assert len(ts) == N_STEPS
    assert list(ts["step"]) == list(range(N_STEPS))
    assert list(ts["year"]) == [1988 + s // 4 for s in range(N_STEPS)]
    assert list(ts["quarter"]) == [s % 4 + 1 for s in range(N_STEPS)]
    # the baseline's drivers as the scenario states them
    assert ts["ict_cost"].iloc[0] == pytest.approx(1.0, abs=0.01)
    assert ts["ict_cost"].iloc[-1] == pytest.approx(0.35, abs=0.02)
    assert ts["ict_cost"].is_monotonic_decreasing
    assert ts["trade_openness"].is_monotonic_increasing


# ------------------------------------------------------------------ network


def test_network_edges_schema(run_dir):
    table = pq.read_table(run_dir / "network_edges.parquet")
    assert table.schema.remove_metadata().equals(EDGE_SCHEMA), table.schema
    check_columns(table.schema, {"edge_id": pa.int64(), "layer": STRING, "source": pa.int64(),
                                 "target": pa.int64(), "start_step": INT, "end_step": INT})
    edges = table.to_pandas()
    assert len(edges) > 0
    assert set(edges["layer"]) <= set(LAYERS)
    assert edges["edge_id"].is_unique
    # end_step is null exactly for ties live at the end of the run
    assert edges["end_step"].isna().any() and edges["end_step"].notna().any()


def test_network_metrics_schema(run_dir):
    table = pq.read_table(run_dir / "network_metrics.parquet")
    assert table.schema.remove_metadata().equals(METRIC_SCHEMA), table.schema
    metrics = table.to_pandas()
    assert list(metrics["year"]) == [y for y in range(1988, 2001) for _ in METRIC_LAYERS]
    assert list(metrics["layer"]) == list(METRIC_LAYERS) * 13
    every = layer_rows(metrics, "all")
    # the "all" rows count every layer; a layer's row counts its own ties only
    assert (every["edges"] == every[[f"edges_{x}" for x in LAYERS]].sum(axis=1)).all()
    for layer in LAYERS:
        rows = layer_rows(metrics, layer)
        assert (rows["edges"] == every[f"edges_{layer}"]).all(), layer
        others = [f"edges_{x}" for x in LAYERS if x != layer]
        assert (rows[others] == 0).all().all(), layer
        assert (rows["tied_nodes"] <= every["tied_nodes"]).all(), layer
    # nodes are the active firms of firms.parquet; subsidiaries are named apart
    firms = pq.read_table(run_dir / "firms.parquet", columns=["year", "status"]).to_pandas()
    active = firms[firms["status"] == "active"].groupby("year").size()
    assert every.set_index("year")["nodes"].to_dict() == active.to_dict()
    acquired = firms[firms["status"] == "acquired"].groupby("year").size()
    assert (every.set_index("year")["subsidiaries"] <= acquired.reindex(every["year"])).all()
    assert (every["subsidiaries"] == every["edges_ownership"]).all()  # one owner each
    assert (metrics["tied_nodes"] < metrics["nodes"]).all()
    n = metrics["nodes"] + metrics["subsidiaries"]
    assert metrics["mean_degree"].to_list() == pytest.approx((2 * metrics["edges"] / n).tolist())
    # clustering against the same-density random graph: its density, and their ratio
    tied = metrics[metrics["edges"] > 0]
    assert tied["clustering_ratio"].to_list() == pytest.approx(
        (tied["clustering"] / tied["random_clustering"]).to_list())
    assert (metrics["giant_component"] <= metrics["tied_nodes"] + metrics["subsidiaries"]).all()
    assert (metrics["path_sources"] <= PATH_SOURCES).all()
    sampled = metrics["giant_component"] > PATH_SOURCES
    assert (metrics.loc[sampled, "path_sources"] == PATH_SOURCES).all()
    exact = ~sampled & (metrics["giant_component"] > 1)
    assert (metrics.loc[exact, "path_sources"] == metrics.loc[exact, "giant_component"]).all()
    assert (metrics.loc[metrics["giant_component"] > 2, "mean_path_length"] > 1).all()
    # new ties: the "all" row counts every layer's; supply renewals repeat a partner
    assert (every["new_ties"] == sum(layer_rows(metrics, x)["new_ties"] for x in LAYERS)).all()
    supply = layer_rows(metrics, "supply")
    assert supply["repeat_partner_share"].max() > 0
    assert layer_rows(metrics, "ownership")["repeat_partner_share"].max() == 0  # bought once


def test_network_degrees_histogram(run_dir):
    degrees = pq.read_table(run_dir / "network_degrees.parquet")
    assert degrees.schema.remove_metadata().equals(DEGREE_SCHEMA)
    degrees = degrees.to_pandas()
    metrics = pq.read_table(run_dir / "network_metrics.parquet").to_pandas()
    keyed = metrics.set_index(["year", "layer"])
    by = degrees.groupby(["year", "layer"])
    # every active firm once per year and layer, untied ones at degree 0
    assert (by["count"].sum() == keyed["nodes"].reindex(by["count"].sum().index)).all()
    untied = degrees[degrees["degree"] == 0].set_index(["year", "layer"])["count"]
    assert (untied == (keyed["nodes"] - keyed["tied_nodes"]).reindex(untied.index)).all()
    assert (by["degree"].max() == keyed["max_degree"].reindex(by["degree"].max().index)).all()
    assert (degrees["count"] > 0).all()


# ------------------------------------------------------------------ manifest


def test_manifest_keys_and_values(run_dir, baseline_model):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key in ("run_id", "seed", "package_version", "git_commit", "config_hash", "scenario",
                "wall_time_s", "files", "steps", "events"):
        assert key in manifest, key
    assert manifest["run_id"] == baseline_model.run_id
    assert manifest["seed"] == 5
    assert manifest["package_version"] == __version__
    assert manifest["steps"] == N_STEPS
    assert manifest["events"] == len(baseline_model.events)
    assert 0 < manifest["wall_time_s"] < 600 and round(manifest["wall_time_s"], 3) == \
        manifest["wall_time_s"]
    assert sorted(manifest["files"]) == sorted(RUN_FILES)
    assert manifest["git_commit"] is None or len(manifest["git_commit"]) == 40


def test_manifest_scenario_reproduces_the_run_configuration(run_dir, baseline_model):
    """The scenario as run, reloaded from the manifest, is the same scenario (same hash)."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    scenario = Scenario.model_validate(manifest["scenario"])
    assert scenario.config_hash() == manifest["config_hash"]
    assert scenario.config_hash() == baseline_model.scenario.config_hash()
    assert scenario.simulation.n_firms == N_FIRMS
    assert scenario.simulation.seed == 5


@pytest.mark.parametrize("row_group_size", [None, 7])
def test_parquet_writer_writes_the_bytes_of_pyarrow_parquet(tmp_path, row_group_size):
    """The run's own writer (``io.ParquetWriter``, made without ``pyarrow.parquet``) writes the
    file ``pyarrow.parquet.write_table`` writes, for the column types the run directory holds
    (numbers with nulls, booleans, strings, dictionaries, lists) and for an empty table."""
    from restructuring_sim.io import write_parquet_file

    n = 50
    table = pa.table({
        "i": pa.array(range(n), pa.int64()),
        "x": pa.array([None if k % 7 == 0 else k / 3 for k in range(n)], pa.float64()),
        "b": pa.array([k % 3 == 0 for k in range(n)]),
        "s": pa.array([None if k % 5 == 0 else f"s{k % 4}" for k in range(n)]),
        "d": pa.DictionaryArray.from_arrays(pa.array([k % 3 for k in range(n)], pa.int32()),
                                            pa.array(["a", "b", "c"])),
        "l": pa.array([[f"c{k}", "DE"][: k % 3] for k in range(n)], pa.list_(pa.string())),
    }).replace_schema_metadata({b"pandas": b"{}"})
    for name, t in (("full", table), ("empty", pa.table({}))):
        ours, theirs = tmp_path / f"ours_{name}.parquet", tmp_path / f"theirs_{name}.parquet"
        write_parquet_file(t, ours, compression="zstd", row_group_size=row_group_size)
        pq.write_table(t, theirs, compression="zstd", row_group_size=row_group_size)
        assert ours.read_bytes() == theirs.read_bytes(), name


def test_compute_functions_are_registered_before_any_writer_thread():
    """Arrow's compute functions are registered when ``pyarrow._compute`` is first imported;
    imported by one writer thread while another encoded a table, the registration raced the
    Parquet writer's lookup of ``unique``. The output modules import it themselves, so that it
    is done before a run's writer threads start."""
    import subprocess
    import sys

    for module in ("restructuring_sim.io", "restructuring_sim.panel", "restructuring_sim.events"):
        code = f"import sys, {module}; print('pyarrow._compute' in sys.modules)"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        assert done.stdout.strip() == "True", module


def test_freed_memory_is_handed_back_where_the_c_library_can(monkeypatch):
    """``return_freed_memory`` calls glibc's ``malloc_trim`` where there is one, and leaves a
    C library without it (macOS, musl) alone rather than failing the run."""
    import ctypes

    from restructuring_sim import memory

    calls = []

    class Libc:
        def malloc_trim(self, pad):
            calls.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    memory.return_freed_memory()
    assert calls == [0]

    class NoTrim:
        pass

    monkeypatch.setattr(ctypes, "CDLL", lambda name: NoTrim())
    memory.return_freed_memory()  # no malloc_trim: nothing to do, no error

    def missing(name):
        raise OSError("no C library")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    memory.return_freed_memory()


def test_every_entry_point_sets_the_process_up_for_large_runs(monkeypatch, tmp_path):
    """``run``, a ``validate`` or ``calibrate`` replicate and a ``sweep`` task each set the
    allocator (``mallopt``) and numpy's page advice before the model runs, so that a replicate
    costs the same on a local process or a Dask worker as a single run does."""
    import ctypes

    from restructuring_sim import memory, runner
    from restructuring_sim.experiments.spec import RunTask
    from restructuring_sim.experiments.sweep import run_task
    from restructuring_sim.paper.ensemble import run_one
    from restructuring_sim.scenario import load_scenario

    settings = []

    class Libc:
        def mallopt(self, param, value):
            settings.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    memory.prepare_process()
    assert settings == [(-3, 32 << 20), (-1, 128 << 20)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD

    calls = []
    monkeypatch.setattr(memory, "prepare_process", lambda: calls.append(1))
    monkeypatch.setattr(runner, "prepare_process", lambda: calls.append(1))
    scenario = load_scenario(overrides=["simulation.n_firms=60", "simulation.end_year=1988"])
    runner.run_scenario(scenario, tmp_path / "run")
    run_one(scenario.to_dict(), 1)
    task = RunTask(run_key="k", point_id=0, replicate=0, seed=1, scenario_data=scenario.to_dict(),
                   params={}, metrics=[], keep_events=False)
    assert run_task(task)["status"] == "ok"
    assert len(calls) == 3
