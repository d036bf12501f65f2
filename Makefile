# Single entry points for a newcomer. Every target creates .venv when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
# the exact versions the tests passed with; refresh with `make lock`
CONSTRAINTS := requirements/constraints.txt

.PHONY: demo test bench lint browser clean lock

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install -q --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# Resolve the newest versions pyproject.toml allows in a scratch venv and pin them.
lock:
	rm -rf .venv-lock && $(PY) -m venv .venv-lock
	.venv-lock/bin/pip install -q --disable-pip-version-check -e '.[dev]'
	{ sed -n '/^#/p' $(CONSTRAINTS); .venv-lock/bin/pip freeze --exclude reten; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS) && rm -rf .venv-lock
	@echo "pinned $$(grep -vc '^#' $(CONSTRAINTS)) packages in $(CONSTRAINTS); now run make test"

demo: $(STAMP)
	$(BIN)/reten demo -o out/demo --overwrite
	# where 2 checkpoints go on the same scenario; also compiles the solvers' kernels once, so
	# a first optimize run does not count their compilation (~25 s) against its time limit
	$(BIN)/reten optimize src/reten/data/demo/baseline.toml --budget 2 --time-limit 60 \
		-o out/demo-optimize --overwrite

# Debian's chromium for the end-to-end report test (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@chromium --version 2>/dev/null | head -1

# two worker processes (pytest-xdist; the machines have 2 cores); a module with a
# module-scoped fixture stays on one worker (tests/conftest.py, --dist loadgroup)
test: $(STAMP) browser
	RETEN_REQUIRE_BROWSER=1 $(BIN)/pytest -n 2

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run_all.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-lock out .pytest_cache .mypy_cache .ruff_cache
