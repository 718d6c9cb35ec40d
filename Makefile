# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HARNESS := tests/node
NODE_STAMP := $(HARNESS)/node_modules/.installed
STATIC_STAMP := static/node_modules/.installed
CHROMIUM := /usr/bin/chromium
PG_STANDBY_TOOLS := /usr/lib/postgresql/15/bin/pg_basebackup

.PHONY: run test lint typecheck pytest schema schema-check schema-release lock bench bench-inprocess fuzz soak soak-cluster bench-realtime bench-transfer clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The Node harness of the federation tests (@apollo/composition, gateway, subgraph).
$(NODE_STAMP): $(HARNESS)/package.json $(HARNESS)/package-lock.json
	cd $(HARNESS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# GraphiQL, its explorer plugin and React for the staff explorer, served from /static/.
$(STATIC_STAMP): static/package.json static/package-lock.json
	cd static && npm ci --no-audit --no-fund --loglevel=error
	touch $(STATIC_STAMP)

# Debian's Chromium for the explorer's browser test (never a test tool's own download).
$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)

# Debian's PostgreSQL 15 server binaries and Redis for the replica and Redis outage tests (private
# servers on loopback ports; the machine's own are never stopped).
$(PG_STANDBY_TOOLS):
	apt-get install -y --no-install-recommends postgresql-15 || (apt-get update && apt-get install -y --no-install-recommends postgresql-15)

/usr/sbin/nginx:
	apt-get install -y --no-install-recommends nginx-light || (apt-get update && apt-get install -y --no-install-recommends nginx-light)

/usr/sbin/pgbouncer:
	apt-get install -y --no-install-recommends pgbouncer || (apt-get update && apt-get install -y --no-install-recommends pgbouncer)

/usr/bin/redis-server:
	apt-get install -y --no-install-recommends redis-server || (apt-get update && apt-get install -y --no-install-recommends redis-server)

run: $(STAMP) $(STATIC_STAMP)
	UPL_LOG_FORMAT=$${UPL_LOG_FORMAT:-console} $(BIN)/upl serve --migrate --seed-demo --port $${PORT:-8000}

test: $(STAMP) lint typecheck schema-check pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(NODE_STAMP) $(STATIC_STAMP) $(CHROMIUM) $(PG_STANDBY_TOOLS) /usr/bin/redis-server /usr/sbin/nginx /usr/sbin/pgbouncer
	$(BIN)/pytest

schema: $(STAMP)
	$(BIN)/upl schema > schema.graphql

# Breaking changes of the code's schema against the SDL last released to partners.
schema-check: $(STAMP)
	$(BIN)/upl schema-check

# Declare the current SDL released: later breaking changes are measured against it.
schema-release: schema
	(echo "# The SDL last released to partners ($$(date +%F)); \`make schema-check\` compares against it."; \
	 cat schema.graphql) > schema/released.graphql

# A longer fuzzing run (make test runs 40 examples per role).
fuzz: $(STAMP) $(NODE_STAMP) $(STATIC_STAMP)
	UPL_FUZZ_EXAMPLES=$${EXAMPLES:-1000} $(BIN)/pytest tests/operations/test_fuzz_and_security.py -k generated -q

# Reads and concurrent edits under uvicorn with 2 workers, then an audit of every write (60 s).
soak: $(STAMP)
	$(BIN)/python -m bench.soak

# The cluster test for 60 s: nginx, two instances, primary and standby, Redis, faults (make test: 12 s).
soak-cluster: $(STAMP) $(PG_STANDBY_TOOLS) /usr/bin/redis-server /usr/sbin/nginx
	UPL_CLUSTER_SECONDS=$${CLUSTER_SECONDS:-60} $(BIN)/pytest tests/operations/test_cluster.py -q -s

# The load benchmark against PostGraphile 4 and 5 (about half an hour; not part of `make test`).
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y --no-install-recommends wrk || (apt-get update && apt-get install -y --no-install-recommends wrk)
	cd bench/peers/pg4 && npm ci --no-audit --no-fund --loglevel=error
	cd bench/peers/pg5 && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.visibility

# Change-feed subscribers over WebSocket on one worker (1,000 and 5,000): delivery latency, CPU, memory.
bench-realtime: $(STAMP)
	$(BIN)/python -m bench.realtime

# 100,000 companies exported (CSV, XLSX, JSON lines) and imported into an empty database, twice.
bench-transfer: $(STAMP)
	$(BIN)/python -m bench.transfer

# The small in-process benchmark of the resolver path on the demo data.
bench-inprocess: $(STAMP)
	$(BIN)/python -m bench.read_queries

lock:
	rm -rf /tmp/upl-lock && $(PYTHON) -m venv /tmp/upl-lock
	/tmp/upl-lock/bin/pip install --quiet --upgrade pip
	/tmp/upl-lock/bin/pip install --quiet -e '.[test]'
	(echo "# Pinned versions: what the tests saw. Regenerate with 'make lock'."; \
	 /tmp/upl-lock/bin/pip freeze --exclude-editable) > constraints.txt

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache $(HARNESS)/node_modules static/node_modules
