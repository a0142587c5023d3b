# restructuring_sim: developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint docs docs-figure bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	bash scripts/solara_offline_assets.sh $(VENV)
	touch $(STAMP)

demo: install
	$(BIN)/restructuring-sim run experiments/scenarios/baseline.toml --seed 1 --out runs/baseline --overwrite --report

test: install lint
	$(BIN)/python -m pytest -n 2 -q

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict

# the README's figure: the baseline's annual chart beside the paper (seed 1)
docs-figure: install
	$(BIN)/restructuring-sim run experiments/scenarios/baseline.toml --seed 1 --out runs/baseline --overwrite --quiet
	$(BIN)/restructuring-sim plot runs/baseline --out runs/baseline/figures
	cp runs/baseline/figures/annual_deals.png docs/img/annual_deals.png

lint: install
	$(BIN)/ruff check restructuring_sim tests benchmarks experiments notebooks

# the package's bytecode, compiled ahead (a no-op when it is current): a run then does not compile
# its modules from source, which it would do every time where PYTHONDONTWRITEBYTECODE is set
bench: install
	$(BIN)/python -m compileall -q restructuring_sim
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_scale.py

clean:
	rm -rf $(VENV) runs site .pytest_cache .ruff_cache
