# The two commands a newcomer needs:  make report   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := kpi-workbook
STAMP := $(VENV)/.installed

.PHONY: setup report test lint format lab bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (KPI workbook)"
	touch $@

report: setup
	$(BIN)/kpi ingest
	$(BIN)/kpi report

test: setup
	$(BIN)/ruff check kpi_lib tests bench
	$(BIN)/ruff format --check kpi_lib tests bench
	$(BIN)/python -m pytest

format: setup
	$(BIN)/ruff format kpi_lib tests bench
	$(BIN)/ruff check --fix kpi_lib tests bench

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data/processed outputs/*/
