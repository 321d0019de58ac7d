# The two commands: `make run` starts sepwatch on embedded defaults, `make test` runs the suite.
# Both create the virtual environment on first use.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint fix typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sepwatch run

test: $(STAMP)
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/index_bench.py
	$(BIN)/python bench/relay_bench.py
	$(BIN)/python bench/restart_bench.py
	$(BIN)/python bench/search_page_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
