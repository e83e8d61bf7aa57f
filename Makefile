# The quick start is `make demo` and `make test`; both set up .venv from nothing but Python and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast lint bench bench-record lab clean libreoffice

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/cxsim run scenarios/subscription.yaml --runs 1000 --seed 2026

test: $(STAMP) libreoffice
	$(BIN)/ruff check cxsim tests benchmarks
	$(BIN)/python -m pytest

# LibreOffice Calc recalculates the workbook in tests/test_workbook.py (about a minute to
# install); installed with apt-get only as root where soffice is missing, else left alone.
libreoffice:
	@command -v soffice >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libreoffice-calc-nogui \
		|| echo "LibreOffice not installed: the workbook recalculation test will be skipped"; }

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

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
