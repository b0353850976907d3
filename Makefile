# Likely: the two commands of the README are `make demo` and `make test`.
SHELL := /bin/bash
PY    := .venv/bin/python
PIP   := .venv/bin/pip
VAR   := $(or $(LIKELY_DATA_DIR),$(CURDIR)/var)
LABELERS ?= 2

.PHONY: install demo up down lint test test-unit test-deploy test-integration test-e2e bench clean

# Everything the project needs, idempotent: system packages, the .venv, generated assets.
install: .venv/.installed node_modules/.installed $(VAR)/.assets

.venv/.installed: pyproject.toml scripts/install-system.sh
	bash scripts/install-system.sh
	test -x $(PY) || python3 -m venv .venv
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[assets,dev]'
	touch $@

# Node dev tools (an S3-compatible server for the S3 image-store tests), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Generated, never committed: the offline labeler's ONNX model and the demo Instagram account.
$(VAR)/.assets: .venv/.installed shared/labeling/build_assets.py shared/labeling/taxonomy.py \
                shared/labeling/detector_assets.py shared/labeling/tfjs_to_onnx.py \
                shared/labeling/wordnet.py sandbox/instagram/make_demo.py sandbox/instagram/demo_sources.py
	$(PY) -m shared.labeling.build_assets
	$(PY) -m sandbox.instagram.make_demo
	mkdir -p $(VAR) && touch $@

up: install
	LABELERS=$(LABELERS) bash scripts/stack.sh up

down:
	bash scripts/stack.sh down

demo: install
	LABELERS=$(LABELERS) bash scripts/stack.sh up
	$(PY) -m scripts.demo

# ruff (pyflakes, pycodestyle at 120 columns, isort, bugbear, blind-except, naming) on the whole
# tree, then mypy on what [tool.mypy] lists (shared/, the services' handlers, the CLI); both set up in
# pyproject.toml. `make test` runs them first.
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy

test: install lint
	bash scripts/infra.sh up
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The chaos scenarios at full length (5-minute outages, default retry delays); `make test` runs
# them shortened. Each starts its own RabbitMQ node, Redis and MongoDB-wire server.
chaos: install
	bash scripts/infra.sh up
	LIKELY_CHAOS_FULL=1 $(PY) -m pytest -q -p no:cacheprovider tests/chaos $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -q tests/unit

# deploy/: kustomize overlays rendered and validated, docker-compose.yml against its schema.
test-deploy: install
	bash scripts/infra.sh up
	$(PY) -m pytest -q tests/deploy

bench: install
	bash scripts/infra.sh up
	for b in bench/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done  # bench/_*.py: their shared parts
	echo "== bench/pipeline.py --offline"; $(PY) bench/pipeline.py --offline --posts 1000 --labelers 1,2

clean: down
	rm -rf .venv $(VAR)
