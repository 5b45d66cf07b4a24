# almanac — the two commands a newcomer needs: `make run` and `make test`.
# Everything the project needs is installed by this file from requirements.txt (fully pinned).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV_VERSION := 0.13.9

export PYTHONPATH := $(CURDIR)/include:$(CURDIR)
# Bytecode is worth keeping: a fresh venv without it takes ~10 s to `import airflow`, with it ~3.5 s.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run test e2e lint format demo bench lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "almanac needs Python 3.11, found " + sys.version'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.txt
	-$(PY) -m compileall -q -j 2 $(VENV)/lib > /dev/null 2>&1
	touch $@

run: install
	$(PY) -m almanac.demo run

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

# The end-to-end suite under the real scheduler (tests/e2e): EXECUTOR=local (default) or celery.
# Celery needs a Redis server; Debian's is installed here if missing (the suite starts and stops it).
EXECUTOR ?= local
e2e: install
	@if [ "$(EXECUTOR)" = celery ] && ! command -v redis-server > /dev/null; then \
		apt-get update -qq && apt-get install -y -qq redis-server > /dev/null; fi
	ALMANAC_E2E_EXECUTOR=$(EXECUTOR) $(PY) -m pytest -m e2e tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: install
	$(PY) -m almanac.demo demo

bench: install
	$(PY) -m benchmarks.run

# Regenerate the fully pinned requirements.txt from requirements.in (no constraints file is reachable here).
lock: install
	$(VENV)/bin/uv pip compile requirements.in -o requirements.txt --python-version 3.11

clean:
	rm -rf $(VENV) .almanac
