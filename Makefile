# Every target creates .venv on first use, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: run test lint bench hostile contract clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/mockserver serve $(ARGS)

# make contract URL=http://localhost:8080 ARGS="--token admin-token"; credentials are best
# given as MOCKSERVER_CONTRACT_* variables (see the README).
contract: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make contract URL=<base URL> [ARGS='--token ...']" >&2; exit 2; }
	$(BIN)/mockserver contract --base-url "$(URL)" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockserver tests bench
	$(BIN)/mypy mockserver
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile

test: lint
	$(BIN)/pytest -q $(ARGS)

# Starts real server processes and drives them with wrk (apt-get install wrk) or a Python
# load generator; Prism runs through npx where Node is installed. Writes docs/performance.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# Hostile and heavy clients against real server processes; prints what each costs others.
hostile: $(STAMP)
	$(BIN)/python bench/hostile.py $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
