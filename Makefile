# Every target creates .venv from the pinned requirements.lock when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install vendor wheel test test-postgres lint migrate serve bench lock clean

VENDOR_LOCK := gql/static/vendor.lock.json

$(STAMP): requirements.lock pyproject.toml $(VENDOR_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# The project's bytecode is written here (only what changed), also where PYTHONDONTWRITEBYTECODE
# is set: otherwise every `chameleon serve` compiles its ~150 modules again (~0.2 s CPU).
install: $(STAMP) ## Create .venv with the pinned dependencies and the project itself.
	@$(BIN)/python -m gql.vendor
	@$(BIN)/python -m compileall -q gql storage schema resolvers migrations

vendor: ## Fetch GraphiQL's pinned browser assets from the npm registry (hashes checked).
	$(PYTHON) -m gql.vendor

wheel: vendor ## Build the wheel into dist/, GraphiQL's assets included.
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps -w dist .

lint: install ## ruff and mypy.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check storage gql schema resolvers migrations tests
	$(BIN)/mypy

test: lint ## Lint, then the whole suite (PostgreSQL too when CHAMELEON_TEST_POSTGRES_URL is set).
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install ## Only the PostgreSQL half of the suite (needs CHAMELEON_TEST_POSTGRES_URL).
	$(BIN)/pytest -m postgres $(PYTEST_ARGS)

serve: install ## Migrate the embedded tiers, load the demo data once, serve with GraphiQL.
	$(BIN)/chameleon serve --demo

bench: install ## Benchmarks (own data, baselines in the same run); writes .bench/results.json.
	scripts/install-system-packages
	$(BIN)/python -m tests.bench

migrate: install ## Upgrade both tiers to the newest schema.
	$(BIN)/chameleon migrate

lock: ## Re-resolve requirements.lock from pyproject.toml (run after changing dependencies).
	rm -rf /tmp/chameleon-lock && $(PYTHON) -m venv /tmp/chameleon-lock
	/tmp/chameleon-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/chameleon-lock/bin/pip freeze --exclude-editable > requirements.lock

clean: ## Remove the virtualenv and local data.
	rm -rf $(VENV) .chameleon .bench .artifacts dist gql/static/vendor
