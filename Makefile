# almanac — the two commands a newcomer needs: `make run` and `make test`.
# Everything the project needs is installed by this file from requirements.txt (fully pinned).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV_VERSION := 0.13.9

export PYTHONPATH := $(CURDIR)/include:$(CURDIR)
# Bytecode is worth keeping: a fresh venv without it takes ~10 s to `import airflow`, with it ~3.5 s.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install browser run test test-tz install-check e2e lint format demo bench bench-growth lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "almanac needs Python 3.11, found " + sys.version'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip sync --quiet --python $(PY) requirements.txt requirements-dev.txt
	-$(PY) -m compileall -q -j 2 $(VENV)/lib > /dev/null 2>&1
	touch $@

# Headless Chromium and its driver from Debian, for the status page's browser test (Playwright's own
# browser download cannot work here). Installed only when missing; needs root, as on CI.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

run: install
	$(PY) -m almanac.demo run

test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# loadfile: a module's tests stay on one worker, in order (some share a database or an api-server).
	$(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder

# The tests that check dates and values computed by almanac's SQL (marker `dates`) again with every test
# database in a DST zone: the SQL must not depend on the session's TimeZone. Left out: tests that compare
# two histories built in the same zone, and the HTTP client, install and plan tests.
test-tz: install
	ALMANAC_TEST_TIMEZONE=America/Chicago $(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder -q -m dates

# The README's production install guide, followed word for word in a fresh virtualenv.
install-check: install
	$(PY) -m tests.support.check_install_guide

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

# Benchmarks (benchmarks/run.py): `make bench` at the seeds' scale (~3.5 min) with a +0.5 ms round-trip
# view through a local proxy; SCALE=N multiplies every domain's entities (baselines at N=1 only);
# RTT_MS=0 drops the proxy view. `make bench-growth`: almanac alone at N=1, 3, 10 (~9 min).
SCALE  ?= 1
RTT_MS ?= 0.5
bench: install
	$(PY) -m benchmarks.run --scale $(SCALE) --rtt-ms $(RTT_MS)

bench-growth: install
	$(PY) -m benchmarks.run --growth

# Regenerate the fully pinned locks (no constraints file is reachable here): the runtime lock
# requirements.txt, then the dev/test lock constrained to it.
lock: install
	$(VENV)/bin/uv pip compile --quiet requirements.in -o requirements.txt --python-version 3.11
	$(VENV)/bin/uv pip compile --quiet requirements-dev.in -o requirements-dev.txt --python-version 3.11

clean:
	rm -rf $(VENV) .almanac
