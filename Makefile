# tropnet — two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SYSDEPS := libcdd-dev libgmp-dev

.PHONY: demo test test-fast lint docs notebooks bench bench-quick sysdeps setup clean

demo: $(STAMP)
	$(BIN)/tropnet demo

# everything: lint, unit tests and docstring examples, strict docs build (which executes
# every notebook and fails on an error in one)
test: $(STAMP)
	$(BIN)/ruff check tropnet tests benchmarks
	$(BIN)/pytest -n 2 --doctest-modules tropnet tests
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

# the notebooks alone, in parallel (make test runs them in the docs build)
notebooks: $(STAMP)
	$(BIN)/pytest -n 2 --nbmake notebooks

# the inner loop: unit tests and docstring examples, without the tests marked slow
test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m "not slow" --doctest-modules tropnet tests

lint: $(STAMP)
	$(BIN)/ruff check tropnet tests benchmarks

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run_all --quick

setup: $(STAMP)

# pycddlib needs cddlib and GMP headers to build its exact (gmp) backend.
sysdeps:
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing$$missing with apt-get"; \
	    apt-get install -y $$missing || { apt-get update && apt-get install -y $$missing; }; \
	  else \
	    echo "missing system packages:$$missing -- run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml | sysdeps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,torch]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) site build *.egg-info .pytest_cache .ruff_cache .hypothesis
