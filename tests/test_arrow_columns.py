"""Arrow arrays built from their buffers (restructuring_sim.columns) are those pyarrow.array
builds, and the time series table built without pandas is pandas's own."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from conftest import python_stdout

from restructuring_sim.columns import (
    arrow_array,
    arrow_repeated_string,
    arrow_rows,
    arrow_strings,
    arrow_table,
    arrow_take,
)
from restructuring_sim.model import _table_as_from_pandas


@pytest.mark.parametrize("values, kind", [
    (np.arange(7, dtype=np.int64), None),
    (np.arange(7, dtype=np.int16)[::2], None),
    (np.arange(7, dtype=np.int64), pa.int32()),
    (np.array([True, False, True] * 5), None),
    (np.array([1.5, 2.0, -3.0]), None),
    (np.array([], dtype=np.float64), None),
])
def test_arrow_array_is_pyarrow_array(values, kind):
    built = arrow_array(values, kind)
    built.validate(full=True)
    assert built.equals(pa.array(values, kind))


def test_mask_makes_nulls():
    values = np.array([1.0, np.nan, 3.0, 4.0])
    built = arrow_array(values, mask=np.isnan(values))
    assert built.equals(pa.array(values, from_pandas=True))
    assert built.null_count == 1


def test_strings_tables_and_rows():
    assert arrow_strings(["a", None, "bcé"]).equals(pa.array(["a", None, "bcé"], pa.string()))
    assert arrow_repeated_string("r-s1", 4).equals(pa.array(["r-s1"] * 4, pa.string()))
    schema = pa.schema([("k", pa.string()), ("n", pa.int64()), ("x", pa.float64()),
                        ("b", pa.bool_())])
    rows = [{"k": "a", "n": 1, "x": 0.5, "b": True}, {"k": "b", "x": 2.5},
            {"k": "c", "n": 3, "x": None, "b": False}]
    assert arrow_rows(rows, schema).equals(pa.Table.from_pylist(rows, schema=schema))
    columns = {"k": ["a", "b"], "n": np.array([1, 2]), "x": [1.0, None], "b": [True, None]}
    assert arrow_table(columns, schema).equals(pa.table(columns, schema=schema))


def test_take_is_pyarrow_take():
    vocabulary = arrow_strings([None, "a", "", "bcé"])
    for positions in ([3, 0, 1, 1, 2], []):
        indices = pa.array(positions, pa.int64())
        assert arrow_take(vocabulary, indices).equals(vocabulary.take(indices))
    with pytest.raises(IndexError):
        arrow_take(vocabulary, pa.array([4]))


def test_time_series_table_is_pandas_table():
    columns = {"step": np.arange(3, dtype=np.int64), "n": np.array([1, 2, 3]),
               "share": np.array([0.5, np.nan, 0.25]), "flag": np.array([True, False, True])}
    expected = pa.Table.from_pandas(pd.DataFrame(columns), preserve_index=False)
    built = _table_as_from_pandas(columns)
    assert built.equals(expected)
    assert built.schema.metadata == expected.schema.metadata


def test_run_does_not_import_pandas_for_its_own_outputs(tmp_path):
    """A run's events, firm panel and time series are built without pandas (its import is
    0.2 s of a small run's start)."""
    code = (
        "import sys\n"
        "from restructuring_sim.model import RestructuringModel\n"
        "from restructuring_sim.scenario import Scenario\n"
        "m = RestructuringModel(Scenario.model_validate({'simulation': {'n_firms': 300,"
        " 'start_year': 1990, 'end_year': 1991}}))\n"
        "m.run()\n"
        "m.events.to_arrow(); m.firms_table(); m.timeseries_table()\n"
        "print('pandas' in sys.modules)\n"
    )
    assert python_stdout(code, cwd=tmp_path).strip() == "False"


def test_run_directory_without_start_ups_it_does_not_use(tmp_path):
    """Writing a run directory imports neither pyarrow.compute (0.04 s) nor scipy's array-API
    layer (numpy.f2py and the other NumPy submodules it loads, 0.1 s) nor scipy.linalg, nor
    scipy.sparse (0.04 s: the network metrics are computed with numpy)."""
    code = (
        "import sys\n"
        "from restructuring_sim.runner import run_scenario\n"
        "from restructuring_sim.scenario import Scenario\n"
        "run_scenario(Scenario.model_validate({'simulation': {'n_firms': 300,"
        " 'start_year': 1990, 'end_year': 1991}}), 'run')\n"
        "print(*(name in sys.modules for name in ('pyarrow.compute', 'numpy.f2py',"
        " 'scipy.linalg', 'scipy.sparse')))\n"
    )
    assert python_stdout(code, cwd=tmp_path).split() == ["False"] * 4
