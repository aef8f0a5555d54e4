# Two commands for users: `make demo` and `make test`. Everything is installed from nothing
# into .venv/ (pinned by requirements.lock), so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
DEMO_ROOT ?= demo_data/bids

.PHONY: install demo demo-data test test-fast lint bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo-data: install
	$(BIN)/python -m tfmxne.pipeline.demo --bids-root $(DEMO_ROOT)

demo: demo-data
	$(BIN)/snakemake --cores $(CORES) --configfile config.yaml --rerun-incomplete
	@echo
	@echo "Reports: $$(ls $(DEMO_ROOT)/derivatives/tfmxne/sub-*/*/*_report.html $(DEMO_ROOT)/derivatives/tfmxne/sub-*/*_report.html 2>/dev/null | head -n 4)"
	@echo "Study summary: $(DEMO_ROOT)/derivatives/tfmxne/study_summary.html"

test: install
	$(BIN)/python -m pytest -q tests

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow" tests

lint: install
	$(BIN)/snakemake --lint --configfile config.yaml

bench: install
	$(BIN)/python benchmarks/bench_solver.py

clean:
	rm -rf demo_data .snakemake .pytest_cache
