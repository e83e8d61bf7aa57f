# The quick start is `make demo` and `make test`; both set up .venv from nothing but Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench bench-record lab present clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cxsim run scenarios/subscription.yaml --runs 1000 --seed 2026

test: $(STAMP)
	$(BIN)/ruff check cxsim tests benchmarks
	$(BIN)/python -m pytest

# A quick check (under a minute): the tests not marked slow, stopping at the first failure.
test-fast: $(STAMP)
	$(BIN)/ruff check cxsim tests benchmarks
	$(BIN)/python -m pytest -m "not slow" -x -q

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
