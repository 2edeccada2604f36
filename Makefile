# Two commands on a fresh Debian machine: `make run` and `make test`.
# Everything installs into this folder (.venv, node_modules, static/dist); Debian packages
# (PostgreSQL 15 and Redis for the second test run, Java 17, Maven and unzip for the OpenSearch and
# Elasticsearch runs, Chromium for the browser tests, faketime) only when missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/pytest
ARTIFACTS := test-artifacts
PG_BIN ?= /usr/lib/postgresql/15/bin
CHROMIUM ?= /usr/bin/chromium
FAKETIME ?= /usr/bin/faketime
# The moments (London time) the whole suite also runs at, its clock frozen there: both clock
# changes late on the Sunday evening, bank holidays (one a substitute day), a leap day and the
# last half hour of a year. The default moment is a Monday morning (tests/frozen.py).
TEST_MOMENTS := 2027-03-28T22:30 2027-10-31T22:30 2027-08-30T09:00 2027-12-27T09:00 \
	2028-02-29T12:00 2026-12-31T23:30
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install run test lint test-sqlite test-postgres test-opensearch test-elasticsearch \
	test-browser test-moments print-moments test-faketime system-packages clean test-feed bench-search

help:
	@echo "make run    install, migrate, load demo data, serve (gunicorn + worker) on http://127.0.0.1:5000"
	@echo "make test   install, lint, tests on SQLite, PostgreSQL 15, OpenSearch and Elasticsearch, browser tests"
	@echo "make lint   ruff and mypy only"
	@echo "make bench-search  tantivy, OpenSearch and Elasticsearch side by side at 100,000 listings"

install: $(VENV)/.installed node_modules/.installed static/dist/app.css system-packages

$(VENV)/.installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/dist/app.css: node_modules/.installed build-assets.mjs $(shell find static/src -type f 2>/dev/null)
	npm run --silent build

# Debian packages, installed only when their binaries are missing. `apt-get update` runs only when
# the first attempt fails (a fresh machine with empty package lists).
system-packages:
	@missing=""; \
	[ -x $(PG_BIN)/initdb ] || missing="$$missing postgresql"; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x $(FAKETIME) ] || missing="$$missing faketime"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	command -v mvn >/dev/null || missing="$$missing maven"; \
	command -v unzip >/dev/null || missing="$$missing unzip"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(SUDO) apt-get install -y -q $$missing || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q $$missing; }; \
	fi

run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	scripts/with-redis.sh scripts/serve.sh 5000

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `make -k test` (what .ci/run does) runs every stage even when an earlier one fails.
test: install lint test-sqlite test-moments test-faketime test-postgres test-opensearch \
	test-elasticsearch test-browser test-feed

test-sqlite: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/sqlite.xml
	$(PYTEST) -m "not browser" --junitxml=$(ARTIFACTS)/sqlite.xml

# The suite at each of TEST_MOMENTS: a test that only passes on some days fails here.
test-moments: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/moment-*.xml
	status=0; for at in $(TEST_MOMENTS); do \
		echo "The suite with the clock at $$at (London)"; \
		MARKETPLACE_TEST_NOW=$$at $(PYTEST) -m "not browser" -q \
			--junitxml=$(ARTIFACTS)/moment-$$at.xml || status=1; \
	done; exit $$status

# The suite with the machine's clock a year ahead: a test or a page that reads the real clock
# instead of marketplace.clock fails here, not in a year's time. Only the wall clock moves: with
# the monotonic clock shifted too, a timed wait (the threading.Timer the rate limiter's memory
# storage starts in every process) computes its deadline a year out and never wakes, and Python
# waits for that thread at exit, for ever. With only the wall clock moved, libfaketime 0.9.10
# refuses time.sleep (EINVAL), which the tests that start a server process (localstripe, the
# `flask` command line) wait with: those run in every other stage, not here (FAKETIME_LEAVES_OUT),
# nor the test of the worker as its own process. The OpenSearch and Elasticsearch runs of the
# search tests need the nodes only test-opensearch and test-elasticsearch start.
# The timeout is a second guard, so CI can never hang here.
FAKETIME_LEAVES_OUT := not opensearch and not elasticsearch and not localstripe and not stripe_js \
	and not command_line and not worker_process
test-faketime: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/faketime.xml
	FAKETIME_DONT_FAKE_MONOTONIC=1 timeout --kill-after=60 1800 $(FAKETIME) -f '+366d' \
		$(PYTEST) -m "not browser" -k "$(FAKETIME_LEAVES_OUT)" -q \
		--junitxml=$(ARTIFACTS)/faketime.xml

test-postgres: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/postgres.xml
	scripts/with-postgres.sh scripts/with-redis.sh $(PYTEST) -m "not browser" \
		--junitxml=$(ARTIFACTS)/postgres.xml

# The search behaviour suite on a real one-node OpenSearch 2.19 (fetched once into .cache/).
# The node's start is bounded in the script; the timeout bounds the whole run.
test-opensearch: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/opensearch.xml
	timeout --kill-after=60 1800 scripts/with-opensearch.sh \
		$(PYTEST) tests/marketplace/search -m "not browser" --junitxml=$(ARTIFACTS)/opensearch.xml

# The same suite on a real one-node Elasticsearch through the official client: Elastic's test
# distribution from Maven Central (fetched once into .cache/; see scripts/with-elasticsearch.sh).
test-elasticsearch: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/elasticsearch.xml
	timeout --kill-after=60 1800 scripts/with-elasticsearch.sh \
		$(PYTEST) tests/marketplace/search -m "not browser" --junitxml=$(ARTIFACTS)/elasticsearch.xml

test-browser: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/browser.xml
	$(PYTEST) -m browser tests/browser --junitxml=$(ARTIFACTS)/browser.xml

# The Open Referral UK feed, served on 127.0.0.1 with the demo records, against the ORUK 3.0
# UK-profile OpenAPI: a bounded number of generated requests per operation (schemathesis).
test-feed: install
	mkdir -p $(ARTIFACTS) && rm -f $(ARTIFACTS)/feed.xml
	scripts/check_feed.sh $(ARTIFACTS)/feed.xml

# The search bench on all three engines in one run (real nodes on 127.0.0.1; a few minutes).
bench-search: install
	scripts/with-opensearch.sh scripts/with-elasticsearch.sh env PYTHONPATH=. \
		$(VENV)/bin/python bench/search.py --engine tantivy,opensearch,elasticsearch

print-moments:
	@echo $(TEST_MOMENTS)

clean:
	rm -rf $(VENV) node_modules static/dist $(ARTIFACTS)
