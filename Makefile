# wg — the two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup setup-test bench bench-quick hardening clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install; the stamp file is redone whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

## make run: set up, migrate SQLite, load the demo group (once), serve at http://$(HOST):$(PORT)
run: setup
	$(BIN)/wg db upgrade
	$(BIN)/wg demo
	@echo "Open http://$(HOST):$(PORT)/ and log in with one of the demo logins above."
	$(BIN)/wg serve --host $(HOST) --port $(PORT)

## make test: set up, install the Debian packages the suite needs, then ruff, mypy and pytest
test: setup-test
	./scripts/ensure-test-packages.sh
	$(BIN)/ruff check wg tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist worksteal --durations=25 $(PYTEST_ARGS)

## make bench: every benchmark in full (several minutes), writes docs/performance.md; bench-quick: under a minute
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

bench-quick: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks --quick

## make hardening: the long runs of the hardening suites (load 2 min, 50 kill -9 cycles, 100 fuzz examples per operation and role, every write route fired twice at once 50 times)
hardening: setup-test
	WG_LOAD_SECONDS=120 WG_DURABILITY_CYCLES=50 WG_FUZZ_EXAMPLES=100 WG_DOUBLE_WRITE_ROUNDS=50 $(BIN)/python -m pytest -s \
		tests/integration/test_load.py tests/integration/test_durability.py tests/security/test_api_fuzz.py \
		tests/integration/test_double_writes.py

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache
