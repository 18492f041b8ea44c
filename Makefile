# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV ?= .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint typecheck pytest bench-taskapp bench-health bench-backup bench-validate clean

$(UV):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Install the locked dependencies (with the dev group) into the virtual environment.
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	touch $@

run: $(VENV)/.synced
	mkdir -p var
	$(VENV)/bin/taskapp serve

test: $(VENV)/.synced
	scripts/system-packages.sh
	$(MAKE) --no-print-directory lint typecheck pytest

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

pytest: $(VENV)/.synced
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks (not tests): each prints ratios against a baseline measured in the same run.
bench-health: $(VENV)/.synced
	$(VENV)/bin/python -m bench.health

# TaskApp against the seed's Express backend (bench/express-baseline, npm ci from its lock file).
bench-taskapp: $(VENV)/.synced
	scripts/system-packages.sh wrk:wrk node:nodejs npm:npm
	npm ci --prefix bench/express-baseline --no-audit --no-fund --loglevel=error
	$(VENV)/bin/python -m bench.taskapp

bench-backup: $(VENV)/.synced
	$(VENV)/bin/python -m bench.backup.roundtrip

bench-validate: $(VENV)/.synced  # CHART_DIR: the example tree's charts, as helm pull --untar leaves them
	$(VENV)/bin/python -m bench.validate --chart-dir $(CHART_DIR)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
