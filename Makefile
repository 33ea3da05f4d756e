# The two commands a newcomer needs:  make report   and   make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KERNEL := kpi-workbook
STAMP := $(VENV)/.installed

AXE := tests/.browser/node_modules/axe-core/axe.min.js
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)

.PHONY: setup report test lint format lab bench clean browser pdf-browser

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (KPI workbook)"
	touch $@

# The paper's PDF is printed by Chromium: as root with apt, `make report` installs Debian's
# chromium first; otherwise it goes on without, and `kpi report` says in one line that no PDF
# was written and why (the HTML, tables and workbook are all there).
report: setup pdf-browser
	$(BIN)/kpi ingest
	$(BIN)/kpi report
	$(BIN)/kpi index

pdf-browser:
	@if [ -z "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    || echo "make report: could not install Debian's chromium: the report will have no PDF" >&2; \
	  else \
	    echo "make report: no chromium on PATH (install Debian's chromium as root for the PDF)" >&2; \
	  fi; \
	fi

# What tests/test_browser.py needs: a chromium (Debian's package when apt is available as root,
# else Playwright's own download) and axe-core from npm. Fails loudly; never skipped.
browser: setup $(AXE)
	@if [ -z "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	    || { echo "make browser: could not install Debian's chromium with apt-get" >&2; exit 1; }; \
	  else \
	    $(BIN)/python -m playwright install chromium \
	    || { echo "make browser: no chromium: install Debian's 'chromium' package (as root) or allow Playwright's browser download" >&2; exit 1; }; \
	  fi; \
	fi

$(AXE): tests/.browser/package.json
	@command -v npm >/dev/null || { echo "make browser: npm is needed to install axe-core (apt-get install npm)" >&2; exit 1; }
	npm install --silent --no-audit --no-fund --prefix tests/.browser \
	  || { echo "make browser: npm could not install axe-core" >&2; exit 1; }
	touch $@

# Two workers: the notebook-heavy modules share one session (xdist group "notebooks") on one
# worker while the rest of the suite runs on the other.
test: setup browser
	$(BIN)/ruff check kpi_lib tests bench
	$(BIN)/ruff format --check kpi_lib tests bench
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=15

lint: setup
	$(BIN)/ruff check kpi_lib tests bench
	$(BIN)/ruff format --check kpi_lib tests bench

format: setup
	$(BIN)/ruff format kpi_lib tests bench
	$(BIN)/ruff check --fix kpi_lib tests bench

lab: setup
	$(BIN)/jupyter lab --notebook-dir=. \
	  --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  --ServerApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data/processed outputs/*/
