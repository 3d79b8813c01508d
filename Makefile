# Two entry points for a fresh machine (Python 3.11+):
#   make serve  set up .venv and start cocflow's pages in the browser (Ctrl+C stops them)
#   make test   set up .venv with the development tools and run ruff, mypy and the tests
# and one more: make demo screens a shipped example case in the terminal.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: serve demo test lint typecheck browser bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

serve: $(STAMP)
	$(BIN)/cocflow serve

demo: $(STAMP)
	$(BIN)/cocflow screen examples/uk-consultant-mexican-client.yaml

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy -p cocflow

# The browser tests (tests/web) drive Debian's chromium, and the document tests read PDFs with
# poppler's pdftotext and pdftoppm; install them where apt-get can.
CHROMIUM := /usr/bin/chromium
PDFTOTEXT := /usr/bin/pdftotext
browser:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x $(PDFTOTEXT) ] || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "Installing$$missing for the tests"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
				|| echo "Could not install$$missing: the tests that need them will not run"; \
		else \
			echo "Missing$$missing: the tests that need them will not run (apt-get install$$missing)"; \
		fi; \
	fi

test: lint typecheck browser
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/screen_bench.py
	$(BIN)/python bench/vault_bench.py
	$(BIN)/python bench/trips_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/team_bench.py
	$(BIN)/python bench/rescreen_bench.py

# Coverage-guided fuzzing of the parsers (fuzz/README.md); the CI-sized run is part of 'make test'.
FUZZ_RUNS ?= 100000
fuzz: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt atheris
	for target in case_yaml case_json roster trips_csv trips_ics rules; do \
		$(BIN)/python fuzz/run.py $$target -runs=$(FUZZ_RUNS) || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
