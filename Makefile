# `make` installs what is missing and builds every output of manuscript/ into dist/.
# `make test` runs the test suite. Both work on a fresh Debian machine as root.

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.octavo-installed
ACE    := node_modules/.bin/ace-cli

.PHONY: all build deps system-deps test fuzz bench clean

all: build

system-deps:
	@bash tools/install-system-deps.sh

$(STAMP): pyproject.toml | system-deps
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

$(ACE): package.json package-lock.json | system-deps
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# An editable install is not byte-compiled, and where PYTHONDONTWRITEBYTECODE is set
# nothing ever is: every build would compile Octavo's modules again (0.1-0.25 s).
deps: system-deps $(STAMP) $(ACE)
	@$(PY) -m compileall -q octavo

build: deps
	$(PY) build.py --validate

test: deps
	$(PY) -m pytest -q

# Thousands of generated manuscripts (tests/test_fuzz.py), with a new seed each run;
# a failing example is kept under /tmp/octavo-fuzz/ (see the test's docstring).
fuzz: deps
	OCTAVO_FUZZ_EXAMPLES=$${OCTAVO_FUZZ_EXAMPLES:-3000} OCTAVO_FUZZ_FULL_EVERY=10 \
	OCTAVO_FUZZ_RANDOM=1 $(PY) -m pytest -q -s tests/test_fuzz.py
	OCTAVO_RELAYOUT_EXAMPLES=$${OCTAVO_RELAYOUT_EXAMPLES:-40} OCTAVO_FUZZ_RANDOM=1 \
	$(PY) -m pytest -q tests/test_relayout.py -k generated
	OCTAVO_LINEMEMO_EXAMPLES=$${OCTAVO_LINEMEMO_EXAMPLES:-5000} \
	$(PY) -m pytest -q tests/test_linememo.py -k widths

bench: deps
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py
	$(PY) bench/bench_booklet.py

clean:
	rm -rf dist .pytest_cache
