# Two entry points: `make demo` (the main job, end to end, in a throw-away repository)
# and `make test` (installs what the tests need, then lint, types and the whole suite).
# Both create .venv themselves; only Python 3.11+ and git are needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test quick lint typecheck unit strace chromium bench bench-get bench-hostile bench-hooks \
	bench-report clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "git-model needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# An editable install does not place data files; the manual page (which `git model --help`
# opens) is copied where `man` looks for a PATH entry's pages: <venv>/share/man.
MANPAGE := $(VENV)/share/man/man1/git-model.1

# Byte-compiled once here: where PYTHONDONTWRITEBYTECODE is set, every run would compile.
$(VENV)/.installed-base: pyproject.toml man/git-model.1 | $(BIN)/python
	@echo "Installing git-model and DVC (which moves model files) into $(VENV): a few minutes the first time"
	@$(PIP) -e .
	@install -D -m 644 man/git-model.1 $(MANPAGE)
	@$(BIN)/python -m compileall -q src > /dev/null
	@touch $@

$(VENV)/.installed-test: pyproject.toml man/git-model.1 | $(BIN)/python
	@echo "Installing git-model, DVC and the test tools (pytest, ruff, mypy, mkdocs, scikit-learn," \
		"GTO) into $(VENV): a few minutes the first time"
	@$(PIP) -e '.[test]'
	@install -D -m 644 man/git-model.1 $(MANPAGE)
	@touch $@

demo: $(VENV)/.installed-base
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: $(VENV)/.installed-test lint typecheck unit

# Tests spend most of their time waiting on Git processes and fsync, not on a core: two
# workers per core keep a 2-core machine busy (a full run measured 56% busy with one).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 2) * 2 )))

# The inner loop: everything but the long race and crash suites (CI runs `make test`).
quick: $(VENV)/.installed-test lint typecheck strace chromium
	$(BIN)/pytest -n $(WORKERS) -q -m "not slow"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

unit: $(VENV)/.installed-test strace chromium
	$(BIN)/pytest -n $(WORKERS) -q

# The crash tests inject faults with strace; install it where we can (Debian, as root).
strace:
	@command -v strace >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "Installing strace for the crash tests (apt-get)" \
		&& apt-get update -qq >/dev/null && apt-get install -y -qq strace >/dev/null; } \
		|| echo "strace is not installed: the crash tests will be skipped"

# The report's browser tests drive Debian's Chromium (never a browser download); install it
# where we can (Debian, as root), as strace above.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "Installing chromium for the report's browser tests (apt-get)" \
		&& apt-get update -qq >/dev/null \
		&& apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
		|| echo "chromium is not installed: the report's browser tests will be skipped"

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_registry.py

bench-get: $(VENV)/.installed-test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_get.py

bench-hostile: $(VENV)/.installed-base
	$(BIN)/python benchmarks/bench_hostile.py

bench-hooks: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_hooks.py

bench-report: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
