# Two commands for users: `make demo` and `make test`. Everything is installed from nothing
# into .venv/ (pinned by requirements.lock), so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MBP_STAMP := $(VENV)/.installed-mbp
CORES ?= all
DEMO_ROOT ?= demo_data/bids
DEMO_CONFIG := workflow/demo/config.yaml

.PHONY: install demo demo-data test test-fast test-slurm lint bench clean

install: $(STAMP)

# After the packages: the hook that keeps `snakemake` from waiting on `scontrol`
# (tfmxne_workflow/slurm_probe.py), and the solver's numba kernels compiled into their cache
# (tfmxne/warmup.py, ~30 s), here once rather than in the first solve job.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -c "import tfmxne_workflow.slurm_probe as p; p.write_pth()"
	$(BIN)/python -m tfmxne.warmup
	touch $(STAMP)

# Test extra: mne-bids-pipeline for tests/workflow/test_mbp.py (pinned in requirements-mbp.lock).
$(MBP_STAMP): $(STAMP) requirements-mbp.lock
	$(BIN)/python -m pip install --quiet -r requirements-mbp.lock -c requirements.lock
	touch $(MBP_STAMP)

demo-data: install
	$(BIN)/python -m tfmxne_simulation.demo --bids-root $(DEMO_ROOT)

demo: demo-data
	$(BIN)/snakemake --workflow-profile workflow/profiles/default --cores $(CORES) --configfile $(DEMO_CONFIG)
	@echo
	@echo "Reports: $$(ls $(DEMO_ROOT)/derivatives/tfmxne/sub-*/*/*_report.html $(DEMO_ROOT)/derivatives/tfmxne/sub-*/*_report.html 2>/dev/null | head -n 4)"
	@echo "Study summary: $(DEMO_ROOT)/derivatives/tfmxne/study_summary.html"

test: install $(MBP_STAMP)
	$(BIN)/python -m pytest -q tests

# A one-node SLURM cluster on 127.0.0.1 (root, Debian: installs munge and Slurm if missing),
# the demo study through workflow/profiles/slurm, compared with a local run; daemons stopped after.
SLURM_STATE ?= /tmp/tfmxne-slurm
test-slurm: install
	tests/slurm/cluster.sh start $(SLURM_STATE)
	SLURM_CONF=$(SLURM_STATE)/slurm.conf timeout -s INT 3000 $(BIN)/python -m pytest -q -rs tests/slurm; \
	  status=$$?; tests/slurm/cluster.sh stop $(SLURM_STATE); exit $$status

test-fast: install $(MBP_STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

lint: demo-data
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint --configfile $(DEMO_CONFIG)

bench: install
	$(BIN)/python benchmarks/bench_solver.py

clean:
	rm -rf demo_data .snakemake .pytest_cache
