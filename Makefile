# Every target creates .venv on first use, so a fresh clone needs nothing but Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ARGS ?=

NODE_STAMP := node_modules/.installed
SPECS := openapi.yaml mockserver/admin-openapi.yaml mockserver/auth-openapi.yaml

.PHONY: run test lint lint-specs node bench hostile contract clean

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

# Node tools, pinned by package-lock.json: the specs' linters and the TypeScript client
# generators the tests use. Without npm they are skipped, and `make lint` says so.
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $(NODE_STAMP)

node:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(NODE_STAMP); \
	else echo "npm not found: Spectral, Redocly and the TypeScript client tests are skipped (install Node.js 20)"; fi

lint: $(STAMP) lint-specs
	$(BIN)/ruff check mockserver tests bench
	$(BIN)/mypy mockserver bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile

# Spectral (spectral:oas) and Redocly (recommended, warnings as errors) on the three specs;
# the exceptions, each with its reason, are in .spectral.yaml and .redocly.lint-ignore.yaml.
lint-specs: node
	@if [ -x node_modules/.bin/spectral ]; then \
	  node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity warn \
	    --fail-on-unmatched-globs --quiet $(SPECS) && \
	  node_modules/.bin/redocly lint --lint-config error; \
	fi

# One worker per core (JOBS=1 for one process), each test file kept on one worker.
JOBS ?= auto
test: lint
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile $(ARGS)

# Starts real server processes and drives them with wrk (apt-get install wrk) or a Python
# load generator; Prism runs through npx where Node is installed. Writes docs/performance.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(ARGS)

# Hostile and heavy clients against real server processes; prints what each costs others.
hostile: $(STAMP)
	$(BIN)/python bench/hostile.py $(ARGS)

clean:
	rm -rf $(VENV) node_modules build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
