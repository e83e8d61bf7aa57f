# The quick start is `make demo` and `make test`; both set up .venv from nothing but Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench bench-record lab present clean system

# Python keeps compiled modules (__pycache__, ignored by git) even where the environment says
# not to (PYTHONDONTWRITEBYTECODE, common in containers): otherwise every test worker, notebook
# kernel and CLI subprocess compiles cxsim and rewrites the tests' asserts again (measured: a
# worker's collection takes 17.7 s without the cache, 10.2 s with it).
unexport PYTHONDONTWRITEBYTECODE

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cxsim run scenarios/subscription.yaml --runs 1000 --seed 2026

# The suite on every core (pytest-xdist); tests marked xdist_group("exclusive") (the Dask
# cluster, memory and timing measurements, concurrent writers, signals) run on one worker in turn.
# WORKERS=0 runs it in this process alone.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

test: $(STAMP) system
	$(BIN)/ruff check cxsim tests benchmarks
	$(PYTEST) --durations=15

# Debian packages the tests and reports use, installed with apt-get only as root where missing
# (else left alone, and the tests that need them say they are skipped): LibreOffice Calc
# recalculates the workbook in tests/test_workbook.py (about a minute to install); BIZ UDGothic
# gives Japanese report titles a real bold weight (IPAexGothic, from PyPI, has none).
SYSTEM_PACKAGES := libreoffice-calc-nogui fonts-morisawa-bizud-gothic
system:
	@missing=""; command -v soffice >/dev/null 2>&1 || missing="libreoffice-calc-nogui"; \
	[ -e /usr/share/fonts/truetype/bizud-gothic ] || fc-list 2>/dev/null | grep -qi "BIZ UDP" \
		|| missing="$$missing fonts-morisawa-bizud-gothic"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| echo "could not install$$missing: the tests that need it will be skipped"; \
		else echo "not installed:$$missing (needs root and apt-get): those tests will be skipped"; fi; \
	fi

# A quick check (under a minute): the tests not marked slow, stopping at the first failure.
test-fast: $(STAMP)
	$(BIN)/ruff check cxsim tests benchmarks
	$(PYTEST) -m "not slow" -x -q

lint: $(STAMP)
	$(BIN)/ruff check cxsim tests benchmarks
	$(BIN)/ruff format --check cxsim tests benchmarks
	$(BIN)/mypy

# Results go to benchmarks/out/ (ignored by git); bench-record updates the tracked results.md.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-record: $(STAMP)
	$(BIN)/python benchmarks/run.py --out benchmarks/results.md

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

# The what-if notebook as an app (Voila): sliders, the live number and chart, no code.
# PORT=8866 by default; serves on this machine only (HOST=0.0.0.0 to show it on the network).
PORT ?= 8866
HOST ?= 127.0.0.1
present: $(STAMP)
	$(BIN)/voila notebooks/02_what_if.ipynb --port=$(PORT) --Voila.ip=$(HOST) --no-browser --theme=light

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
	find cxsim tests benchmarks -name __pycache__ -type d -prune -exec rm -rf {} +
